//! Polled filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`)
//! and the hex ids of filters and subscriptions.
//!
//! A filter remembers the next block it has not reported; `eth_getFilterChanges` reads the
//! store from there to the head (at most `max_logs_block_range` blocks per poll; the rest comes
//! with the next poll). As in geth, a log filter reports logs of blocks committed after it was
//! installed; `eth_getFilterLogs` runs its whole range like `eth_getLogs`. A pending-transaction
//! filter reports pool hashes it has not reported before. Filters not polled for
//! `filter_timeout` are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use alloy_primitives::{keccak256, B256};
use alloy_rpc_types_eth::Filter;
use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::types::SubscriptionId;
use tokio::time::Instant;

use crate::Ctx;

fn random_seed() -> u64 {
    // RandomState is seeded from the OS per process; ids need not be secret, only unlikely to
    // collide across restarts.
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// geth-style ids: `0x` and 32 hex digits.
#[derive(Debug)]
pub(crate) struct HexIdProvider {
    seed: u64,
    counter: AtomicU64,
}

impl HexIdProvider {
    pub(crate) fn new() -> Self {
        Self {
            seed: random_seed(),
            counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_hex(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut pre = self.seed.to_be_bytes().to_vec();
        pre.extend_from_slice(&n.to_be_bytes());
        let h = keccak256(pre);
        format!(
            "0x{}",
            alloy_primitives::hex::encode(h.get(..16).unwrap_or(&[0; 16]))
        )
    }
}

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(self.next_hex().into())
    }
}

/// What a filter watches.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Logs matching `filter`, from block `next`.
    Logs {
        /// The filter as installed.
        filter: Box<Filter>,
        /// First block not yet reported.
        next: u64,
    },
    /// New block hashes from `next`.
    Blocks {
        /// First block not yet reported.
        next: u64,
    },
    /// Pool transactions not yet reported.
    PendingTx {
        /// Hashes already reported (and still pooled at the last poll).
        seen: BTreeSet<B256>,
    },
}

#[derive(Debug)]
struct Installed {
    kind: Kind,
    last_poll: Instant,
}

/// The installed filters.
#[derive(Debug)]
pub(crate) struct Filters {
    map: BTreeMap<String, Installed>,
    ids: HexIdProvider,
    max: usize,
}

impl Filters {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            map: BTreeMap::new(),
            ids: HexIdProvider::new(),
            max,
        }
    }

    /// Installs a filter; `None` when the limit is reached.
    pub(crate) fn install(&mut self, kind: Kind) -> Option<String> {
        if self.map.len() >= self.max {
            return None;
        }
        let id = self.ids.next_hex();
        self.map.insert(
            id.clone(),
            Installed {
                kind,
                last_poll: Instant::now(),
            },
        );
        Some(id)
    }

    /// The filter's state, marking it polled.
    pub(crate) fn poll(&mut self, id: &str) -> Option<Kind> {
        let f = self.map.get_mut(id)?;
        f.last_poll = Instant::now();
        Some(f.kind.clone())
    }

    /// Stores the filter's state after a poll (if it still exists).
    pub(crate) fn update(&mut self, id: &str, kind: Kind) {
        if let Some(f) = self.map.get_mut(id) {
            f.kind = kind;
        }
    }

    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.map.remove(id).is_some()
    }

    fn expire(&mut self, timeout: std::time::Duration) {
        let now = Instant::now();
        self.map
            .retain(|_, f| now.saturating_duration_since(f.last_poll) < timeout);
    }
}

/// Removes idle filters, checking every tenth of the timeout (between 0.1 s and 30 s).
pub(crate) async fn expire_loop(ctx: Arc<Ctx>) {
    let timeout = ctx.config.filter_timeout;
    let period = timeout.checked_div(10).unwrap_or(timeout).clamp(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_secs(30),
    );
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        match ctx.filters.lock() {
            Ok(mut f) => f.expire(timeout),
            Err(_) => return,
        }
    }
}
