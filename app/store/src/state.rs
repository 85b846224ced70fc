//! The state API every module codes against: read and write traits over raw keys, and a
//! copy-on-write overlay ([`StateDelta`]) used for the block and for each transaction.
//!
//! A transaction runs on a `StateDelta` over the block's delta; only when it succeeds are its
//! changes applied to the block's delta, so a failed transaction never half-applies.

use std::collections::BTreeMap;

use crate::StoreError;

/// Pending writes: `Some(value)` sets a key, `None` deletes it. Ordered, so applying them is
/// deterministic.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// `(key, value)` pairs in ascending key order, as returned by [`StateRead::prefix_raw`].
pub type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;

/// Read access to a consistent view of state.
pub trait StateRead {
    /// The value stored under `key`, if any.
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every `(key, value)` whose key starts with `prefix`, in ascending key order.
    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError>;
}

/// Write access. Writes are buffered; they reach disk only through a block commit.
pub trait StateWrite: StateRead {
    /// Sets `key` to `value`.
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>);

    /// Removes `key`.
    fn delete_raw(&mut self, key: Vec<u8>);
}

impl<T: StateRead + ?Sized> StateRead for &T {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError> {
        (**self).prefix_raw(prefix)
    }
}

impl<T: StateRead + ?Sized> StateRead for &mut T {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError> {
        (**self).prefix_raw(prefix)
    }
}

impl<T: StateWrite + ?Sized> StateWrite for &mut T {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        (**self).put_raw(key, value)
    }
    fn delete_raw(&mut self, key: Vec<u8>) {
        (**self).delete_raw(key)
    }
}

/// A copy-on-write overlay over a base view. Reads see the overlay's own writes first.
#[derive(Debug, Clone)]
pub struct StateDelta<B> {
    base: B,
    changes: Changes,
}

impl<B: StateRead> StateDelta<B> {
    /// An empty overlay over `base`.
    pub fn new(base: B) -> Self {
        Self {
            base,
            changes: Changes::new(),
        }
    }

    /// The writes buffered so far.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Gives up the overlay, returning its writes (to apply to a parent delta or commit).
    pub fn into_changes(self) -> Changes {
        self.changes
    }

    /// Splits into the base and the writes.
    pub fn into_parts(self) -> (B, Changes) {
        (self.base, self.changes)
    }

    /// Applies writes produced by a child overlay.
    pub fn apply(&mut self, changes: Changes) {
        self.changes.extend(changes);
    }

    /// The base view.
    pub fn base(&self) -> &B {
        &self.base
    }
}

impl<B: StateRead> StateRead for StateDelta<B> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.changes.get(key) {
            Some(change) => Ok(change.clone()),
            None => self.base.get_raw(key),
        }
    }

    fn prefix_raw(&self, prefix: &[u8]) -> Result<KeyValues, StoreError> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.prefix_raw(prefix)?.into_iter().collect();
        for (key, change) in self.changes.range::<[u8], _>((
            std::ops::Bound::Included(prefix),
            std::ops::Bound::Unbounded,
        )) {
            if !key.starts_with(prefix) {
                break;
            }
            match change {
                Some(value) => {
                    merged.insert(key.clone(), value.clone());
                }
                None => {
                    merged.remove(key);
                }
            }
        }
        Ok(merged.into_iter().collect())
    }
}

impl<B: StateRead> StateWrite for StateDelta<B> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }
    fn delete_raw(&mut self, key: Vec<u8>) {
        self.changes.insert(key, None);
    }
}

/// An empty view (a chain before its first commit).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyState;

impl StateRead for EmptyState {
    fn get_raw(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }
    fn prefix_raw(&self, _prefix: &[u8]) -> Result<KeyValues, StoreError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_its_own_writes_and_deletes() -> Result<(), StoreError> {
        let mut base = StateDelta::new(EmptyState);
        base.put_raw(b"a/1".to_vec(), b"x".to_vec());
        base.put_raw(b"a/2".to_vec(), b"y".to_vec());
        base.put_raw(b"b/1".to_vec(), b"z".to_vec());
        let mut tx = StateDelta::new(&base);
        tx.delete_raw(b"a/1".to_vec());
        tx.put_raw(b"a/3".to_vec(), b"w".to_vec());
        assert_eq!(tx.get_raw(b"a/1")?, None);
        assert_eq!(tx.get_raw(b"b/1")?, Some(b"z".to_vec()));
        let listed = tx.prefix_raw(b"a/")?;
        assert_eq!(
            listed,
            vec![
                (b"a/2".to_vec(), b"y".to_vec()),
                (b"a/3".to_vec(), b"w".to_vec())
            ]
        );
        let changes = tx.into_changes();
        base.apply(changes);
        assert_eq!(base.get_raw(b"a/1")?, None);
        assert_eq!(base.get_raw(b"a/3")?, Some(b"w".to_vec()));
        Ok(())
    }
}
