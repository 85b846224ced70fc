//! The eth JSON-RPC over real sockets (HTTP and WebSocket) on an engine in a tempdir: blocks,
//! transfers, receipts, state reads, calls and estimates with overrides and reverts, logs,
//! filters, subscriptions, fee history, and geth's errors for bad transactions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::Duration;

use alloy_primitives::{keccak256, Address, Bytes, TxKind};
use bttc_engine_rpc::RpcConfig;
use common::*;
use serde_json::{json, Value};

const GWEI: u64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_and_genesis_block() {
    let node = Node::start().await;
    assert_eq!(node.call("eth_chainId", json!([])).await, json!("0x405"));
    assert_eq!(node.call("net_version", json!([])).await, json!("1029"));
    let version = node.call("web3_clientVersion", json!([])).await;
    assert!(version.as_str().unwrap().starts_with("bttc/v"), "{version}");
    assert_eq!(node.call("eth_blockNumber", json!([])).await, json!("0x0"));
    assert_eq!(node.call("eth_syncing", json!([])).await, json!(false));
    assert_eq!(node.call("eth_accounts", json!([])).await, json!([]));
    assert_eq!(node.call("net_listening", json!([])).await, json!(true));

    for tag in ["latest", "earliest", "pending", "safe", "finalized", "0x0"] {
        let b = node.call("eth_getBlockByNumber", json!([tag, false])).await;
        assert_eq!(b["number"], "0x0", "{tag}");
        assert_eq!(b["baseFeePerGas"], "0x3b9aca00");
        assert_eq!(b["mixHash"], format!("0x{}", "00".repeat(32)));
        assert_eq!(b["nonce"], "0x0000000000000000");
        assert_eq!(b["transactions"], json!([]));
        assert_eq!(b["uncles"], json!([]));
        assert!(b.get("withdrawals").is_none(), "pre-Shanghai header shape");
        assert!(b["size"].is_string());
        let by_hash = node
            .call("eth_getBlockByHash", json!([b["hash"], false]))
            .await;
        assert_eq!(by_hash, b);
    }
    // Without the optional second parameter.
    assert_eq!(
        node.call("eth_getBlockByNumber", json!(["latest"])).await["number"],
        "0x0"
    );
    assert_eq!(
        node.call("eth_getBlockByNumber", json!(["0x63", false]))
            .await,
        Value::Null
    );

    // Batches.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": [] },
    ]);
    let v: Value = node
        .http
        .post(&node.url)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);

    // CORS for browsers (MetaMask, dapps on localhost).
    let pre = node
        .http
        .request(reqwest::Method::OPTIONS, &node.url)
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success());
    assert_eq!(
        pre.headers()["access-control-allow-origin"],
        "*",
        "{:?}",
        pre.headers()
    );

    // Unknown method and bad params.
    assert_eq!(node.call_err("eth_nope", json!([])).await.code, -32601);
    assert_eq!(
        node.call_err("eth_getBalance", json!(["0x12"])).await.code,
        -32602
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_pooled_mined_and_reported() {
    let node = Node::start().await;
    let alice = key(1);
    let carol = Address::repeat_byte(0xc0);
    let raw = transfer(&alice, 0, carol, 1_000);
    let hash = node.send(&raw).await;
    assert_eq!(hash, keccak256(&raw));

    // Pending: in the pool, not mined.
    let pending = node.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(pending["hash"], json!(hash));
    assert_eq!(pending["blockHash"], Value::Null);
    assert_eq!(pending["from"], json!(alice.address()));
    assert_eq!(
        node.call("eth_getTransactionReceipt", json!([hash])).await,
        Value::Null
    );
    let who = json!(alice.address());
    assert_eq!(
        node.call("eth_getTransactionCount", json!([who, "latest"]))
            .await,
        "0x0"
    );
    assert_eq!(
        node.call("eth_getTransactionCount", json!([who, "pending"]))
            .await,
        "0x1"
    );

    let payload = node.mine(vec![]).await;
    assert_eq!(payload.transactions.len(), 1);
    assert_eq!(node.call("eth_blockNumber", json!([])).await, "0x1");

    // The receipt, with every field ethers v6 and web3.py read.
    let r = node.call("eth_getTransactionReceipt", json!([hash])).await;
    let base_fee = 875_000_000u64; // genesis 1 gwei, empty genesis: -12.5%
    assert_eq!(r["status"], "0x1");
    assert_eq!(r["type"], "0x2");
    assert_eq!(r["transactionHash"], json!(hash));
    assert_eq!(r["transactionIndex"], "0x0");
    assert_eq!(r["blockNumber"], "0x1");
    assert_eq!(r["blockHash"], json!(payload.block_hash.to_string()));
    assert_eq!(r["from"], json!(alice.address()));
    assert_eq!(r["to"], json!(carol));
    assert_eq!(r["contractAddress"], Value::Null);
    assert_eq!(r["gasUsed"], "0x5208");
    assert_eq!(r["cumulativeGasUsed"], "0x5208");
    assert_eq!(q(&r["effectiveGasPrice"]), base_fee + GWEI);
    assert_eq!(r["logs"], json!([]));
    assert_eq!(r["logsBloom"], format!("0x{}", "00".repeat(256)));

    // The mined transaction object.
    let t = node.call("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(t["blockNumber"], "0x1");
    assert_eq!(t["blockHash"], r["blockHash"]);
    assert_eq!(t["transactionIndex"], "0x0");
    assert_eq!(t["type"], "0x2");
    assert_eq!(t["chainId"], "0x405");
    assert_eq!(t["nonce"], "0x0");
    assert_eq!(t["gas"], "0x5208");
    assert_eq!(t["value"], "0x3e8");
    assert_eq!(t["input"], "0x");
    assert_eq!(t["accessList"], json!([]));
    assert_eq!(q(&t["gasPrice"]), base_fee + GWEI);
    for f in [
        "v",
        "r",
        "s",
        "yParity",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
    ] {
        assert!(t[f].is_string(), "{f} missing in {t}");
    }

    // Blocks with hashes or full transactions.
    let b = node
        .call("eth_getBlockByNumber", json!(["0x1", false]))
        .await;
    assert_eq!(b["transactions"], json!([hash]));
    assert_eq!(b["miner"], json!(key(9).address()));
    let extra = b["extraData"].as_str().unwrap();
    assert_eq!(extra.len(), 2 + 2 * 97, "vanity and seal returned as is");
    let full = node
        .call("eth_getBlockByNumber", json!(["0x1", true]))
        .await;
    assert_eq!(full["transactions"][0], t);
    assert_eq!(
        node.call("eth_getBlockTransactionCountByNumber", json!(["0x1"]))
            .await,
        "0x1"
    );
    assert_eq!(
        node.call("eth_getBlockTransactionCountByHash", json!([b["hash"]]))
            .await,
        "0x1"
    );
    assert_eq!(
        node.call(
            "eth_getTransactionByBlockNumberAndIndex",
            json!(["0x1", "0x0"])
        )
        .await,
        t
    );
    assert_eq!(
        node.call("eth_getBlockReceipts", json!(["0x1"])).await,
        json!([r])
    );

    // State at the head; the previous block's state is gone.
    for block in [
        json!("latest"),
        json!("0x1"),
        json!({ "blockHash": b["hash"] }),
    ] {
        assert_eq!(
            node.call("eth_getBalance", json!([carol, block])).await,
            "0x3e8"
        );
    }
    let e = node.call_err("eth_getBalance", json!([carol, "0x0"])).await;
    assert_eq!(e.code, -32000);
    assert_eq!(
        e.message,
        "historical state for block 0 is not available (state is kept for the head only)"
    );
    assert_eq!(
        node.call("eth_getTransactionCount", json!([who, "latest"]))
            .await,
        "0x1"
    );
    assert_eq!(
        node.call("eth_getTransactionCount", json!([who, "pending"]))
            .await,
        "0x1"
    );
    let e = node.call_err("eth_getBalance", json!([carol, "0x9"])).await;
    assert_eq!(e.message, "block 9 not found");

    // Fees.
    let next_base = q(&node.call("eth_gasPrice", json!([])).await) - GWEI;
    assert!(
        next_base < base_fee,
        "an almost empty block lowers the base fee"
    );
    assert_eq!(
        q(&node.call("eth_maxPriorityFeePerGas", json!([])).await),
        GWEI
    );
    for count in [json!(2), json!("0x2")] {
        let h = node
            .call("eth_feeHistory", json!([count, "latest", [10.0, 90.0]]))
            .await;
        assert_eq!(h["oldestBlock"], "0x0");
        let fees: Vec<u64> = h["baseFeePerGas"]
            .as_array()
            .unwrap()
            .iter()
            .map(q)
            .collect();
        assert_eq!(fees, vec![GWEI, base_fee, next_base]);
        assert_eq!(h["gasUsedRatio"].as_array().unwrap().len(), 2);
        assert_eq!(
            h["reward"],
            json!([["0x0", "0x0"], ["0x3b9aca00", "0x3b9aca00"]])
        );
    }
    let h = node.call("eth_feeHistory", json!(["0x1", "0x1"])).await;
    assert!(h.get("reward").is_none());
    assert_eq!(
        node.call_err("eth_feeHistory", json!([1, "latest", [90.0, 10.0]]))
            .await
            .code,
        -32602
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_estimates_reverts_logs_filters_and_subscriptions() {
    let node = Node::start_with(RpcConfig {
        max_logs_block_range: 3,
        ..RpcConfig::default()
    })
    .await;
    let alice = key(1);
    let emitter = alice.address().create(0);
    let reverter = alice.address().create(1);
    node.send(&deploy(&alice, 0, &emitter_runtime())).await;
    let deploy_hash = keccak256(deploy(&alice, 0, &emitter_runtime()));
    node.send(&deploy(&alice, 1, &reverter_runtime())).await;
    node.mine(vec![]).await;
    let r = node
        .call("eth_getTransactionReceipt", json!([deploy_hash]))
        .await;
    assert_eq!(r["contractAddress"], json!(emitter));
    assert_eq!(r["to"], Value::Null);
    assert_eq!(
        node.call("eth_getCode", json!([emitter, "latest"])).await,
        json!(Bytes::from(emitter_runtime()))
    );

    // eth_call: output, revert with reason, historical block.
    let out = node
        .call(
            "eth_call",
            json!([{ "to": emitter, "data": word(1) }, "latest"]),
        )
        .await;
    assert_eq!(out, json!(word(42)));
    let e = node
        .call_err("eth_call", json!([{ "to": reverter }, "latest"]))
        .await;
    assert_eq!(e.code, 3);
    assert_eq!(e.message, "execution reverted: boom");
    assert_eq!(e.data, Some(json!(Bytes::from(error_string("boom")))));
    let e = node
        .call_err("eth_call", json!([{ "to": emitter }, "0x0"]))
        .await;
    assert!(
        e.message.starts_with("historical state for block 0"),
        "{e:?}"
    );

    // State overrides: code, state, stateDiff, balance.
    let sload = vec![
        0x60, 0x00, 0x54, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3,
    ];
    let fresh = Address::repeat_byte(0x77);
    let o = json!({ fresh.to_string(): { "code": Bytes::from(sload.clone()), "stateDiff": { word(0).to_string(): word(7) } } });
    assert_eq!(
        node.call("eth_call", json!([{ "to": fresh }, "latest", o]))
            .await,
        json!(word(7))
    );
    let o = json!({ fresh.to_string(): { "code": Bytes::from(sload), "state": { word(1).to_string(): word(9) } } });
    assert_eq!(
        node.call("eth_call", json!([{ "to": fresh }, "latest", o]))
            .await,
        json!(word(0))
    );
    let poor = Address::repeat_byte(0x55);
    let value_call = json!({ "from": poor, "to": emitter, "value": "0x1000" });
    let e = node
        .call_err("eth_call", json!([value_call, "latest"]))
        .await;
    assert_eq!(e.code, -32000);
    assert!(e.message.contains("insufficient funds"), "{e:?}");
    let o = json!({ poor.to_string(): { "balance": "0x100000" } });
    assert_eq!(
        node.call("eth_call", json!([value_call, "latest", o]))
            .await,
        json!(word(42))
    );
    let both = json!({ fresh.to_string(): { "state": {}, "stateDiff": {} } });
    assert_eq!(
        node.call_err("eth_call", json!([{ "to": fresh }, "latest", both]))
            .await
            .code,
        -32602
    );

    // eth_estimateGas: the least gas that succeeds.
    let call = json!({ "from": alice.address(), "to": emitter, "data": word(1) });
    let est = q(&node.call("eth_estimateGas", json!([call])).await);
    assert!(est > 21_000 && est < 40_000, "{est}");
    let mut exact = call.clone();
    exact["gas"] = json!(format!("{est:#x}"));
    assert_eq!(
        node.call("eth_call", json!([exact, "latest"])).await,
        json!(word(42))
    );
    let mut short = call.clone();
    short["gas"] = json!(format!("{:#x}", est - 1));
    let e = node.call_err("eth_call", json!([short, "latest"])).await;
    assert_eq!(e.message, "out of gas");
    let e = node
        .call_err("eth_estimateGas", json!([{ "to": reverter }]))
        .await;
    assert_eq!(
        (e.code, e.message.as_str()),
        (3, "execution reverted: boom")
    );
    assert!(e.data.is_some());

    // Filters installed before the logs.
    let log_filter = node
        .call("eth_newFilter", json!([{ "address": emitter }]))
        .await;
    let block_filter = node.call("eth_newBlockFilter", json!([])).await;
    let pending_filter = node
        .call("eth_newPendingTransactionFilter", json!([]))
        .await;
    assert!(log_filter.as_str().unwrap().starts_with("0x"));

    // Subscriptions over WebSocket.
    let mut ws = Ws::connect(&node.ws_url()).await;
    let heads_sub = ws.request("eth_subscribe", json!(["newHeads"])).await["result"]
        .as_str()
        .unwrap()
        .to_string();
    let logs_sub = ws
        .request(
            "eth_subscribe",
            json!(["logs", { "address": emitter, "topics": [EMIT_TOPIC] }]),
        )
        .await["result"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = ws.request("eth_subscribe", json!(["syncing"])).await;
    assert_eq!(bad["error"]["code"], -32602);

    // Two calls with different topic 1, in one block.
    let mut tx_hashes = vec![];
    for (nonce, arg) in [(2u64, 1u64), (3, 2)] {
        let raw = tx1559(
            &alice,
            nonce,
            TxKind::Call(emitter),
            0,
            est,
            word(arg).to_vec(),
        );
        tx_hashes.push(node.send(&raw).await);
    }
    let pending = node
        .call("eth_getFilterChanges", json!([pending_filter]))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
    let payload = node.mine(vec![]).await;
    let n = payload.block_number;

    // newHeads and logs notifications.
    let mut got_head = None;
    let mut got_logs = vec![];
    for _ in 0..3 {
        let (sub, result) = ws.notification().await;
        if sub == heads_sub {
            got_head = Some(result);
        } else {
            assert_eq!(sub, logs_sub);
            got_logs.push(result);
        }
    }
    let head = got_head.expect("a newHeads notification");
    assert_eq!(q(&head["number"]), n);
    assert_eq!(head["hash"], json!(payload.block_hash.to_string()));
    assert_eq!(got_logs.len(), 2);

    // eth_getLogs with address and topic filters.
    let range = json!({ "fromBlock": format!("{n:#x}"), "toBlock": "latest" });
    let with = |extra: Value| {
        let mut f = range.clone();
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        json!([f])
    };
    let all = node
        .call("eth_getLogs", with(json!({ "address": emitter })))
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(json!(got_logs), all, "subscription and eth_getLogs agree");
    let first = &all[0];
    assert_eq!(first["address"], json!(emitter));
    assert_eq!(first["topics"], json!([EMIT_TOPIC, word(1)]));
    assert_eq!(first["data"], json!(word(42)));
    assert_eq!(first["transactionHash"], json!(tx_hashes[0]));
    assert_eq!(first["logIndex"], "0x0");
    assert_eq!(all[1]["logIndex"], "0x1");
    assert_eq!(all[1]["transactionIndex"], "0x1");
    assert_eq!(first["removed"], json!(false));
    let receipt = node
        .call("eth_getTransactionReceipt", json!([tx_hashes[0]]))
        .await;
    assert_eq!(receipt["logs"], json!([first]));
    for (filter, expected) in [
        (json!({ "topics": [EMIT_TOPIC] }), 2),
        (json!({ "topics": [null, word(2)] }), 1),
        (json!({ "topics": [null, [word(1), word(2)]] }), 2),
        (json!({ "topics": [EMIT_TOPIC, word(3)] }), 0),
        (json!({ "address": [emitter, reverter] }), 2),
        (json!({ "address": reverter }), 0),
        (json!({ "topics": [null, null, word(1)] }), 0),
    ] {
        let got = node.call("eth_getLogs", with(filter.clone())).await;
        assert_eq!(got.as_array().unwrap().len(), expected, "{filter}");
    }
    let by_hash = node
        .call(
            "eth_getLogs",
            json!([{ "blockHash": payload.block_hash.to_string(), "topics": [null, word(2)] }]),
        )
        .await;
    assert_eq!(by_hash, json!([all[1]]));

    // Range rules.
    for _ in 0..3 {
        node.mine(vec![]).await;
    }
    let e = node
        .call_err(
            "eth_getLogs",
            json!([{ "fromBlock": "0x0", "toBlock": "latest" }]),
        )
        .await;
    assert_eq!(e.code, -32005);
    assert!(e.message.starts_with("block range too large"), "{e:?}");
    let e = node
        .call_err(
            "eth_getLogs",
            json!([{ "fromBlock": "0x3", "toBlock": "0x2" }]),
        )
        .await;
    assert_eq!(e.code, -32602);
    assert_eq!(
        node.call("eth_getLogs", json!([{ "fromBlock": "0x64" }]))
            .await,
        json!([])
    );

    // Filter changes: logs once, blocks once, then nothing.
    let changes = node.call("eth_getFilterChanges", json!([log_filter])).await;
    assert_eq!(changes, all);
    assert_eq!(
        node.call("eth_getFilterChanges", json!([log_filter])).await,
        json!([])
    );
    let blocks = node
        .call("eth_getFilterChanges", json!([block_filter]))
        .await;
    // Four new blocks, at most `max_logs_block_range` (3) per poll: the rest comes next.
    assert_eq!(blocks.as_array().unwrap().len(), 3);
    assert_eq!(blocks[0], json!(payload.block_hash.to_string()));
    let rest = node
        .call("eth_getFilterChanges", json!([block_filter]))
        .await;
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(
        rest[0],
        node.call("eth_getBlockByNumber", json!(["latest", false]))
            .await["hash"]
    );
    assert_eq!(
        node.call("eth_getFilterChanges", json!([block_filter]))
            .await,
        json!([])
    );
    let pending = node
        .call("eth_getFilterChanges", json!([pending_filter]))
        .await;
    assert_eq!(pending, json!([]));
    assert_eq!(
        node.call("eth_uninstallFilter", json!([log_filter])).await,
        json!(true)
    );
    assert_eq!(
        node.call("eth_uninstallFilter", json!([log_filter])).await,
        json!(false)
    );
    let e = node
        .call_err("eth_getFilterChanges", json!([log_filter]))
        .await;
    assert_eq!(e.code, -32000);
    assert!(e.message.contains("not found"), "{e:?}");
    let ranged = node
        .call(
            "eth_newFilter",
            json!([{ "fromBlock": format!("{n:#x}"), "toBlock": format!("{n:#x}"), "address": emitter }]),
        )
        .await;
    assert_eq!(node.call("eth_getFilterLogs", json!([ranged])).await, all);

    let unsub = ws.request("eth_unsubscribe", json!([heads_sub])).await;
    assert_eq!(unsub["result"], json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_get_geth_errors_and_leave_the_pool_alone() {
    let node = Node::start().await;
    let alice = key(1);
    let carol = Address::repeat_byte(0xc0);
    node.send(&transfer(&alice, 0, carol, 1)).await;
    node.mine(vec![]).await;
    // One valid transaction waits in the pool throughout.
    node.send(&transfer(&alice, 1, carol, 1)).await;
    let pool = node.engine.pool_transaction_hashes().unwrap();
    assert_eq!(pool.len(), 1);

    let raw_err = |raw: Vec<u8>| {
        let node = &node;
        async move {
            node.call_err("eth_sendRawTransaction", json!([Bytes::from(raw)]))
                .await
        }
    };
    let e = raw_err(vec![0x02, 0x12, 0x34]).await;
    assert_eq!(e.code, -32602, "{e:?}");
    let e = node
        .call_err("eth_sendRawTransaction", json!(["0xzz"]))
        .await;
    assert_eq!(e.code, -32602, "{e:?}");
    let e = node.call_err("eth_sendRawTransaction", json!([])).await;
    assert_eq!(e.code, -32602, "{e:?}");

    let e = raw_err(legacy(&alice, Some(1), 1, carol, 1)).await;
    assert_eq!(e.code, -32000);
    assert!(e.message.starts_with("invalid chain id"), "{e:?}");

    let e = raw_err(transfer(&alice, 0, carol, 1)).await;
    assert_eq!(
        (e.code, e.message.as_str()),
        (-32000, "nonce too low: next nonce 1, tx nonce 0")
    );

    let e = raw_err(transfer(&alice, 200, carol, 1)).await;
    assert!(e.message.starts_with("nonce too high"), "{e:?}");

    let big = tx1559(
        &alice,
        2,
        TxKind::Call(carol),
        0,
        5_000_000,
        vec![1u8; 130 * 1024],
    );
    let e = raw_err(big).await;
    assert!(e.message.starts_with("oversized data"), "{e:?}");

    let dave = key(3); // holds 1e14 wei
    let e = raw_err(transfer(&dave, 0, carol, 1_000_000_000_000_000_000)).await;
    assert_eq!(e.code, -32000);
    assert!(
        e.message
            .starts_with("insufficient funds for gas * price + value"),
        "{e:?}"
    );

    assert_eq!(node.engine.pool_transaction_hashes().unwrap(), pool);
    assert_eq!(
        node.call(
            "eth_getTransactionCount",
            json!([alice.address(), "pending"])
        )
        .await,
        "0x2"
    );
    assert_eq!(
        node.call(
            "eth_getTransactionCount",
            json!([dave.address(), "pending"])
        )
        .await,
        "0x0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_expire_when_not_polled() {
    let node = Node::start_with(RpcConfig {
        filter_timeout: Duration::from_millis(400),
        ..RpcConfig::default()
    })
    .await;
    let idle = node.call("eth_newBlockFilter", json!([])).await;
    let polled = node.call("eth_newBlockFilter", json!([])).await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        node.call("eth_getFilterChanges", json!([polled])).await;
    }
    let e = node.call_err("eth_getFilterChanges", json!([idle])).await;
    assert!(e.message.contains("not found"), "{e:?}");
}
