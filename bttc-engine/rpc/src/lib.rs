//! The user-facing Ethereum JSON-RPC of bttc-engine: HTTP and WebSocket on one port
//! (127.0.0.1:8545 by default), for MetaMask, ethers, web3.py, Hardhat and Foundry.
//!
//! - **Server**: jsonrpsee 0.26 (`server`): one listener serves HTTP POST and WebSocket upgrades,
//!   batches, and the `eth_subscribe` pub/sub with geth's `eth_subscription` notifications.
//!   Every method that touches the engine runs on tokio's blocking pool (the engine is a
//!   `Mutex` over RocksDB and revm). CORS is permissive (local dev from a browser).
//! - **Types**: responses are alloy's `alloy-rpc-types-eth` types, which serialize with geth's
//!   field names (receipts with `type`, `effectiveGasPrice`, `logsBloom`, `contractAddress`;
//!   blocks with `baseFeePerGas`, `mixHash`, `nonce`; transactions with `v`, `r`, `s`,
//!   `yParity`, `chainId`, `accessList`). Quantities are hex without leading zeros.
//! - **Reads** go through the engine's query API (`bttc_engine_executor::query`): blocks, txs,
//!   receipts and logs of canonical blocks; state for the head only (an older block fails with
//!   "historical state for block N is not available (state is kept for the head only)").
//! - **State-sync logs** (system calls) appear under one synthetic receipt per block, the same
//!   in `eth_getLogs`, `eth_getBlockReceipts`, `eth_getTransactionReceipt` and `logs`
//!   subscriptions: see `docs/rpc.md`.
//! - **`eth_sendRawTransaction`** validates with the engine's `check_tx` (precise geth-style
//!   errors) and then, per [`TxSink`], keeps the transaction in the local pool or relays it to
//!   CometBFT's `broadcast_tx_sync`, where Delivery's CheckTx admits it to the mempool.
//!
//! Filters (`eth_newFilter` …) are polled from the engine's store and expire after
//! [`RpcConfig::filter_timeout`] without a poll.

#![allow(clippy::disallowed_methods)] // a server: tokio's timers and Instant, not consensus code

mod convert;
pub mod error;
mod eth;
mod filters;
mod params;
mod pubsub;
mod relay;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bttc_engine_api::EngineError;
use bttc_engine_executor::{InProcessEngine, NewHead};
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::RpcModule;
use tokio::sync::broadcast;
use tower_http::cors::CorsLayer;

/// Where `eth_sendRawTransaction` sends a transaction once the engine's `check_tx` accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxSink {
    /// Only the engine's pool (`check_tx` added it): a single node or the embedded mode.
    LocalPool,
    /// Also CometBFT's JSON-RPC `broadcast_tx_sync` (params `{"tx": <base64>}`), so the
    /// transaction reaches every validator through the mempool. A CheckTx refusal (non-zero
    /// code) becomes a -32000 error with its log.
    Relay {
        /// CometBFT RPC address, e.g. `http://127.0.0.1:26657`.
        url: String,
    },
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Listen address (HTTP and WebSocket).
    pub listen: SocketAddr,
    /// Where accepted raw transactions go.
    pub sink: TxSink,
    /// Most blocks one `eth_getLogs` / `eth_getFilterLogs` may cover.
    pub max_logs_block_range: u64,
    /// Most logs one log query may return.
    pub max_logs_per_query: usize,
    /// A filter not polled for this long is removed.
    pub filter_timeout: Duration,
    /// Most installed filters.
    pub max_filters: usize,
    /// Tip suggested by `eth_maxPriorityFeePerGas` and added to the base fee by `eth_gasPrice`.
    pub suggested_priority_fee: u128,
    /// Most blocks one `eth_feeHistory` covers (geth: 1024).
    pub max_fee_history_blocks: u64,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// Largest request body, in bytes.
    pub max_request_body_size: u32,
    /// Largest response body, in bytes.
    pub max_response_body_size: u32,
    /// Most calls in one batch.
    pub max_batch_len: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8545)),
            sink: TxSink::LocalPool,
            max_logs_block_range: 10_000,
            max_logs_per_query: 20_000,
            filter_timeout: Duration::from_secs(300),
            max_filters: 10_000,
            suggested_priority_fee: 1_000_000_000,
            max_fee_history_blocks: 1024,
            max_connections: 1_000,
            max_request_body_size: 10 * 1024 * 1024,
            max_response_body_size: 64 * 1024 * 1024,
            max_batch_len: 1_000,
        }
    }
}

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcStartError {
    /// The listen address is unusable.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The chain id given differs from the engine's.
    #[error("chain id {given} differs from the engine's chain id {engine}")]
    ChainIdMismatch {
        /// Given to `start`.
        given: u64,
        /// The engine's spec.
        engine: u64,
    },
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A method could not be registered (a bug).
    #[error("registering RPC methods: {0}")]
    Register(String),
}

/// Shared state of the methods.
pub(crate) struct Ctx {
    pub(crate) engine: Arc<InProcessEngine>,
    pub(crate) config: RpcConfig,
    pub(crate) chain_id: u64,
    pub(crate) filters: Mutex<filters::Filters>,
    pub(crate) heads: broadcast::Sender<NewHead>,
    pub(crate) http: reqwest::Client,
}

/// A running server.
#[derive(Debug)]
pub struct RpcHandle {
    local_addr: SocketAddr,
    server: ServerHandle,
    janitor: tokio::task::JoinHandle<()>,
}

impl RpcHandle {
    /// The address the server listens on (useful with port 0).
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server (open connections are closed) and its background task.
    pub fn stop(&self) {
        self.janitor.abort();
        // Err means it already stopped.
        let _ = self.server.stop();
    }

    /// Waits until the server has stopped.
    pub async fn stopped(self) {
        self.server.stopped().await;
    }
}

/// Starts the server over `engine` (whose chain id must be `chain_id`).
pub async fn start(
    engine: Arc<InProcessEngine>,
    chain_id: u64,
    config: RpcConfig,
) -> Result<RpcHandle, RpcStartError> {
    let engine_chain = engine.chain_id()?;
    if engine_chain != chain_id {
        return Err(RpcStartError::ChainIdMismatch {
            given: chain_id,
            engine: engine_chain,
        });
    }
    let (heads, _) = broadcast::channel(256);
    let sender = heads.clone();
    engine.on_new_head(Box::new(move |h| {
        // No receiver (no subscription open) is fine.
        let _ = sender.send(*h);
    }))?;
    let server_config = ServerConfig::builder()
        .max_connections(config.max_connections)
        .max_request_body_size(config.max_request_body_size)
        .max_response_body_size(config.max_response_body_size)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .set_id_provider(filters::HexIdProvider::new())
        .build();
    let listen = config.listen;
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(CorsLayer::permissive()))
        .build(listen)
        .await
        .map_err(|source| RpcStartError::Bind {
            addr: listen,
            source,
        })?;
    let local_addr = server.local_addr().map_err(|source| RpcStartError::Bind {
        addr: listen,
        source,
    })?;
    let ctx = Arc::new(Ctx {
        engine,
        filters: Mutex::new(filters::Filters::new(config.max_filters)),
        config,
        chain_id,
        heads,
        http: reqwest::Client::new(),
    });
    let janitor = tokio::spawn(filters::expire_loop(Arc::clone(&ctx)));
    let mut module = RpcModule::from_arc(ctx);
    eth::register(&mut module).map_err(|e| RpcStartError::Register(e.to_string()))?;
    pubsub::register(&mut module).map_err(|e| RpcStartError::Register(e.to_string()))?;
    let server = server.start(module);
    tracing::info!(%local_addr, "eth JSON-RPC listening (HTTP and WebSocket)");
    Ok(RpcHandle {
        local_addr,
        server,
        janitor,
    })
}
