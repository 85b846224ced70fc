//! `deliveryd start`: serve the app to CometBFT over the ABCI socket; with `[engine] url` set,
//! validate and follow BTTC blocks with that engine (JSON-RPC + JWT), catch it up from
//! Delivery's blocks when it is behind, and (with `produce = true`) seal BTTC blocks when this
//! node's signer is scheduled, broadcasting them to CometBFT's RPC (`[client] rpc_url`); with
//! `[bridge] enabled = true` or `--bridge`, run the bridge (`crate::bridge`): vote on side
//! transactions with this node's root-chain RPCs and relay root-chain events.

use std::sync::Arc;

use anyhow::Context as _;
use delivery_abci::server::Server;
use delivery_abci::CancellationToken;
use delivery_app::side::{NoRootChain, SideTxVerifier};
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
    /// The keyring holding the signer key that seals BTTC blocks.
    #[command(flatten)]
    pub keyring: crate::keyring::KeyringArgs,
    /// Run the bridge (app.toml `[bridge]`) even if `bridge.enabled` is false.
    #[arg(long)]
    pub bridge: bool,
    /// Serve the REST API (app.toml `[rest]`) even if `rest.enabled` is false: on ADDR, or
    /// without a value on app.toml's `rest.address` (default 127.0.0.1:1317).
    #[arg(long, value_name = "ADDR", num_args = 0..=1)]
    pub rest: Option<Option<std::net::SocketAddr>>,
}

/// Opens the store and the app in `home`.
pub fn open_app(
    home: &Home,
    config: &AppConfig,
    release: &crate::Release,
) -> anyhow::Result<DeliveryApp> {
    open_app_with(open_storage(home, config)?, Arc::new(NoRootChain), release)
}

/// Opens the app store in `home`.
pub fn open_storage(home: &Home, config: &AppConfig) -> anyhow::Result<Storage> {
    let db = home.application_db_dir();
    Storage::open(
        &db,
        StorageConfig {
            keep_recent: config.store.pruning_keep_recent,
        },
    )
    .with_context(|| format!("opening the app store at {}", db.display()))
}

/// The app over `storage`, voting with `verifier`, running `release`'s upgrade plans.
pub fn open_app_with(
    storage: Storage,
    verifier: Arc<dyn SideTxVerifier>,
    release: &crate::Release,
) -> anyhow::Result<DeliveryApp> {
    DeliveryApp::new(storage, verifier)
        .map(|app| app.with_known_upgrades(release.upgrades().to_vec()))
        .map_err(|e| anyhow::anyhow!("{e}"))
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
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let storage = open_storage(home, &config)?;
    let bridge_on = args.bridge || config.bridge.enabled;
    let (verifier, bridge): (Arc<dyn SideTxVerifier>, _) = if bridge_on {
        let service = crate::bridge::BridgeService::new(
            &config.bridge,
            Arc::new(storage.clone()),
            runtime.handle().clone(),
        )?;
        if config.bridge.root_chain.is_empty() {
            tracing::warn!(
                "the bridge is on but app.toml has no [[bridge.root_chain]]: this node votes \
                 UNKNOWN on every root-chain claim and relays nothing"
            );
        }
        runtime
            .block_on(service.check_chain_ids())
            .context("checking the bridge's root-chain RPCs")?;
        (service.verifier(), Some(service))
    } else {
        (Arc::new(NoRootChain), None)
    };
    // A plan this binary does not know halts it; the plan is also written where an upgrade
    // supervisor (Cosmovisor's layout) looks for it.
    let mut app = open_app_with(storage, verifier, &globals.release)?
        .with_upgrade_info_file(home.data_dir().join("upgrade-info.json"));
    let engine: Option<Arc<dyn bttc_engine_api::Engine>> = if config.engine.url.is_empty() {
        tracing::warn!(
            "no [engine] url in app.toml: this node cannot validate BTTC blocks and will reject \
             proposals that carry one"
        );
        None
    } else {
        let path = home.resolve_path(&config.engine.jwt_secret);
        let secret = bttc_engine_authrpc::JwtSecret::load_or_create(&path)
            .with_context(|| format!("loading the engine API secret {}", path.display()))?;
        let client = bttc_engine_authrpc::AuthRpcClient::connect(&config.engine.url, secret)
            .with_context(|| format!("engine.url {}", config.engine.url))?;
        Some(Arc::new(client))
    };
    if let Some(engine) = &engine {
        app = app.with_engine(Arc::clone(engine));
    }
    let produce = engine.is_some() && config.engine.produce;
    let signer_key = if produce || bridge.is_some() {
        Some(
            crate::keyring::load_signer(
                home,
                crate::init::SIGNER_KEY_NAME,
                &args.keyring.backend(home)?,
            )
            .context(
                "loading the signer key that seals BTTC blocks ([engine] produce = true) and \
                 signs the bridge's claims",
            )?,
        )
    } else {
        None
    };
    // The signer key also signs the checkpoints in this validator's vote extensions. A node
    // that neither produces nor runs the bridge signs with it if its keyring has it.
    let signer_key = match signer_key {
        Some(key) => Some(key),
        None => match crate::keyring::load_signer(
            home,
            crate::init::SIGNER_KEY_NAME,
            &args.keyring.backend(home)?,
        ) {
            Ok(key) => Some(key),
            Err(e) => {
                tracing::warn!("no signer key ({e:#}): this node signs no checkpoints");
                None
            }
        },
    };
    if let Some(key) = &signer_key {
        app = app.with_signer_key(key.clone());
    }
    let producer_key = if produce { signer_key.clone() } else { None };
    let bridge = match (bridge, signer_key) {
        (Some(service), Some(key)) => {
            let consensus = crate::home::read_ed25519_key_file(&home.priv_validator_key_json())
                .context("reading the consensus key the bridge's validator join carries")?;
            let comet = crate::bridge::comet::CometRpc::new(
                &config.client.rpc_url,
                std::time::Duration::from_secs(10),
            )
            .map_err(|e| anyhow::anyhow!("client.rpc_url: {e}"))?;
            Some((service, key, consensus.verifying_key().to_bytes(), comet))
        }
        _ => None,
    };
    let app = Arc::new(app);
    let rest_address = match args.rest {
        Some(Some(address)) => Some(address),
        Some(None) => Some(config.rest.socket_addr()?),
        None if config.rest.enabled => Some(config.rest.socket_addr()?),
        None => None,
    };
    let (height, hash) = app
        .storage()
        .latest()
        .map(|(h, r)| (h, hex::encode_upper(r)))
        .unwrap_or((0, String::new()));
    let data_dir = home.data_dir();
    runtime.block_on(async move {
        let server = Server::<DeliveryApp>::bind(&address, Arc::clone(&app)).await.with_context(|| format!("listening on {address}"))?;
        tracing::info!(%address, height, app_hash = %hash, "deliveryd is serving ABCI; start CometBFT with proxy_app = {address}");
        let token = CancellationToken::new();
        let rest = match rest_address {
            Some(address) => Some(crate::rest::spawn(address, app.storage().clone(), token.clone()).await?),
            None => None,
        };
        let stopper = token.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            stopper.cancel();
        });
        let bridge_tasks = match bridge {
            Some((service, key, consensus, comet)) => service.spawn(
                &tokio::runtime::Handle::current(),
                comet,
                key,
                consensus,
                data_dir,
                token.clone(),
            ),
            None => Vec::new(),
        };
        let producer = match engine {
            Some(engine) => {
                let rpc = config.client.rpc_url.clone();
                match &producer_key {
                    Some(key) => tracing::info!(signer = %key.address(), %rpc, "following the engine; producing BTTC blocks when scheduled"),
                    None => tracing::info!(%rpc, "following the engine; not producing ([engine] produce = false)"),
                }
                Some(tokio::spawn(crate::bttc::run_producer(
                    Arc::clone(&app),
                    engine,
                    producer_key,
                    crate::bttc::submit_via_rpc(rpc.clone()),
                    crate::bttc::fetch_via_rpc(rpc),
                    token.clone(),
                )))
            }
            None => None,
        };
        server.run(token).await.context("ABCI server")?;
        if let Some(rest) = rest {
            let _ = rest.await;
        }
        if let Some(p) = producer {
            let _ = p.await;
        }
        for task in bridge_tasks {
            let _ = task.await;
        }
        anyhow::Ok(())
    })
}
