//! The engine's pool through `check_tx` and payload building: a built block takes the best
//! effective tip first without breaking any sender's nonce order; a replacement needs the price
//! bump; limits refuse or evict; a committed block prunes what was included or became
//! unaffordable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{Engine, TxCheck, TxRejectKind};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::{InProcessEngine, PoolConfig};
use common::*;

const GWEI: u128 = 1_000_000_000;
const ETH: u128 = 1_000_000_000_000_000_000;

/// Keys 1..=5 hold 100 ETH each; the genesis base fee is 1 gwei.
fn spec5() -> ChainSpec {
    let alloc: Vec<String> = (1..=5)
        .map(|n| {
            format!(
                r#""{}": {{ "balance": "0x56bc75e2d63100000" }}"#,
                key(n).address()
            )
        })
        .collect();
    let json = format!(
        r#"{{
          "config": {{ "chainId": {CHAIN_ID} }},
          "gasLimit": "0x1c9c380",
          "baseFeePerGas": "0x3b9aca00",
          "alloc": {{ {} }}
        }}"#,
        alloc.join(",")
    );
    ChainSpec::from_json(&json).unwrap()
}

fn engine(dir: &std::path::Path, pool: PoolConfig) -> InProcessEngine {
    InProcessEngine::open_with(dir, spec5(), pool).unwrap()
}

/// A transfer with priority fee `tip` and fee cap `cap` (wei per gas).
fn pay(from: &PrivateKeySigner, nonce: u64, tip: u128, cap: u128, value: U256) -> Vec<u8> {
    sign1559(
        from,
        TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: cap,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::repeat_byte(0xc0)),
            value,
            ..Default::default()
        },
    )
}

/// A 1-wei transfer paying `tip` gwei with a fee cap of `tip + 10` gwei.
fn tipped(from: &PrivateKeySigner, nonce: u64, tip: u128) -> Vec<u8> {
    pay(from, nonce, tip * GWEI, (tip + 10) * GWEI, U256::from(1))
}

fn accept(e: &InProcessEngine, raw: &[u8]) {
    match e.check_tx(raw).unwrap() {
        TxCheck::Accepted(_) => {}
        TxCheck::Rejected { kind, message } => panic!("rejected {kind:?}: {message}"),
    }
}

fn reject(e: &InProcessEngine, raw: &[u8]) -> (TxRejectKind, String) {
    match e.check_tx(raw).unwrap() {
        TxCheck::Rejected { kind, message } => (kind, message),
        TxCheck::Accepted(a) => panic!("accepted {a:?}"),
    }
}

fn block_txs(e: &InProcessEngine, timestamp: u64) -> Vec<Vec<u8>> {
    let payload = build_sealed(e, &key(9), timestamp, vec![]);
    import(e, &payload);
    payload.transactions.into_iter().map(|b| b.0).collect()
}

#[test]
fn a_built_block_takes_the_best_tip_first_and_keeps_each_senders_nonce_order() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path(), PoolConfig::default());
    let (alice, bob, carol, dave) = (key(1), key(2), key(3), key(4));
    let alice0 = tipped(&alice, 0, 1);
    let alice1 = tipped(&alice, 1, 5);
    let bob0 = tipped(&bob, 0, 3);
    let carol0 = tipped(&carol, 0, 2);
    let carol1 = tipped(&carol, 1, 4);
    let dave0 = tipped(&dave, 0, 3);
    // Shuffled: later nonces first (queued until their parents arrive).
    for raw in [&alice1, &carol1, &bob0, &alice0, &dave0, &carol0] {
        accept(&e, raw);
    }
    assert_eq!(e.pool_len().unwrap(), 6);
    // bob0 and dave0 tie at 3 gwei: bob0 arrived first. carol1 (4) can only follow carol0
    // (2), alice1 (5) only alice0 (1).
    assert_eq!(
        block_txs(&e, 10),
        vec![bob0, dave0, carol0, carol1, alice0, alice1]
    );
    assert_eq!(e.pool_len().unwrap(), 0);
}

#[test]
fn check_tx_replaces_at_the_price_bump_and_not_below() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path(), PoolConfig::default());
    let alice = key(1);
    let one = U256::from(1);
    accept(&e, &pay(&alice, 0, GWEI, 10 * GWEI, one));
    // +9% on tip and fee cap: refused with what it needs and what it has.
    let (kind, message) = reject(&e, &pay(&alice, 0, 1_090_000_000, 10_900_000_000, one));
    assert_eq!(kind, TxRejectKind::ReplacementNotAllowed);
    assert!(
        message.contains("at least 1100000000") && message.contains("at least 11000000000"),
        "{message}"
    );
    assert!(
        message.contains("found tip 1090000000 and fee cap 10900000000"),
        "{message}"
    );
    // +10%: accepted, and the old transaction is gone.
    let better = pay(&alice, 0, 1_100_000_000, 11 * GWEI, one);
    accept(&e, &better);
    assert_eq!(e.pool_len().unwrap(), 1);
    assert_eq!(block_txs(&e, 10), vec![better]);
}

#[test]
fn a_full_pool_evicts_a_cheaper_sender_and_refuses_a_cheaper_newcomer() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(
        dir.path(),
        PoolConfig {
            max_txs: 2,
            ..PoolConfig::default()
        },
    );
    let (alice, bob, carol, dave) = (key(1), key(2), key(3), key(4));
    accept(&e, &tipped(&alice, 0, 1));
    let bob0 = tipped(&bob, 0, 3);
    accept(&e, &bob0);
    // carol pays more than alice: alice's transaction makes room.
    let carol0 = tipped(&carol, 0, 2);
    accept(&e, &carol0);
    assert_eq!(e.pool_len().unwrap(), 2);
    // dave pays no more than the cheapest (carol, 2 gwei): refused.
    let (kind, message) = reject(&e, &tipped(&dave, 0, 2));
    assert_eq!(kind, TxRejectKind::PoolFull);
    assert!(message.contains("2 of 2 transactions"), "{message}");
    assert_eq!(block_txs(&e, 10), vec![bob0, carol0]);
}

#[test]
fn per_sender_and_nonce_gap_limits_refuse_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(
        dir.path(),
        PoolConfig {
            max_per_sender: 2,
            max_nonce_gap: 4,
            ..PoolConfig::default()
        },
    );
    let (alice, bob) = (key(1), key(2));
    accept(&e, &tipped(&alice, 0, 1));
    accept(&e, &tipped(&alice, 1, 1));
    let (kind, message) = reject(&e, &tipped(&alice, 2, 1));
    assert_eq!(kind, TxRejectKind::PoolFull);
    assert!(message.contains("per-sender limit is 2"), "{message}");

    let (kind, message) = reject(&e, &tipped(&bob, 5, 1));
    assert_eq!(kind, TxRejectKind::NonceGap);
    assert!(
        message.contains("nonce 5 is more than 4 above the account nonce 0"),
        "{message}"
    );
    accept(&e, &tipped(&bob, 4, 1));
    assert_eq!(e.pool_len().unwrap(), 3);
}

#[test]
fn committing_a_block_prunes_included_and_unaffordable_transactions() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = engine(dir_a.path(), PoolConfig::default());
    let b = engine(dir_b.path(), PoolConfig::default());
    let (alice, bob) = (key(1), key(2));
    // alice0 spends 99.9 of alice's 100 ETH; alice1 (1 ETH) is affordable only before it.
    let alice0 = pay(&alice, 0, GWEI, 10 * GWEI, U256::from(999 * ETH / 10));
    let alice1 = pay(&alice, 1, GWEI, 10 * GWEI, U256::from(ETH));
    let bob0 = tipped(&bob, 0, 1);
    let bob1 = tipped(&bob, 1, 1);
    let bob2 = tipped(&bob, 2, 1);
    for raw in [&alice0, &alice1, &bob0, &bob2] {
        accept(&a, raw);
    }
    accept(&b, &alice0);
    accept(&b, &bob0);

    // b builds a block with alice0 and bob0; a imports it.
    let payload = build_sealed(&b, &key(9), 10, vec![]);
    assert_eq!(payload.transactions.len(), 2);
    import(&b, &payload);
    import(&a, &payload);

    // alice0 and bob0 were included, alice1 is unaffordable now; bob2 waits for bob1.
    assert_eq!(a.pool_len().unwrap(), 1);
    let (kind, _) = reject(&a, &alice1);
    assert_eq!(kind, TxRejectKind::InsufficientFunds);
    assert!(block_txs(&a, 12).is_empty(), "bob2 is queued");
    accept(&a, &bob1);
    assert_eq!(block_txs(&a, 14), vec![bob1, bob2]);
    assert_eq!(a.pool_len().unwrap(), 0);
}
