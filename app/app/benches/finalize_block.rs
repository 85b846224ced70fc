//! FinalizeBlock + Commit time for a block of 1,000 bank sends from 1,000 distinct accounts
//! (signature checks, ante, transfers, JMT root, one RocksDB batch), against a baseline of
//! the same block's stateless checks alone (decode + signature parse), in one run.
//!
//! `cargo bench -p delivery-app --bench finalize_block`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::{TestChain, BTT};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use delivery_abci::Application;
use tendermint_proto::v0_38::abci as pb;

const TXS: usize = 1_000;

fn setup() -> (TestChain, Vec<prost::bytes::Bytes>) {
    let mut chain = TestChain::new(1, TXS);
    chain.block(vec![]);
    let to = chain.accounts[0].address();
    let txs: Vec<Vec<u8>> = (0..TXS).map(|i| chain.send(i, to, BTT, 0)).collect();
    let proposal = chain.prepare(txs);
    (chain, proposal)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("block_of_1000_bank_sends");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("finalize_block_and_commit", |b| {
        b.iter_batched(
            setup,
            |(chain, proposal)| {
                let h = chain.height + 1;
                let res = chain
                    .app
                    .finalize_block(pb::RequestFinalizeBlock {
                        txs: proposal,
                        hash: common::block_hash(h).into(),
                        height: h,
                        time: Some(common::time(h)),
                        ..Default::default()
                    })
                    .unwrap();
                assert!(res.tx_results.iter().skip(1).all(|r| r.code == 0));
                chain.app.commit(pb::RequestCommit {}).unwrap();
                chain
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("baseline_stateless_checks_only", |b| {
        b.iter_batched(
            setup,
            |(chain, proposal)| {
                let params = delivery_auth::Params::default();
                for tx in proposal.iter().skip(1) {
                    let checked = delivery_app::pipeline::check_stateless(tx, &params).unwrap();
                    checked.tx.verify_signature(common::CHAIN_ID, 1).ok();
                }
                chain
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
