//! Delivery's authenticated, versioned store: a Jellyfish Merkle Tree (`jmt`) on RocksDB.
//!
//! Versions are block heights. [`Storage::prepare`] computes the root (the app hash) of the
//! next version without writing; [`Storage::commit`] writes it, together with non-merklized
//! metadata, in one fsync'd RocksDB `WriteBatch`, so a crash leaves either all of a version or
//! none of it. [`Snapshot`]s are cheap read views of one version and implement [`StateRead`];
//! modules code against [`StateRead`] / [`StateWrite`] and the [`StateDelta`] overlay.
//! [`Storage::prove`] returns ICS23 proofs of presence and absence, checked by
//! [`verify_proof`].
//!
//! # On-disk layout (column families)
//!
//! | column family   | key                                         | value                          |
//! |-----------------|---------------------------------------------|--------------------------------|
//! | `jmt_nodes`     | `version (u64 BE) ‖ borsh(nibble path)`     | `borsh(jmt::storage::Node)`    |
//! | `jmt_values`    | `sha256(key) ‖ version (u64 BE)`            | `01 ‖ value`, or `00` (deleted)|
//! | `jmt_preimages` | `sha256(key)`                               | `key`                          |
//! | `stale`         | `stale since (u64 BE) ‖ kind ‖ node or value key` | empty (pruning index)    |
//! | `state`         | `key`                                       | `value` (latest version only)  |
//! | `meta`          | caller's key                                | caller's value (not merklized) |
//! | `sys`           | `latest`, `earliest`, `format`              | bookkeeping                    |
//!
//! The tree commits to `sha256(key)` → `0x01 ‖ value` (a tag byte, so that no leaf value is
//! empty: ICS23 cannot prove an empty value, and an empty neighbour would break absence proofs);
//! [`verify_proof`] applies the same encoding, so callers deal in raw values only. Keys must be
//! non-empty.
//!
//! Reads at a version go through `jmt_values` (the newest entry at or below the version), so
//! they never see a later commit. Prefix iteration uses the flat `state` column family, which
//! holds only the latest version: iterating a snapshot that is no longer the latest is an error
//! ([`StoreError::HistoricalIteration`]). See `docs/adr/0002-store-jmt-on-rocksdb.md`.
//!
//! # Pruning
//!
//! With [`StorageConfig::keep_recent`] = `k > 0`, committing version `v` deletes every node
//! and value entry that no version in `v - k ..= v` still needs (found through the `stale`
//! index written by earlier commits), in the same `WriteBatch`. Older versions then answer
//! [`StoreError::Pruned`].

mod layout;
mod proof;
mod state;
mod storage;
mod tree;

pub use proof::{proof_spec, verify_membership, verify_non_membership, verify_proof};
pub use state::{Changes, EmptyState, KeyValues, StateDelta, StateRead, StateWrite};
pub use storage::{Prepared, RootHash, Snapshot, Storage, StorageConfig, EMPTY_ROOT};

/// The ICS23 proof type returned by [`Storage::prove`].
pub use ics23::CommitmentProof;

/// Errors from the store.
///
/// `Backend` and `Corrupt` are fatal for a node: the database failed or holds data this code
/// did not write. The others are answers to a bad request (a pruned or future version, a stale
/// prepared version).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The underlying database failed (or a caller found undecodable data in state); the node
    /// cannot continue safely. The message names the operation and the database path.
    #[error("storage backend error: {0}")]
    Backend(String),

    /// The database holds data this store did not write (wrong length, unknown tag, missing
    /// node).
    #[error("corrupt store: {0}")]
    Corrupt(String),

    /// The version has not been committed (yet).
    #[error("version {version} is not committed (latest committed version: {})", show(.latest))]
    NotCommitted {
        /// The version asked for.
        version: u64,
        /// The latest committed version, if any.
        latest: Option<u64>,
    },

    /// The version was pruned (or precedes the first version this store committed).
    #[error("version {version} was pruned (oldest version kept: {earliest})")]
    Pruned {
        /// The version asked for.
        version: u64,
        /// The oldest version still readable.
        earliest: u64,
    },

    /// `prepare` was asked for a version that does not follow the latest committed one.
    #[error("cannot prepare version {got}: the next version must be {expected}")]
    UnexpectedVersion {
        /// The only version that may be prepared now.
        expected: u64,
        /// The version asked for.
        got: u64,
    },

    /// `u64::MAX` is reserved by the tree (its pre-genesis marker).
    #[error("version {0} is reserved and cannot be committed")]
    ReservedVersion(u64),

    /// `commit` got a version prepared on top of a state that is no longer the latest.
    #[error(
        "prepared version {version} was computed on top of version {}, but the latest committed \
         version is now {}",
        show(.prepared_on),
        show(.latest)
    )]
    StalePrepared {
        /// The prepared version.
        version: u64,
        /// The latest version when it was prepared.
        prepared_on: Option<u64>,
        /// The latest version now.
        latest: Option<u64>,
    },

    /// Prefix iteration is only supported on a snapshot of the latest version.
    #[error(
        "prefix iteration at version {} is not supported: the latest committed version is {} \
         (historical iteration is not supported)",
        show(.version),
        show(.latest)
    )]
    HistoricalIteration {
        /// The snapshot's version.
        version: Option<u64>,
        /// The latest committed version.
        latest: Option<u64>,
    },

    /// Keys written to the tree must not be empty.
    #[error("empty keys cannot be stored or proven")]
    EmptyKey,

    /// No ICS23 proof exists for this query.
    #[error("no proof at version {version}: {reason}")]
    ProofUnavailable {
        /// The version asked for.
        version: u64,
        /// Why.
        reason: String,
    },
}

/// Formats an optional version for error messages.
fn show(version: &Option<u64>) -> String {
    match version {
        Some(v) => v.to_string(),
        None => "none (empty store)".to_string(),
    }
}
