#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
//! Checkpoints through the app: with 20 finalized BTTC blocks recorded and a root chain that
//! has a RootChain contract, the first end of block buffers checkpoint 1 over blocks 0..=20
//! (at least the localnet's 16 blocks are final); each validator's vote extension carries its signer's signature over
//! it; VerifyVoteExtension accepts a validator's own signature and rejects another's, one over
//! other data, and one from a validator that is not staked; FinalizeBlock of the next height
//! adds the signatures of the extended commit, and the checkpoint becomes final only past 2/3
//! of the power (2 of 4 is not, 3 of 4 is); the root hash is over Delivery's header records.

mod common;

use std::sync::Arc;

use common::{block_hash, time, validator_key, TestChain, CHAIN_ID};
use delivery_abci::Application as _;
use delivery_app::router::SideMsg;
use delivery_app::side::SideTxVerifier;
use delivery_app::valset::address_of;
use delivery_app::vote_ext::{CheckpointVote, VoteExtension};
use delivery_checkpoint::merkle::{self, Header};
use delivery_module::{SecretKey, Vote};
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

struct AlwaysYes;
impl SideTxVerifier for AlwaysYes {
    fn vote(&self, _: &[u8; 32], _: &SideMsg) -> Vote {
        Vote::Yes
    }
}

fn chain(signers: &[SecretKey]) -> (TestChain, Vec<Header>) {
    let headers = common::bttc_headers(20);
    let bttc = common::bttc_section(&headers);
    let mut params = delivery_checkpoint::Params::localnet();
    params.bttc_chain_id = 1337;
    let chain = TestChain::build_staking(signers, vec![], Arc::new(AlwaysYes), |state| {
        state["bttc"] = bttc;
        state["rootchain"] = common::checkpointed_root_chains(&["eth"]);
        state["checkpoint"] = serde_json::json!({ "params": params });
    });
    (chain, headers)
}

fn extend(chain: &TestChain, h: i64) -> VoteExtension {
    let bytes = chain
        .app
        .extend_vote(pb::RequestExtendVote {
            hash: block_hash(h).into(),
            height: h,
            time: Some(time(h)),
            txs: vec![],
            proposed_last_commit: None,
            misbehavior: vec![],
            next_validators_hash: vec![].into(),
            proposer_address: vec![].into(),
        })
        .unwrap()
        .vote_extension;
    VoteExtension::decode(bytes.as_ref()).unwrap()
}

fn verify(chain: &TestChain, h: i64, validator: usize, ext: &VoteExtension) -> bool {
    chain
        .app
        .verify_vote_extension(pb::RequestVerifyVoteExtension {
            hash: block_hash(h).into(),
            validator_address: address_of(&validator_key(validator).verifying_key().to_bytes())
                .into(),
            height: h,
            vote_extension: ext.encode_to_vec().into(),
        })
        .unwrap()
        .status
        == pb::response_verify_vote_extension::VerifyStatus::Accept as i32
}

/// `ext` with its checkpoint votes signed by `key` instead.
fn resigned(ext: &VoteExtension, key: &SecretKey) -> VoteExtension {
    let mut out = ext.clone();
    for v in &mut out.checkpoint_votes {
        let hash: [u8; 32] = v.sign_hash.as_slice().try_into().unwrap();
        v.signature = delivery_checkpoint::sign::sign(key, &hash).to_vec();
    }
    out
}

/// Finalizes height `h` with `exts[i]` as validator i's extension (`None`: absent) in the
/// extended commit of `h - 1` carried by `txs[0]`, then commits.
fn finalize(chain: &mut TestChain, exts: &[Option<VoteExtension>]) -> pb::ResponseFinalizeBlock {
    let h = chain.height + 1;
    let txs: Vec<prost::bytes::Bytes> = chain
        .last_extended_commit
        .iter()
        .map(|c| c.encode_to_vec().into())
        .collect();
    let res = chain
        .app
        .finalize_block(pb::RequestFinalizeBlock {
            txs,
            decided_last_commit: chain
                .last_extended_commit
                .as_ref()
                .map(TestChain::commit_info),
            misbehavior: vec![],
            hash: block_hash(h).into(),
            height: h,
            time: Some(time(h)),
            next_validators_hash: vec![].into(),
            proposer_address: vec![].into(),
        })
        .unwrap();
    chain.app.commit(pb::RequestCommit {}).unwrap();
    let mut votes: Vec<pb::ExtendedVoteInfo> = exts
        .iter()
        .enumerate()
        .map(|(i, e)| match e {
            Some(e) => chain.signed_vote(i, h, e.encode_to_vec()),
            None => pb::ExtendedVoteInfo {
                validator: Some(pb::Validator {
                    address: address_of(&validator_key(i).verifying_key().to_bytes()).into(),
                    power: chain.power,
                }),
                vote_extension: Default::default(),
                extension_signature: Default::default(),
                block_id_flag: 1,
            },
        })
        .collect();
    common::sort_by_address(&mut votes);
    chain.last_extended_commit = Some(pb::ExtendedCommitInfo { round: 0, votes });
    chain.height = h;
    res
}

fn buffer(chain: &TestChain) -> serde_json::Value {
    chain.query_json("custom/checkpoint/buffer/eth", b"")
}

/// Validator i's extension for height `h`: the app's (signed by signer 0), re-signed with
/// signer i's key, with its own block hash and height.
fn ext_of(base: &VoteExtension, signers: &[SecretKey], i: usize) -> VoteExtension {
    resigned(base, &signers[i])
}

#[test]
fn a_checkpoint_is_signed_in_vote_extensions_and_final_past_two_thirds() {
    let signers: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let (mut chain, headers) = chain(&signers);
    let app = std::mem::replace(&mut chain.app, placeholder());
    chain.app = app.with_signer_key(signers[0].clone());

    // Height 1: its end of block buffers checkpoint 1 over every final BTTC block (0..=20: at
    // least the localnet's 16, at most 64).
    finalize(&mut chain, &[None, None, None, None]);
    let b = buffer(&chain);
    assert_eq!(b["checkpoint"]["number"], 1, "{b}");
    assert_eq!(b["checkpoint"]["start"], 0);
    assert_eq!(b["checkpoint"]["end"], 20);
    let root = merkle::root(&merkle::block_leaves(&headers));
    assert_eq!(b["checkpoint"]["root_hash"], common::hex0x(&root));
    assert_eq!(b["checkpoint"]["bttc_chain_id"], 1337);

    // Height 2's precommits: the app signs the buffered checkpoint with signer 0's key.
    let h = 2;
    let base = extend(&chain, h);
    assert_eq!(base.checkpoint_votes.len(), 1);
    let vote: &CheckpointVote = &base.checkpoint_votes[0];
    assert_eq!((vote.root_chain.as_str(), vote.number), ("eth", 1));
    let exts: Vec<VoteExtension> = (0..4).map(|i| ext_of(&base, &signers, i)).collect();
    for (i, e) in exts.iter().enumerate() {
        assert!(
            verify(&chain, h, i, e),
            "validator {i}'s own signature refused"
        );
    }
    // Validator 1 carrying validator 2's signature, a signature over other data, and a
    // validator outside the staked set: refused.
    assert!(!verify(&chain, h, 1, &exts[2]));
    let mut other = exts[1].clone();
    other.checkpoint_votes[0].sign_hash = vec![9; 32];
    other.checkpoint_votes[0].signature =
        delivery_checkpoint::sign::sign(&signers[1], &[9; 32]).to_vec();
    assert!(!verify(&chain, h, 1, &other));
    assert!(!verify(&chain, h, 7, &exts[1]));

    // 2 of 4 sign (the others precommit without signatures): not final.
    let unsigned = |e: &VoteExtension| VoteExtension {
        checkpoint_votes: vec![],
        ..e.clone()
    };
    finalize(
        &mut chain,
        &[
            Some(exts[0].clone()),
            Some(exts[1].clone()),
            Some(unsigned(&exts[2])),
            Some(unsigned(&exts[3])),
        ],
    );
    let res = finalize(&mut chain, &[None, None, None, None]);
    let b = buffer(&chain);
    assert_eq!(b["signatures"].as_array().unwrap().len(), 2, "{b}");
    assert!(b["final_height"].is_null(), "final with 2 of 4: {b}");
    assert!(!res.events.iter().any(|e| e.r#type == "checkpoint.final"));

    // The next extensions sign again (validator 0 a second time: counted once) and validator 2
    // signs too: 3 of 4 is final.
    let h = chain.height + 1;
    let base = extend(&chain, h);
    let exts: Vec<VoteExtension> = (0..4)
        .map(|i| {
            let mut e = ext_of(&base, &signers, i);
            e.height = h;
            e
        })
        .collect();
    finalize(
        &mut chain,
        &[
            Some(exts[0].clone()),
            Some(unsigned(&exts[1])),
            Some(exts[2].clone()),
            None,
        ],
    );
    let res = finalize(&mut chain, &[None, None, None, None]);
    let b = buffer(&chain);
    assert_eq!(b["signatures"].as_array().unwrap().len(), 3, "{b}");
    assert!(!b["final_height"].is_null(), "not final with 3 of 4: {b}");
    assert!(res.events.iter().any(|e| e.r#type == "checkpoint.final"));
    // A final checkpoint is not signed again.
    assert!(extend(&chain, chain.height + 1).checkpoint_votes.is_empty());
    let _ = CHAIN_ID;
}

/// An app to swap out while the real one is moved into `with_signer_key`.
fn placeholder() -> delivery_app::DeliveryApp {
    let dir = tempfile::tempdir().unwrap();
    let storage =
        delivery_store::Storage::open(dir.path(), delivery_store::StorageConfig { keep_recent: 0 })
            .unwrap();
    delivery_app::DeliveryApp::new(storage, Arc::new(AlwaysYes)).unwrap()
}
