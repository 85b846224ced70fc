//! Four validators (`deliveryd start` processes) under the conductor: 100 `bank send`s made
//! with the CLI are all included, balances are right, one node is SIGKILLed mid-run and
//! restarted (the handshake brings it back), and all four app hashes are equal at every height.
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

use delivery_conductor::{Conductor, ConductorConfig, Genesis, NodeStatus, ValidatorNode};
use delivery_tests::{cli, cli_json, free_base_port, real_cometbft, NodeProcess};

const FEE: u128 = 1_000_000_000_000_000;
const GENESIS_AMOUNT: u128 = 1_000_000_000_000_000_000_000_000_000;

fn balance(home: &str, rpc: &str, address: &str) -> u128 {
    let v = cli_json(&["--home", home, "query", "balance", address, "--node", rpc]).unwrap();
    v["amount"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_agree_through_100_cli_sends_and_a_sigkill() {
    if real_cometbft().is_some() {
        eprintln!("NOTE: a cometbft binary is available, but this test drives the apps with the conductor");
    } else {
        eprintln!("NOTE: no cometbft binary ($COMETBFT or PATH): running the 4 validators under the in-repo conductor");
    }
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    let base = free_base_port(4).unwrap();
    cli(&[
        "testnet",
        "--validators",
        "4",
        "--output-dir",
        &net.display().to_string(),
        "--starting-port",
        &base.to_string(),
        "--block-time",
        "200ms",
        "--chain-id",
        "e2e-1",
    ])
    .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(net.join("testnet.json")).unwrap()).unwrap();
    let nodes = report["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 4);
    let homes: Vec<PathBuf> = nodes
        .iter()
        .map(|n| PathBuf::from(n["home"].as_str().unwrap()))
        .collect();
    let mut procs: Vec<NodeProcess> = homes
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
    config.block_interval = Duration::from_millis(200);
    config.rpc_listen = Some("127.0.0.1:0".parse().unwrap());
    config.connect_timeout = Duration::from_secs(30);
    let conductor = Conductor::start(config).await.unwrap();
    let rpc = format!("http://{}", conductor.rpc_addr().unwrap());
    conductor
        .wait_for_height(2, Duration::from_secs(60))
        .await
        .unwrap();

    // 100 sends: 25 from each validator's signer account, to 5 recipients, with explicit
    // sequences so several land in one block.
    let recipients: Vec<String> = (1..=5u8).map(|i| format!("0x{}", hex20(i))).collect();
    let mut expected = [0u128; 5];
    let mut sent_by = [0u128; 4];
    let killed = nodes[3]["name"].as_str().unwrap().to_string();
    let mut hashes = Vec::new();
    let mut killed_at = 0u64;
    for k in 0..100usize {
        let signer = k % 4;
        let seq = k / 4;
        let to = k % 5;
        let amount = 1_000 + k as u128;
        let home = homes[signer].display().to_string();
        let out = tokio::task::spawn_blocking({
            let rpc = rpc.clone();
            let to = recipients[to].clone();
            move || {
                cli_json(&[
                    "--home",
                    &home,
                    "tx",
                    "bank",
                    "send",
                    &to,
                    &format!("{amount}abtt"),
                    "--from",
                    "validator",
                    "--node",
                    &rpc,
                    "--sequence",
                    &seq.to_string(),
                    "--keyring-backend",
                    "test",
                ])
            }
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(out["code"], 0, "send {k}: {out}");
        hashes.push(out["txhash"].as_str().unwrap().to_string());
        expected[to] += amount;
        sent_by[signer] += amount + FEE;
        if k == 40 {
            // SIGKILL one validator mid-run; 3 of 4 keep the chain going.
            procs[3].kill_hard().unwrap();
            // The conductor notices, and 3 of 4 validators keep producing blocks.
            let deadline = Instant::now() + Duration::from_secs(30);
            while matches!(conductor.node_status(&killed).unwrap(), NodeStatus::Live) {
                assert!(
                    Instant::now() < deadline,
                    "the killed node still counts as live"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let h = conductor.height();
            conductor
                .wait_for_height(h + 3, Duration::from_secs(30))
                .await
                .unwrap();
            killed_at = h;
        }
        if k == 70 {
            procs[3] = NodeProcess::start(&homes[3]).unwrap();
        }
    }

    // Every tx is included with code 0.
    let deadline = Instant::now() + Duration::from_secs(120);
    for hash in &hashes {
        loop {
            let found = tokio::task::spawn_blocking({
                let (rpc, hash, home) = (rpc.clone(), hash.clone(), homes[0].display().to_string());
                move || cli_json(&["--home", &home, "query", "tx", &hash, "--node", &rpc])
            })
            .await
            .unwrap();
            match found {
                Ok(v) => {
                    assert_eq!(v["tx_result"]["code"], 0, "tx {hash}: {v}");
                    break;
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(e) => panic!("tx {hash} never included: {e}"),
            }
        }
    }

    // Balances.
    let home0 = homes[0].display().to_string();
    for (r, want) in recipients.iter().zip(expected) {
        assert_eq!(balance(&home0, &rpc, r), want, "recipient {r}");
    }
    for (i, n) in nodes.iter().enumerate() {
        let signer = n["signer_address"].as_str().unwrap();
        assert_eq!(
            balance(&home0, &rpc, signer),
            GENESIS_AMOUNT - sent_by[i],
            "signer of node {i}"
        );
    }

    // A balance with its Merkle proof, verified by the CLI against the next header's app hash.
    let proved = cli_json(&[
        "--home",
        &home0,
        "query",
        "balance",
        &recipients[0],
        "--prove",
        "--node",
        &rpc,
    ])
    .unwrap();
    assert_eq!(
        proved["amount"].as_str().unwrap().parse::<u128>().unwrap(),
        expected[0]
    );
    assert!(
        proved["verified_against_app_hash"]
            .as_str()
            .is_some_and(|h| h.len() == 64),
        "{proved}"
    );

    // The restarted node caught up and votes again; every height has one app hash.
    let target = conductor.height() + 5;
    conductor
        .wait_for_height(target, Duration::from_secs(60))
        .await
        .unwrap();
    let live = Instant::now() + Duration::from_secs(30);
    while !matches!(conductor.node_status(&killed).unwrap(), NodeStatus::Live) {
        assert!(
            Instant::now() < live,
            "restarted node not live: {:?}",
            conductor.node_status(&killed)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = conductor.height();
    let mut compared_after_restart = 0;
    for h in 1..=last {
        let per_node = conductor.app_hashes(h);
        let present: Vec<&Vec<u8>> = per_node.iter().filter_map(|(_, v)| v.as_ref()).collect();
        assert!(
            present.len() >= 3,
            "height {h}: only {} app hashes",
            present.len()
        );
        assert!(
            present.windows(2).all(|w| w[0] == w[1]),
            "height {h}: app hashes differ: {per_node:?}"
        );
        if h + 3 >= last {
            assert_eq!(
                present.len(),
                4,
                "height {h}: the restarted node has no app hash"
            );
            compared_after_restart += 1;
        }
    }
    assert!(compared_after_restart > 0);
    // While it was down the chain went on without it: some heights lack its app hash, and the
    // handshake replayed them when it came back.
    assert!(killed_at > 0);
    conductor.shutdown().await;
}

fn hex20(i: u8) -> String {
    let mut s = "00".repeat(19);
    s.push_str(&format!("{i:02x}"));
    s
}
