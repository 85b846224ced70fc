//! `deliveryd dev`: a single-validator network in one process, with no external programs. The
//! app serves ABCI on a unix socket in the home; the in-repo conductor plays CometBFT's part
//! (call order, vote extensions, mempool, RPC on :26657), so the CLI and any CometBFT RPC client
//! work against it unchanged. An in-process BTTC engine (data in `<home>/data/bttc`) makes one
//! BTTC block per Delivery block, sealed by the validator's signer key, and serves the Ethereum
//! JSON-RPC on :8545 (MetaMask, Hardhat, ethers); `eth_sendRawTransaction` goes through the
//! conductor's mempool and the app's CheckTx, as on a network. It is a development tool: for a
//! network, run `deliveryd start` under a real CometBFT v0.38.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use delivery_abci::server::Server;
use delivery_abci::CancellationToken;
use delivery_conductor::{Conductor, ConductorConfig, Genesis, ValidatorNode};

use crate::bttc;
use crate::config::{self, AppConfig};
use crate::home::Home;
use crate::keyring::Backend;
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
    /// Where the BTTC Ethereum JSON-RPC (HTTP and WebSocket) listens.
    #[arg(long, default_value = "127.0.0.1:8545")]
    evm_rpc: SocketAddr,
    /// Serve the REST API: on ADDR, or without a value on app.toml's `rest.address` (default
    /// 127.0.0.1:1317); app.toml `[rest] enabled = true` turns it on too.
    #[arg(long, value_name = "ADDR", num_args = 0..=1)]
    rest: Option<Option<SocketAddr>>,
}

/// One million BTT on the BTTC side for the dev signer.
const DEV_EVM_BALANCE: u128 = 1_000_000_000_000_000_000_000_000;

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
        // Name the BTTC genesis and the validator's signer as the only producer.
        let signer =
            crate::keyring::load_signer(&home, crate::init::SIGNER_KEY_NAME, &Backend::Test)?;
        let engine = bttc::open_dev_engine(
            &home.data_dir().join("bttc"),
            &[(signer.address(), DEV_EVM_BALANCE)],
        )?;
        let head = bttc_engine_api::Engine::head(engine.as_ref())?;
        drop(engine);
        let (span, bttc_section) = bttc::genesis_sections(
            &head,
            &[(1, signer.address(), config::GENESIS_POWER)],
            &delivery_span::Params::default(),
        )?;
        let path = home.genesis_json();
        let mut genesis: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        let app_state = genesis
            .get_mut("app_state")
            .and_then(serde_json::Value::as_object_mut)
            .context("genesis.json has no app_state object")?;
        app_state.insert("span".into(), span);
        app_state.insert("bttc".into(), bttc_section);
        // Governance a developer can exercise: a 1 BTT deposit, 20-block periods.
        app_state.insert(
            "gov".into(),
            serde_json::json!({ "params": delivery_gov::Params::localnet() }),
        );
        std::fs::write(&path, serde_json::to_vec_pretty(&genesis)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let config = AppConfig::load(&home.app_toml())?;
    let signer = crate::keyring::load_signer(&home, crate::init::SIGNER_KEY_NAME, &Backend::Test)
        .context("loading the dev signer key (test keyring)")?;
    let engine = bttc::open_dev_engine(
        &home.data_dir().join("bttc"),
        &[(signer.address(), DEV_EVM_BALANCE)],
    )?;
    let dyn_engine: Arc<dyn bttc_engine_api::Engine> = engine.clone();
    let app = Arc::new(
        crate::start::open_app(&home, &config, &globals.release)?
            .with_engine(Arc::clone(&dyn_engine)),
    );
    let genesis = Genesis::load(&home.genesis_json()).context("reading genesis.json")?;
    let key = delivery_conductor::load_priv_validator_key(&home.priv_validator_key_json())
        .context("reading priv_validator_key.json")?;
    let socket = home.data_dir().join("abci.sock");
    let abci_addr = format!("unix://{}", socket.display());
    let chain_id = genesis.chain_id.clone();

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::<delivery_app::DeliveryApp>::bind(&abci_addr, Arc::clone(&app)).await.with_context(|| format!("listening on {abci_addr}"))?;
        let server_token = CancellationToken::new();
        let server_task = tokio::spawn(server.run(server_token.clone()));

        let mut conductor = ConductorConfig::new(
            genesis,
            vec![ValidatorNode { name: "dev".into(), abci_addr: abci_addr.clone(), key }],
        );
        conductor.block_interval = config::timeout_commit_for(args.block_time);
        conductor.rpc_listen = Some(args.rpc);
        conductor.store_dir = Some(home.data_dir().join("conductor"));
        conductor.moniker = "deliveryd-dev".into();
        let handle = Conductor::start(conductor).await.context("starting the conductor")?;
        let rpc = handle.rpc_addr().map(|a| format!("http://{a}")).unwrap_or_default();
        let evm_rpc = bttc_engine_rpc::start(
            Arc::clone(&engine),
            bttc::DEV_EVM_CHAIN_ID,
            bttc_engine_rpc::RpcConfig {
                listen: args.evm_rpc,
                sink: bttc_engine_rpc::TxSink::Relay { url: rpc.clone() },
                ..bttc_engine_rpc::RpcConfig::default()
            },
        )
        .await
        .with_context(|| format!("starting the Ethereum JSON-RPC on {}", args.evm_rpc))?;
        let producer_token = CancellationToken::new();
        let rest_address = match args.rest {
            Some(Some(address)) => Some(address),
            Some(None) => Some(config.rest.socket_addr()?),
            None if config.rest.enabled => Some(config.rest.socket_addr()?),
            None => None,
        };
        let rest = match rest_address {
            Some(address) => Some(crate::rest::spawn(address, app.storage().clone(), producer_token.clone()).await?),
            None => None,
        };
        let producer = tokio::spawn(bttc::run_producer(
            Arc::clone(&app),
            dyn_engine,
            Some(signer),
            bttc::submit_via_rpc(rpc.clone()),
            bttc::fetch_via_rpc(rpc.clone()),
            producer_token.clone(),
        ));
        tracing::warn!(
            "deliveryd dev: the in-repo conductor stands in for CometBFT (development only, no p2p, \
             no BFT); for a network run `deliveryd start` under a real CometBFT v0.38"
        );
        tracing::info!(%chain_id, %rpc, home = %home.root().display(), "dev chain running; Ctrl-C stops it");
        eprintln!(
            "\nDelivery dev chain {chain_id} is running.\n  RPC:   {rpc}\n  BTTC:  http://{0} and ws://{0} (chain id {1}; the validator key is funded)\n  home:  {2}\n  try:   deliveryd --home {2} query balance $(deliveryd --home {2} keys show validator --address)\n",
            evm_rpc.local_addr(),
            bttc::DEV_EVM_CHAIN_ID,
            home.root().display(),
        );
        crate::start::shutdown_signal().await;
        tracing::info!("stopping");
        producer_token.cancel();
        let _ = producer.await;
        evm_rpc.stop();
        evm_rpc.stopped().await;
        if let Some(rest) = rest {
            let _ = rest.await;
        }
        handle.shutdown().await;
        server_token.cancel();
        let _ = server_task.await;
        anyhow::Ok(())
    })
}
