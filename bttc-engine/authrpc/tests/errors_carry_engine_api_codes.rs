//! JSON-RPC framing and engine errors carry the Engine API's codes; batches, notifications, the
//! body limit, a stopped server and a silent one behave as documented.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use bttc_engine_api::{Engine, EngineError, PayloadId};
use bttc_engine_authrpc::{AuthRpcClient, ClientConfig, JwtSecret, ServerConfig};
use common::*;
use serde_json::{json, Value};

fn rpc(served: &Served, body: &str) -> (u16, Value) {
    post(
        &served.url(),
        Some(&bearer(&served.secret.token_now())),
        body,
    )
}

fn error_of(served: &Served, body: &str) -> (i64, String) {
    let (status, reply) = rpc(served, body);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["jsonrpc"], "2.0");
    (
        reply["error"]["code"].as_i64().unwrap(),
        reply["error"]["message"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn framing_and_engine_errors_get_engine_api_codes() {
    let rt = runtime();
    let s = serve_engine(&rt, ServerConfig::default());

    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#,
    );
    assert_eq!(code, -32601, "{msg}");
    assert!(msg.contains("eth_blockNumber"), "{msg}");

    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"engine_getPayload","params":["0x12"]}"#,
    );
    assert_eq!(code, -32602);
    assert!(
        msg.contains("param 0 (payloadId)") && msg.contains("expected 8 bytes"),
        "{msg}"
    );
    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"engine_getPayload","params":[]}"#,
    );
    assert_eq!(code, -32602);
    assert!(msg.contains("expected 1 params"), "{msg}");
    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"engine_newPayload","params":[{"parentHash":"0x00"}]}"#,
    );
    assert_eq!(code, -32602);
    assert!(msg.contains("param 0 (executablePayload)"), "{msg}");
    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"bttc_checkTx","params":["not hex"]}"#,
    );
    assert_eq!(code, -32602);
    assert!(
        msg.contains("param 0 (rawTransaction)") && msg.contains("0x"),
        "{msg}"
    );
    let (code, _) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"bttc_head","params":[1]}"#,
    );
    assert_eq!(code, -32602);

    let (code, msg) = error_of(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"engine_getPayload","params":["0x0102030405060708"]}"#,
    );
    assert_eq!(code, -38001);
    assert!(msg.contains("0x0102030405060708"), "{msg}");

    let (code, msg) = error_of(&s, "this is not json");
    assert_eq!(code, -32700, "{msg}");
    let (code, _) = error_of(&s, "");
    assert_eq!(code, -32700);
    let (code, _) = error_of(&s, r#"{"id":1,"method":"bttc_head"}"#);
    assert_eq!(code, -32600);
    let (code, _) = error_of(&s, "[]");
    assert_eq!(code, -32600);

    // Through the client, the unknown payload is the engine error itself.
    let client = s.client();
    let id = PayloadId([1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(client.get_payload(id), Err(EngineError::UnknownPayload(id)));
}

#[test]
fn batches_run_in_order_and_notifications_get_no_answer() {
    let rt = runtime();
    let s = serve_engine(&rt, ServerConfig::default());
    let alice = key(1);
    let tx = format!(
        "0x{}",
        hex::encode(transfer(
            &alice,
            0,
            alloy_primitives::Address::repeat_byte(0xc0),
            1
        ))
    );
    let batch = json!([
        {"jsonrpc": "2.0", "id": "a", "method": "bttc_checkTx", "params": [tx]},
        {"jsonrpc": "2.0", "id": 2, "method": "bttc_head", "params": []},
        {"jsonrpc": "2.0", "method": "bttc_head"},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        17
    ]);
    let (status, reply) = rpc(&s, &batch.to_string());
    assert_eq!(status, 200);
    let replies = reply.as_array().unwrap();
    assert_eq!(
        replies.len(),
        4,
        "the notification is not answered: {reply}"
    );
    assert_eq!(replies[0]["id"], "a");
    assert_eq!(replies[0]["result"]["result"], "accepted");
    assert_eq!(replies[1]["id"], 2);
    assert_eq!(replies[1]["result"]["number"], "0x0");
    assert_eq!(replies[2]["error"]["code"], -32601);
    assert_eq!(replies[3]["error"]["code"], -32600);
    assert_eq!(replies[3]["id"], Value::Null);
    assert_eq!(s.engine.pool_len().unwrap(), 1);

    // A lone notification: executed, HTTP 204, no body.
    let (status, body) = rpc(&s, r#"{"jsonrpc":"2.0","method":"bttc_head","params":[]}"#);
    assert_eq!((status, body), (204, Value::Null));
}

#[test]
fn an_oversized_body_is_refused_with_413_before_it_is_read() {
    let rt = runtime();
    let s = serve_engine(
        &rt,
        ServerConfig {
            max_body_bytes: 1024,
            ..ServerConfig::default()
        },
    );
    // Declared too large: refused from the headers alone.
    let mut conn = std::net::TcpStream::connect(s.handle.local_addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n",
        s.secret.token_now()
    )
    .unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(
        reply.contains("-32600") && reply.contains("1024-byte limit"),
        "{reply}"
    );

    // Within the limit: served.
    let (status, _) = rpc(
        &s,
        r#"{"jsonrpc":"2.0","id":1,"method":"bttc_head","params":[]}"#,
    );
    assert_eq!(status, 200);
}

#[test]
fn transport_failures_name_the_url_and_the_cause() {
    let rt = runtime();
    let s = serve_engine(&rt, ServerConfig::default());
    let client = s.client();
    assert!(client.head().is_ok());
    let url = s.url();
    rt.block_on(s.handle.stop()).unwrap();
    match client.head() {
        Err(EngineError::Transport(m)) => {
            assert!(m.contains(&url) && m.contains("bttc_head"), "{m}")
        }
        other => panic!("expected a transport error, got {other:?}"),
    }

    // A server that accepts and never answers: the request timeout fires.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let slow = AuthRpcClient::with_config(
        &silent_url,
        JwtSecret::random().unwrap(),
        ClientConfig {
            request_timeout: Duration::from_millis(300),
            ..ClientConfig::default()
        },
    )
    .unwrap();
    match slow.head() {
        Err(EngineError::Transport(m)) => {
            assert!(m.contains(&silent_url) && m.contains("timeout"), "{m}")
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(silent);
}
