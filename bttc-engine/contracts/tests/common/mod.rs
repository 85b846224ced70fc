//! Shared helpers: dev genesis with extra contracts, keys, signed transactions, block building,
//! and log decoding.
// Each test binary uses its own subset of these helpers; the clippy and missing_docs allowances
// come from the including test file's crate-level header.
#![allow(dead_code)]

pub mod chain;
pub mod root;

use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{self as api, Engine};
use bttc_engine_executor::{InProcessEngine, LogLocation};
#[allow(unused_imports)]
pub use bttc_engine_testkit::{import, key, record, CHAIN_ID};

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
    InProcessEngine::open(dir, bttc_engine_testkit::spec_from(genesis)).unwrap()
}

/// A type-2 transaction (default profile, no value).
pub fn tx1559(
    from: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    input: Vec<u8>,
    gas_limit: u64,
) -> Vec<u8> {
    bttc_engine_testkit::tx1559(from, nonce, to, 0, gas_limit, input)
}

/// A legacy transaction (works on every profile; no value, gas limit 1,000,000).
pub fn legacy(from: &PrivateKeySigner, nonce: u64, to: TxKind, input: Vec<u8>) -> Vec<u8> {
    bttc_engine_testkit::legacy_tx(from, Some(CHAIN_ID), nonce, to, 0, 1_000_000, input)
}

/// Builds and seals a block on the head of `engine` with these system-call inputs (producer:
/// key 9).
pub fn build(
    engine: &dyn Engine,
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
    span: Option<api::SpanCommit>,
) -> api::ExecutablePayload {
    bttc_engine_testkit::build_sealed_with(engine, &key(9), timestamp, records, span)
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
