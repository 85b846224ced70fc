//! Four validators, each `deliveryd start` with its own `bttc start` over the engine API (JWT),
//! on the conductor: 300 BTTC blocks are finalized; each block's producer is the one the span
//! schedule names (so it changes at each sprint); all four engines have identical block hashes
//! and state roots; EVM transactions sent to any node's Ethereum RPC are included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use delivery_conductor::{Conductor, ConductorConfig, Genesis, ValidatorNode};
use delivery_tests::{bttc_bin, cli, cli_json, free_base_port, real_cometbft, NodeProcess, Proc};
use serde_json::{json, Value};

const EVM_CHAIN_ID: u64 = 1337;
const TARGET: u64 = 300;

fn eth(url: &str, method: &str, params: Value) -> Value {
    let body: Value = reqwest::blocking::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .timeout(Duration::from_secs(10))
        .send()
        .unwrap()
        .json()
        .unwrap();
    if let Some(e) = body.get("error") {
        panic!("{url} {method}: {e}");
    }
    body["result"].clone()
}

fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn transfer(from: &PrivateKeySigner, nonce: u64, to: Address) -> String {
    let tx = TxEip1559 {
        chain_id: EVM_CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::from(1_000 + nonce),
        ..Default::default()
    };
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    format!(
        "0x{}",
        alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    )
}

fn set_rpc_url(app_toml: &std::path::Path, url: &str) {
    let text = std::fs::read_to_string(app_toml).unwrap();
    let patched: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("rpc_url = ") {
                format!("rpc_url = \"{url}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(app_toml, patched.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_produce_bttc_blocks_through_their_own_engines() {
    if real_cometbft().is_some() {
        eprintln!(
            "NOTE: a cometbft binary is available, but this test runs the four validators on \
             the conductor (its RPC serves all four nodes)"
        );
    } else {
        eprintln!("NOTE: no cometbft binary: running the 4 validators under the in-repo conductor");
    }
    let dir = tempfile::tempdir().unwrap();
    let user = PrivateKeySigner::from_bytes(&alloy_primitives::B256::repeat_byte(0x77)).unwrap();
    let genesis = bttc_engine_contracts::dev_genesis_json(
        EVM_CHAIN_ID,
        &[(user.address(), U256::from(10u128.pow(24)))],
    )
    .unwrap();
    let bttc_genesis = dir.path().join("bttc-genesis.json");
    std::fs::write(&bttc_genesis, genesis.to_string()).unwrap();

    let net = dir.path().join("net");
    let base = free_base_port(5).unwrap();
    cli(&[
        "testnet",
        "--validators",
        "4",
        "--output-dir",
        &net.display().to_string(),
        "--starting-port",
        &base.to_string(),
        "--block-time",
        "150ms",
        "--chain-id",
        "bttc-e2e-1",
        "--bttc-genesis",
        &bttc_genesis.display().to_string(),
        "--span-params",
        "localnet",
    ])
    .unwrap();
    let report: Value =
        serde_json::from_slice(&std::fs::read(net.join("testnet.json")).unwrap()).unwrap();
    let nodes = report["nodes"].as_array().unwrap().clone();
    // The conductor's RPC stands in for every node's CometBFT RPC (slot 4 of the port range).
    let conductor_rpc_port = base + 40 + 1;
    let conductor_url = format!("http://127.0.0.1:{conductor_rpc_port}");
    let homes: Vec<PathBuf> = nodes
        .iter()
        .map(|n| PathBuf::from(n["home"].as_str().unwrap()))
        .collect();
    let bttc = bttc_bin().unwrap();
    let mut engines = Vec::new();
    let mut evm_urls = Vec::new();
    for (n, home) in nodes.iter().zip(&homes) {
        set_rpc_url(&home.join("config/app.toml"), &conductor_url);
        let b = &n["bttc"];
        let datadir = b["datadir"].as_str().unwrap();
        let out = std::process::Command::new(&bttc)
            .args([
                "init",
                "--genesis",
                b["genesis"].as_str().unwrap(),
                "--datadir",
                datadir,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        engines.push(
            Proc::spawn(
                &bttc,
                &[
                    "start",
                    "--datadir",
                    datadir,
                    "--authrpc-addr",
                    b["engine_addr"].as_str().unwrap(),
                    "--authrpc-jwtsecret",
                    b["jwt_secret"].as_str().unwrap(),
                    "--http-addr",
                    b["evm_rpc_addr"].as_str().unwrap(),
                    "--relay-url",
                    &conductor_url,
                ],
                &home.join("bttc.log"),
            )
            .unwrap(),
        );
        evm_urls.push(format!("http://{}", b["evm_rpc_addr"].as_str().unwrap()));
    }
    let _procs: Vec<NodeProcess> = homes
        .iter()
        .map(|h| NodeProcess::start(h).unwrap())
        .collect();

    let genesis = Genesis::load(&homes[0].join("config/genesis.json")).unwrap();
    let validators = nodes
        .iter()
        .zip(&homes)
        .map(|(n, h)| ValidatorNode {
            name: n["name"].as_str().unwrap().to_string(),
            abci_addr: n["abci_address"].as_str().unwrap().to_string(),
            key: delivery_conductor::load_priv_validator_key(
                &h.join("config/priv_validator_key.json"),
            )
            .unwrap(),
        })
        .collect();
    let mut config = ConductorConfig::new(genesis, validators);
    config.block_interval = Duration::from_millis(150);
    config.rpc_listen = Some(format!("127.0.0.1:{conductor_rpc_port}").parse().unwrap());
    config.connect_timeout = Duration::from_secs(30);
    let conductor = Conductor::start(config).await.unwrap();

    // EVM transactions to every node's RPC (relayed through the mempool to the producer).
    let mut sent = Vec::new();
    let recipient = Address::repeat_byte(0x55);
    let wait_rpc = Instant::now() + Duration::from_secs(60);
    for (i, url) in evm_urls.iter().enumerate() {
        loop {
            let url2 = url.clone();
            let raw = transfer(&user, i as u64, recipient);
            let res = tokio::task::spawn_blocking(move || {
                reqwest::blocking::Client::new()
                    .post(&url2)
                    .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .ok()
                    .and_then(|r| r.json::<Value>().ok())
            })
            .await
            .unwrap();
            match res {
                Some(v) if v.get("result").is_some() => {
                    sent.push(v["result"].as_str().unwrap().to_string());
                    break;
                }
                other => {
                    assert!(
                        Instant::now() < wait_rpc,
                        "node {i} never took the tx: {other:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    // Wait for TARGET BTTC blocks on every engine.
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let heights: Vec<u64> = {
            let urls = evm_urls.clone();
            tokio::task::spawn_blocking(move || {
                urls.iter()
                    .map(|u| quantity(&eth(u, "eth_blockNumber", json!([]))))
                    .collect()
            })
            .await
            .unwrap()
        };
        if heights.iter().all(|h| *h >= TARGET) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "BTTC heights {heights:?} after {} Delivery blocks",
            conductor.height()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let home0 = homes[0].display().to_string();
    let conductor_url2 = conductor_url.clone();
    let urls = evm_urls.clone();
    let sent2 = sent.clone();
    tokio::task::spawn_blocking(move || {
        // Identical blocks everywhere; producers as scheduled.
        let mut producers = Vec::new();
        for n in 1..=TARGET {
            let tag = format!("0x{n:x}");
            let blocks: Vec<Value> = urls
                .iter()
                .map(|u| eth(u, "eth_getBlockByNumber", json!([tag, false])))
                .collect();
            for b in &blocks[1..] {
                assert_eq!(b["hash"], blocks[0]["hash"], "block {n} hash differs");
                assert_eq!(
                    b["stateRoot"], blocks[0]["stateRoot"],
                    "block {n} state root differs"
                );
            }
            let scheduled = cli_json(&[
                "--home",
                &home0,
                "query",
                "--node",
                &conductor_url2,
                "span",
                "producer-at",
                &n.to_string(),
            ])
            .unwrap();
            let want = scheduled["producer"]["signer"]
                .as_str()
                .unwrap_or_else(|| panic!("unexpected producer-at answer: {scheduled}"))
                .to_lowercase();
            let miner = blocks[0]["miner"].as_str().unwrap().to_lowercase();
            assert_eq!(
                miner, want,
                "block {n}: sealed by {miner}, scheduled {want}"
            );
            producers.push(miner);
        }
        // Sprint 4: constant within a sprint; it changed between sprints somewhere.
        for (i, chunk) in producers.chunks(4).enumerate() {
            assert!(
                chunk.iter().all(|p| *p == chunk[0]),
                "sprint {i}: {chunk:?}"
            );
        }
        let distinct: std::collections::BTreeSet<&String> = producers.iter().collect();
        assert!(distinct.len() > 1, "one producer all along");
        // Every EVM tx was included, on every node.
        for hash in &sent2 {
            for u in &urls {
                let r = eth(u, "eth_getTransactionReceipt", json!([hash]));
                assert_eq!(r["status"], "0x1", "{hash} on {u}: {r}");
            }
        }
        let bal = quantity(&eth(
            &urls[2],
            "eth_getBalance",
            json!([format!("{recipient:?}"), "latest"]),
        ));
        assert_eq!(bal, (0..4u64).map(|i| 1_000 + i).sum::<u64>());
    })
    .await
    .unwrap();
    conductor.shutdown().await;
    drop(engines);
}
