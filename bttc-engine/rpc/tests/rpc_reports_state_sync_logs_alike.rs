//! State-sync logs (system calls to the StateReceiver at 0x…1001) are reported under one
//! synthetic receipt per block, identically by eth_getLogs, eth_getBlockReceipts,
//! eth_getTransactionReceipt and a `logs` subscription.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use alloy_primitives::{Address, B256};
use bttc_engine_executor::SystemEntry;
use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_sync_logs_look_the_same_everywhere() {
    let node = Node::start().await;
    let alice = key(1);
    let carol = Address::repeat_byte(0xc0);

    let mut ws = Ws::connect(&node.ws_url()).await;
    let sub = ws.request("eth_subscribe", json!(["logs", {}])).await["result"]
        .as_str()
        .unwrap()
        .to_string();

    let tx = node.send(&transfer(&alice, 0, carol, 5)).await;
    let records = vec![record(1, RECEIVER, &[0xab, 0xcd]), record(2, carol, &[1])];
    let payload = node.mine(records).await;
    let n = payload.block_number;
    let block_hash = B256::from(payload.block_hash.0);
    let sys_hash = SystemEntry::hash_for(n, &block_hash);

    // The block lists the signed transaction only.
    let block = node
        .call("eth_getBlockByNumber", json!([format!("{n:#x}"), false]))
        .await;
    assert_eq!(block["transactions"], json!([tx]));

    // Block receipts: the transaction's, then the synthetic one.
    let receipts = node
        .call("eth_getBlockReceipts", json!([format!("{n:#x}")]))
        .await;
    let receipts = receipts.as_array().unwrap();
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[0]["transactionHash"], json!(tx));
    let sys = &receipts[1];
    assert_eq!(sys["transactionHash"], json!(sys_hash));
    assert_eq!(sys["transactionIndex"], "0x1");
    assert_eq!(sys["blockHash"], json!(block_hash));
    assert_eq!(sys["status"], "0x1");
    assert_eq!(sys["type"], "0x0");
    assert_eq!(sys["gasUsed"], "0x0");
    assert_eq!(sys["from"], json!(Address::ZERO));
    assert_eq!(sys["to"], json!(Address::ZERO));
    assert_eq!(sys["contractAddress"], Value::Null);
    let sys_logs = sys["logs"].as_array().unwrap();
    assert!(
        sys_logs.len() >= 2,
        "one log per record at least: {sys_logs:?}"
    );
    for (i, l) in sys_logs.iter().enumerate() {
        assert_eq!(l["transactionHash"], json!(sys_hash));
        assert_eq!(l["transactionIndex"], "0x1");
        assert_eq!(q(&l["logIndex"]), i as u64, "system calls run first");
    }
    assert!(sys_logs
        .iter()
        .any(|l| l["address"] == json!(STATE_RECEIVER)));
    assert_ne!(sys["logsBloom"], format!("0x{}", "00".repeat(256)));

    // The same receipt by hash, and a transaction object for the hash.
    let by_hash = node
        .call("eth_getTransactionReceipt", json!([sys_hash]))
        .await;
    assert_eq!(&by_hash, sys);
    let t = node
        .call("eth_getTransactionByHash", json!([sys_hash]))
        .await;
    assert_eq!(t["hash"], json!(sys_hash));
    assert_eq!(q(&t["blockNumber"]), n);
    assert_eq!(t["transactionIndex"], "0x1");

    // eth_getLogs by hash and by range: the same log objects.
    let at_hash = node
        .call("eth_getLogs", json!([{ "blockHash": block_hash }]))
        .await;
    assert_eq!(at_hash.as_array().unwrap(), sys_logs);
    let ranged = node
        .call(
            "eth_getLogs",
            json!([{ "fromBlock": "0x0", "toBlock": "latest", "address": STATE_RECEIVER }]),
        )
        .await;
    let expected: Vec<&Value> = sys_logs
        .iter()
        .filter(|l| l["address"] == json!(STATE_RECEIVER))
        .collect();
    assert_eq!(
        ranged.as_array().unwrap().iter().collect::<Vec<_>>(),
        expected
    );

    // The subscription delivered the same objects.
    let mut pushed = vec![];
    for _ in 0..sys_logs.len() {
        let (id, log) = ws.notification().await;
        assert_eq!(id, sub);
        pushed.push(log);
    }
    assert_eq!(pushed.as_slice(), sys_logs.as_slice());

    // A block without records has no synthetic receipt.
    let next = node.mine(vec![]).await;
    let receipts = node
        .call(
            "eth_getBlockReceipts",
            json!([format!("{:#x}", next.block_number)]),
        )
        .await;
    assert_eq!(receipts, json!([]));
    let none = SystemEntry::hash_for(next.block_number, &B256::from(next.block_hash.0));
    assert_eq!(
        node.call("eth_getTransactionReceipt", json!([none])).await,
        Value::Null
    );
}
