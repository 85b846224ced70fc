//! Shared helpers: dev genesis with extra contracts, keys, signed transactions, block building,
//! and log decoding.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{self as api, Engine, ForkchoiceState, PayloadAttributes, PayloadStatus};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::{InProcessEngine, LogLocation};

pub const CHAIN_ID: u64 = 1029;

pub fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

/// A dev genesis from `dev_genesis_json` with keys 1 and 2 funded, plus `extra` runtime code.
pub fn genesis(extra: &[(Address, Bytes)]) -> serde_json::Value {
    let funded = [
        (key(1).address(), U256::from(10).pow(U256::from(21))),
        (key(2).address(), U256::from(10).pow(U256::from(21))),
    ];
    let mut g = bttc_engine_contracts::dev_genesis_json(CHAIN_ID, &funded).unwrap();
    for (address, code) in extra {
        g["alloc"][format!("{address:#x}")] =
            serde_json::json!({ "balance": "0x0", "code": code.to_string() });
    }
    g
}

/// The same genesis under the BTTC-compatible berlin rules (no EIP-1559).
pub fn berlin(mut g: serde_json::Value) -> serde_json::Value {
    g["config"]["hardfork"] = "berlin".into();
    g.as_object_mut().unwrap().remove("baseFeePerGas");
    g
}

pub fn open(dir: &std::path::Path, genesis: &serde_json::Value) -> InProcessEngine {
    let spec = ChainSpec::from_json(&genesis.to_string()).unwrap();
    InProcessEngine::open(dir, spec).unwrap()
}

pub fn api_addr(a: Address) -> api::Address {
    api::Address(a.0 .0)
}

pub fn record(id: u64, receiver: Address, data: &[u8]) -> api::StateSyncRecord {
    api::StateSyncRecord {
        id,
        receiver: api_addr(receiver),
        data: api::Bytes(data.to_vec()),
    }
}

pub fn sign1559(from: &PrivateKeySigner, tx: TxEip1559) -> Vec<u8> {
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// A type-2 transaction (default profile).
pub fn tx1559(
    from: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    input: Vec<u8>,
    gas_limit: u64,
) -> Vec<u8> {
    sign1559(
        from,
        TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            input: Bytes::from(input),
            ..Default::default()
        },
    )
}

/// A legacy transaction (works on every profile).
pub fn legacy(from: &PrivateKeySigner, nonce: u64, to: TxKind, input: Vec<u8>) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price: 5_000_000_000,
        gas_limit: 1_000_000,
        to,
        value: U256::ZERO,
        input: Bytes::from(input),
    };
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

pub fn sign_seal(signer: &PrivateKeySigner, payload: &mut api::ExecutablePayload) {
    let hash = payload.seal_hash().unwrap();
    let sig = signer.sign_hash_sync(&B256::from(hash.0)).unwrap();
    payload.seal(sig.as_rsy()).unwrap();
}

/// Builds and seals a block on the head of `engine` with these system-call inputs.
pub fn build(
    engine: &dyn Engine,
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
    span: Option<api::SpanCommit>,
) -> api::ExecutablePayload {
    let producer = key(9);
    let head = engine.head().unwrap();
    let attrs = PayloadAttributes {
        timestamp,
        producer: api_addr(producer.address()),
        state_sync_records: records,
        span_commit: span,
    };
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(head.hash), Some(attrs))
        .unwrap();
    assert!(fcu.payload_status.is_valid());
    let mut payload = engine.get_payload(fcu.payload_id.unwrap()).unwrap().payload;
    sign_seal(&producer, &mut payload);
    payload
}

/// new_payload then forkchoice_updated to the block.
pub fn import(engine: &dyn Engine, payload: &api::ExecutablePayload) {
    let status = engine.new_payload(payload.clone()).unwrap();
    assert_eq!(
        status,
        PayloadStatus::Valid {
            latest_valid_hash: payload.block_hash
        }
    );
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(payload.block_hash), None)
        .unwrap();
    assert!(fcu.payload_status.is_valid());
}

/// Builds a block and imports it into `engine` and every engine in `others` (proving the built
/// block is valid elsewhere too).
pub fn build_and_import(
    engine: &InProcessEngine,
    others: &[&InProcessEngine],
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
    span: Option<api::SpanCommit>,
) -> api::ExecutablePayload {
    let payload = build(engine, timestamp, records, span);
    import(engine, &payload);
    for other in others {
        import(*other, &payload);
        assert_eq!(other.head().unwrap(), engine.head().unwrap());
    }
    payload
}

/// Every log of a block, in execution order, with where it came from.
pub fn logs(engine: &InProcessEngine, block: api::H256) -> Vec<(LogLocation, Log)> {
    let receipts = engine.receipts(block).unwrap().unwrap();
    receipts
        .block_logs()
        .into_iter()
        .map(|(loc, _, _, log)| (loc, log.clone()))
        .collect()
}

pub fn topic(signature: &str) -> B256 {
    keccak256(signature.as_bytes())
}

pub fn selector(signature: &str) -> [u8; 4] {
    keccak256(signature.as_bytes())[..4].try_into().unwrap()
}

pub fn word(v: u64) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

/// `StateCommitted(id, success)` events of these logs, in order.
pub fn state_committed(logs: &[(LogLocation, Log)]) -> Vec<(u64, bool)> {
    let sig = topic("StateCommitted(uint256,bool)");
    logs.iter()
        .filter(|(_, l)| {
            l.address == bttc_engine_contracts::STATE_RECEIVER_ADDRESS && l.topics()[0] == sig
        })
        .map(|(loc, l)| {
            assert_eq!(*loc, LogLocation::System);
            let id = U256::from_be_bytes(l.topics()[1].0).to::<u64>();
            let success = U256::from_be_slice(&l.data.data) == U256::from(1);
            (id, success)
        })
        .collect()
}

/// `StateReceived(id, data)` events emitted by `receiver`, in order.
pub fn state_received(logs: &[(LogLocation, Log)], receiver: Address) -> Vec<(u64, Vec<u8>)> {
    let sig = topic("StateReceived(uint256,bytes)");
    logs.iter()
        .filter(|(_, l)| l.address == receiver && l.topics()[0] == sig)
        .map(|(_, l)| {
            let id = U256::from_be_bytes(l.topics()[1].0).to::<u64>();
            let d = &l.data.data;
            assert_eq!(
                U256::from_be_slice(&d[..32]),
                U256::from(32),
                "bytes offset"
            );
            let len = U256::from_be_slice(&d[32..64]).to::<usize>();
            (id, d[64..64 + len].to_vec())
        })
        .collect()
}

/// ABI encoding of `f(uint256, bytes)`.
pub fn call_uint_bytes(signature: &str, n: u64, b: &[u8]) -> Vec<u8> {
    let mut out = selector(signature).to_vec();
    out.extend_from_slice(&word(n));
    out.extend_from_slice(&word(64));
    out.extend_from_slice(&word(b.len() as u64));
    out.extend_from_slice(b);
    out.resize(out.len() + (32 - b.len() % 32) % 32, 0);
    out
}

/// Storage slot of `mapping(key => …)` at `slot` (Solidity: keccak(key ‖ slot)).
pub fn mapping_slot(key: U256, slot: U256) -> U256 {
    let mut pre = key.to_be_bytes::<32>().to_vec();
    pre.extend_from_slice(&slot.to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(pre).0)
}

/// First data slot of a dynamic array whose length is at `slot`.
pub fn array_data_slot(slot: U256) -> U256 {
    U256::from_be_bytes(keccak256(slot.to_be_bytes::<32>()).0)
}

pub fn storage(engine: &InProcessEngine, address: Address, slot: U256) -> U256 {
    engine.storage_at(address.0 .0, slot).unwrap()
}

/// Runtime that always reverts: REVERT(0, 0).
pub const REVERTING: [u8; 5] = [0x60, 0x00, 0x60, 0x00, 0xfd];
/// Runtime that loops until it runs out of gas: JUMPDEST; PUSH1 0; JUMP.
pub const LOOPING: [u8; 4] = [0x5b, 0x60, 0x00, 0x56];
/// Berlin-safe runtime that accepts anything: LOG1(topic 0xff, no data); STOP.
pub const ACCEPTING: [u8; 8] = [0x60, 0xff, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00];
