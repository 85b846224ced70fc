//! A minimal in-process driver for the app: CometBFT's call order for one height, with real
//! ed25519-signed vote extensions, so tests can tamper with any piece.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    dead_code,
    missing_docs
)]

use std::sync::Arc;

use delivery_abci::Application;
use delivery_app::side::{NoRootChain, SideTxVerifier};
use delivery_app::valset::address_of;
use delivery_app::DeliveryApp;
use delivery_module::{Address, SecretKey};
use delivery_store::{Storage, StorageConfig};
use ed25519_dalek::{Signer, SigningKey};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci as pb;

pub const CHAIN_ID: &str = "delivery-test";
pub const BTT: u128 = 1_000_000_000_000_000_000;

pub struct TestChain {
    pub app: DeliveryApp,
    pub validators: Vec<SigningKey>,
    pub accounts: Vec<SecretKey>,
    pub height: i64,
    /// The voting power every validator signs with (the app's record must agree).
    pub power: i64,
    /// InitChain's answer.
    pub init: pb::ResponseInitChain,
    pub last_extended_commit: Option<pb::ExtendedCommitInfo>,
    pub dir: tempfile::TempDir,
}

pub fn block_hash(height: i64) -> Vec<u8> {
    delivery_module::crypto::sha256(format!("block {height}").as_bytes()).to_vec()
}

/// Orders a commit's votes by validator address, as CometBFT's commit lists them.
pub fn sort_by_address(votes: &mut [pb::ExtendedVoteInfo]) {
    votes.sort_by(|a, b| {
        a.validator
            .as_ref()
            .unwrap()
            .address
            .cmp(&b.validator.as_ref().unwrap().address)
    });
}

pub fn time(height: i64) -> Timestamp {
    Timestamp {
        seconds: 1_700_000_000 + height,
        nanos: 0,
    }
}

pub fn validator_updates(keys: &[SigningKey]) -> Vec<pb::ValidatorUpdate> {
    keys.iter()
        .map(|k| pb::ValidatorUpdate {
            pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey {
                sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(
                    k.verifying_key().to_bytes().to_vec(),
                )),
            }),
            power: 10,
        })
        .collect()
}

pub fn init_request(keys: &[SigningKey], app_state: &serde_json::Value) -> pb::RequestInitChain {
    pb::RequestInitChain {
        time: Some(time(0)),
        chain_id: CHAIN_ID.into(),
        consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
            abci: Some(tendermint_proto::v0_38::types::AbciParams {
                vote_extensions_enable_height: 1,
            }),
            ..Default::default()
        }),
        validators: validator_updates(keys),
        app_state_bytes: serde_json::to_vec(app_state).unwrap().into(),
        initial_height: 1,
    }
}

impl TestChain {
    pub fn new(validators: usize, accounts: usize) -> Self {
        Self::with_verifier(validators, accounts, Arc::new(NoRootChain))
    }

    pub fn with_verifier(
        validators: usize,
        accounts: usize,
        verifier: Arc<dyn SideTxVerifier>,
    ) -> Self {
        let accounts: Vec<SecretKey> = (0..accounts).map(|_| SecretKey::generate()).collect();
        Self::build(validators, accounts, verifier)
    }

    /// A chain whose accounts are `accounts` (to build twins with identical genesis).
    pub fn build(
        validators: usize,
        accounts: Vec<SecretKey>,
        verifier: Arc<dyn SideTxVerifier>,
    ) -> Self {
        Self::build_with(validators, accounts, verifier, None, |_| {})
    }

    /// Like [`Self::build`], with an engine attached and the app genesis adjusted by `patch`.
    pub fn build_with(
        validators: usize,
        accounts: Vec<SecretKey>,
        verifier: Arc<dyn SideTxVerifier>,
        engine: Option<Arc<dyn bttc_engine_api::Engine>>,
        patch: impl FnOnce(&mut serde_json::Value),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
        let mut app = DeliveryApp::new(storage, verifier).unwrap();
        if let Some(engine) = engine {
            app = app.with_engine(engine);
        }
        let validators: Vec<SigningKey> = (0..validators)
            .map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32]))
            .collect();
        let balances: Vec<(Address, u128)> = accounts
            .iter()
            .map(|k| (k.address(), 1_000 * BTT))
            .collect();
        let mut state = delivery_app::genesis::default_app_state(&balances);
        patch(&mut state);
        let init = app.init_chain(init_request(&validators, &state)).unwrap();
        Self {
            app,
            validators,
            accounts,
            height: 0,
            power: 10,
            init,
            last_extended_commit: None,
            dir,
        }
    }

    /// A chain whose validator set comes from the staking module: the test validators are
    /// staking validators 1..=n (equal power: 1 each, signer keys from `signers`), and
    /// `patch` adjusts the app genesis further.
    pub fn build_staking(
        signers: &[SecretKey],
        accounts: Vec<SecretKey>,
        verifier: Arc<dyn SideTxVerifier>,
        patch: impl FnOnce(&mut serde_json::Value),
    ) -> Self {
        let n = signers.len();
        let staking = staking_genesis(signers);
        let mut chain = Self::build_with(n, accounts, verifier, None, |state| {
            state["staking"] = serde_json::to_value(&staking).unwrap();
            patch(state);
        });
        chain.power = 1;
        chain
    }

    /// Signs a vote extension as validator `i` would for `height`.
    pub fn signed_vote(&self, i: usize, height: i64, ext: Vec<u8>) -> pb::ExtendedVoteInfo {
        let key = &self.validators[i];
        let sb = delivery_abci::sign_bytes::vote_extension_sign_bytes(CHAIN_ID, height, 0, &ext);
        pb::ExtendedVoteInfo {
            validator: Some(pb::Validator {
                address: address_of(&key.verifying_key().to_bytes()).into(),
                power: self.power,
            }),
            vote_extension: ext.into(),
            extension_signature: key.sign(&sb).to_bytes().to_vec().into(),
            block_id_flag: 2,
        }
    }

    pub fn commit_info(ext: &pb::ExtendedCommitInfo) -> pb::CommitInfo {
        pb::CommitInfo {
            round: ext.round,
            votes: ext
                .votes
                .iter()
                .map(|v| pb::VoteInfo {
                    validator: v.validator.clone(),
                    block_id_flag: v.block_id_flag,
                })
                .collect(),
        }
    }

    /// PrepareProposal on the proposer with `txs` from the mempool.
    pub fn prepare(&self, txs: Vec<Vec<u8>>) -> Vec<prost::bytes::Bytes> {
        let h = self.height + 1;
        self.app
            .prepare_proposal(pb::RequestPrepareProposal {
                max_tx_bytes: 22_020_096,
                txs: txs.into_iter().map(Into::into).collect(),
                local_last_commit: self.last_extended_commit.clone(),
                misbehavior: vec![],
                height: h,
                time: Some(time(h)),
                next_validators_hash: vec![].into(),
                proposer_address: vec![].into(),
            })
            .unwrap()
            .txs
    }

    pub fn process(&self, txs: &[prost::bytes::Bytes]) -> bool {
        let h = self.height + 1;
        let status = self
            .app
            .process_proposal(pb::RequestProcessProposal {
                txs: txs.to_vec(),
                proposed_last_commit: self.last_extended_commit.as_ref().map(Self::commit_info),
                misbehavior: vec![],
                hash: block_hash(h).into(),
                height: h,
                time: Some(time(h)),
                next_validators_hash: vec![].into(),
                proposer_address: vec![].into(),
            })
            .unwrap()
            .status;
        status == pb::response_process_proposal::ProposalStatus::Accept as i32
    }

    /// ExtendVote on every validator (all the same app here), then FinalizeBlock and Commit.
    pub fn finalize(&mut self, txs: Vec<prost::bytes::Bytes>) -> pb::ResponseFinalizeBlock {
        let h = self.height + 1;
        let ext = self
            .app
            .extend_vote(pb::RequestExtendVote {
                hash: block_hash(h).into(),
                height: h,
                time: Some(time(h)),
                txs: txs.clone(),
                proposed_last_commit: None,
                misbehavior: vec![],
                next_validators_hash: vec![].into(),
                proposer_address: vec![].into(),
            })
            .unwrap()
            .vote_extension
            .to_vec();
        for i in 0..self.validators.len() {
            let verdict = self
                .app
                .verify_vote_extension(pb::RequestVerifyVoteExtension {
                    hash: block_hash(h).into(),
                    validator_address: vec![].into(),
                    height: h,
                    vote_extension: ext.clone().into(),
                })
                .unwrap();
            assert_eq!(
                verdict.status,
                pb::response_verify_vote_extension::VerifyStatus::Accept as i32,
                "validator {i}"
            );
        }
        let res = self
            .app
            .finalize_block(pb::RequestFinalizeBlock {
                txs,
                decided_last_commit: self.last_extended_commit.as_ref().map(Self::commit_info),
                misbehavior: vec![],
                hash: block_hash(h).into(),
                height: h,
                time: Some(time(h)),
                next_validators_hash: vec![].into(),
                proposer_address: vec![].into(),
            })
            .unwrap();
        self.app.commit(pb::RequestCommit {}).unwrap();
        let mut votes: Vec<pb::ExtendedVoteInfo> = (0..self.validators.len())
            .map(|i| self.signed_vote(i, h, ext.clone()))
            .collect();
        sort_by_address(&mut votes);
        self.last_extended_commit = Some(pb::ExtendedCommitInfo { round: 0, votes });
        self.height = h;
        res
    }

    /// A whole height: prepare, process, extend, finalize, commit.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> pb::ResponseFinalizeBlock {
        let proposal = self.prepare(txs);
        assert!(
            self.process(&proposal),
            "own proposal rejected at height {}",
            self.height + 1
        );
        self.finalize(proposal)
    }

    pub fn check_tx(&self, tx: &[u8]) -> pb::ResponseCheckTx {
        self.app
            .check_tx(pb::RequestCheckTx {
                tx: tx.to_vec().into(),
                r#type: pb::CheckTxType::New as i32,
            })
            .unwrap()
    }

    /// Pipelined CheckTx requests (tx, is a recheck), as the server hands them over.
    #[allow(dead_code)] // Not every test file batches.
    pub fn check_tx_batch(&self, txs: &[(Vec<u8>, bool)]) -> Vec<pb::ResponseCheckTx> {
        let reqs = txs
            .iter()
            .map(|(tx, recheck)| pb::RequestCheckTx {
                tx: tx.clone().into(),
                r#type: if *recheck {
                    pb::CheckTxType::Recheck as i32
                } else {
                    pb::CheckTxType::New as i32
                },
            })
            .collect();
        self.app.check_tx_batch(reqs).unwrap()
    }

    #[allow(dead_code)] // Not every test file rechecks.
    pub fn recheck_tx(&self, tx: &[u8]) -> pb::ResponseCheckTx {
        self.app
            .check_tx(pb::RequestCheckTx {
                tx: tx.to_vec().into(),
                r#type: pb::CheckTxType::Recheck as i32,
            })
            .unwrap()
    }

    pub fn app_hash(&self) -> Vec<u8> {
        self.app
            .info(pb::RequestInfo::default())
            .unwrap()
            .last_block_app_hash
            .to_vec()
    }

    pub fn query_json(&self, path: &str, data: &[u8]) -> serde_json::Value {
        let r = self
            .app
            .query(pb::RequestQuery {
                data: data.to_vec().into(),
                path: path.into(),
                height: 0,
                prove: false,
            })
            .unwrap();
        assert_eq!(r.code, 0, "{path}: {}", r.log);
        serde_json::from_slice(&r.value).unwrap()
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.query_json("custom/bank/balance", a.to_string().as_bytes())["amount"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn sequence(&self, a: &Address) -> u64 {
        self.query_json("custom/auth/account", a.to_string().as_bytes())["sequence"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn account_number(&self, a: &Address) -> u64 {
        self.query_json("custom/auth/account", a.to_string().as_bytes())["account_number"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// A signed bank send from account `from` (by index) to `to`.
    pub fn send(&self, from: usize, to: Address, amount: u128, sequence: u64) -> Vec<u8> {
        let key = &self.accounts[from];
        self.send_with(
            key,
            CHAIN_ID,
            self.account_number(&key.address()),
            sequence,
            to,
            amount,
            1_000_000_000_000_000,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn send_with(
        &self,
        key: &SecretKey,
        chain_id: &str,
        account_number: u64,
        sequence: u64,
        to: Address,
        amount: u128,
        fee: u128,
    ) -> Vec<u8> {
        let msg = delivery_bank::MsgSend {
            from_address: key.address().to_string(),
            to_address: to.to_string(),
            amount: amount.to_string(),
        };
        delivery_auth::build_signed_tx(
            key,
            &delivery_auth::SignerData {
                chain_id: chain_id.into(),
                account_number,
                sequence,
            },
            &[delivery_auth::AnyMsg::pack(&msg)],
            fee,
            200_000,
            "",
        )
    }
}

/// The ed25519 key of test validator `i` (as [`TestChain`] makes them).
pub fn validator_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[i as u8 + 1; 32])
}

/// A staking genesis with test validators `1..=signers.len()` (consensus key
/// [`validator_key`]`(i)`, 1000 BTT, active from epoch 1).
pub fn staking_genesis(signers: &[SecretKey]) -> delivery_staking::Genesis {
    delivery_staking::Genesis {
        validators: signers
            .iter()
            .enumerate()
            .map(|(i, s)| delivery_staking::Validator {
                id: i as u64 + 1,
                signer: s.address(),
                signer_pubkey: s.public_key().to_uncompressed(),
                consensus_pubkey: validator_key(i).verifying_key().to_bytes(),
                stake: 1_000 * BTT,
                start_epoch: 1,
                end_epoch: 0,
                nonce: 1,
            })
            .collect(),
        ..delivery_staking::Genesis::default()
    }
}

pub fn encode<M: prost::Message>(m: &M) -> Vec<u8> {
    m.encode_to_vec()
}

/// A made-up 32-byte value: `keccak256("<tag> <n>")`.
pub fn h256(tag: &str, n: u64) -> [u8; 32] {
    delivery_module::crypto::keccak256(format!("{tag} {n}").as_bytes())
}

/// `0x` hex.
pub fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

/// The headers of BTTC blocks `0..=last` as Delivery records them (block 0: the genesis, zero
/// roots; the others made up).
pub fn bttc_headers(last: u64) -> Vec<delivery_checkpoint::Header> {
    (0..=last)
        .map(|n| delivery_checkpoint::Header {
            number: n,
            timestamp: 1_600_000_000 + 2 * n,
            transactions_root: if n == 0 { [0; 32] } else { h256("tx", n) },
            receipts_root: if n == 0 { [0; 32] } else { h256("receipts", n) },
        })
        .collect()
}

/// The app genesis's `bttc` section recording `headers` (the first is the genesis block) as
/// finalized BTTC blocks.
pub fn bttc_section(headers: &[delivery_checkpoint::Header]) -> serde_json::Value {
    let blocks: Vec<serde_json::Value> = headers
        .iter()
        .skip(1)
        .map(|h| {
            serde_json::json!({
                "number": h.number,
                "hash": hex0x(&h256("block", h.number)),
                "parent_hash": hex0x(&h256("block", h.number - 1)),
                "timestamp": h.timestamp,
                "transactions_root": hex0x(&h.transactions_root),
                "receipts_root": hex0x(&h.receipts_root),
                "state_root": hex0x(&h256("state", h.number)),
                "producer": "0x0000000000000000000000000000000000000000",
                "delivery_height": 0,
            })
        })
        .collect();
    serde_json::json!({
        "genesis": {
            "genesis_hash": hex0x(&h256("block", 0)),
            "genesis_state_root": hex0x(&[0; 32]),
            "genesis_timestamp": headers[0].timestamp,
        },
        "blocks": blocks,
        "last_state_id": 0,
    })
}

/// A rootchain genesis listing `chains` (the first holds staking), each with a RootChain
/// contract, so checkpoints are made for every one.
pub fn checkpointed_root_chains(chains: &[&str]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = chains
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let byte = 0x10 + 4 * i as u8;
            let mut c = serde_json::json!({
                "name": name, "kind": "eth", "chain_id": 31337 + i as u64,
                "state_sender": hex0x(&[byte; 20]),
                "root_chain_manager": hex0x(&[byte + 1; 20]),
                "root_chain_contract": hex0x(&[byte + 2; 20]),
                "confirmations": 2,
            });
            if i == 0 {
                c["stake_manager"] = hex0x(&[byte + 3; 20]).into();
            }
            c
        })
        .collect();
    serde_json::json!({"params": {"chains": list, "staking_chain": chains[0]}})
}

impl TestChain {
    /// A tx of `msgs` signed by `key` (its account on this chain, `sequence`), minimum fee.
    pub fn signed_tx(
        &self,
        key: &SecretKey,
        sequence: u64,
        msgs: &[delivery_auth::AnyMsg],
    ) -> Vec<u8> {
        delivery_auth::build_signed_tx(
            key,
            &delivery_auth::SignerData {
                chain_id: CHAIN_ID.into(),
                account_number: self.account_number(&key.address()),
                sequence,
            },
            msgs,
            1_000_000_000_000_000,
            400_000,
            "",
        )
    }
}
