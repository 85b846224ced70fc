//! The genesis system contracts, driven through `InProcessEngine` the way Delivery drives it:
//! state-sync records and span commits ride in the payload attributes and run as system calls.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use bttc_engine_api::{self as api, Engine, TxCheck};
use bttc_engine_contracts::{
    slots, state_receiver, test_state_sync_receiver, test_token, test_token_init_code,
    validator_set, STATE_RECEIVER_ADDRESS, VALIDATOR_SET_ADDRESS,
};
use bttc_engine_executor::{system, LogLocation};
use common::*;

const RECEIVER: Address = Address::repeat_byte(0xc1);
const REVERTER: Address = Address::repeat_byte(0xc2);
const LOOPER: Address = Address::repeat_byte(0xc3);
const ABSENT: Address = Address::repeat_byte(0xc4);

fn genesis_with_receivers() -> serde_json::Value {
    genesis(&[
        (
            RECEIVER,
            test_state_sync_receiver()
                .unwrap()
                .deployed_bytecode
                .clone(),
        ),
        (REVERTER, Bytes::from_static(&REVERTING)),
        (LOOPER, Bytes::from_static(&LOOPING)),
    ])
}

#[test]
fn our_addresses_are_the_engines() {
    assert_eq!(STATE_RECEIVER_ADDRESS, system::STATE_RECEIVER);
    assert_eq!(VALIDATOR_SET_ADDRESS, system::VALIDATOR_SET);
    assert_eq!(
        bttc_engine_contracts::SYSTEM_ADDRESS,
        system::SYSTEM_ADDRESS
    );
}

#[test]
fn state_sync_records_reach_the_receiver_in_order() {
    let g = genesis_with_receivers();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(dir_a.path(), &g);
    let b = open(dir_b.path(), &g);
    // The genesis carries the system contracts' runtime code.
    let (_, _, code_hash) = a.account(STATE_RECEIVER_ADDRESS.0 .0).unwrap().unwrap();
    assert_eq!(
        code_hash,
        alloy_primitives::keccak256(&state_receiver().unwrap().deployed_bytecode)
    );
    assert_eq!(
        storage(
            &a,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_STATE_ID
        ),
        U256::ZERO
    );

    let long_data: Vec<u8> = (0u8..40).collect();
    let payload = build_and_import(
        &a,
        &[&b],
        10,
        vec![
            record(1, RECEIVER, &[1, 2, 3]),
            record(2, RECEIVER, &long_data),
        ],
        None,
    );

    // Logs, in execution order: each delivery's StateReceived, then its StateCommitted.
    let logs = logs(&b, payload.block_hash);
    assert!(logs.iter().all(|(loc, _)| *loc == LogLocation::System));
    assert_eq!(logs.len(), 4);
    assert_eq!(logs[0].1.address, RECEIVER);
    assert_eq!(logs[1].1.address, STATE_RECEIVER_ADDRESS);
    assert_eq!(logs[2].1.address, RECEIVER);
    assert_eq!(logs[3].1.address, STATE_RECEIVER_ADDRESS);
    assert_eq!(state_committed(&logs), vec![(1, true), (2, true)]);
    assert_eq!(
        state_received(&logs, RECEIVER),
        vec![(1, vec![1, 2, 3]), (2, long_data.clone())]
    );

    // Storage: the StateReceiver's counters and the receiver's record of what it got.
    for e in [&a, &b] {
        assert_eq!(
            storage(
                e,
                STATE_RECEIVER_ADDRESS,
                slots::STATE_RECEIVER_LAST_STATE_ID
            ),
            U256::from(2)
        );
        assert_eq!(
            storage(
                e,
                STATE_RECEIVER_ADDRESS,
                slots::STATE_RECEIVER_LAST_SYNC_TIME
            ),
            U256::from(10)
        );
        assert_eq!(
            storage(e, RECEIVER, slots::TEST_RECEIVER_LAST_STATE_ID),
            U256::from(2)
        );
        assert_eq!(
            storage(e, RECEIVER, slots::TEST_RECEIVER_RECEIVED_COUNT),
            U256::from(2)
        );
        // lastData (slot 2) is 40 bytes: a long `bytes`, length*2+1 in the slot.
        assert_eq!(storage(e, RECEIVER, U256::from(2)), U256::from(81));
        let data_slot = array_data_slot(U256::from(2));
        assert_eq!(
            storage(e, RECEIVER, data_slot).to_be_bytes::<32>().to_vec(),
            long_data[..32].to_vec()
        );
    }

    // The next block continues at id 3.
    let p2 = build_and_import(&a, &[&b], 12, vec![record(3, RECEIVER, b"three")], None);
    assert_eq!(state_committed(&logs_of(&a, &p2)), vec![(3, true)]);
    assert_eq!(
        storage(
            &a,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_STATE_ID
        ),
        U256::from(3)
    );
    assert_eq!(
        storage(
            &a,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_SYNC_TIME
        ),
        U256::from(12)
    );

    // A gap (id 5 after 3) and a replay (id 3 again) are refused by the contract: the system
    // call reverts, nothing is delivered and the counter stays.
    for bad in [5, 3] {
        let ts = a.head().unwrap().timestamp + 2;
        let p = build_and_import(&a, &[&b], ts, vec![record(bad, RECEIVER, b"x")], None);
        assert!(logs_of(&a, &p).is_empty(), "record {bad} was delivered");
        assert_eq!(
            storage(
                &a,
                STATE_RECEIVER_ADDRESS,
                slots::STATE_RECEIVER_LAST_STATE_ID
            ),
            U256::from(3)
        );
        assert_eq!(
            storage(&a, RECEIVER, slots::TEST_RECEIVER_RECEIVED_COUNT),
            U256::from(3)
        );
    }
    assert!(a.verify_head_state_root().unwrap());
}

fn logs_of(
    e: &bttc_engine_executor::InProcessEngine,
    p: &api::ExecutablePayload,
) -> Vec<(LogLocation, alloy_primitives::Log)> {
    logs(e, p.block_hash)
}

#[test]
fn a_record_for_an_absent_or_failing_receiver_still_commits() {
    let g = genesis_with_receivers();
    let dir = tempfile::tempdir().unwrap();
    let e = open(dir.path(), &g);
    let p = build_and_import(
        &e,
        &[],
        10,
        vec![
            record(1, ABSENT, b"nobody home"),
            record(2, REVERTER, b"no thanks"),
            record(3, LOOPER, b"spins"),
            // A precompile has no code: not called.
            record(4, Address::with_last_byte(1), b""),
            record(5, RECEIVER, b"fine"),
        ],
        None,
    );
    let logs = logs_of(&e, &p);
    assert_eq!(
        state_committed(&logs),
        vec![(1, false), (2, false), (3, false), (4, false), (5, true)]
    );
    assert_eq!(state_received(&logs, RECEIVER), vec![(5, b"fine".to_vec())]);
    assert_eq!(
        storage(
            &e,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_STATE_ID
        ),
        U256::from(5)
    );
    assert_eq!(
        storage(&e, RECEIVER, slots::TEST_RECEIVER_LAST_STATE_ID),
        U256::from(5)
    );
}

fn validator(id: u64, power: u64, signer: u8) -> api::SpanValidator {
    api::SpanValidator {
        id,
        signer: api::Address([signer; 20]),
        voting_power: power,
    }
}

fn span(
    id: u64,
    start: u64,
    end: u64,
    validators: Vec<api::SpanValidator>,
    producers: Vec<api::SpanValidator>,
) -> api::SpanCommit {
    api::SpanCommit {
        id,
        start_block: start,
        end_block: end,
        validators,
        producers,
    }
}

/// `NewSpan(id, startBlock, endBlock)` events of these logs.
fn new_spans(logs: &[(LogLocation, alloy_primitives::Log)]) -> Vec<(u64, u64, u64)> {
    let sig = topic("NewSpan(uint256,uint256,uint256)");
    logs.iter()
        .filter(|(_, l)| l.address == VALIDATOR_SET_ADDRESS && l.topics()[0] == sig)
        .map(|(_, l)| {
            let d = &l.data.data;
            (
                U256::from_be_bytes(l.topics()[1].0).to::<u64>(),
                U256::from_be_slice(&d[..32]).to::<u64>(),
                U256::from_be_slice(&d[32..64]).to::<u64>(),
            )
        })
        .collect()
}

/// Reads a span's stored validator (or producer) set: (id, power, signer) per entry.
fn stored_set(
    e: &bttc_engine_executor::InProcessEngine,
    mapping: U256,
    span: u64,
) -> Vec<(u64, u64, Address)> {
    let len_slot = mapping_slot(U256::from(span), mapping);
    let len = storage(e, VALIDATOR_SET_ADDRESS, len_slot).to::<usize>();
    let base = array_data_slot(len_slot);
    (0..len)
        .map(|i| {
            // Validator{address signer; uint64 id; uint256 power}: signer and id share a slot.
            let packed = storage(e, VALIDATOR_SET_ADDRESS, base + U256::from(2 * i));
            let power = storage(e, VALIDATOR_SET_ADDRESS, base + U256::from(2 * i + 1));
            let bytes = packed.to_be_bytes::<32>();
            let signer = Address::from_slice(&bytes[12..]);
            let id = (packed >> 160usize).to::<u64>();
            (id, power.to::<u64>(), signer)
        })
        .collect()
}

fn stored_span(e: &bttc_engine_executor::InProcessEngine, span: u64) -> (u64, u64, u64) {
    let base = mapping_slot(U256::from(span), slots::VALIDATOR_SET_SPANS);
    let get = |k: u64| storage(e, VALIDATOR_SET_ADDRESS, base + U256::from(k)).to::<u64>();
    (get(0), get(1), get(2))
}

#[test]
fn span_commits_land_in_the_validator_set() {
    let g = genesis(&[]);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(dir_a.path(), &g);
    let b = open(dir_b.path(), &g);

    let first = span(
        0,
        0,
        255,
        vec![validator(1, 100, 0x11), validator(2, 50, 0x22)],
        vec![validator(2, 50, 0x22)],
    );
    let p1 = build_and_import(&a, &[&b], 10, vec![], Some(first));
    assert_eq!(new_spans(&logs_of(&b, &p1)), vec![(0, 0, 255)]);

    let second = span(
        1,
        256,
        6655,
        vec![
            validator(3, 7, 0x33),
            validator(1, 100, 0x11),
            validator(u64::MAX, u64::MAX, 0x44),
        ],
        vec![validator(1, 100, 0x11), validator(3, 7, 0x33)],
    );
    let p2 = build_and_import(&a, &[&b], 12, vec![], Some(second));
    assert_eq!(new_spans(&logs_of(&b, &p2)), vec![(1, 256, 6655)]);

    for e in [&a, &b] {
        assert_eq!(
            storage(e, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_CURRENT_SPAN),
            U256::from(1)
        );
        assert_eq!(
            storage(e, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_SPAN_COUNT),
            U256::from(2)
        );
        assert_eq!(stored_span(e, 0), (0, 0, 255));
        assert_eq!(stored_span(e, 1), (1, 256, 6655));
        assert_eq!(
            stored_set(e, slots::VALIDATOR_SET_VALIDATORS, 0),
            vec![
                (1, 100, Address::repeat_byte(0x11)),
                (2, 50, Address::repeat_byte(0x22))
            ]
        );
        assert_eq!(
            stored_set(e, slots::VALIDATOR_SET_PRODUCERS, 0),
            vec![(2, 50, Address::repeat_byte(0x22))]
        );
        assert_eq!(
            stored_set(e, slots::VALIDATOR_SET_VALIDATORS, 1),
            vec![
                (3, 7, Address::repeat_byte(0x33)),
                (1, 100, Address::repeat_byte(0x11)),
                (u64::MAX, u64::MAX, Address::repeat_byte(0x44))
            ]
        );
        assert_eq!(
            stored_set(e, slots::VALIDATOR_SET_PRODUCERS, 1),
            vec![
                (1, 100, Address::repeat_byte(0x11)),
                (3, 7, Address::repeat_byte(0x33))
            ]
        );
    }

    // Refused: a skipped id, an overlapping start, an end before the start, no producers. The
    // system call reverts; the block is still valid and nothing changes.
    let vals = vec![validator(1, 100, 0x11)];
    for bad in [
        span(3, 6656, 7000, vals.clone(), vals.clone()),
        span(2, 6655, 7000, vals.clone(), vals.clone()),
        span(2, 7000, 6999, vals.clone(), vals.clone()),
        span(2, 6656, 7000, vals.clone(), vec![]),
        span(2, 6656, 7000, vec![], vals.clone()),
    ] {
        let ts = a.head().unwrap().timestamp + 2;
        let p = build_and_import(&a, &[&b], ts, vec![], Some(bad.clone()));
        assert!(
            new_spans(&logs_of(&a, &p)).is_empty(),
            "{bad:?} was accepted"
        );
        assert_eq!(
            storage(&a, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_CURRENT_SPAN),
            U256::from(1)
        );
        assert_eq!(
            storage(&a, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_SPAN_COUNT),
            U256::from(2)
        );
    }
    // The right next span still lands, with state-sync records in the same block after it.
    let ts = a.head().unwrap().timestamp + 2;
    let p = build_and_import(
        &a,
        &[&b],
        ts,
        vec![record(1, ABSENT, b"")],
        Some(span(2, 6656, 13055, vals.clone(), vals)),
    );
    let logs = logs_of(&a, &p);
    assert_eq!(new_spans(&logs), vec![(2, 6656, 13055)]);
    assert_eq!(state_committed(&logs), vec![(1, false)]);
    assert_eq!(
        logs[0].1.address, VALIDATOR_SET_ADDRESS,
        "the span commit runs first"
    );
}

#[test]
fn system_entry_points_revert_for_a_normal_account() {
    let g = genesis_with_receivers();
    let dir = tempfile::tempdir().unwrap();
    let e = open(dir.path(), &g);
    let alice = key(1);

    // A well-formed record that the system could commit.
    let record_rlp = {
        let mut out = Vec::new();
        let data = Bytes::from_static(b"forged");
        let payload_length = alloy_rlp::Encodable::length(&1u64)
            + alloy_rlp::Encodable::length(&RECEIVER)
            + alloy_rlp::Encodable::length(&data);
        alloy_rlp::Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        alloy_rlp::Encodable::encode(&1u64, &mut out);
        alloy_rlp::Encodable::encode(&RECEIVER, &mut out);
        alloy_rlp::Encodable::encode(&data, &mut out);
        out
    };
    let commit_state = call_uint_bytes("commitState(uint256,bytes)", 10, &record_rlp);
    let commit_span = system::commit_span_calldata(&span(
        0,
        0,
        10,
        vec![validator(1, 1, 0x11)],
        vec![validator(1, 1, 0x11)],
    ));
    let on_state_receive = call_uint_bytes("onStateReceive(uint256,bytes)", 1, b"forged");
    let txs = [
        tx1559(
            &alice,
            0,
            TxKind::Call(STATE_RECEIVER_ADDRESS),
            commit_state,
            300_000,
        ),
        tx1559(
            &alice,
            1,
            TxKind::Call(VALIDATOR_SET_ADDRESS),
            commit_span,
            300_000,
        ),
        tx1559(&alice, 2, TxKind::Call(RECEIVER), on_state_receive, 300_000),
    ];
    for raw in &txs {
        assert!(matches!(e.check_tx(raw).unwrap(), TxCheck::Accepted(_)));
    }
    let p = build_and_import(&e, &[], 10, vec![], None);
    assert_eq!(p.transactions.len(), 3);
    let receipts = e.receipts(p.block_hash).unwrap().unwrap();
    assert_eq!(receipts.receipts.len(), 3);
    for (i, r) in receipts.receipts.iter().enumerate() {
        assert!(!r.status(), "transaction {i} succeeded");
        assert!(r.logs().is_empty());
    }
    assert_eq!(
        storage(
            &e,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_STATE_ID
        ),
        U256::ZERO
    );
    assert_eq!(
        storage(&e, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_SPAN_COUNT),
        U256::ZERO
    );
    assert_eq!(
        storage(&e, RECEIVER, slots::TEST_RECEIVER_RECEIVED_COUNT),
        U256::ZERO
    );

    // The same record still commits through the system call afterwards.
    let p = build_and_import(&e, &[], 12, vec![record(1, RECEIVER, b"real")], None);
    assert_eq!(state_committed(&logs_of(&e, &p)), vec![(1, true)]);
}

#[test]
fn the_system_contracts_run_on_the_berlin_profile() {
    const ACCEPTOR: Address = Address::repeat_byte(0xc5);
    let g = berlin(genesis(&[(ACCEPTOR, Bytes::from_static(&ACCEPTING))]));
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(dir_a.path(), &g);
    let b = open(dir_b.path(), &g);
    let vals = vec![validator(1, 10, 0x11), validator(2, 20, 0x22)];
    let p = build_and_import(
        &a,
        &[&b],
        10,
        vec![
            record(1, ACCEPTOR, b"a"),
            record(2, ABSENT, b"b"),
            record(3, ACCEPTOR, b"c"),
        ],
        Some(span(5, 1, 64, vals.clone(), vals)),
    );
    let logs = logs_of(&b, &p);
    assert_eq!(new_spans(&logs), vec![(5, 1, 64)]);
    assert_eq!(
        state_committed(&logs),
        vec![(1, true), (2, false), (3, true)]
    );
    assert_eq!(
        storage(
            &b,
            STATE_RECEIVER_ADDRESS,
            slots::STATE_RECEIVER_LAST_STATE_ID
        ),
        U256::from(3)
    );
    assert_eq!(
        storage(&b, VALIDATOR_SET_ADDRESS, slots::VALIDATOR_SET_CURRENT_SPAN),
        U256::from(5)
    );

    // A legacy transaction calling a view works too (the runtime is berlin-clean).
    let alice = key(1);
    let view = selector("lastStateId()").to_vec();
    b.check_tx(&legacy(
        &alice,
        0,
        TxKind::Call(STATE_RECEIVER_ADDRESS),
        view,
    ))
    .unwrap();
    let p = build_and_import(&b, &[&a], 12, vec![], None);
    let receipts = b.receipts(p.block_hash).unwrap().unwrap();
    assert_eq!(receipts.receipts.len(), 1);
    assert!(receipts.receipts[0].status());
}

#[test]
fn the_test_token_deploys_and_transfers_on_the_default_profile() {
    let g = genesis(&[]);
    let dir = tempfile::tempdir().unwrap();
    let e = open(dir.path(), &g);
    let alice = key(1);
    let bob = Address::repeat_byte(0xb0);
    let supply = U256::from(10).pow(U256::from(24));
    let init = test_token_init_code("Test Token", "TT", supply).unwrap();
    let token = alice.address().create(0);
    let mut transfer = selector("transfer(address,uint256)").to_vec();
    transfer.extend_from_slice(&[0u8; 12]);
    transfer.extend_from_slice(bob.as_slice());
    transfer.extend_from_slice(&word(1234));
    for raw in [
        tx1559(&alice, 0, TxKind::Create, init.to_vec(), 2_000_000),
        tx1559(&alice, 1, TxKind::Call(token), transfer, 100_000),
    ] {
        assert!(matches!(e.check_tx(&raw).unwrap(), TxCheck::Accepted(_)));
    }
    let p = build_and_import(&e, &[], 10, vec![], None);
    let receipts = e.receipts(p.block_hash).unwrap().unwrap();
    assert_eq!(receipts.receipts.len(), 2);
    assert!(receipts.receipts.iter().all(|r| r.status()));
    let (_, _, code_hash) = e.account(token.0 .0).unwrap().unwrap();
    assert_eq!(
        code_hash,
        alloy_primitives::keccak256(&test_token().unwrap().deployed_bytecode)
    );
    // Layout: name 0, symbol 1, totalSupply 2, balanceOf 3, allowance 4.
    let balance = |who: Address| {
        storage(
            &e,
            token,
            mapping_slot(U256::from_be_slice(who.as_slice()), U256::from(3)),
        )
    };
    assert_eq!(storage(&e, token, U256::from(2)), supply);
    assert_eq!(balance(bob), U256::from(1234));
    assert_eq!(balance(alice.address()), supply - U256::from(1234));
    // Mint then transfer: two Transfer events.
    let transfer_topic = topic("Transfer(address,address,uint256)");
    let transfers: Vec<_> = logs_of(&e, &p)
        .into_iter()
        .filter(|(_, l)| l.address == token && l.topics()[0] == transfer_topic)
        .map(|(loc, l)| (loc, U256::from_be_slice(&l.data.data)))
        .collect();
    assert_eq!(
        transfers,
        vec![
            (LogLocation::Tx(0), supply),
            (LogLocation::Tx(1), U256::from(1234))
        ]
    );
    // The artifacts keep their sources' names.
    assert_eq!(validator_set().unwrap().name, "ValidatorSet");
}
