//! The payload types: what the producer asks for, what the engine builds, what validators import.

use serde::{Deserialize, Serialize};

use crate::hex_types::{Address, Bloom, Bytes, H256};

/// Length of the vanity prefix of `extra_data`.
pub const EXTRA_VANITY_LEN: usize = 32;
/// Length of the producer's seal (secp256k1 `r ‖ s ‖ v`, `v` ∈ {0, 1}) at the end of `extra_data`.
pub const EXTRA_SEAL_LEN: usize = 65;

/// One state-sync record from a root chain, delivered into the EVM by a system call to the
/// StateReceiver contract (`commitState`) before the block's transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateSyncRecord {
    /// The record id (the root chain's state-sync counter). Strictly increasing within a payload.
    #[serde(with = "crate::quantity")]
    pub id: u64,
    /// The contract on BTTC that receives the data (`onStateReceive(id, data)`).
    pub receiver: Address,
    /// The opaque payload.
    pub data: Bytes,
}

/// A validator entry of a span commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpanValidator {
    /// The validator id in Delivery.
    #[serde(with = "crate::quantity")]
    pub id: u64,
    /// The validator's signer address.
    pub signer: Address,
    /// The validator's voting power.
    #[serde(with = "crate::quantity")]
    pub voting_power: u64,
}

/// A new span committed into the ValidatorSet system contract (`commitSpan`) at the start of a
/// block, before the state-sync records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpanCommit {
    /// The span id.
    #[serde(with = "crate::quantity")]
    pub id: u64,
    /// First BTTC block of the span.
    #[serde(with = "crate::quantity")]
    pub start_block: u64,
    /// Last BTTC block of the span (inclusive).
    #[serde(with = "crate::quantity")]
    pub end_block: u64,
    /// The span's validator set.
    pub validators: Vec<SpanValidator>,
    /// The span's block producers.
    pub producers: Vec<SpanValidator>,
}

/// What the producer asks the engine to build on top of the forkchoice head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PayloadAttributes {
    /// Block timestamp in seconds; must be greater than the parent's.
    #[serde(with = "crate::quantity")]
    pub timestamp: u64,
    /// The block producer: coinbase, fee recipient and the address that must seal the block.
    pub producer: Address,
    /// State-sync records due in this block, in strictly increasing id order.
    #[serde(default)]
    pub state_sync_records: Vec<StateSyncRecord>,
    /// The span to commit in this block, if a span starts.
    #[serde(default)]
    pub span_commit: Option<SpanCommit>,
    /// Upper bound on the total EIP-2718 encoded size of the payload's transactions (the
    /// consensus client carries the payload in a transaction of bounded size); `None`: only
    /// the gas limit bounds the block.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::quantity::option"
    )]
    pub max_transactions_bytes: Option<u64>,
}

/// A BTTC block in executable form: the Ethereum header fields (minus the constants and the
/// derived transactions root), the raw transactions and the system-call inputs.
///
/// It differs from the Engine API's `ExecutionPayload`: `extra_data` is 97 bytes (32 vanity +
/// 65 seal), and the state-sync records and span commit ride along (they are not part of the
/// header hash, as in bor; their effect is in `state_root`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecutablePayload {
    /// Hash of the parent block.
    pub parent_hash: H256,
    /// Coinbase: the producer, paid the priority fees; must equal the seal's signer.
    pub fee_recipient: Address,
    /// State root after the block.
    pub state_root: H256,
    /// Root of the receipts trie (transactions only; system calls have no receipt).
    pub receipts_root: H256,
    /// Bloom of all transaction logs.
    pub logs_bloom: Bloom,
    /// The header's mix hash (zero: BTTC has no beacon randomness).
    pub prev_randao: H256,
    /// Block number.
    #[serde(with = "crate::quantity")]
    pub block_number: u64,
    /// Gas limit.
    #[serde(with = "crate::quantity")]
    pub gas_limit: u64,
    /// Gas used by the transactions.
    #[serde(with = "crate::quantity")]
    pub gas_used: u64,
    /// Timestamp in seconds.
    #[serde(with = "crate::quantity")]
    pub timestamp: u64,
    /// 32-byte vanity followed by the 65-byte seal.
    pub extra_data: Bytes,
    /// EIP-1559 base fee per gas.
    #[serde(with = "crate::quantity")]
    pub base_fee_per_gas: u64,
    /// Hash of the sealed header.
    pub block_hash: H256,
    /// Raw EIP-2718 transactions.
    pub transactions: Vec<Bytes>,
    /// State-sync records delivered before the transactions.
    #[serde(default)]
    pub state_sync_records: Vec<StateSyncRecord>,
    /// Span committed before the state-sync records.
    #[serde(default)]
    pub span_commit: Option<SpanCommit>,
}

/// The answer of `get_payload`: an unsealed payload and the hash the producer signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltPayload {
    /// The payload with a zero seal; `block_hash` is set by [`ExecutablePayload::seal`].
    pub payload: ExecutablePayload,
    /// What the producer signs (keccak of the RLP header without the seal).
    pub seal_hash: H256,
    /// Priority fees paid to the producer, in wei.
    #[serde(with = "crate::quantity")]
    pub block_value: u128,
}
