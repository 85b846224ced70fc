//! Every state key of the rootchain module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `rootchain/params` | [`crate::Params`] (JSON) |
//! | `rootchain/applied/<root chain>/<block number: u64 BE>/<log index: u64 BE>` | empty: the root event was applied |
//!
//! Chain names are lowercase letters and digits (no `/`), so `rootchain/applied/<name>/` is
//! exactly one chain's applied events.

/// Params (JSON).
pub const PARAMS: &[u8] = b"rootchain/params";
/// Prefix of the applied-events set (also [`crate::APPLIED_PREFIX`]).
pub const APPLIED_PREFIX: &[u8] = crate::APPLIED_PREFIX;
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"rootchain/";

/// Bytes after the chain name in an applied key: `/`, block number, `/`, log index.
pub(crate) const APPLIED_SUFFIX_LEN: usize = 18;
