//! The driver: handshakes, heights and rounds, in CometBFT v0.38's call order.

use crate::hashing::{self, HeaderFields, BLOCK_PROTOCOL, ZERO_TIME};
use crate::node::{ConnKind, Node, NodeCallError, NodeStatus};
use crate::store::{BlockStore, ChainState, StoredBlock, StoredVote};
use crate::valset::{Validator, ValidatorSet};
use crate::{ConductorError, Genesis};
use delivery_abci::sign_bytes::vote_extension_sign_bytes;
use delivery_abci::CancellationToken;
use ed25519_dalek::Signer;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    request, response, response_process_proposal::ProposalStatus,
    response_verify_vote_extension::VerifyStatus, CheckTxType, CommitInfo, ExtendedCommitInfo,
    ExtendedVoteInfo, RequestCheckTx, RequestCommit, RequestExtendVote, RequestFinalizeBlock,
    RequestInfo, RequestInitChain, RequestPrepareProposal, RequestProcessProposal,
    RequestVerifyVoteExtension, ResponseFinalizeBlock, ValidatorUpdate, VoteInfo,
};
use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};
use tendermint_proto::v0_38::types::{
    Block, BlockId, BlockIdFlag, Commit, CommitSig, ConsensusParams, Data, EvidenceList, Header,
    PartSetHeader,
};
use tendermint_proto::v0_38::version::Consensus;
use tokio::sync::{broadcast, mpsc, watch};

/// CometBFT version the conductor reports (Info request, `status`).
pub const COMETBFT_VERSION: &str = "0.38.25";
/// ABCI version.
pub const ABCI_VERSION: &str = "2.0.0";
/// P2P protocol version.
pub const P2P_PROTOCOL: u64 = 8;
/// `types.MaxBlockSizeBytes`, used when `block.max_bytes` is -1.
const MAX_BLOCK_SIZE_BYTES: i64 = 104_857_600;

/// Everything the driver, the RPC server and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub chain_id: String,
    pub genesis: Genesis,
    pub nodes: Vec<Arc<Node>>,
    pub rpc_node: usize,
    pub store: RwLock<BlockStore>,
    pub height: watch::Sender<i64>,
    /// Per height, per node: the app hash it returned (None: it did not execute that height).
    pub app_hashes: RwLock<BTreeMap<i64, Vec<Option<Vec<u8>>>>>,
    pub committed: broadcast::Sender<i64>,
    pub shutdown: CancellationToken,
    pub connect_timeout: Duration,
}

impl Shared {
    /// The node whose app answers RPC queries and takes broadcast txs: `rpc_node`, or while it
    /// is down the first live node (the conductor's one RPC stands in for every node's).
    pub fn serving_node(&self) -> usize {
        let live = |i: usize| self.nodes.get(i).is_some_and(|n| n.status().is_live());
        if live(self.rpc_node) {
            return self.rpc_node;
        }
        (0..self.nodes.len())
            .find(|i| live(*i))
            .unwrap_or(self.rpc_node)
    }

    pub fn store(&self) -> std::sync::RwLockReadGuard<'_, BlockStore> {
        match self.store.read() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }

    fn store_mut(&self) -> std::sync::RwLockWriteGuard<'_, BlockStore> {
        match self.store.write() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }

    fn record_app_hash(&self, height: i64, node: usize, hash: Vec<u8>) {
        let mut map = match self.app_hashes.write() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let row = map
            .entry(height)
            .or_insert_with(|| vec![None; self.nodes.len()]);
        if let Some(slot) = row.get_mut(node) {
            *slot = Some(hash);
        }
    }

    pub fn node_index(&self, address: &[u8]) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.address.as_slice() == address)
    }

    /// Mark a node absent after a failed call, drop its connections and start reconnecting.
    pub async fn node_failed(self: &Arc<Self>, idx: usize, err: &NodeCallError) {
        let Some(node) = self.nodes.get(idx) else {
            return;
        };
        if matches!(node.status(), NodeStatus::Diverged { .. }) {
            return;
        }
        tracing::warn!(node = %node.name, %err, "node dropped: its votes are absent until it reconnects");
        node.set_status(NodeStatus::Absent {
            reason: err.to_string(),
        });
        node.disconnect().await;
        node.mempool().clear();
        self.spawn_reconnect(idx);
    }

    /// Keep trying to open the node's connections; the driver handshakes it when they are up.
    pub fn spawn_reconnect(self: &Arc<Self>, idx: usize) {
        let Some(node) = self.nodes.get(idx).cloned() else {
            return;
        };
        if node
            .reconnecting
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if shared.shutdown.is_cancelled() {
                    break;
                }
                let attempt = tokio::select! {
                    () = shared.shutdown.cancelled() => break,
                    r = node.connect(shared.connect_timeout) => r,
                };
                match attempt {
                    Ok(()) => {
                        tracing::info!(node = %node.name, "node connected; handshake at the next height");
                        node.set_status(NodeStatus::Connected);
                        break;
                    }
                    Err(err) => {
                        tracing::debug!(node = %node.name, %err, "reconnect attempt failed");
                        tokio::select! {
                            () = shared.shutdown.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_millis(200)) => {}
                        }
                    }
                }
            }
            node.reconnecting
                .store(false, std::sync::atomic::Ordering::SeqCst);
        });
    }
}

/// `types.MaxDataBytes`: what is left of a block for txs after the header, the commit of
/// `vals` validators and the evidence.
pub fn max_data_bytes(max_bytes: i64, vals: usize) -> i64 {
    let max_bytes = if max_bytes == -1 {
        MAX_BLOCK_SIZE_BYTES
    } else {
        max_bytes
    };
    let vals = i64::try_from(vals).unwrap_or(i64::MAX);
    // MaxOverheadForBlock 11, MaxHeaderBytes 626, MaxCommitOverheadBytes 94,
    // MaxCommitSigBytes 109 + 2 bytes of repeated-field prefix per signature.
    max_bytes
        .saturating_sub(11)
        .saturating_sub(626)
        .saturating_sub(94)
        .saturating_sub(vals.saturating_mul(111))
}

fn ed25519_pubkey(bytes: &[u8]) -> PublicKey {
    PublicKey {
        sum: Some(Sum::Ed25519(bytes.to_vec())),
    }
}

fn validators_from_updates(updates: &[ValidatorUpdate]) -> Result<Vec<Validator>, String> {
    updates
        .iter()
        .map(|u| match u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(Sum::Ed25519(k)) if k.len() == 32 => Ok(Validator::new(k.clone(), u.power)),
            Some(Sum::Ed25519(k)) => Err(format!("ed25519 key of {} bytes, expected 32", k.len())),
            Some(Sum::Secp256k1(_)) => {
                Err("secp256k1 validator key: only ed25519 is allowed".into())
            }
            None => Err("validator update without a public key".into()),
        })
        .collect()
}

/// `ConsensusParams.Update`: each section present in `update` replaces ours.
fn update_params(params: &ConsensusParams, update: Option<&ConsensusParams>) -> ConsensusParams {
    let mut p = params.clone();
    if let Some(u) = update {
        if u.block.is_some() {
            p.block = u.block;
        }
        if u.evidence.is_some() {
            p.evidence = u.evidence;
        }
        if u.validator.is_some() {
            p.validator = u.validator.clone();
        }
        if u.version.is_some() {
            p.version = u.version;
        }
        if u.abci.is_some() {
            p.abci = u.abci;
        }
    }
    p
}

fn block_params(p: &ConsensusParams) -> (i64, i64) {
    p.block
        .as_ref()
        .map(|b| (b.max_bytes, b.max_gas))
        .unwrap_or((22_020_096, -1))
}

/// Whether vote extensions are on at `height` (`ABCIParams.VoteExtensionsEnabled`).
fn extensions_enabled(p: &ConsensusParams, height: i64) -> bool {
    let h = p
        .abci
        .as_ref()
        .map(|a| a.vote_extensions_enable_height)
        .unwrap_or(0);
    h > 0 && height >= h
}

fn ts_nanos(t: &Timestamp) -> i128 {
    i128::from(t.seconds)
        .saturating_mul(1_000_000_000)
        .saturating_add(i128::from(t.nanos))
}

/// `part > 2/3 * total`, without overflow.
fn more_than_two_thirds(part: i64, total: i64) -> bool {
    i128::from(part).saturating_mul(3) > i128::from(total).saturating_mul(2)
}

fn ts_from_nanos(n: i128) -> Timestamp {
    Timestamp {
        seconds: i64::try_from(n.div_euclid(1_000_000_000)).unwrap_or(i64::MAX),
        nanos: i32::try_from(n.rem_euclid(1_000_000_000)).unwrap_or(0),
    }
}

/// Wall-clock time, at least 1 ms after `after`.
#[allow(clippy::disallowed_methods)] // The conductor is a test/dev tool: block time is the wall clock.
fn now_after(after: &Timestamp) -> Timestamp {
    let now: Timestamp = tendermint::Time::now().into();
    let min = ts_nanos(after).saturating_add(1_000_000);
    if ts_nanos(&now) >= min {
        now
    } else {
        ts_from_nanos(min)
    }
}

/// Precommits a node saw for a block: its own plus those whose extension it accepted.
fn view_of(block: &StoredBlock, viewer: Option<&[u8]>) -> Vec<StoredVote> {
    let viewer_hex = viewer.map(hex::encode_upper);
    block
        .votes
        .iter()
        .filter(|v| {
            let voter = hex::encode_upper(&v.address);
            match &viewer_hex {
                Some(n) => {
                    *n == voter
                        || !block
                            .rejected_extensions
                            .iter()
                            .any(|(rn, rv)| rn == n && *rv == voter)
                }
                None => true,
            }
        })
        .cloned()
        .collect()
}

/// The `Commit` of a block from a set of precommits, in validator-set order.
pub(crate) fn commit_from_votes(block: &StoredBlock, votes: &[StoredVote]) -> Commit {
    let signatures = block
        .validators
        .validators()
        .iter()
        .map(
            |val| match votes.iter().find(|v| v.address == val.address) {
                Some(v) => CommitSig {
                    block_id_flag: BlockIdFlag::Commit as i32,
                    validator_address: v.address.clone(),
                    timestamp: Some(v.timestamp),
                    signature: v.signature.clone(),
                },
                None => CommitSig {
                    block_id_flag: BlockIdFlag::Absent as i32,
                    validator_address: Vec::new(),
                    timestamp: Some(ZERO_TIME),
                    signature: Vec::new(),
                },
            },
        )
        .collect();
    Commit {
        height: block.height(),
        round: block.round,
        block_id: Some(block.block_id.clone()),
        signatures,
    }
}

/// The commit of `height` as served over RPC: the canonical one once the next block fixed it,
/// else the RPC node's seen commit.
pub(crate) fn commit_for(shared: &Shared, block: &StoredBlock) -> Commit {
    if let Some(c) = &block.canonical_commit {
        return c.clone();
    }
    let viewer = shared
        .nodes
        .get(shared.rpc_node)
        .map(|n| n.address.to_vec());
    commit_from_votes(block, &view_of(block, viewer.as_deref()))
}

fn commit_info(block: &StoredBlock, votes: &[StoredVote]) -> CommitInfo {
    CommitInfo {
        round: block.round,
        votes: block
            .validators
            .validators()
            .iter()
            .map(|val| VoteInfo {
                validator: Some(tendermint_proto::v0_38::abci::Validator {
                    address: val.address.clone().into(),
                    power: val.power,
                }),
                block_id_flag: if votes.iter().any(|v| v.address == val.address) {
                    BlockIdFlag::Commit as i32
                } else {
                    BlockIdFlag::Absent as i32
                },
            })
            .collect(),
    }
}

fn extended_commit_info(
    block: &StoredBlock,
    votes: &[StoredVote],
    with_ext: bool,
) -> ExtendedCommitInfo {
    ExtendedCommitInfo {
        round: block.round,
        votes: block
            .validators
            .validators()
            .iter()
            .map(|val| {
                let vote = votes.iter().find(|v| v.address == val.address);
                ExtendedVoteInfo {
                    validator: Some(tendermint_proto::v0_38::abci::Validator {
                        address: val.address.clone().into(),
                        power: val.power,
                    }),
                    vote_extension: match (vote, with_ext) {
                        (Some(v), true) => v.extension.clone().into(),
                        _ => Default::default(),
                    },
                    extension_signature: match (vote, with_ext) {
                        (Some(v), true) => v.extension_signature.clone().into(),
                        _ => Default::default(),
                    },
                    block_id_flag: if vote.is_some() {
                        BlockIdFlag::Commit as i32
                    } else {
                        BlockIdFlag::Absent as i32
                    },
                }
            })
            .collect(),
    }
}

/// What one production attempt did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A block was committed.
    Committed(i64),
    /// Not enough live power (or no chain state yet): waiting.
    Waiting,
}

/// The driver task's state.
pub(crate) struct Driver {
    pub shared: Arc<Shared>,
    pub block_interval: Duration,
    /// Round of the height in progress (rounds only go up until the height commits).
    round: i32,
    /// When the last committed height gathered its precommits (CometBFT's `CommitTime`): the
    /// next height starts `block_interval` (`timeout_commit`) after it, so the time spent
    /// executing and committing the block overlaps the wait, as in CometBFT.
    commit_time: Option<std::time::Instant>,
}

fn other<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> ConductorError + '_ {
    move |e| ConductorError::Fatal(format!("{what}: {e}"))
}

impl Driver {
    pub fn new(shared: Arc<Shared>, block_interval: Duration) -> Self {
        Driver {
            shared,
            block_interval,
            round: 0,
            commit_time: None,
        }
    }

    fn node(&self, idx: usize) -> Option<&Arc<Node>> {
        self.shared.nodes.get(idx)
    }

    fn is_live(&self, idx: usize) -> bool {
        self.node(idx).is_some_and(|n| n.status().is_live())
    }

    /// `req` to every live node at once (as separate CometBFT nodes act), results in node
    /// order.
    async fn call_live(
        &self,
        conn: ConnKind,
        req: &request::Value,
    ) -> Vec<(usize, Result<response::Value, NodeCallError>)> {
        let calls = (0..self.shared.nodes.len())
            .filter(|idx| self.is_live(*idx))
            .map(|idx| async move { (idx, self.call(idx, conn, req.clone()).await) });
        futures::future::join_all(calls).await
    }

    async fn call(
        &self,
        idx: usize,
        conn: ConnKind,
        req: request::Value,
    ) -> Result<response::Value, NodeCallError> {
        let Some(node) = self.node(idx) else {
            return Err(NodeCallError {
                node: format!("#{idx}"),
                conn,
                source: delivery_abci::AbciError::ConnectionClosed {
                    expected: "a configured node",
                },
            });
        };
        let res = node.call(conn, req).await;
        if let Err(e) = &res {
            self.shared.node_failed(idx, e).await;
        }
        res
    }

    fn diverge(&self, idx: usize, reason: String) {
        if let Some(node) = self.node(idx) {
            tracing::error!(
                node = %node.name,
                %reason,
                "NODE DIVERGED: it returned a different result than the other validators; it is no longer driven"
            );
            node.set_status(NodeStatus::Diverged { reason });
        }
    }

    /// The main loop: handshake connected nodes, make a block, wait the block interval.
    pub async fn run(mut self) {
        loop {
            if self.shared.shutdown.is_cancelled() {
                break;
            }
            self.handshake_connected().await;
            let step = match self.produce().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "conductor halted: it cannot go on producing blocks");
                    self.shared.shutdown.cancelled().await;
                    break;
                }
            };
            let pause = match step {
                Step::Committed(_) => match self.commit_time {
                    Some(t) => self.block_interval.saturating_sub(t.elapsed()),
                    None => self.block_interval,
                },
                Step::Waiting => Duration::from_millis(50),
            };
            tokio::select! {
                () = self.shared.shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Handshake every node whose connections just came up.
    pub async fn handshake_connected(&mut self) {
        for idx in 0..self.shared.nodes.len() {
            if self
                .node(idx)
                .is_some_and(|n| n.status() == NodeStatus::Connected)
            {
                match self.handshake(idx).await {
                    Ok(()) => {
                        if let Some(n) = self.node(idx) {
                            tracing::info!(node = %n.name, "node caught up and takes part again");
                            n.set_status(NodeStatus::Live);
                        }
                    }
                    Err(HandshakeError::Call) => {}
                    Err(HandshakeError::Diverged(reason)) => self.diverge(idx, reason),
                    Err(HandshakeError::Fatal(reason)) => {
                        tracing::error!(%reason, "handshake failed");
                        self.diverge(idx, reason);
                    }
                }
            }
        }
    }

    /// CometBFT's handshake: Info; InitChain if the app is at height 0; replay of the stored
    /// blocks the app lacks (FinalizeBlock + Commit only), checking the app hashes.
    async fn handshake(&mut self, idx: usize) -> Result<(), HandshakeError> {
        let info_req = RequestInfo {
            version: COMETBFT_VERSION.into(),
            block_version: BLOCK_PROTOCOL,
            p2p_version: P2P_PROTOCOL,
            abci_version: ABCI_VERSION.into(),
        };
        let info = match self
            .call(idx, ConnKind::Query, request::Value::Info(info_req))
            .await
        {
            Ok(response::Value::Info(i)) => i,
            Ok(_) => return Err(HandshakeError::Call),
            Err(_) => return Err(HandshakeError::Call),
        };
        let app_height = info.last_block_height;
        let (state, store_height) = {
            let store = self.shared.store();
            (store.state().cloned(), store.height())
        };
        if app_height < 0 {
            return Err(HandshakeError::Diverged(format!(
                "Info returned a negative height {app_height}"
            )));
        }
        if app_height > store_height {
            return Err(HandshakeError::Diverged(format!(
                "app is at height {app_height} but the conductor's store ends at {store_height}"
            )));
        }
        if app_height == 0 {
            let g = &self.shared.genesis;
            let req = RequestInitChain {
                time: Some(g.genesis_time),
                chain_id: g.chain_id.clone(),
                consensus_params: Some(g.consensus_params.clone()),
                validators: g
                    .validators
                    .iter()
                    .map(|v| ValidatorUpdate {
                        pub_key: Some(ed25519_pubkey(&v.pub_key)),
                        power: v.power,
                    })
                    .collect(),
                app_state_bytes: g.app_state_bytes.clone().into(),
                initial_height: g.initial_height,
            };
            let res = match self
                .call(idx, ConnKind::Consensus, request::Value::InitChain(req))
                .await
            {
                Ok(response::Value::InitChain(r)) => r,
                _ => return Err(HandshakeError::Call),
            };
            match &state {
                None => {
                    let st =
                        genesis_state(g, &res, info.app_version).map_err(HandshakeError::Fatal)?;
                    self.shared
                        .store_mut()
                        .save_state(st)
                        .map_err(|e| HandshakeError::Fatal(e.to_string()))?;
                }
                Some(st) => {
                    // The app hash after InitChain must be the one the chain started from.
                    let expected = {
                        let store = self.shared.store();
                        match store.block(g.initial_height) {
                            Some(b) => b
                                .block
                                .header
                                .as_ref()
                                .map(|h| h.app_hash.clone())
                                .unwrap_or_default(),
                            None => st.app_hash.clone(),
                        }
                    };
                    let got = if res.app_hash.is_empty() {
                        g.app_hash.clone()
                    } else {
                        res.app_hash.to_vec()
                    };
                    if got != expected {
                        return Err(HandshakeError::Diverged(format!(
                            "InitChain app hash {} != the chain's initial app hash {}",
                            hex::encode_upper(&got),
                            hex::encode_upper(&expected)
                        )));
                    }
                }
            }
        } else if let Some(b) = self.shared.store().block(app_height) {
            if info.last_block_app_hash.as_ref() != b.result_app_hash() {
                return Err(HandshakeError::Diverged(format!(
                    "Info app hash {} at height {app_height} != stored {}",
                    hex::encode_upper(&info.last_block_app_hash),
                    hex::encode_upper(b.result_app_hash())
                )));
            }
        }
        let to_replay: Vec<(i64, RequestFinalizeBlock, Vec<u8>)> = self
            .shared
            .store()
            .blocks_from(app_height.saturating_add(1))
            .map(|b| {
                (
                    b.height(),
                    b.finalize_request.clone(),
                    b.result_app_hash().to_vec(),
                )
            })
            .collect();
        for (height, req, expected) in to_replay {
            let res = match self
                .call(idx, ConnKind::Consensus, request::Value::FinalizeBlock(req))
                .await
            {
                Ok(response::Value::FinalizeBlock(r)) => r,
                _ => return Err(HandshakeError::Call),
            };
            self.shared
                .record_app_hash(height, idx, res.app_hash.to_vec());
            if res.app_hash.as_ref() != expected.as_slice() {
                return Err(HandshakeError::Diverged(format!(
                    "replay of height {height}: app hash {} != stored {}",
                    hex::encode_upper(&res.app_hash),
                    hex::encode_upper(&expected)
                )));
            }
            match self
                .call(
                    idx,
                    ConnKind::Consensus,
                    request::Value::Commit(RequestCommit {}),
                )
                .await
            {
                Ok(_) => {}
                Err(_) => return Err(HandshakeError::Call),
            }
        }
        Ok(())
    }

    /// Try to make the next block.
    pub async fn produce(&mut self) -> Result<Step, ConductorError> {
        let Some(state) = self.shared.store().state().cloned() else {
            return Ok(Step::Waiting);
        };
        let height = state
            .last_height
            .checked_add(1)
            .ok_or_else(|| ConductorError::Fatal("height overflow".into()))?;
        let total = state.validators.total_power();
        let live_power = |d: &Driver| -> i64 {
            state
                .validators
                .validators()
                .iter()
                .filter(|v| {
                    d.shared
                        .node_index(&v.address)
                        .is_some_and(|i| d.is_live(i))
                })
                .map(|v| v.power)
                .fold(0i64, i64::saturating_add)
        };
        if !more_than_two_thirds(live_power(self), total) {
            return Ok(Step::Waiting);
        }
        let prev = if height > state.initial_height {
            let b = self.shared.store().block(state.last_height).cloned();
            Some(b.ok_or_else(|| {
                ConductorError::Fatal(format!(
                    "block {} missing from the store",
                    state.last_height
                ))
            })?)
        } else {
            None
        };
        let time = match &prev {
            None => self.shared.genesis.genesis_time,
            // BFT time: every precommit of the last block carries the same commit time.
            Some(p) => p
                .votes
                .first()
                .map(|v| v.timestamp)
                .unwrap_or_else(|| now_after(&state.last_block_time)),
        };
        let (max_bytes, max_gas) = block_params(&state.consensus_params);
        let max_tx_bytes = max_data_bytes(max_bytes, state.validators.len());
        loop {
            if self.shared.shutdown.is_cancelled() {
                return Ok(Step::Waiting);
            }
            if !more_than_two_thirds(live_power(self), total) {
                return Ok(Step::Waiting);
            }
            let round = self.round;
            let round_set = if round == 0 {
                state.validators.clone()
            } else {
                state
                    .validators
                    .copy_increment(u32::try_from(round).unwrap_or(u32::MAX))
            };
            let Some(proposer) = round_set.proposer().cloned() else {
                return Err(ConductorError::Fatal("empty validator set".into()));
            };
            let proposer_idx = self
                .shared
                .node_index(&proposer.address)
                .filter(|i| self.is_live(*i));
            let Some(pidx) = proposer_idx else {
                tracing::info!(height, round, proposer = %hex::encode_upper(&proposer.address), "proposer absent: round fails");
                self.next_round().await;
                continue;
            };
            match self
                .try_round(
                    &state,
                    prev.as_ref(),
                    height,
                    round,
                    time,
                    &proposer,
                    pidx,
                    max_tx_bytes,
                    max_gas,
                )
                .await?
            {
                Some(h) => {
                    self.round = 0;
                    return Ok(Step::Committed(h));
                }
                None => self.next_round().await,
            }
        }
    }

    async fn next_round(&mut self) {
        self.round = self.round.saturating_add(1);
        // A short stand-in for CometBFT's propose/prevote timeouts.
        let pause = self.block_interval.min(Duration::from_millis(100));
        tokio::time::sleep(pause).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn try_round(
        &mut self,
        state: &ChainState,
        prev: Option<&StoredBlock>,
        height: i64,
        round: i32,
        time: Timestamp,
        proposer: &Validator,
        pidx: usize,
        max_tx_bytes: i64,
        max_gas: i64,
    ) -> Result<Option<i64>, ConductorError> {
        let chain_id = self.shared.chain_id.clone();
        let nodes = self.shared.nodes.len();
        let nvh = state.next_validators.hash();
        // The proposer's view of the last commit.
        let (last_votes, last_commit) = match prev {
            Some(p) => {
                let votes = view_of(p, Some(&proposer.address));
                let commit = commit_from_votes(p, &votes);
                (votes, commit)
            }
            None => (
                Vec::new(),
                Commit {
                    height: 0,
                    round: 0,
                    block_id: Some(hashing::empty_block_id()),
                    signatures: Vec::new(),
                },
            ),
        };
        let local_last_commit = match prev {
            Some(p) => extended_commit_info(
                p,
                &last_votes,
                extensions_enabled(&p.consensus_params, p.height()),
            ),
            None => ExtendedCommitInfo::default(),
        };
        let decided_last_commit = match prev {
            Some(p) => commit_info(p, &last_votes),
            None => CommitInfo::default(),
        };
        let mempool_txs = self
            .node(pidx)
            .map(|n| n.mempool().reap(max_tx_bytes, max_gas))
            .unwrap_or_default();
        let prep = RequestPrepareProposal {
            max_tx_bytes,
            txs: mempool_txs.into_iter().map(Into::into).collect(),
            local_last_commit: Some(local_last_commit),
            misbehavior: Vec::new(),
            height,
            time: Some(time),
            next_validators_hash: nvh.clone().into(),
            proposer_address: proposer.address.clone().into(),
        };
        let txs: Vec<Vec<u8>> = match self
            .call(
                pidx,
                ConnKind::Consensus,
                request::Value::PrepareProposal(prep),
            )
            .await
        {
            Ok(response::Value::PrepareProposal(r)) => {
                r.txs.into_iter().map(|t| t.to_vec()).collect()
            }
            _ => return Ok(None),
        };
        let total_bytes: i64 = txs
            .iter()
            .map(|t| i64::try_from(t.len()).unwrap_or(i64::MAX))
            .fold(0, i64::saturating_add);
        if total_bytes > max_tx_bytes {
            tracing::error!(
                height,
                round,
                total_bytes,
                max_tx_bytes,
                "PrepareProposal returned more tx bytes than allowed: round fails"
            );
            return Ok(None);
        }
        // Build the block.
        let (max_bytes, max_gas_p) = block_params(&state.consensus_params);
        let data_hash = hashing::data_hash(&txs);
        let last_commit_hash = hashing::merkle_root(
            &last_commit
                .signatures
                .iter()
                .map(prost::Message::encode_to_vec)
                .collect::<Vec<_>>(),
        );
        let validators_hash = state.validators.hash();
        let consensus_hash = hashing::consensus_params_hash(max_bytes, max_gas_p);
        let evidence_hash = hashing::empty_hash();
        let fields = HeaderFields {
            version_block: BLOCK_PROTOCOL,
            version_app: state.app_version,
            chain_id: &chain_id,
            height,
            time,
            last_block_id: state.last_block_id.clone(),
            last_commit_hash: &last_commit_hash,
            data_hash: &data_hash,
            validators_hash: &validators_hash,
            next_validators_hash: &nvh,
            consensus_hash: &consensus_hash,
            app_hash: &state.app_hash,
            last_results_hash: &state.last_results_hash,
            evidence_hash: &evidence_hash,
            proposer_address: &proposer.address,
        };
        let hash = hashing::header_hash(&fields);
        let header = Header {
            version: Some(Consensus {
                block: BLOCK_PROTOCOL,
                app: state.app_version,
            }),
            chain_id: chain_id.clone(),
            height,
            time: Some(time),
            last_block_id: Some(state.last_block_id.clone()),
            last_commit_hash: last_commit_hash.clone(),
            data_hash: data_hash.clone(),
            validators_hash: validators_hash.clone(),
            next_validators_hash: nvh.clone(),
            consensus_hash,
            app_hash: state.app_hash.clone(),
            last_results_hash: state.last_results_hash.clone(),
            evidence_hash,
            proposer_address: proposer.address.clone(),
        };
        let block = Block {
            header: Some(header),
            data: Some(Data { txs: txs.clone() }),
            evidence: Some(EvidenceList {
                evidence: Vec::new(),
            }),
            last_commit: Some(last_commit.clone()),
        };
        let psh: PartSetHeader = hashing::part_set_header(&prost::Message::encode_to_vec(&block));
        let block_id = BlockId {
            hash: hash.clone(),
            part_set_header: Some(psh),
        };
        let txs_b: Vec<prost::bytes::Bytes> = txs.iter().map(|t| t.clone().into()).collect();

        // ProcessProposal on every live node, the proposer included; the nodes evaluate it
        // concurrently, as separate CometBFT nodes do.
        let mut accept_power: i64 = 0;
        let req = RequestProcessProposal {
            txs: txs_b.clone(),
            proposed_last_commit: Some(decided_last_commit.clone()),
            misbehavior: Vec::new(),
            hash: hash.clone().into(),
            height,
            time: Some(time),
            next_validators_hash: nvh.clone().into(),
            proposer_address: proposer.address.clone().into(),
        };
        let req = request::Value::ProcessProposal(req);
        for (idx, r) in self.call_live(ConnKind::Consensus, &req).await {
            if let Ok(response::Value::ProcessProposal(r)) = r {
                let accepted = r.status == ProposalStatus::Accept as i32;
                let power = self.power_of(&state.validators, idx);
                if accepted {
                    accept_power = accept_power.saturating_add(power);
                } else if power > 0 {
                    tracing::warn!(height, round, node = %self.name(idx), "validator rejected the proposal");
                }
            }
        }
        let total = state.validators.total_power();
        if !more_than_two_thirds(accept_power, total) {
            tracing::warn!(
                height,
                round,
                accept_power,
                total,
                "proposal not accepted by more than 2/3 of the power: round fails"
            );
            return Ok(None);
        }

        // Precommits: ExtendVote on each live validator, then VerifyVoteExtension of the others.
        let ext_on = extensions_enabled(&state.consensus_params, height);
        let commit_time = now_after(&time);
        let mut votes: Vec<StoredVote> = Vec::new();
        for val in state.validators.validators() {
            let Some(idx) = self
                .shared
                .node_index(&val.address)
                .filter(|i| self.is_live(*i))
            else {
                continue;
            };
            let mut extension = Vec::new();
            if ext_on {
                let req = RequestExtendVote {
                    hash: hash.clone().into(),
                    height,
                    time: Some(time),
                    txs: txs_b.clone(),
                    proposed_last_commit: Some(decided_last_commit.clone()),
                    misbehavior: Vec::new(),
                    next_validators_hash: nvh.clone().into(),
                    proposer_address: proposer.address.clone().into(),
                };
                match self
                    .call(idx, ConnKind::Consensus, request::Value::ExtendVote(req))
                    .await
                {
                    Ok(response::Value::ExtendVote(r)) => extension = r.vote_extension.to_vec(),
                    _ => continue,
                }
            }
            let Some(node) = self.node(idx) else { continue };
            let sign_bytes = hashing::precommit_sign_bytes(
                &chain_id,
                height,
                i64::from(round),
                &block_id,
                commit_time,
            );
            let signature = node.key.sign(&sign_bytes).to_bytes().to_vec();
            let extension_signature = if ext_on {
                let b = vote_extension_sign_bytes(&chain_id, height, i64::from(round), &extension);
                node.key.sign(&b).to_bytes().to_vec()
            } else {
                Vec::new()
            };
            votes.push(StoredVote {
                address: val.address.clone(),
                power: val.power,
                timestamp: commit_time,
                signature,
                extension,
                extension_signature,
            });
        }
        let mut rejected: Vec<(String, String)> = Vec::new();
        if ext_on {
            for idx in 0..nodes {
                if !self.is_live(idx) {
                    continue;
                }
                let Some(me) = self.node(idx).map(|n| n.address) else {
                    continue;
                };
                for v in &votes {
                    if v.address == me {
                        continue;
                    }
                    let req = RequestVerifyVoteExtension {
                        hash: hash.clone().into(),
                        validator_address: v.address.clone().into(),
                        height,
                        vote_extension: v.extension.clone().into(),
                    };
                    match self
                        .call(
                            idx,
                            ConnKind::Consensus,
                            request::Value::VerifyVoteExtension(req),
                        )
                        .await
                    {
                        Ok(response::Value::VerifyVoteExtension(r))
                            if r.status == VerifyStatus::Accept as i32 => {}
                        Ok(_) => {
                            tracing::warn!(height, node = %self.name(idx), voter = %hex::encode_upper(&v.address), "vote extension rejected: that precommit is dropped");
                            rejected.push((hex::encode_upper(me), hex::encode_upper(&v.address)));
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        let voted_power: i64 = votes.iter().map(|v| v.power).fold(0, i64::saturating_add);
        if !more_than_two_thirds(voted_power, total) {
            tracing::warn!(
                height,
                round,
                voted_power,
                total,
                "not enough precommits: round fails"
            );
            return Ok(None);
        }

        // FinalizeBlock on every live node.
        let fin_req = RequestFinalizeBlock {
            txs: txs_b.clone(),
            decided_last_commit: Some(decided_last_commit.clone()),
            misbehavior: Vec::new(),
            hash: hash.clone().into(),
            height,
            time: Some(time),
            next_validators_hash: nvh.clone().into(),
            proposer_address: proposer.address.clone().into(),
        };
        let mut results: Vec<(usize, ResponseFinalizeBlock)> = Vec::new();
        // +2/3 precommits are in: CometBFT's enterCommit sets CommitTime here.
        self.commit_time = Some(std::time::Instant::now());
        let fin = request::Value::FinalizeBlock(fin_req.clone());
        for (idx, r) in self.call_live(ConnKind::Consensus, &fin).await {
            if let Ok(response::Value::FinalizeBlock(r)) = r {
                self.shared
                    .record_app_hash(height, idx, r.app_hash.to_vec());
                if r.tx_results.len() != txs.len() {
                    self.diverge(
                        idx,
                        format!(
                            "FinalizeBlock at height {height} returned {} tx results for {} txs",
                            r.tx_results.len(),
                            txs.len()
                        ),
                    );
                    continue;
                }
                results.push((idx, r));
            }
        }
        // The reference result: the one backed by the most voting power (ties: first node).
        let key =
            |r: &ResponseFinalizeBlock| (r.app_hash.to_vec(), hashing::results_hash(&r.tx_results));
        let mut groups: Vec<ResultGroup> = Vec::new();
        for (idx, r) in &results {
            let k = key(r);
            let p = self.power_of(&state.validators, *idx);
            match groups.iter_mut().find(|g| g.0 == k) {
                Some(g) => g.1 = g.1.saturating_add(p),
                None => groups.push((k, p, *idx)),
            }
        }
        let Some(best) = groups
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
            .cloned()
        else {
            tracing::warn!(height, "no node executed the block");
            return Ok(None);
        };
        let mut reference: Option<ResponseFinalizeBlock> = None;
        let mut agreeing: Vec<usize> = Vec::new();
        for (idx, r) in results {
            if key(&r) == best.0 {
                agreeing.push(idx);
                if reference.is_none() {
                    reference = Some(r);
                }
            } else {
                self.diverge(idx, format!(
                    "height {height}: app hash {} / results hash {} differ from the majority's {} / {}",
                    hex::encode_upper(&r.app_hash),
                    hex::encode_upper(hashing::results_hash(&r.tx_results)),
                    hex::encode_upper(&best.0 .0),
                    hex::encode_upper(&best.0 .1)
                ));
            }
        }
        let Some(fin_res) = reference else {
            return Ok(None);
        };
        // Every node's mempool lock, in index order (other holders take one at a time).
        let mut mempool_gates = Vec::with_capacity(self.shared.nodes.len());
        for node in &self.shared.nodes {
            mempool_gates.push(Arc::clone(&node.gate).lock_owned().await);
        }
        let commits = agreeing.iter().map(|idx| {
            self.call(
                *idx,
                ConnKind::Consensus,
                request::Value::Commit(RequestCommit {}),
            )
        });
        let _ = futures::future::join_all(commits).await;

        // Next state (CometBFT's updateState).
        let mut next_vals = state.next_validators.clone();
        if !fin_res.validator_updates.is_empty() {
            let updates = validators_from_updates(&fin_res.validator_updates)
                .map_err(other("FinalizeBlock returned an invalid validator update"))?;
            next_vals.apply_updates(updates).map_err(other(
                "FinalizeBlock returned validator updates CometBFT would refuse",
            ))?;
        }
        next_vals.increment_proposer_priority(1);
        let params = update_params(
            &state.consensus_params,
            fin_res.consensus_param_updates.as_ref(),
        );
        let app_version = fin_res
            .consensus_param_updates
            .as_ref()
            .and_then(|p| p.version.as_ref())
            .map(|v| v.app)
            .unwrap_or(state.app_version);
        let new_state = ChainState {
            chain_id: state.chain_id.clone(),
            initial_height: state.initial_height,
            last_height: height,
            last_block_id: block_id.clone(),
            last_block_time: time,
            last_validators: state.validators.clone(),
            validators: state.next_validators.clone(),
            next_validators: next_vals,
            consensus_params: params,
            app_version,
            app_hash: fin_res.app_hash.to_vec(),
            last_results_hash: hashing::results_hash(&fin_res.tx_results),
        };
        let stored = StoredBlock {
            block,
            block_id,
            round,
            finalize_request: fin_req,
            finalize_response: fin_res,
            validators: state.validators.clone(),
            consensus_params: state.consensus_params.clone(),
            votes,
            rejected_extensions: rejected,
            canonical_commit: None,
        };
        {
            let mut store = self.shared.store_mut();
            if prev.is_some() {
                store
                    .set_canonical_commit(state.last_height, last_commit)
                    .map_err(other("cannot write the block store"))?;
            }
            store
                .commit_block(stored, new_state)
                .map_err(other("cannot write the block store"))?;
        }
        self.update_mempools(&txs).await;
        drop(mempool_gates);
        let _ = self.shared.height.send(height);
        let _ = self.shared.committed.send(height);
        tracing::debug!(height, round, txs = txs.len(), "block committed");
        Ok(Some(height))
    }

    fn name(&self, idx: usize) -> String {
        self.node(idx).map(|n| n.name.clone()).unwrap_or_default()
    }

    fn power_of(&self, set: &ValidatorSet, idx: usize) -> i64 {
        self.node(idx)
            .and_then(|n| set.get(&n.address))
            .map(|v| v.power)
            .unwrap_or(0)
    }

    /// After Commit: drop the committed txs from every mempool and recheck the rest, each node
    /// on its own (concurrently, as separate CometBFT nodes would), its txs in order.
    async fn update_mempools(&self, committed: &[Vec<u8>]) {
        let hashes: BTreeSet<Vec<u8>> = committed.iter().map(|t| hashing::tx_hash(t)).collect();
        let rechecks = (0..self.shared.nodes.len()).map(|idx| {
            let hashes = &hashes;
            async move { self.recheck_node(idx, hashes).await }
        });
        futures::future::join_all(rechecks).await;
    }

    /// CometBFT's mempool `Update`: drop the committed txs, then recheck the rest, pipelined
    /// (`CheckTxAsync` for each, one flush), as its `recheckTxs` does. The caller holds the
    /// node's gate.
    async fn recheck_node(&self, idx: usize, committed: &BTreeSet<Vec<u8>>) {
        let Some(node) = self.node(idx).cloned() else {
            return;
        };
        let remaining: Vec<Vec<u8>> = {
            let mut m = node.mempool();
            m.remove_all(committed);
            for h in committed {
                m.remember(h.clone());
            }
            m.txs.iter().map(|t| t.tx.clone()).collect()
        };
        if remaining.is_empty() || !node.status().is_live() {
            return;
        }
        let mut invalid = BTreeSet::new();
        for chunk in remaining.chunks(RECHECK_BATCH) {
            let reqs = chunk
                .iter()
                .map(|tx| {
                    request::Value::CheckTx(RequestCheckTx {
                        tx: tx.clone().into(),
                        r#type: CheckTxType::Recheck as i32,
                    })
                })
                .collect();
            let responses = match node.call_pipelined(ConnKind::Mempool, reqs).await {
                Ok(r) => r,
                Err(e) => {
                    self.shared.node_failed(idx, &e).await;
                    break;
                }
            };
            for (tx, res) in chunk.iter().zip(responses) {
                if !matches!(res, response::Value::CheckTx(ref r) if r.code == 0) {
                    invalid.insert(hashing::tx_hash(tx));
                }
            }
        }
        let mut m = node.mempool();
        m.remove_all(&invalid);
        for h in &invalid {
            m.forget(h);
        }
    }
}

/// Most CheckTx requests pipelined in one flush (recheck and gossip).
const RECHECK_BATCH: usize = 512;

/// FinalizeBlock outcomes that agree: (app hash, results hash), their power, first node.
type ResultGroup = ((Vec<u8>, Vec<u8>), i64, usize);

enum HandshakeError {
    /// A call failed (the node is already marked absent).
    Call,
    /// The app disagrees with the chain.
    Diverged(String),
    /// The chain state could not be set up.
    Fatal(String),
}

/// The chain state after InitChain (CometBFT's `MakeGenesisState` + handshake).
fn genesis_state(
    g: &Genesis,
    res: &tendermint_proto::v0_38::abci::ResponseInitChain,
    app_version: u64,
) -> Result<ChainState, String> {
    let vals: Vec<Validator> = if res.validators.is_empty() {
        g.validators
            .iter()
            .map(|v| Validator::new(v.pub_key.clone(), v.power))
            .collect()
    } else {
        validators_from_updates(&res.validators)
            .map_err(|e| format!("InitChain validators: {e}"))?
    };
    if vals.is_empty() {
        return Err("no validators: genesis has none and InitChain returned none".into());
    }
    let validators = ValidatorSet::new(vals).map_err(|e| format!("genesis validator set: {e}"))?;
    let next_validators = validators.copy_increment(1);
    let consensus_params = update_params(&g.consensus_params, res.consensus_params.as_ref());
    let app_hash = if res.app_hash.is_empty() {
        g.app_hash.clone()
    } else {
        res.app_hash.to_vec()
    };
    let empty_set = ValidatorSet::new(Vec::new()).map_err(|e| e.to_string())?;
    Ok(ChainState {
        chain_id: g.chain_id.clone(),
        initial_height: g.initial_height,
        last_height: g.initial_height.saturating_sub(1),
        last_block_id: hashing::empty_block_id(),
        last_block_time: g.genesis_time,
        last_validators: empty_set,
        validators,
        next_validators,
        consensus_params,
        app_version,
        app_hash,
        last_results_hash: hashing::empty_hash(),
    })
}

/// Broadcast a tx to `idx` (CometBFT's `broadcast_tx_*`): CheckTx (New) there under that
/// node's mempool lock, and once accepted, queued for gossip to every other node, whose own
/// workers check it in arrival order. The answer is the first node's CheckTx, as CometBFT's
/// `broadcast_tx_sync` answers once the local mempool has checked the tx.
pub(crate) async fn broadcast_tx(
    shared: &Arc<Shared>,
    idx: usize,
    tx: Vec<u8>,
) -> Result<tendermint_proto::v0_38::abci::ResponseCheckTx, ConductorError> {
    let node = shared
        .nodes
        .get(idx)
        .cloned()
        .ok_or_else(|| ConductorError::UnknownNode(format!("#{idx}")))?;
    if tx.is_empty() {
        return Err(ConductorError::TxRejected("tx is empty".into()));
    }
    if tx.len() > 1_048_576 {
        return Err(ConductorError::TxRejected(format!(
            "tx too large. Max size is 1048576, but got {}",
            tx.len()
        )));
    }
    if !node.status().is_live() {
        return Err(ConductorError::NodeDown(node.name.clone()));
    }
    let res = {
        let _gate = node.gate.lock().await;
        let hash = hashing::tx_hash(&tx);
        {
            let m = node.mempool();
            if m.seen(&hash) {
                return Err(ConductorError::TxRejected(
                    "tx already exists in cache".into(),
                ));
            }
            if m.is_full() {
                return Err(ConductorError::TxRejected(format!(
                    "mempool is full: number of txs {} (max: {})",
                    m.txs.len(),
                    crate::node::MEMPOOL_SIZE
                )));
            }
        }
        let res = check_tx_new(shared, idx, &tx).await?;
        if res.code == 0 {
            node.mempool().add(tx.clone(), res.gas_wanted);
        }
        res
    };
    if res.code == 0 {
        for (other_idx, other) in shared.nodes.iter().enumerate() {
            if other_idx != idx && other.status().is_live() {
                if let Err(mpsc::error::TrySendError::Full(_)) =
                    other.gossip_tx.try_send(tx.clone())
                {
                    tracing::debug!(node = %other.name, "gossip queue full: tx not gossiped to it");
                }
            }
        }
    }
    Ok(res)
}

/// Starts `idx`'s gossip worker: it takes the txs other nodes accepted, in order, and checks
/// them on this node's mempool connection in pipelined batches under the node's mempool lock.
pub(crate) fn spawn_gossip_worker(shared: &Arc<Shared>, idx: usize) {
    let Some(node) = shared.nodes.get(idx).cloned() else {
        return;
    };
    let Some(mut rx) = node.gossip_rx.lock().ok().and_then(|mut slot| slot.take()) else {
        return;
    };
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                () = shared.shutdown.cancelled() => break,
                tx = rx.recv() => match tx {
                    Some(tx) => tx,
                    None => break,
                },
            };
            let mut batch = vec![first];
            while batch.len() < RECHECK_BATCH {
                match rx.try_recv() {
                    Ok(tx) => batch.push(tx),
                    Err(_) => break,
                }
            }
            if !node.status().is_live() {
                continue;
            }
            let _gate = node.gate.lock().await;
            let fresh: Vec<Vec<u8>> = {
                let m = node.mempool();
                let room = crate::node::MEMPOOL_SIZE.saturating_sub(m.txs.len());
                batch
                    .into_iter()
                    .filter(|tx| !m.seen(&hashing::tx_hash(tx)))
                    .take(room)
                    .collect()
            };
            if fresh.is_empty() {
                continue;
            }
            let reqs = fresh
                .iter()
                .map(|tx| {
                    request::Value::CheckTx(RequestCheckTx {
                        tx: tx.clone().into(),
                        r#type: CheckTxType::New as i32,
                    })
                })
                .collect();
            match node.call_pipelined(ConnKind::Mempool, reqs).await {
                Ok(responses) => {
                    let mut m = node.mempool();
                    for (tx, res) in fresh.into_iter().zip(responses) {
                        if let response::Value::CheckTx(r) = res {
                            if r.code == 0 {
                                m.add(tx, r.gas_wanted);
                            }
                        }
                    }
                }
                Err(e) => shared.node_failed(idx, &e).await,
            }
        }
    });
}

async fn check_tx_new(
    shared: &Arc<Shared>,
    idx: usize,
    tx: &[u8],
) -> Result<tendermint_proto::v0_38::abci::ResponseCheckTx, ConductorError> {
    let node = shared
        .nodes
        .get(idx)
        .cloned()
        .ok_or_else(|| ConductorError::UnknownNode(format!("#{idx}")))?;
    let req = RequestCheckTx {
        tx: tx.to_vec().into(),
        r#type: CheckTxType::New as i32,
    };
    match node
        .call(ConnKind::Mempool, request::Value::CheckTx(req))
        .await
    {
        Ok(response::Value::CheckTx(r)) => Ok(r),
        Ok(_) => Err(ConductorError::NodeDown(node.name.clone())),
        Err(e) => {
            shared.node_failed(idx, &e).await;
            Err(ConductorError::Abci(e.to_string()))
        }
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

    /// The max_tx_bytes CometBFT sent in the traces: 22019254 with one validator,
    /// 22019143 with two.
    #[test]
    fn max_data_bytes_matches_traces() {
        assert_eq!(max_data_bytes(22_020_096, 1), 22_019_254);
        assert_eq!(max_data_bytes(22_020_096, 2), 22_019_143);
    }

    #[test]
    fn extensions_enabled_from_the_enable_height_only() {
        let mut p = crate::genesis::default_consensus_params();
        assert!(!extensions_enabled(&p, 5));
        p.abci = Some(tendermint_proto::v0_38::types::AbciParams {
            vote_extensions_enable_height: 2,
        });
        assert!(!extensions_enabled(&p, 1));
        assert!(extensions_enabled(&p, 2));
    }
}
