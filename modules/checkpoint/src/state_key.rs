//! Every state key of the checkpoint module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `checkpoint/params` | [`crate::Params`] (JSON) |
//! | `checkpoint/proposer` | the proposer set: validators with priorities, the proposer (protobuf [`crate::state::ProposerSetRecord`]) |
//! | `checkpoint/buffer/<root chain>` | the checkpoint in flight on that chain (protobuf [`crate::types::BufferRecord`]) |
//! | `checkpoint/committed/<root chain>/<number: u64 BE>` | an acked checkpoint (protobuf [`crate::types::CommittedRecord`]) |
//! | `checkpoint/ack-count/<root chain>` | the chain's ack count = its last acked number, u64 BE (absent = 0) |
//! | `checkpoint/last-end/<root chain>` | the last BTTC block of the chain's last acked checkpoint, u64 BE (absent: none yet, the next start is 0) |
//!
//! Chain names are lowercase letters and digits (no `/`), so `checkpoint/committed/<name>/`
//! is exactly one chain's checkpoints.

use delivery_module::codec;

/// Params (JSON).
pub const PARAMS: &[u8] = b"checkpoint/params";
/// The proposer set.
pub const PROPOSER: &[u8] = b"checkpoint/proposer";
/// Prefix of buffers by chain.
pub const BUFFER_PREFIX: &[u8] = b"checkpoint/buffer/";
/// Prefix of committed checkpoints.
pub const COMMITTED_PREFIX: &[u8] = b"checkpoint/committed/";
/// Prefix of ack counts by chain.
pub const ACK_COUNT_PREFIX: &[u8] = b"checkpoint/ack-count/";
/// Prefix of last ends by chain.
pub const LAST_END_PREFIX: &[u8] = b"checkpoint/last-end/";
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"checkpoint/";

/// `checkpoint/buffer/<chain>`.
pub fn buffer(root_chain: &str) -> Vec<u8> {
    codec::key(&[BUFFER_PREFIX, root_chain.as_bytes()])
}

/// `checkpoint/committed/<chain>/`: one chain's committed checkpoints.
pub fn committed_prefix(root_chain: &str) -> Vec<u8> {
    codec::key(&[COMMITTED_PREFIX, root_chain.as_bytes(), b"/"])
}

/// `checkpoint/committed/<chain>/<number BE>`.
pub fn committed(root_chain: &str, number: u64) -> Vec<u8> {
    codec::key(&[
        COMMITTED_PREFIX,
        root_chain.as_bytes(),
        b"/",
        &codec::be_u64(number),
    ])
}

/// `checkpoint/ack-count/<chain>`.
pub fn ack_count(root_chain: &str) -> Vec<u8> {
    codec::key(&[ACK_COUNT_PREFIX, root_chain.as_bytes()])
}

/// `checkpoint/last-end/<chain>`.
pub fn last_end(root_chain: &str) -> Vec<u8> {
    codec::key(&[LAST_END_PREFIX, root_chain.as_bytes()])
}
