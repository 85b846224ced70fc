//! Four validators (`deliveryd start` processes): 100 `bank send`s made with the CLI are all
//! included, balances are right, one node is SIGKILLed mid-run and restarted (the handshake
//! brings it back), and all four app hashes are equal at every height.
//!
//! With a real `cometbft` ($COMETBFT or PATH) each validator is `deliveryd start` plus
//! `cometbft start` on the same home, peered on loopback; without one, the in-repo conductor
//! drives the four apps and the test says so.
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

use delivery_conductor::{
    Conductor, ConductorConfig, ConductorHandle, Genesis, NodeStatus, ValidatorNode,
};
use delivery_tests::{
    cli, cli_json, comet_rpc, free_base_port, real_cometbft, CometProcess, NodeProcess,
};

const FEE: u128 = 1_000_000_000_000_000;
const GENESIS_AMOUNT: u128 = 1_000_000_000_000_000_000_000_000_000;

fn balance(home: &str, rpc: &str, address: &str) -> u128 {
    let v = cli_json(&["--home", home, "query", "balance", address, "--node", rpc]).unwrap();
    v["amount"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_agree_through_100_cli_sends_and_a_sigkill() {
    let comet = real_cometbft();
    match &comet {
        Some(bin) => eprintln!("using the real CometBFT at {}", bin.display()),
        None => eprintln!(
            "NOTE: no cometbft binary ($COMETBFT or PATH): running the 4 validators under the \
             in-repo conductor, NOT a real CometBFT"
        ),
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

    let mut net = match comet {
        Some(bin) => Net::comet(bin, &nodes, &homes).await,
        None => Net::conductor(&nodes, &homes).await,
    };
    let rpc = net.rpc();
    net.wait_for_height(2, Duration::from_secs(60)).await;

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
            net.node_down(3, &killed).await;
            let h = net.height().await;
            net.wait_for_height(h + 3, Duration::from_secs(30)).await;
            killed_at = h;
        }
        if k == 70 {
            procs[3] = NodeProcess::start(&homes[3]).unwrap();
            net.node_up(3);
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
    let target = net.height().await + 5;
    net.wait_for_height(target, Duration::from_secs(60)).await;
    net.wait_live(3, &killed, Duration::from_secs(60)).await;
    let last = net.last_comparable_height().await;
    let mut compared_after_restart = 0;
    for h in 1..=last {
        let per_node = net.app_hashes(h).await;
        let present: Vec<&Vec<u8>> = per_node.iter().filter_map(Option::as_ref).collect();
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
    net.shutdown().await;
}

/// What drives the four apps: the real CometBFT (one process per node) or the conductor.
enum Net {
    Conductor(ConductorHandle),
    Comet {
        bin: PathBuf,
        homes: Vec<PathBuf>,
        rpcs: Vec<String>,
        procs: Vec<Option<CometProcess>>,
    },
}

impl Net {
    async fn conductor(nodes: &[serde_json::Value], homes: &[PathBuf]) -> Self {
        let genesis = Genesis::load(&homes[0].join("config/genesis.json")).unwrap();
        let validators = nodes
            .iter()
            .zip(homes)
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
        Net::Conductor(Conductor::start(config).await.unwrap())
    }

    async fn comet(bin: PathBuf, nodes: &[serde_json::Value], homes: &[PathBuf]) -> Self {
        let procs = homes
            .iter()
            .map(|h| Some(CometProcess::start(&bin, h).unwrap()))
            .collect();
        let rpcs = nodes
            .iter()
            .map(|n| n["rpc_url"].as_str().unwrap().to_string())
            .collect();
        Net::Comet {
            bin,
            homes: homes.to_vec(),
            rpcs,
            procs,
        }
    }

    fn rpc(&self) -> String {
        match self {
            Net::Conductor(c) => format!("http://{}", c.rpc_addr().unwrap()),
            Net::Comet { rpcs, .. } => rpcs[0].clone(),
        }
    }

    /// The latest height of node `i` (CometBFT), or None while its RPC does not answer.
    async fn comet_height(rpc: &str) -> Option<u64> {
        let rpc = rpc.to_string();
        tokio::task::spawn_blocking(move || comet_rpc(&rpc, "status", ""))
            .await
            .unwrap()
            .ok()
            .and_then(|s| {
                s["sync_info"]["latest_block_height"]
                    .as_str()
                    .and_then(|h| h.parse().ok())
            })
    }

    async fn height(&self) -> u64 {
        match self {
            Net::Conductor(c) => c.height(),
            Net::Comet { rpcs, .. } => Self::comet_height(&rpcs[0]).await.unwrap_or(0),
        }
    }

    async fn wait_for_height(&self, height: u64, timeout: Duration) {
        match self {
            Net::Conductor(c) => c.wait_for_height(height, timeout).await.unwrap(),
            Net::Comet { .. } => {
                let deadline = Instant::now() + timeout;
                while self.height().await < height {
                    assert!(Instant::now() < deadline, "height {height} not reached");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Node `i`'s app was SIGKILLed: stop its consensus side too and wait until it is out.
    async fn node_down(&mut self, i: usize, name: &str) {
        match self {
            Net::Conductor(c) => {
                let deadline = Instant::now() + Duration::from_secs(30);
                while matches!(c.node_status(name).unwrap(), NodeStatus::Live) {
                    assert!(
                        Instant::now() < deadline,
                        "the killed node still counts as live"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            // CometBFT exits by itself when its app connection breaks; make sure of it.
            Net::Comet { procs, .. } => {
                if let Some(mut p) = procs[i].take() {
                    p.kill_hard().unwrap();
                }
            }
        }
    }

    /// Node `i`'s app was restarted: start its consensus side again (the conductor reconnects
    /// by itself).
    fn node_up(&mut self, i: usize) {
        if let Net::Comet {
            bin, homes, procs, ..
        } = self
        {
            procs[i] = Some(CometProcess::start(bin, &homes[i]).unwrap());
        }
    }

    async fn wait_live(&self, i: usize, name: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let live = match self {
                Net::Conductor(c) => matches!(c.node_status(name).unwrap(), NodeStatus::Live),
                Net::Comet { rpcs, .. } => {
                    let tip = self.height().await;
                    Self::comet_height(&rpcs[i])
                        .await
                        .is_some_and(|h| h + 1 >= tip)
                }
            };
            if live {
                return;
            }
            assert!(Instant::now() < deadline, "restarted node {name} not live");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The highest height whose app hash every live node can report.
    async fn last_comparable_height(&self) -> u64 {
        match self {
            Net::Conductor(c) => c.height(),
            // The app hash after block h is in the header of h+1.
            Net::Comet { .. } => self.height().await.saturating_sub(1),
        }
    }

    /// Each node's app hash after block `height` (None where the node lacks it).
    async fn app_hashes(&self, height: u64) -> Vec<Option<Vec<u8>>> {
        match self {
            Net::Conductor(c) => c.app_hashes(height).into_iter().map(|(_, h)| h).collect(),
            Net::Comet { rpcs, .. } => {
                let mut out = Vec::new();
                for rpc in rpcs {
                    let rpc = rpc.clone();
                    let query = format!("height={}", height + 1);
                    let hash =
                        tokio::task::spawn_blocking(move || comet_rpc(&rpc, "block", &query))
                            .await
                            .unwrap()
                            .ok()
                            .and_then(|b| {
                                b["block"]["header"]["app_hash"]
                                    .as_str()
                                    .and_then(hex_decode)
                            });
                    out.push(hash);
                }
                out
            }
        }
    }

    async fn shutdown(self) {
        match self {
            Net::Conductor(c) => c.shutdown().await,
            Net::Comet { procs, .. } => drop(procs),
        }
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex20(i: u8) -> String {
    let mut s = "00".repeat(19);
    s.push_str(&format!("{i:02x}"));
    s
}
