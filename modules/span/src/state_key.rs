//! Every state key of the span module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `span/params` | [`crate::Params`] (JSON) |
//! | `span/validators` | the current validator list (protobuf `ValidatorList`), sorted by id |
//! | `span/span/<id: u64 BE>` | a [`crate::Span`] (protobuf `SpanRecord`) |
//! | `span/latest` | the latest span id, u64 BE |
//! | `span/replaced/<span id: u64 BE>` | the span's replacements in order (protobuf `ReplacementList`) |
//! | `span/slot` | the failover clock: next BTTC height and the Delivery height waited since (protobuf `SlotRecord`) |
//! | `span/missed/<validator id: u64 BE>` | that producer's slots missed in a row in the current span, u64 BE (absent = 0) |

use delivery_module::codec;

/// Params (JSON).
pub const PARAMS: &[u8] = b"span/params";
/// The current validator list.
pub const VALIDATORS: &[u8] = b"span/validators";
/// Prefix of spans by id.
pub const SPAN_PREFIX: &[u8] = b"span/span/";
/// The latest span id.
pub const LATEST: &[u8] = b"span/latest";
/// Prefix of per-span replacement lists.
pub const REPLACED_PREFIX: &[u8] = b"span/replaced/";
/// The failover clock.
pub const SLOT: &[u8] = b"span/slot";
/// Prefix of missed-slot counters by validator id.
pub const MISSED_PREFIX: &[u8] = b"span/missed/";
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"span/";

/// `span/span/<id BE>`.
pub fn span(id: u64) -> Vec<u8> {
    codec::key(&[SPAN_PREFIX, &codec::be_u64(id)])
}

/// `span/replaced/<span id BE>`.
pub fn replaced(span_id: u64) -> Vec<u8> {
    codec::key(&[REPLACED_PREFIX, &codec::be_u64(span_id)])
}

/// `span/missed/<validator id BE>`.
pub fn missed(validator_id: u64) -> Vec<u8> {
    codec::key(&[MISSED_PREFIX, &codec::be_u64(validator_id)])
}
