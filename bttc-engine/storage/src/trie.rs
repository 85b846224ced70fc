//! An incremental Merkle Patricia trie over hash-keyed nodes, using alloy-trie's node types and
//! encoding.
//!
//! Nodes are stored by `keccak(rlp(node))` (nodes shorter than 32 bytes are inlined in their
//! parent, as the MPT requires; the root is always stored by hash). An update loads only the
//! nodes on the paths of the changed keys, rebuilds those paths in memory and hashes them; every
//! untouched subtree keeps its stored hash. Cost: O(changed keys × depth) node reads, not a rehash
//! of the trie. Old nodes are never deleted (pruning is a later milestone; see ADR 0004).
//!
//! All keys of one trie have the same length (64 nibbles: keccak of an address or slot), so no
//! key is a prefix of another and branch nodes never carry values.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, B256};
use alloy_rlp::Decodable;
use alloy_trie::nodes::{BranchNode, ExtensionNode, LeafNode, RlpNode, TrieNode};
use alloy_trie::{Nibbles, TrieMask, EMPTY_ROOT_HASH};

/// A trie node could not be read or decoded.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// A node referenced by hash is not in the store: the database is corrupt or incomplete.
    #[error("trie node {0} is missing from the store")]
    MissingNode(B256),
    /// A stored node does not decode.
    #[error("trie node {hash:?} does not decode: {reason}")]
    BadNode {
        /// The node's hash (None for an inline node).
        hash: Option<B256>,
        /// The decoder's message.
        reason: String,
    },
    /// The store failed.
    #[error("trie node read failed: {0}")]
    Source(String),
}

/// Where trie nodes are read from.
pub trait NodeSource {
    /// The RLP of the node with this hash, if stored.
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError>;
}

impl NodeSource for BTreeMap<B256, Vec<u8>> {
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
        Ok(self.get(hash).cloned())
    }
}

/// A key (as nibbles) and its new value (`None` deletes).
pub type TrieUpdate = (Vec<u8>, Option<Vec<u8>>);

enum Node {
    Leaf { key: Vec<u8>, value: Vec<u8> },
    Extension { key: Vec<u8>, child: Child },
    Branch { children: Box<[Option<Child>; 16]> },
}

enum Child {
    Stored(RlpNode),
    Mem(Box<Node>),
}

/// Applies `updates` to the trie with root `root`; returns the new root and adds every new node
/// of 32 bytes or more (and the root) to `out`.
///
/// Keys are full paths in nibbles (one nibble per byte, each < 16), all of the same length.
/// Duplicates: the last update of a key wins.
pub fn update_trie(
    source: &dyn NodeSource,
    root: B256,
    updates: Vec<TrieUpdate>,
    out: &mut BTreeMap<B256, Vec<u8>>,
) -> Result<B256, TrieError> {
    let sorted: BTreeMap<Vec<u8>, Option<Vec<u8>>> = updates.into_iter().collect();
    let updates: Vec<TrieUpdate> = sorted.into_iter().collect();
    let start = if root == EMPTY_ROOT_HASH {
        None
    } else {
        Some(Child::Stored(RlpNode::word_rlp(&root)))
    };
    let t = Trie { source };
    let new_root = t.update(start, &updates, 0)?;
    Ok(match new_root {
        None => EMPTY_ROOT_HASH,
        Some(Child::Stored(r)) => match r.as_hash() {
            Some(h) => h,
            None => {
                let bytes = r.as_slice().to_vec();
                let h = keccak256(&bytes);
                out.insert(h, bytes);
                h
            }
        },
        Some(Child::Mem(node)) => {
            let mut buf = Vec::new();
            let trie_node = t.commit_node(*node, out)?;
            trie_node.rlp(&mut buf);
            let h = keccak256(&buf);
            out.insert(h, buf);
            h
        }
    })
}

/// Converts 32 bytes into the 64-nibble path used as a trie key.
pub fn nibbles_of(key: &B256) -> Vec<u8> {
    Nibbles::unpack(key).to_vec()
}

struct Trie<'a> {
    source: &'a dyn NodeSource,
}

fn bad(hash: Option<B256>, reason: impl ToString) -> TrieError {
    TrieError::BadNode {
        hash,
        reason: reason.to_string(),
    }
}

fn concat(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(a.len().saturating_add(b.len()));
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    v
}

fn empty_children() -> Box<[Option<Child>; 16]> {
    Box::new(std::array::from_fn(|_| None))
}

impl Trie<'_> {
    fn decode(&self, hash: Option<B256>, mut bytes: &[u8]) -> Result<Node, TrieError> {
        let node = TrieNode::decode(&mut bytes).map_err(|e| bad(hash, e))?;
        Ok(match node {
            TrieNode::EmptyRoot => return Err(bad(hash, "empty node inside a trie")),
            TrieNode::Leaf(l) => Node::Leaf {
                key: l.key.to_vec(),
                value: l.value,
            },
            TrieNode::Extension(e) => Node::Extension {
                key: e.key.to_vec(),
                child: Child::Stored(e.child),
            },
            TrieNode::Branch(b) => {
                let mut children = empty_children();
                let mut stack = b.stack.into_iter();
                for i in 0u8..16 {
                    if b.state_mask.is_bit_set(i) {
                        let r = stack
                            .next()
                            .ok_or_else(|| bad(hash, "branch mask/stack mismatch"))?;
                        if let Some(slot) = children.get_mut(usize::from(i)) {
                            *slot = Some(Child::Stored(r));
                        }
                    }
                }
                Node::Branch { children }
            }
        })
    }

    fn load(&self, child: Child) -> Result<Node, TrieError> {
        match child {
            Child::Mem(n) => Ok(*n),
            Child::Stored(r) => match r.as_hash() {
                Some(h) => {
                    let bytes = self.source.node(&h)?.ok_or(TrieError::MissingNode(h))?;
                    self.decode(Some(h), &bytes)
                }
                None => self.decode(None, r.as_slice()),
            },
        }
    }

    /// `updates` are sorted, unique, and their keys are the paths below this node.
    fn update(
        &self,
        node: Option<Child>,
        updates: &[TrieUpdate],
        depth: usize,
    ) -> Result<Option<Child>, TrieError> {
        if updates.is_empty() {
            return Ok(node);
        }
        let Some(child) = node else {
            let inserts: Vec<(Vec<u8>, Vec<u8>)> = updates
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
                .collect();
            return Ok(build(&inserts));
        };
        match self.load(child)? {
            Node::Leaf { key, value } => {
                let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
                merged.insert(key, value);
                for (k, v) in updates {
                    match v {
                        Some(v) => merged.insert(k.clone(), v.clone()),
                        None => merged.remove(k),
                    };
                }
                let entries: Vec<(Vec<u8>, Vec<u8>)> = merged.into_iter().collect();
                Ok(build(&entries))
            }
            Node::Extension { key, child } => {
                if updates.iter().all(|(k, _)| k.starts_with(&key)) {
                    let stripped: Vec<TrieUpdate> = updates
                        .iter()
                        .map(|(k, v)| (k.get(key.len()..).unwrap_or(&[]).to_vec(), v.clone()))
                        .collect();
                    let depth = depth.saturating_add(key.len());
                    let new_child = self.update(Some(child), &stripped, depth)?;
                    return self.prefix(&key, new_child);
                }
                // Some key leaves the extension's path: turn it into a one-child branch.
                let (first, rest) = key
                    .split_first()
                    .ok_or_else(|| bad(None, "extension with an empty key"))?;
                let sub = if rest.is_empty() {
                    child
                } else {
                    Child::Mem(Box::new(Node::Extension {
                        key: rest.to_vec(),
                        child,
                    }))
                };
                let mut children = empty_children();
                if let Some(slot) = children.get_mut(usize::from(*first)) {
                    *slot = Some(sub);
                }
                self.update_branch(children, updates, depth)
            }
            Node::Branch { children } => self.update_branch(children, updates, depth),
        }
    }

    fn update_branch(
        &self,
        mut children: Box<[Option<Child>; 16]>,
        updates: &[TrieUpdate],
        depth: usize,
    ) -> Result<Option<Child>, TrieError> {
        let mut start = 0usize;
        while let Some((key, _)) = updates.get(start) {
            let nibble = *key
                .first()
                .ok_or_else(|| bad(None, "update key shorter than the trie"))?;
            let end = updates
                .iter()
                .skip(start)
                .position(|(k, _)| k.first() != Some(&nibble))
                .map_or(updates.len(), |p| p.saturating_add(start));
            let group: Vec<TrieUpdate> = updates
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .map(|(k, v)| (k.get(1..).unwrap_or(&[]).to_vec(), v.clone()))
                .collect();
            let slot = children
                .get_mut(usize::from(nibble))
                .ok_or_else(|| bad(None, format!("nibble {nibble} out of range")))?;
            *slot = self.update(slot.take(), &group, depth.saturating_add(1))?;
            start = end;
        }
        let count = children.iter().filter(|c| c.is_some()).count();
        match count {
            0 => Ok(None),
            1 => {
                let (i, only) = children
                    .iter_mut()
                    .enumerate()
                    .find_map(|(i, c)| c.take().map(|c| (i, c)))
                    .ok_or_else(|| bad(None, "branch count mismatch"))?;
                let nibble = u8::try_from(i).map_err(|_| bad(None, "nibble index"))?;
                self.prefix(&[nibble], Some(only))
            }
            _ => Ok(Some(Child::Mem(Box::new(Node::Branch { children })))),
        }
    }

    /// The node that is `child` reached through the path `prefix` (merging paths).
    fn prefix(&self, prefix: &[u8], child: Option<Child>) -> Result<Option<Child>, TrieError> {
        let Some(child) = child else { return Ok(None) };
        let node = match self.load(child)? {
            Node::Leaf { key, value } => Node::Leaf {
                key: concat(prefix, &key),
                value,
            },
            Node::Extension { key, child } => Node::Extension {
                key: concat(prefix, &key),
                child,
            },
            branch @ Node::Branch { .. } => Node::Extension {
                key: prefix.to_vec(),
                child: Child::Mem(Box::new(branch)),
            },
        };
        Ok(Some(Child::Mem(Box::new(node))))
    }

    fn commit_child(
        &self,
        child: Child,
        out: &mut BTreeMap<B256, Vec<u8>>,
    ) -> Result<RlpNode, TrieError> {
        match child {
            Child::Stored(r) => Ok(r),
            Child::Mem(node) => {
                let trie_node = self.commit_node(*node, out)?;
                let mut buf = Vec::new();
                let r = trie_node.rlp(&mut buf);
                if let Some(h) = r.as_hash() {
                    out.insert(h, buf);
                }
                Ok(r)
            }
        }
    }

    fn commit_node(
        &self,
        node: Node,
        out: &mut BTreeMap<B256, Vec<u8>>,
    ) -> Result<TrieNode, TrieError> {
        Ok(match node {
            Node::Leaf { key, value } => {
                TrieNode::Leaf(LeafNode::new(Nibbles::from_nibbles_unchecked(&key), value))
            }
            Node::Extension { key, child } => {
                let child = self.commit_child(child, out)?;
                TrieNode::Extension(ExtensionNode::new(
                    Nibbles::from_nibbles_unchecked(&key),
                    child,
                ))
            }
            Node::Branch { children } => {
                let mut stack = Vec::new();
                let mut mask = TrieMask::default();
                for (i, c) in children.into_iter().enumerate() {
                    if let Some(c) = c {
                        stack.push(self.commit_child(c, out)?);
                        mask.set_bit(u8::try_from(i).map_err(|_| bad(None, "nibble index"))?);
                    }
                }
                TrieNode::Branch(BranchNode::new(stack, mask))
            }
        })
    }
}

/// Builds a fresh subtree from sorted, unique entries of equal key length.
fn build(entries: &[(Vec<u8>, Vec<u8>)]) -> Option<Child> {
    match entries {
        [] => None,
        [(key, value)] => Some(Child::Mem(Box::new(Node::Leaf {
            key: key.clone(),
            value: value.clone(),
        }))),
        [(first, _), .., (last, _)] => {
            let cp = first
                .iter()
                .zip(last.iter())
                .take_while(|(a, b)| a == b)
                .count();
            if cp > 0 {
                let stripped: Vec<(Vec<u8>, Vec<u8>)> = entries
                    .iter()
                    .map(|(k, v)| (k.get(cp..).unwrap_or(&[]).to_vec(), v.clone()))
                    .collect();
                let child = build_branch(&stripped)?;
                Some(Child::Mem(Box::new(Node::Extension {
                    key: first.get(..cp).unwrap_or(&[]).to_vec(),
                    child,
                })))
            } else {
                build_branch(entries)
            }
        }
    }
}

fn build_branch(entries: &[(Vec<u8>, Vec<u8>)]) -> Option<Child> {
    let mut children = empty_children();
    let mut start = 0usize;
    while let Some((key, _)) = entries.get(start) {
        let nibble = *key.first()?;
        let end = entries
            .iter()
            .skip(start)
            .position(|(k, _)| k.first() != Some(&nibble))
            .map_or(entries.len(), |p| p.saturating_add(start));
        let group: Vec<(Vec<u8>, Vec<u8>)> = entries
            .get(start..end)?
            .iter()
            .map(|(k, v)| (k.get(1..).unwrap_or(&[]).to_vec(), v.clone()))
            .collect();
        *children.get_mut(usize::from(nibble))? = build(&group);
        start = end;
    }
    Some(Child::Mem(Box::new(Node::Branch { children })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloy_trie::HashBuilder;
    use proptest::prelude::*;

    fn full_root(state: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = HashBuilder::default();
        for (k, v) in state {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    fn key(i: u8) -> B256 {
        keccak256([i])
    }

    #[test]
    fn empty_and_single_and_delete_all() {
        let mut nodes = BTreeMap::new();
        let r0 = update_trie(&nodes.clone(), EMPTY_ROOT_HASH, vec![], &mut nodes).unwrap();
        assert_eq!(r0, EMPTY_ROOT_HASH);
        let r1 = update_trie(
            &nodes.clone(),
            EMPTY_ROOT_HASH,
            vec![(nibbles_of(&key(1)), Some(vec![7]))],
            &mut nodes,
        )
        .unwrap();
        let mut expect = BTreeMap::new();
        expect.insert(key(1), vec![7]);
        assert_eq!(r1, full_root(&expect));
        let r2 = update_trie(
            &nodes.clone(),
            r1,
            vec![(nibbles_of(&key(1)), None)],
            &mut nodes,
        )
        .unwrap();
        assert_eq!(r2, EMPTY_ROOT_HASH);
    }

    #[test]
    fn missing_node_is_an_error_not_a_panic() {
        let nodes: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
        let mut out = BTreeMap::new();
        let err = update_trie(
            &nodes,
            B256::repeat_byte(1),
            vec![(nibbles_of(&key(1)), None)],
            &mut out,
        );
        assert!(matches!(err, Err(TrieError::MissingNode(_))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Several batches of inserts, overwrites and deletes: after each batch the incremental
        /// root equals a full rebuild with alloy-trie's HashBuilder.
        #[test]
        fn incremental_root_matches_full_rebuild(
            batches in proptest::collection::vec(
                proptest::collection::vec((0u8..40, proptest::option::weighted(0.7, proptest::collection::vec(any::<u8>(), 1..40))), 0..30),
                1..6)
        ) {
            let mut nodes: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
            let mut state: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
            let mut root = EMPTY_ROOT_HASH;
            for batch in batches {
                let mut updates = Vec::new();
                for (k, v) in batch {
                    let k = key(k);
                    match &v {
                        Some(v) => { state.insert(k, v.clone()); }
                        None => { state.remove(&k); }
                    }
                    updates.push((nibbles_of(&k), v));
                }
                let mut out = BTreeMap::new();
                root = update_trie(&nodes, root, updates, &mut out).unwrap();
                nodes.extend(out);
                prop_assert_eq!(root, full_root(&state));
            }
        }
    }
}
