//! The Merkle trees of a checkpoint: the root hash over a range of BTTC blocks, the account
//! root hash over the validator set, and membership proofs (withdrawals prove that a block is
//! in a checkpoint's root).
//!
//! One tree rule for both (heimdall's, and the root contracts' `Merkle.checkMembership`):
//! leaves are taken as they are (not hashed again), padded with 32 zero bytes to the next power
//! of two, and a parent is `keccak256(left ‖ right)`. A single leaf is its own root. The root of
//! no leaves is 32 zero bytes (a checkpoint always has at least one block, and the active set
//! at least one validator, so it never names one).
//!
//! - Block leaf: `keccak256(pad32(number) ‖ pad32(timestamp) ‖ transactionsRoot ‖
//!   receiptsRoot)`, each `pad32` a 32-byte big-endian integer ([`leaf_hash`]).
//! - Account leaf: `keccak256(abi.encode(address signer, uint256 power))` ([`account_leaf`]),
//!   leaves sorted by signer address ascending ([`account_root`]).
//! - Proof of leaf `i`: the sibling at each level, bottom up; [`verify`] folds them, taking the
//!   sibling on the right when the index at that level is even.

use delivery_module::crypto::{keccak256, Address};
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// What a checkpoint needs of a finalized BTTC block (Delivery's own record of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Block number.
    pub number: u64,
    /// Block timestamp (Unix seconds).
    pub timestamp: u64,
    /// The block's transactions root.
    #[serde(with = "crate::types::hex32")]
    pub transactions_root: Hash,
    /// The block's receipts root.
    #[serde(with = "crate::types::hex32")]
    pub receipts_root: Hash,
}

/// `pad32(value)`: a u64 as a 32-byte big-endian word.
pub fn pad32(value: u64) -> Hash {
    let mut out = [0u8; 32];
    let be = value.to_be_bytes();
    for (slot, byte) in out.iter_mut().skip(24).zip(be) {
        *slot = byte;
    }
    out
}

/// `pad32(address)`: an address left-padded to a 32-byte word (ABI encoding).
pub fn pad_address(address: &Address) -> Hash {
    let mut out = [0u8; 32];
    for (slot, byte) in out.iter_mut().skip(12).zip(address.as_bytes()) {
        *slot = *byte;
    }
    out
}

fn hash_pair(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 64];
    let (l, r) = buf.split_at_mut(32);
    l.copy_from_slice(left);
    r.copy_from_slice(right);
    keccak256(&buf)
}

/// The leaf of a BTTC block.
pub fn leaf_hash(header: &Header) -> Hash {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(&pad32(header.number));
    buf.extend_from_slice(&pad32(header.timestamp));
    buf.extend_from_slice(&header.transactions_root);
    buf.extend_from_slice(&header.receipts_root);
    keccak256(&buf)
}

fn parents(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks_exact(2)
        .map(|pair| match pair {
            [l, r] => hash_pair(l, r),
            _ => [0u8; 32],
        })
        .collect()
}

/// The levels of the tree, the padded leaves first, the root's level (one hash) last.
fn levels(leaves: &[Hash]) -> Vec<Vec<Hash>> {
    // A slice of 32-byte hashes has far fewer than usize::MAX / 2 elements, so the next power
    // of two of its length exists.
    let width = leaves
        .len()
        .checked_next_power_of_two()
        .unwrap_or(usize::MAX);
    let mut level: Vec<Hash> = leaves.to_vec();
    level.resize(width, [0u8; 32]);
    let mut out = Vec::new();
    while level.len() > 1 {
        let next = parents(&level);
        out.push(level);
        level = next;
    }
    out.push(level);
    out
}

/// The root over `leaves` (see the module doc; zero for no leaves).
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return [0u8; 32];
    }
    levels(leaves)
        .last()
        .and_then(|top| top.first())
        .copied()
        .unwrap_or([0u8; 32])
}

/// The proof of the leaf at `index`: its sibling at each level, bottom up (empty for a single
/// leaf). Fails when `index` is not a leaf.
pub fn proof(leaves: &[Hash], index: usize) -> Result<Vec<Hash>> {
    if index >= leaves.len() {
        return Err(CheckpointError::BadQuery(format!(
            "leaf index {index} is outside 0..{}",
            leaves.len()
        )));
    }
    let levels = levels(leaves);
    let mut out = Vec::new();
    let mut i = index;
    for level in levels.iter().take(levels.len().saturating_sub(1)) {
        let sibling = level
            .get(i ^ 1)
            .ok_or(CheckpointError::Overflow("Merkle proof sibling index"))?;
        out.push(*sibling);
        i >>= 1;
    }
    Ok(out)
}

/// Whether `proof` shows `leaf` at `index` under `root` (the root contracts' rule: the index
/// must fit in the proof's depth).
pub fn verify(leaf: &Hash, index: u64, proof: &[Hash], root: &Hash) -> bool {
    if let Ok(depth) = u32::try_from(proof.len()) {
        if depth < 64 && index.checked_shr(depth).unwrap_or(0) != 0 {
            return false;
        }
    }
    let mut computed = *leaf;
    let mut i = index;
    for sibling in proof {
        computed = if i & 1 == 0 {
            hash_pair(&computed, sibling)
        } else {
            hash_pair(sibling, &computed)
        };
        i >>= 1;
    }
    computed == *root
}

/// The leaves of BTTC blocks, in order.
pub fn block_leaves(headers: &[Header]) -> Vec<Hash> {
    headers.iter().map(leaf_hash).collect()
}

/// The account leaf of a validator: `keccak256(abi.encode(address signer, uint256 power))`.
pub fn account_leaf(signer: &Address, power: u64) -> Hash {
    let mut buf = [0u8; 64];
    let (a, p) = buf.split_at_mut(32);
    a.copy_from_slice(&pad_address(signer));
    p.copy_from_slice(&pad32(power));
    keccak256(&buf)
}

/// The account leaves of a validator set, sorted by signer ascending. A signer listed twice is
/// an error (the set is malformed).
pub fn account_leaves(members: &[(Address, u64)]) -> Result<Vec<Hash>> {
    let mut sorted: Vec<(Address, u64)> = members.to_vec();
    sorted.sort_by_key(|(signer, _)| *signer);
    for pair in sorted.windows(2) {
        if let [(a, _), (b, _)] = pair {
            if a == b {
                return Err(CheckpointError::InvalidSet(format!(
                    "signer {a} is listed twice"
                )));
            }
        }
    }
    Ok(sorted
        .iter()
        .map(|(signer, power)| account_leaf(signer, *power))
        .collect())
}

/// The account root hash of a validator set (any order in; sorted by signer here).
pub fn account_root(members: &[(Address, u64)]) -> Result<Hash> {
    Ok(root(&account_leaves(members)?))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha3::{Digest, Keccak256};

    // An independent tiny implementation: sha3's Keccak directly, recursion over halves.
    fn k(data: &[u8]) -> [u8; 32] {
        Keccak256::digest(data).into()
    }
    fn k2(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        k(&[a.as_slice(), b.as_slice()].concat())
    }
    fn reference_root(leaves: &[[u8; 32]]) -> [u8; 32] {
        fn rec(xs: &[[u8; 32]]) -> [u8; 32] {
            if xs.len() == 1 {
                return xs[0];
            }
            let (l, r) = xs.split_at(xs.len() / 2);
            k2(&rec(l), &rec(r))
        }
        let mut n = 1;
        while n < leaves.len() {
            n *= 2;
        }
        let mut padded = leaves.to_vec();
        padded.resize(n, [0; 32]);
        rec(&padded)
    }

    fn h(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    #[test]
    fn small_trees_match_hand_computed_roots() {
        let z = [0u8; 32];
        let (a, b, c, d, e) = (h(1), h(2), h(3), h(4), h(5));
        assert_eq!(root(&[]), z);
        assert_eq!(root(&[a]), a, "a single leaf is its own root");
        assert_eq!(root(&[a, b]), k2(&a, &b));
        assert_eq!(root(&[a, b, c]), k2(&k2(&a, &b), &k2(&c, &z)));
        let left = k2(&k2(&a, &b), &k2(&c, &d));
        let right = k2(&k2(&e, &z), &k2(&z, &z));
        assert_eq!(root(&[a, b, c, d, e]), k2(&left, &right));
        // Padding is with zero leaves, not by duplicating the last leaf.
        assert_ne!(root(&[a, b, c]), root(&[a, b, c, c]));
        assert_eq!(root(&[a, b, c]), root(&[a, b, c, z]));
    }

    #[test]
    fn the_block_leaf_is_the_keccak_of_four_words() {
        let header = Header {
            number: 0x0102,
            timestamp: 1_700_000_000,
            transactions_root: h(0xaa),
            receipts_root: h(0xbb),
        };
        let mut raw = vec![0u8; 128];
        raw[30] = 0x01;
        raw[31] = 0x02;
        raw[56..64].copy_from_slice(&1_700_000_000u64.to_be_bytes());
        raw[64..96].copy_from_slice(&[0xaa; 32]);
        raw[96..128].copy_from_slice(&[0xbb; 32]);
        assert_eq!(leaf_hash(&header), k(&raw));
    }

    #[test]
    fn the_account_root_sorts_by_signer_and_abi_encodes_the_leaf() {
        let s1 = Address([0x01; 20]);
        let s2 = Address([0x02; 20]);
        let mut raw = vec![0u8; 64];
        raw[12..32].copy_from_slice(&[0x01; 20]);
        raw[63] = 7;
        assert_eq!(account_leaf(&s1, 7), k(&raw));
        let root_a = account_root(&[(s2, 3), (s1, 7)]).unwrap();
        let root_b = account_root(&[(s1, 7), (s2, 3)]).unwrap();
        assert_eq!(root_a, root_b);
        assert_eq!(root_a, k2(&account_leaf(&s1, 7), &account_leaf(&s2, 3)));
        assert!(matches!(
            account_root(&[(s1, 1), (s1, 2)]),
            Err(CheckpointError::InvalidSet(_))
        ));
    }

    #[test]
    fn proofs_verify_for_every_leaf_and_fail_when_tampered() {
        for n in [1usize, 2, 3, 5, 8, 9] {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| h(i as u8 + 1)).collect();
            let r = root(&leaves);
            for (i, leaf) in leaves.iter().enumerate() {
                let p = proof(&leaves, i).unwrap();
                assert_eq!(p.len(), n.next_power_of_two().trailing_zeros() as usize);
                assert!(verify(leaf, i as u64, &p, &r), "n={n} i={i}");
                assert!(!verify(&h(0xee), i as u64, &p, &r));
                if !p.is_empty() {
                    // Another index of the same depth, or one outside the depth, fails.
                    assert!(!verify(leaf, (i as u64) ^ 1, &p, &r));
                    assert!(!verify(leaf, i as u64 + (1 << p.len()), &p, &r));
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify(leaf, i as u64, &bad, &r));
                }
            }
            assert!(proof(&leaves, n).is_err());
        }
    }

    proptest! {
        #[test]
        fn root_matches_the_reference_and_proofs_hold(
            seeds in proptest::collection::vec(any::<[u8; 32]>(), 1..40),
            pick in any::<prop::sample::Index>(),
        ) {
            let r = root(&seeds);
            prop_assert_eq!(r, reference_root(&seeds));
            let i = pick.index(seeds.len());
            let p = proof(&seeds, i).unwrap();
            prop_assert!(verify(&seeds[i], i as u64, &p, &r));
        }
    }
}
