//! Shared helpers: a genesis, keys, signed transactions and block building (copied from the
//! executor tests), plus engines served over the engine API.
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
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{self as api, Engine, ForkchoiceState, PayloadAttributes, PayloadStatus};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;

pub const CHAIN_ID: u64 = 1029;

pub fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

pub fn spec() -> ChainSpec {
    let json = format!(
        r#"{{
          "config": {{ "chainId": {CHAIN_ID} }},
          "gasLimit": "0x1c9c380",
          "baseFeePerGas": "0x3b9aca00",
          "alloc": {{
            "{}": {{ "balance": "0x56bc75e2d63100000" }},
            "{}": {{ "balance": "0x56bc75e2d63100000" }}
          }}
        }}"#,
        key(1).address(),
        key(2).address()
    );
    ChainSpec::from_json(&json).unwrap()
}

pub fn open(dir: &std::path::Path) -> InProcessEngine {
    InProcessEngine::open(dir, spec()).unwrap()
}

pub fn transfer(from: &PrivateKeySigner, nonce: u64, to: Address, value: u64) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    };
    sign1559(from, tx)
}

pub fn sign1559(from: &PrivateKeySigner, tx: TxEip1559) -> Vec<u8> {
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

pub fn legacy_call(from: &PrivateKeySigner, nonce: u64, to: Address, data: Vec<u8>) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price: 5_000_000_000,
        gas_limit: 100_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        input: Bytes::from(data),
    };
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// Runtime: SSTORE(0, 42); LOG1(topic 0xff, no data); STOP.
pub const RUNTIME: [u8; 13] = [
    0x60, 0x2a, 0x60, 0x00, 0x55, 0x60, 0xff, 0x60, 0x00, 0x60, 0x00, 0xa1, 0x00,
];

/// Init code that returns RUNTIME.
pub fn init_code() -> Vec<u8> {
    let mut code = vec![
        0x60, 0x0d, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x0d, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(&RUNTIME);
    code
}

pub fn deploy(from: &PrivateKeySigner, nonce: u64) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Create,
        input: Bytes::from(init_code()),
        ..Default::default()
    };
    sign1559(from, tx)
}

pub fn api_addr(a: Address) -> api::Address {
    api::Address(a.0 .0)
}

pub fn sign_seal(signer: &PrivateKeySigner, payload: &mut api::ExecutablePayload) {
    let hash = payload.seal_hash().unwrap();
    let sig = signer.sign_hash_sync(&B256::from(hash.0)).unwrap();
    payload.seal(sig.as_rsy()).unwrap();
}

/// Builds a block on `engine`'s head with the producer `producer`, sealed by it.
pub fn build_sealed(
    engine: &dyn Engine,
    producer: &PrivateKeySigner,
    timestamp: u64,
    records: Vec<api::StateSyncRecord>,
) -> api::ExecutablePayload {
    let head = engine.head().unwrap();
    let attrs = PayloadAttributes {
        timestamp,
        producer: api_addr(producer.address()),
        state_sync_records: records,
        span_commit: None,
    };
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(head.hash), Some(attrs))
        .unwrap();
    assert!(fcu.payload_status.is_valid());
    let built = engine.get_payload(fcu.payload_id.unwrap()).unwrap();
    assert_eq!(built.seal_hash, built.payload.seal_hash().unwrap());
    let mut payload = built.payload;
    sign_seal(producer, &mut payload);
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
    assert_eq!(engine.head().unwrap().hash, payload.block_hash);
}

// --- served engines ---

use std::sync::Arc;

use bttc_engine_authrpc::{AuthRpcClient, AuthRpcServer, JwtSecret, ServerConfig, ServerHandle};

/// A multi-thread runtime for the servers; the test thread stays outside it and calls the sync
/// client, as Delivery's code does.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An in-process engine on a fresh database, served on a free loopback port.
pub struct Served {
    pub engine: Arc<InProcessEngine>,
    pub handle: ServerHandle,
    pub secret: JwtSecret,
    _dir: tempfile::TempDir,
}

impl Served {
    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn client(&self) -> AuthRpcClient {
        AuthRpcClient::connect(&self.url(), self.secret.clone()).unwrap()
    }
}

pub fn serve_engine(rt: &tokio::runtime::Runtime, config: ServerConfig) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(open(dir.path()));
    let secret = JwtSecret::random().unwrap();
    let as_dyn: Arc<dyn Engine> = engine.clone();
    let server = rt
        .block_on(AuthRpcServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            as_dyn,
            secret.clone(),
            config,
        ))
        .unwrap();
    let handle = {
        let _guard = rt.enter();
        server.spawn()
    };
    Served {
        engine,
        handle,
        secret,
        _dir: dir,
    }
}

/// A raw HTTP POST; returns the status and the body parsed as JSON (Null if empty or not JSON).
pub fn post(url: &str, auth: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build(),
    );
    let mut req = agent.post(url).content_type("application/json");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let mut resp = req.send(body).unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.body_mut().read_to_vec().unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
