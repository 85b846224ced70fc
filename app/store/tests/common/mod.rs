//! Helpers shared by the store's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use delivery_store::{Changes, RootHash, Storage, StorageConfig};
use sha2::{Digest, Sha256};

/// Builds a change set from string pairs (`None` deletes).
pub fn changes(items: &[(&str, Option<&str>)]) -> Changes {
    items
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

/// Opens a store.
pub fn open(path: &Path, keep_recent: u64) -> Storage {
    Storage::open(path, StorageConfig { keep_recent }).unwrap()
}

/// Prepares and commits `changes` as `version`, returning the root.
pub fn commit(storage: &Storage, version: u64, changes: &Changes) -> RootHash {
    let prepared = storage.prepare(version, changes).unwrap();
    let root = prepared.root();
    storage.commit(prepared, Vec::new()).unwrap();
    root
}

/// Applies `changes` to a plain map.
pub fn apply(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, changes: &Changes) {
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

/// The root of a fresh store holding exactly `model` (the tree is history-independent).
pub fn root_of(model: &BTreeMap<Vec<u8>, Vec<u8>>) -> RootHash {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path(), 0);
    let all: Changes = model
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    storage.prepare(0, &all).unwrap().root()
}

/// A deterministic pseudo-random change set for `version`: mostly small, every 7th version
/// large; sets, empty values and deletions over a pool of 4,000 keys.
pub fn generated_changes(version: u64) -> Changes {
    let count: u64 = if version.is_multiple_of(7) { 2_000 } else { 30 };
    let mut out = Changes::new();
    for i in 0..count {
        let mut hasher = Sha256::new();
        hasher.update(version.to_be_bytes());
        hasher.update(i.to_be_bytes());
        let h: [u8; 32] = hasher.finalize().into();
        let slot = u16::from_be_bytes([h[0], h[1]]) % 4_000;
        let key = format!("k/{slot:05}").into_bytes();
        let change = match h[2] % 8 {
            0 => None,
            1 => Some(Vec::new()),
            _ => Some(h[3..3 + usize::from(h[4] % 29)].to_vec()),
        };
        out.insert(key, change);
    }
    out
}
