//! A payload built by one engine imports into another with the same hash and state root;
//! tampered payloads are INVALID with a reason; a restart resumes at the head.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{Address, U256};
use bttc_engine_api::{Engine, PayloadStatus, TxCheck, TxRejectKind};
use common::*;

#[test]
fn a_built_payload_imports_into_a_second_engine_with_the_same_hash_and_root() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = open(dir_a.path());
    let b = open(dir_b.path());
    assert_eq!(a.head().unwrap(), b.head().unwrap(), "same genesis");
    assert!(a.verify_head_state_root().unwrap());

    let alice = key(1);
    let bob = key(2);
    let producer = key(9);
    let carol = Address::repeat_byte(0xc0);
    let contract = alice.address().create(1);

    for raw in mixed_txs(&alice, &bob, carol) {
        assert!(
            matches!(a.check_tx(&raw).unwrap(), TxCheck::Accepted(_)),
            "check_tx"
        );
    }
    assert_eq!(a.pool_len().unwrap(), 4);

    let record = record(1, carol, &[1, 2, 3]);
    let payload = build_sealed(&a, &producer, 10, vec![record]);
    assert_eq!(payload.transactions.len(), 4);
    assert_eq!(
        payload.recover_author().unwrap(),
        api_addr(producer.address())
    );

    import(&a, &payload);
    import(&b, &payload);
    assert_eq!(a.head().unwrap(), b.head().unwrap());
    assert_eq!(a.head().unwrap().state_root, payload.state_root);
    assert!(a.verify_head_state_root().unwrap());
    assert!(b.verify_head_state_root().unwrap());
    assert_eq!(
        a.pool_len().unwrap(),
        0,
        "included transactions leave the pool"
    );

    // Effects: carol got both transfers, the contract exists and its call stored 42.
    let (carol_balance, _, _) = b.account(carol.0 .0).unwrap().unwrap();
    assert_eq!(carol_balance, U256::from(3_000));
    let (_, _, code_hash) = b.account(contract.0 .0).unwrap().unwrap();
    assert_eq!(code_hash, alloy_primitives::keccak256(RUNTIME));
    assert_eq!(
        b.storage_at(contract.0 .0, U256::ZERO).unwrap(),
        U256::from(42)
    );
    // The producer earned the tips.
    let (producer_balance, _, _) = b.account(producer.address().0 .0).unwrap().unwrap();
    assert!(producer_balance > U256::ZERO);

    // Receipts: four, the call's log is in the block log list, the system entry is present.
    let receipts = b.receipts(payload.block_hash).unwrap().unwrap();
    assert_eq!(receipts.receipts.len(), 4);
    assert!(
        receipts.system.is_some(),
        "the state-sync system call is recorded"
    );
    let logs = receipts.block_logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].3.address, contract);

    // A second block on top, built by b this time, imported by a.
    let payload2 = {
        b.check_tx(&transfer(&alice, 3, carol, 5)).unwrap();
        build_sealed(&b, &producer, 12, vec![])
    };
    assert_eq!(payload2.transactions.len(), 1);
    import(&b, &payload2);
    import(&a, &payload2);
    assert_eq!(a.head().unwrap(), b.head().unwrap());
    assert_eq!(a.head().unwrap().number, 2);
}

#[test]
fn tampered_payloads_are_invalid_with_a_reason() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = open(dir_a.path());
    let b = open(dir_b.path());
    let alice = key(1);
    let producer = key(9);
    let carol = Address::repeat_byte(0xc0);
    a.check_tx(&transfer(&alice, 0, carol, 1_000)).unwrap();
    a.check_tx(&transfer(&alice, 1, carol, 1_000)).unwrap();
    let good = build_sealed(&a, &producer, 10, vec![]);

    // Changed transaction, unsealed change, wrong state root, wrong parent, bad seal, gas over
    // the limit: each INVALID with its reason.
    let spoilt = Tampered::new(&good, &producer, transfer(&alice, 1, carol, 999));
    for (what, payload, mentions) in spoilt.cases() {
        assert_invalid_mentioning(what, b.new_payload(payload.clone()).unwrap(), mentions);
    }
    // The unsealed change with its hash fixed: the seal no longer recovers to the producer.
    let mut rehashed = spoilt.unsealed_change.clone();
    rehashed.block_hash = rehashed.compute_block_hash();
    let reason = invalid_reason(b.new_payload(rehashed).unwrap());
    assert!(reason.contains("seal signed by"), "{reason}");

    let mut other_limit = good.clone();
    other_limit.gas_limit += 1;
    sign_seal(&producer, &mut other_limit);
    let reason = invalid_reason(b.new_payload(other_limit).unwrap());
    assert!(reason.contains("gas limit"), "{reason}");

    // A block from the future is SYNCING, not INVALID.
    let mut future = good.clone();
    future.block_number = 5;
    sign_seal(&producer, &mut future);
    assert_eq!(b.new_payload(future).unwrap(), PayloadStatus::Syncing);

    // None of this moved b's head; the good payload still imports.
    assert_eq!(b.head().unwrap().number, 0);
    import(&b, &good);
    assert_eq!(b.head().unwrap().state_root, good.state_root);
}

#[test]
fn check_tx_rejects_bad_transactions_with_a_kind() {
    let dir = tempfile::tempdir().unwrap();
    let e = open(dir.path());
    let alice = key(1);
    let poor = key(7);
    let carol = Address::repeat_byte(0xc0);
    let kind = |raw: &[u8]| match e.check_tx(raw).unwrap() {
        TxCheck::Rejected { kind, .. } => kind,
        TxCheck::Accepted(a) => panic!("accepted {a:?}"),
    };
    assert_eq!(kind(&[0x02, 0xc0]), TxRejectKind::Malformed);
    assert_eq!(
        kind(&transfer(&poor, 0, carol, 1)),
        TxRejectKind::InsufficientFunds
    );
    assert_eq!(
        kind(&transfer(&alice, 100, carol, 1)),
        TxRejectKind::NonceGap
    );
    let mut wrong_chain = alloy_consensus::TxEip1559 {
        chain_id: CHAIN_ID + 1,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        to: alloy_primitives::TxKind::Call(carol),
        ..Default::default()
    };
    assert_eq!(
        kind(&sign1559(&alice, wrong_chain.clone())),
        TxRejectKind::WrongChainId
    );
    wrong_chain.chain_id = CHAIN_ID;
    wrong_chain.gas_limit = 20_000;
    assert_eq!(
        kind(&sign1559(&alice, wrong_chain)),
        TxRejectKind::IntrinsicGasTooLow
    );
    assert_eq!(kind(&vec![0u8; 200 * 1024]), TxRejectKind::Oversized);
    // Accepted twice (idempotent), then a different tx with the same nonce is refused.
    let ok = transfer(&alice, 0, carol, 1);
    assert!(matches!(e.check_tx(&ok).unwrap(), TxCheck::Accepted(_)));
    assert!(matches!(e.check_tx(&ok).unwrap(), TxCheck::Accepted(_)));
    assert_eq!(
        kind(&transfer(&alice, 0, carol, 2)),
        TxRejectKind::ReplacementNotAllowed
    );
    assert_eq!(e.pool_len().unwrap(), 1);
}

#[test]
fn a_restarted_engine_resumes_at_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let producer = key(9);
    let head = {
        let e = open(dir.path());
        e.check_tx(&transfer(&key(1), 0, Address::repeat_byte(0xc0), 1))
            .unwrap();
        let p = build_sealed(&e, &producer, 10, vec![]);
        import(&e, &p);
        e.head().unwrap()
    };
    let e = open(dir.path());
    assert_eq!(e.head().unwrap(), head);
    assert_eq!(head.number, 1);
    assert!(e.verify_head_state_root().unwrap());
    // And it keeps going.
    let p = build_sealed(&e, &producer, 11, vec![]);
    import(&e, &p);
    assert_eq!(e.head().unwrap().number, 2);
}

#[test]
fn a_byte_budget_bounds_the_payload_and_keeps_nonces_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let alice = key(1);
    let carol = Address::repeat_byte(0xc0);
    let txs: Vec<Vec<u8>> = (0..10).map(|n| transfer(&alice, n, carol, 1)).collect();
    for raw in &txs {
        assert!(matches!(
            engine.check_tx(raw).unwrap(),
            TxCheck::Accepted(_)
        ));
    }
    let size = u64::try_from(txs[0].len()).unwrap();
    let head = engine.head().unwrap();
    let build = |budget: Option<u64>| {
        let attrs = bttc_engine_api::PayloadAttributes {
            timestamp: head.timestamp + 1,
            producer: api_addr(key(9).address()),
            state_sync_records: vec![],
            span_commit: None,
            max_transactions_bytes: budget,
        };
        let fcu = engine
            .forkchoice_updated(
                bttc_engine_api::ForkchoiceState::finalized(head.hash),
                Some(attrs),
            )
            .unwrap();
        engine.get_payload(fcu.payload_id.unwrap()).unwrap().payload
    };
    // Room for three and a half: the first three nonces.
    let bounded = build(Some(3 * size + size / 2));
    assert_eq!(bounded.transactions.len(), 3);
    for (n, raw) in bounded.transactions.iter().enumerate() {
        assert_eq!(raw.as_slice(), txs[n].as_slice(), "nonce {n}");
    }
    assert!(build(Some(size - 1)).transactions.is_empty());
    assert_eq!(build(None).transactions.len(), 10);
}
