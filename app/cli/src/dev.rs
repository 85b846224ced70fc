//! `deliveryd dev`: a single-validator Delivery chain in one process, with no external
//! programs. The app serves ABCI on a unix socket in the home; the in-repo conductor plays
//! CometBFT's part (call order, vote extensions, mempool, RPC on :26657), so the CLI and any
//! CometBFT RPC client work against it unchanged. It is a development tool: for a network, run
//! `deliveryd start` under a real CometBFT v0.38.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use delivery_abci::server::Server;
use delivery_abci::CancellationToken;
use delivery_conductor::{Conductor, ConductorConfig, Genesis, ValidatorNode};

use crate::config::{self, AppConfig};
use crate::home::Home;
use crate::output;

/// `dev` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Block interval.
    #[arg(long, default_value = "1s", value_parser = config::parse_duration)]
    block_time: Duration,
    /// Where the CometBFT-compatible RPC listens.
    #[arg(long, default_value = "127.0.0.1:26657")]
    rpc: SocketAddr,
    /// The chain id of a new dev home.
    #[arg(long, default_value = "delivery-dev")]
    chain_id: String,
}

#[derive(clap::Parser)]
struct InitWrapper {
    #[command(flatten)]
    args: crate::init::Args,
}

/// Runs `dev`.
pub fn run(args: Args, globals: &crate::Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    if !home.genesis_json().exists() {
        let block_time = config::go_duration(args.block_time);
        let wrapper = InitWrapper::try_parse_from([
            "init",
            "dev",
            "--chain-id",
            args.chain_id.as_str(),
            "--block-time",
            block_time.as_str(),
        ])
        .context("building the init arguments")?;
        let quiet = crate::Globals {
            output: output::OutputFormat::Json,
            ..globals.clone()
        };
        crate::init::run(wrapper.args, &quiet).context("initialising the dev home")?;
    }
    let config = AppConfig::load(&home.app_toml())?;
    let app = crate::start::open_app(&home, &config)?;
    let genesis = Genesis::load(&home.genesis_json()).context("reading genesis.json")?;
    let key = delivery_conductor::load_priv_validator_key(&home.priv_validator_key_json())
        .context("reading priv_validator_key.json")?;
    let socket = home.data_dir().join("abci.sock");
    let abci_addr = format!("unix://{}", socket.display());
    let chain_id = genesis.chain_id.clone();

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(&abci_addr, app).await.with_context(|| format!("listening on {abci_addr}"))?;
        let server_token = CancellationToken::new();
        let server_task = tokio::spawn(server.run(server_token.clone()));

        let mut conductor = ConductorConfig::new(
            genesis,
            vec![ValidatorNode { name: "dev".into(), abci_addr: abci_addr.clone(), key }],
        );
        conductor.block_interval = args.block_time;
        conductor.rpc_listen = Some(args.rpc);
        conductor.store_dir = Some(home.data_dir().join("conductor"));
        conductor.moniker = "deliveryd-dev".into();
        let handle = Conductor::start(conductor).await.context("starting the conductor")?;
        let rpc = handle.rpc_addr().map(|a| format!("http://{a}")).unwrap_or_default();
        tracing::warn!(
            "deliveryd dev: the in-repo conductor stands in for CometBFT (development only, no p2p, \
             no BFT); for a network run `deliveryd start` under a real CometBFT v0.38"
        );
        tracing::info!(%chain_id, %rpc, home = %home.root().display(), "dev chain running; Ctrl-C stops it");
        eprintln!(
            "\nDelivery dev chain {chain_id} is running.\n  RPC:   {rpc}\n  home:  {}\n  try:   deliveryd --home {} query balance $(deliveryd --home {} keys show validator --address)\n",
            home.root().display(),
            home.root().display(),
            home.root().display()
        );
        crate::start::shutdown_signal().await;
        tracing::info!("stopping");
        handle.shutdown().await;
        server_token.cancel();
        let _ = server_task.await;
        anyhow::Ok(())
    })
}
