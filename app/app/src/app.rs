//! [`DeliveryApp`]: the ABCI 2.0 application CometBFT drives.
//!
//! Connections and locking: CometBFT opens four connections. The consensus connection owns the
//! block in progress (`consensus` mutex); the mempool connection owns the CheckTx view
//! (`mempool` mutex), an overlay over the last committed version that Commit resets; the query
//! and snapshot connections read committed versions only. Committed versions are immutable, so
//! no connection can see another's uncommitted writes.
//!
//! Order inside FinalizeBlock (fixed, documented in docs/architecture.md):
//! 1. genesis writes (first block only);
//! 2. the extended commit of the previous block (`txs[0]`): verify, tally, resolve pending side
//!    transactions;
//! 3. user transactions in block order;
//! 4. bookkeeping: last block, validator-set pruning;
//! 5. the app hash of the resulting state (written by Commit).

use std::sync::{Arc, Mutex, MutexGuard};

use delivery_abci::{AppError, AppResult, Application};
use delivery_module::{BlockInfo, Event, ExecMode};
use delivery_store::{Changes, Prepared, Snapshot, StateDelta, StateRead, Storage};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci as pb;

use crate::genesis::{self, AppGenesis, LastBlock};
use crate::pipeline::{self, TxOutcome};
use crate::query;
use crate::side::{self, SideTxVerifier};
use crate::valset::{self, Validator, ValidatorSet};
use crate::vote_ext::{self, VoteExtension, MAX_SIDE_TXS_PER_BLOCK};

/// Consensus parameters the app needs that live in CometBFT's genesis, not in app state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusMeta {
    /// The chain's first height.
    pub initial_height: u64,
    /// The first height whose precommits carry vote extensions.
    pub vote_extensions_enable_height: u64,
}

const META_CONSENSUS: &[u8] = b"meta/consensus";

struct PendingCommit {
    prepared: Prepared,
    height: u64,
}

#[derive(Default)]
struct Consensus {
    meta: Option<ConsensusMeta>,
    /// InitChain's writes, kept until the first block commits them.
    genesis: Option<Changes>,
    /// FinalizeBlock's result, waiting for Commit.
    pending: Option<PendingCommit>,
}

struct Mempool {
    state: StateDelta<Snapshot>,
    block: BlockInfo,
}

/// The Delivery application.
pub struct DeliveryApp {
    storage: Storage,
    verifier: Arc<dyn SideTxVerifier>,
    consensus: Mutex<Consensus>,
    mempool: Mutex<Mempool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a thread panicked mid-update; the data is still the last consistent
    // value we wrote (every update is a whole assignment), so carry on.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fatal(context: &str, e: impl std::fmt::Display) -> AppError {
    AppError::from(format!("{context}: {e}"))
}

/// Converts module events to ABCI events.
pub fn to_abci_events(events: Vec<Event>) -> Vec<pb::Event> {
    events
        .into_iter()
        .map(|e| pb::Event {
            r#type: e.kind,
            attributes: e
                .attributes
                .into_iter()
                .map(|(key, value)| pb::EventAttribute {
                    key,
                    value,
                    index: true,
                })
                .collect(),
        })
        .collect()
}

fn block_info(
    chain_id: String,
    height: i64,
    time: Option<&tendermint_proto::google::protobuf::Timestamp>,
) -> BlockInfo {
    BlockInfo {
        chain_id,
        height: u64::try_from(height).unwrap_or(0),
        time_seconds: time.map(|t| t.seconds).unwrap_or(0),
        time_nanos: time.and_then(|t| u32::try_from(t.nanos).ok()).unwrap_or(0),
    }
}

impl DeliveryApp {
    /// Opens the app over a store. `verifier` decides this validator's side-tx votes.
    pub fn new(storage: Storage, verifier: Arc<dyn SideTxVerifier>) -> Result<Self, AppError> {
        let meta: Option<ConsensusMeta> = match storage
            .get_meta(META_CONSENSUS)
            .map_err(|e| fatal("reading consensus meta", e))?
        {
            None => None,
            Some(bytes) => Some(
                serde_json::from_slice(&bytes).map_err(|e| fatal("corrupt consensus meta", e))?,
            ),
        };
        let snapshot = storage.latest_snapshot();
        let (chain_id, height) = match storage.latest() {
            Some((h, _)) => (
                genesis::chain_id(&snapshot).map_err(|e| fatal("reading chain id", e))?,
                h,
            ),
            None => (String::new(), 0),
        };
        let mempool = Mempool {
            state: StateDelta::new(snapshot),
            block: BlockInfo {
                chain_id,
                height: height.saturating_add(1),
                time_seconds: 0,
                time_nanos: 0,
            },
        };
        Ok(Self {
            storage,
            verifier,
            consensus: Mutex::new(Consensus {
                meta,
                genesis: None,
                pending: None,
            }),
            mempool: Mutex::new(mempool),
        })
    }

    /// The store (for export and tools).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Exports the latest committed state as an `app_state`.
    pub fn export_genesis(&self) -> Result<(u64, AppGenesis), AppError> {
        let (height, _) = self
            .storage
            .latest()
            .ok_or_else(|| AppError::from("nothing committed yet"))?;
        let state =
            genesis::export(&self.storage.latest_snapshot()).map_err(|e| fatal("export", e))?;
        Ok((height, state))
    }

    /// A view of the latest state plus, before the first commit, the genesis writes.
    fn working_base(&self, consensus: &Consensus) -> StateDelta<Snapshot> {
        let mut delta = StateDelta::new(self.storage.latest_snapshot());
        if let Some(genesis) = &consensus.genesis {
            delta.apply(genesis.clone());
        }
        delta
    }

    /// What Prepare/Process/ExtendVote read: the consensus meta, a view of the state the block
    /// builds on, and the auth params in it.
    fn proposal_view(
        &self,
    ) -> AppResult<(ConsensusMeta, StateDelta<Snapshot>, delivery_auth::Params)> {
        let consensus = lock(&self.consensus);
        let meta = Self::meta(&consensus)?;
        let base = self.working_base(&consensus);
        drop(consensus);
        let params = delivery_auth::state::params(&base).map_err(|e| fatal("reading params", e))?;
        Ok((meta, base, params))
    }

    /// Whether block `height` must open with the extended commit of `height - 1`.
    fn expects_extended_commit(&self, meta: &ConsensusMeta, height: u64) -> bool {
        let not_first = self.storage.latest().is_some() && height > meta.initial_height;
        let previous = height.saturating_sub(1);
        not_first
            && meta.vote_extensions_enable_height > 0
            && previous >= meta.vote_extensions_enable_height
    }

    fn meta(consensus: &Consensus) -> AppResult<ConsensusMeta> {
        consensus
            .meta
            .ok_or_else(|| AppError::from("no consensus meta: InitChain has not run"))
    }

    /// Verifies `txs[0]` of block `height` as the extended commit of `height - 1`.
    fn verify_commit_tx<S: StateRead>(
        &self,
        state: &S,
        chain_id: &str,
        height: u64,
        tx: &[u8],
    ) -> Result<vote_ext::VerifiedCommit, String> {
        let commit = pb::ExtendedCommitInfo::decode(tx)
            .map_err(|e| format!("txs[0] is not an extended commit: {e}"))?;
        let previous = height.saturating_sub(1);
        let set = valset::at(state, previous)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no validator set for height {previous}"))?;
        let last = genesis::last_block(state)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "no record of the previous block".to_string())?;
        if last.height != previous {
            return Err(format!(
                "last executed block is {}, expected {previous}",
                last.height
            ));
        }
        let hash = hex::decode(&last.hash).map_err(|e| e.to_string())?;
        vote_ext::verify_extended_commit(
            &commit,
            &set,
            chain_id,
            i64::try_from(previous).unwrap_or(i64::MAX),
            &hash,
        )
        .map_err(|e| e.to_string())
    }
}

fn outcome_to_exec(outcome: TxOutcome) -> pb::ExecTxResult {
    let gas_wanted = i64::try_from(outcome.gas_wanted).unwrap_or(i64::MAX);
    match outcome.result {
        Ok(()) => pb::ExecTxResult {
            code: 0,
            gas_wanted,
            events: to_abci_events(outcome.events),
            ..Default::default()
        },
        Err(e) => pb::ExecTxResult {
            code: e.code,
            codespace: e.codespace.to_string(),
            log: e.log,
            gas_wanted,
            events: to_abci_events(outcome.events),
            ..Default::default()
        },
    }
}

impl Application for DeliveryApp {
    fn info(&self, _req: pb::RequestInfo) -> AppResult<pb::ResponseInfo> {
        let (height, hash) = match self.storage.latest() {
            Some((h, root)) => (i64::try_from(h).unwrap_or(i64::MAX), root.to_vec()),
            None => (0, Vec::new()),
        };
        Ok(pb::ResponseInfo {
            data: "deliveryd".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 0,
            last_block_height: height,
            last_block_app_hash: hash.into(),
        })
    }

    fn init_chain(&self, req: pb::RequestInitChain) -> AppResult<pb::ResponseInitChain> {
        let mut consensus = lock(&self.consensus);
        if self.storage.latest().is_some() {
            return Err(AppError::from(
                "InitChain on a store that already has committed blocks",
            ));
        }
        let app_genesis: AppGenesis = if req.app_state_bytes.is_empty() {
            AppGenesis::default()
        } else {
            serde_json::from_slice(&req.app_state_bytes)
                .map_err(|e| fatal("app_state in genesis.json", e))?
        };
        let ve_height = req
            .consensus_params
            .as_ref()
            .and_then(|p| p.abci.as_ref())
            .map(|a| a.vote_extensions_enable_height)
            .unwrap_or(0);
        if ve_height <= 0 {
            return Err(AppError::from(
                "consensus_params.abci.vote_extensions_enable_height must be > 0: Delivery needs vote extensions",
            ));
        }
        let initial_height = u64::try_from(req.initial_height.max(1)).unwrap_or(1);
        let mut validators = Vec::with_capacity(req.validators.len());
        for update in &req.validators {
            let key = match update.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
                Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(k))
                    if k.len() == 32 =>
                {
                    k.to_vec()
                }
                _ => {
                    return Err(AppError::from(
                        "every genesis validator needs a 32-byte ed25519 key",
                    ))
                }
            };
            if update.power <= 0 {
                return Err(AppError::from(
                    "every genesis validator needs a positive power",
                ));
            }
            validators.push(Validator {
                address: valset::address_of(&key),
                pub_key: key,
                power: update.power,
            });
        }
        validators.sort_by(|a, b| a.address.cmp(&b.address));
        let set = ValidatorSet { validators };

        let mut state = StateDelta::new(self.storage.latest_snapshot());
        genesis::init(
            &mut state,
            &app_genesis,
            &req.chain_id,
            initial_height,
            &set,
        )
        .map_err(|e| fatal("invalid genesis", e))?;
        let changes = state.into_changes();
        let root = self
            .storage
            .prepare(0, &changes)
            .map_err(|e| fatal("hashing genesis", e))?
            .root();
        consensus.meta = Some(ConsensusMeta {
            initial_height,
            vote_extensions_enable_height: u64::try_from(ve_height).unwrap_or(0),
        });
        consensus.genesis = Some(changes.clone());
        consensus.pending = None;
        drop(consensus);

        let mut mempool = lock(&self.mempool);
        let mut view = StateDelta::new(self.storage.latest_snapshot());
        view.apply(changes);
        mempool.state = view;
        mempool.block = BlockInfo {
            chain_id: req.chain_id.clone(),
            height: initial_height,
            time_seconds: 0,
            time_nanos: 0,
        };
        tracing::info!(chain_id = %req.chain_id, initial_height, app_hash = %hex::encode(root), "genesis initialised");
        Ok(pb::ResponseInitChain {
            consensus_params: None,
            validators: Vec::new(),
            app_hash: root.to_vec().into(),
        })
    }

    fn query(&self, req: pb::RequestQuery) -> AppResult<pb::ResponseQuery> {
        query::handle(&self.storage, req)
    }

    fn check_tx(&self, req: pb::RequestCheckTx) -> AppResult<pb::ResponseCheckTx> {
        let mut mempool = lock(&self.mempool);
        let mode = if req.r#type == pb::CheckTxType::Recheck as i32 {
            ExecMode::Recheck
        } else {
            ExecMode::Check
        };
        let block = mempool.block.clone();
        let params =
            delivery_auth::state::params(&mempool.state).map_err(|e| fatal("reading params", e))?;
        let outcome = pipeline::run_tx(&mut mempool.state, &block, mode, &params, &req.tx)
            .map_err(|e| fatal("CheckTx", e))?;
        let r = outcome_to_exec(outcome);
        Ok(pb::ResponseCheckTx {
            code: r.code,
            data: r.data,
            log: r.log,
            info: r.info,
            gas_wanted: r.gas_wanted,
            gas_used: r.gas_used,
            events: r.events,
            codespace: r.codespace,
        })
    }

    fn prepare_proposal(
        &self,
        req: pb::RequestPrepareProposal,
    ) -> AppResult<pb::ResponsePrepareProposal> {
        let (meta, _base, params) = self.proposal_view()?;
        let height = u64::try_from(req.height).unwrap_or(0);
        let mut budget = req.max_tx_bytes.max(0);
        let mut txs = Vec::with_capacity(req.txs.len().saturating_add(1));
        if self.expects_extended_commit(&meta, height) {
            let commit = req
                .local_last_commit
                .unwrap_or_else(|| pb::ExtendedCommitInfo {
                    round: 0,
                    votes: Vec::new(),
                })
                .encode_to_vec();
            budget = budget.saturating_sub(i64::try_from(commit.len()).unwrap_or(i64::MAX));
            txs.push(commit.into());
        }
        let mut side_count = 0usize;
        for tx in req.txs {
            let Ok(checked) = pipeline::check_stateless(&tx, &params) else {
                continue;
            };
            if checked.side_msg().is_some() {
                if side_count >= MAX_SIDE_TXS_PER_BLOCK {
                    continue;
                }
                side_count = side_count.saturating_add(1);
            }
            let size = i64::try_from(tx.len()).unwrap_or(i64::MAX);
            if size > budget {
                continue;
            }
            budget = budget.saturating_sub(size);
            txs.push(tx);
        }
        Ok(pb::ResponsePrepareProposal { txs })
    }

    fn process_proposal(
        &self,
        req: pb::RequestProcessProposal,
    ) -> AppResult<pb::ResponseProcessProposal> {
        let (meta, base, params) = self.proposal_view()?;
        let height = u64::try_from(req.height).unwrap_or(0);
        let reject = |why: String| {
            tracing::warn!(height, "rejecting proposal: {why}");
            Ok(pb::ResponseProcessProposal {
                status: pb::response_process_proposal::ProposalStatus::Reject as i32,
            })
        };
        let mut txs = req.txs.iter();
        if self.expects_extended_commit(&meta, height) {
            let Some(first) = txs.next() else {
                return reject("missing the extended commit in txs[0]".into());
            };
            let chain_id = genesis::chain_id(&base).map_err(|e| fatal("reading chain id", e))?;
            if let Err(why) = self.verify_commit_tx(&base, &chain_id, height, first) {
                return reject(why);
            }
            // The proposer must not disagree with CometBFT about who signed the last block.
            if let Ok(commit) = pb::ExtendedCommitInfo::decode(first.as_ref()) {
                let ours: std::collections::BTreeMap<Vec<u8>, (i64, i32)> = commit
                    .votes
                    .iter()
                    .filter_map(|v| {
                        v.validator
                            .as_ref()
                            .map(|val| (val.address.to_vec(), (val.power, v.block_id_flag)))
                    })
                    .collect();
                let theirs: std::collections::BTreeMap<Vec<u8>, (i64, i32)> = req
                    .proposed_last_commit
                    .iter()
                    .flat_map(|c| c.votes.iter())
                    .filter_map(|v| {
                        v.validator
                            .as_ref()
                            .map(|val| (val.address.to_vec(), (val.power, v.block_id_flag)))
                    })
                    .collect();
                if ours != theirs {
                    return reject(
                        "the extended commit does not match the block's last commit".into(),
                    );
                }
            }
        }
        let mut side_count = 0usize;
        for (i, tx) in txs.enumerate() {
            match pipeline::check_stateless(tx, &params) {
                Ok(checked) => {
                    if checked.side_msg().is_some() {
                        side_count = side_count.saturating_add(1);
                    }
                }
                Err(e) => return reject(format!("tx {i} is invalid: {e}")),
            }
        }
        if side_count > MAX_SIDE_TXS_PER_BLOCK {
            return reject(format!(
                "{side_count} side txs, at most {MAX_SIDE_TXS_PER_BLOCK}"
            ));
        }
        Ok(pb::ResponseProcessProposal {
            status: pb::response_process_proposal::ProposalStatus::Accept as i32,
        })
    }

    fn extend_vote(&self, req: pb::RequestExtendVote) -> AppResult<pb::ResponseExtendVote> {
        let (meta, _base, params) = self.proposal_view()?;
        let height = u64::try_from(req.height).unwrap_or(0);
        let skip = usize::from(self.expects_extended_commit(&meta, height));
        let mut votes = Vec::new();
        for tx in req.txs.iter().skip(skip) {
            let Ok(checked) = pipeline::check_stateless(tx, &params) else {
                continue;
            };
            if let Some(msg) = checked.side_msg() {
                let vote = self.verifier.vote(&checked.tx.hash, msg);
                votes.push(vote_ext::SideTxVote {
                    tx_hash: checked.tx.hash.to_vec(),
                    vote: vote_ext::vote_code(vote),
                });
                if votes.len() >= MAX_SIDE_TXS_PER_BLOCK {
                    break;
                }
            }
        }
        let ext = VoteExtension {
            version: vote_ext::VERSION,
            block_hash: req.hash.to_vec(),
            height: req.height,
            side_tx_votes: votes,
            checkpoint_signature: Vec::new(),
        };
        Ok(pb::ResponseExtendVote {
            vote_extension: ext.encode_to_vec().into(),
        })
    }

    fn verify_vote_extension(
        &self,
        req: pb::RequestVerifyVoteExtension,
    ) -> AppResult<pb::ResponseVerifyVoteExtension> {
        use pb::response_verify_vote_extension::VerifyStatus;
        let status = match vote_ext::check_format(&req.vote_extension, req.height, &req.hash) {
            Ok(_) => VerifyStatus::Accept,
            Err(e) => {
                tracing::warn!(height = req.height, validator = %hex::encode(&req.validator_address), "rejecting vote extension: {e}");
                VerifyStatus::Reject
            }
        };
        Ok(pb::ResponseVerifyVoteExtension {
            status: status as i32,
        })
    }

    fn finalize_block(
        &self,
        req: pb::RequestFinalizeBlock,
    ) -> AppResult<pb::ResponseFinalizeBlock> {
        let mut consensus = lock(&self.consensus);
        let meta = Self::meta(&consensus)?;
        let height = u64::try_from(req.height).map_err(|_| AppError::from("negative height"))?;
        let expected = match self.storage.latest() {
            Some((h, _)) => h.saturating_add(1),
            None if consensus.genesis.is_some() => meta.initial_height,
            None => return Err(AppError::from("FinalizeBlock before InitChain")),
        };
        if height != expected {
            return Err(AppError::from(format!(
                "FinalizeBlock for height {height}, expected {expected}"
            )));
        }
        let mut state = self.working_base(&consensus);
        let chain_id = genesis::chain_id(&state).map_err(|e| fatal("reading chain id", e))?;
        let block = block_info(chain_id.clone(), req.height, req.time.as_ref());
        let mut block_events = Vec::new();
        let mut tx_results = Vec::with_capacity(req.txs.len());
        let mut txs = req.txs.iter();

        // Side transactions of the previous block: tally the votes in its extended commit.
        let mut passed = std::collections::BTreeSet::new();
        if self.expects_extended_commit(&meta, height) {
            if let Some(first) = txs.next() {
                match self.verify_commit_tx(&state, &chain_id, height, first) {
                    Ok(verified) => {
                        let pending: Vec<Vec<u8>> = side::pending(&state)
                            .map_err(|e| fatal("reading pending side txs", e))?
                            .into_iter()
                            .map(|p| p.tx_hash)
                            .collect();
                        passed = vote_ext::tally(&verified, &pending);
                        tx_results.push(pb::ExecTxResult {
                            code: 0,
                            info: "extended commit".into(),
                            ..Default::default()
                        });
                    }
                    Err(why) => tx_results.push(pb::ExecTxResult {
                        code: 1,
                        codespace: "app".into(),
                        log: format!("invalid extended commit, no side tx passes: {why}"),
                        ..Default::default()
                    }),
                }
            }
        }
        block_events
            .extend(side::resolve(&mut state, &block, &passed).map_err(|e| fatal("side txs", e))?);

        let params =
            delivery_auth::state::params(&state).map_err(|e| fatal("reading params", e))?;
        for tx in txs {
            let outcome = pipeline::run_tx(&mut state, &block, ExecMode::Deliver, &params, tx)
                .map_err(|e| fatal("FinalizeBlock", e))?;
            tx_results.push(outcome_to_exec(outcome));
        }

        genesis::set_last_block(
            &mut state,
            &LastBlock {
                height,
                hash: hex::encode(&req.hash),
            },
        )
        .map_err(|e| fatal("recording the block", e))?;
        // The extended commit of block `height` (checked in `height + 1`) needs the set of
        // `height`; older sets can go.
        valset::prune_before(&mut state, height).map_err(|e| fatal("pruning validator sets", e))?;

        let changes = state.into_changes();
        let prepared = self
            .storage
            .prepare(height, &changes)
            .map_err(|e| fatal("hashing state", e))?;
        let app_hash = prepared.root().to_vec();
        consensus.pending = Some(PendingCommit { prepared, height });
        Ok(pb::ResponseFinalizeBlock {
            events: to_abci_events(block_events),
            tx_results,
            validator_updates: Vec::new(),
            consensus_param_updates: None,
            app_hash: app_hash.into(),
        })
    }

    fn commit(&self, _req: pb::RequestCommit) -> AppResult<pb::ResponseCommit> {
        let mut consensus = lock(&self.consensus);
        let meta = Self::meta(&consensus)?;
        let pending = consensus
            .pending
            .take()
            .ok_or_else(|| AppError::from("Commit without FinalizeBlock"))?;
        let meta_bytes = serde_json::to_vec(&meta).map_err(|e| fatal("encoding meta", e))?;
        self.storage
            .commit(
                pending.prepared,
                vec![(META_CONSENSUS.to_vec(), meta_bytes)],
            )
            .map_err(|e| fatal("committing the block", e))?;
        consensus.genesis = None;
        let chain_id = genesis::chain_id(&self.storage.latest_snapshot())
            .map_err(|e| fatal("reading chain id", e))?;
        drop(consensus);
        let mut mempool = lock(&self.mempool);
        mempool.state = StateDelta::new(self.storage.latest_snapshot());
        mempool.block = BlockInfo {
            chain_id,
            height: pending.height.saturating_add(1),
            time_seconds: mempool.block.time_seconds,
            time_nanos: mempool.block.time_nanos,
        };
        Ok(pb::ResponseCommit { retain_height: 0 })
    }
}
