//! A simple transaction pool: per-sender nonce order. Price ordering, replacement by price,
//! per-sender limits and eviction come with the full pool (a later milestone).

use std::collections::BTreeMap;

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256};
use bttc_engine_api::TxRejectKind;

use crate::tx::{RecoveredTx, TxError};

/// Default capacity.
pub const DEFAULT_POOL_CAPACITY: usize = 10_000;

/// Transactions waiting for a block, by sender and nonce.
#[derive(Debug)]
pub struct TxPool {
    by_sender: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    by_hash: BTreeMap<B256, (Address, u64)>,
    capacity: usize,
}

impl TxPool {
    /// An empty pool holding at most `capacity` transactions.
    pub const fn new(capacity: usize) -> Self {
        Self {
            by_sender: BTreeMap::new(),
            by_hash: BTreeMap::new(),
            capacity,
        }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Whether the pool holds this transaction.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Adds a validated transaction. Returns `false` if it was already there.
    pub fn insert(&mut self, tx: RecoveredTx) -> Result<bool, TxError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Ok(false);
        }
        let nonce = tx.envelope.nonce();
        let slots = self.by_sender.entry(tx.sender).or_default();
        if let Some(existing) = slots.get(&nonce) {
            return Err(TxError {
                kind: TxRejectKind::ReplacementNotAllowed,
                message: format!(
                    "sender {} already has transaction {} with nonce {nonce}",
                    tx.sender, existing.hash
                ),
            });
        }
        if self.by_hash.len() >= self.capacity {
            return Err(TxError {
                kind: TxRejectKind::PoolFull,
                message: format!("pool holds {} transactions, the limit", self.capacity),
            });
        }
        self.by_hash.insert(tx.hash, (tx.sender, nonce));
        slots.insert(nonce, tx);
        Ok(true)
    }

    /// Removes a transaction by hash.
    pub fn remove(&mut self, hash: &B256) {
        if let Some((sender, nonce)) = self.by_hash.remove(hash) {
            if let Some(slots) = self.by_sender.get_mut(&sender) {
                slots.remove(&nonce);
                if slots.is_empty() {
                    self.by_sender.remove(&sender);
                }
            }
        }
    }

    /// Executable transactions: for each sender (in address order), the run of consecutive
    /// nonces starting at the sender's account nonce.
    pub fn executable<E>(
        &self,
        mut account_nonce: impl FnMut(&Address) -> Result<u64, E>,
    ) -> Result<Vec<RecoveredTx>, E> {
        let mut out = Vec::new();
        for (sender, slots) in &self.by_sender {
            let mut next = account_nonce(sender)?;
            while let Some(tx) = slots.get(&next) {
                out.push(tx.clone());
                match next.checked_add(1) {
                    Some(n) => next = n,
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// Drops every transaction whose nonce is below its sender's account nonce.
    pub fn prune<E>(
        &mut self,
        mut account_nonce: impl FnMut(&Address) -> Result<u64, E>,
    ) -> Result<(), E> {
        let mut stale = Vec::new();
        for (sender, slots) in &self.by_sender {
            let nonce = account_nonce(sender)?;
            stale.extend(slots.range(..nonce).map(|(_, tx)| tx.hash));
        }
        for h in stale {
            self.remove(&h);
        }
        Ok(())
    }
}
