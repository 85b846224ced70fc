//! [`InProcessEngine`]: the engine API implemented in-process over the RocksDB store.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use alloy_consensus::Header;
use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_rlp::Decodable;
use alloy_trie::EMPTY_ROOT_HASH;
use bttc_engine_api::{
    self as api, BlockRef, BuiltPayload, Engine, EngineError, ExecutablePayload, ForkchoiceState,
    ForkchoiceUpdated, PayloadAttributes, PayloadId, PayloadStatus, StateSyncRecord, TxAccepted,
    TxCheck, EXTRA_SEAL_LEN, EXTRA_VANITY_LEN,
};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_storage::{BlockState, BlockWrite, StateWrites, Store, StoreError};

use crate::block::{execute_block, BlockInput, ExecError, ExecutedBlock, Mode};
use crate::pool::{InsertOutcome, PoolConfig, TxPool};
use crate::receipts::{StoredReceipts, SystemEntry};
use crate::tx::{self, RecoveredTx};

/// The vanity the builder writes into `extra_data`.
const VANITY: &[u8] = b"bttc-engine";

/// The engine could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum EngineOpenError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database holds a different chain.
    #[error("the database's genesis {found} differs from the chain spec's genesis {expected}")]
    GenesisMismatch {
        /// Genesis hash from the spec.
        expected: B256,
        /// Genesis hash in the database.
        found: B256,
    },
    /// A stored header does not decode.
    #[error("stored header of the head block does not decode: {0}")]
    BadHeader(String),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadInfo {
    pub(crate) number: u64,
    pub(crate) hash: B256,
    pub(crate) state_root: B256,
    pub(crate) timestamp: u64,
    pub(crate) gas_used: u64,
    pub(crate) gas_limit: u64,
    pub(crate) base_fee: u64,
}

impl HeadInfo {
    fn from_header(hash: B256, h: &Header) -> Self {
        Self {
            number: h.number,
            hash,
            state_root: h.state_root,
            timestamp: h.timestamp,
            gas_used: h.gas_used,
            gas_limit: h.gas_limit,
            base_fee: h.base_fee_per_gas.unwrap_or(0),
        }
    }
}

struct Validated {
    payload: ExecutablePayload,
    exec: ExecutedBlock,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) spec: ChainSpec,
    pub(crate) head: HeadInfo,
    pub(crate) pool: TxPool,
    /// Called after each commit with the new head (see `crate::query`).
    pub(crate) head_listeners: Vec<crate::query::HeadListener>,
    built: BTreeMap<PayloadId, BuiltPayload>,
    validated: BTreeMap<B256, Validated>,
}

/// The engine API over a local RocksDB store, called in-process.
pub struct InProcessEngine {
    inner: Mutex<Inner>,
    /// The chain spec, also outside the lock: `check_tx` decodes and recovers senders (the
    /// costly part) without holding it.
    spec: ChainSpec,
}

impl std::fmt::Debug for InProcessEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessEngine").finish_non_exhaustive()
    }
}

fn storage_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Storage(e.to_string())
}

fn h256(b: B256) -> api::H256 {
    api::H256(b.0)
}

fn b256(h: api::H256) -> B256 {
    B256::from(h.0)
}

fn decode_header(bytes: &[u8]) -> Result<Header, String> {
    let mut slice = bytes;
    Header::decode(&mut slice).map_err(|e| e.to_string())
}

/// Genesis state writes, header and hash for a spec.
fn genesis(store: &Store, spec: &ChainSpec) -> Result<(StateWrites, Header, B256), StoreError> {
    let mut state = BlockState::new(store);
    for (address, acc) in &spec.alloc {
        let storage: BTreeMap<U256, U256> = acc
            .storage
            .iter()
            .map(|(k, v)| (U256::from_be_bytes(k.0), *v))
            .collect();
        state.set_account(*address, acc.nonce, acc.balance, acc.code.clone(), &storage);
    }
    let (root, writes) = store.prepare_state(EMPTY_ROOT_HASH, &state)?;
    let header = spec.genesis_header(root);
    let hash = header.hash_slow();
    Ok((writes, header, hash))
}

enum Verdict {
    Valid(Box<ExecutedBlock>),
    Known,
    Invalid(String),
    Syncing,
}

impl InProcessEngine {
    /// Opens the engine's database at `path`, writing the genesis block on first use, with the
    /// default pool limits.
    pub fn open(path: &Path, spec: ChainSpec) -> Result<Self, EngineOpenError> {
        Self::open_with(path, spec, PoolConfig::default())
    }

    /// [`Self::open`] with the transaction pool's limits.
    pub fn open_with(
        path: &Path,
        spec: ChainSpec,
        pool_config: PoolConfig,
    ) -> Result<Self, EngineOpenError> {
        let store = Store::open(path)?;
        let (writes, header, genesis_hash) = genesis(&store, &spec)?;
        match store.canonical_hash(0)? {
            Some(found) if found != genesis_hash => {
                return Err(EngineOpenError::GenesisMismatch {
                    expected: genesis_hash,
                    found,
                })
            }
            Some(_) => {}
            None => {
                let block = BlockWrite {
                    number: 0,
                    hash: genesis_hash,
                    parent_hash: B256::ZERO,
                    header_rlp: alloy_rlp::encode(&header),
                    body: Vec::new(),
                    receipts: Vec::new(),
                    tx_hashes: Vec::new(),
                };
                store.commit_block(&block, &writes)?;
            }
        }
        let head = store.head()?.ok_or(StoreError::NotInitialized)?;
        let header_rlp = store
            .header_rlp(&head.hash)?
            .ok_or_else(|| EngineOpenError::BadHeader(format!("header {} missing", head.hash)))?;
        let header = decode_header(&header_rlp).map_err(EngineOpenError::BadHeader)?;
        let head = HeadInfo::from_header(head.hash, &header);
        Ok(Self {
            spec: spec.clone(),
            inner: Mutex::new(Inner {
                store,
                spec,
                head,
                pool: TxPool::new(pool_config),
                built: BTreeMap::new(),
                validated: BTreeMap::new(),
                head_listeners: Vec::new(),
            }),
        })
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Inner>, EngineError> {
        self.inner
            .lock()
            .map_err(|_| EngineError::Internal("engine lock poisoned".into()))
    }

    /// Recomputes the head state root with a full rebuild (a consistency check; O(accounts)).
    pub fn verify_head_state_root(&self) -> Result<bool, EngineError> {
        let inner = self.lock()?;
        Ok(inner.store.full_state_root().map_err(storage_err)? == inner.head.state_root)
    }

    /// Balance, nonce and code hash of an account at the head.
    pub fn account(&self, address: [u8; 20]) -> Result<Option<(U256, u64, B256)>, EngineError> {
        let inner = self.lock()?;
        Ok(inner
            .store
            .account(&Address::from(address))
            .map_err(storage_err)?
            .map(|a| (a.balance, a.nonce, a.code_hash)))
    }

    /// A storage slot at the head.
    pub fn storage_at(&self, address: [u8; 20], slot: U256) -> Result<U256, EngineError> {
        let inner = self.lock()?;
        inner
            .store
            .storage(&Address::from(address), &slot)
            .map_err(storage_err)
    }

    /// The stored receipts of a canonical block.
    pub fn receipts(&self, block_hash: api::H256) -> Result<Option<StoredReceipts>, EngineError> {
        let inner = self.lock()?;
        let Some(bytes) = inner
            .store
            .receipts(&b256(block_hash))
            .map_err(storage_err)?
        else {
            return Ok(None);
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(storage_err)
    }

    /// Number of transactions in the pool.
    pub fn pool_len(&self) -> Result<usize, EngineError> {
        Ok(self.lock()?.pool.len())
    }
}

fn check_records(records: &[StateSyncRecord]) -> Result<(), String> {
    for pair in records.windows(2) {
        if let [a, b] = pair {
            if b.id <= a.id {
                return Err(format!(
                    "state-sync record ids must increase strictly: {} follows {}",
                    b.id, a.id
                ));
            }
        }
    }
    Ok(())
}

impl Inner {
    pub(crate) fn next_base_fee(&self) -> u64 {
        self.spec
            .next_base_fee(self.head.gas_used, self.head.gas_limit, self.head.base_fee)
    }

    fn block_ref(&self) -> BlockRef {
        BlockRef {
            number: self.head.number,
            hash: h256(self.head.hash),
            state_root: h256(self.head.state_root),
            timestamp: self.head.timestamp,
        }
    }

    fn validate(&self, p: &ExecutablePayload) -> Result<Verdict, EngineError> {
        let hash = b256(p.block_hash);
        if self.validated.contains_key(&hash)
            || self
                .store
                .block_number(&hash)
                .map_err(storage_err)?
                .is_some()
        {
            return Ok(Verdict::Known);
        }
        let computed = p.compute_block_hash();
        if computed != p.block_hash {
            return Ok(Verdict::Invalid(format!(
                "block hash {} does not match the header's hash {computed}",
                p.block_hash
            )));
        }
        let head = self.head;
        let Some(next) = head.number.checked_add(1) else {
            return Err(EngineError::Internal("head number overflow".into()));
        };
        if p.block_number < next {
            return Ok(Verdict::Invalid(format!(
                "block {} conflicts with the final chain (head is {} {})",
                p.block_number, head.number, head.hash
            )));
        }
        if p.block_number > next {
            return Ok(Verdict::Syncing);
        }
        if b256(p.parent_hash) != head.hash {
            return Ok(Verdict::Invalid(format!(
                "parent {} is not the head {} at height {}",
                p.parent_hash, head.hash, head.number
            )));
        }
        if p.timestamp <= head.timestamp {
            return Ok(Verdict::Invalid(format!(
                "timestamp {} is not after the parent's {}",
                p.timestamp, head.timestamp
            )));
        }
        if p.gas_limit != self.spec.gas_limit {
            return Ok(Verdict::Invalid(format!(
                "gas limit {} differs from the chain's {}",
                p.gas_limit, self.spec.gas_limit
            )));
        }
        if p.gas_used > p.gas_limit {
            return Ok(Verdict::Invalid(format!(
                "gas used {} exceeds the gas limit {}",
                p.gas_used, p.gas_limit
            )));
        }
        let base_fee = self.next_base_fee();
        if p.base_fee_per_gas != base_fee {
            return Ok(Verdict::Invalid(format!(
                "base fee {} differs from the expected {base_fee}",
                p.base_fee_per_gas
            )));
        }
        if p.prev_randao != api::H256::ZERO {
            return Ok(Verdict::Invalid(format!(
                "mix hash must be zero, found {}",
                p.prev_randao
            )));
        }
        let author = match p.recover_author() {
            Ok(a) => a,
            Err(e) => return Ok(Verdict::Invalid(format!("bad seal: {e}"))),
        };
        if author != p.fee_recipient {
            return Ok(Verdict::Invalid(format!(
                "seal signed by {author}, but the coinbase is {}",
                p.fee_recipient
            )));
        }
        if let Err(e) = check_records(&p.state_sync_records) {
            return Ok(Verdict::Invalid(e));
        }
        let mut txs = Vec::with_capacity(p.transactions.len());
        for (i, raw) in p.transactions.iter().enumerate() {
            // A tx this engine pooled was decoded, checked and its sender recovered with the
            // same spec when it was admitted; its hash is the keccak of these very bytes, so
            // the pooled copy is what decoding would give, without a second recovery.
            if let Some(pooled) = self.pool.get(&alloy_primitives::keccak256(raw.as_slice())) {
                txs.push(pooled.clone());
                continue;
            }
            match tx::decode_and_check(raw.as_slice(), &self.spec) {
                Ok(t) => txs.push(t),
                Err(e) => return Ok(Verdict::Invalid(format!("transaction {i}: {e}"))),
            }
        }
        let input = BlockInput {
            number: p.block_number,
            timestamp: p.timestamp,
            beneficiary: Address::from(p.fee_recipient.0),
            gas_limit: p.gas_limit,
            base_fee,
            prev_randao: b256(p.prev_randao),
        };
        let exec = match execute_block(
            &self.store,
            &self.spec,
            head.state_root,
            input,
            p.span_commit.as_ref(),
            &p.state_sync_records,
            txs,
            Mode::Import,
        ) {
            Ok(e) => e,
            Err(e @ ExecError::InvalidTx { .. }) => return Ok(Verdict::Invalid(e.to_string())),
            Err(ExecError::Store(e)) => return Err(storage_err(e)),
            Err(ExecError::Evm(e)) => return Err(EngineError::Internal(e)),
        };
        let checks = [
            (
                "gas used",
                p.gas_used.to_string(),
                exec.gas_used.to_string(),
            ),
            (
                "state root",
                p.state_root.to_string(),
                h256(exec.state_root).to_string(),
            ),
            (
                "receipts root",
                p.receipts_root.to_string(),
                h256(exec.receipts_root).to_string(),
            ),
            (
                "logs bloom",
                p.logs_bloom.to_string(),
                api::Bloom(exec.logs_bloom.0 .0).to_string(),
            ),
        ];
        for (what, claimed, computed) in checks {
            if claimed != computed {
                return Ok(Verdict::Invalid(format!(
                    "{what} {claimed} differs from the executed {computed}"
                )));
            }
        }
        Ok(Verdict::Valid(Box::new(exec)))
    }

    fn commit(&mut self, hash: B256) -> Result<(), EngineError> {
        let Some(v) = self.validated.remove(&hash) else {
            return Err(EngineError::Internal(format!(
                "block {hash} is not validated"
            )));
        };
        let header = v.payload.to_alloy_header();
        let tx_hashes: Vec<B256> = v.exec.transactions.iter().map(|t| t.hash).collect();
        let system = if v.exec.system_calls.is_empty() {
            None
        } else {
            Some(SystemEntry {
                hash: SystemEntry::hash_for(header.number, &hash),
                logs: v.exec.system_logs.clone(),
            })
        };
        // The synthetic state-sync receipt (when system calls logged) is indexed after the
        // block's transactions, at index `tx count` (bor's convention; see `crate::query`).
        let mut indexed = tx_hashes.clone();
        if let Some(sys) = system.as_ref().filter(|s| !s.logs.is_empty()) {
            indexed.push(sys.hash);
        }
        let receipts = StoredReceipts {
            system,
            tx_hashes,
            receipts: v.exec.receipts.clone(),
        };
        let block = BlockWrite {
            number: header.number,
            hash,
            parent_hash: header.parent_hash,
            header_rlp: alloy_rlp::encode(&header),
            body: serde_json::to_vec(&v.payload).map_err(storage_err)?,
            receipts: serde_json::to_vec(&receipts).map_err(storage_err)?,
            tx_hashes: indexed,
        };
        self.store
            .commit_block(&block, &v.exec.writes)
            .map_err(storage_err)?;
        self.head = HeadInfo::from_header(hash, &header);
        crate::query::notify_head(&self.head_listeners, self.head.number, hash);
        self.validated.clear();
        self.built.clear();
        let store = &self.store;
        let dropped = self
            .pool
            .prune(|a| {
                Ok::<(u64, U256), StoreError>(
                    store
                        .account(a)?
                        .map_or((0, U256::ZERO), |acc| (acc.nonce, acc.balance)),
                )
            })
            .map_err(storage_err)?;
        for hash in dropped {
            tracing::debug!(%hash, "transaction left the pool at the new head");
        }
        Ok(())
    }

    fn build(&mut self, attrs: &PayloadAttributes) -> Result<PayloadId, EngineError> {
        let head = self.head;
        if attrs.timestamp <= head.timestamp {
            return Err(EngineError::InvalidPayloadAttributes(format!(
                "timestamp {} is not after the head's {}",
                attrs.timestamp, head.timestamp
            )));
        }
        check_records(&attrs.state_sync_records).map_err(EngineError::InvalidPayloadAttributes)?;
        let number = head
            .number
            .checked_add(1)
            .ok_or_else(|| EngineError::Internal("head number overflow".into()))?;
        let base_fee = self.next_base_fee();
        // The best txs while their encoded sizes fit the attributes' byte budget (a prefix of
        // the best order, so no sender's nonces are skipped).
        let mut budget = attrs.max_transactions_bytes.unwrap_or(u64::MAX);
        let txs: Vec<RecoveredTx> = self
            .pool
            .best(base_fee)
            .take_while(|t| {
                let size = u64::try_from(t.size).unwrap_or(u64::MAX);
                match budget.checked_sub(size) {
                    Some(left) => {
                        budget = left;
                        true
                    }
                    None => false,
                }
            })
            .cloned()
            .collect();
        let input = BlockInput {
            number,
            timestamp: attrs.timestamp,
            beneficiary: Address::from(attrs.producer.0),
            gas_limit: self.spec.gas_limit,
            base_fee,
            prev_randao: B256::ZERO,
        };
        let exec = execute_block(
            &self.store,
            &self.spec,
            head.state_root,
            input,
            attrs.span_commit.as_ref(),
            &attrs.state_sync_records,
            txs,
            Mode::Build,
        )
        .map_err(|e| match e {
            ExecError::Store(e) => storage_err(e),
            other => EngineError::Internal(other.to_string()),
        })?;
        for (hash, reason) in &exec.skipped {
            tracing::debug!(%hash, %reason, "transaction left out of the payload");
        }
        let remaining_gas = self.spec.gas_limit.saturating_sub(exec.gas_used);
        for hash in self
            .pool
            .remove_failed(exec.skipped.iter().map(|(h, _)| h), remaining_gas)
        {
            tracing::debug!(%hash, "failed transaction removed from the pool");
        }
        let mut extra = VANITY.to_vec();
        extra.resize(EXTRA_VANITY_LEN.saturating_add(EXTRA_SEAL_LEN), 0);
        let mut payload = ExecutablePayload {
            parent_hash: h256(head.hash),
            fee_recipient: attrs.producer,
            state_root: h256(exec.state_root),
            receipts_root: h256(exec.receipts_root),
            logs_bloom: api::Bloom(exec.logs_bloom.0 .0),
            prev_randao: api::H256::ZERO,
            block_number: number,
            gas_limit: self.spec.gas_limit,
            gas_used: exec.gas_used,
            timestamp: attrs.timestamp,
            extra_data: api::Bytes(extra),
            base_fee_per_gas: base_fee,
            block_hash: api::H256::ZERO,
            transactions: exec
                .transactions
                .iter()
                .map(|t| api::Bytes(t.encoded()))
                .collect(),
            state_sync_records: attrs.state_sync_records.clone(),
            span_commit: attrs.span_commit.clone(),
        };
        payload.block_hash = payload.compute_block_hash();
        let seal_hash = payload
            .seal_hash()
            .map_err(|e| EngineError::Internal(format!("seal hash of a built payload: {e}")))?;
        let attrs_json =
            serde_json::to_vec(attrs).map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut pre = head.hash.to_vec();
        pre.extend_from_slice(&attrs_json);
        let digest = keccak256(pre);
        let mut id = [0u8; 8];
        id.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        let id = PayloadId(id);
        self.built.insert(
            id,
            BuiltPayload {
                payload,
                seal_hash,
                block_value: exec.block_value,
            },
        );
        Ok(id)
    }
}

fn accepted_of(tx: &RecoveredTx) -> TxAccepted {
    TxAccepted {
        hash: h256(tx.hash),
        sender: api::Address(tx.sender.0 .0),
        nonce: alloy_consensus::Transaction::nonce(&tx.envelope),
        gas_limit: alloy_consensus::Transaction::gas_limit(&tx.envelope),
    }
}

impl InProcessEngine {
    /// Checks and pools `raws` in order: pooled ones are answered from the pool, decoding and
    /// sender recovery run outside the engine lock, and the pool admits the rest under one
    /// lock. The verdicts are those of checking each in turn.
    fn check_many(&self, raws: &[&[u8]]) -> Result<Vec<TxCheck>, EngineError> {
        let mut verdicts: Vec<Option<TxCheck>> = (0..raws.len()).map(|_| None).collect();
        // A tx already pooled (CometBFT's recheck, gossip repeats) is answered from the pool:
        // an EIP-2718 tx's hash is the keccak of its encoding.
        {
            let inner = self.lock()?;
            for (raw, verdict) in raws.iter().zip(verdicts.iter_mut()) {
                if let Some(pooled) = inner.pool.get(&alloy_primitives::keccak256(raw)) {
                    *verdict = Some(TxCheck::Accepted(accepted_of(pooled)));
                }
            }
        }
        // Decoding and sender recovery need no engine state: outside the lock.
        let mut decoded: Vec<(usize, RecoveredTx)> = Vec::new();
        for (i, (raw, verdict)) in raws.iter().zip(verdicts.iter_mut()).enumerate() {
            if verdict.is_some() {
                continue;
            }
            match tx::decode_and_check(raw, &self.spec) {
                Ok(t) => decoded.push((i, t)),
                Err(e) => {
                    *verdict = Some(TxCheck::Rejected {
                        kind: e.kind,
                        message: e.message,
                    });
                }
            }
        }
        if !decoded.is_empty() {
            let mut inner = self.lock()?;
            for (i, tx) in decoded {
                let verdict = inner.admit(tx)?;
                if let Some(slot) = verdicts.get_mut(i) {
                    *slot = Some(verdict);
                }
            }
        }
        verdicts
            .into_iter()
            .map(|v| v.ok_or_else(|| EngineError::Internal("a tx got no verdict".into())))
            .collect()
    }
}

impl Inner {
    /// Checks a decoded tx against the head state and pools it.
    fn admit(&mut self, tx: RecoveredTx) -> Result<TxCheck, EngineError> {
        let accepted = accepted_of(&tx);
        if self.pool.contains(&tx.hash) {
            return Ok(TxCheck::Accepted(accepted));
        }
        let account = self.store.account(&tx.sender).map_err(storage_err)?;
        let (nonce, balance) = account.map_or((0, U256::ZERO), |a| (a.nonce, a.balance));
        let base_fee = self.next_base_fee();
        let max_gap = self.pool.config().max_nonce_gap;
        if let Err(e) = tx::check_against_account(&tx, nonce, balance, base_fee, max_gap) {
            return Ok(TxCheck::Rejected {
                kind: e.kind,
                message: e.message,
            });
        }
        Ok(match self.pool.insert(tx, nonce, base_fee) {
            Ok(InsertOutcome::Added {
                replaced, evicted, ..
            }) => {
                for hash in replaced.iter().chain(&evicted) {
                    tracing::debug!(%hash, "transaction replaced or evicted from the pool");
                }
                TxCheck::Accepted(accepted)
            }
            Ok(InsertOutcome::AlreadyKnown) => TxCheck::Accepted(accepted),
            Err(e) => TxCheck::Rejected {
                kind: e.kind,
                message: e.message,
            },
        })
    }
}

impl Engine for InProcessEngine {
    fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<PayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let mut inner = self.lock()?;
        let target = b256(state.head_block_hash);
        if target != inner.head.hash {
            if inner
                .validated
                .get(&target)
                .is_some_and(|v| b256(v.payload.parent_hash) == inner.head.hash)
            {
                inner.commit(target)?;
            } else if let Some(n) = inner.store.block_number(&target).map_err(storage_err)? {
                return Err(EngineError::InvalidForkchoiceState(format!(
                    "head {target} is block {n}, behind the current head {}: BTTC blocks are final",
                    inner.head.number
                )));
            } else {
                return Ok(ForkchoiceUpdated {
                    payload_status: PayloadStatus::Syncing,
                    payload_id: None,
                });
            }
        }
        for h in [state.safe_block_hash, state.finalized_block_hash] {
            let h = b256(h);
            if h != B256::ZERO && inner.store.block_number(&h).map_err(storage_err)?.is_none() {
                return Err(EngineError::InvalidForkchoiceState(format!(
                    "safe/finalized block {h} is not a canonical block"
                )));
            }
        }
        let payload_id = match attributes {
            Some(a) => Some(inner.build(&a)?),
            None => None,
        };
        Ok(ForkchoiceUpdated {
            payload_status: PayloadStatus::Valid {
                latest_valid_hash: h256(inner.head.hash),
            },
            payload_id,
        })
    }

    fn get_payload(&self, id: PayloadId) -> Result<BuiltPayload, EngineError> {
        let inner = self.lock()?;
        inner
            .built
            .get(&id)
            .cloned()
            .ok_or(EngineError::UnknownPayload(id))
    }

    fn new_payload(&self, payload: ExecutablePayload) -> Result<PayloadStatus, EngineError> {
        let mut inner = self.lock()?;
        let verdict = inner.validate(&payload)?;
        Ok(match verdict {
            Verdict::Known => PayloadStatus::Valid {
                latest_valid_hash: payload.block_hash,
            },
            Verdict::Valid(exec) => {
                let hash = payload.block_hash;
                inner.validated.insert(
                    b256(hash),
                    Validated {
                        payload,
                        exec: *exec,
                    },
                );
                PayloadStatus::Valid {
                    latest_valid_hash: hash,
                }
            }
            Verdict::Invalid(reason) => PayloadStatus::Invalid {
                latest_valid_hash: Some(h256(inner.head.hash)),
                validation_error: reason,
            },
            Verdict::Syncing => PayloadStatus::Syncing,
        })
    }

    fn check_tx(&self, raw: &[u8]) -> Result<TxCheck, EngineError> {
        self.check_many(&[raw])?
            .pop()
            .ok_or_else(|| EngineError::Internal("check_tx: no verdict".into()))
    }

    fn check_txs(&self, raws: &[Vec<u8>]) -> Result<Vec<TxCheck>, EngineError> {
        let raws: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
        self.check_many(&raws)
    }

    fn head(&self) -> Result<BlockRef, EngineError> {
        Ok(self.lock()?.block_ref())
    }

    fn pooled_hashes(&self) -> Result<Vec<api::H256>, EngineError> {
        Ok(self.lock()?.pool.hashes().map(|h| h256(*h)).collect())
    }
}
