//! The conductor: a **test and dev tool** that plays CometBFT v0.38's role for N ABCI apps over
//! real sockets, as CometMock does for Go apps. It is not a consensus engine: there is no p2p,
//! no real BFT voting and no evidence. It calls the ABCI methods in exactly CometBFT's order
//! (checked against recorded wire traces of CometBFT v0.38.25) and serves the subset of
//! CometBFT's JSON-RPC our CLI and tests use, with CometBFT's JSON shapes.
//!
//! What it does, per app ("node"):
//! - opens CometBFT's four connections (query, snapshot, mempool, consensus);
//! - handshakes like CometBFT: `Info`; `InitChain` when the app is at height 0; replay of the
//!   stored blocks the app lacks (`FinalizeBlock` + `Commit` only), checking app hashes;
//! - per height: proposer by CometBFT's weighted round-robin priorities ([`valset`]);
//!   `PrepareProposal` on the proposer (with its mempool and, once vote extensions are on, the
//!   extended commit of the previous height with real ed25519 extension signatures);
//!   `ProcessProposal` on every node, proposer included (more than 1/3 of the power rejecting
//!   fails the round; the next round has the next proposer); `ExtendVote` on each validator and
//!   `VerifyVoteExtension` of every other validator's extension (a rejected extension drops that
//!   precommit from that node's view); `FinalizeBlock` on all, app hashes compared (a node that
//!   disagrees with the majority is reported and marked diverged); `Commit` on all; mempool
//!   update and recheck;
//! - keeps blocks with CometBFT's header hashes in a [`store::BlockStore`] (optionally on disk,
//!   so a restarted `deliveryd dev` continues where it stopped);
//! - marks a node whose connection drops absent (production waits while more than 1/3 of the
//!   power is absent), keeps reconnecting, and handshakes it back in.
//!
//! See `docs/conductor.md` for the mapping to CometBFT and what is left out.

// A test/dev tool, not consensus code: the wall clock is its block time and missing optional
// protobuf fields default like Go's zero values.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub mod engine;
pub mod genesis;
pub mod hashing;
pub mod key;
pub mod node;
pub mod rpc;
mod serde_hex;
pub mod store;
pub mod valset;

pub use genesis::{Genesis, GenesisError, GenesisValidator};
pub use key::{load_priv_validator_key, parse_priv_validator_key, KeyError};
pub use node::NodeStatus;
pub use store::{BlockStore, ChainState, StoredBlock};
pub use tendermint_proto::v0_38::abci::ResponseCheckTx;

use ed25519_dalek::SigningKey;
use engine::{Driver, Shared};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// Everything that can go wrong running the conductor.
#[derive(Debug, thiserror::Error)]
pub enum ConductorError {
    /// The configuration cannot work.
    #[error("invalid conductor config: {0}")]
    Config(String),
    /// The block store.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// No node by that name.
    #[error("no node named {0:?}")]
    UnknownNode(String),
    /// The node is absent or diverged.
    #[error("node {0} is not live (absent or diverged)")]
    NodeDown(String),
    /// An ABCI call failed.
    #[error("ABCI call failed: {0}")]
    Abci(String),
    /// The mempool refused the tx before the app saw it.
    #[error("{0}")]
    TxRejected(String),
    /// A wait ran out.
    #[error("timed out after {timeout:?} waiting for height {height} (at {current})")]
    Timeout {
        /// Height waited for.
        height: u64,
        /// Height reached.
        current: u64,
        /// How long.
        timeout: Duration,
    },
    /// The RPC server could not start.
    #[error("cannot serve RPC on {addr}: {source}")]
    Rpc {
        /// Address.
        addr: SocketAddr,
        /// IO error.
        source: std::io::Error,
    },
    /// The chain cannot go on (invalid app output, storage failure).
    #[error("conductor halted: {0}")]
    Fatal(String),
    /// The conductor was shut down.
    #[error("the conductor is shut down")]
    Shutdown,
}

/// An app instance to drive, with the consensus key of the validator it plays.
#[derive(Debug, Clone)]
pub struct ValidatorNode {
    /// Name used in logs, [`ConductorHandle::app_hashes`] and [`ConductorHandle::broadcast_tx`].
    pub name: String,
    /// ABCI address: `tcp://127.0.0.1:26658` or `unix:///path/app.sock`.
    pub abci_addr: String,
    /// The validator's ed25519 consensus key (signs precommits and vote extensions). A node
    /// whose key is not in the validator set is a full node: it executes blocks but does not
    /// vote.
    pub key: SigningKey,
}

/// How to run the conductor.
#[derive(Debug, Clone)]
pub struct ConductorConfig {
    /// The chain's genesis (chain id, time, params, validators, app state).
    pub genesis: Genesis,
    /// The app instances.
    pub validators: Vec<ValidatorNode>,
    /// Pause after each commit (CometBFT's `timeout_commit`).
    pub block_interval: Duration,
    /// Where to serve CometBFT's JSON-RPC (`127.0.0.1:0` picks a port); `None`: no RPC.
    pub rpc_listen: Option<SocketAddr>,
    /// Index in `validators` of the node the RPC speaks for (its query and mempool
    /// connections, its commit view). Default 0.
    pub rpc_node: usize,
    /// More RPC endpoints, each speaking for one node, as each CometBFT node serves its own
    /// RPC: a tx broadcast there enters that node's mempool first, and queries go to its app.
    pub node_rpc_listen: Vec<(usize, SocketAddr)>,
    /// Directory of the persistent block store; `None`: in memory only.
    pub store_dir: Option<PathBuf>,
    /// How long one connection attempt to an app may take.
    pub connect_timeout: Duration,
    /// How long `broadcast_tx_commit` waits for the tx to be committed.
    pub broadcast_tx_commit_timeout: Duration,
    /// Node moniker reported by `status`.
    pub moniker: String,
}

impl ConductorConfig {
    /// A config with defaults: 1 s blocks, no RPC, in-memory store, RPC on node 0.
    pub fn new(genesis: Genesis, validators: Vec<ValidatorNode>) -> Self {
        ConductorConfig {
            genesis,
            validators,
            block_interval: Duration::from_secs(1),
            rpc_listen: None,
            rpc_node: 0,
            node_rpc_listen: Vec::new(),
            store_dir: None,
            connect_timeout: Duration::from_secs(10),
            broadcast_tx_commit_timeout: Duration::from_secs(10),
            moniker: "conductor".into(),
        }
    }

    /// The chain id (from genesis).
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }
}

/// Entry point.
#[derive(Debug)]
pub struct Conductor;

/// A running conductor.
#[derive(Debug)]
pub struct ConductorHandle {
    shared: Arc<Shared>,
    height_rx: watch::Receiver<i64>,
    rpc_addr: Option<SocketAddr>,
    driver: Option<JoinHandle<()>>,
    rpc: Option<JoinHandle<()>>,
    /// The per-node RPC endpoints' tasks.
    node_rpcs: Vec<JoinHandle<()>>,
}

impl Conductor {
    /// Open the store, connect to every app (an unreachable one starts absent and is retried),
    /// start the RPC server and the block driver.
    pub async fn start(config: ConductorConfig) -> Result<ConductorHandle, ConductorError> {
        if config.validators.is_empty() {
            return Err(ConductorError::Config(
                "no app instances (validators) given".into(),
            ));
        }
        if config.rpc_node >= config.validators.len() {
            return Err(ConductorError::Config(format!(
                "rpc_node {} is out of range: there are {} nodes",
                config.rpc_node,
                config.validators.len()
            )));
        }
        let mut names = std::collections::BTreeSet::new();
        for v in &config.validators {
            if !names.insert(v.name.clone()) {
                return Err(ConductorError::Config(format!(
                    "two nodes are named {:?}",
                    v.name
                )));
            }
        }
        let store = match &config.store_dir {
            Some(dir) => BlockStore::open(dir)?,
            None => BlockStore::in_memory(),
        };
        if let Some(st) = store.state() {
            if st.chain_id != config.genesis.chain_id {
                return Err(ConductorError::Config(format!(
                    "the store holds chain {:?} but genesis is for {:?}",
                    st.chain_id, config.genesis.chain_id
                )));
            }
        }
        let nodes = config
            .validators
            .iter()
            .map(|v| {
                Arc::new(node::Node::new(
                    v.name.clone(),
                    v.abci_addr.clone(),
                    v.key.clone(),
                ))
            })
            .collect();
        let (height_tx, height_rx) =
            watch::channel(store.state().map(|s| s.last_height).unwrap_or(0).max(0));
        let (committed, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            chain_id: config.genesis.chain_id.clone(),
            genesis: config.genesis.clone(),
            nodes,
            rpc_node: config.rpc_node,
            store: RwLock::new(store),
            height: height_tx,
            app_hashes: RwLock::new(BTreeMap::new()),
            committed,
            shutdown: delivery_abci::CancellationToken::new(),
            connect_timeout: config.connect_timeout,
        });
        for idx in 0..shared.nodes.len() {
            engine::spawn_gossip_worker(&shared, idx);
        }
        // First connection attempts, all at once.
        let mut attempts = Vec::new();
        for (idx, node) in shared.nodes.iter().enumerate() {
            let node = Arc::clone(node);
            let timeout = config.connect_timeout;
            attempts.push((
                idx,
                tokio::spawn(async move { node.connect(timeout).await }),
            ));
        }
        for (idx, task) in attempts {
            let ok = matches!(task.await, Ok(Ok(())));
            if let Some(node) = shared.nodes.get(idx) {
                if ok {
                    node.set_status(NodeStatus::Connected);
                } else {
                    tracing::warn!(node = %node.name, addr = %node.abci_addr, "app not reachable at start: absent, retrying");
                    shared.spawn_reconnect(idx);
                }
            }
        }
        let mut driver = Driver::new(Arc::clone(&shared), config.block_interval);
        driver.handshake_connected().await;
        let serve_rpc = |addr: SocketAddr, node: usize| {
            let shared = Arc::clone(&shared);
            let moniker = config.moniker.clone();
            let commit_timeout = config.broadcast_tx_commit_timeout;
            async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| ConductorError::Rpc { addr, source })?;
                let local = listener
                    .local_addr()
                    .map_err(|source| ConductorError::Rpc { addr, source })?;
                let task = rpc::serve(
                    listener,
                    rpc::RpcContext {
                        shared,
                        moniker,
                        listen: local,
                        commit_timeout,
                        node,
                    },
                );
                Ok::<_, ConductorError>((local, task))
            }
        };
        let (rpc_addr, rpc) = match config.rpc_listen {
            Some(addr) => {
                let (local, task) = serve_rpc(addr, config.rpc_node).await?;
                (Some(local), Some(task))
            }
            None => (None, None),
        };
        let mut node_rpcs = Vec::with_capacity(config.node_rpc_listen.len());
        for (node, addr) in &config.node_rpc_listen {
            if *node >= shared.nodes.len() {
                return Err(ConductorError::Config(format!(
                    "node_rpc_listen names node {node}, but there are {} nodes",
                    shared.nodes.len()
                )));
            }
            let (local, task) = serve_rpc(*addr, *node).await?;
            tracing::info!(node = %shared.nodes.get(*node).map_or("?", |n| n.name.as_str()), rpc = %local, "serving the node's RPC");
            node_rpcs.push(task);
        }
        let driver = tokio::spawn(driver.run());
        Ok(ConductorHandle {
            shared,
            height_rx,
            rpc_addr,
            driver: Some(driver),
            rpc,
            node_rpcs,
        })
    }
}

impl ConductorHandle {
    /// Last committed height (0 before the first block).
    pub fn height(&self) -> u64 {
        u64::try_from(*self.height_rx.borrow()).unwrap_or(0)
    }

    /// Wait until a block of height `height` is committed.
    pub async fn wait_for_height(
        &self,
        height: u64,
        timeout: Duration,
    ) -> Result<(), ConductorError> {
        let mut rx = self.height_rx.clone();
        let target = i64::try_from(height).unwrap_or(i64::MAX);
        let wait = async move { rx.wait_for(|h| *h >= target).await.map(|_| ()) };
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(ConductorError::Shutdown),
            Err(_) => Err(ConductorError::Timeout {
                height,
                current: self.height(),
                timeout,
            }),
        }
    }

    /// The app hash each node returned from FinalizeBlock at `height` (`None`: it did not
    /// execute that height while this conductor ran), in config order.
    pub fn app_hashes(&self, height: u64) -> Vec<(String, Option<Vec<u8>>)> {
        let map = match self.shared.app_hashes.read() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let row = i64::try_from(height).ok().and_then(|h| map.get(&h));
        self.shared
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    n.name.clone(),
                    row.and_then(|r| r.get(i).cloned().flatten()),
                )
            })
            .collect()
    }

    /// Submit a tx to `node`'s mempool (CheckTx there, then gossip to the others); returns its
    /// CheckTx response. A tx with a non-zero code is not kept.
    pub async fn broadcast_tx(
        &self,
        node: &str,
        tx: Vec<u8>,
    ) -> Result<ResponseCheckTx, ConductorError> {
        let idx = self.node_index(node)?;
        engine::broadcast_tx(&self.shared, idx, tx).await
    }

    /// Status of a node.
    pub fn node_status(&self, node: &str) -> Result<NodeStatus, ConductorError> {
        let idx = self.node_index(node)?;
        self.shared
            .nodes
            .get(idx)
            .map(|n| n.status())
            .ok_or_else(|| ConductorError::UnknownNode(node.into()))
    }

    /// A stored block.
    pub fn block(&self, height: u64) -> Option<StoredBlock> {
        let h = i64::try_from(height).ok()?;
        self.shared.store().block(h).cloned()
    }

    /// The chain state after the last block.
    pub fn chain_state(&self) -> Option<ChainState> {
        self.shared.store().state().cloned()
    }

    /// Where the RPC server listens.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc_addr
    }

    fn node_index(&self, name: &str) -> Result<usize, ConductorError> {
        self.shared
            .nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or_else(|| ConductorError::UnknownNode(name.into()))
    }

    /// Stop producing blocks, stop the RPC server and close the ABCI connections.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        if let Some(d) = self.driver.take() {
            let _ = d.await;
        }
        if let Some(r) = self.rpc.take() {
            r.abort();
            let _ = r.await;
        }
        for r in self.node_rpcs.drain(..) {
            r.abort();
            let _ = r.await;
        }
        for n in &self.shared.nodes {
            n.disconnect().await;
        }
    }
}

impl Drop for ConductorHandle {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
        if let Some(r) = self.rpc.take() {
            r.abort();
        }
        for r in &self.node_rpcs {
            r.abort();
        }
    }
}
