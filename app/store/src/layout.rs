//! On-disk layout: column family names and the byte encoding of every key and value.
//!
//! Changing anything here changes the database format: bump [`FORMAT_VERSION`] and write a
//! migration.

use jmt::storage::{NibblePath, NodeKey};
use jmt::KeyHash;

use crate::{RootHash, StoreError};

/// Format of the database written by this crate, stored under [`SYS_FORMAT`].
pub(crate) const FORMAT_VERSION: u64 = 1;

/// JMT nodes: `version (u64 BE) ‖ borsh(nibble path)` → `borsh(Node)`.
pub(crate) const CF_NODES: &str = "jmt_nodes";
/// Versioned values: `key hash (32) ‖ version (u64 BE)` → leaf value or tombstone.
pub(crate) const CF_VALUES: &str = "jmt_values";
/// Key preimages: `key hash (32)` → raw key (for ICS23 absence proofs).
pub(crate) const CF_PREIMAGES: &str = "jmt_preimages";
/// Stale index for pruning: `stale since (u64 BE) ‖ kind (1) ‖ payload` → empty.
pub(crate) const CF_STALE: &str = "stale";
/// The latest state, flat: raw key → raw value (prefix iteration).
pub(crate) const CF_STATE: &str = "state";
/// Non-merklized metadata written by `commit`: caller key → caller value.
pub(crate) const CF_META: &str = "meta";
/// The store's own bookkeeping (latest version, oldest kept version, format).
pub(crate) const CF_SYS: &str = "sys";

/// Every column family, in the order they are opened.
pub(crate) const ALL_CFS: [&str; 7] = [
    CF_NODES,
    CF_VALUES,
    CF_PREIMAGES,
    CF_STALE,
    CF_STATE,
    CF_META,
    CF_SYS,
];

/// `sys` key: latest committed `version (u64 BE) ‖ root hash (32)`.
pub(crate) const SYS_LATEST: &[u8] = b"latest";
/// `sys` key: oldest version still readable, `u64 BE`.
pub(crate) const SYS_EARLIEST: &[u8] = b"earliest";
/// `sys` key: [`FORMAT_VERSION`], `u64 BE`.
pub(crate) const SYS_FORMAT: &[u8] = b"format";

/// First byte of every value stored in the tree: the tree commits to `0x01 ‖ raw value`, so
/// every leaf value is non-empty (ICS23 cannot prove an empty value).
pub(crate) const LEAF_VALUE_TAG: u8 = 0x01;
/// A `jmt_values` entry meaning "deleted at this version".
pub(crate) const TOMBSTONE: [u8; 1] = [0x00];

/// Stale-index kind: the payload is an encoded node key (a `jmt_nodes` key).
pub(crate) const STALE_NODE: u8 = 0;
/// Stale-index kind: the payload is a `jmt_values` key.
pub(crate) const STALE_VALUE: u8 = 1;

/// The value the tree commits to for a raw value.
pub(crate) fn encode_leaf_value(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len().saturating_add(1));
    out.push(LEAF_VALUE_TAG);
    out.extend_from_slice(raw);
    out
}

/// The raw value inside a leaf value.
pub(crate) fn decode_leaf_value(leaf: &[u8]) -> Result<Vec<u8>, StoreError> {
    match leaf.split_first() {
        Some((&LEAF_VALUE_TAG, raw)) => Ok(raw.to_vec()),
        Some((tag, _)) => Err(StoreError::Corrupt(format!(
            "leaf value tag {tag:#04x}, expected {LEAF_VALUE_TAG:#04x}"
        ))),
        None => Err(StoreError::Corrupt(
            "empty leaf value, expected a tagged value".into(),
        )),
    }
}

/// A `jmt_values` entry: `Some(leaf value)` or `None` for a tombstone.
pub(crate) fn decode_value_entry(entry: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    match entry.first() {
        Some(&LEAF_VALUE_TAG) => Ok(Some(entry.to_vec())),
        Some(0x00) if entry.len() == 1 => Ok(None),
        _ => Err(StoreError::Corrupt(format!(
            "value entry {}, expected a tombstone (00) or a tagged leaf value (01…)",
            hex::encode(entry.get(..16).unwrap_or(entry))
        ))),
    }
}

/// The nibble path of a root node (jmt keeps its constructor private).
pub(crate) fn empty_nibble_path() -> NibblePath {
    std::iter::empty().collect()
}

/// Key of the root node of `version`.
pub(crate) fn root_node_key(version: u64) -> NodeKey {
    NodeKey::new(version, empty_nibble_path())
}

/// `jmt_nodes` key of a node.
pub(crate) fn node_key(key: &NodeKey) -> Result<Vec<u8>, StoreError> {
    let path = borsh::to_vec(key.nibble_path())
        .map_err(|e| StoreError::Corrupt(format!("cannot encode nibble path: {e}")))?;
    let mut out = Vec::with_capacity(path.len().saturating_add(8));
    out.extend_from_slice(&key.version().to_be_bytes());
    out.extend_from_slice(&path);
    Ok(out)
}

/// `jmt_values` key of `key_hash` at `version`.
pub(crate) fn value_key(key_hash: KeyHash, version: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(&key_hash.0);
    out.extend_from_slice(&version.to_be_bytes());
    out
}

/// Splits a `jmt_values` key into its key hash and version.
pub(crate) fn parse_value_key(key: &[u8]) -> Result<(KeyHash, u64), StoreError> {
    let bad = || {
        StoreError::Corrupt(format!(
            "value key {} has {} bytes, expected 40",
            hex::encode(key),
            key.len()
        ))
    };
    let (hash, rest) = key.split_first_chunk::<32>().ok_or_else(bad)?;
    let version: [u8; 8] = rest.try_into().map_err(|_| bad())?;
    Ok((KeyHash(*hash), u64::from_be_bytes(version)))
}

/// `stale` key: `stale_since ‖ kind ‖ payload`.
pub(crate) fn stale_key(stale_since: u64, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len().saturating_add(9));
    out.extend_from_slice(&stale_since.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

/// Splits a `stale` key into `(stale_since, kind, payload)`.
pub(crate) fn parse_stale_key(key: &[u8]) -> Result<(u64, u8, &[u8]), StoreError> {
    let bad = || StoreError::Corrupt(format!("stale index key {} is too short", hex::encode(key)));
    let (since, rest) = key.split_first_chunk::<8>().ok_or_else(bad)?;
    let (kind, payload) = rest.split_first().ok_or_else(bad)?;
    Ok((u64::from_be_bytes(*since), *kind, payload))
}

/// `sys` latest entry.
pub(crate) fn encode_latest(version: u64, root: &RootHash) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(root);
    out
}

/// Parses the `sys` latest entry.
pub(crate) fn decode_latest(bytes: &[u8]) -> Result<(u64, RootHash), StoreError> {
    let bad = || {
        StoreError::Corrupt(format!(
            "latest-version record {} has {} bytes, expected 40",
            hex::encode(bytes),
            bytes.len()
        ))
    };
    let (version, root) = bytes.split_first_chunk::<8>().ok_or_else(bad)?;
    let root: RootHash = root.try_into().map_err(|_| bad())?;
    Ok((u64::from_be_bytes(*version), root))
}

/// Parses a `u64 BE` record of `sys`.
pub(crate) fn decode_u64(what: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "{what} record {} has {} bytes, expected 8",
            hex::encode(bytes),
            bytes.len()
        ))
    })?;
    Ok(u64::from_be_bytes(array))
}

/// The smallest byte string greater than every string starting with `prefix`, or `None` when
/// there is none (an empty prefix or one made only of `0xff`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if let Some(next) = last.checked_add(1) {
            end.push(next);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn prefix_end_skips_trailing_ff() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[0x01, 0xff, 0xff]), Some(vec![0x02]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn leaf_values_round_trip_and_are_never_empty() {
        for raw in [&b""[..], b"x", &[0u8, 1, 2]] {
            let leaf = encode_leaf_value(raw);
            assert!(!leaf.is_empty());
            assert_eq!(decode_leaf_value(&leaf).unwrap(), raw);
            assert_eq!(decode_value_entry(&leaf).unwrap(), Some(leaf.clone()));
        }
        assert_eq!(decode_value_entry(&TOMBSTONE).unwrap(), None);
        assert!(decode_value_entry(&[0x00, 0x01]).is_err());
        assert!(decode_value_entry(&[0x02]).is_err());
        assert!(decode_value_entry(&[]).is_err());
        assert!(decode_leaf_value(&[]).is_err());
        assert!(decode_leaf_value(&[0x07, 1]).is_err());
    }

    #[test]
    fn keys_round_trip() {
        let hash = KeyHash([7; 32]);
        let key = value_key(hash, 0x0102_0304_0506_0708);
        assert_eq!(
            parse_value_key(&key).unwrap(),
            (hash, 0x0102_0304_0506_0708)
        );
        assert!(parse_value_key(&key[..39]).is_err());

        let stale = stale_key(9, STALE_VALUE, &key);
        let (since, kind, payload) = parse_stale_key(&stale).unwrap();
        assert_eq!((since, kind, payload), (9, STALE_VALUE, &key[..]));
        assert!(parse_stale_key(&stale[..8]).is_err());

        let latest = encode_latest(5, &[3; 32]);
        assert_eq!(decode_latest(&latest).unwrap(), (5, [3; 32]));
        assert!(decode_latest(&latest[..39]).is_err());
        assert!(decode_u64("x", &[1, 2]).is_err());
    }

    #[test]
    fn node_keys_sort_by_version_first() {
        let a = node_key(&NodeKey::new(1, empty_nibble_path())).unwrap();
        let b = node_key(&NodeKey::new(2, empty_nibble_path())).unwrap();
        assert!(a < b);
        assert_eq!(a[..8], 1u64.to_be_bytes());
    }
}
