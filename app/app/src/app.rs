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
//! 3. the BTTC payload tx, if any (right after the extended commit): checked against Delivery
//!    state (chain, span schedule), then executed by the engine;
//! 4. user transactions in block order;
//! 5. the span module's end of block (failover clock, next span; producers from staking's
//!    active validators once staking has any), the BTTC block record, the staking module's end
//!    of block (its validator updates are the response's `validator_updates`, recorded as the
//!    set in force from `height + 2`);
//! 6. bookkeeping: last block, validator-set pruning;
//! 7. the app hash of the resulting state (written by Commit); after Commit the engine's
//!    forkchoice moves to the new BTTC block.
//!
//! The engine is optional: without one ([`DeliveryApp::new`] alone) payload and raw EVM txs are
//! refused in CheckTx and ProcessProposal. State changes never depend on whether an engine is
//! attached: a payload's record is decided by Delivery's own checks, which every node repeats.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bttc_engine_api::{Engine, EngineError, ForkchoiceState, PayloadStatus, TxCheck, H256};

use delivery_abci::{AppError, AppResult, Application};
use delivery_module::{BlockInfo, Event, ExecMode};
use delivery_store::{Changes, Prepared, Snapshot, StateDelta, StateRead, Storage};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci as pb;

use crate::chain::{self, CheckError, CheckedPayload, PayloadError, TxKind};
use crate::checkpoints;
use crate::genesis::{self, AppGenesis, LastBlock};
use crate::param_space::AppParamSpace;
use crate::pipeline::{self, TxOutcome};
use crate::query;
use crate::side::{self, SideTxVerifier};
use crate::upgrade;
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
/// The height and time of the last committed block ([`CommittedBlockTime`]), written by Commit.
const META_LAST_BLOCK_TIME: &[u8] = b"meta/last_block_time";

/// The time of the last committed block, as Commit records it beside the state (store meta,
/// outside the app hash): what `deliveryd export` gives a genesis restarting from that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedBlockTime {
    /// The block's height.
    pub height: u64,
    /// Its header time, in whole seconds since the Unix epoch (the precision the app keeps).
    pub time_seconds: u64,
}

struct PendingCommit {
    prepared: Prepared,
    height: u64,
    /// The BTTC block this Delivery block finalized: the engine's new head after Commit.
    bttc_head: Option<H256>,
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
    engine: Option<Arc<dyn Engine>>,
    /// The engine's pooled tx hashes, fetched once at the first recheck after a Commit
    /// (`None` until then): CometBFT rechecks every mempool tx after each block, and a tx the
    /// engine still pools is answered from this list instead of a round trip per tx.
    evm_pool_view: Mutex<Option<std::collections::BTreeSet<[u8; 32]>>>,
    /// Block time (seconds) of the last finalized Delivery block.
    last_block_time: AtomicU64,
    /// The validator's signer key: signs checkpoints in its vote extensions (`None`: signs
    /// none, e.g. a full node or a test).
    signer_key: Option<delivery_module::SecretKey>,
    /// The governance upgrade plans this binary runs, by name
    /// ([`upgrade::KNOWN_UPGRADES`] unless the binary says otherwise).
    known_upgrades: Vec<&'static str>,
    /// Where to write a plan this binary halts for (`None`: the log only).
    upgrade_info_file: Option<std::path::PathBuf>,
    /// The height this app last halted at for an upgrade plan (0: none): a retry of that
    /// height halts again without logging the plan again.
    halted_at: AtomicU64,
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
        // The last block's time, as Commit recorded it: CheckTx and the producer read it before
        // the first block after a restart (0 for a store that never recorded one).
        let last_time = storage
            .get_meta(META_LAST_BLOCK_TIME)
            .map_err(|e| fatal("reading the last block time", e))?
            .and_then(|bytes| serde_json::from_slice::<CommittedBlockTime>(&bytes).ok())
            .filter(|t| t.height == height)
            .map_or(0, |t| t.time_seconds);
        let mempool = Mempool {
            state: StateDelta::new(snapshot),
            block: BlockInfo {
                chain_id,
                height: height.saturating_add(1),
                time_seconds: i64::try_from(last_time).unwrap_or(i64::MAX),
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
            engine: None,
            evm_pool_view: Mutex::new(None),
            last_block_time: AtomicU64::new(last_time),
            signer_key: None,
            known_upgrades: upgrade::KNOWN_UPGRADES.to_vec(),
            upgrade_info_file: None,
            halted_at: AtomicU64::new(0),
        })
    }

    /// Gives the app this validator's signer key, with which it signs the checkpoints waiting
    /// for signatures in its vote extensions.
    #[must_use]
    pub fn with_signer_key(mut self, key: delivery_module::SecretKey) -> Self {
        self.signer_key = Some(key);
        self
    }

    /// The upgrade plans this binary runs, replacing [`upgrade::KNOWN_UPGRADES`]: a binary
    /// built for a plan passes the release's list.
    #[must_use]
    pub fn with_known_upgrades(mut self, names: Vec<&'static str>) -> Self {
        self.known_upgrades = names;
        self
    }

    /// The upgrade plans this app runs.
    pub fn known_upgrades(&self) -> &[&'static str] {
        &self.known_upgrades
    }

    /// When a plan this binary does not know comes due, also write it to `path` (Cosmovisor's
    /// `data/upgrade-info.json`) before halting.
    #[must_use]
    pub fn with_upgrade_info_file(mut self, path: std::path::PathBuf) -> Self {
        self.upgrade_info_file = Some(path);
        self
    }

    /// Attaches the BTTC engine (in-process or over the engine API) this node validates and
    /// follows BTTC blocks with.
    #[must_use]
    pub fn with_engine(mut self, engine: Arc<dyn Engine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The attached engine.
    pub fn engine(&self) -> Option<&Arc<dyn Engine>> {
        self.engine.as_ref()
    }

    /// Block time (seconds) of the last finalized Delivery block (0 before the first).
    pub fn last_block_time(&self) -> u64 {
        self.last_block_time.load(Ordering::Relaxed)
    }

    /// The height and time of the last committed block (`None`: nothing committed yet, or
    /// committed by a build that did not record it).
    pub fn committed_block_time(&self) -> Result<Option<CommittedBlockTime>, AppError> {
        self.storage
            .get_meta(META_LAST_BLOCK_TIME)
            .map_err(|e| fatal("reading the last block time", e))?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| fatal("corrupt last block time", e))
            })
            .transpose()
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

/// CometBFT validator updates (ed25519 keys) for these validators.
fn validator_updates(validators: &[Validator]) -> Vec<pb::ValidatorUpdate> {
    validators
        .iter()
        .map(|v| pb::ValidatorUpdate {
            pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey {
                sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(
                    v.pub_key.clone(),
                )),
            }),
            power: v.power,
        })
        .collect()
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
        // With validators in staking, its set replaces CometBFT's genesis validators (an empty
        // list keeps them).
        let staking_set = genesis::staking_validator_set(&state)
            .map_err(|e| fatal("reading the staking validators", e))?;
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
        drop(mempool);
        let validators =
            staking_set.map_or_else(Vec::new, |set| validator_updates(&set.validators));
        tracing::info!(chain_id = %req.chain_id, initial_height, app_hash = %hex::encode(root), "genesis initialised");
        Ok(pb::ResponseInitChain {
            consensus_params: None,
            validators,
            app_hash: root.to_vec().into(),
        })
    }

    fn query(&self, req: pb::RequestQuery) -> AppResult<pb::ResponseQuery> {
        query::handle(&self.storage, req)
    }

    fn check_tx(&self, req: pb::RequestCheckTx) -> AppResult<pb::ResponseCheckTx> {
        match chain::classify(&req.tx) {
            TxKind::Cosmos => {}
            TxKind::Payload => return self.check_payload_tx(&req.tx),
            TxKind::Evm => {
                let recheck = req.r#type == pb::CheckTxType::Recheck as i32;
                return self.check_evm_tx(&req.tx, recheck);
            }
        }
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
        drop(mempool);
        let r = outcome_to_exec(outcome);
        // A side message entering the mempool: its root-chain check can start now.
        if r.code == 0 && mode == ExecMode::Check {
            if let Ok(checked) = pipeline::check_stateless(&req.tx, &params) {
                if let Some(msg) = checked.side_msg() {
                    self.verifier.prepare(&checked.tx.hash, msg);
                }
            }
        }
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

    fn check_tx_batch(&self, reqs: Vec<pb::RequestCheckTx>) -> AppResult<Vec<pb::ResponseCheckTx>> {
        self.check_batch(reqs)
    }

    fn prepare_proposal(
        &self,
        req: pb::RequestPrepareProposal,
    ) -> AppResult<pb::ResponsePrepareProposal> {
        let (meta, base, params) = self.proposal_view()?;
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
        let time = req
            .time
            .as_ref()
            .map_or(0, |t| u64::try_from(t.seconds).unwrap_or(0));
        if let Some(payload_tx) = self.pick_payload(&base, &req.txs, height, time)? {
            let size = i64::try_from(payload_tx.len()).unwrap_or(i64::MAX);
            if size <= budget {
                budget = budget.saturating_sub(size);
                txs.push(payload_tx);
            }
        }
        let mut side_count = 0usize;
        for tx in req.txs {
            // Payloads: only the one picked above. Raw EVM txs live in the engine's pool.
            if chain::classify(&tx) != TxKind::Cosmos {
                continue;
            }
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
        let time = req
            .time
            .as_ref()
            .map_or(0, |t| u64::try_from(t.seconds).unwrap_or(0));
        let mut side_count = 0usize;
        for (i, tx) in txs.enumerate() {
            match chain::classify(tx) {
                TxKind::Cosmos => {}
                TxKind::Evm => {
                    return reject(format!(
                        "tx {i} is a raw EVM transaction; those go into BTTC blocks only"
                    ))
                }
                TxKind::Payload if i > 0 => {
                    return reject(format!(
                        "tx {i} is a BTTC payload; one is allowed, right after the extended commit"
                    ))
                }
                TxKind::Payload => match self.validate_payload(&base, tx, height, time)? {
                    Ok(_) => continue,
                    Err(why) => return reject(format!("BTTC payload: {why}")),
                },
            }
            match pipeline::check_stateless(tx, &params) {
                Ok(checked) => {
                    if let Some(msg) = checked.side_msg() {
                        side_count = side_count.saturating_add(1);
                        self.verifier.prepare(&checked.tx.hash, msg);
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
        let (meta, base, params) = self.proposal_view()?;
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
            checkpoint_votes: match &self.signer_key {
                Some(key) => checkpoints::votes_for(&base, key)
                    .map_err(|e| fatal("signing checkpoints", e))?,
                None => Vec::new(),
            },
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
        let checked = vote_ext::check_format(&req.vote_extension, req.height, &req.hash)
            .map_err(|e| e.to_string());
        let checked = match checked {
            Ok(ext) if !ext.checkpoint_votes.is_empty() => {
                let (_, base, _) = self.proposal_view()?;
                checkpoints::verify_votes(&base, &req.validator_address, &ext.checkpoint_votes)
                    .map_err(|e| fatal("checking checkpoint signatures", e))?
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        let status = match checked {
            Ok(()) => VerifyStatus::Accept,
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
        // A governance upgrade plan due now: this binary runs it if it knows it, else halts
        // before executing anything (the node stops at this height, naming the plan).
        let started = upgrade::at_block_start_recording(
            &mut state,
            &block,
            &self.known_upgrades,
            self.upgrade_info_file.as_deref(),
            self.halted_at.load(Ordering::Relaxed) != height,
        );
        if started.is_err() {
            self.halted_at.store(height, Ordering::Relaxed);
        }
        block_events.extend(started?);
        let mut tx_results = Vec::with_capacity(req.txs.len());
        let mut txs = req.txs.iter();

        // Side transactions of the previous block: tally the votes in its extended commit.
        let mut passed = std::collections::BTreeSet::new();
        let mut checkpoint_votes = None;
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
                        // The signer map (read before this block's changes) only when some
                        // extension signs a checkpoint: most blocks carry none.
                        if verified
                            .votes
                            .iter()
                            .any(|(_, _, ext)| !ext.checkpoint_votes.is_empty())
                        {
                            let signers = checkpoints::signers_by_address(&state)
                                .map_err(|e| fatal("reading the validators' signers", e))?;
                            checkpoint_votes = Some((verified, signers));
                        }
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
        // The payload's verdict is taken on the state the block builds on, before this block's
        // side txs apply (they may add state-sync records): the same state ProcessProposal and
        // the producer read, so all three agree on the records due.
        let time = block.time_seconds.max(0).unsigned_abs();
        let txs: Vec<&prost::bytes::Bytes> = txs.collect();
        let mut payload_verdict = match txs.first() {
            Some(tx) if chain::classify(tx) == TxKind::Payload => {
                Some(self.finalize_payload(&state, tx, height, time)?)
            }
            _ => None,
        };
        block_events
            .extend(side::resolve(&mut state, &block, &passed).map_err(|e| fatal("side txs", e))?);

        let params =
            delivery_auth::state::params(&state).map_err(|e| fatal("reading params", e))?;
        let mut finalized: Option<CheckedPayload> = None;
        for (i, tx) in txs.into_iter().enumerate() {
            match chain::classify(tx) {
                TxKind::Cosmos => {
                    let outcome =
                        pipeline::run_tx(&mut state, &block, ExecMode::Deliver, &params, tx)
                            .map_err(|e| fatal("FinalizeBlock", e))?;
                    tx_results.push(outcome_to_exec(outcome));
                }
                TxKind::Evm => tx_results.push(bttc_failure(
                    1,
                    "raw EVM transactions are not executed in Delivery blocks".into(),
                )),
                TxKind::Payload if i > 0 || finalized.is_some() => tx_results.push(bttc_failure(
                    PayloadError::Sequence(String::new()).code(),
                    "a BTTC payload is only valid right after the extended commit".into(),
                )),
                TxKind::Payload => match payload_verdict
                    .take()
                    .ok_or_else(|| AppError::from("the first tx's payload verdict was not taken"))?
                {
                    Ok(checked) => {
                        tx_results.push(pb::ExecTxResult {
                            code: 0,
                            info: format!("bttc block {}", checked.block.number),
                            events: to_abci_events(vec![Event::new("bttc.block")
                                .attr("number", checked.block.number.to_string())
                                .attr("hash", checked.block.hash.to_string())
                                .attr("producer", checked.producer.to_string())]),
                            ..Default::default()
                        });
                        finalized = Some(checked);
                    }
                    Err(e) => tx_results.push(bttc_failure(e.code(), e.to_string())),
                },
            }
        }
        // Checkpoint signatures of the extended commit, after this block's acks and no-acks.
        if let Some((verified, signers)) = &checkpoint_votes {
            let mut ctx = delivery_module::Context::new(&block, ExecMode::Deliver);
            block_events.extend(
                checkpoints::add_from_commit(&mut state, &mut ctx, verified, signers)
                    .map_err(|e| fatal("adding checkpoint signatures", e))?,
            );
        }
        let validators = span_validators(&state)?;
        let span_events = delivery_span::end_block(
            &mut state,
            &delivery_span::BlockInput {
                delivery_height: height,
                delivery_block_hash: &req.hash,
                bttc_block: finalized.as_ref().map(|c| delivery_span::types::BttcBlock {
                    height: c.block.number,
                    producer: c.producer,
                }),
                validators: &validators,
            },
        )
        .map_err(|e| fatal("span end of block", e))?;
        block_events.extend(span_events);
        let bttc_head = match &finalized {
            Some(c) => {
                chain::record(&mut state, &c.block)
                    .map_err(|e| fatal("recording the BTTC block", e))?;
                if let Some(id) = c.last_state_id {
                    chain::set_last_state_id(&mut state, id);
                }
                Some(c.block.hash)
            }
            None => None,
        };
        // Governance before staking: proposals whose voting period ends at this height are
        // tallied with the set active during it, and a param change made here is read by the
        // end blocks from the next height.
        let mut ctx = delivery_module::Context::new(&block, ExecMode::Deliver);
        let voters =
            crate::router::gov_voters(&state).map_err(|e| fatal("reading gov voters", e))?;
        delivery_gov::end_block(&mut state, &mut ctx, &voters, &AppParamSpace)
            .map_err(|e| fatal("gov end of block", e))?;
        block_events.extend(ctx.take_events());
        // Staking last: the epoch clock and the validator-set changes of this block's side
        // txs, handed to CometBFT (in force from `height + 2`, as the app records them).
        let updates = delivery_staking::end_block(&mut state, &mut ctx).map_err(|e| match e {
            delivery_staking::StakingError::Store(e) => fatal("staking end of block", e),
            other => fatal(
                "staking end of block broke an invariant (halting rather than diverging)",
                other,
            ),
        })?;
        block_events.extend(ctx.take_events());
        // Checkpoints: the next one of each root chain, once enough BTTC blocks are final.
        block_events.extend(
            checkpoints::end_block(&mut state, &mut ctx)
                .map_err(|e| fatal("checkpoint end of block", e))?,
        );
        let updates = valset::from_power_updates(&updates);
        valset::record_updates(&mut state, height, &updates)
            .map_err(|e| fatal("recording validator updates", e))?;
        self.last_block_time.store(time, Ordering::Relaxed);

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
        consensus.pending = Some(PendingCommit {
            prepared,
            height,
            bttc_head,
        });
        Ok(pb::ResponseFinalizeBlock {
            events: to_abci_events(block_events),
            tx_results,
            validator_updates: validator_updates(&updates),
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
        let time_bytes = serde_json::to_vec(&CommittedBlockTime {
            height: pending.height,
            time_seconds: self.last_block_time(),
        })
        .map_err(|e| fatal("encoding the block time", e))?;
        self.storage
            .commit(
                pending.prepared,
                vec![
                    (META_CONSENSUS.to_vec(), meta_bytes),
                    (META_LAST_BLOCK_TIME.to_vec(), time_bytes),
                ],
            )
            .map_err(|e| fatal("committing the block", e))?;
        consensus.genesis = None;
        let chain_id = genesis::chain_id(&self.storage.latest_snapshot())
            .map_err(|e| fatal("reading chain id", e))?;
        drop(consensus);
        let mut mempool = lock(&self.mempool);
        mempool.state = StateDelta::new(self.storage.latest_snapshot());
        // CheckTx runs against the committed block's time (a no-ack's buffer-time check).
        mempool.block = BlockInfo {
            chain_id,
            height: pending.height.saturating_add(1),
            time_seconds: i64::try_from(self.last_block_time()).unwrap_or(i64::MAX),
            time_nanos: 0,
        };
        drop(mempool);
        if let (Some(engine), Some(hash)) = (&self.engine, pending.bttc_head) {
            match engine.forkchoice_updated(ForkchoiceState::finalized(hash), None) {
                Ok(r) if r.payload_status.is_valid() => {}
                Ok(r) => tracing::warn!(
                    bttc_block = %hash,
                    status = ?r.payload_status,
                    "the engine did not take the finalized BTTC block as its head; it will catch up"
                ),
                Err(e) => tracing::error!(
                    bttc_block = %hash,
                    "engine forkchoice update failed: {e}; it will catch up"
                ),
            }
        }
        // The engine's pool changed with the block: the next recheck takes a fresh view.
        *lock(&self.evm_pool_view) = None;
        Ok(pb::ResponseCommit { retain_height: 0 })
    }
}

/// The producer pool for the span module: staking's active validators once staking has any
/// (it is then the source of truth), otherwise the span genesis list.
pub(crate) fn span_validators<S: StateRead>(
    state: &S,
) -> AppResult<Vec<delivery_span::SpanValidator>> {
    let active = delivery_staking::active_validators(state)
        .map_err(|e| fatal("reading the staking validators", e))?;
    if active.is_empty() {
        return delivery_span::state::validators(state)
            .map_err(|e| fatal("reading span validators", e));
    }
    active
        .into_iter()
        .map(|v| {
            Ok(delivery_span::SpanValidator {
                id: v.id,
                signer: v.signer,
                power: u64::try_from(v.power).map_err(|_| {
                    AppError::from(format!(
                        "staking validator {} has power {}, expected > 0",
                        v.id, v.power
                    ))
                })?,
            })
        })
        .collect()
}

fn bttc_failure(code: u32, log: String) -> pb::ExecTxResult {
    pb::ExecTxResult {
        code,
        codespace: "bttc".into(),
        log,
        ..Default::default()
    }
}

/// Payload and EVM handling: what the ABCI methods above call for those tx kinds.
impl DeliveryApp {
    /// Decodes a payload tx and runs Delivery's checks on it (no engine involved).
    fn decode_and_check<S: StateRead>(
        state: &S,
        tx: &[u8],
        delivery_height: u64,
        delivery_time: u64,
    ) -> AppResult<Result<(bttc_engine_api::ExecutablePayload, CheckedPayload), PayloadError>> {
        let payload = match chain::decode_payload_tx(tx) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        match chain::check_payload(state, &payload, delivery_height, delivery_time) {
            Ok(checked) => Ok(Ok((payload, checked))),
            Err(CheckError::Rejected(e)) => Ok(Err(e)),
            Err(CheckError::Store(e)) => Err(fatal("checking a payload", e)),
        }
    }

    /// Delivery's checks of a payload tx plus, with an engine, its execution. `Ok(Err(_))` is a
    /// verdict; `Err(_)` a storage or engine failure.
    fn validate_payload<S: StateRead>(
        &self,
        state: &S,
        tx: &[u8],
        delivery_height: u64,
        delivery_time: u64,
    ) -> AppResult<Result<CheckedPayload, PayloadError>> {
        let (payload, checked) =
            match Self::decode_and_check(state, tx, delivery_height, delivery_time)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
        let Some(engine) = &self.engine else {
            return Ok(Err(PayloadError::Engine(
                "this node has no engine to execute BTTC blocks".into(),
            )));
        };
        match engine.new_payload(payload) {
            Ok(PayloadStatus::Valid { .. }) => Ok(Ok(checked)),
            Ok(PayloadStatus::Invalid {
                validation_error, ..
            }) => Ok(Err(PayloadError::Engine(validation_error))),
            Ok(other) => Ok(Err(PayloadError::Engine(format!(
                "engine status {other:?} (is it behind Delivery?)"
            )))),
            Err(e) => Ok(Err(PayloadError::Engine(e.to_string()))),
        }
    }

    /// FinalizeBlock's handling of the payload tx: the state-relevant verdict comes from
    /// Delivery's checks alone (every node repeats them, engine or not); the engine then
    /// executes the block, and a disagreement is logged loudly, never turned into a different
    /// Delivery state.
    fn finalize_payload<S: StateRead>(
        &self,
        state: &S,
        tx: &[u8],
        delivery_height: u64,
        delivery_time: u64,
    ) -> AppResult<Result<CheckedPayload, PayloadError>> {
        let (payload, checked) =
            match Self::decode_and_check(state, tx, delivery_height, delivery_time)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
        if let Some(engine) = &self.engine {
            let number = payload.block_number;
            match engine.new_payload(payload) {
                Ok(PayloadStatus::Valid { .. }) => {}
                Ok(PayloadStatus::Invalid {
                    validation_error, ..
                }) => tracing::error!(
                    bttc_block = number,
                    "Delivery finalized a BTTC block this node's engine finds INVALID: \
                     {validation_error}; this engine has diverged from the network"
                ),
                Ok(other) => tracing::warn!(
                    bttc_block = number,
                    "engine is behind ({other:?}); it will catch up from Delivery's blocks"
                ),
                Err(e) => tracing::error!(bttc_block = number, "engine failure: {e}"),
            }
        }
        Ok(Ok(checked))
    }

    /// Picks the payload for a proposal: among the mempool's payload txs, the valid one sealed
    /// by the producer earliest in the eligibility order.
    fn pick_payload<S: StateRead>(
        &self,
        state: &S,
        txs: &[prost::bytes::Bytes],
        delivery_height: u64,
        delivery_time: u64,
    ) -> AppResult<Option<prost::bytes::Bytes>> {
        let candidates: Vec<&prost::bytes::Bytes> = txs
            .iter()
            .filter(|t| chain::classify(t) == TxKind::Payload)
            .collect();
        if candidates.is_empty() || self.engine.is_none() {
            return Ok(None);
        }
        let Ok(next) = delivery_span::next_bttc_height(state) else {
            return Ok(None);
        };
        let eligible = match delivery_span::eligible_producers(state, next, delivery_height) {
            Ok(e) => e,
            Err(delivery_span::SpanError::Store(e)) => {
                return Err(fatal("reading the schedule", e))
            }
            Err(_) => return Ok(None),
        };
        let mut best: Option<(usize, prost::bytes::Bytes)> = None;
        for tx in candidates {
            match self.validate_payload(state, tx, delivery_height, delivery_time)? {
                Ok(checked) => {
                    let rank = eligible
                        .iter()
                        .position(|a| *a == checked.producer)
                        .unwrap_or(usize::MAX);
                    if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                        best = Some((rank, tx.clone()));
                    }
                }
                Err(why) => tracing::debug!("not proposing a payload: {why}"),
            }
        }
        Ok(best.map(|(_, tx)| tx))
    }

    fn check_payload_tx(&self, tx: &[u8]) -> AppResult<pb::ResponseCheckTx> {
        let mempool = lock(&self.mempool);
        let refuse = |e: PayloadError| pb::ResponseCheckTx {
            code: e.code(),
            codespace: "bttc".into(),
            log: e.to_string(),
            ..Default::default()
        };
        // The Delivery time of the block it will land in is unknown here: no upper bound.
        Ok(
            match Self::decode_and_check(&mempool.state, tx, mempool.block.height, u64::MAX)? {
                Ok(_) => pb::ResponseCheckTx {
                    code: 0,
                    ..Default::default()
                },
                Err(e) => refuse(e),
            },
        )
    }

    /// Whether the engine still pools `tx`, from the view taken at the first recheck after
    /// Commit. `None` when the view cannot be had (the caller falls back to a full check).
    fn still_pooled(&self, engine: &dyn Engine, tx: &[u8]) -> Option<bool> {
        let mut view = lock(&self.evm_pool_view);
        if view.is_none() {
            match engine.pooled_hashes() {
                Ok(hashes) => *view = Some(hashes.into_iter().map(|h| h.0).collect()),
                Err(e) => {
                    tracing::debug!("engine pool view unavailable, rechecking tx by tx: {e}");
                    return None;
                }
            }
        }
        let hash: [u8; 32] = <sha3::Keccak256 as sha3::Digest>::digest(tx).into();
        view.as_ref().map(|v| v.contains(&hash))
    }

    fn check_evm_tx(&self, tx: &[u8], recheck: bool) -> AppResult<pb::ResponseCheckTx> {
        let Some(engine) = &self.engine else {
            return Ok(no_engine());
        };
        if let Some(r) = self.recheck_from_view(engine.as_ref(), tx, recheck) {
            return Ok(r);
        }
        Ok(evm_verdict(engine.check_tx(tx)))
    }

    /// Recheck: a tx the engine still pools stays (CometBFT keeps the gas it was admitted
    /// with); `None` for anything else, which gets the full check (it re-pools the tx or says
    /// why not).
    fn recheck_from_view(
        &self,
        engine: &dyn Engine,
        tx: &[u8],
        recheck: bool,
    ) -> Option<pb::ResponseCheckTx> {
        (recheck && self.still_pooled(engine, tx) == Some(true)).then(|| pb::ResponseCheckTx {
            code: 0,
            info: "evm tx still pooled by the engine".into(),
            ..Default::default()
        })
    }

    /// Pipelined CheckTx requests: Delivery txs are checked one by one in order, EVM txs in
    /// one engine call (`bttc_checkTxs`) instead of a round trip each. EVM and Delivery txs
    /// touch different state, so the answers are those of checking each in turn.
    fn check_batch(&self, reqs: Vec<pb::RequestCheckTx>) -> AppResult<Vec<pb::ResponseCheckTx>> {
        let mut out: Vec<Option<pb::ResponseCheckTx>> = (0..reqs.len()).map(|_| None).collect();
        let mut evm: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, req) in reqs.into_iter().enumerate() {
            let recheck = req.r#type == pb::CheckTxType::Recheck as i32;
            let answer = match (chain::classify(&req.tx), &self.engine) {
                (TxKind::Evm, None) => Some(no_engine()),
                (TxKind::Evm, Some(engine)) => {
                    let quick = self.recheck_from_view(engine.as_ref(), &req.tx, recheck);
                    if quick.is_none() {
                        evm.push((i, req.tx.to_vec()));
                    }
                    quick
                }
                _ => Some(self.check_tx(req)?),
            };
            if let (Some(a), Some(slot)) = (answer, out.get_mut(i)) {
                *slot = Some(a);
            }
        }
        if let (false, Some(engine)) = (evm.is_empty(), &self.engine) {
            let (idx, raws): (Vec<usize>, Vec<Vec<u8>>) = evm.into_iter().unzip();
            let verdicts = engine.check_txs(&raws).and_then(|v| {
                if v.len() == raws.len() {
                    Ok(v)
                } else {
                    Err(EngineError::Internal(format!(
                        "the engine answered {} of {} txs",
                        v.len(),
                        raws.len()
                    )))
                }
            });
            let answers: Vec<pb::ResponseCheckTx> = match verdicts {
                Ok(v) => v.into_iter().map(|v| evm_verdict(Ok(v))).collect(),
                Err(e) => idx.iter().map(|_| evm_verdict(Err(e.clone()))).collect(),
            };
            for (i, answer) in idx.into_iter().zip(answers) {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(answer);
                }
            }
        }
        out.into_iter()
            .map(|r| r.ok_or_else(|| AppError::from("CheckTx batch: a request got no answer")))
            .collect()
    }
}

fn no_engine() -> pb::ResponseCheckTx {
    pb::ResponseCheckTx {
        code: 1,
        codespace: "evm".into(),
        log: "this node has no engine to check EVM transactions".into(),
        ..Default::default()
    }
}

/// The CheckTx answer for the engine's verdict on an EVM tx.
fn evm_verdict(verdict: Result<TxCheck, EngineError>) -> pb::ResponseCheckTx {
    match verdict {
        Ok(TxCheck::Accepted(a)) => pb::ResponseCheckTx {
            code: 0,
            info: format!("evm tx {} from {} nonce {}", a.hash, a.sender, a.nonce),
            gas_wanted: i64::try_from(a.gas_limit).unwrap_or(i64::MAX),
            ..Default::default()
        },
        Ok(TxCheck::Rejected { kind, message }) => pb::ResponseCheckTx {
            code: evm_code(kind),
            codespace: "evm".into(),
            log: message,
            ..Default::default()
        },
        Err(e) => pb::ResponseCheckTx {
            code: 1,
            codespace: "evm".into(),
            log: format!("engine unavailable: {e}"),
            ..Default::default()
        },
    }
}

/// ABCI codes (codespace `evm`) of the engine's refusals; append-only.
fn evm_code(kind: bttc_engine_api::TxRejectKind) -> u32 {
    use bttc_engine_api::TxRejectKind as K;
    match kind {
        K::Malformed => 2,
        K::UnsupportedType => 3,
        K::WrongChainId => 4,
        K::Oversized => 5,
        K::NonceTooLow => 6,
        K::NonceGap => 7,
        K::InsufficientFunds => 8,
        K::IntrinsicGasTooLow => 9,
        K::GasLimitTooHigh => 10,
        K::FeeTooLow => 11,
        K::ReplacementNotAllowed => 12,
        K::PoolFull => 13,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use delivery_module::{Module, SecretKey};
    use delivery_store::EmptyState;

    fn span_only(signer: delivery_module::Address) -> delivery_span::Genesis {
        delivery_span::Genesis {
            validators: vec![delivery_span::SpanValidator {
                id: 9,
                signer,
                power: 10,
            }],
            ..delivery_span::Genesis::default()
        }
    }

    #[test]
    fn span_producers_come_from_staking_unless_it_is_dormant() {
        let span_signer = SecretKey::generate().address();
        // Dormant staking: the span genesis list.
        let mut state = StateDelta::new(EmptyState);
        delivery_span::SpanModule::init_genesis(&mut state, &span_only(span_signer)).unwrap();
        delivery_staking::StakingModule::init_genesis(
            &mut state,
            &delivery_staking::Genesis::default(),
        )
        .unwrap();
        let pool = span_validators(&state).unwrap();
        assert_eq!(pool.len(), 1);
        assert_eq!((pool[0].id, pool[0].signer), (9, span_signer));

        // Staking with validators: its active set (id, signer, power), not span's list.
        let keys: Vec<SecretKey> = (0..2).map(|_| SecretKey::generate()).collect();
        let consensus: Vec<[u8; 32]> = (1u8..=2)
            .map(|i| {
                ed25519_dalek::SigningKey::from_bytes(&[i; 32])
                    .verifying_key()
                    .to_bytes()
            })
            .collect();
        let pubkeys: Vec<delivery_module::PublicKey> =
            keys.iter().map(SecretKey::public_key).collect();
        let generated: Vec<crate::genesis::GeneratedValidator<'_>> = pubkeys
            .iter()
            .zip(&consensus)
            .map(|(signer, c)| crate::genesis::GeneratedValidator {
                signer,
                consensus_pubkey: *c,
            })
            .collect();
        let staking = crate::genesis::staking_section(&generated, Default::default());
        let mut state = StateDelta::new(EmptyState);
        delivery_span::SpanModule::init_genesis(&mut state, &span_only(span_signer)).unwrap();
        delivery_staking::StakingModule::init_genesis(&mut state, &staking).unwrap();
        let pool = span_validators(&state).unwrap();
        let got: Vec<(u64, delivery_module::Address, u64)> =
            pool.iter().map(|v| (v.id, v.signer, v.power)).collect();
        assert_eq!(
            got,
            vec![(1, keys[0].address(), 1), (2, keys[1].address(), 1)]
        );
    }
}
