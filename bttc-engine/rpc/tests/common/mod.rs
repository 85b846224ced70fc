//! Test harness: an InProcessEngine in a tempdir with the RPC server on port 0, a JSON-RPC
//! client over HTTP and WebSocket, signed transactions, hand-assembled contracts, and block
//! production by driving the engine API.
// Each test binary uses its own subset of these helpers; the clippy and missing_docs allowances
// come from the including test file's crate-level header.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api as api;
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;
use bttc_engine_rpc::{RpcConfig, RpcHandle};
#[allow(unused_imports)] // likewise: each test binary re-exports what it needs
pub use bttc_engine_testkit::{
    build_sealed, import, init_code_for as init_code, key, record, transfer, tx1559, CHAIN_ID,
};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};

/// StateReceiver system contract.
pub const STATE_RECEIVER: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x01,
]);
/// A TestStateSyncReceiver (or, without the artifacts, nothing) lives here.
pub const RECEIVER: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x00,
]);
/// Topic 0 of the Emitter's log.
pub const EMIT_TOPIC: B256 = B256::new([0xaa; 32]);

fn artifact_code(name: &str) -> Option<String> {
    let path = format!(
        "{}/../../contracts/artifacts/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["deployedBytecode"].as_str().map(str::to_string)
}

/// Runtime of the fallback system contract used when the artifacts are absent: LOG1(topic
/// 0xee…ee, no data) on any call.
fn fallback_receiver_code() -> String {
    format!("0x7f{}60006000a100", "ee".repeat(32))
}

/// The testkit genesis plus key 3 (a small balance), the StateReceiver system contract (the
/// artifact, or a fallback that logs) and, with the artifacts, a TestStateSyncReceiver.
pub fn spec() -> ChainSpec {
    let state_receiver = artifact_code("StateReceiver").unwrap_or_else(fallback_receiver_code);
    let mut g = bttc_engine_testkit::genesis_json();
    let alloc = &mut g["alloc"];
    alloc[key(3).address().to_string()] = json!({ "balance": "0x5af3107a4000" });
    alloc[STATE_RECEIVER.to_string()] = json!({ "code": state_receiver });
    if let Some(c) = artifact_code("TestStateSyncReceiver") {
        alloc[RECEIVER.to_string()] = json!({ "code": c });
    }
    bttc_engine_testkit::spec_from(&g)
}

/// A node: engine + RPC server.
pub struct Node {
    pub dir: tempfile::TempDir,
    pub engine: Arc<InProcessEngine>,
    pub rpc: RpcHandle,
    pub http: reqwest::Client,
    pub url: String,
    time: AtomicU64,
    id: AtomicU64,
}

#[derive(Debug)]
pub struct RpcErr {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl Node {
    pub async fn start() -> Self {
        Self::start_with(RpcConfig::default()).await
    }

    pub async fn start_with(mut config: RpcConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engine = Arc::new(InProcessEngine::open(dir.path(), spec()).unwrap());
        config.listen = "127.0.0.1:0".parse().unwrap();
        let rpc = bttc_engine_rpc::start(Arc::clone(&engine), CHAIN_ID, config)
            .await
            .unwrap();
        let url = format!("http://{}", rpc.local_addr());
        Self {
            dir,
            engine,
            rpc,
            http: reqwest::Client::new(),
            url,
            time: AtomicU64::new(100),
            id: AtomicU64::new(1),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc.local_addr())
    }

    /// The raw JSON-RPC answer.
    pub async fn raw(&self, method: &str, params: Value) -> Value {
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    }

    pub async fn try_call(&self, method: &str, params: Value) -> Result<Value, RpcErr> {
        let v = self.raw(method, params).await;
        if let Some(e) = v.get("error") {
            return Err(RpcErr {
                code: e["code"].as_i64().unwrap(),
                message: e["message"].as_str().unwrap().to_string(),
                data: e.get("data").cloned(),
            });
        }
        Ok(v["result"].clone())
    }

    pub async fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call(method, params.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{method} {params} failed: {e:?}"),
        }
    }

    pub async fn call_err(&self, method: &str, params: Value) -> RpcErr {
        match self.try_call(method, params.clone()).await {
            Ok(v) => panic!("{method} {params} should fail, got {v}"),
            Err(e) => e,
        }
    }

    pub async fn send(&self, raw: &[u8]) -> B256 {
        let v = self
            .call(
                "eth_sendRawTransaction",
                json!([Bytes::copy_from_slice(raw)]),
            )
            .await;
        v.as_str().unwrap().parse().unwrap()
    }

    /// Builds, seals and imports one block with the pool's transactions and `records`.
    pub async fn mine(&self, records: Vec<api::StateSyncRecord>) -> api::ExecutablePayload {
        let engine = Arc::clone(&self.engine);
        let ts = self.time.fetch_add(2, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let payload = build_sealed(engine.as_ref(), &key(9), ts, records);
            import(engine.as_ref(), &payload);
            payload
        })
        .await
        .unwrap()
    }
}

pub fn q(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u64::from_str_radix(s.strip_prefix("0x").unwrap(), 16).unwrap()
}

pub fn q256(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

/// A signed legacy transfer (gas limit 21,000); `chain_id` `None` signs it without EIP-155.
pub fn legacy(
    from: &PrivateKeySigner,
    chain_id: Option<u64>,
    nonce: u64,
    to: Address,
    value: u64,
) -> Vec<u8> {
    bttc_engine_testkit::legacy_tx(
        from,
        chain_id,
        nonce,
        TxKind::Call(to),
        value,
        21_000,
        vec![],
    )
}

/// Emitter runtime: mstore(0, 42); LOG2(mem[0..32], EMIT_TOPIC, calldata[0..32]); return
/// mem[0..32].
pub fn emitter_runtime() -> Vec<u8> {
    let mut c = vec![0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x00, 0x35, 0x7f];
    c.extend_from_slice(EMIT_TOPIC.as_slice());
    c.extend_from_slice(&[0x60, 0x20, 0x60, 0x00, 0xa2, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    c
}

/// ABI `Error(string)` revert data.
pub fn error_string(s: &str) -> Vec<u8> {
    let mut v = vec![0x08, 0xc3, 0x79, 0xa0];
    v.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    v.extend_from_slice(&U256::from(s.len()).to_be_bytes::<32>());
    let mut data = s.as_bytes().to_vec();
    data.resize(s.len().div_ceil(32) * 32, 0);
    v.extend_from_slice(&data);
    v
}

/// Reverter runtime: revert(Error("boom")).
pub fn reverter_runtime() -> Vec<u8> {
    let data = error_string("boom");
    let len = u8::try_from(data.len()).unwrap();
    let mut c = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xfd,
    ];
    c.extend_from_slice(&data);
    c
}

pub fn deploy(from: &PrivateKeySigner, nonce: u64, runtime: &[u8]) -> Vec<u8> {
    tx1559(from, nonce, TxKind::Create, 0, 300_000, init_code(runtime))
}

pub fn word(n: u64) -> B256 {
    B256::from(U256::from(n).to_be_bytes::<32>())
}

/// A WebSocket JSON-RPC client.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Ws {
    pub async fn connect(url: &str) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self { stream, next_id: 1 }
    }

    async fn next_json(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a WebSocket message within 10 s")
                .unwrap()
                .unwrap();
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                return serde_json::from_str(&t).unwrap();
            }
        }
    }

    /// Sends a request and returns its answer (notifications in between are dropped).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(
                body.to_string().into(),
            ))
            .await
            .unwrap();
        loop {
            let v = self.next_json().await;
            if v["method"] == "eth_subscription" {
                continue; // a notification sent before the answer
            }
            assert_eq!(v["id"], json!(id), "answer to {method}: {v}");
            return v;
        }
    }

    /// The next `eth_subscription` notification: (subscription id, result).
    pub async fn notification(&mut self) -> (String, Value) {
        let v = self.next_json().await;
        assert_eq!(v["method"], "eth_subscription", "{v}");
        (
            v["params"]["subscription"].as_str().unwrap().to_string(),
            v["params"]["result"].clone(),
        )
    }
}
