//! `deliveryd conduct --testnet-dir DIR`: drives the nodes of a `deliveryd testnet` (each
//! running `deliveryd start`) with the in-repo conductor, for machines without a `cometbft`
//! binary. A development and test tool: CometBFT's call order and RPC, no p2p, no BFT. With a
//! real CometBFT, run `cometbft start --home <node home>` per node instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use delivery_conductor::{Conductor, ConductorConfig, Genesis, ValidatorNode};

use crate::config;

/// `conduct` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory `deliveryd testnet` wrote (with testnet.json).
    #[arg(long, value_name = "DIR")]
    testnet_dir: PathBuf,
    /// Where the CometBFT-compatible RPC listens [default: node0's RPC address, since no
    /// CometBFT runs there].
    #[arg(long)]
    rpc: Option<SocketAddr>,
    /// Target block interval; the pause after each commit is 90 % of it, as `deliveryd
    /// testnet` sets CometBFT's timeout_commit [default: testnet.json's block_time].
    #[arg(long, value_parser = config::parse_duration)]
    block_time: Option<Duration>,
}

/// Runs `conduct`.
pub fn run(args: Args, _globals: &crate::Globals) -> anyhow::Result<()> {
    let path = args.testnet_dir.join("testnet.json");
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    let nodes = report
        .get("nodes")
        .and_then(serde_json::Value::as_array)
        .filter(|n| !n.is_empty())
        .with_context(|| format!("{} lists no nodes", path.display()))?;
    let field = |n: &serde_json::Value, k: &str| -> anyhow::Result<String> {
        n.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("a node in {} has no {k}", path.display()))
    };
    let mut validators = Vec::with_capacity(nodes.len());
    let mut first_home = None;
    let mut first_rpc = None;
    // Every node's own RPC address: the conductor serves each, speaking for that node.
    let mut node_rpcs = Vec::with_capacity(nodes.len());
    for (idx, n) in nodes.iter().enumerate() {
        if idx > 0 {
            let laddr = field(n, "rpc_laddr")?;
            let addr: std::net::SocketAddr = laddr
                .strip_prefix("tcp://")
                .with_context(|| format!("node {idx}'s rpc_laddr {laddr} is not tcp://"))?
                .parse()
                .with_context(|| format!("node {idx}'s rpc_laddr {laddr}"))?;
            node_rpcs.push((idx, addr));
        }
        let home = PathBuf::from(field(n, "home")?);
        let key_path = home.join("config/priv_validator_key.json");
        validators.push(ValidatorNode {
            name: field(n, "name")?,
            abci_addr: field(n, "abci_address")?,
            key: delivery_conductor::load_priv_validator_key(&key_path)
                .with_context(|| format!("reading {}", key_path.display()))?,
        });
        if first_home.is_none() {
            first_rpc = Some(field(n, "rpc_laddr")?);
            first_home = Some(home);
        }
    }
    let first_home = first_home.context("no nodes")?;
    let genesis = Genesis::load(&first_home.join("config/genesis.json"))
        .context("reading node0's genesis.json")?;
    let rpc = match args.rpc {
        Some(a) => a,
        None => first_rpc
            .as_deref()
            .and_then(|l| l.strip_prefix("tcp://"))
            .context("node0 has no tcp:// rpc_laddr")?
            .parse()
            .context("node0's rpc_laddr")?,
    };
    let block_time = match args.block_time {
        Some(d) => d,
        None => report
            .get("block_time")
            .and_then(serde_json::Value::as_str)
            .map(config::parse_duration)
            .transpose()
            .map_err(|e| anyhow::anyhow!("testnet.json block_time: {e}"))?
            .unwrap_or(Duration::from_secs(1)),
    };
    let mut cfg = ConductorConfig::new(genesis, validators);
    cfg.block_interval = config::timeout_commit_for(block_time);
    cfg.rpc_listen = Some(rpc);
    if args.rpc.is_none() {
        cfg.node_rpc_listen = node_rpcs;
    }
    cfg.store_dir = Some(args.testnet_dir.join("conductor"));
    cfg.connect_timeout = Duration::from_secs(120);
    cfg.moniker = "deliveryd-conductor".into();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        tracing::warn!(
            "the in-repo conductor stands in for CometBFT (development and tests only: no p2p, \
             no BFT); with a cometbft binary run `cometbft start --home <node home>` per node"
        );
        let handle = Conductor::start(cfg)
            .await
            .context("starting the conductor")?;
        tracing::info!(rpc = %rpc, "conductor running; Ctrl-C stops it");
        crate::start::shutdown_signal().await;
        handle.shutdown().await;
        anyhow::Ok(())
    })
}
