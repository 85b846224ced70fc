//! Every state key of the clerk module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `clerk/params` | [`crate::Params`] (JSON) |
//! | `clerk/latest-id` | the latest global record id, u64 BE (absent = 0: no record yet) |
//! | `clerk/record/<id: u64 BE>` | an [`crate::EventRecord`] (protobuf [`crate::record::EventRecordProto`]) |
//! | `clerk/by-root/<root chain>/<root id: u64 BE>` | the global id of that root chain's StateSynced id, u64 BE |
//! | `clerk/last-root/<root chain>` | the root chain's last recorded StateSynced id, u64 BE (absent = 0) |
//!
//! Chain names are lowercase letters and digits (no `/`), so `clerk/by-root/<name>/` is exactly
//! one chain's map.

use delivery_module::codec;

/// Params (JSON).
pub const PARAMS: &[u8] = b"clerk/params";
/// The latest global id.
pub const LATEST_ID: &[u8] = b"clerk/latest-id";
/// Prefix of records by global id.
pub const RECORD_PREFIX: &[u8] = b"clerk/record/";
/// Prefix of the (root chain, root id) → global id map.
pub const BY_ROOT_PREFIX: &[u8] = b"clerk/by-root/";
/// Prefix of per-chain last root ids.
pub const LAST_ROOT_PREFIX: &[u8] = b"clerk/last-root/";
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"clerk/";

/// `clerk/record/<id BE>`.
pub fn record(id: u64) -> Vec<u8> {
    codec::key(&[RECORD_PREFIX, &codec::be_u64(id)])
}

/// `clerk/by-root/<chain>/<root id BE>`.
pub fn by_root(root_chain: &str, root_id: u64) -> Vec<u8> {
    codec::key(&[
        BY_ROOT_PREFIX,
        root_chain.as_bytes(),
        b"/",
        &codec::be_u64(root_id),
    ])
}

/// `clerk/last-root/<chain>`.
pub fn last_root(root_chain: &str) -> Vec<u8> {
    codec::key(&[LAST_ROOT_PREFIX, root_chain.as_bytes()])
}
