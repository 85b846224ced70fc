//! One app instance the conductor drives: its four ABCI connections, its liveness and its
//! mempool.

use crate::hashing::tx_hash;
use delivery_abci::{AbciClient, AbciError, ClientConfig, ListenAddr};
use ed25519_dalek::SigningKey;
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tendermint_proto::v0_38::abci::{request, response};
use tokio::sync::{mpsc, Mutex};

/// Size of the cache of tx hashes already seen (CometBFT's `mempool.cache_size` default).
const CACHE_SIZE: usize = 10_000;

/// Most txs a mempool holds (CometBFT's `mempool.size` default).
pub(crate) const MEMPOOL_SIZE: usize = 5_000;

/// Most txs queued for gossip to one node; beyond it gossip to that node is dropped (the
/// tx stays in the other mempools), as a slow CometBFT peer misses gossip.
pub(crate) const GOSSIP_QUEUE: usize = 10_000;

/// The four connections CometBFT opens to an app, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnKind {
    /// Info, Query.
    Query,
    /// State sync (unused: the conductor never state-syncs).
    Snapshot,
    /// CheckTx.
    Mempool,
    /// InitChain, PrepareProposal, ProcessProposal, ExtendVote, VerifyVoteExtension,
    /// FinalizeBlock, Commit.
    Consensus,
}

/// Where a node stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStatus {
    /// Connected and caught up: it takes part in every height.
    Live,
    /// Connected, waiting for the handshake (Info, InitChain, replay).
    Connected,
    /// Not reachable: its votes are absent; the conductor keeps reconnecting.
    Absent {
        /// Why it was dropped.
        reason: String,
    },
    /// Returned a different app hash or results than the others: no longer driven.
    Diverged {
        /// What differed.
        reason: String,
    },
}

impl NodeStatus {
    /// Whether the node takes part in heights.
    pub fn is_live(&self) -> bool {
        matches!(self, NodeStatus::Live)
    }
}

/// A tx in a node's mempool.
#[derive(Debug, Clone)]
pub(crate) struct MempoolTx {
    pub hash: Vec<u8>,
    pub tx: Vec<u8>,
    pub gas_wanted: i64,
}

/// A node's mempool: txs in arrival order plus the cache of hashes seen.
#[derive(Debug, Default)]
pub(crate) struct Mempool {
    pub txs: Vec<MempoolTx>,
    /// Hashes of `txs`.
    index: BTreeSet<Vec<u8>>,
    cache: BTreeSet<Vec<u8>>,
    cache_order: VecDeque<Vec<u8>>,
}

impl Mempool {
    pub fn seen(&self, hash: &[u8]) -> bool {
        self.cache.contains(hash)
    }

    pub fn remember(&mut self, hash: Vec<u8>) {
        if self.cache.insert(hash.clone()) {
            self.cache_order.push_back(hash);
            while self.cache_order.len() > CACHE_SIZE {
                if let Some(old) = self.cache_order.pop_front() {
                    self.cache.remove(&old);
                }
            }
        }
    }

    pub fn forget(&mut self, hash: &[u8]) {
        if self.cache.remove(hash) {
            self.cache_order.retain(|h| h != hash);
        }
    }

    pub fn add(&mut self, tx: Vec<u8>, gas_wanted: i64) {
        let hash = tx_hash(&tx);
        if self.index.insert(hash.clone()) {
            self.remember(hash.clone());
            self.txs.push(MempoolTx {
                hash,
                tx,
                gas_wanted,
            });
        }
    }

    /// Whether the mempool is at [`MEMPOOL_SIZE`].
    pub fn is_full(&self) -> bool {
        self.txs.len() >= MEMPOOL_SIZE
    }

    /// Drops the txs whose hashes are in `hashes`.
    pub fn remove_all(&mut self, hashes: &BTreeSet<Vec<u8>>) {
        if hashes.is_empty() {
            return;
        }
        self.txs.retain(|t| !hashes.contains(&t.hash));
        for h in hashes {
            self.index.remove(h);
        }
    }

    /// CometBFT's `ReapMaxBytesMaxGas`: txs in order while their protobuf size (as `Data.txs`)
    /// stays within `max_bytes` and their gas within `max_gas` (-1: no limit).
    pub fn reap(&self, max_bytes: i64, max_gas: i64) -> Vec<Vec<u8>> {
        let mut bytes: i64 = 0;
        let mut gas: i64 = 0;
        let mut out = Vec::new();
        for t in &self.txs {
            let len = u64::try_from(t.tx.len()).unwrap_or(u64::MAX);
            let size = i64::try_from(len.saturating_add(1).saturating_add(
                u64::try_from(prost::encoding::encoded_len_varint(len)).unwrap_or(10),
            ))
            .unwrap_or(i64::MAX);
            if max_bytes > -1 && bytes.saturating_add(size) > max_bytes {
                break;
            }
            if max_gas > -1 && gas.saturating_add(t.gas_wanted) > max_gas {
                break;
            }
            bytes = bytes.saturating_add(size);
            gas = gas.saturating_add(t.gas_wanted);
            out.push(t.tx.clone());
        }
        out
    }

    pub fn clear(&mut self) {
        self.txs.clear();
        self.index.clear();
        self.cache.clear();
        self.cache_order.clear();
    }
}

/// One app instance.
#[derive(Debug)]
pub struct Node {
    /// Name (from the config).
    pub name: String,
    /// ABCI address.
    pub abci_addr: String,
    /// Consensus key.
    pub(crate) key: SigningKey,
    /// Address of the key.
    pub address: [u8; 20],
    pub(crate) query: Mutex<Option<AbciClient>>,
    pub(crate) snapshot: Mutex<Option<AbciClient>>,
    pub(crate) mempool_conn: Mutex<Option<AbciClient>>,
    pub(crate) consensus: Mutex<Option<AbciClient>>,
    pub(crate) status: StdMutex<NodeStatus>,
    pub(crate) mempool: StdMutex<Mempool>,
    /// CometBFT's per-node mempool lock: held from this node's Commit through the recheck of
    /// what is left, and by every CheckTx of a new tx on this node, so no CheckTx lands between
    /// the app's Commit (which resets its mempool view) and the recheck that rebuilds it. Each
    /// node has its own, as each CometBFT node has.
    pub(crate) gate: Arc<Mutex<()>>,
    /// Txs other nodes accepted, queued for this node's gossip worker (in arrival order, as a
    /// CometBFT peer's broadcast routine sends them).
    pub(crate) gossip_tx: mpsc::Sender<Vec<u8>>,
    pub(crate) gossip_rx: StdMutex<Option<mpsc::Receiver<Vec<u8>>>>,
    pub(crate) reconnecting: std::sync::atomic::AtomicBool,
}

/// An ABCI call that failed, with the node and connection it failed on.
#[derive(Debug, thiserror::Error)]
#[error("node {node}: {conn:?} connection: {source}")]
pub struct NodeCallError {
    /// Node name.
    pub node: String,
    /// Connection.
    pub conn: ConnKind,
    /// What went wrong.
    pub source: AbciError,
}

impl Node {
    pub(crate) fn new(name: String, abci_addr: String, key: SigningKey) -> Self {
        let address = crate::key::address_of(key.verifying_key().as_bytes());
        let (gossip_tx, gossip_rx) = mpsc::channel(GOSSIP_QUEUE);
        Node {
            name,
            abci_addr,
            key,
            address,
            query: Mutex::new(None),
            snapshot: Mutex::new(None),
            mempool_conn: Mutex::new(None),
            consensus: Mutex::new(None),
            status: StdMutex::new(NodeStatus::Absent {
                reason: "not connected yet".into(),
            }),
            mempool: StdMutex::new(Mempool::default()),
            gate: Arc::new(Mutex::new(())),
            gossip_tx,
            gossip_rx: StdMutex::new(Some(gossip_rx)),
            reconnecting: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Current status.
    pub fn status(&self) -> NodeStatus {
        match self.status.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn set_status(&self, status: NodeStatus) {
        match self.status.lock() {
            Ok(mut s) => *s = status,
            Err(p) => *p.into_inner() = status,
        }
    }

    pub(crate) fn mempool(&self) -> std::sync::MutexGuard<'_, Mempool> {
        match self.mempool.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        }
    }

    fn slot(&self, conn: ConnKind) -> &Mutex<Option<AbciClient>> {
        match conn {
            ConnKind::Query => &self.query,
            ConnKind::Snapshot => &self.snapshot,
            ConnKind::Mempool => &self.mempool_conn,
            ConnKind::Consensus => &self.consensus,
        }
    }

    /// One call on one connection. A failure leaves the node's status to the caller.
    pub(crate) async fn call(
        &self,
        conn: ConnKind,
        req: request::Value,
    ) -> Result<response::Value, NodeCallError> {
        let mut guard = self.slot(conn).lock().await;
        let err = |source| NodeCallError {
            node: self.name.clone(),
            conn,
            source,
        };
        let client = guard.as_mut().ok_or_else(|| {
            err(AbciError::ConnectionClosed {
                expected: "a connected client",
            })
        })?;
        client.call(req).await.map_err(err)
    }

    /// Several calls pipelined on one connection (one flush), answered in order.
    pub(crate) async fn call_pipelined(
        &self,
        conn: ConnKind,
        reqs: Vec<request::Value>,
    ) -> Result<Vec<response::Value>, NodeCallError> {
        let mut guard = self.slot(conn).lock().await;
        let err = |source| NodeCallError {
            node: self.name.clone(),
            conn,
            source,
        };
        let client = guard.as_mut().ok_or_else(|| {
            err(AbciError::ConnectionClosed {
                expected: "a connected client",
            })
        })?;
        client.call_pipelined(reqs).await.map_err(err)
    }

    /// Open the four connections in CometBFT's order (query, snapshot, mempool, consensus).
    pub(crate) async fn connect(&self, timeout: Duration) -> Result<(), AbciError> {
        let addr = ListenAddr::parse(&self.abci_addr)?;
        let config = ClientConfig {
            connect_timeout: timeout,
            ..ClientConfig::default()
        };
        let q = AbciClient::connect_with(&addr, &config).await?;
        let s = AbciClient::connect_with(&addr, &config).await?;
        let m = AbciClient::connect_with(&addr, &config).await?;
        let c = AbciClient::connect_with(&addr, &config).await?;
        *self.query.lock().await = Some(q);
        *self.snapshot.lock().await = Some(s);
        *self.mempool_conn.lock().await = Some(m);
        *self.consensus.lock().await = Some(c);
        Ok(())
    }

    /// Drop the connections (after an error; the app may be gone).
    pub(crate) async fn disconnect(&self) {
        *self.query.lock().await = None;
        *self.snapshot.lock().await = None;
        *self.mempool_conn.lock().await = None;
        *self.consensus.lock().await = None;
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn mempool_reaps_within_bytes_and_gas_and_dedups() {
        let mut m = Mempool::default();
        m.add(vec![1; 10], 5);
        m.add(vec![1; 10], 5);
        m.add(vec![2; 10], 5);
        m.add(vec![3; 10], 5);
        assert_eq!(m.txs.len(), 3);
        // Each 10-byte tx takes 12 bytes in Data.txs.
        assert_eq!(m.reap(24, -1).len(), 2);
        assert_eq!(m.reap(23, -1).len(), 1);
        assert_eq!(m.reap(-1, 10).len(), 2);
        assert_eq!(m.reap(-1, -1).len(), 3);
        assert!(m.seen(&tx_hash(&[1; 10])));
    }
}
