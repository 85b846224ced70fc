//! The RocksDB handle and the `jmt` storage traits over it.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Sha256Jmt, Version};
use rocksdb::{
    BlockBasedOptions, ColumnFamily, ColumnFamilyDescriptor, DBCompressionType, Options,
    ReadOptions, DB,
};

use crate::layout::{self, ALL_CFS, CF_NODES, CF_PREIMAGES, CF_VALUES};
use crate::{RootHash, StoreError};

/// A `jmt_values` entry: the version that wrote it and the leaf value (`None`: deleted).
pub(crate) type ValueEntry = (u64, Option<Vec<u8>>);

/// The database and its path (for error messages).
pub(crate) struct Db {
    rocks: DB,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if missing) the database with every column family of the layout.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.set_compression_type(DBCompressionType::Lz4);
        let descriptors = ALL_CFS.iter().map(|name| {
            let mut cf_options = Options::default();
            cf_options.set_compression_type(DBCompressionType::Lz4);
            if *name == CF_NODES || *name == CF_PREIMAGES {
                // Point lookups only: a bloom filter saves a disk read per missing key.
                let mut table = BlockBasedOptions::default();
                table.set_bloom_filter(10.0, false);
                cf_options.set_block_based_table_factory(&table);
            }
            ColumnFamilyDescriptor::new(*name, cf_options)
        });
        let rocks = DB::open_cf_descriptors(&options, path, descriptors)
            .map_err(|e| StoreError::Backend(format!("rocksdb open of {}: {e}", path.display())))?;
        Ok(Self {
            rocks,
            path: path.to_path_buf(),
        })
    }

    /// The RocksDB handle.
    pub(crate) fn rocks(&self) -> &DB {
        &self.rocks
    }

    /// The database directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A backend error naming the operation and the path.
    pub(crate) fn err(&self, op: impl Display, error: impl Display) -> StoreError {
        StoreError::Backend(format!("rocksdb {op} in {}: {error}", self.path.display()))
    }

    /// A column family handle.
    pub(crate) fn cf(&self, name: &str) -> Result<&ColumnFamily, StoreError> {
        self.rocks
            .cf_handle(name)
            .ok_or_else(|| StoreError::Corrupt(format!("column family {name} is missing")))
    }

    /// Point read.
    pub(crate) fn get(&self, cf_name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let cf = self.cf(cf_name)?;
        self.rocks
            .get_cf(cf, key)
            .map_err(|e| self.err(format_args!("get from {cf_name}"), e))
    }

    /// The newest `jmt_values` entry of `key_hash` at or below `max_version`:
    /// `(entry version, Some(leaf value) | None for a tombstone)`.
    pub(crate) fn value_entry(
        &self,
        key_hash: KeyHash,
        max_version: u64,
    ) -> Result<Option<ValueEntry>, StoreError> {
        let cf = self.cf(CF_VALUES)?;
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(layout::value_key(key_hash, 0));
        let mut iter = self.rocks.raw_iterator_cf_opt(cf, read);
        iter.seek_for_prev(layout::value_key(key_hash, max_version));
        let (Some(key), Some(value)) = (iter.key(), iter.value()) else {
            iter.status()
                .map_err(|e| self.err("seek in jmt_values", e))?;
            return Ok(None);
        };
        let (found_hash, version) = layout::parse_value_key(key)?;
        if found_hash != key_hash {
            return Ok(None);
        }
        Ok(Some((version, layout::decode_value_entry(value)?)))
    }

    /// The root hash of `version`, or `None` if its root node is absent (never committed or
    /// pruned).
    pub(crate) fn root_hash(&self, version: u64) -> Result<Option<RootHash>, StoreError> {
        Sha256Jmt::new(self)
            .get_root_hash_option(version)
            .map(|root| root.map(|r| r.0))
            .map_err(|e| self.err(format_args!("read of the root of version {version}"), e))
    }
}

impl TreeReader for Db {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = layout::node_key(node_key)?;
        match self.get(CF_NODES, &key)? {
            None => Ok(None),
            Some(bytes) => {
                let node = borsh::from_slice::<Node>(&bytes).map_err(|e| {
                    StoreError::Corrupt(format!("node {} does not decode: {e}", hex::encode(&key)))
                })?;
                Ok(Some(node))
            }
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .value_entry(key_hash, max_version)?
            .and_then(|(_, value)| value))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only jmt's state-sync restore uses this, and the store never restores that way.
        anyhow::bail!("get_rightmost_leaf is not supported by delivery-store (no jmt restore)")
    }
}

impl HasPreimage for Db {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.get(CF_PREIMAGES, &key_hash.0)?)
    }
}
