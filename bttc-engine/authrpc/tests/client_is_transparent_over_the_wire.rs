//! Calling an engine through the JSON-RPC client gives exactly what the in-process engine gives:
//! payloads built through one client import through another with the same hash and state root,
//! tampered payloads are INVALID with the same reason, check_tx and engine errors are identical.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::fmt::Debug;

use alloy_primitives::Address;
use bttc_engine_api::{
    self as api, Engine, EngineError, ForkchoiceState, PayloadAttributes, PayloadId, PayloadStatus,
    TxCheck, TxRejectKind,
};
use bttc_engine_authrpc::ServerConfig;
use common::*;

/// Both answers are equal (values or errors); returns the answer.
fn same<T: PartialEq + Debug>(
    what: &str,
    local: Result<T, EngineError>,
    remote: Result<T, EngineError>,
) -> Result<T, EngineError> {
    assert_eq!(local, remote, "{what}: in-process vs client");
    remote
}

#[test]
fn a_payload_built_through_one_client_imports_through_another_with_the_same_hash_and_root() {
    let rt = runtime();
    let a = serve_engine(&rt, ServerConfig::default());
    let b = serve_engine(&rt, ServerConfig::default());
    let (ca, cb) = (a.client(), b.client());
    assert_eq!(ca.head().unwrap(), cb.head().unwrap(), "same genesis");
    assert_eq!(ca.head().unwrap(), a.engine.head().unwrap());

    let alice = key(1);
    let bob = key(2);
    let producer = key(9);
    let carol = Address::repeat_byte(0xc0);
    for raw in mixed_txs(&alice, &bob, carol) {
        assert!(matches!(ca.check_tx(&raw).unwrap(), TxCheck::Accepted(_)));
    }
    assert_eq!(a.engine.pool_len().unwrap(), 4, "check_tx reached a's pool");

    let record = record(1, carol, &[1, 2, 3]);
    let payload = build_sealed(&ca, &producer, 10, vec![record]);
    assert_eq!(payload.transactions.len(), 4);
    assert_eq!(payload.state_sync_records.len(), 1);

    import(&cb, &payload);
    import(&ca, &payload);
    let head_b = cb.head().unwrap();
    assert_eq!(head_b.hash, payload.block_hash);
    assert_eq!(head_b.state_root, payload.state_root);
    assert_eq!(head_b.number, 1);
    assert_eq!(ca.head().unwrap(), head_b);
    assert_eq!(b.engine.head().unwrap(), head_b, "the served engine moved");
    assert!(b.engine.verify_head_state_root().unwrap());
    assert!(a.engine.verify_head_state_root().unwrap());
    assert_eq!(a.engine.pool_len().unwrap(), 0);

    // A second block, built through b's client this time, imported into a.
    cb.check_tx(&transfer(&alice, 3, carol, 5)).unwrap();
    let payload2 = build_sealed(&cb, &producer, 12, vec![]);
    assert_eq!(payload2.transactions.len(), 1);
    import(&cb, &payload2);
    import(&ca, &payload2);
    assert_eq!(ca.head().unwrap(), cb.head().unwrap());
    assert_eq!(ca.head().unwrap().number, 2);

    rt.block_on(a.handle.stop()).unwrap();
    rt.block_on(b.handle.stop()).unwrap();
}

#[test]
fn tampered_payloads_come_back_invalid_with_the_in_process_reason() {
    let rt = runtime();
    let a = serve_engine(&rt, ServerConfig::default());
    let b = serve_engine(&rt, ServerConfig::default());
    let (ca, cb) = (a.client(), b.client());
    let alice = key(1);
    let producer = key(9);
    let carol = Address::repeat_byte(0xc0);
    ca.check_tx(&transfer(&alice, 0, carol, 1_000)).unwrap();
    ca.check_tx(&transfer(&alice, 1, carol, 1_000)).unwrap();
    let good = build_sealed(&ca, &producer, 10, vec![]);

    // Each verdict through the client equals the in-process verdict of the same engine (a
    // rejected payload changes nothing, so asking twice is fair).
    let verdict = |p: &api::ExecutablePayload| {
        let local = b.engine.new_payload(p.clone());
        same("new_payload", local, cb.new_payload(p.clone())).unwrap()
    };

    let spoilt = Tampered::new(&good, &producer, transfer(&alice, 1, carol, 999));
    for (what, payload, mentions) in spoilt.cases() {
        assert_invalid_mentioning(what, verdict(payload), mentions);
    }

    let mut future = good.clone();
    future.block_number = 5;
    sign_seal(&producer, &mut future);
    assert_eq!(verdict(&future), PayloadStatus::Syncing);

    // INVALID carries the latest valid hash: b's genesis.
    match cb.new_payload(spoilt.bad_root).unwrap() {
        PayloadStatus::Invalid {
            latest_valid_hash, ..
        } => assert_eq!(latest_valid_hash, Some(cb.head().unwrap().hash)),
        other => panic!("{other:?}"),
    }

    assert_eq!(cb.head().unwrap().number, 0, "nothing moved b's head");
    import(&cb, &good);
    assert_eq!(cb.head().unwrap().state_root, good.state_root);
}

#[test]
fn every_method_and_error_matches_a_twin_in_process_engine() {
    let rt = runtime();
    let served = serve_engine(&rt, ServerConfig::default());
    let client = served.client();
    let twin_dir = tempfile::tempdir().unwrap();
    let twin = open(twin_dir.path());

    let alice = key(1);
    let poor = key(7);
    let producer = key(9);
    let carol = Address::repeat_byte(0xc0);

    let head = same("head", twin.head(), client.head()).unwrap();

    // check_tx: accepted, accepted again, and each rejection kind we can provoke.
    let ok = transfer(&alice, 0, carol, 1);
    let accepted = same("check_tx ok", twin.check_tx(&ok), client.check_tx(&ok)).unwrap();
    assert!(matches!(accepted, TxCheck::Accepted(_)));
    same("check_tx again", twin.check_tx(&ok), client.check_tx(&ok)).unwrap();
    let rejections = [
        (vec![0x02, 0xc0], TxRejectKind::Malformed),
        (vec![], TxRejectKind::Malformed),
        (
            transfer(&poor, 0, carol, 1),
            TxRejectKind::InsufficientFunds,
        ),
        (transfer(&alice, 100, carol, 1), TxRejectKind::NonceGap),
        (
            transfer(&alice, 0, carol, 2),
            TxRejectKind::ReplacementNotAllowed,
        ),
        (vec![0u8; 200 * 1024], TxRejectKind::Oversized),
    ];
    for (raw, kind) in rejections {
        let check = same("check_tx bad", twin.check_tx(&raw), client.check_tx(&raw)).unwrap();
        match check {
            TxCheck::Rejected { kind: k, message } => {
                assert_eq!(k, kind, "{message}");
                assert!(!message.is_empty());
            }
            other => panic!("expected {kind:?}, got {other:?}"),
        }
    }

    // check_txs: one call, the verdicts of checking each in turn (a later nonce of the same
    // sender is pooled after its predecessor in the same batch).
    let batch = vec![
        transfer(&alice, 1, carol, 1),
        vec![0x02, 0xc0],
        transfer(&alice, 2, carol, 1),
        ok.clone(),
        transfer(&poor, 0, carol, 1),
    ];
    let verdicts = same(
        "check_txs",
        twin.check_txs(&batch),
        client.check_txs(&batch),
    )
    .unwrap();
    let kinds: Vec<Option<TxRejectKind>> = verdicts
        .iter()
        .map(|v| match v {
            TxCheck::Accepted(_) => None,
            TxCheck::Rejected { kind, .. } => Some(*kind),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            None,
            Some(TxRejectKind::Malformed),
            None,
            None,
            Some(TxRejectKind::InsufficientFunds)
        ]
    );
    let pooled = same(
        "pooled_hashes",
        twin.pooled_hashes(),
        client.pooled_hashes(),
    )
    .unwrap();
    assert_eq!(pooled.len(), 3, "alice's nonces 0, 1 and 2");
    assert!(
        same("empty batch", twin.check_txs(&[]), client.check_txs(&[]))
            .unwrap()
            .is_empty()
    );

    // Build: the payload id is deterministic, so both engines give the same one.
    let attrs = PayloadAttributes {
        timestamp: 10,
        producer: api_addr(producer.address()),
        state_sync_records: vec![],
        span_commit: None,
        max_transactions_bytes: None,
    };
    let fcs = ForkchoiceState::finalized(head.hash);
    let fcu = same(
        "fcu build",
        twin.forkchoice_updated(fcs, Some(attrs.clone())),
        client.forkchoice_updated(fcs, Some(attrs.clone())),
    )
    .unwrap();
    let id = fcu.payload_id.unwrap();
    let built = same("get_payload", twin.get_payload(id), client.get_payload(id)).unwrap();
    assert_eq!(built.payload.transactions.len(), 3, "alice 0, 1, 2");

    // Engine errors keep their variant and text.
    let unknown = PayloadId([0xee; 8]);
    let err = same(
        "unknown payload",
        twin.get_payload(unknown),
        client.get_payload(unknown),
    )
    .unwrap_err();
    assert_eq!(err, EngineError::UnknownPayload(unknown));
    let stale = PayloadAttributes {
        timestamp: 0,
        ..attrs.clone()
    };
    let err = same(
        "stale attributes",
        twin.forkchoice_updated(fcs, Some(stale.clone())),
        client.forkchoice_updated(fcs, Some(stale)),
    )
    .unwrap_err();
    assert!(
        matches!(err, EngineError::InvalidPayloadAttributes(_)),
        "{err}"
    );
    let bad_finalized = ForkchoiceState {
        finalized_block_hash: api::H256([5; 32]),
        ..fcs
    };
    let err = same(
        "unknown finalized",
        twin.forkchoice_updated(bad_finalized, None),
        client.forkchoice_updated(bad_finalized, None),
    )
    .unwrap_err();
    assert!(
        matches!(err, EngineError::InvalidForkchoiceState(_)),
        "{err}"
    );
    let unknown_head = ForkchoiceState::finalized(api::H256([6; 32]));
    let syncing = same(
        "unknown head",
        twin.forkchoice_updated(unknown_head, None),
        client.forkchoice_updated(unknown_head, None),
    )
    .unwrap();
    assert_eq!(syncing.payload_status, PayloadStatus::Syncing);

    // Import the sealed payload on both, then the old head is behind: invalid forkchoice.
    let mut payload = built.payload;
    sign_seal(&producer, &mut payload);
    let status = same(
        "new_payload",
        twin.new_payload(payload.clone()),
        client.new_payload(payload.clone()),
    )
    .unwrap();
    assert!(status.is_valid());
    let to_new = ForkchoiceState::finalized(payload.block_hash);
    same(
        "fcu commit",
        twin.forkchoice_updated(to_new, None),
        client.forkchoice_updated(to_new, None),
    )
    .unwrap();
    let err = same(
        "head behind",
        twin.forkchoice_updated(fcs, None),
        client.forkchoice_updated(fcs, None),
    )
    .unwrap_err();
    assert!(
        matches!(err, EngineError::InvalidForkchoiceState(_)),
        "{err}"
    );
    // A known block is VALID again.
    same(
        "new_payload known",
        twin.new_payload(payload.clone()),
        client.new_payload(payload),
    )
    .unwrap();
    let head = same("head after", twin.head(), client.head()).unwrap();
    assert_eq!(head.number, 1);

    // Capabilities.
    let caps = client.exchange_capabilities().unwrap();
    for m in [
        "engine_forkchoiceUpdated",
        "engine_getPayload",
        "engine_newPayload",
        "bttc_checkTx",
        "bttc_head",
    ] {
        assert!(caps.iter().any(|c| c == m), "{m} in {caps:?}");
    }
}

#[test]
fn the_client_works_from_inside_a_tokio_worker() {
    // Delivery's ABCI handlers are sync code running on tokio workers: a client call there must
    // not panic (as reqwest::blocking would). The engine runs in another process in production,
    // so the server has its own runtime here.
    let rt = runtime();
    let served = serve_engine(&rt, ServerConfig::default());
    let client = served.client();
    let expected = served.engine.head().unwrap();
    let app_rt = runtime();
    let got = app_rt
        .block_on(async move { tokio::spawn(async move { client.head() }).await })
        .unwrap()
        .unwrap();
    assert_eq!(got, expected);
}
