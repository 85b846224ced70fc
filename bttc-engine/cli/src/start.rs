//! `bttc start`: opens the engine in the data directory and serves the engine API (for
//! Delivery, JWT-authenticated) and the Ethereum JSON-RPC (for users) until SIGINT/SIGTERM.
//!
//! Every block is committed durably when Delivery's forkchoice update makes it the head, so
//! stopping (or a kill -9) loses nothing committed; a restart resumes at the last head.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use bttc_engine_api::Engine;
use bttc_engine_authrpc::{AuthRpcServer, JwtSecret, ServerConfig};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;
use bttc_engine_rpc::{RpcConfig, RpcHandle, TxSink};

use crate::datadir::DataDir;

/// `bttc start` flags.
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// Data directory made by `bttc init` [default: ~/.bttc].
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// Engine API listen address (JSON-RPC over HTTP, JWT HS256).
    #[arg(long, default_value = "127.0.0.1:8551")]
    pub authrpc_addr: SocketAddr,
    /// The engine API's JWT secret (64 hex chars) [default: <datadir>/jwt.hex, created if
    /// missing]. Delivery must be given the same file.
    #[arg(long, value_name = "FILE")]
    pub authrpc_jwtsecret: Option<PathBuf>,
    /// Ethereum JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub http_addr: SocketAddr,
    /// Relay transactions from eth_sendRawTransaction to this CometBFT RPC
    /// (broadcast_tx_sync), so they reach the producer through Delivery's mempool. Without it
    /// they only enter this engine's pool.
    #[arg(long, value_name = "URL")]
    pub relay_url: Option<String>,
}

/// Loads the JWT secret, creating a random one (0600) if the file does not exist.
pub fn ensure_jwt_secret(path: &Path) -> anyhow::Result<JwtSecret> {
    JwtSecret::load_or_create(path)
        .with_context(|| format!("loading the engine API JWT secret {}", path.display()))
}

/// Starts the Ethereum JSON-RPC over `engine`.
pub async fn serve_eth_rpc(
    engine: Arc<InProcessEngine>,
    listen: SocketAddr,
    relay_url: Option<String>,
) -> anyhow::Result<RpcHandle> {
    let chain_id = engine.chain_id().context("reading the engine's chain id")?;
    let config = RpcConfig {
        listen,
        sink: relay_url.map_or(TxSink::LocalPool, |url| TxSink::Relay { url }),
        ..RpcConfig::default()
    };
    bttc_engine_rpc::start(engine, chain_id, config)
        .await
        .with_context(|| format!("starting the Ethereum JSON-RPC on {listen}"))
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Runs `bttc start`.
pub fn run(args: StartArgs) -> anyhow::Result<()> {
    let dir = DataDir::resolve(args.datadir.as_deref())?;
    if !dir.genesis().exists() {
        anyhow::bail!(
            "{} is not initialised: run `bttc init --genesis FILE --datadir {}` first",
            dir.root().display(),
            dir.root().display()
        );
    }
    let spec = ChainSpec::from_file(&dir.genesis())
        .with_context(|| format!("reading {}", dir.genesis().display()))?;
    let chain_id = spec.chain_id;
    let engine = Arc::new(
        InProcessEngine::open(&dir.chaindata(), spec)
            .with_context(|| format!("opening the engine in {}", dir.chaindata().display()))?,
    );
    let secret_path = args
        .authrpc_jwtsecret
        .clone()
        .unwrap_or_else(|| dir.jwt_secret());
    let secret = ensure_jwt_secret(&secret_path)?;
    let head = engine.head()?;
    tracing::info!(chain_id, number = head.number, hash = %head.hash, "engine opened");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let dyn_engine: Arc<dyn Engine> = engine.clone();
        let auth = AuthRpcServer::bind(
            args.authrpc_addr,
            dyn_engine,
            secret,
            ServerConfig::default(),
        )
        .await
        .with_context(|| format!("starting the engine API on {}", args.authrpc_addr))?
        .spawn();
        let rpc = serve_eth_rpc(engine, args.http_addr, args.relay_url).await?;
        println!(
            "engine API on {} (JWT secret {})",
            auth.url(),
            secret_path.display()
        );
        println!(
            "Ethereum JSON-RPC on http://{0} and ws://{0}",
            rpc.local_addr()
        );
        shutdown_signal().await;
        tracing::info!("shutting down");
        rpc.stop();
        rpc.stopped().await;
        auth.stop().await.context("stopping the engine API")?;
        Ok(())
    })
}
