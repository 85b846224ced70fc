//! A four-validator BTTC network for end-to-end tests: `deliveryd testnet --bttc-genesis`, then
//! per node `bttc init` + `bttc start` (engine API with JWT, Ethereum RPC) and `deliveryd start`,
//! all driven by the conductor, whose RPC stands in for every node's CometBFT RPC.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    dead_code,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod checkpoints;
pub mod claims;
pub mod exits;
pub mod gov;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use delivery_conductor::{Conductor, ConductorConfig, ConductorHandle, Genesis, ValidatorNode};
use delivery_tests::{bttc_bin, cli, cli_json, free_base_port, real_cometbft, NodeProcess, Proc};
use serde_json::{json, Value};

pub const EVM_CHAIN_ID: u64 = 1337;

pub struct BttcNet {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Value>,
    pub homes: Vec<PathBuf>,
    pub evm_urls: Vec<String>,
    pub conductor_url: String,
    pub conductor: ConductorHandle,
    pub engines: Vec<Option<Proc>>,
    pub apps: Vec<Option<NodeProcess>>,
    pub user: PrivateKeySigner,
    /// The bttc binary.
    pub bttc: PathBuf,
    /// With `start_with_root_chains`: the dev root chains (tron, eth) and the validators'
    /// signer keys (node order).
    pub root_chains: Vec<RootChain>,
    pub signer_keys: Vec<String>,
}

/// A dev root chain (`bttc dev --root-chain KIND`).
pub struct RootChain {
    pub kind: String,
    pub url: String,
    pub chain_id: u64,
    /// Its root-contracts.json.
    pub contracts: Value,
    pub proc: Proc,
}

/// The dev accounts of `bttc dev` (`keccak256("bttc dev account <i>")`).
pub fn dev_account(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&alloy_primitives::keccak256(format!(
        "bttc dev account {i}"
    )))
    .unwrap()
}

/// Sends a signed EIP-1559 call from `key` on the chain at `url` and waits for its receipt
/// (which must succeed).
pub async fn send_call(
    url: &str,
    chain_id: u64,
    key: &PrivateKeySigner,
    to: Address,
    input: Vec<u8>,
) -> Value {
    let nonce = quantity(&eth(
        url,
        "eth_getTransactionCount",
        json!([format!("{:#x}", key.address()), "pending"]),
    ));
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 1_000_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        input: input.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = format!(
        "0x{}",
        alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    );
    let hash = eth(url, "eth_sendRawTransaction", json!([raw]));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = try_eth(url, "eth_getTransactionReceipt", json!([hash])) {
            if !r.is_null() {
                assert_eq!(r["status"], "0x1", "call to {to} failed: {r}");
                return r;
            }
        }
        assert!(Instant::now() < deadline, "no receipt for {hash} on {url}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn start_root_chain(
    bttc: &std::path::Path,
    dir: &std::path::Path,
    kind: &str,
    port: u16,
    extra: &[&str],
) -> Proc {
    let datadir = dir.join(format!("root-{kind}"));
    let addr = format!("127.0.0.1:{port}");
    let datadir_s = datadir.display().to_string();
    let mut args = vec![
        "dev",
        "--root-chain",
        kind,
        "--datadir",
        &datadir_s,
        "--http-addr",
        &addr,
        "--block-time",
        "500ms",
    ];
    args.extend_from_slice(extra);
    Proc::spawn(bttc, &args, &dir.join(format!("root-{kind}.log"))).unwrap()
}

async fn wait_root_chain(dir: &std::path::Path, kind: &str, url: &str) -> Value {
    let file = dir.join(format!("root-{kind}/root-contracts.json"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if file.exists() && try_eth(url, "eth_blockNumber", json!([])).is_some() {
            return serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "root chain {kind} did not write {} in 60 s: {}",
            file.display(),
            std::fs::read_to_string(dir.join(format!("root-{kind}.log"))).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// A JSON-RPC call; `None` when the endpoint does not answer or answers with an error.
/// (Blocking: called from the multi-thread test runtime through `block_in_place`.)
pub fn try_eth(url: &str, method: &str, params: Value) -> Option<Value> {
    tokio::task::block_in_place(|| {
        let body: Value = reqwest::blocking::Client::new()
            .post(url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .timeout(Duration::from_secs(10))
            .send()
            .ok()?
            .json()
            .ok()?;
        body.get("result").cloned()
    })
}

pub fn eth(url: &str, method: &str, params: Value) -> Value {
    try_eth(url, method, params).unwrap_or_else(|| panic!("{url} {method}: no result"))
}

fn set_rpc_url(app_toml: &std::path::Path, url: &str) {
    let text = std::fs::read_to_string(app_toml).unwrap();
    // Only [client]'s rpc_url: [[bridge.root_chain]] entries have their own.
    let mut section = String::new();
    let patched: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with('[') {
                section = l.trim().to_string();
            }
            if section == "[client]" && l.starts_with("rpc_url = ") {
                format!("rpc_url = \"{url}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(app_toml, patched.join("\n") + "\n").unwrap();
}

/// The conductor over the nodes of `deliveryd testnet` (its `testnet.json` entries and homes):
/// the chain of node 0's `config/genesis.json`, a block every `block_ms`, its RPC at
/// `conductor_url` and each node's own CometBFT RPC on its `rpc_laddr` (as `deliveryd conduct`
/// serves them: a query there answers from that node's app).
fn conductor_config(
    nodes: &[Value],
    homes: &[PathBuf],
    block_ms: u64,
    conductor_url: &str,
) -> ConductorConfig {
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
    config.block_interval = Duration::from_millis(block_ms);
    config.rpc_listen = Some(conductor_url.trim_start_matches("http://").parse().unwrap());
    config.connect_timeout = Duration::from_secs(30);
    config.node_rpc_listen = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let port = n["ports"]["rpc"].as_u64().unwrap();
            (i, format!("127.0.0.1:{port}").parse().unwrap())
        })
        .collect();
    config
}

impl BttcNet {
    /// Starts the network: 4 validators, localnet span params (sprint 4, span 16, timeout 3,
    /// 4 misses), `producers` per span, Delivery blocks every `block_ms`.
    pub async fn start(producers: u32, block_ms: u64) -> Self {
        Self::start_inner(producers, block_ms, false, 0, &[]).await
    }

    /// Like `start`, after two dev root chains: `bttc dev --root-chain tron` (staking: it stakes
    /// the validators' signers as ids 1..4) and `bttc dev --root-chain eth`, each with a
    /// RootChain whose genesis set is those signers, both in every node's genesis and app.toml
    /// [bridge] (on), the way `scripts/localnet up` does it.
    pub async fn start_with_root_chains(producers: u32, block_ms: u64) -> Self {
        Self::start_inner(producers, block_ms, true, 0, &[]).await
    }

    /// Like `start_with_root_chains`, plus `full_nodes` nodes (node4…) that are not staked:
    /// `deliveryd testnet --full-nodes`, each with its own engine and bridge.
    pub async fn start_with_full_nodes(producers: u32, block_ms: u64, full_nodes: u16) -> Self {
        Self::start_inner(producers, block_ms, true, full_nodes, &[]).await
    }

    /// `testnet_extra`: more `deliveryd testnet` arguments (e.g. `--checkpoint-buffer-time`).
    async fn start_inner(
        producers: u32,
        block_ms: u64,
        with_roots: bool,
        full_nodes: u16,
        testnet_extra: &[&str],
    ) -> Self {
        if real_cometbft().is_some() {
            eprintln!(
                "NOTE: a cometbft binary is available, but this test runs the four validators on \
                 the conductor (its RPC serves all four nodes)"
            );
        } else {
            eprintln!(
                "NOTE: no cometbft binary: running the 4 validators under the in-repo conductor"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let user =
            PrivateKeySigner::from_bytes(&alloy_primitives::B256::repeat_byte(0x77)).unwrap();
        let genesis = bttc_engine_contracts::dev_genesis_json(
            EVM_CHAIN_ID,
            &[(user.address(), U256::from(10u128.pow(24)))],
        )
        .unwrap();
        let bttc_genesis = dir.path().join("bttc-genesis.json");
        std::fs::write(&bttc_genesis, genesis.to_string()).unwrap();
        let net = dir.path().join("net");
        // Port slots (10 ports each): 0..n the nodes, n the conductor, n+1 the root chains.
        let n = 4 + full_nodes;
        let base = free_base_port(n + 2).unwrap();
        let roots_base = base + 10 * (n + 1);
        let bttc = bttc_bin().unwrap();
        let mut root_chains = Vec::new();
        let mut signer_keys = Vec::new();
        let mut root_args: Vec<String> = Vec::new();
        if with_roots {
            let net_s = net.display().to_string();
            cli(&[
                "testnet",
                "--signers-only",
                "--validators",
                "4",
                "--output-dir",
                &net_s,
            ])
            .unwrap();
            let keys: Value =
                serde_json::from_slice(&std::fs::read(net.join("signer-keys.json")).unwrap())
                    .unwrap();
            signer_keys = keys["signer_keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            let validators = net.join("genesis-validators.json").display().to_string();
            let bttc_chain_id = EVM_CHAIN_ID.to_string();
            for (kind, port) in [("tron", roots_base), ("eth", roots_base + 1)] {
                // Both deploy a RootChain with the validators' signers; tron (the staking
                // chain by default) also stakes them and wires it into its StakeManager.
                let extra = [
                    "--genesis-validators",
                    validators.as_str(),
                    "--bttc-chain-id",
                    bttc_chain_id.as_str(),
                ];
                let proc = start_root_chain(&bttc, dir.path(), kind, port, &extra);
                let url = format!("http://127.0.0.1:{port}");
                let contracts = wait_root_chain(dir.path(), kind, &url).await;
                root_args.push("--root-chain".into());
                root_args.push(
                    dir.path()
                        .join(format!("root-{kind}/root-contracts.json"))
                        .display()
                        .to_string(),
                );
                root_chains.push(RootChain {
                    kind: kind.into(),
                    chain_id: contracts["chain_id"].as_u64().unwrap(),
                    url,
                    contracts,
                    proc,
                });
            }
        }
        let base_s = base.to_string();
        let block_time = format!("{block_ms}ms");
        let net_s = net.display().to_string();
        let genesis_s = bttc_genesis.display().to_string();
        let producers_s = producers.to_string();
        let full_nodes_s = full_nodes.to_string();
        let mut args: Vec<&str> = vec![
            "testnet",
            "--validators",
            "4",
            "--output-dir",
            &net_s,
            "--starting-port",
            &base_s,
            "--block-time",
            &block_time,
            "--chain-id",
            "bttc-e2e-1",
            "--bttc-genesis",
            &genesis_s,
            "--span-params",
            "localnet",
            "--producers",
            &producers_s,
            "--full-nodes",
            &full_nodes_s,
        ];
        args.extend(root_args.iter().map(String::as_str));
        args.extend_from_slice(testnet_extra);
        cli(&args).unwrap();
        let report: Value =
            serde_json::from_slice(&std::fs::read(net.join("testnet.json")).unwrap()).unwrap();
        let nodes = report["nodes"].as_array().unwrap().clone();
        // Port slot n (the range of a node after the last) is free: the conductor's RPC.
        let conductor_rpc_port = base + 10 * n + 1;
        let conductor_url = format!("http://127.0.0.1:{conductor_rpc_port}");
        let homes: Vec<PathBuf> = nodes
            .iter()
            .map(|n| PathBuf::from(n["home"].as_str().unwrap()))
            .collect();
        let evm_urls = nodes
            .iter()
            .map(|n| format!("http://{}", n["bttc"]["evm_rpc_addr"].as_str().unwrap()))
            .collect();
        for home in &homes {
            set_rpc_url(&home.join("config/app.toml"), &conductor_url);
        }
        // Engines and apps first, so the conductor finds them.
        let mut engines = Vec::new();
        let mut apps = Vec::new();
        for (n, home) in nodes.iter().zip(&homes) {
            init_engine(&bttc, n);
            engines.push(Some(start_engine(&bttc, n, home, &conductor_url)));
            apps.push(Some(NodeProcess::start(home).unwrap()));
        }
        let config = conductor_config(&nodes, &homes, block_ms, &conductor_url);
        let conductor = Conductor::start(config).await.unwrap();
        Self {
            dir,
            nodes,
            homes,
            evm_urls,
            conductor_url,
            conductor,
            engines,
            apps,
            user,
            bttc,
            root_chains,
            signer_keys,
        }
    }

    /// Node `i`'s own CometBFT RPC URL (served by the conductor from that node's app).
    pub fn node_rpc(&self, i: usize) -> String {
        format!(
            "http://127.0.0.1:{}",
            self.nodes[i]["ports"]["rpc"].as_u64().unwrap()
        )
    }

    /// The Delivery query `args` (after `query`), as JSON, through the conductor's RPC.
    pub fn query(&self, args: &[&str]) -> Value {
        let home = self.homes[0].display().to_string();
        let mut all = vec!["--home", &home, "query", "--node", &self.conductor_url];
        all.extend_from_slice(args);
        tokio::task::block_in_place(|| cli_json(&all)).unwrap()
    }

    /// Like [`Self::query`], `None` when the query fails (e.g. no span covers a height yet).
    pub fn try_query(&self, args: &[&str]) -> Option<Value> {
        let home = self.homes[0].display().to_string();
        let mut all = vec!["--home", &home, "query", "--node", &self.conductor_url];
        all.extend_from_slice(args);
        tokio::task::block_in_place(|| cli_json(&all)).ok()
    }

    /// Index of the node whose signer is `signer`.
    pub fn node_of(&self, signer: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| {
                n["signer_address"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(signer)
            })
            .unwrap()
    }

    /// The scheduled producer of BTTC height `h`, if a span covers it yet.
    pub fn try_scheduled(&self, h: u64) -> Option<String> {
        let home = self.homes[0].display().to_string();
        let height = h.to_string();
        let args = [
            "--home",
            &home,
            "query",
            "--node",
            &self.conductor_url,
            "span",
            "producer-at",
            &height,
        ];
        let v = tokio::task::block_in_place(|| cli_json(&args)).ok()?;
        v["producer"]["signer"].as_str().map(str::to_lowercase)
    }

    /// The scheduled producer (signer, lowercase) of BTTC height `h`.
    pub fn scheduled(&self, h: u64) -> String {
        self.query(&["span", "producer-at", &h.to_string()])["producer"]["signer"]
            .as_str()
            .unwrap()
            .to_lowercase()
    }

    pub fn bttc_height(&self, i: usize) -> Option<u64> {
        try_eth(&self.evm_urls[i], "eth_blockNumber", json!([])).map(|v| quantity(&v))
    }

    /// Waits until every node in `which` reports BTTC height ≥ `h`.
    pub async fn wait_bttc(&self, which: &[usize], h: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let heights: Vec<Option<u64>> = which.iter().map(|i| self.bttc_height(*i)).collect();
            if heights.iter().all(|x| x.is_some_and(|x| x >= h)) {
                return;
            }
            if Instant::now() >= deadline {
                self.dump_logs();
                panic!(
                    "BTTC heights {heights:?} (want {h}) after {} Delivery blocks",
                    self.conductor.height()
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Prints the last lines of every node's logs (for a failing test's output).
    pub fn dump_logs(&self) {
        for (i, home) in self.homes.iter().enumerate() {
            for log in ["deliveryd.log", "bttc.log"] {
                let text = std::fs::read_to_string(home.join(log)).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(25)..];
                eprintln!("----- node{i} {log} (last {} lines)", tail.len());
                for l in tail {
                    eprintln!("{l}");
                }
            }
        }
    }

    pub fn block(&self, i: usize, n: u64) -> Value {
        eth(
            &self.evm_urls[i],
            "eth_getBlockByNumber",
            json!([format!("0x{n:x}"), false]),
        )
    }

    pub fn stop_node(&mut self, i: usize) {
        if let Some(mut a) = self.apps[i].take() {
            a.kill_hard().unwrap();
        }
        if let Some(mut e) = self.engines[i].take() {
            e.kill_hard().unwrap();
        }
    }

    pub fn start_node(&mut self, i: usize) {
        self.restart_engine(i);
        self.apps[i] = Some(NodeProcess::start(&self.homes[i]).unwrap());
    }

    pub fn stop_engine(&mut self, i: usize) {
        if let Some(mut e) = self.engines[i].take() {
            e.kill_hard().unwrap();
        }
    }

    /// Deletes node `i`'s engine data and initialises it again (genesis only).
    pub fn wipe_engine(&mut self, i: usize) {
        self.stop_engine(i);
        let datadir = self.nodes[i]["bttc"]["datadir"].as_str().unwrap();
        std::fs::remove_dir_all(datadir).unwrap();
        init_engine(&self.bttc, &self.nodes[i]);
    }

    pub fn restart_engine(&mut self, i: usize) {
        self.stop_engine(i);
        self.engines[i] = Some(start_engine(
            &self.bttc,
            &self.nodes[i],
            &self.homes[i],
            &self.conductor_url,
        ));
    }

    pub fn transfer(&self, nonce: u64, to: Address) -> String {
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
        let sig = self.user.sign_hash_sync(&tx.signature_hash()).unwrap();
        format!(
            "0x{}",
            alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
        )
    }
}

fn init_engine(bttc: &std::path::Path, node: &Value) {
    let b = &node["bttc"];
    let out = std::process::Command::new(bttc)
        .args([
            "init",
            "--genesis",
            b["genesis"].as_str().unwrap(),
            "--datadir",
            b["datadir"].as_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_engine(bttc: &std::path::Path, node: &Value, home: &std::path::Path, relay: &str) -> Proc {
    let b = &node["bttc"];
    Proc::spawn(
        bttc,
        &[
            "start",
            "--datadir",
            b["datadir"].as_str().unwrap(),
            "--authrpc-addr",
            b["engine_addr"].as_str().unwrap(),
            "--authrpc-jwtsecret",
            b["jwt_secret"].as_str().unwrap(),
            "--http-addr",
            b["evm_rpc_addr"].as_str().unwrap(),
            "--relay-url",
            relay,
        ],
        &home.join("bttc.log"),
    )
    .unwrap()
}

/// A [`BttcNet`] whose chain is stopped ([`BttcNet::stop_chain`]): no conductor, no apps; the
/// engines still run. Restart it with [`StoppedBttcNet::start_chain`].
pub struct StoppedBttcNet {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Value>,
    pub homes: Vec<PathBuf>,
    pub evm_urls: Vec<String>,
    pub conductor_url: String,
    pub engines: Vec<Option<Proc>>,
    pub user: PrivateKeySigner,
    pub bttc: PathBuf,
    pub root_chains: Vec<RootChain>,
    pub signer_keys: Vec<String>,
    /// The last height the conductor committed.
    pub last_height: u64,
    /// The app hash the apps returned for it (all four agreed).
    pub last_app_hash: Vec<u8>,
}

impl BttcNet {
    /// Stops the chain the way an operator stops a network to export it: right after a block
    /// commits, the conductor shuts down (it finishes no further block), then every node's app
    /// is killed. The engines keep running (their head is the last finalized BTTC block: Commit
    /// moved it).
    pub async fn stop_chain(self) -> StoppedBttcNet {
        let BttcNet {
            dir,
            nodes,
            homes,
            evm_urls,
            conductor_url,
            conductor,
            engines,
            mut apps,
            user,
            bttc,
            root_chains,
            signer_keys,
        } = self;
        // Just after a commit, a whole block interval before the next block starts.
        let next = conductor.height() + 1;
        conductor
            .wait_for_height(next, Duration::from_secs(60))
            .await
            .unwrap();
        let last_height = conductor.height();
        let hashes = conductor.app_hashes(last_height);
        conductor.shutdown().await;
        let last_app_hash = hashes[0].1.clone().expect("node0 executed the last height");
        for (name, hash) in &hashes {
            assert_eq!(
                hash.as_ref(),
                Some(&last_app_hash),
                "{name} at height {last_height}"
            );
        }
        for app in &mut apps {
            if let Some(mut a) = app.take() {
                a.kill_hard().unwrap();
            }
        }
        StoppedBttcNet {
            dir,
            nodes,
            homes,
            evm_urls,
            conductor_url,
            engines,
            user,
            bttc,
            root_chains,
            signer_keys,
            last_height,
            last_app_hash,
        }
    }
}

impl StoppedBttcNet {
    /// Starts the apps again and a new conductor from node 0's `config/genesis.json` (every home
    /// must hold the same), on the same RPC ports, Delivery blocks every `block_ms`.
    pub async fn start_chain(self, block_ms: u64) -> BttcNet {
        let apps = self
            .homes
            .iter()
            .map(|h| Some(NodeProcess::start(h).unwrap()))
            .collect();
        let config = conductor_config(&self.nodes, &self.homes, block_ms, &self.conductor_url);
        let conductor = Conductor::start(config).await.unwrap();
        BttcNet {
            dir: self.dir,
            nodes: self.nodes,
            homes: self.homes,
            evm_urls: self.evm_urls,
            conductor_url: self.conductor_url,
            conductor,
            engines: self.engines,
            apps,
            user: self.user,
            bttc: self.bttc,
            root_chains: self.root_chains,
            signer_keys: self.signer_keys,
        }
    }
}

// ---- REST API (docs/rest.md)

/// Sets node app.toml's `[rest]` to `enabled = true` on `address` (rewriting the section
/// `deliveryd testnet` wrote, or adding one).
pub fn enable_rest_in_app_toml(app_toml: &std::path::Path, address: &str) {
    let text = std::fs::read_to_string(app_toml).unwrap();
    let mut out = Vec::new();
    let mut in_rest = false;
    let mut seen = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_rest = trimmed == "[rest]";
            seen |= in_rest;
        }
        if in_rest && (trimmed.starts_with("enabled") || trimmed.starts_with("address")) {
            continue;
        }
        out.push(line.to_string());
        if in_rest && trimmed == "[rest]" {
            out.push("enabled = true".into());
            out.push(format!("address = \"{address}\""));
        }
    }
    if !seen {
        out.push(String::new());
        out.push("[rest]".into());
        out.push("enabled = true".into());
        out.push(format!("address = \"{address}\""));
    }
    std::fs::write(app_toml, out.join("\n") + "\n").unwrap();
}

impl BttcNet {
    /// Turns on node `i`'s REST API (app.toml `[rest]`, on the unused port +6 of the node's
    /// port range) and restarts the node so that `deliveryd start` reads it; answers the REST
    /// base URL once `/status` answers.
    pub async fn enable_rest(&mut self, i: usize) -> String {
        let port = self.nodes[i]["ports"]["p2p"].as_u64().unwrap() + 6;
        let address = format!("127.0.0.1:{port}");
        enable_rest_in_app_toml(&self.homes[i].join("config/app.toml"), &address);
        self.stop_node(i);
        self.start_node(i);
        let url = format!("http://{address}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{url}/status")).await {
                if r.status().is_success() {
                    return url;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {i}'s REST API never answered on {url}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// GET `url` on the REST API: the status and the JSON body (every answer is JSON).
pub async fn rest_get(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("GET {url}: {status}, not JSON ({e}): {body}"));
    (status, value)
}
