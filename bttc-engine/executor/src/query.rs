//! The read API of the engine for the user-facing JSON-RPC: blocks, transactions, receipts and
//! logs of canonical blocks, head-state reads, the pool's pending transactions, and new-head
//! notifications.
//!
//! # State is kept for the head only
//!
//! The engine is not an archive node: account state exists for the head block only. Every state
//! read takes a [`BlockSelector`] and fails with [`QueryError::HistoricalState`] unless it names
//! the head (`latest`, `pending`, `safe`, `finalized`, or the head's number or hash). BTTC blocks
//! are final when Delivery commits them, so `safe` and `finalized` are the head too.
//!
//! # The state-sync receipt (system calls)
//!
//! System calls (span commit, state-sync records) run before a block's transactions and have no
//! receipt in the consensus receipts root. As in bor, a block whose system calls emitted logs
//! gets one *synthetic* receipt holding all of them:
//!
//! - transaction hash [`SystemEntry::hash_for`]`(number, block hash)`;
//! - transaction index = the number of transactions in the block (it comes after them);
//! - `from` and `to` the zero address, type 0, status 1, gas used 0, effective gas price 0,
//!   `cumulativeGasUsed` the block's gas used, its own logs bloom;
//! - its logs keep their block-wide log indexes from [`StoredReceipts::block_logs`]: system calls
//!   run first, so they are `0..k` and the transactions' logs follow.
//!
//! It is not in the block's transaction list (the transactions root covers signed transactions
//! only), but it is returned by the receipt of its hash, the block's receipts (last), the
//! transaction lookup by hash, and by log queries, all built from [`StoredReceipts::block_logs`].
//! A block whose system calls logged nothing has no synthetic receipt.

use std::collections::BTreeSet;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Header, Transaction, TxEnvelope, TxReceipt};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::Typed2718;
use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
use alloy_rlp::Decodable;
use bttc_engine_api::{EngineError, ExecutablePayload};
use bttc_engine_storage::{Store, StoreError};

use crate::engine::{InProcessEngine, Inner};
use crate::receipts::{LogLocation, StoredReceipts, SystemEntry};

/// Called (under the engine lock: it must not block or call the engine) after each new head.
pub type HeadListener = Box<dyn Fn(&NewHead) + Send + Sync>;

/// A new canonical head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewHead {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
}

pub(crate) fn notify_head(listeners: &[HeadListener], number: u64, hash: B256) {
    let head = NewHead { number, hash };
    for l in listeners {
        l(&head);
    }
}

/// Which block a query is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockSelector {
    /// The head.
    Latest,
    /// The head (the engine keeps no pending block; pending nonces come from the pool).
    Pending,
    /// Block 0.
    Earliest,
    /// The head (BTTC blocks are final on commit).
    Safe,
    /// The head (BTTC blocks are final on commit).
    Finalized,
    /// A block by number.
    Number(u64),
    /// A block by hash.
    Hash(B256),
}

/// A read query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// State was asked for a block other than the head.
    #[error("historical state for block {0} is not available (state is kept for the head only)")]
    HistoricalState(u64),
    /// The block does not exist (or is not canonical).
    #[error("block {0} not found")]
    UnknownBlock(String),
    /// A log query matched more logs than allowed.
    #[error("query returned more than {0} logs; narrow the block range or the filter")]
    TooManyLogs(usize),
    /// The engine or its store failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn store_err(e: StoreError) -> QueryError {
    QueryError::Engine(EngineError::Storage(e.to_string()))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> QueryError {
    QueryError::Engine(EngineError::Storage(format!(
        "stored {what} does not decode: {e}"
    )))
}

/// A signed transaction of a block (or of the pool) with its recovered sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    /// Transaction hash.
    pub hash: B256,
    /// Recovered sender.
    pub sender: Address,
    /// The transaction.
    pub envelope: TxEnvelope,
}

/// A canonical block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockView {
    /// Block hash.
    pub hash: B256,
    /// The header (extra data with the producer's seal, as stored).
    pub header: Header,
    /// RLP size of the block (header, transactions, empty ommers), as geth reports it.
    pub size: u64,
    /// Signed transactions in block order (the synthetic state-sync entry is not among them).
    pub transactions: Vec<StoredTx>,
    /// Hash of the synthetic state-sync receipt, if the block has one.
    pub system_tx: Option<B256>,
}

/// Where a mined transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Block timestamp.
    pub block_timestamp: u64,
    /// Block base fee.
    pub base_fee: Option<u64>,
    /// Index in the block (the synthetic entry's index is the block's transaction count).
    pub index: u64,
}

/// A transaction found by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxLookup {
    /// A mined signed transaction.
    Mined(StoredTx, TxLocation),
    /// The synthetic state-sync entry of a block.
    System {
        /// Its hash.
        hash: B256,
        /// Where it is.
        location: TxLocation,
    },
    /// A transaction waiting in the pool.
    Pending(StoredTx),
}

/// A log with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    /// The log.
    pub inner: Log,
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Block timestamp.
    pub block_timestamp: u64,
    /// Hash of the transaction (or synthetic entry) that emitted it.
    pub tx_hash: B256,
    /// Its index in the block.
    pub tx_index: u64,
    /// Block-wide log index.
    pub log_index: u64,
}

/// A receipt with its position and derived fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Index in the block.
    pub tx_index: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// EIP-2718 type.
    pub tx_type: u8,
    /// Success (EIP-658 status).
    pub success: bool,
    /// Gas used up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Price per gas actually paid.
    pub effective_gas_price: u128,
    /// Sender.
    pub from: Address,
    /// Recipient (`None` for a contract creation).
    pub to: Option<Address>,
    /// Address of the created contract, for a creation.
    pub contract_address: Option<Address>,
    /// Bloom of this receipt's logs.
    pub logs_bloom: Bloom,
    /// Logs with block-wide indexes.
    pub logs: Vec<LogView>,
}

/// A log filter: an empty address set or an empty topic position matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Emitting contracts (OR).
    pub addresses: BTreeSet<Address>,
    /// Up to four topic positions (AND across positions, OR within one).
    pub topics: Vec<BTreeSet<B256>>,
}

impl LogFilter {
    /// Whether a log matches.
    pub fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.topics();
        for (i, wanted) in self.topics.iter().enumerate() {
            if wanted.is_empty() {
                continue;
            }
            match topics.get(i) {
                Some(t) if wanted.contains(t) => {}
                _ => return false,
            }
        }
        true
    }
}

fn decode_header(bytes: &[u8]) -> Result<Header, QueryError> {
    let mut slice = bytes;
    Header::decode(&mut slice).map_err(|e| corrupt("header", e))
}

fn decode_tx(raw: &[u8]) -> Result<StoredTx, QueryError> {
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| corrupt("transaction", e))?;
    let sender = envelope
        .recover_signer()
        .map_err(|e| corrupt("transaction signature", e))?;
    Ok(StoredTx {
        hash: *envelope.tx_hash(),
        sender,
        envelope,
    })
}

/// One canonical block's stored parts, read under the lock.
struct RawBlock {
    hash: B256,
    header: Header,
    body: Option<ExecutablePayload>,
    receipts: Option<StoredReceipts>,
}

impl RawBlock {
    fn tx_count(&self) -> usize {
        self.body.as_ref().map_or(0, |b| b.transactions.len())
    }

    fn system_tx(&self) -> Option<&SystemEntry> {
        self.receipts
            .as_ref()
            .and_then(|r| r.system.as_ref())
            .filter(|s| !s.logs.is_empty())
    }

    fn decode_txs(&self) -> Result<Vec<StoredTx>, QueryError> {
        match &self.body {
            None => Ok(Vec::new()),
            Some(b) => b
                .transactions
                .iter()
                .map(|t| decode_tx(t.as_slice()))
                .collect(),
        }
    }

    fn location(&self, index: usize) -> TxLocation {
        TxLocation {
            block_hash: self.hash,
            block_number: self.header.number,
            block_timestamp: self.header.timestamp,
            base_fee: self.header.base_fee_per_gas,
            index: index as u64,
        }
    }

    /// Every log of the block (system entry first), as views.
    fn log_views(&self) -> Vec<LogView> {
        let Some(receipts) = &self.receipts else {
            return Vec::new();
        };
        let system_index = self.tx_count() as u64;
        receipts
            .block_logs()
            .into_iter()
            .map(|(loc, tx_hash, log_index, log)| LogView {
                inner: log.clone(),
                block_hash: self.hash,
                block_number: self.header.number,
                block_timestamp: self.header.timestamp,
                tx_hash,
                tx_index: match loc {
                    LogLocation::System => system_index,
                    LogLocation::Tx(i) => i as u64,
                },
                log_index,
            })
            .collect()
    }

    /// Receipts in index order, the synthetic entry last; `only` restricts to one index.
    fn receipt_views(&self, only: Option<usize>) -> Result<Vec<ReceiptView>, QueryError> {
        let Some(stored) = &self.receipts else {
            return Ok(Vec::new());
        };
        let txs = self.decode_txs()?;
        if txs.len() != stored.receipts.len() {
            return Err(corrupt(
                "receipts",
                format!(
                    "block {} has {} transactions but {} receipts",
                    self.hash,
                    txs.len(),
                    stored.receipts.len()
                ),
            ));
        }
        let mut logs_by_tx: Vec<Vec<LogView>> = vec![Vec::new(); txs.len().saturating_add(1)];
        for log in self.log_views() {
            let i = usize::try_from(log.tx_index).unwrap_or(usize::MAX);
            if let Some(slot) = logs_by_tx.get_mut(i) {
                slot.push(log);
            }
        }
        let base_fee = self.header.base_fee_per_gas;
        let mut out = Vec::new();
        let mut prev_cumulative = 0u64;
        for (i, (tx, receipt)) in txs.iter().zip(&stored.receipts).enumerate() {
            let cumulative = receipt.cumulative_gas_used();
            let gas_used = cumulative.saturating_sub(prev_cumulative);
            prev_cumulative = cumulative;
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let to = tx.envelope.to();
            let contract_address = if to.is_none() {
                Some(tx.sender.create(tx.envelope.nonce()))
            } else {
                None
            };
            out.push(ReceiptView {
                tx_hash: tx.hash,
                tx_index: i as u64,
                block_hash: self.hash,
                block_number: self.header.number,
                tx_type: tx.envelope.ty(),
                success: receipt.status(),
                cumulative_gas_used: cumulative,
                gas_used,
                effective_gas_price: tx.envelope.effective_gas_price(base_fee),
                from: tx.sender,
                to,
                contract_address,
                logs_bloom: receipt.bloom(),
                logs: logs_by_tx
                    .get_mut(i)
                    .map(std::mem::take)
                    .unwrap_or_else(Vec::new),
            });
        }
        if let Some(sys) = self.system_tx() {
            let i = txs.len();
            if only.is_none_or(|o| o == i) {
                let logs = logs_by_tx
                    .get_mut(i)
                    .map(std::mem::take)
                    .unwrap_or_else(Vec::new);
                let mut bloom = Bloom::ZERO;
                for l in &sys.logs {
                    bloom.accrue_log(l);
                }
                out.push(ReceiptView {
                    tx_hash: sys.hash,
                    tx_index: i as u64,
                    block_hash: self.hash,
                    block_number: self.header.number,
                    tx_type: 0,
                    success: true,
                    cumulative_gas_used: self.header.gas_used,
                    gas_used: 0,
                    effective_gas_price: 0,
                    from: Address::ZERO,
                    to: Some(Address::ZERO),
                    contract_address: None,
                    logs_bloom: bloom,
                    logs,
                });
            }
        }
        Ok(out)
    }
}

impl Inner {
    fn resolve(&self, sel: BlockSelector) -> Result<Option<(u64, B256)>, QueryError> {
        match sel {
            BlockSelector::Latest
            | BlockSelector::Pending
            | BlockSelector::Safe
            | BlockSelector::Finalized => Ok(Some((self.head.number, self.head.hash))),
            BlockSelector::Earliest => self.resolve(BlockSelector::Number(0)),
            BlockSelector::Number(n) => Ok(self
                .store
                .canonical_hash(n)
                .map_err(store_err)?
                .map(|h| (n, h))),
            BlockSelector::Hash(h) => {
                let Some(n) = self.store.block_number(&h).map_err(store_err)? else {
                    return Ok(None);
                };
                // Only canonical blocks are stored, but check anyway.
                if self.store.canonical_hash(n).map_err(store_err)? != Some(h) {
                    return Ok(None);
                }
                Ok(Some((n, h)))
            }
        }
    }

    fn header_of(&self, hash: &B256) -> Result<Header, QueryError> {
        let bytes = self
            .store
            .header_rlp(hash)
            .map_err(store_err)?
            .ok_or_else(|| corrupt("header", format!("header of {hash} missing")))?;
        decode_header(&bytes)
    }

    fn raw_block(&self, hash: B256, with_receipts: bool) -> Result<RawBlock, QueryError> {
        let header = self.header_of(&hash)?;
        let body = match self.store.body(&hash).map_err(store_err)? {
            Some(b) if !b.is_empty() => {
                Some(serde_json::from_slice(&b).map_err(|e| corrupt("block body", e))?)
            }
            _ => None,
        };
        let receipts = if with_receipts {
            match self.store.receipts(&hash).map_err(store_err)? {
                Some(b) if !b.is_empty() => {
                    Some(serde_json::from_slice(&b).map_err(|e| corrupt("receipts", e))?)
                }
                _ => None,
            }
        } else {
            None
        };
        Ok(RawBlock {
            hash,
            header,
            body,
            receipts,
        })
    }

    /// Resolves `sel` and checks it is the head, whose state the store holds.
    pub(crate) fn check_head_state(&self, sel: BlockSelector) -> Result<(), QueryError> {
        match self.resolve(sel)? {
            None => Err(QueryError::UnknownBlock(selector_text(sel))),
            Some((n, _)) if n != self.head.number => Err(QueryError::HistoricalState(n)),
            Some(_) => Ok(()),
        }
    }

    fn pool_hashes(&self) -> Vec<B256> {
        let content = self.pool.content();
        content
            .pending
            .values()
            .chain(content.queued.values())
            .flat_map(|by_nonce| by_nonce.values().map(|t| t.hash))
            .collect()
    }
}

fn selector_text(sel: BlockSelector) -> String {
    match sel {
        BlockSelector::Latest => "latest".into(),
        BlockSelector::Pending => "pending".into(),
        BlockSelector::Earliest => "earliest".into(),
        BlockSelector::Safe => "safe".into(),
        BlockSelector::Finalized => "finalized".into(),
        BlockSelector::Number(n) => n.to_string(),
        BlockSelector::Hash(h) => h.to_string(),
    }
}

fn block_size(header: &Header, body: Option<&ExecutablePayload>) -> u64 {
    use alloy_rlp::Encodable;
    // Block RLP: list(header, list(txs), list()) where a typed tx is an RLP string of its
    // EIP-2718 bytes and a legacy tx is its RLP list as is.
    let mut txs_len = 0usize;
    if let Some(b) = body {
        for raw in &b.transactions {
            let bytes = raw.as_slice();
            let legacy = bytes.first().is_some_and(|b| *b >= 0xc0);
            let len = if legacy {
                bytes.len()
            } else {
                Bytes::copy_from_slice(bytes).length()
            };
            txs_len = txs_len.saturating_add(len);
        }
    }
    let txs_list = alloy_rlp::length_of_length(txs_len).saturating_add(txs_len);
    let payload = header.length().saturating_add(txs_list).saturating_add(1);
    alloy_rlp::length_of_length(payload).saturating_add(payload) as u64
}

impl InProcessEngine {
    /// Registers a listener called with each new head (under the engine lock: it must be quick,
    /// must not block and must not call the engine).
    pub fn on_new_head(&self, listener: HeadListener) -> Result<(), EngineError> {
        self.lock()?.head_listeners.push(listener);
        Ok(())
    }

    /// The EIP-155 chain id.
    pub fn chain_id(&self) -> Result<u64, EngineError> {
        Ok(self.lock()?.spec.chain_id)
    }

    /// The block gas limit of the chain.
    pub fn block_gas_limit(&self) -> Result<u64, EngineError> {
        Ok(self.lock()?.spec.gas_limit)
    }

    /// The base fee of the next block.
    pub fn next_base_fee(&self) -> Result<u64, EngineError> {
        Ok(self.lock()?.next_base_fee())
    }

    /// The base fee of a child of a block with these values (the chain's EIP-1559 rules).
    pub fn base_fee_after(
        &self,
        gas_used: u64,
        gas_limit: u64,
        base_fee: u64,
    ) -> Result<u64, EngineError> {
        Ok(self
            .lock()?
            .spec
            .next_base_fee(gas_used, gas_limit, base_fee))
    }

    /// The head's number.
    pub fn head_number(&self) -> Result<u64, EngineError> {
        Ok(self.lock()?.head.number)
    }

    /// Number and hash of a canonical block, `None` if there is none.
    pub fn resolve_block(&self, sel: BlockSelector) -> Result<Option<(u64, B256)>, QueryError> {
        self.lock()?.resolve(sel)
    }

    /// The header of a canonical block.
    pub fn header(&self, sel: BlockSelector) -> Result<Option<(B256, Header)>, QueryError> {
        let inner = self.lock()?;
        let Some((_, hash)) = inner.resolve(sel)? else {
            return Ok(None);
        };
        Ok(Some((hash, inner.header_of(&hash)?)))
    }

    /// A canonical block with its decoded transactions.
    pub fn block(&self, sel: BlockSelector) -> Result<Option<BlockView>, QueryError> {
        let raw = {
            let inner = self.lock()?;
            let Some((_, hash)) = inner.resolve(sel)? else {
                return Ok(None);
            };
            inner.raw_block(hash, true)?
        };
        Ok(Some(BlockView {
            hash: raw.hash,
            size: block_size(&raw.header, raw.body.as_ref()),
            transactions: raw.decode_txs()?,
            system_tx: raw.system_tx().map(|s| s.hash),
            header: raw.header,
        }))
    }

    /// Number of signed transactions in a canonical block.
    pub fn block_tx_count(&self, sel: BlockSelector) -> Result<Option<u64>, QueryError> {
        let inner = self.lock()?;
        let Some((_, hash)) = inner.resolve(sel)? else {
            return Ok(None);
        };
        Ok(Some(inner.raw_block(hash, false)?.tx_count() as u64))
    }

    /// A transaction by hash: mined, the synthetic state-sync entry, or waiting in the pool.
    pub fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, QueryError> {
        let inner = self.lock()?;
        if let Some((number, index)) = inner.store.tx_location(&hash).map_err(store_err)? {
            let Some(block_hash) = inner.store.canonical_hash(number).map_err(store_err)? else {
                return Err(corrupt(
                    "tx index",
                    format!("block {number} of {hash} missing"),
                ));
            };
            // Receipts tell whether the hash is the block's synthetic state-sync entry.
            let raw = inner.raw_block(block_hash, true)?;
            drop(inner);
            let index = index as usize;
            if let Some(sys) = raw.system_tx().filter(|s| s.hash == hash) {
                return Ok(Some(TxLookup::System {
                    hash: sys.hash,
                    location: raw.location(index),
                }));
            }
            let Some(rawtx) = raw.body.as_ref().and_then(|b| b.transactions.get(index)) else {
                return Err(corrupt("tx index", format!("{hash} at {number}:{index}")));
            };
            let tx = decode_tx(rawtx.as_slice())?;
            return Ok(Some(TxLookup::Mined(tx, raw.location(index))));
        }
        Ok(inner.pool.get(&hash).map(|t| {
            TxLookup::Pending(StoredTx {
                hash: t.hash,
                sender: t.sender,
                envelope: t.envelope.clone(),
            })
        }))
    }

    /// Hashes of every pooled transaction (pending and queued), by sender and nonce.
    pub fn pool_transaction_hashes(&self) -> Result<Vec<B256>, QueryError> {
        Ok(self.lock()?.pool_hashes())
    }

    /// Receipts of a canonical block (the synthetic state-sync receipt last).
    pub fn block_receipts(
        &self,
        sel: BlockSelector,
    ) -> Result<Option<Vec<ReceiptView>>, QueryError> {
        let raw = {
            let inner = self.lock()?;
            let Some((_, hash)) = inner.resolve(sel)? else {
                return Ok(None);
            };
            inner.raw_block(hash, true)?
        };
        raw.receipt_views(None).map(Some)
    }

    /// The receipt of a mined transaction or of a block's synthetic state-sync entry.
    pub fn receipt(&self, hash: B256) -> Result<Option<ReceiptView>, QueryError> {
        let raw = {
            let inner = self.lock()?;
            let Some((number, _)) = inner.store.tx_location(&hash).map_err(store_err)? else {
                return Ok(None);
            };
            let Some(block_hash) = inner.store.canonical_hash(number).map_err(store_err)? else {
                return Ok(None);
            };
            inner.raw_block(block_hash, true)?
        };
        Ok(raw
            .receipt_views(None)?
            .into_iter()
            .find(|r| r.tx_hash == hash))
    }

    /// Logs of one canonical block (by hash) that match `filter`; `None` if there is no such
    /// block.
    pub fn logs_at(
        &self,
        hash: B256,
        filter: &LogFilter,
    ) -> Result<Option<Vec<LogView>>, QueryError> {
        let raw = {
            let inner = self.lock()?;
            if inner.resolve(BlockSelector::Hash(hash))?.is_none() {
                return Ok(None);
            }
            inner.raw_block(hash, true)?
        };
        Ok(Some(
            raw.log_views()
                .into_iter()
                .filter(|l| filter.matches(&l.inner))
                .collect(),
        ))
    }

    /// Logs of canonical blocks `from..=to` (clamped to the head) that match `filter`, in block
    /// and log-index order; fails with [`QueryError::TooManyLogs`] past `max_logs`.
    ///
    /// There is no log index: every block of the range is read (the lock is taken per block).
    pub fn logs(
        &self,
        from: u64,
        to: u64,
        filter: &LogFilter,
        max_logs: usize,
    ) -> Result<Vec<LogView>, QueryError> {
        let mut out = Vec::new();
        let mut n = from;
        while n <= to {
            let raw = {
                let inner = self.lock()?;
                if n > inner.head.number {
                    break;
                }
                let Some(hash) = inner.store.canonical_hash(n).map_err(store_err)? else {
                    break;
                };
                inner.raw_block(hash, true)?
            };
            for l in raw.log_views() {
                if filter.matches(&l.inner) {
                    if out.len() >= max_logs {
                        return Err(QueryError::TooManyLogs(max_logs));
                    }
                    out.push(l);
                }
            }
            match n.checked_add(1) {
                Some(next) => n = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// Balance, nonce and code of an account in the state of `sel` (the head only).
    pub fn account_at(
        &self,
        address: Address,
        sel: BlockSelector,
    ) -> Result<(U256, u64, Bytes), QueryError> {
        let inner = self.lock()?;
        inner.check_head_state(sel)?;
        let Some(acc) = inner.store.account(&address).map_err(store_err)? else {
            return Ok((U256::ZERO, 0, Bytes::new()));
        };
        let code = if acc.code_hash == Store::EMPTY_CODE_HASH {
            Bytes::new()
        } else {
            inner
                .store
                .code(&acc.code_hash)
                .map_err(store_err)?
                .ok_or_else(|| corrupt("code", format!("code {} missing", acc.code_hash)))?
        };
        Ok((acc.balance, acc.nonce, code))
    }

    /// A storage slot in the state of `sel` (the head only).
    pub fn storage_slot(
        &self,
        address: Address,
        slot: U256,
        sel: BlockSelector,
    ) -> Result<U256, QueryError> {
        let inner = self.lock()?;
        inner.check_head_state(sel)?;
        inner.store.storage(&address, &slot).map_err(store_err)
    }

    /// The next nonce of `address`: for [`BlockSelector::Pending`] the first nonce at or above
    /// the account nonce that the pool does not hold; other selectors must name the head.
    pub fn nonce_at(&self, address: Address, sel: BlockSelector) -> Result<u64, QueryError> {
        let inner = self.lock()?;
        inner.check_head_state(sel)?;
        let state_nonce = inner
            .store
            .account(&address)
            .map_err(store_err)?
            .map_or(0, |a| a.nonce);
        if sel != BlockSelector::Pending {
            return Ok(state_nonce);
        }
        Ok(inner.pool.pending_nonce(&address, state_nonce))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloy_primitives::LogData;

    fn log(address: Address, topics: Vec<B256>) -> Log {
        Log {
            address,
            data: LogData::new_unchecked(topics, Bytes::new()),
        }
    }

    #[test]
    fn block_size_is_the_rlp_length_of_the_block() {
        use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
        use alloy_eips::eip2718::Encodable2718;
        use alloy_primitives::{Signature, TxKind};
        let sig = Signature::new(U256::from(1), U256::from(2), false);
        let legacy = TxEnvelope::from(
            TxLegacy {
                chain_id: Some(1029),
                to: TxKind::Call(Address::repeat_byte(3)),
                input: Bytes::from(vec![7u8; 100]),
                ..Default::default()
            }
            .into_signed(sig),
        );
        let typed = TxEnvelope::from(
            TxEip1559 {
                chain_id: 1029,
                input: Bytes::from(vec![9u8; 300]),
                ..Default::default()
            }
            .into_signed(sig),
        );
        let header = Header {
            number: 5,
            extra_data: Bytes::from(vec![0u8; 97]),
            base_fee_per_gas: Some(7),
            ..Default::default()
        };
        let block = alloy_consensus::Block {
            header: header.clone(),
            body: alloy_consensus::BlockBody {
                transactions: vec![legacy.clone(), typed.clone()],
                ommers: vec![],
                withdrawals: None,
            },
        };
        let expected = alloy_rlp::encode(&block).len() as u64;
        let payload: ExecutablePayload = serde_json::from_value(serde_json::json!({
            "parentHash": B256::ZERO, "feeRecipient": Address::ZERO, "stateRoot": B256::ZERO,
            "receiptsRoot": B256::ZERO, "logsBloom": Bloom::ZERO, "prevRandao": B256::ZERO,
            "blockNumber": "0x5", "gasLimit": "0x1", "gasUsed": "0x0", "timestamp": "0x1",
            "extraData": "0x", "baseFeePerGas": "0x7", "blockHash": B256::ZERO,
            "transactions": [
                Bytes::from(legacy.encoded_2718()),
                Bytes::from(typed.encoded_2718())
            ]
        }))
        .unwrap();
        assert_eq!(block_size(&header, Some(&payload)), expected);
        let empty = alloy_consensus::Block::<TxEnvelope> {
            header: header.clone(),
            body: alloy_consensus::BlockBody {
                transactions: vec![],
                ommers: vec![],
                withdrawals: None,
            },
        };
        assert_eq!(
            block_size(&header, None),
            alloy_rlp::encode(&empty).len() as u64
        );
    }

    #[test]
    fn log_filter_matches_addresses_and_topic_positions() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let t1 = B256::repeat_byte(0x11);
        let t2 = B256::repeat_byte(0x22);
        let l = log(a, vec![t1, t2]);
        assert!(LogFilter::default().matches(&l));
        let by_addr = LogFilter {
            addresses: [b].into_iter().collect(),
            topics: vec![],
        };
        assert!(!by_addr.matches(&l));
        let wildcard_then_t2 = LogFilter {
            addresses: [a, b].into_iter().collect(),
            topics: vec![BTreeSet::new(), [t1, t2].into_iter().collect()],
        };
        assert!(wildcard_then_t2.matches(&l));
        let third = LogFilter {
            addresses: BTreeSet::new(),
            topics: vec![BTreeSet::new(), BTreeSet::new(), [t1].into_iter().collect()],
        };
        assert!(
            !third.matches(&l),
            "a log without a third topic does not match"
        );
    }
}
