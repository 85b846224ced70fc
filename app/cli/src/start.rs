//! `deliveryd start`: serve the app to CometBFT over the ABCI socket.

use std::sync::Arc;

use anyhow::Context as _;
use delivery_abci::server::Server;
use delivery_abci::CancellationToken;
use delivery_app::side::NoRootChain;
use delivery_app::DeliveryApp;
use delivery_store::{Storage, StorageConfig};

use crate::config::AppConfig;
use crate::home::Home;

/// `start` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct StartArgs {
    /// Listen here instead of app.toml's `abci.listen_address` (`tcp://host:port` or `unix://path`).
    #[arg(long)]
    pub abci_address: Option<String>,
}

/// Opens the store and the app in `home`.
pub fn open_app(home: &Home, config: &AppConfig) -> anyhow::Result<DeliveryApp> {
    let db = home.application_db_dir();
    let storage = Storage::open(
        &db,
        StorageConfig {
            keep_recent: config.store.pruning_keep_recent,
        },
    )
    .with_context(|| format!("opening the app store at {}", db.display()))?;
    let app =
        DeliveryApp::new(storage, Arc::new(NoRootChain)).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(app)
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Runs `start`.
pub fn run(args: StartArgs, globals: &crate::Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let home = &home;
    let config = AppConfig::load(&home.app_toml()).with_context(|| {
        format!(
            "reading {} (run `deliveryd init` first)",
            home.app_toml().display()
        )
    })?;
    let address = args
        .abci_address
        .unwrap_or_else(|| config.abci.listen_address.clone());
    let app = open_app(home, &config)?;
    let (height, hash) = app
        .storage()
        .latest()
        .map(|(h, r)| (h, hex::encode_upper(r)))
        .unwrap_or((0, String::new()));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(&address, app).await.with_context(|| format!("listening on {address}"))?;
        tracing::info!(%address, height, app_hash = %hash, "deliveryd is serving ABCI; start CometBFT with proxy_app = {address}");
        let token = CancellationToken::new();
        let stopper = token.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            stopper.cancel();
        });
        server.run(token).await.context("ABCI server")?;
        anyhow::Ok(())
    })
}
