//! The conductor's RPC answers CometBFT v0.38's JSON-RPC (POST) and URI (GET) forms with
//! CometBFT's field names and JSON types, and a tx broadcast over HTTP lands in a block and in
//! `tx`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs
)]

mod common;

use base64::Engine as _;
use common::*;
use delivery_conductor::Conductor;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The JSON type of each field, recursively: what a CometBFT client's decoder depends on.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

fn is_upper_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
}

fn is_int_string(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.parse::<i64>().is_ok())
}

async fn post(client: &reqwest::Client, url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let r: Value = client
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["jsonrpc"], "2.0");
    assert_eq!(r["id"], 7);
    r
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_serves_cometbft_shapes_and_a_broadcast_tx_lands_in_a_block() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(KvApp::default());
    let _server = AppServer::start(dir.path().join("app.sock"), Arc::clone(&app)).await;
    let k = key(5);
    let g = genesis("rpc-chain", &[(k.clone(), 10)], 2);
    let mut cfg = config(
        g,
        &[("node0".into(), dir.path().join("app.sock"), k.clone())],
    );
    cfg.rpc_listen = Some("127.0.0.1:0".parse().unwrap());
    let h = Conductor::start(cfg).await.unwrap();
    let base = format!("http://{}", h.rpc_addr().unwrap());
    let c = reqwest::Client::new();
    h.wait_for_height(2, Duration::from_secs(20)).await.unwrap();

    // broadcast_tx_sync: {code, data, log, codespace, hash}.
    let tx = b"alice=1";
    let r = post(
        &c,
        &base,
        "broadcast_tx_sync",
        json!({"tx": base64::engine::general_purpose::STANDARD.encode(tx)}),
    )
    .await;
    let res = &r["result"];
    assert_eq!(
        shape(res),
        json!({"code": "number", "data": "string", "log": "string", "codespace": "string", "hash": "string"})
    );
    assert_eq!(res["code"], 0);
    let hash = res["hash"].as_str().unwrap().to_owned();
    assert!(is_upper_hex(&hash, 64));
    assert_eq!(
        hash,
        hex::encode_upper(delivery_conductor::hashing::tx_hash(tx))
    );

    // The tx lands in a block; `tx` finds it by hash (hex in the URI form).
    let mut found = Value::Null;
    for _ in 0..200 {
        let r = get(&c, &format!("{base}/tx?hash=0x{hash}")).await;
        if r.get("result").is_some() {
            found = r["result"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!found.is_null(), "tx found");
    assert_eq!(found["hash"], hash);
    assert!(is_int_string(&found["height"]));
    assert!(found["index"].is_number());
    assert_eq!(
        found["tx"],
        base64::engine::general_purpose::STANDARD.encode(tx)
    );
    let txr = &found["tx_result"];
    for f in [
        "code",
        "data",
        "log",
        "info",
        "gas_wanted",
        "gas_used",
        "events",
        "codespace",
    ] {
        assert!(txr.get(f).is_some(), "tx_result.{f}");
    }
    assert!(is_int_string(&txr["gas_wanted"]));
    assert_eq!(
        txr["events"][0]["attributes"][0],
        json!({"key": "key", "value": "alice", "index": true})
    );
    // tx by base64 hash over POST, as tendermint-rpc sends it.
    let r = post(&c, &base, "tx", json!({"hash": base64::engine::general_purpose::STANDARD.encode(hex::decode(&hash).unwrap()), "prove": false})).await;
    assert_eq!(r["result"]["hash"], hash);

    let tx_height: i64 = found["height"].as_str().unwrap().parse().unwrap();
    // block: CometBFT's layout.
    let b = get(&c, &format!("{base}/block?height={tx_height}")).await["result"].clone();
    let block_id_shape = json!({"hash": "string", "parts": {"total": "number", "hash": "string"}});
    assert_eq!(shape(&b["block_id"]), block_id_shape);
    assert_eq!(
        b["block"]["data"]["txs"][0],
        base64::engine::general_purpose::STANDARD.encode(tx)
    );
    let header = &b["block"]["header"];
    assert_eq!(
        shape(header),
        json!({
            "version": {"block": "string", "app": "string"},
            "chain_id": "string", "height": "string", "time": "string",
            "last_block_id": block_id_shape,
            "last_commit_hash": "string", "data_hash": "string", "validators_hash": "string",
            "next_validators_hash": "string", "consensus_hash": "string", "app_hash": "string",
            "last_results_hash": "string", "evidence_hash": "string", "proposer_address": "string",
        })
    );
    assert_eq!(header["version"]["block"], "11");
    assert_eq!(header["chain_id"], "rpc-chain");
    assert!(is_upper_hex(header["data_hash"].as_str().unwrap(), 64));
    assert!(is_upper_hex(
        header["proposer_address"].as_str().unwrap(),
        40
    ));
    assert!(header["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        shape(&b["block"]["last_commit"]),
        json!({"height": "string", "round": "number", "block_id": block_id_shape,
               "signatures": [{"block_id_flag": "number", "validator_address": "string", "timestamp": "string", "signature": "string"}]})
    );
    assert_eq!(shape(&b["block"]["evidence"]), json!({"evidence": []}));
    // The header hash is the block id.
    let stored = h.block(u64::try_from(tx_height).unwrap()).unwrap();
    assert_eq!(
        b["block_id"]["hash"],
        hex::encode_upper(&stored.block_id.hash)
    );
    // The previous block's commit in this block verifies with the validator key.
    let lc = &b["block"]["last_commit"];
    let prev = h.block(u64::try_from(tx_height - 1).unwrap()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(lc["signatures"][0]["signature"].as_str().unwrap())
        .unwrap();
    let ts = prev.votes[0].timestamp;
    let sign_bytes = delivery_conductor::hashing::precommit_sign_bytes(
        "rpc-chain",
        tx_height - 1,
        0,
        &prev.block_id,
        ts,
    );
    use ed25519_dalek::Verifier;
    k.verifying_key()
        .verify(
            &sign_bytes,
            &ed25519_dalek::Signature::from_slice(&sig).unwrap(),
        )
        .unwrap();

    // block_results.
    let br = post(
        &c,
        &base,
        "block_results",
        json!({"height": tx_height.to_string()}),
    )
    .await["result"]
        .clone();
    for f in [
        "height",
        "txs_results",
        "finalize_block_events",
        "validator_updates",
        "consensus_param_updates",
        "app_hash",
    ] {
        assert!(br.get(f).is_some(), "block_results.{f}");
    }
    assert_eq!(br["txs_results"][0]["code"], 0);

    // status.
    let s = get(&c, &format!("{base}/status")).await["result"].clone();
    assert_eq!(
        shape(&s),
        json!({
            "node_info": {
                "protocol_version": {"p2p": "string", "block": "string", "app": "string"},
                "id": "string", "listen_addr": "string", "network": "string", "version": "string",
                "channels": "string", "moniker": "string",
                "other": {"tx_index": "string", "rpc_address": "string"},
            },
            "sync_info": {
                "latest_block_hash": "string", "latest_app_hash": "string", "latest_block_height": "string",
                "latest_block_time": "string", "earliest_block_hash": "string", "earliest_app_hash": "string",
                "earliest_block_height": "string", "earliest_block_time": "string", "catching_up": "bool",
            },
            "validator_info": {"address": "string", "pub_key": {"type": "string", "value": "string"}, "voting_power": "string"},
        })
    );
    assert_eq!(s["node_info"]["network"], "rpc-chain");
    assert_eq!(s["validator_info"]["voting_power"], "10");
    assert_eq!(
        s["validator_info"]["pub_key"]["type"],
        "tendermint/PubKeyEd25519"
    );
    assert_eq!(s["sync_info"]["earliest_block_height"], "1");

    // abci_query in the URI form: path quoted, data 0x-hex.
    let q = get(
        &c,
        &format!(
            "{base}/abci_query?path=%22/store%22&data=0x{}",
            hex::encode("alice")
        ),
    )
    .await["result"]
        .clone();
    assert_eq!(
        shape(&q),
        json!({"response": {"code": "number", "log": "string", "info": "string", "index": "string", "key": "string",
                            "value": "string", "proofOps": "null", "height": "string", "codespace": "string"}})
    );
    assert_eq!(
        q["response"]["value"],
        base64::engine::general_purpose::STANDARD.encode("1")
    );
    assert_eq!(q["response"]["log"], "exists");
    // ... and over POST with hex data.
    let q = post(
        &c,
        &base,
        "abci_query",
        json!({"path": "/store", "data": hex::encode("alice"), "height": "0", "prove": false}),
    )
    .await;
    assert_eq!(
        q["result"]["response"]["value"],
        base64::engine::general_purpose::STANDARD.encode("1")
    );

    // abci_info, health, validators, commit.
    let i = get(&c, &format!("{base}/abci_info")).await["result"].clone();
    assert_eq!(
        shape(&i),
        json!({"response": {"data": "string", "version": "string", "app_version": "string", "last_block_height": "string", "last_block_app_hash": "string"}})
    );
    assert_eq!(
        get(&c, &format!("{base}/health")).await["result"],
        json!({})
    );
    let v = get(&c, &format!("{base}/validators")).await["result"].clone();
    assert_eq!(
        shape(&v),
        json!({"block_height": "string", "validators": [{"address": "string", "pub_key": {"type": "string", "value": "string"}, "voting_power": "string", "proposer_priority": "string"}], "count": "string", "total": "string"})
    );
    // The commit of a height is canonical once the next block fixed it.
    h.wait_for_height(
        u64::try_from(tx_height).unwrap() + 1,
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    let cm = post(
        &c,
        &base,
        "commit",
        json!({"height": tx_height.to_string()}),
    )
    .await["result"]
        .clone();
    assert_eq!(cm["canonical"], true);
    assert_eq!(
        cm["signed_header"]["commit"]["block_id"]["hash"],
        b["block_id"]["hash"]
    );
    assert_eq!(cm["signed_header"]["header"], b["block"]["header"]);
    let next = get(&c, &format!("{base}/block?height={}", tx_height + 1)).await["result"].clone();
    assert_eq!(cm["signed_header"]["commit"], next["block"]["last_commit"]);

    // broadcast_tx_commit waits for the block.
    let r = post(
        &c,
        &base,
        "broadcast_tx_commit",
        json!({"tx": base64::engine::general_purpose::STANDARD.encode(b"bob=2")}),
    )
    .await["result"]
        .clone();
    for f in ["check_tx", "tx_result", "hash", "height"] {
        assert!(r.get(f).is_some(), "broadcast_tx_commit.{f}");
    }
    assert!(r["height"].as_str().unwrap().parse::<i64>().unwrap() > tx_height);
    assert_eq!(app.get("bob").as_deref(), Some("2"));

    // Errors: CometBFT's JSON-RPC error object.
    let e = post(&c, &base, "block", json!({"height": "999999"})).await;
    assert_eq!(e["error"]["code"], -32603);
    assert!(e["error"]["data"]
        .as_str()
        .unwrap()
        .contains("must be less than or equal to the current blockchain height"));
    let e = post(&c, &base, "no_such_method", json!({})).await;
    assert_eq!(e["error"]["code"], -32601);
    let e = post(
        &c,
        &base,
        "broadcast_tx_sync",
        json!({"tx": "%%% not base64"}),
    )
    .await;
    assert_eq!(e["error"]["code"], -32602);
    // A duplicate tx is refused like CometBFT's mempool cache does.
    let e = post(
        &c,
        &base,
        "broadcast_tx_sync",
        json!({"tx": base64::engine::general_purpose::STANDARD.encode(tx)}),
    )
    .await;
    assert!(e["error"]["data"]
        .as_str()
        .unwrap()
        .contains("tx already exists in cache"));
    h.shutdown().await;
}
