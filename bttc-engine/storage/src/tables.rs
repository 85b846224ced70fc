//! The RocksDB key layout. One key space; the first byte names the table. Changing a key is a
//! migration.
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `m` | `head` | block number (8 BE) ‖ block hash (32) |
//! | `a` | address (20) | [`crate::StoredAccount`] (104 bytes) |
//! | `s` | address (20) ‖ slot (32) | value (32 BE), non-zero only |
//! | `c` | code hash (32) | bytecode |
//! | `n` | node hash (32) | RLP of a trie node (account and storage tries share it) |
//! | `k` | number (8 BE) | canonical block hash |
//! | `N` | block hash | number (8 BE) |
//! | `h` | block hash | RLP header |
//! | `b` | block hash | body (engine-defined encoding) |
//! | `r` | block hash | receipts (engine-defined encoding) |
//! | `t` | tx hash | block number (8 BE) ‖ index in block (4 BE) |

use alloy_primitives::{Address, B256, U256};

pub(crate) const HEAD: &[u8] = b"mhead";

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(
        parts
            .iter()
            .map(|p| p.len())
            .sum::<usize>()
            .saturating_add(1),
    );
    k.push(prefix);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

pub(crate) fn account(a: &Address) -> Vec<u8> {
    key(b'a', &[a.as_slice()])
}
pub(crate) fn storage(a: &Address, slot: &U256) -> Vec<u8> {
    key(b's', &[a.as_slice(), &slot.to_be_bytes::<32>()])
}
/// `[start, end)` covering every storage slot of `a`.
pub(crate) fn storage_range(a: &Address) -> (Vec<u8>, Vec<u8>) {
    let start = key(b's', &[a.as_slice()]);
    let mut end = start.clone();
    // Increment the 21-byte prefix as a big-endian number; `s` < 0xff so this cannot overflow
    // past the prefix byte.
    for b in end.iter_mut().rev() {
        if *b == 0xff {
            *b = 0;
        } else {
            *b = b.wrapping_add(1);
            break;
        }
    }
    (start, end)
}
pub(crate) fn code(h: &B256) -> Vec<u8> {
    key(b'c', &[h.as_slice()])
}
pub(crate) fn node(h: &B256) -> Vec<u8> {
    key(b'n', &[h.as_slice()])
}
pub(crate) fn canonical(n: u64) -> Vec<u8> {
    key(b'k', &[&n.to_be_bytes()])
}
pub(crate) fn number(h: &B256) -> Vec<u8> {
    key(b'N', &[h.as_slice()])
}
pub(crate) fn header(h: &B256) -> Vec<u8> {
    key(b'h', &[h.as_slice()])
}
pub(crate) fn body(h: &B256) -> Vec<u8> {
    key(b'b', &[h.as_slice()])
}
pub(crate) fn receipts(h: &B256) -> Vec<u8> {
    key(b'r', &[h.as_slice()])
}
pub(crate) fn tx(h: &B256) -> Vec<u8> {
    key(b't', &[h.as_slice()])
}
