//! deliveryd's side of the BTTC chain, outside consensus:
//!
//! - the **producer loop**: after each Commit, if this node's signer may seal the next BTTC
//!   block, have the engine build it, seal it and broadcast the payload tx into CometBFT's
//!   mempool;
//! - **catch-up**: when the engine is behind Delivery's record of the BTTC chain (a restart
//!   between Commit and the forkchoice update, wiped engine data), replay the payloads from
//!   Delivery's own blocks (CometBFT RPC `block`) into it: the engine needs no network;
//! - the dev chain's in-process engine and the app-genesis sections that name it.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bttc_engine_api::{Engine, ForkchoiceState, PayloadStatus};
use delivery_abci::CancellationToken;
use delivery_app::chain::{self, TxKind};
use delivery_app::producer::build_payload_tx;
use delivery_app::DeliveryApp;
use delivery_module::crypto::{Address, SecretKey};

use crate::rpc::RpcClient;

/// Chain id of the dev chain's BTTC side.
pub const DEV_EVM_CHAIN_ID: u64 = 1337;

/// How the producer loop hands a payload tx to CometBFT's mempool; returns the CheckTx
/// `(code, log)`.
pub type Submit = Arc<
    dyn Fn(Vec<u8>) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<(u32, String)>> + Send>>
        + Send
        + Sync,
>;

/// A [`Submit`] that calls CometBFT's `broadcast_tx_sync` at `rpc_url`.
pub fn submit_via_rpc(rpc_url: String) -> Submit {
    Arc::new(move |tx: Vec<u8>| {
        let url = rpc_url.clone();
        Box::pin(async move {
            let res =
                tokio::task::spawn_blocking(move || RpcClient::new(&url)?.broadcast_tx_sync(&tx))
                    .await
                    .context("broadcast task")??;
            let code = res
                .get("code")
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(0);
            let log = res
                .get("log")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned();
            Ok((code, log))
        })
    })
}

/// Fetches the txs of Delivery block `height` (for catch-up).
pub type FetchBlockTxs = Arc<dyn Fn(u64) -> anyhow::Result<Vec<Vec<u8>>> + Send + Sync>;

/// A [`FetchBlockTxs`] over CometBFT's RPC `block`.
pub fn fetch_via_rpc(rpc_url: String) -> FetchBlockTxs {
    use base64::Engine as _;
    Arc::new(move |height| {
        let block = RpcClient::new(&rpc_url)?.block(Some(height))?;
        let txs = block
            .pointer("/block/data/txs")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        txs.iter()
            .map(|t| {
                let s = t.as_str().context("a tx is not a string")?;
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .context("a tx is not base64")
            })
            .collect()
    })
}

/// Brings the engine up to Delivery's BTTC head by replaying the payloads Delivery finalized.
/// Returns how many blocks were replayed.
pub fn catch_up(
    app: &DeliveryApp,
    engine: &dyn Engine,
    fetch: &FetchBlockTxs,
) -> anyhow::Result<u64> {
    let state = app.storage().latest_snapshot();
    let Some(delivery_head) = chain::head(&state)? else {
        return Ok(0);
    };
    let engine_head = engine.head()?;
    if engine_head.number >= delivery_head.number {
        if let Some(rec) = chain::block(&state, engine_head.number)? {
            if rec.hash != engine_head.hash {
                bail!(
                    "the engine's block {} is {}, but Delivery finalized {}: the engine's data \
                     belongs to another chain; wipe it and let it replay",
                    engine_head.number,
                    engine_head.hash,
                    rec.hash
                );
            }
        }
        return Ok(0);
    }
    let mut replayed = 0u64;
    for number in engine_head.number.saturating_add(1)..=delivery_head.number {
        let rec = chain::block(&state, number)?
            .with_context(|| format!("Delivery has no record of BTTC block {number}"))?;
        let txs = fetch(rec.delivery_height).with_context(|| {
            format!(
                "fetching Delivery block {} (BTTC block {number})",
                rec.delivery_height
            )
        })?;
        let payload = txs
            .iter()
            .filter(|t| chain::classify(t) == TxKind::Payload)
            .filter_map(|t| chain::decode_payload_tx(t).ok())
            .find(|p| p.block_hash == rec.hash)
            .with_context(|| {
                format!(
                    "Delivery block {} does not carry BTTC block {number} ({})",
                    rec.delivery_height, rec.hash
                )
            })?;
        match engine.new_payload(payload)? {
            PayloadStatus::Valid { .. } => {}
            other => bail!("the engine refused finalized BTTC block {number}: {other:?}"),
        }
        let fcu = engine.forkchoice_updated(ForkchoiceState::finalized(rec.hash), None)?;
        if !fcu.payload_status.is_valid() {
            bail!(
                "the engine refused finalized BTTC block {number} as head: {:?}",
                fcu.payload_status
            );
        }
        replayed = replayed.saturating_add(1);
        if replayed.is_multiple_of(100) {
            tracing::info!(number, target = delivery_head.number, "engine catching up");
        }
    }
    tracing::info!(
        replayed,
        head = delivery_head.number,
        "engine caught up with Delivery"
    );
    Ok(replayed)
}

/// The follower and producer loop (see the module docs). After every new Delivery height:
/// bring the engine up to Delivery's BTTC head if it is behind (a wiped or restarted engine),
/// then, with a `key`, seal and broadcast the next BTTC block when that signer is eligible.
/// Runs until `stop`.
pub async fn run_producer(
    app: Arc<DeliveryApp>,
    engine: Arc<dyn Engine>,
    key: Option<SecretKey>,
    submit: Submit,
    fetch: FetchBlockTxs,
    stop: CancellationToken,
) {
    let key = key.map(Arc::new);
    let mut last_height = None;
    let mut submitted = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        let height = app.storage().latest().map(|(h, _)| h);
        if height.is_none() || height == last_height {
            continue;
        }
        last_height = height;
        {
            let (app, engine, fetch) = (Arc::clone(&app), Arc::clone(&engine), Arc::clone(&fetch));
            match tokio::task::spawn_blocking(move || catch_up(&app, engine.as_ref(), &fetch)).await
            {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!("engine catch-up failed (retrying next block): {e:#}");
                    continue;
                }
                Err(e) => {
                    tracing::error!("engine catch-up task failed: {e}");
                    continue;
                }
            }
        }
        let Some(key) = &key else { continue };
        let signer: Address = key.address();
        let duty = {
            let app = Arc::clone(&app);
            match tokio::task::spawn_blocking(move || app.producer_duty(&signer)).await {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    tracing::error!("reading the producer schedule: {e}");
                    continue;
                }
                Err(e) => {
                    tracing::error!("producer task failed: {e}");
                    continue;
                }
            }
        };
        let Some(duty) = duty else { continue };
        // A payload already in the mempool stays good while the height, the parent and the
        // state-sync records due are the same; a record applied meanwhile makes it stale
        // (validators reject a payload whose records are not exactly the due ones).
        let id = (
            duty.number,
            duty.parent.hash,
            duty.state_sync_records.last().map(|r| r.id),
        );
        if submitted == Some(id) {
            continue; // already in the mempool, waiting for a proposer
        }
        let built = {
            let (engine, key, duty) = (Arc::clone(&engine), Arc::clone(key), duty.clone());
            tokio::task::spawn_blocking(move || build_payload_tx(engine.as_ref(), &key, &duty))
                .await
        };
        let tx = match built {
            Ok(Ok(tx)) => tx,
            Ok(Err(e)) => {
                tracing::warn!(bttc_block = duty.number, "cannot build: {e}");
                continue;
            }
            Err(e) => {
                tracing::error!("build task failed: {e}");
                continue;
            }
        };
        match submit(tx).await {
            Ok((0, _)) => {
                tracing::info!(
                    bttc_block = duty.number,
                    delivery_height = duty.delivery_height,
                    "sealed and broadcast"
                );
                submitted = Some(id);
            }
            Ok((code, log)) => {
                tracing::warn!(
                    bttc_block = duty.number,
                    code,
                    "the mempool refused our payload: {log}"
                )
            }
            Err(e) => tracing::warn!(bttc_block = duty.number, "broadcast failed: {e:#}"),
        }
    }
}

/// Opens the dev chain's in-process engine in `datadir`, creating its genesis (system
/// contracts, `funded` accounts) on first use.
pub fn open_dev_engine(
    datadir: &Path,
    funded: &[(Address, u128)],
) -> anyhow::Result<Arc<bttc_engine_executor::InProcessEngine>> {
    let genesis_path = datadir.join("genesis.json");
    if !genesis_path.exists() {
        std::fs::create_dir_all(datadir)
            .with_context(|| format!("creating {}", datadir.display()))?;
        let funded: Vec<_> = funded
            .iter()
            .map(|(a, v)| {
                (
                    alloy_primitives::Address::from(a.0),
                    alloy_primitives::U256::from(*v),
                )
            })
            .collect();
        let genesis = bttc_engine_contracts::dev_genesis_json(DEV_EVM_CHAIN_ID, &funded)
            .context("building the BTTC dev genesis")?;
        std::fs::write(&genesis_path, serde_json::to_vec_pretty(&genesis)?)
            .with_context(|| format!("writing {}", genesis_path.display()))?;
    }
    let spec = bttc_engine_chainspec::ChainSpec::from_file(&genesis_path)
        .with_context(|| format!("reading {}", genesis_path.display()))?;
    let engine = bttc_engine_executor::InProcessEngine::open(&datadir.join("chaindata"), spec)
        .with_context(|| format!("opening the engine in {}", datadir.display()))?;
    Ok(Arc::new(engine))
}

/// The genesis block of the BTTC genesis file at `path`, computed by opening a throwaway engine
/// in `scratch` (removed afterwards).
pub fn genesis_block_of(path: &Path, scratch: &Path) -> anyhow::Result<bttc_engine_api::BlockRef> {
    let spec = bttc_engine_chainspec::ChainSpec::from_file(path)
        .with_context(|| format!("{} is not a valid BTTC genesis", path.display()))?;
    if scratch.exists() {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("removing {}", scratch.display()))?;
    }
    let head = {
        let engine = bttc_engine_executor::InProcessEngine::open(scratch, spec)
            .context("computing the BTTC genesis block")?;
        engine.head()?
    };
    std::fs::remove_dir_all(scratch).with_context(|| format!("removing {}", scratch.display()))?;
    Ok(head)
}

/// The app-genesis `span` and `bttc` sections for a chain whose BTTC genesis block is
/// `genesis` and whose producers are `validators` (id, signer, power).
pub fn genesis_sections(
    genesis: &bttc_engine_api::BlockRef,
    validators: &[(u64, Address, u64)],
    params: &delivery_span::Params,
) -> anyhow::Result<(serde_json::Value, serde_json::Value)> {
    let span = serde_json::json!({
        "params": serde_json::to_value(params)?,
        "validators": validators
            .iter()
            .map(|(id, signer, power)| serde_json::json!({"id": id, "signer": signer.to_string(), "power": power}))
            .collect::<Vec<_>>(),
    });
    let bttc = serde_json::json!({"genesis": {
        "genesis_hash": genesis.hash,
        "genesis_state_root": genesis.state_root,
        "genesis_timestamp": genesis.timestamp,
    }});
    Ok((span, bttc))
}
