//! With `TxSink::Relay`, `eth_sendRawTransaction` checks the transaction with the engine first,
//! then sends it to CometBFT's `broadcast_tx_sync` with the raw bytes in base64; a CheckTx
//! refusal comes back as a -32000 error with its log. CometBFT is played by a small HTTP server
//! that records what it got.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, Bytes};
use base64::Engine as _;
use bttc_engine_rpc::{RpcConfig, TxSink};
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers every POST with `answer`, recording the JSON bodies.
async fn fake_cometbft(answer: Value) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let body = loop {
                let mut chunk = [0u8; 4096];
                let n = sock.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed before the body");
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().unwrap())
                        })
                        .unwrap();
                    if buf.len() >= end + 4 + len {
                        break buf[end + 4..end + 4 + len].to_vec();
                    }
                }
            };
            record
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap());
            let out = answer.to_string();
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{out}",
                out.len()
            );
            sock.write_all(resp.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_transactions_are_broadcast_and_checktx_refusals_reported() {
    let ok = json!({ "jsonrpc": "2.0", "id": 1, "result": { "code": 0, "data": "", "log": "", "codespace": "", "hash": "AB" } });
    let (url, seen) = fake_cometbft(ok).await;
    let node = Node::start_with(RpcConfig {
        sink: TxSink::Relay { url },
        ..RpcConfig::default()
    })
    .await;
    let alice = key(1);
    let raw = transfer(&alice, 0, Address::repeat_byte(0xc0), 1);
    let hash = node.send(&raw).await;
    assert_eq!(hash, alloy_primitives::keccak256(&raw));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["method"], "broadcast_tx_sync");
        let b64 = seen[0]["params"]["tx"].as_str().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(decoded, raw);
    }

    // A transaction the engine refuses never reaches CometBFT.
    let e = node
        .call_err(
            "eth_sendRawTransaction",
            json!([Bytes::from(transfer(&alice, 0, Address::ZERO, 1))]),
        )
        .await;
    assert!(
        e.message.starts_with("replacement transaction underpriced"),
        "{e:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    // CheckTx refusal.
    let refused = json!({ "jsonrpc": "2.0", "id": 1, "result": { "code": 7, "data": "", "log": "nonce gap", "codespace": "evm", "hash": "AB" } });
    let (url, _) = fake_cometbft(refused).await;
    let node = Node::start_with(RpcConfig {
        sink: TxSink::Relay { url },
        ..RpcConfig::default()
    })
    .await;
    let e = node
        .call_err("eth_sendRawTransaction", json!([Bytes::from(raw.clone())]))
        .await;
    assert_eq!(e.code, -32000);
    assert!(
        e.message.contains("rejected by Delivery CheckTx") && e.message.contains("nonce gap"),
        "{e:?}"
    );

    // CometBFT unreachable.
    let node = Node::start_with(RpcConfig {
        sink: TxSink::Relay {
            url: "http://127.0.0.1:1".into(),
        },
        ..RpcConfig::default()
    })
    .await;
    let e = node
        .call_err("eth_sendRawTransaction", json!([Bytes::from(raw)]))
        .await;
    assert!(e.message.starts_with("cannot relay"), "{e:?}");
}
