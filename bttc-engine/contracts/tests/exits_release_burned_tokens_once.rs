//! Withdrawals end to end on two in-process engines: a root chain (TestToken, StateSender,
//! RootChainManager with its predicate, RootChain) and a BTTC chain. A deposit reaches BTTC as
//! state-sync records; the holder burns the child token with `withdraw` in a block of many
//! transactions; the block is checkpointed on the root chain (its real header fields among
//! made-up leaves, signed by 3 of 4 validators); the exit payload built by
//! `bttc_engine_contracts::exit` makes `RootChainManager.exit` release the tokens to the
//! burner, once. Every mutation of the payload (block proof, receipt proof, receipt, branch
//! mask in Polygon's 2021 double-spend encodings, log index) and every receipt that is not a
//! mapped token's successful burn is refused with its error. Tries with embedded nodes and an
//! extension node exercise the whole MerklePatriciaProof reader. The gas of an exit is measured.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_rlp::Header;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall as _, SolValue as _};
use bttc_engine_api::{Engine as _, ExecutablePayload, TxCheck};
use bttc_engine_contracts::abi::{
    IChildERC20, IERC20Predicate, IRootChainManager, IStateSender, IERC20,
};
use bttc_engine_contracts::checkpoint::{
    account_root, block_leaf, checkpoint_root, merkle_proof, root_chain_init_code, submission_sigs,
    IRootChain, SignData,
};
use bttc_engine_contracts::exit::{
    branch_mask, exit_key, receipt_burns, receipt_proof, trie_proof, ExitPayload,
    IRootChainManagerExit as Exit, ReceiptProof, TRANSFER_TOPIC,
};
use bttc_engine_contracts::{
    child_token_address, deposit_payload, map_token_payload, CHILD_CHAIN_MANAGER_ADDRESS,
};
use bttc_engine_executor::StoredReceipts;
use common::chain::{error, Chain};
use common::root::{bridge, Bridge};
use common::{genesis, key, record, CHAIN_ID};

/// The BTTC chain id the checkpoints name.
const BTTC: u64 = CHAIN_ID;
/// Another root chain, whose child token this root chain's manager does not know.
const OTHER_ROOT_CHAIN: u64 = 728_126_428;
/// Amount deposited for alice.
const DEPOSIT: u64 = 2500;
/// The main burn.
const BURN: u64 = 1000;
/// The burn in the block of 140 transactions.
const LATE_BURN: u64 = 500;
/// Checkpointed BTTC blocks: 0..=7.
const CHECKPOINT_END: u64 = 7;
/// Made-up blocks whose receipts roots are tries with short values.
const EMBEDDED_BLOCK: u64 = 4;
const EXTENSION_BLOCK: u64 = 5;

/// A BTTC block as the checkpoint and the payloads see it.
#[derive(Clone)]
struct Block {
    number: u64,
    time: u64,
    tx_root: B256,
    receipts_root: B256,
}

impl Block {
    fn of(p: &ExecutablePayload) -> Self {
        Self {
            number: p.block_number,
            time: p.timestamp,
            tx_root: B256::from(p.transactions_root().0),
            receipts_root: B256::from(p.receipts_root.0),
        }
    }

    fn made_up(number: u64, receipts_root: B256) -> Self {
        Self {
            number,
            time: 1_700_000_000 + number,
            tx_root: keccak256(format!("tx root {number}")),
            receipts_root,
        }
    }

    fn leaf(&self) -> B256 {
        block_leaf(self.number, self.time, self.tx_root, self.receipts_root)
    }
}

/// The BTTC side: an engine whose blocks hold several transactions each.
struct Bttc {
    chain: Chain,
    nonces: BTreeMap<Address, u64>,
}

impl Bttc {
    fn new() -> Self {
        let mut g = genesis(&[]);
        for n in 3..=5 {
            g["alloc"][format!("{:#x}", key(n).address())] =
                serde_json::json!({ "balance": "0x3635c9adc5dea00000" });
        }
        Self {
            chain: Chain::new(&g, false),
            nonces: BTreeMap::new(),
        }
    }

    fn nonce(&mut self, from: &PrivateKeySigner) -> u64 {
        let n = self.nonces.entry(from.address()).or_insert(0);
        *n += 1;
        *n - 1
    }

    /// A type-2 call.
    fn call(&mut self, from: &PrivateKeySigner, to: Address, input: Vec<u8>) -> Vec<u8> {
        let nonce = self.nonce(from);
        bttc_engine_testkit::tx1559(from, nonce, TxKind::Call(to), 0, 200_000, input)
    }

    /// A legacy transaction (5 gwei: ahead of the type-2 ones, which tip 1 gwei).
    fn legacy(
        &mut self,
        from: &PrivateKeySigner,
        to: Address,
        value: u64,
        input: Vec<u8>,
    ) -> Vec<u8> {
        let nonce = self.nonce(from);
        let gas = if input.is_empty() { 21_000 } else { 200_000 };
        bttc_engine_testkit::legacy_tx(
            from,
            Some(CHAIN_ID),
            nonce,
            TxKind::Call(to),
            value,
            gas,
            input,
        )
    }

    /// Mines `txs` in one block; returns the block and its receipts.
    fn mine(&mut self, txs: &[Vec<u8>]) -> (ExecutablePayload, StoredReceipts) {
        for raw in txs {
            match self.chain.engine.check_tx(raw).unwrap() {
                TxCheck::Accepted(_) => {}
                other => panic!("transaction refused by the pool: {other:?}"),
            }
        }
        let ts = self.chain.engine.head().unwrap().timestamp + 2;
        let p = common::build_and_import(&self.chain.engine, &[], ts, vec![], None);
        assert_eq!(
            p.transactions.len(),
            txs.len(),
            "every transaction is in the block"
        );
        let receipts = self.chain.engine.receipts(p.block_hash).unwrap().unwrap();
        (p, receipts)
    }
}

/// The index of the transaction `raw` in the block.
fn index_of(receipts: &StoredReceipts, raw: &[u8]) -> u64 {
    receipts
        .tx_hashes
        .iter()
        .position(|h| *h == keccak256(raw))
        .expect("transaction in the block") as u64
}

fn withdraw(amount: u64) -> Vec<u8> {
    IChildERC20::withdrawCall {
        amount: U256::from(amount),
    }
    .abi_encode()
}

/// The four checkpoint validators, sorted by address.
fn validators() -> Vec<PrivateKeySigner> {
    let mut keys: Vec<PrivateKeySigner> = (11..=14).map(key).collect();
    keys.sort_by_key(|k| k.address());
    keys
}

/// The top-level items of an RLP list, each as its full encoding.
fn items(list: &[u8]) -> Vec<Vec<u8>> {
    let mut buf = list;
    let h = Header::decode(&mut buf).unwrap();
    assert!(h.list);
    let mut out = Vec::new();
    while !buf.is_empty() {
        let start = buf;
        let ih = Header::decode(&mut buf).unwrap();
        let total = start.len() - buf.len() + ih.payload_length;
        out.push(start[..total].to_vec());
        buf = &start[total..];
    }
    out
}

/// An RLP list of already-encoded items.
fn list(items: &[Vec<u8>]) -> Bytes {
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length: items.iter().map(Vec::len).sum(),
    }
    .encode(&mut out);
    for item in items {
        out.extend_from_slice(item);
    }
    out.into()
}

fn rlp<T: alloy_rlp::Encodable + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// The root chain with its bridge, RootChain and the accepted checkpoint.
struct Root {
    b: Bridge,
    rc: Address,
    leaves: Vec<B256>,
}

impl Root {
    fn exit_call(payload: &ExitPayload) -> Exit::exitCall {
        Exit::exitCall {
            inputData: payload.encode(),
        }
    }

    /// `exit(raw)` from key 1 fails; its revert data.
    fn refuse_raw(&mut self, raw: Bytes) -> Bytes {
        self.b
            .chain
            .exec_fails(&key(1), self.b.rcm, Exit::exitCall { inputData: raw })
    }

    fn refuse(&mut self, payload: &ExitPayload) -> Bytes {
        self.refuse_raw(payload.encode())
    }

    /// The payload of the burn at `log_index` of the receipt `proof` proves in `block`.
    fn payload(&self, block: &Block, proof: &ReceiptProof, log_index: u64) -> ExitPayload {
        let index = usize::try_from(block.number).unwrap();
        ExitPayload::new(
            1,
            merkle_proof(&self.leaves, index).unwrap(),
            block.number,
            block.time,
            block.tx_root,
            proof,
            log_index,
        )
    }

    fn balance(&self, who: Address) -> U256 {
        self.b
            .chain
            .view(self.b.token, IERC20::balanceOfCall { holder: who })
    }

    /// Exits `payload` (sent by key 1); checks the events and balances; returns the gas used.
    fn exit_ok(
        &mut self,
        payload: &ExitPayload,
        child: Address,
        from: Address,
        amount: u64,
    ) -> u64 {
        let (token, rcm, predicate) = (self.b.token, self.b.rcm, self.b.predicate);
        let amount = U256::from(amount);
        let exit_key = payload.exit_key().unwrap();
        assert!(!self
            .b
            .chain
            .view(rcm, Exit::processedExitsCall { exitKey: exit_key }));
        let (before, locked) = (self.balance(from), self.balance(predicate));
        let out = self.b.chain.exec(&key(1), rcm, Self::exit_call(payload));
        assert_eq!(
            out.event::<Exit::ExitProcessed>(rcm),
            Exit::ExitProcessed {
                exitKey: exit_key,
                exitor: from,
                rootToken: token,
                childToken: child,
                amount,
            }
        );
        assert_eq!(
            out.event::<IERC20Predicate::ExitedERC20>(predicate),
            IERC20Predicate::ExitedERC20 {
                exitor: from,
                rootToken: token,
                amount,
            }
        );
        assert_eq!(
            out.event::<IERC20::Transfer>(token),
            IERC20::Transfer {
                from: predicate,
                to: from,
                value: amount,
            }
        );
        assert_eq!(self.balance(from), before + amount);
        assert_eq!(self.balance(predicate), locked - amount);
        assert!(self
            .b
            .chain
            .view(rcm, Exit::processedExitsCall { exitKey: exit_key }));
        let head = self.b.chain.engine.head().unwrap();
        let receipts = self.b.chain.engine.receipts(head.hash).unwrap().unwrap();
        receipts.receipts[0].cumulative_gas_used()
    }
}

#[test]
fn a_burn_on_bttc_exits_once_on_the_root_chain_and_every_forgery_is_refused() {
    let (owner, alice) = (key(1), key(2));
    let bob = key(3).address();

    // Root chain: map the token, deposit for alice.
    let mut b = bridge(true);
    let (rcm, token) = (b.rcm, b.token);
    let mut synced = Vec::new();
    let out = b.chain.exec(
        &owner,
        rcm,
        IRootChainManager::mapTokenCall { rootToken: token },
    );
    synced.push(out.event::<IStateSender::StateSynced>(b.ss));
    b.chain.exec(
        &alice,
        token,
        IERC20::approveCall {
            spender: b.predicate,
            value: U256::from(DEPOSIT),
        },
    );
    let out = b.chain.exec(
        &alice,
        rcm,
        IRootChainManager::depositForCall {
            user: alice.address(),
            rootToken: token,
            depositData: U256::from(DEPOSIT).abi_encode().into(),
        },
    );
    synced.push(out.event::<IStateSender::StateSynced>(b.ss));

    // BTTC block 1: the two records, and a token of another root chain mapped and deposited.
    let mut bttc = Bttc::new();
    let mut records: Vec<_> = synced
        .iter()
        .map(|e| record(e.id.to(), e.contractAddress, &e.data))
        .collect();
    records.push(record(
        3,
        CHILD_CHAIN_MANAGER_ADDRESS,
        &map_token_payload(OTHER_ROOT_CHAIN, token, "Tron Token", "TRT", 18),
    ));
    records.push(record(
        4,
        CHILD_CHAIN_MANAGER_ADDRESS,
        &deposit_payload(OTHER_ROOT_CHAIN, alice.address(), token, U256::from(700)),
    ));
    bttc.chain.records(records);
    let child = child_token_address(CHAIN_ID, token).unwrap();
    let other_child = child_token_address(OTHER_ROOT_CHAIN, token).unwrap();
    let child_balance = |bttc: &Bttc, token: Address, who: Address| -> U256 {
        bttc.chain
            .view(token, IERC20::balanceOfCall { holder: who })
    };
    assert_eq!(
        child_balance(&bttc, child, alice.address()),
        U256::from(DEPOSIT)
    );
    assert_eq!(
        child_balance(&bttc, other_child, alice.address()),
        U256::from(700)
    );

    // BTTC block 2: 16 legacy transfers by key 1 (they pay more, so they come first), then
    // alice's transactions: a transfer, an approval, the burn, a failing burn, a burn of the
    // other root chain's token, a second burn.
    let mut txs: Vec<Vec<u8>> = (0..16u8)
        .map(|i| bttc.legacy(&owner, Address::repeat_byte(0x40 + i), 1, vec![]))
        .collect();
    let transfer_tx = bttc.call(
        &alice,
        child,
        IERC20::transferCall {
            to: bob,
            value: U256::from(100),
        }
        .abi_encode(),
    );
    let approve_tx = bttc.call(
        &alice,
        child,
        IERC20::approveCall {
            spender: bob,
            value: U256::from(5),
        }
        .abi_encode(),
    );
    let burn_tx = bttc.call(&alice, child, withdraw(BURN));
    let failing_tx = bttc.call(&alice, child, withdraw(1_000_000));
    let other_tx = bttc.call(&alice, other_child, withdraw(300));
    let second_tx = bttc.call(&alice, child, withdraw(1));
    txs.extend([
        transfer_tx.clone(),
        approve_tx.clone(),
        burn_tx.clone(),
        failing_tx.clone(),
        other_tx.clone(),
        second_tx.clone(),
    ]);
    let (block2, receipts2) = bttc.mine(&txs);
    let plain_tx = txs[0].clone();
    assert_eq!(receipts2.receipts.len(), 22);
    let burn_index = index_of(&receipts2, &burn_tx);
    assert_eq!(burn_index, 18, "the burn is the 19th of 22 receipts");
    let rcpt = &receipts2.receipts;
    assert!(rcpt[burn_index as usize].status());
    assert!(!rcpt[index_of(&receipts2, &failing_tx) as usize].status());
    assert_eq!(
        receipt_burns(&rcpt[burn_index as usize])
            .iter()
            .map(|b| (b.log_index, b.token, b.from, b.amount))
            .collect::<Vec<_>>(),
        vec![(0, child, alice.address(), U256::from(BURN))]
    );
    assert_eq!(
        child_balance(&bttc, child, alice.address()),
        U256::from(DEPOSIT - 100 - BURN - 1)
    );

    // BTTC block 3: 139 legacy transfers by keys 3, 4, 5, then alice's legacy burn: receipt 139
    // of 140, under an extension node of the receipts trie.
    let mut txs = Vec::new();
    for (n, count) in [(3u8, 47u8), (4, 46), (5, 46)] {
        for i in 0..count {
            let raw = bttc.legacy(&key(n), Address::repeat_byte(i), 1, vec![]);
            txs.push(raw);
        }
    }
    let late_tx = bttc.legacy(&alice, child, 0, withdraw(LATE_BURN));
    txs.push(late_tx.clone());
    let (block3, receipts3) = bttc.mine(&txs);
    let late_index = index_of(&receipts3, &late_tx);
    assert_eq!((late_index, receipts3.receipts.len()), (139, 140));
    assert!(receipts3.receipts[139].status());

    // The receipt proofs: the roots are the blocks' receipts roots.
    let proof = |receipts: &StoredReceipts, payload: &ExecutablePayload, raw: &[u8]| {
        let p = receipt_proof(&receipts.receipts, index_of(receipts, raw)).unwrap();
        p.check_root(B256::from(payload.receipts_root.0)).unwrap();
        p
    };
    let burn_proof = proof(&receipts2, &block2, &burn_tx);
    assert_eq!(burn_proof.nodes.len(), 3, "branch, branch, leaf");
    assert_eq!(burn_proof.receipt[0], 2, "a type-2 receipt");
    let late_proof = proof(&receipts3, &block3, &late_tx);
    assert_eq!(
        late_proof.nodes.len(),
        5,
        "branch, branch, extension, branch, leaf"
    );
    assert!(late_proof.receipt[0] >= 0xc0, "a legacy receipt");

    // Made-up blocks whose receipts tries have short values: every node below the root is
    // embedded in its parent (block 4), an extension at the root (block 5).
    let short = |pairs: &[(u64, &[u8])]| -> BTreeMap<Vec<u8>, Vec<u8>> {
        pairs
            .iter()
            .map(|(i, v)| (branch_mask(*i).to_vec(), v.to_vec()))
            .collect()
    };
    let embedded = short(&[(0, b"a"), (1, b"b"), (2, b"c")]);
    let extension = short(&[(128, b"\x81"), (129, b"\x82")]);
    let (embedded_root, _) = trie_proof(&embedded, &branch_mask(1)).unwrap();
    let (extension_root, nodes) = trie_proof(&extension, &branch_mask(129)).unwrap();
    assert!(
        nodes[0].len() < 32,
        "a root node shorter than a hash is still hashed"
    );

    // The checkpoint: blocks 0..=7, the real blocks 2 and 3 among made-up ones.
    let blocks: Vec<Block> = (0..=CHECKPOINT_END)
        .map(|n| match n {
            2 => Block::of(&block2),
            3 => Block::of(&block3),
            EMBEDDED_BLOCK => Block::made_up(n, embedded_root),
            EXTENSION_BLOCK => Block::made_up(n, extension_root),
            _ => Block::made_up(n, keccak256(format!("receipts {n}"))),
        })
        .collect();
    let leaves: Vec<B256> = blocks.iter().map(Block::leaf).collect();
    let v = validators();
    let set: Vec<(Address, U256)> = v.iter().map(|k| (k.address(), U256::from(10))).collect();
    let init = root_chain_init_code(
        BTTC,
        &v.iter().map(|k| k.address()).collect::<Vec<_>>(),
        &[U256::from(10); 4],
    )
    .unwrap();
    let rc = b.chain.deploy(&owner, init);
    let d = SignData {
        proposer: v[0].address(),
        start: 0,
        end: CHECKPOINT_END,
        root: checkpoint_root(&leaves).unwrap(),
        account_root: account_root(&set),
        bttc_chain_id: BTTC,
    };
    let hash = d.sign_hash();
    let raw: Vec<[u8; 65]> = v[..3]
        .iter()
        .map(|k| k.sign_hash_sync(&hash).unwrap().as_bytes())
        .collect();
    let sigs = submission_sigs(hash, &raw)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    b.chain.exec(
        &key(2),
        rc,
        IRootChain::submitCheckpointCall {
            data: d.encode(),
            sigs,
        },
    );
    let mut root = Root { b, rc, leaves };
    let good = root.payload(&blocks[2], &burn_proof, 0);
    assert_eq!(good.exit_key(), Some(exit_key(2, 18, 0)));

    // Before setRootChain nothing exits.
    let reason = root.refuse(&good);
    error::<Exit::RootChainNotSet>(&reason);
    // setRootChain: owner only, once, a contract.
    let set_rc = |rc| Exit::setRootChainCall { rootChain: rc };
    let reason = root.b.chain.exec_fails(&alice, rcm, set_rc(root.rc));
    assert_eq!(
        error::<Exit::NotOwner>(&reason),
        Exit::NotOwner {
            caller: alice.address(),
            owner: owner.address()
        }
    );
    error::<Exit::ZeroAddress>(&root.b.chain.exec_fails(&owner, rcm, set_rc(Address::ZERO)));
    assert_eq!(
        error::<Exit::RootChainHasNoCode>(&root.b.chain.exec_fails(&owner, rcm, set_rc(bob)))
            .rootChain,
        bob
    );
    let out = root.b.chain.exec(&owner, rcm, set_rc(root.rc));
    assert_eq!(out.event::<Exit::RootChainSet>(rcm).rootChain, root.rc);
    assert_eq!(root.b.chain.view(rcm, Exit::rootChainCall {}), root.rc);
    assert_eq!(
        error::<Exit::RootChainAlreadySet>(&root.b.chain.exec_fails(&owner, rcm, set_rc(token)))
            .current,
        root.rc
    );

    // The payload's shape.
    let fields = items(&good.encode());
    assert_eq!(fields.len(), 10);
    let mut eleven = fields.clone();
    eleven.push(rlp(&0u64));
    assert_eq!(
        error::<Exit::ExitPayloadFieldCount>(&root.refuse_raw(list(&eleven))),
        Exit::ExitPayloadFieldCount {
            expected: U256::from(10),
            found: U256::from(11)
        }
    );
    assert_eq!(
        error::<Exit::ExitPayloadFieldCount>(&root.refuse_raw(list(&fields[..9]))).found,
        U256::from(9)
    );
    let mut trailing = good.encode().to_vec();
    trailing.push(0x80);
    error::<Exit::RLPTrailingBytes>(&root.refuse_raw(trailing.into()));

    // Branch masks other than rlp(18) = 0x12: Polygon's hex-prefixed path 0x00 ‖ 0x12 and its
    // other first nibbles, and longer encodings of 18.
    let with_mask = |mask: &[u8]| {
        let mut p = good.clone();
        p.branch_mask = Bytes::copy_from_slice(mask);
        p
    };
    let polygon_variants: [&[u8]; 5] = [
        b"\x00\x12",
        b"\x10\x12",
        b"\x20\x12",
        b"\x30\x12",
        b"\x12\x12",
    ];
    let longer_variants: [&[u8]; 3] = [
        b"\x81\x12",
        b"\x82\x00\x12",
        b"\x88\x00\x00\x00\x00\x00\x00\x00\x12",
    ];
    let refuse_masks = |root: &mut Root| {
        for mask in polygon_variants {
            assert_eq!(
                error::<Exit::BadBranchMask>(&root.refuse(&with_mask(mask))).found,
                Bytes::copy_from_slice(mask)
            );
        }
        for mask in longer_variants {
            assert_eq!(
                error::<Exit::NonCanonicalBranchMask>(&root.refuse(&with_mask(mask))),
                Exit::NonCanonicalBranchMask {
                    expected: Bytes::from_static(b"\x12"),
                    found: Bytes::copy_from_slice(mask)
                }
            );
        }
    };
    refuse_masks(&mut root);
    // A canonical mask of another transaction (17, the approval) walks to another leaf.
    let reason = root.refuse(&with_mask(b"\x11"));
    assert_eq!(
        error::<Exit::MPTNodeHashMismatch>(&reason).index,
        U256::from(2)
    );

    // The block proof.
    let mut p = good.clone();
    p.header_block_id = 2;
    assert_eq!(
        error::<Exit::UnknownCheckpoint>(&root.refuse(&p)),
        Exit::UnknownCheckpoint {
            headerBlockId: U256::from(2),
            current: U256::from(1)
        }
    );
    p.header_block_id = 0;
    error::<Exit::UnknownCheckpoint>(&root.refuse(&p));
    let mut p = good.clone();
    p.block_number = CHECKPOINT_END + 1;
    assert_eq!(
        error::<Exit::BlockNotInCheckpoint>(&root.refuse(&p)),
        Exit::BlockNotInCheckpoint {
            blockNumber: U256::from(CHECKPOINT_END + 1),
            start: U256::ZERO,
            end: U256::from(CHECKPOINT_END)
        }
    );
    let checkpoint_root = checkpoint_root(&root.leaves).unwrap();
    let mutations: Vec<(&str, ExitPayload)> = vec![
        ("block time", {
            let mut p = good.clone();
            p.block_time += 1;
            p
        }),
        ("tx root", {
            let mut p = good.clone();
            p.tx_root = B256::repeat_byte(7);
            p
        }),
        ("receipts root", {
            let mut p = good.clone();
            p.receipts_root = B256::repeat_byte(7);
            p
        }),
        ("a sibling", {
            let mut p = good.clone();
            p.block_proof[1].0[31] ^= 1;
            p
        }),
        ("the block number (another leaf of the same checkpoint)", {
            let mut p = good.clone();
            p.block_number = 6;
            p
        }),
    ];
    for (what, p) in &mutations {
        let e = error::<Exit::BlockProofMismatch>(&root.refuse(p));
        assert_eq!(e.expected, checkpoint_root, "{what}");
        assert_ne!(e.found, checkpoint_root, "{what}");
    }
    let mut p = good.clone();
    p.block_proof.pop();
    assert_eq!(
        error::<Exit::BlockProofLength>(&root.refuse(&p)),
        Exit::BlockProofLength {
            expected: U256::from(3),
            found: U256::from(2)
        }
    );
    let mut raw = fields.clone();
    let mut words = good
        .block_proof
        .iter()
        .flat_map(|w| w.0)
        .collect::<Vec<u8>>();
    words.push(0);
    raw[1] = rlp(words.as_slice());
    assert_eq!(
        error::<Exit::BlockProofNotWords>(&root.refuse_raw(list(&raw))).length,
        U256::from(97)
    );

    // The receipt proof.
    let mut p = good.clone();
    let mut leaf = p.receipt_proof[2].to_vec();
    let last = leaf.len() - 1;
    leaf[last] ^= 1;
    p.receipt_proof[2] = leaf.clone().into();
    let e = error::<Exit::MPTNodeHashMismatch>(&root.refuse(&p));
    assert_eq!(
        (e.index, e.found),
        (U256::from(2), keccak256(&leaf)),
        "a mutated leaf"
    );
    let mut p = good.clone();
    let mut node = p.receipt_proof[0].to_vec();
    node[5] ^= 1;
    p.receipt_proof[0] = node.clone().into();
    assert_eq!(
        error::<Exit::MPTNodeHashMismatch>(&root.refuse(&p)),
        Exit::MPTNodeHashMismatch {
            index: U256::ZERO,
            expected: good.receipts_root,
            found: keccak256(&node)
        },
        "a mutated root node"
    );
    let mut p = good.clone();
    p.receipt_proof.pop();
    assert_eq!(
        error::<Exit::MPTProofTooShort>(&root.refuse(&p)).nodes,
        U256::from(2)
    );
    let mut p = good.clone();
    p.receipt_proof.push(p.receipt_proof[0].clone());
    assert_eq!(
        error::<Exit::MPTExtraNodes>(&root.refuse(&p)),
        Exit::MPTExtraNodes {
            used: U256::from(3),
            given: U256::from(4)
        }
    );
    let mut p = good.clone();
    p.receipt_proof.swap(1, 2);
    assert_eq!(
        error::<Exit::MPTNodeHashMismatch>(&root.refuse(&p)).index,
        U256::from(1)
    );
    // The receipt itself: a larger amount (the last 32 bytes are the log's data).
    let mut p = good.clone();
    let mut forged = p.receipt.to_vec();
    let last = forged.len() - 1;
    forged[last] = 0xff;
    p.receipt = forged.clone().into();
    assert_eq!(
        error::<Exit::MPTValueMismatch>(&root.refuse(&p)),
        Exit::MPTValueMismatch {
            expected: keccak256(&forged),
            found: keccak256(&good.receipt)
        }
    );
    // Another transaction's receipt with the burn's proof.
    let mut p = good.clone();
    p.receipt = rcpt_bytes(&receipts2, 19);
    error::<Exit::MPTValueMismatch>(&root.refuse(&p));

    // Receipts that are not a mapped token's successful burn, each with its own good proof.
    let at = |root: &Root, raw: &[u8], log: u64| {
        root.payload(&blocks[2], &proof(&receipts2, &block2, raw), log)
    };
    assert_eq!(
        error::<Exit::LogIndexOutOfRange>(&root.refuse(&at(&root, &burn_tx, 1))),
        Exit::LogIndexOutOfRange {
            logIndex: U256::from(1),
            logCount: U256::from(1)
        }
    );
    assert_eq!(
        error::<Exit::NotABurn>(&root.refuse(&at(&root, &transfer_tx, 0))).to,
        bob
    );
    assert_eq!(
        error::<Exit::NotATransferLog>(&root.refuse(&at(&root, &approve_tx, 0))),
        Exit::NotATransferLog {
            expected: TRANSFER_TOPIC,
            found: keccak256("Approval(address,address,uint256)"),
            topicCount: U256::from(3)
        }
    );
    assert_eq!(
        error::<Exit::ReceiptFailed>(&root.refuse(&at(&root, &failing_tx, 0))).status,
        U256::ZERO
    );
    assert_eq!(
        error::<Exit::ChildTokenNotMapped>(&root.refuse(&at(&root, &other_tx, 0))).childToken,
        other_child
    );
    assert_eq!(
        error::<Exit::LogIndexOutOfRange>(&root.refuse(&at(&root, &plain_tx, 0))).logCount,
        U256::ZERO,
        "a plain transfer has no logs"
    );

    // Where the gas of a refused exit goes (eth_call, intrinsic gas included): refused at the
    // branch mask, at the block proof, at the receipt proof's leaf, at the receipt's value,
    // and with everything checked but the token's mapping.
    let stages: [(&str, ExitPayload, [u8; 4]); 5] = [
        (
            "branch mask",
            with_mask(b"\x00\x12"),
            selector::<Exit::BadBranchMask>(),
        ),
        (
            "block proof",
            mutations[0].1.clone(),
            selector::<Exit::BlockProofMismatch>(),
        ),
        (
            "receipt proof leaf",
            {
                let mut p = good.clone();
                p.receipt_proof[2] = p.receipt_proof[0].clone();
                p
            },
            selector::<Exit::MPTNodeHashMismatch>(),
        ),
        (
            "receipt value",
            {
                let mut p = good.clone();
                p.receipt = forged.clone().into();
                p
            },
            selector::<Exit::MPTValueMismatch>(),
        ),
        (
            "token mapping",
            at(&root, &other_tx, 0),
            selector::<Exit::ChildTokenNotMapped>(),
        ),
    ];
    for (stage, p, expected) in stages {
        let (output, gas) = revert_gas(&root, &p);
        assert_eq!(output[..4], expected, "{stage}");
        println!("refused at the {stage}: {gas} gas");
    }

    // The burn exits: alice gets her tokens back, whoever sends the exit.
    assert_eq!(
        root.b.chain.view(
            rcm,
            Exit::exitKeyCall {
                blockNumber: U256::from(2),
                txIndex: U256::from(18),
                logIndex: U256::ZERO
            }
        ),
        exit_key(2, 18, 0)
    );
    let gas = root.exit_ok(&good, child, alice.address(), BURN);
    println!(
        "exit gas, receipt 18 of 22 (3 trie nodes), 3 checkpoint siblings: {gas} \
         (payload {} bytes, transaction data gas {})",
        good.encode().len(),
        data_gas(&Root::exit_call(&good).abi_encode())
    );
    assert!(gas < 350_000, "{gas}");

    // Once: the same payload, and every other encoding of its branch mask, is refused.
    assert_eq!(
        error::<Exit::ExitAlreadyProcessed>(&root.refuse(&good)).exitKey,
        exit_key(2, 18, 0)
    );
    refuse_masks(&mut root);
    // Nor does another valid-looking route to the same burn help: same key.
    let mut p = good.clone();
    p.receipt_proof = burn_proof.nodes.clone();
    error::<Exit::ExitAlreadyProcessed>(&root.refuse(&p));

    // Another burn of the same block is another exit.
    let second = at(&root, &second_tx, 0);
    assert_eq!(second.exit_key(), Some(exit_key(2, 21, 0)));
    root.exit_ok(&second, child, alice.address(), 1);

    // Receipt 139 of 140 (legacy, under an extension node) in block 3.
    let late = root.payload(&blocks[3], &late_proof, 0);
    let gas = root.exit_ok(&late, child, alice.address(), LATE_BURN);
    println!(
        "exit gas, legacy receipt 139 of 140 (5 trie nodes): {gas} (payload {} bytes, \
         transaction data gas {})",
        late.encode().len(),
        data_gas(&Root::exit_call(&late).abi_encode())
    );
    assert!(gas < 400_000, "{gas}");
    error::<Exit::ExitAlreadyProcessed>(&root.refuse(&late));
    assert_eq!(
        root.balance(root.b.predicate),
        U256::from(DEPOSIT - BURN - 1 - LATE_BURN)
    );

    // Short-valued tries: the proof is the root alone and the walk goes through embedded
    // branches, leaves and an extension. A value the trie holds passes the proof and is then
    // refused as a receipt; anything else is refused by the proof.
    let crafted = |root: &Root, block: u64, leaves: &BTreeMap<Vec<u8>, Vec<u8>>, key: u64| {
        let index = usize::try_from(block).unwrap();
        let present = leaves.get(branch_mask(key).as_ref()).is_some();
        let (trie_root, nodes) = if present {
            trie_proof(leaves, &branch_mask(key)).unwrap()
        } else {
            // The proof of any present key: the root node alone.
            let any = leaves.keys().next().unwrap().clone();
            trie_proof(leaves, &any).unwrap()
        };
        assert_eq!(nodes.len(), 1, "every node below the root is embedded");
        let value = leaves
            .get(branch_mask(key).as_ref())
            .cloned()
            .unwrap_or_else(|| b"\x81".to_vec());
        ExitPayload {
            header_block_id: 1,
            block_proof: merkle_proof(&root.leaves, index).unwrap(),
            block_number: block,
            block_time: blocks[index].time,
            tx_root: blocks[index].tx_root,
            receipts_root: trie_root,
            receipt: value.into(),
            receipt_proof: nodes,
            branch_mask: branch_mask(key),
            log_index: 0,
        }
    };
    for (i, value) in [(0u64, b'a'), (1, b'b'), (2, b'c')] {
        let p = crafted(&root, EMBEDDED_BLOCK, &embedded, i);
        assert_eq!(
            error::<Exit::BadReceipt>(&root.refuse(&p)).firstByte,
            value,
            "embedded leaf {i}"
        );
        let mut wrong = p.clone();
        wrong.receipt = Bytes::from_static(b"z");
        error::<Exit::MPTValueMismatch>(&root.refuse(&wrong));
    }
    let p = crafted(&root, EMBEDDED_BLOCK, &embedded, 3);
    assert_eq!(
        error::<Exit::MPTMissingChild>(&root.refuse(&p)),
        Exit::MPTMissingChild {
            index: U256::ZERO,
            nibble: U256::from(3)
        }
    );
    for (i, first) in [(128u64, 0x81u8), (129, 0x82)] {
        let p = crafted(&root, EXTENSION_BLOCK, &extension, i);
        assert_eq!(error::<Exit::BadReceipt>(&root.refuse(&p)).firstByte, first);
    }
    // 130 = 0x8182: the extension's nibbles 8, 1, 8 match, its branch has no child 2.
    let p = crafted(&root, EXTENSION_BLOCK, &extension, 130);
    assert_eq!(
        error::<Exit::MPTMissingChild>(&root.refuse(&p)).nibble,
        U256::from(2)
    );
    // 144 = 0x8190: nibble 2 of the key (9) is not the extension's (8).
    let p = crafted(&root, EXTENSION_BLOCK, &extension, 144);
    assert_eq!(
        error::<Exit::MPTPathMismatch>(&root.refuse(&p)),
        Exit::MPTPathMismatch {
            index: U256::ZERO,
            pos: U256::from(2)
        }
    );
    // 2 = 0x02 against the extension trie: the extension's first nibble is 8, the key's 0.
    let p = crafted(&root, EXTENSION_BLOCK, &extension, 2);
    assert_eq!(
        error::<Exit::MPTPathMismatch>(&root.refuse(&p)).pos,
        U256::ZERO
    );

    // Alice's root balance: what she had, less the deposit, plus the three burns.
    assert_eq!(
        root.balance(alice.address()),
        common::chain::tokens(10) - U256::from(DEPOSIT) + U256::from(BURN + 1 + LATE_BURN)
    );
    assert!(bttc.chain.engine.verify_head_state_root().unwrap());
    assert!(root.b.chain.engine.verify_head_state_root().unwrap());
}

/// The 4-byte selector of error `E`.
fn selector<E: alloy_sol_types::SolError>() -> [u8; 4] {
    E::SELECTOR
}

/// The revert data and gas (intrinsic included) of `exit(payload)` by eth_call from key 1.
fn revert_gas(root: &Root, payload: &ExitPayload) -> (Bytes, u64) {
    let req = bttc_engine_executor::CallRequest {
        from: Some(key(1).address()),
        to: Some(root.b.rcm),
        input: Root::exit_call(payload).abi_encode().into(),
        ..Default::default()
    };
    match root
        .b
        .chain
        .engine
        .call(
            &req,
            &BTreeMap::new(),
            bttc_engine_executor::BlockSelector::Latest,
        )
        .unwrap()
    {
        bttc_engine_executor::CallOutcome::Revert { output, gas_used } => (output, gas_used),
        other => panic!("exit did not revert: {other:?}"),
    }
}

/// The intrinsic gas of transaction data: 4 per zero byte, 16 per other byte.
fn data_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// The trie encoding of receipt `index` of a block.
fn rcpt_bytes(receipts: &StoredReceipts, index: usize) -> Bytes {
    use alloy_eips::eip2718::Encodable2718 as _;
    receipts.receipts[index].encoded_2718().into()
}
