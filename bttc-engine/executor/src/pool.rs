//! The transaction pool.
//!
//! Transactions are kept per sender by nonce. A sender's *pending* transactions are the run of
//! consecutive nonces starting at its account (state) nonce; the rest are *queued* (there is a
//! gap below them). A queued transaction is promoted as soon as the gap fills, and the pending
//! run is re-split after every new head ([`TxPool::prune`]).
//!
//! Rules, following geth's legacy pool:
//! - a nonce more than [`PoolConfig::max_nonce_gap`] above the account nonce is refused;
//! - a transaction with the same sender and nonce as a pooled one replaces it only if both its
//!   effective tip and its fee cap are at least [`PoolConfig::price_bump_percent`] higher;
//! - a sender holds at most [`PoolConfig::max_per_sender`] transactions;
//! - when the pool is full (count or bytes), a newcomer evicts the cheapest tail transaction of
//!   *another* sender if it pays more (queued before pending; never a pending transaction for a
//!   queued newcomer; only a sender's highest nonce, so nobody's pending run gets a gap);
//! - block building takes pending transactions by effective tip at the block's base fee, best
//!   first, without breaking any sender's nonce order ([`TxPool::best`]).
//!
//! Everything is ordered by `BTreeMap`/`BinaryHeap` keys with a total order (price, arrival
//! sequence number, hash): the pool's choices are deterministic.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256};
use bttc_engine_api::TxRejectKind;

use crate::tx::{RecoveredTx, TxError, MAX_NONCE_GAP};

/// Limits and rules of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most transactions held (pending and queued).
    pub max_txs: usize,
    /// Most encoded bytes held.
    pub max_bytes: usize,
    /// Most transactions held for one sender.
    pub max_per_sender: usize,
    /// Largest accepted distance of a nonce above the sender's account nonce.
    pub max_nonce_gap: u64,
    /// How much higher (percent) both the effective tip and the fee cap of a replacement must be.
    pub price_bump_percent: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 5120,
            max_bytes: 32 << 20,
            max_per_sender: 64,
            max_nonce_gap: MAX_NONCE_GAP,
            price_bump_percent: 10,
        }
    }
}

/// What [`TxPool::insert`] did with an admitted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The pool already held this transaction; nothing changed.
    AlreadyKnown,
    /// The transaction was added.
    Added {
        /// Whether it is pending (executable now) rather than queued.
        pending: bool,
        /// The transaction it replaced (same sender and nonce).
        replaced: Option<B256>,
        /// Transactions of other senders evicted to make room.
        evicted: Vec<B256>,
    },
}

/// The pool's transactions split into pending and queued, by sender and nonce.
#[derive(Debug, Clone, Default)]
pub struct PoolContent {
    /// Executable now: each sender's run of consecutive nonces from its account nonce.
    pub pending: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    /// Waiting for a lower nonce.
    pub queued: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
}

#[derive(Debug, Clone)]
struct PooledTx {
    tx: RecoveredTx,
    /// Arrival order (unique): the tie-break after price.
    seq: u64,
}

#[derive(Debug)]
struct SenderTxs {
    /// The sender's account nonce as of the last admission or head.
    state_nonce: u64,
    /// Length of the run of consecutive nonces from `state_nonce`.
    pending: usize,
    txs: BTreeMap<u64, PooledTx>,
}

impl SenderTxs {
    fn pending_end(&self) -> u64 {
        u64::try_from(self.pending).map_or(u64::MAX, |p| self.state_nonce.saturating_add(p))
    }

    fn is_pending(&self, nonce: u64) -> bool {
        nonce >= self.state_nonce && nonce < self.pending_end()
    }

    fn count_pending(&self) -> usize {
        let mut n = 0usize;
        let mut next = self.state_nonce;
        while self.txs.contains_key(&next) {
            n = n.saturating_add(1);
            match next.checked_add(1) {
                Some(v) => next = v,
                None => break,
            }
        }
        n
    }
}

/// Price of a transaction at a base fee, compared as (effective tip, fee cap).
type Price = (u128, u128);

fn price(tx: &RecoveredTx, base_fee: u64) -> Price {
    (tx.effective_tip(base_fee), tx.fee_cap())
}

/// `value * (100 + bump) / 100`, in U256 so that it cannot overflow.
fn bumped(value: u128, bump_percent: u64) -> U256 {
    let factor = U256::from(bump_percent).saturating_add(U256::from(100u8));
    U256::from(value)
        .saturating_mul(factor)
        .checked_div(U256::from(100u8))
        .unwrap_or(U256::MAX)
}

fn full(message: String) -> TxError {
    TxError {
        kind: TxRejectKind::PoolFull,
        message,
    }
}

/// An eviction candidate, cheapest first: queued before pending, then price, then the latest
/// arrival.
type EvictKey = (bool, u128, u128, Reverse<u64>, Address, u64);

/// Transactions waiting for a block: per-sender nonce order, pending and queued, price order
/// across senders, replacement, limits and eviction.
#[derive(Debug)]
pub struct TxPool {
    config: PoolConfig,
    senders: BTreeMap<Address, SenderTxs>,
    by_hash: BTreeMap<B256, (Address, u64)>,
    bytes: usize,
    pending: usize,
    next_seq: u64,
}

impl TxPool {
    /// An empty pool with these limits.
    pub const fn new(config: PoolConfig) -> Self {
        Self {
            config,
            senders: BTreeMap::new(),
            by_hash: BTreeMap::new(),
            bytes: 0,
            pending: 0,
            next_seq: 0,
        }
    }

    /// The pool's limits.
    pub const fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Number of transactions (pending and queued).
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Encoded bytes held.
    pub const fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of pending (executable) transactions.
    pub const fn pending_count(&self) -> usize {
        self.pending
    }

    /// Number of queued (gapped) transactions.
    pub fn queued_count(&self) -> usize {
        self.len().saturating_sub(self.pending)
    }

    /// The hashes of every pooled transaction, in hash order.
    pub fn hashes(&self) -> impl Iterator<Item = &B256> {
        self.by_hash.keys()
    }

    /// Whether the pool holds this transaction.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<&RecoveredTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.senders.get(sender)?.txs.get(nonce).map(|p| &p.tx)
    }

    /// The next nonce for `sender` counting its pooled transactions: the first nonce at or
    /// above `state_nonce` that the pool does not hold (`eth_getTransactionCount(.., "pending")`).
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(s) = self.senders.get(sender) {
            while s.txs.contains_key(&next) {
                match next.checked_add(1) {
                    Some(v) => next = v,
                    None => break,
                }
            }
        }
        next
    }

    /// Every pooled transaction, split into pending and queued (`txpool_content`).
    pub fn content(&self) -> PoolContent {
        let mut out = PoolContent::default();
        for (sender, s) in &self.senders {
            for (nonce, p) in &s.txs {
                let side = if s.is_pending(*nonce) {
                    &mut out.pending
                } else {
                    &mut out.queued
                };
                side.entry(*sender)
                    .or_default()
                    .insert(*nonce, p.tx.clone());
            }
        }
        out
    }

    /// Adds a transaction that passed the stateless and account checks. `state_nonce` is the
    /// sender's account nonce at the head and `base_fee` the next block's base fee (prices are
    /// effective tips at it).
    ///
    /// Refuses with [`TxRejectKind::NonceTooLow`] / [`TxRejectKind::NonceGap`] on a nonce out of
    /// range, [`TxRejectKind::ReplacementNotAllowed`] when a pooled transaction with the same
    /// sender and nonce is not outbid by the price bump, and [`TxRejectKind::PoolFull`] when the
    /// sender is at its limit or no cheaper transaction of another sender can be evicted.
    pub fn insert(
        &mut self,
        tx: RecoveredTx,
        state_nonce: u64,
        base_fee: u64,
    ) -> Result<InsertOutcome, TxError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        let sender = tx.sender;
        let nonce = tx.envelope.nonce();
        if nonce < state_nonce {
            return Err(TxError {
                kind: TxRejectKind::NonceTooLow,
                message: format!("nonce {nonce} is below the account nonce {state_nonce}"),
            });
        }
        let max_gap = self.config.max_nonce_gap;
        if nonce.saturating_sub(state_nonce) > max_gap {
            return Err(TxError {
                kind: TxRejectKind::NonceGap,
                message: format!(
                    "nonce {nonce} is more than {max_gap} above the account nonce {state_nonce}"
                ),
            });
        }
        self.sync_state_nonce(&sender, state_nonce);

        let new_price = price(&tx, base_fee);
        let (replaced, held, newcomer_pending) = match self.senders.get(&sender) {
            Some(s) => {
                let replaced = match s.txs.get(&nonce) {
                    Some(old) => {
                        self.check_replacement(&old.tx, &tx, base_fee)?;
                        Some((old.tx.hash, old.tx.size))
                    }
                    None => None,
                };
                (replaced, s.txs.len(), nonce <= s.pending_end())
            }
            None => (None, 0, nonce == state_nonce),
        };
        if replaced.is_none() && held >= self.config.max_per_sender {
            return Err(full(format!(
                "sender {sender} has {held} transactions in the pool, the per-sender limit is {}",
                self.config.max_per_sender
            )));
        }
        if tx.size > self.config.max_bytes {
            return Err(full(format!(
                "transaction is {} bytes, the pool holds at most {} bytes",
                tx.size, self.config.max_bytes
            )));
        }
        let count_after = match replaced {
            Some(_) => self.len(),
            None => self.len().saturating_add(1),
        };
        let bytes_after = self
            .bytes
            .saturating_sub(replaced.map_or(0, |(_, size)| size))
            .saturating_add(tx.size);
        let victims = self.plan_evictions(
            base_fee,
            &sender,
            new_price,
            newcomer_pending,
            count_after.saturating_sub(self.config.max_txs),
            bytes_after.saturating_sub(self.config.max_bytes),
        )?;

        if replaced.is_some() {
            self.remove_entry(&sender, nonce);
        }
        let mut evicted = Vec::with_capacity(victims.len());
        for (victim, victim_nonce) in victims {
            if let Some(p) = self.remove_entry(&victim, victim_nonce) {
                evicted.push(p.tx.hash);
            }
            self.refresh_sender(&victim);
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        self.by_hash.insert(tx.hash, (sender, nonce));
        self.bytes = self.bytes.saturating_add(tx.size);
        let s = self.senders.entry(sender).or_insert_with(|| SenderTxs {
            state_nonce,
            pending: 0,
            txs: BTreeMap::new(),
        });
        s.txs.insert(nonce, PooledTx { tx, seq });
        self.refresh_sender(&sender);
        let pending = self
            .senders
            .get(&sender)
            .is_some_and(|s| s.is_pending(nonce));
        Ok(InsertOutcome::Added {
            pending,
            replaced: replaced.map(|(hash, _)| hash),
            evicted,
        })
    }

    /// Removes a transaction by hash; the sender's later nonces become queued.
    pub fn remove(&mut self, hash: &B256) -> Option<RecoveredTx> {
        let (sender, nonce) = *self.by_hash.get(hash)?;
        let removed = self.remove_entry(&sender, nonce);
        self.refresh_sender(&sender);
        removed.map(|p| p.tx)
    }

    /// Pending transactions for a block at `base_fee`, best effective tip first, each sender's
    /// in nonce order. Senders whose next transaction's fee cap is below `base_fee` stop there.
    pub fn best(&self, base_fee: u64) -> BestTxs<'_> {
        let mut heap = BinaryHeap::new();
        for s in self.senders.values() {
            if s.pending == 0 {
                continue;
            }
            if let Some(p) = s.txs.get(&s.state_nonce) {
                if let Some(head) = Head::new(p, base_fee) {
                    heap.push(head);
                }
            }
        }
        BestTxs {
            pool: self,
            base_fee,
            heap,
            invalid: BTreeSet::new(),
        }
    }

    /// Updates the pool to a new head: `account` gives each sender's (nonce, balance) there.
    /// Drops transactions whose nonce is below the account nonce (included) and those whose
    /// `gas_limit * fee_cap + value` exceeds the balance, then re-splits pending and queued.
    /// Returns the dropped hashes.
    pub fn prune<E>(
        &mut self,
        mut account: impl FnMut(&Address) -> Result<(u64, U256), E>,
    ) -> Result<Vec<B256>, E> {
        let senders: Vec<Address> = self.senders.keys().copied().collect();
        let mut dropped = Vec::new();
        for sender in senders {
            let (nonce, balance) = account(&sender)?;
            let Some(s) = self.senders.get_mut(&sender) else {
                continue;
            };
            s.state_nonce = nonce;
            let doomed: Vec<u64> = s
                .txs
                .iter()
                .filter(|(n, p)| **n < nonce || p.tx.max_cost().is_none_or(|c| c > balance))
                .map(|(n, _)| *n)
                .collect();
            for n in doomed {
                if let Some(p) = self.remove_entry(&sender, n) {
                    dropped.push(p.tx.hash);
                }
            }
            self.refresh_sender(&sender);
        }
        Ok(dropped)
    }

    /// After building a payload: removes the transactions that failed for a reason of their own.
    /// `skipped` are the transactions the build left out. Per sender only the lowest skipped
    /// nonce is a cause (the later ones then fail on their nonce and stay); it is removed unless
    /// its gas limit exceeds `remaining_gas` (the block's gas left at the end), in which case it
    /// may merely not have fit and stays for the next block. Returns the removed hashes.
    pub fn remove_failed<'h>(
        &mut self,
        skipped: impl IntoIterator<Item = &'h B256>,
        remaining_gas: u64,
    ) -> Vec<B256> {
        let mut first: BTreeMap<Address, u64> = BTreeMap::new();
        for hash in skipped {
            if let Some((sender, nonce)) = self.by_hash.get(hash) {
                let lowest = first.entry(*sender).or_insert(*nonce);
                *lowest = (*lowest).min(*nonce);
            }
        }
        let mut removed = Vec::new();
        for (sender, nonce) in first {
            let fits = self
                .senders
                .get(&sender)
                .and_then(|s| s.txs.get(&nonce))
                .is_some_and(|p| p.tx.envelope.gas_limit() <= remaining_gas);
            if fits {
                if let Some(p) = self.remove_entry(&sender, nonce) {
                    removed.push(p.tx.hash);
                }
                self.refresh_sender(&sender);
            }
        }
        removed
    }

    fn check_replacement(
        &self,
        old: &RecoveredTx,
        new: &RecoveredTx,
        base_fee: u64,
    ) -> Result<(), TxError> {
        let bump = self.config.price_bump_percent;
        let (old_tip, old_cap) = price(old, base_fee);
        let (new_tip, new_cap) = price(new, base_fee);
        let need_tip = bumped(old_tip, bump);
        let need_cap = bumped(old_cap, bump);
        if U256::from(new_tip) < need_tip || U256::from(new_cap) < need_cap {
            return Err(TxError {
                kind: TxRejectKind::ReplacementNotAllowed,
                message: format!(
                    "replacing {} (sender {}, nonce {}) needs an effective tip of at least \
                     {need_tip} and a fee cap of at least {need_cap} (+{bump}%), found tip \
                     {new_tip} and fee cap {new_cap}",
                    old.hash,
                    old.sender,
                    old.envelope.nonce()
                ),
            });
        }
        Ok(())
    }

    /// Picks the transactions of senders other than `exclude` to evict so that `need_count`
    /// transactions and `need_bytes` bytes are freed, each paying less than `newcomer` at
    /// `base_fee`.
    fn plan_evictions(
        &self,
        base_fee: u64,
        exclude: &Address,
        newcomer: Price,
        newcomer_pending: bool,
        need_count: usize,
        need_bytes: usize,
    ) -> Result<Vec<(Address, u64)>, TxError> {
        if need_count == 0 && need_bytes == 0 {
            return Ok(Vec::new());
        }
        let key = |sender: &Address, s: &SenderTxs, nonce: u64, p: &PooledTx| -> EvictKey {
            let (tip, cap) = price(&p.tx, base_fee);
            (
                s.is_pending(nonce),
                tip,
                cap,
                Reverse(p.seq),
                *sender,
                nonce,
            )
        };
        let mut candidates: BTreeSet<EvictKey> = BTreeSet::new();
        for (sender, s) in &self.senders {
            if sender == exclude {
                continue;
            }
            if let Some((nonce, p)) = s.txs.last_key_value() {
                candidates.insert(key(sender, s, *nonce, p));
            }
        }
        let mut victims = Vec::new();
        let (mut freed_count, mut freed_bytes) = (0usize, 0usize);
        while freed_count < need_count || freed_bytes < need_bytes {
            let Some((pending, tip, cap, _, sender, nonce)) = candidates.pop_first() else {
                return Err(full(format!(
                    "pool is full ({} of {} transactions, {} of {} bytes) and no transaction \
                     of another sender {} less than this one (tip {}, fee cap {})",
                    self.len(),
                    self.config.max_txs,
                    self.bytes,
                    self.config.max_bytes,
                    if newcomer_pending {
                        "pays"
                    } else {
                        "in the queue pays"
                    },
                    newcomer.0,
                    newcomer.1
                )));
            };
            // An executable newcomer outranks any queued tx whatever it pays: a pool full of
            // gapped txs must still take the txs that fill the gaps (under gossip, a sender's
            // nonces reach a node out of order). Otherwise only a cheaper tx gives way.
            let outranked = (newcomer_pending && !pending) || (tip, cap) < newcomer;
            if (pending && !newcomer_pending) || !outranked {
                // This sender's tail cannot go, so nothing below it can either.
                continue;
            }
            let Some(s) = self.senders.get(&sender) else {
                continue;
            };
            if let Some(p) = s.txs.get(&nonce) {
                freed_count = freed_count.saturating_add(1);
                freed_bytes = freed_bytes.saturating_add(p.tx.size);
            }
            victims.push((sender, nonce));
            if let Some((below, p)) = s.txs.range(..nonce).next_back() {
                candidates.insert(key(&sender, s, *below, p));
            }
        }
        Ok(victims)
    }

    /// Records the sender's current account nonce, dropping its transactions below it.
    fn sync_state_nonce(&mut self, sender: &Address, state_nonce: u64) {
        let Some(s) = self.senders.get_mut(sender) else {
            return;
        };
        if s.state_nonce == state_nonce {
            return;
        }
        s.state_nonce = state_nonce;
        let stale: Vec<u64> = s.txs.range(..state_nonce).map(|(n, _)| *n).collect();
        for n in stale {
            self.remove_entry(sender, n);
        }
        self.refresh_sender(sender);
    }

    /// Takes one transaction out of the maps and the byte count. The caller then calls
    /// [`Self::refresh_sender`].
    fn remove_entry(&mut self, sender: &Address, nonce: u64) -> Option<PooledTx> {
        let s = self.senders.get_mut(sender)?;
        let p = s.txs.remove(&nonce)?;
        self.by_hash.remove(&p.tx.hash);
        self.bytes = self.bytes.saturating_sub(p.tx.size);
        Some(p)
    }

    /// Recomputes a sender's pending run (promotion and demotion) and drops it when empty.
    fn refresh_sender(&mut self, sender: &Address) {
        let Some(s) = self.senders.get_mut(sender) else {
            return;
        };
        let before = s.pending;
        let after = s.count_pending();
        s.pending = after;
        self.pending = self.pending.saturating_sub(before).saturating_add(after);
        if s.txs.is_empty() {
            self.senders.remove(sender);
        }
    }
}

/// A sender's next transaction in [`BestTxs`]'s heap: the greatest is the best.
#[derive(Debug, Clone, Copy)]
struct Head {
    tip: u128,
    seq: u64,
    hash: B256,
    sender: Address,
    nonce: u64,
}

impl Head {
    fn new(p: &PooledTx, base_fee: u64) -> Option<Self> {
        if p.tx.fee_cap() < u128::from(base_fee) {
            return None;
        }
        Some(Self {
            tip: p.tx.effective_tip(base_fee),
            seq: p.seq,
            hash: p.tx.hash,
            sender: p.tx.sender,
            nonce: p.tx.envelope.nonce(),
        })
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    /// Higher tip is better; then earlier arrival; then the lower hash.
    fn cmp(&self, other: &Self) -> Ordering {
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.seq.cmp(&self.seq))
            .then_with(|| other.hash.cmp(&self.hash))
    }
}

/// Pending transactions in block order (geth's `TransactionsByPriceAndNonce`): one head per
/// sender in a max-heap by effective tip; taking a head makes the sender's next nonce its head.
#[derive(Debug)]
pub struct BestTxs<'a> {
    pool: &'a TxPool,
    base_fee: u64,
    heap: BinaryHeap<Head>,
    invalid: BTreeSet<Address>,
}

impl BestTxs<'_> {
    /// Stops yielding `sender`'s transactions: call it when one of them did not fit or failed,
    /// since its later nonces cannot execute without it.
    pub fn mark_invalid(&mut self, sender: &Address) {
        self.invalid.insert(*sender);
    }
}

impl<'a> Iterator for BestTxs<'a> {
    type Item = &'a RecoveredTx;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let head = self.heap.pop()?;
            if self.invalid.contains(&head.sender) {
                continue;
            }
            let Some(s) = self.pool.senders.get(&head.sender) else {
                continue;
            };
            let Some(p) = s.txs.get(&head.nonce) else {
                continue;
            };
            if let Some(next_nonce) = head.nonce.checked_add(1) {
                if s.is_pending(next_nonce) {
                    if let Some(next) = s
                        .txs
                        .get(&next_nonce)
                        .and_then(|n| Head::new(n, self.base_fee))
                    {
                        self.heap.push(next);
                    }
                }
            }
            return Some(&p.tx);
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
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Bytes, TxKind};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    const GWEI: u128 = 1_000_000_000;
    const BASE: u64 = 1_000_000_000;

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
    }

    fn tx_data(k: &PrivateKeySigner, nonce: u64, tip: u128, cap: u128, data: usize) -> RecoveredTx {
        let t = TxEip1559 {
            chain_id: 1,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: cap,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::repeat_byte(0xc0)),
            input: Bytes::from(vec![1u8; data]),
            ..Default::default()
        };
        let sig = k.sign_hash_sync(&t.signature_hash()).unwrap();
        let envelope = TxEnvelope::from(t.into_signed(sig));
        RecoveredTx {
            hash: *envelope.tx_hash(),
            sender: k.address(),
            size: envelope.encode_2718_len(),
            envelope,
        }
    }

    /// A transfer with tip `tip` gwei and fee cap `tip + 10` gwei.
    fn tx(k: &PrivateKeySigner, nonce: u64, tip: u128) -> RecoveredTx {
        tx_data(k, nonce, tip * GWEI, (tip + 10) * GWEI, 0)
    }

    fn config() -> PoolConfig {
        PoolConfig::default()
    }

    fn added(
        pool: &mut TxPool,
        t: RecoveredTx,
        state_nonce: u64,
    ) -> (bool, Option<B256>, Vec<B256>) {
        match pool.insert(t, state_nonce, BASE).unwrap() {
            InsertOutcome::Added {
                pending,
                replaced,
                evicted,
            } => (pending, replaced, evicted),
            InsertOutcome::AlreadyKnown => panic!("already known"),
        }
    }

    fn refused(pool: &mut TxPool, t: RecoveredTx, state_nonce: u64) -> TxError {
        pool.insert(t, state_nonce, BASE).unwrap_err()
    }

    fn order(pool: &TxPool) -> Vec<(Address, u64)> {
        pool.best(BASE)
            .map(|t| (t.sender, t.envelope.nonce()))
            .collect()
    }

    #[test]
    fn nonces_come_out_in_order_whatever_the_submission_order() {
        let (a, b) = (key(1), key(2));
        let mut pool = TxPool::new(config());
        // Later nonces pay more: a price-only order would put them first.
        for n in [3u64, 0, 4, 1, 2] {
            added(&mut pool, tx(&a, n, 1 + u128::from(n) * 2), 0);
        }
        added(&mut pool, tx(&b, 0, 2), 0);
        assert_eq!(pool.pending_count(), 6);
        assert_eq!(pool.queued_count(), 0);
        let got = order(&pool);
        let a_nonces: Vec<u64> = got
            .iter()
            .filter(|(s, _)| *s == a.address())
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(a_nonces, vec![0, 1, 2, 3, 4]);
        // a0 (tip 1) loses to b0 (tip 2); then a's run, each a head only after its parent.
        assert_eq!(got[0], (b.address(), 0));
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn gapped_nonces_wait_in_the_queue_until_the_gap_fills() {
        let a = key(1);
        let mut pool = TxPool::new(config());
        assert!(
            added(&mut pool, tx(&a, 5, 1), 5).0,
            "the state nonce is pending"
        );
        assert!(!added(&mut pool, tx(&a, 7, 1), 5).0, "gapped: queued");
        assert!(!added(&mut pool, tx(&a, 8, 1), 5).0);
        assert_eq!((pool.pending_count(), pool.queued_count()), (1, 2));
        assert_eq!(pool.pending_nonce(&a.address(), 5), 6);
        assert_eq!(pool.pending_nonce(&key(9).address(), 3), 3);
        assert_eq!(order(&pool), vec![(a.address(), 5)]);
        let content = pool.content();
        assert_eq!(
            content.pending[&a.address()]
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            vec![5]
        );
        assert_eq!(
            content.queued[&a.address()]
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            vec![7, 8]
        );

        // Nonce 6 fills the gap: 7 and 8 are promoted.
        assert!(added(&mut pool, tx(&a, 6, 1), 5).0);
        assert_eq!((pool.pending_count(), pool.queued_count()), (4, 0));
        assert_eq!(pool.pending_nonce(&a.address(), 5), 9);
        assert_eq!(
            order(&pool).iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            vec![5, 6, 7, 8]
        );
        assert!(pool.content().queued.is_empty());

        // Removing 6 demotes 7 and 8 again.
        let six = pool.content().pending[&a.address()][&6].hash;
        assert!(pool.remove(&six).is_some());
        assert_eq!((pool.pending_count(), pool.queued_count()), (1, 2));
        assert!(pool.get(&six).is_none());
    }

    #[test]
    fn replacement_needs_the_price_bump_on_tip_and_fee_cap() {
        let a = key(1);
        let mut pool = TxPool::new(config());
        // Fee cap 20 gwei, tip 10 gwei (effective 10 at base fee 1 gwei).
        let old = tx_data(&a, 0, 10 * GWEI, 20 * GWEI, 0);
        let old_hash = old.hash;
        added(&mut pool, old.clone(), 0);
        assert!(matches!(
            pool.insert(old, 0, BASE).unwrap(),
            InsertOutcome::AlreadyKnown
        ));

        // +9% on both: refused, naming what it needs and what it got.
        let e = refused(
            &mut pool,
            tx_data(&a, 0, 10_900_000_000, 21_800_000_000, 0),
            0,
        );
        assert_eq!(e.kind, TxRejectKind::ReplacementNotAllowed);
        assert!(e.message.contains("at least 11000000000"), "{}", e.message);
        assert!(e.message.contains("at least 22000000000"), "{}", e.message);
        assert!(e.message.contains("found tip 10900000000"), "{}", e.message);
        // +10% tip but the old fee cap: refused.
        let e = refused(&mut pool, tx_data(&a, 0, 11 * GWEI, 20 * GWEI, 0), 0);
        assert_eq!(e.kind, TxRejectKind::ReplacementNotAllowed);
        // +10% fee cap but the tip (hence the effective tip) unchanged: refused.
        let e = refused(&mut pool, tx_data(&a, 0, 10 * GWEI, 22 * GWEI, 0), 0);
        assert_eq!(e.kind, TxRejectKind::ReplacementNotAllowed);
        assert!(pool.contains(&old_hash));

        // +10% on both: accepted, the old one leaves.
        let new = tx_data(&a, 0, 11 * GWEI, 22 * GWEI, 0);
        let new_hash = new.hash;
        let (pending, replaced, evicted) = added(&mut pool, new, 0);
        assert!(pending);
        assert_eq!(replaced, Some(old_hash));
        assert!(evicted.is_empty());
        assert_eq!(pool.len(), 1);
        assert!(!pool.contains(&old_hash));
        assert_eq!(pool.get(&new_hash).unwrap().hash, new_hash);
        assert_eq!(pool.bytes(), pool.get(&new_hash).unwrap().size);
    }

    #[test]
    fn a_sender_is_held_to_its_limit() {
        let (a, b) = (key(1), key(2));
        let mut pool = TxPool::new(PoolConfig {
            max_per_sender: 3,
            ..config()
        });
        for n in 0..3 {
            added(&mut pool, tx(&a, n, 1), 0);
        }
        let e = refused(&mut pool, tx(&a, 3, 1), 0);
        assert_eq!(e.kind, TxRejectKind::PoolFull);
        assert!(e.message.contains("has 3 transactions"), "{}", e.message);
        assert!(e.message.contains("per-sender limit is 3"), "{}", e.message);
        // A replacement does not add to the count; other senders are not affected.
        assert!(added(&mut pool, tx(&a, 2, 3), 0).1.is_some());
        added(&mut pool, tx(&b, 0, 1), 0);
        assert_eq!(pool.len(), 4);
    }

    #[test]
    fn nonces_out_of_range_are_refused() {
        let a = key(1);
        let mut pool = TxPool::new(PoolConfig {
            max_nonce_gap: 8,
            ..config()
        });
        let e = refused(&mut pool, tx(&a, 4, 1), 5);
        assert_eq!(e.kind, TxRejectKind::NonceTooLow);
        assert!(e.message.contains("nonce 4 is below the account nonce 5"));
        let e = refused(&mut pool, tx(&a, 14, 1), 5);
        assert_eq!(e.kind, TxRejectKind::NonceGap);
        assert!(e.message.contains("more than 8 above the account nonce 5"));
        assert!(!added(&mut pool, tx(&a, 13, 1), 5).0, "gap of exactly 8");
    }

    #[test]
    fn a_full_pool_evicts_the_cheapest_tail_of_another_sender_only_for_more() {
        let (a, b, c, d) = (key(1), key(2), key(3), key(4));
        let mut pool = TxPool::new(PoolConfig {
            max_txs: 3,
            ..config()
        });
        let a0 = tx(&a, 0, 1);
        let a1 = tx(&a, 1, 5);
        let (a0_hash, a1_hash) = (a0.hash, a1.hash);
        added(&mut pool, a0, 0);
        added(&mut pool, a1, 0);
        added(&mut pool, tx(&b, 0, 3), 0);

        // Same price as the cheapest evictable tail (b0, tip 3; a0 is under a1): refused.
        let e = refused(&mut pool, tx(&c, 0, 3), 0);
        assert_eq!(e.kind, TxRejectKind::PoolFull);
        assert!(e.message.contains("3 of 3 transactions"), "{}", e.message);
        // a's tail a1 pays 5, b0 pays 3: a tip of 4 evicts b0, never a0 (it would gap a1).
        let (_, _, evicted) = added(&mut pool, tx(&c, 0, 4), 0);
        assert_eq!(evicted.len(), 1);
        assert!(pool.get(&evicted[0]).is_none());
        assert!(pool.contains(&a0_hash) && pool.contains(&a1_hash));
        assert_eq!(pool.len(), 3);
        // Now the cheapest tail is c0 (4); a tip of 6 evicts it, then a1 is next.
        let (_, _, evicted) = added(&mut pool, tx(&d, 0, 6), 0);
        assert_eq!(evicted.len(), 1);
        assert!(pool.contains(&a0_hash) && pool.contains(&a1_hash));
        // d1 outbids a's tail a1; a0 stays pending.
        let (_, _, evicted) = added(&mut pool, tx(&d, 1, 100), 0);
        assert_eq!(evicted, vec![a1_hash]);
        assert!(pool.contains(&a0_hash));
        assert_eq!((pool.len(), pool.pending_count()), (3, 3));
    }

    #[test]
    fn a_sender_never_evicts_its_own_transactions() {
        let a = key(1);
        let mut pool = TxPool::new(PoolConfig {
            max_txs: 2,
            ..config()
        });
        added(&mut pool, tx(&a, 0, 1), 0);
        added(&mut pool, tx(&a, 1, 1), 0);
        let e = refused(&mut pool, tx(&a, 2, 100), 0);
        assert_eq!(e.kind, TxRejectKind::PoolFull);
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn queued_goes_first_and_a_queued_newcomer_never_evicts_pending() {
        let (a, b, c, d, e) = (key(1), key(2), key(3), key(4), key(5));
        let mut pool = TxPool::new(PoolConfig {
            max_txs: 3,
            ..config()
        });
        let b5 = tx(&b, 5, 2);
        let b5_hash = b5.hash;
        added(&mut pool, tx(&a, 0, 1), 0);
        added(&mut pool, b5, 0); // queued
        added(&mut pool, tx(&c, 0, 3), 0);
        // The queued b5 goes although the pending a0 pays less.
        let (_, _, evicted) = added(&mut pool, tx(&d, 0, 4), 0);
        assert_eq!(evicted, vec![b5_hash]);
        // A queued newcomer may not push out pending transactions, whatever it pays.
        let err = refused(&mut pool, tx(&e, 3, 50), 0);
        assert_eq!(err.kind, TxRejectKind::PoolFull);
        assert!(err.message.contains("in the queue"), "{}", err.message);
        assert_eq!((pool.pending_count(), pool.queued_count()), (3, 0));
    }

    #[test]
    fn a_pool_full_of_gapped_txs_still_takes_the_tx_that_fills_a_gap() {
        let (a, b, c) = (key(1), key(2), key(3));
        let mut pool = TxPool::new(PoolConfig {
            max_txs: 2,
            ..config()
        });
        // Same price everywhere: a1 and b1 wait for a0 and b0.
        let b1 = tx(&b, 1, 2);
        let b1_hash = b1.hash;
        added(&mut pool, tx(&a, 1, 2), 0);
        added(&mut pool, b1, 0);
        assert_eq!((pool.pending_count(), pool.queued_count()), (0, 2));
        // Another gapped tx at the same price does not get in ...
        let err = refused(&mut pool, tx(&c, 1, 2), 0);
        assert_eq!(err.kind, TxRejectKind::PoolFull);
        // ... but a0, executable, does: a queued tx of another sender gives way and a1 is
        // promoted behind it.
        let (_, _, evicted) = added(&mut pool, tx(&a, 0, 2), 0);
        assert_eq!(evicted, vec![b1_hash]);
        assert_eq!((pool.pending_count(), pool.queued_count()), (2, 0));
    }

    #[test]
    fn the_byte_limit_evicts_as_many_as_needed() {
        let (a, b, c, d) = (key(1), key(2), key(3), key(4));
        let small = tx(&a, 0, 1).size;
        let mut pool = TxPool::new(PoolConfig {
            max_bytes: 3 * small + 10,
            ..config()
        });
        added(&mut pool, tx(&a, 0, 1), 0);
        added(&mut pool, tx(&b, 0, 2), 0);
        added(&mut pool, tx(&c, 0, 3), 0);
        let big = tx_data(&d, 0, 5 * GWEI, 15 * GWEI, small - 20);
        assert!(big.size > small + 10);
        let (_, _, evicted) = added(&mut pool, big, 0);
        assert_eq!(evicted.len(), 2, "a0 and b0, the two cheapest");
        assert_eq!(pool.len(), 2);
        assert!(pool.bytes() <= 3 * small + 10);
        // Larger than the whole pool: refused outright.
        let huge = tx_data(&a, 0, 50 * GWEI, 60 * GWEI, 4 * small);
        let err = refused(&mut pool, huge, 0);
        assert_eq!(err.kind, TxRejectKind::PoolFull);
        assert!(err.message.contains("holds at most"), "{}", err.message);
    }

    #[test]
    fn best_breaks_ties_by_arrival_and_skips_what_cannot_pay_the_base_fee() {
        let (a, b, c) = (key(1), key(2), key(3));
        let mut pool = TxPool::new(config());
        added(&mut pool, tx(&b, 0, 2), 0);
        added(&mut pool, tx(&a, 0, 2), 0);
        added(&mut pool, tx(&a, 1, 2), 0);
        // c's fee cap is under the base fee: never a head.
        added(&mut pool, tx_data(&c, 0, 1, u128::from(BASE) - 1, 0), 0);
        assert_eq!(
            order(&pool),
            vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)],
            "b arrived first; a1 ties with nothing left"
        );
        // The effective tip counts, not the tip: at a base fee of 11 gwei a's txs (cap 12 gwei)
        // earn 1 gwei, under a new sender paying 1.5 gwei.
        added(
            &mut pool,
            tx_data(&key(4), 0, 2 * GWEI, 12_500_000_000, 0),
            0,
        );
        let first = pool.best(11 * BASE).next().unwrap();
        assert_eq!(first.sender, key(4).address());

        // Marking a sender invalid stops its later nonces.
        let mut best = pool.best(BASE);
        let mut got = Vec::new();
        while let Some(t) = best.next() {
            if t.sender == a.address() {
                best.mark_invalid(&a.address());
            }
            got.push((t.sender, t.envelope.nonce()));
        }
        assert!(got.contains(&(a.address(), 0)));
        assert!(!got.contains(&(a.address(), 1)));
    }

    #[test]
    fn a_new_head_drops_included_and_unaffordable_and_resplits() {
        let (a, b) = (key(1), key(2));
        let mut pool = TxPool::new(config());
        for n in [0, 1, 3] {
            added(&mut pool, tx(&a, n, 1), 0);
        }
        // a2 is dearer: at a fee cap of 100 gwei it costs 2.1e15 wei.
        let a2 = tx_data(&a, 2, GWEI, 100 * GWEI, 0);
        let a2_cost = a2.max_cost().unwrap();
        added(&mut pool, a2, 0);
        added(&mut pool, tx(&b, 0, 1), 0);
        added(&mut pool, tx(&b, 2, 1), 0);
        assert_eq!((pool.pending_count(), pool.queued_count()), (5, 1));

        let dropped = pool
            .prune(|s| {
                Ok::<_, ()>(if *s == a.address() {
                    (1, a2_cost - U256::from(1))
                } else {
                    (0, U256::ZERO)
                })
            })
            .unwrap();
        // a0 included; a2 unaffordable (a3 now gapped); all of b unaffordable.
        assert_eq!(dropped.len(), 4);
        assert_eq!(pool.len(), 2);
        assert_eq!((pool.pending_count(), pool.queued_count()), (1, 1));
        assert_eq!(order(&pool), vec![(a.address(), 1)]);
        assert!(pool.content().queued[&a.address()].contains_key(&3));
        assert_eq!(pool.pending_nonce(&a.address(), 1), 2);

        // Everything included: the pool is empty and its counters agree.
        pool.prune(|_| Ok::<_, ()>((10, U256::MAX))).unwrap();
        assert!(pool.is_empty());
        assert_eq!(
            (pool.pending_count(), pool.queued_count(), pool.bytes()),
            (0, 0, 0)
        );
    }

    #[test]
    fn an_admission_at_a_higher_account_nonce_drops_the_stale_ones() {
        let a = key(1);
        let mut pool = TxPool::new(config());
        added(&mut pool, tx(&a, 0, 1), 0);
        added(&mut pool, tx(&a, 1, 1), 0);
        assert!(added(&mut pool, tx(&a, 2, 1), 2).0);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.pending_count(), 1);
    }

    #[test]
    fn only_a_senders_first_failure_that_fitted_is_removed_after_a_build() {
        let (a, b) = (key(1), key(2));
        let mut pool = TxPool::new(config());
        let a0 = tx(&a, 0, 1);
        let a1 = tx(&a, 1, 1);
        let b0 = tx(&b, 0, 1);
        let (h_a0, h_a1, h_b0) = (a0.hash, a1.hash, b0.hash);
        added(&mut pool, a0, 0);
        added(&mut pool, a1, 0);
        added(&mut pool, b0, 0);
        // 21 000 gas would not have fitted in 20 000: nothing is removed.
        assert!(pool.remove_failed([&h_a1, &h_a0, &h_b0], 20_000).is_empty());
        assert_eq!(pool.len(), 3);
        // With room left, a0 and b0 failed on their own; a1 only followed a0 and stays.
        let removed = pool.remove_failed([&h_a0, &h_a1, &h_b0], 30_000);
        assert_eq!(removed.len(), 2);
        assert!(pool.contains(&h_a1) && !pool.contains(&h_a0) && !pool.contains(&h_b0));
        assert_eq!(pool.queued_count(), 1);
    }
}
