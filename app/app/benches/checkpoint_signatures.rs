//! What checkpoint signatures cost Delivery per block, with 105 validators (BTTC's maximum)
//! and a checkpoint waiting for signatures on each of 3 root chains, so every extension
//! carries 3 signatures (315 in the extended commit):
//!
//! - `verify_commit_without_checkpoints`: the baseline, ProcessProposal/FinalizeBlock's
//!   verification of the extended commit (105 ed25519 signatures and formats) when the
//!   extensions carry no checkpoint signature;
//! - `verify_commit_with_checkpoints`: the same commit with 3 checkpoint signatures per
//!   extension (their format and secp256k1 recovery are checked too);
//! - `add_checkpoint_signatures`: FinalizeBlock adding them to the buffers
//!   (`checkpoints::add_from_commit`: buffer reads, recovery against each signer, the write);
//! - `verify_one_vote_extension`: one VerifyVoteExtension's checkpoint check (3 signatures).
//!
//! `cargo bench -p delivery-app --bench checkpoint_signatures`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{block_hash, TestChain, CHAIN_ID};
use criterion::{criterion_group, criterion_main, Criterion};
use delivery_app::checkpoints;
use delivery_app::side::NoRootChain;
use delivery_app::valset;
use delivery_app::vote_ext::{self, CheckpointVote, VoteExtension};
use delivery_module::{BlockInfo, Context, ExecMode, SecretKey};
use delivery_store::{StateDelta, StateRead};
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

const VALIDATORS: usize = 105;
const CHAINS: [&str; 3] = ["tron", "eth", "bsc"];

struct Rig {
    chain: TestChain,
    with: pb::ExtendedCommitInfo,
    without: pb::ExtendedCommitInfo,
    one: Vec<CheckpointVote>,
}

fn rig() -> Rig {
    let signers: Vec<SecretKey> = (0..VALIDATORS).map(|_| SecretKey::generate()).collect();
    let headers = common::bttc_headers(20);
    let bttc = common::bttc_section(&headers);
    let mut chain = TestChain::build_staking(&signers, vec![], Arc::new(NoRootChain), |state| {
        state["bttc"] = bttc;
        state["rootchain"] = common::checkpointed_root_chains(&CHAINS);
        state["checkpoint"] =
            serde_json::json!({ "params": delivery_checkpoint::Params::localnet() });
    });
    chain.block(vec![]); // height 1's end of block buffers a checkpoint per chain
    let snapshot = chain.app.storage().latest_snapshot();
    let pending = delivery_checkpoint::pending_to_sign(&snapshot).unwrap();
    assert_eq!(pending.len(), CHAINS.len());
    let h = 2;
    let ext = |i: usize, with: bool| VoteExtension {
        version: vote_ext::VERSION,
        block_hash: block_hash(h).to_vec(),
        height: h,
        side_tx_votes: vec![],
        checkpoint_votes: if with {
            pending
                .iter()
                .map(|c| CheckpointVote {
                    root_chain: c.root_chain.clone(),
                    number: c.number,
                    sign_hash: c.sign_hash().to_vec(),
                    signature: delivery_checkpoint::sign::sign(&signers[i], &c.sign_hash())
                        .to_vec(),
                })
                .collect()
        } else {
            vec![]
        },
    };
    let commit = |with: bool| {
        let mut votes: Vec<pb::ExtendedVoteInfo> = (0..VALIDATORS)
            .map(|i| chain.signed_vote(i, h, ext(i, with).encode_to_vec()))
            .collect();
        votes.sort_by(|a, b| {
            a.validator
                .as_ref()
                .unwrap()
                .address
                .cmp(&b.validator.as_ref().unwrap().address)
        });
        pb::ExtendedCommitInfo { round: 0, votes }
    };
    let with = commit(true);
    let without = commit(false);
    let one = ext(0, true).checkpoint_votes;
    Rig {
        chain,
        with,
        without,
        one,
    }
}

fn verify<S: StateRead>(state: &S, commit: &pb::ExtendedCommitInfo) -> vote_ext::VerifiedCommit {
    let set = valset::at(state, 2).unwrap().unwrap();
    vote_ext::verify_extended_commit(commit, &set, CHAIN_ID, 2, &block_hash(2)).unwrap()
}

fn bench(c: &mut Criterion) {
    let rig = rig();
    let snapshot = rig.chain.app.storage().latest_snapshot();
    let mut group = c.benchmark_group("checkpoint_signatures_105_validators_3_root_chains");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("verify_commit_without_checkpoints", |b| {
        b.iter(|| verify(&snapshot, &rig.without))
    });
    group.bench_function("verify_commit_with_checkpoints", |b| {
        b.iter(|| verify(&snapshot, &rig.with))
    });
    let verified = verify(&snapshot, &rig.with);
    let signers = checkpoints::signers_by_address(&snapshot).unwrap();
    let block = BlockInfo {
        chain_id: CHAIN_ID.into(),
        height: 2,
        time_seconds: 1_700_000_002,
        time_nanos: 0,
    };
    group.bench_function("add_checkpoint_signatures", |b| {
        b.iter(|| {
            let mut state = StateDelta::new(&snapshot);
            let mut ctx = Context::new(&block, ExecMode::Deliver);
            let events =
                checkpoints::add_from_commit(&mut state, &mut ctx, &verified, &signers).unwrap();
            assert!(events.iter().any(|e| e.kind == "checkpoint.final"));
        })
    });
    let first = valset::address_of(&common::validator_key(0).verifying_key().to_bytes());
    group.bench_function("verify_one_vote_extension", |b| {
        b.iter(|| {
            checkpoints::verify_votes(&snapshot, &first, &rig.one)
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
