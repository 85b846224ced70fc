//! [`Storage`]: versions, prepare / commit, snapshots, proofs, pruning.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jmt::storage::{Node, NodeKey};
use jmt::{KeyHash, Sha256Jmt};
use rocksdb::{Direction, IteratorMode, ReadOptions, WriteBatch, WriteOptions};
use sha2::Sha256;

use crate::layout::{
    self, CF_META, CF_NODES, CF_PREIMAGES, CF_STALE, CF_STATE, CF_SYS, CF_VALUES, FORMAT_VERSION,
    STALE_NODE, STALE_VALUE, SYS_EARLIEST, SYS_FORMAT, SYS_LATEST, TOMBSTONE,
};
use crate::state::{Changes, KeyValues, StateRead};
use crate::tree::Db;
use crate::StoreError;

/// A 32-byte Merkle root: the app hash of a version.
pub type RootHash = [u8; 32];

/// The root of an empty tree (jmt's placeholder hash).
pub const EMPTY_ROOT: RootHash = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// How the store is run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageConfig {
    /// How many versions to keep before the latest: after committing `v`, versions
    /// `v - keep_recent ..= v` stay readable and older ones are pruned. `0` keeps every version.
    pub keep_recent: u64,
}

/// The versioned, authenticated store. Cheap to clone (an `Arc` inside); `Send + Sync`: any
/// number of threads read while one commits.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions = self.inner.versions();
        f.debug_struct("Storage")
            .field("path", &self.inner.db.path())
            .field("latest", &versions.latest.map(|(v, _)| v))
            .field("earliest", &versions.earliest)
            .finish()
    }
}

struct Inner {
    db: Db,
    config: StorageConfig,
    /// Latest committed version and oldest readable one. Written only under `commit_lock`.
    versions: RwLock<Versions>,
    /// Serializes commits.
    commit_lock: Mutex<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Versions {
    latest: Option<(u64, RootHash)>,
    earliest: Option<u64>,
}

/// One write to apply at commit.
#[derive(Debug)]
struct Op {
    cf: &'static str,
    key: Vec<u8>,
    /// `None` deletes the key.
    value: Option<Vec<u8>>,
}

impl Op {
    fn put(cf: &'static str, key: Vec<u8>, value: Vec<u8>) -> Self {
        Self {
            cf,
            key,
            value: Some(value),
        }
    }
    fn delete(cf: &'static str, key: Vec<u8>) -> Self {
        Self {
            cf,
            key,
            value: None,
        }
    }
}

/// A version computed by [`Storage::prepare`] and not yet written.
pub struct Prepared {
    version: u64,
    root: RootHash,
    /// The latest version (and root) it was computed on.
    base: Option<(u64, RootHash)>,
    ops: Vec<Op>,
}

impl Prepared {
    /// The root hash the version will have.
    pub fn root(&self) -> RootHash {
        self.root
    }

    /// The version.
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("version", &self.version)
            .field("root", &hex::encode(self.root))
            .field("base", &self.base.map(|(v, _)| v))
            .field("writes", &self.ops.len())
            .finish()
    }
}

impl Inner {
    fn versions(&self) -> Versions {
        *self.versions.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fails unless `version` is committed and not pruned.
    fn check_readable(&self, version: u64) -> Result<(), StoreError> {
        let versions = self.versions();
        match versions.latest {
            Some((latest, _)) if version <= latest => {}
            latest => {
                return Err(StoreError::NotCommitted {
                    version,
                    latest: latest.map(|(v, _)| v),
                })
            }
        }
        self.check_retained(version, versions)
    }

    fn check_retained(&self, version: u64, versions: Versions) -> Result<(), StoreError> {
        match versions.earliest {
            Some(earliest) if version < earliest => Err(StoreError::Pruned { version, earliest }),
            _ => Ok(()),
        }
    }

    /// Re-checks after a read that a concurrent commit did not prune `version` meanwhile
    /// (commit lowers the readable range before it deletes anything).
    fn recheck_retained(&self, version: u64) -> Result<(), StoreError> {
        self.check_retained(version, self.versions())
    }

    fn root_at(&self, version: u64) -> Result<RootHash, StoreError> {
        self.check_readable(version)?;
        let root = self.db.root_hash(version)?;
        self.recheck_retained(version)?;
        root.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "root node of committed version {version} is missing"
            ))
        })
    }

    fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_retained(version, self.versions())?;
        let entry = self.db.value_entry(KeyHash::with::<Sha256>(key), version)?;
        self.recheck_retained(version)?;
        match entry {
            Some((_, Some(leaf))) => layout::decode_leaf_value(&leaf).map(Some),
            _ => Ok(None),
        }
    }

    /// Every `(key, value)` under `prefix` in the flat latest state, provided the latest
    /// committed version is `expected` (read under one RocksDB snapshot).
    fn prefix_latest(&self, prefix: &[u8], expected: Option<u64>) -> Result<KeyValues, StoreError> {
        let rocks = self.db.rocks();
        let snapshot = rocks.snapshot();
        let latest = snapshot
            .get_cf(self.db.cf(CF_SYS)?, SYS_LATEST)
            .map_err(|e| self.db.err("read of the latest version", e))?
            .map(|bytes| layout::decode_latest(&bytes))
            .transpose()?
            .map(|(version, _)| version);
        if latest != expected {
            return Err(StoreError::HistoricalIteration {
                version: expected,
                latest,
            });
        }
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(prefix.to_vec());
        if let Some(end) = layout::prefix_end(prefix) {
            read.set_iterate_upper_bound(end);
        }
        let iter = snapshot.iterator_cf_opt(
            self.db.cf(CF_STATE)?,
            read,
            IteratorMode::From(prefix, Direction::Forward),
        );
        let mut out = Vec::new();
        for item in iter {
            let (key, value) = item.map_err(|e| self.db.err("iteration of state", e))?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.into_vec(), value.into_vec()));
        }
        Ok(out)
    }
}

impl Storage {
    /// Opens the store at `path`, creating it if missing.
    pub fn open(path: &Path, config: StorageConfig) -> Result<Storage, StoreError> {
        let db = Db::open(path)?;
        match db.get(CF_SYS, SYS_FORMAT)? {
            Some(bytes) => {
                let format = layout::decode_u64("format", &bytes)?;
                if format != FORMAT_VERSION {
                    return Err(StoreError::Corrupt(format!(
                        "{} has store format {format}, this build reads format {FORMAT_VERSION}",
                        path.display()
                    )));
                }
            }
            None => {
                let mut options = WriteOptions::default();
                options.set_sync(true);
                db.rocks()
                    .put_cf_opt(
                        db.cf(CF_SYS)?,
                        SYS_FORMAT,
                        FORMAT_VERSION.to_be_bytes(),
                        &options,
                    )
                    .map_err(|e| db.err("write of the format record", e))?;
            }
        }
        let latest = db
            .get(CF_SYS, SYS_LATEST)?
            .map(|bytes| layout::decode_latest(&bytes))
            .transpose()?;
        let earliest = db
            .get(CF_SYS, SYS_EARLIEST)?
            .map(|bytes| layout::decode_u64("earliest version", &bytes))
            .transpose()?;
        if let Some((version, root)) = latest {
            let stored = db.root_hash(version)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "{}: the root node of the latest version {version} is missing",
                    path.display()
                ))
            })?;
            if stored != root {
                return Err(StoreError::Corrupt(format!(
                    "{}: latest version {version} records root {} but its root node hashes to {}",
                    path.display(),
                    hex::encode(root),
                    hex::encode(stored)
                )));
            }
            tracing::info!(path = %path.display(), version, root = %hex::encode(root), "store opened");
        } else {
            tracing::info!(path = %path.display(), "store opened empty");
        }
        Ok(Storage {
            inner: Arc::new(Inner {
                db,
                config,
                versions: RwLock::new(Versions { latest, earliest }),
                commit_lock: Mutex::new(()),
            }),
        })
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> StorageConfig {
        self.inner.config
    }

    /// Last committed version and its root hash; `None` before the first commit.
    pub fn latest(&self) -> Option<(u64, RootHash)> {
        self.inner.versions().latest
    }

    /// Oldest version still readable; `None` before the first commit.
    pub fn earliest(&self) -> Option<u64> {
        self.inner.versions().earliest
    }

    /// Read view of the latest committed version (an empty view before the first commit).
    pub fn latest_snapshot(&self) -> Snapshot {
        Snapshot {
            inner: self.inner.clone(),
            at: self.latest(),
        }
    }

    /// Read view of `version`; fails if it is pruned or not committed yet.
    pub fn snapshot_at(&self, version: u64) -> Result<Snapshot, StoreError> {
        let root = self.inner.root_at(version)?;
        Ok(Snapshot {
            inner: self.inner.clone(),
            at: Some((version, root)),
        })
    }

    /// The root hash of a committed, unpruned version.
    pub fn root_at(&self, version: u64) -> Result<RootHash, StoreError> {
        self.inner.root_at(version)
    }

    /// Computes the root after applying `changes` on top of the latest version as `version`,
    /// without writing anything. `version` must be latest + 1; on an empty store any version
    /// below `u64::MAX` is allowed. Deleting a missing key is a no-op; no changes at all give
    /// the previous root.
    pub fn prepare(&self, version: u64, changes: &Changes) -> Result<Prepared, StoreError> {
        let inner = &*self.inner;
        let db = &inner.db;
        if version == u64::MAX {
            return Err(StoreError::ReservedVersion(version));
        }
        let base = inner.versions().latest;
        let base_version = base.map(|(v, _)| v);
        if let Some(latest) = base_version {
            let expected = latest
                .checked_add(1)
                .ok_or(StoreError::ReservedVersion(latest))?;
            if version != expected {
                return Err(StoreError::UnexpectedVersion {
                    expected,
                    got: version,
                });
            }
        }

        let mut ops = Vec::new();
        let mut value_set = Vec::with_capacity(changes.len());
        for (key, change) in changes {
            if key.is_empty() {
                return Err(StoreError::EmptyKey);
            }
            let key_hash = KeyHash::with::<Sha256>(key);
            let previous = match base_version {
                Some(latest) => db.value_entry(key_hash, latest)?,
                None => None,
            };
            match change {
                Some(value) => {
                    value_set.push((key_hash, Some(layout::encode_leaf_value(value))));
                    ops.push(Op::put(CF_PREIMAGES, key_hash.0.to_vec(), key.clone()));
                    ops.push(Op::put(CF_STATE, key.clone(), value.clone()));
                    if let Some((since, _)) = previous {
                        let stale = layout::value_key(key_hash, since);
                        ops.push(stale_op(version, STALE_VALUE, &stale));
                    }
                }
                None => {
                    ops.push(Op::delete(CF_STATE, key.clone()));
                    if let Some((since, Some(_))) = previous {
                        value_set.push((key_hash, None));
                        // The old value and the tombstone both serve only versions before
                        // the next prune point; once `version` is the oldest kept, an absent
                        // entry reads as "deleted" just as well.
                        let old = layout::value_key(key_hash, since);
                        ops.push(stale_op(version, STALE_VALUE, &old));
                        let tomb = layout::value_key(key_hash, version);
                        ops.push(stale_op(version, STALE_VALUE, &tomb));
                    }
                    // Deleting a key that is absent changes nothing in the tree.
                }
            }
        }

        let (root, batch) = Sha256Jmt::new(db)
            .put_value_set(value_set, version)
            .map_err(|e| db.err(format_args!("tree update for version {version}"), e))?;
        let root = root.0;

        let root_key = layout::root_node_key(version);
        let mut nodes: Vec<(&NodeKey, &Node)> = batch.node_batch.nodes().iter().collect();
        let fresh_root;
        if !batch.node_batch.nodes().contains_key(&root_key) {
            // jmt leaves no root for a first version above 0 that changes nothing (it writes
            // a Null node at version - 1 instead): store the empty root at `version` itself.
            if base.is_none() && root == EMPTY_ROOT {
                fresh_root = (root_key, Node::Null);
                nodes = vec![(&fresh_root.0, &fresh_root.1)];
            } else {
                return Err(StoreError::Corrupt(format!(
                    "tree update for version {version} produced no root node"
                )));
            }
        }
        for (node_key, node) in nodes {
            if node_key.version() != version {
                return Err(StoreError::Corrupt(format!(
                    "tree update for version {version} wrote a node at version {}",
                    node_key.version()
                )));
            }
            let bytes = borsh::to_vec(node)
                .map_err(|e| StoreError::Corrupt(format!("cannot encode a tree node: {e}")))?;
            ops.push(Op::put(CF_NODES, layout::node_key(node_key)?, bytes));
        }
        for ((entry_version, key_hash), value) in batch.node_batch.values() {
            let value = match value {
                Some(leaf) => leaf.clone(),
                None => TOMBSTONE.to_vec(),
            };
            ops.push(Op::put(
                CF_VALUES,
                layout::value_key(*key_hash, *entry_version),
                value,
            ));
        }
        for stale in &batch.stale_node_index_batch {
            let node_key = layout::node_key(&stale.node_key)?;
            ops.push(stale_op(stale.stale_since_version, STALE_NODE, &node_key));
        }
        if let Some(latest) = base_version {
            // The previous root is replaced by this version's root even when jmt copies it
            // unchanged (and then does not list it as stale).
            let previous_root = layout::node_key(&layout::root_node_key(latest))?;
            ops.push(stale_op(version, STALE_NODE, &previous_root));
        }
        Ok(Prepared {
            version,
            root,
            base,
            ops,
        })
    }

    /// Writes a prepared version atomically (one fsync'd RocksDB `WriteBatch`) with
    /// non-merklized metadata entries, and prunes versions older than `keep_recent` in the same
    /// batch. Fails if another version was committed since `prepare`.
    pub fn commit(
        &self,
        prepared: Prepared,
        meta: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let db = &inner.db;
        let _writer = inner
            .commit_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = inner.versions();
        if current.latest != prepared.base {
            return Err(StoreError::StalePrepared {
                version: prepared.version,
                prepared_on: prepared.base.map(|(v, _)| v),
                latest: current.latest.map(|(v, _)| v),
            });
        }
        let version = prepared.version;

        let mut batch = WriteBatch::default();
        for op in &prepared.ops {
            let cf = db.cf(op.cf)?;
            match &op.value {
                Some(value) => batch.put_cf(cf, &op.key, value),
                None => batch.delete_cf(cf, &op.key),
            }
        }
        let meta_cf = db.cf(CF_META)?;
        for (key, value) in &meta {
            batch.put_cf(meta_cf, key, value);
        }
        let sys = db.cf(CF_SYS)?;
        batch.put_cf(
            sys,
            SYS_LATEST,
            layout::encode_latest(version, &prepared.root),
        );

        let earliest = current.earliest.unwrap_or(version);
        let mut new_earliest = earliest;
        if inner.config.keep_recent > 0 {
            let target = version.saturating_sub(inner.config.keep_recent);
            if target > earliest {
                let pruned = self.add_prune(&mut batch, earliest, target)?;
                tracing::debug!(from = earliest, to = target, entries = pruned, "pruning");
                new_earliest = target;
            }
        }
        batch.put_cf(sys, SYS_EARLIEST, new_earliest.to_be_bytes());

        if current.earliest != Some(new_earliest) {
            // Readers re-check this after reading: lower the readable range before deleting.
            let mut versions = inner
                .versions
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            versions.earliest = Some(new_earliest);
        }
        let mut options = WriteOptions::default();
        options.set_sync(true);
        db.rocks()
            .write_opt(batch, &options)
            .map_err(|e| db.err(format_args!("commit of version {version}"), e))?;
        let mut versions = inner
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *versions = Versions {
            latest: Some((version, prepared.root)),
            earliest: Some(new_earliest),
        };
        drop(versions);
        tracing::debug!(version, root = %hex::encode(prepared.root), writes = prepared.ops.len(), "committed");
        Ok(())
    }

    /// Adds to `batch` the deletion of everything that became stale in versions
    /// `after + 1 ..= through`, and of those index entries. Returns how many entries.
    fn add_prune(
        &self,
        batch: &mut WriteBatch,
        after: u64,
        through: u64,
    ) -> Result<usize, StoreError> {
        let db = &self.inner.db;
        let stale_cf = db.cf(CF_STALE)?;
        let nodes_cf = db.cf(CF_NODES)?;
        let values_cf = db.cf(CF_VALUES)?;
        let start = after
            .checked_add(1)
            .ok_or(StoreError::ReservedVersion(after))?;
        let end = through
            .checked_add(1)
            .ok_or(StoreError::ReservedVersion(through))?;
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(start.to_be_bytes().to_vec());
        read.set_iterate_upper_bound(end.to_be_bytes().to_vec());
        let start_key = start.to_be_bytes();
        let iter = db.rocks().iterator_cf_opt(
            stale_cf,
            read,
            IteratorMode::From(&start_key, Direction::Forward),
        );
        let mut count = 0usize;
        for item in iter {
            let (key, _) = item.map_err(|e| db.err("iteration of the stale index", e))?;
            let (since, kind, payload) = layout::parse_stale_key(&key)?;
            if since < start || since > through {
                return Err(StoreError::Corrupt(format!(
                    "stale index entry at {since} outside the range {start}..={through}"
                )));
            }
            match kind {
                STALE_NODE => batch.delete_cf(nodes_cf, payload),
                STALE_VALUE => batch.delete_cf(values_cf, payload),
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "stale index entry of kind {other}, expected {STALE_NODE} or {STALE_VALUE}"
                    )))
                }
            }
            batch.delete_cf(stale_cf, &key);
            count = count.saturating_add(1);
        }
        Ok(count)
    }

    /// Non-merklized metadata written by [`Storage::commit`] (latest value).
    pub fn get_meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.db.get(CF_META, key)
    }

    /// The value of `key` at `version` with an ICS23 proof of its presence or absence against
    /// that version's root. An empty tree has no absence proof (ICS23 needs a neighbour).
    pub fn prove(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, ics23::CommitmentProof), StoreError> {
        if key.is_empty() {
            return Err(StoreError::EmptyKey);
        }
        let root = self.inner.root_at(version)?;
        if root == EMPTY_ROOT {
            return Err(StoreError::ProofUnavailable {
                version,
                reason: "the tree is empty, and ICS23 has no absence proof for an empty tree"
                    .into(),
            });
        }
        let db = &self.inner.db;
        let proven = Sha256Jmt::new(db).get_with_ics23_proof(key.to_vec(), version);
        // A concurrent commit may have pruned the version while jmt walked it: say so rather
        // than report the missing node it ran into.
        self.inner.recheck_retained(version)?;
        let (value, proof) =
            proven.map_err(|e| db.err(format_args!("proof of a key at version {version}"), e))?;
        let value = value
            .map(|leaf| layout::decode_leaf_value(&leaf))
            .transpose()?;
        Ok((value, proof))
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        self.inner.db.path()
    }
}

fn stale_op(stale_since: u64, kind: u8, payload: &[u8]) -> Op {
    Op::put(
        CF_STALE,
        layout::stale_key(stale_since, kind, payload),
        Vec::new(),
    )
}

/// A read view of one committed version (or of the empty store). Cheap to clone;
/// `Send + Sync`.
///
/// `get_raw` works at any version still kept. `prefix_raw` works only while the snapshot's
/// version is the latest committed one ([`StoreError::HistoricalIteration`] otherwise).
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<Inner>,
    at: Option<(u64, RootHash)>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("version", &self.version())
            .field("root", &hex::encode(self.root_hash()))
            .finish()
    }
}

impl Snapshot {
    /// The version read, `None` for the empty store.
    pub fn version(&self) -> Option<u64> {
        self.at.map(|(v, _)| v)
    }

    /// The root hash of the version read ([`EMPTY_ROOT`] for the empty store).
    pub fn root_hash(&self) -> RootHash {
        self.at.map_or(EMPTY_ROOT, |(_, root)| root)
    }
}

impl StateRead for Snapshot {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.at {
            None => Ok(None),
            Some((version, _)) => self.inner.get_at(key, version),
        }
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError> {
        self.inner.prefix_latest(prefix, self.version())
    }
}

/// Applies `changes` to a plain map (the model tests compare the store with).
#[cfg(test)]
pub(crate) fn model_apply(
    model: &mut std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
    changes: &Changes,
) {
    for (key, change) in changes {
        match change {
            Some(value) => {
                model.insert(key.clone(), value.clone());
            }
            None => {
                model.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    fn changes(items: &[(&str, Option<&str>)]) -> Changes {
        items
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    fn count(storage: &Storage, cf: &str) -> usize {
        let db = storage.inner.db.rocks();
        db.iterator_cf(storage.inner.db.cf(cf).unwrap(), IteratorMode::Start)
            .count()
    }

    #[test]
    fn empty_prepare_gives_the_empty_root_at_any_first_version() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig::default()).unwrap();
        for first in [0, 1, 7] {
            assert_eq!(
                storage.prepare(first, &Changes::new()).unwrap().root(),
                EMPTY_ROOT
            );
        }
        // Only deletions of missing keys: still empty.
        let prepared = storage.prepare(5, &changes(&[("a", None)])).unwrap();
        assert_eq!(prepared.root(), EMPTY_ROOT);
        storage.commit(prepared, vec![]).unwrap();
        assert_eq!(storage.latest(), Some((5, EMPTY_ROOT)));
        assert_eq!(storage.root_at(5).unwrap(), EMPTY_ROOT);
        let prepared = storage.prepare(6, &changes(&[("a", Some("1"))])).unwrap();
        assert_ne!(prepared.root(), EMPTY_ROOT);
        storage.commit(prepared, vec![]).unwrap();
        assert_eq!(
            storage.latest_snapshot().get_raw(b"a").unwrap(),
            Some(b"1".to_vec())
        );
    }

    #[test]
    fn pruning_leaves_only_what_kept_versions_need() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 2 }).unwrap();
        let mut model = std::collections::BTreeMap::new();
        for version in 1..=40u64 {
            let mut c = Changes::new();
            for i in 0..5u64 {
                let key = format!("k{}", (version * 7 + i * 3) % 11);
                let value = if (version + i) % 4 == 0 {
                    None
                } else {
                    Some(format!("{version}"))
                };
                c.insert(key.into_bytes(), value.map(String::into_bytes));
            }
            model_apply(&mut model, &c);
            let prepared = storage.prepare(version, &c).unwrap();
            storage.commit(prepared, vec![]).unwrap();
        }
        // A store holding only the final state has exactly as many nodes as a single-version
        // tree over the same keys, plus the two older kept versions' extra nodes: compare with
        // a store that never pruned to make sure something was deleted, and that what is left
        // is bounded by the kept versions.
        let nodes = count(&storage, CF_NODES);
        let values = count(&storage, CF_VALUES);
        let dir2 = tempfile::tempdir().unwrap();
        let unpruned = Storage::open(dir2.path(), StorageConfig::default()).unwrap();
        let c: Changes = model
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        unpruned
            .commit(unpruned.prepare(0, &c).unwrap(), vec![])
            .unwrap();
        let single_nodes = count(&unpruned, CF_NODES);
        assert!(nodes >= single_nodes);
        // Three kept versions each rewrite at most 5 leaf paths (root + ≤2 inner + leaf).
        assert!(
            nodes <= single_nodes + 3 * 5 * 4,
            "{nodes} nodes vs {single_nodes}"
        );
        assert!(values <= model.len() + 3 * 5 * 2, "{values} value entries");
        assert_eq!(storage.earliest(), Some(38));
        // The stale index only holds entries that are not yet due.
        let db = storage.inner.db.rocks();
        for item in db.iterator_cf(storage.inner.db.cf(CF_STALE).unwrap(), IteratorMode::Start) {
            let (key, _) = item.unwrap();
            let (since, _, _) = layout::parse_stale_key(&key).unwrap();
            assert!(since > 38, "stale entry at {since} should have been pruned");
        }
    }
}
