//! The [`Engine`] trait and its request/response types.

use serde::{Deserialize, Serialize};

use crate::hex_types::{Address, H256};
use crate::payload::{BuiltPayload, ExecutablePayload, PayloadAttributes};
use crate::PayloadId;

/// The forkchoice: in BTTC blocks are final when Delivery commits them, so `head`, `safe` and
/// `finalized` are normally the same hash. A zero hash for `safe`/`finalized` means "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForkchoiceState {
    /// The block to make the canonical head.
    pub head_block_hash: H256,
    /// The safe block.
    pub safe_block_hash: H256,
    /// The finalized block.
    pub finalized_block_hash: H256,
}

impl ForkchoiceState {
    /// A forkchoice where head, safe and finalized are the same block.
    pub const fn finalized(hash: H256) -> Self {
        Self {
            head_block_hash: hash,
            safe_block_hash: hash,
            finalized_block_hash: hash,
        }
    }
}

/// The verdict on a payload or forkchoice head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayloadStatus {
    /// The block executed and every check passed.
    #[serde(rename_all = "camelCase")]
    Valid {
        /// The block's hash.
        latest_valid_hash: H256,
    },
    /// The block breaks a rule; `reason` says which, with what was expected and found.
    #[serde(rename_all = "camelCase")]
    Invalid {
        /// The last valid ancestor (the canonical head when the parent is known).
        latest_valid_hash: Option<H256>,
        /// Why the block is invalid.
        validation_error: String,
    },
    /// The engine lacks the parent (or the head) and cannot decide yet.
    Syncing,
    /// The block's parent is known but not canonical; it was not executed.
    Accepted,
}

impl PayloadStatus {
    /// True for [`PayloadStatus::Valid`].
    pub const fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }
}

/// The answer of `forkchoice_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForkchoiceUpdated {
    /// Status of the head.
    pub payload_status: PayloadStatus,
    /// Set when payload attributes were given and a payload was built.
    pub payload_id: Option<PayloadId>,
}

/// A block identified by number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockRef {
    /// Block number.
    #[serde(with = "crate::quantity")]
    pub number: u64,
    /// Block hash.
    pub hash: H256,
    /// State root after the block.
    pub state_root: H256,
    /// The block's timestamp (seconds); a child's must be greater.
    #[serde(with = "crate::quantity")]
    pub timestamp: u64,
}

/// Why a transaction was refused by `check_tx`. Append-only: Delivery maps these to ABCI codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxRejectKind {
    /// Not a decodable EIP-2718 transaction, or a bad signature.
    Malformed,
    /// A transaction type the chain does not accept (blob transactions).
    UnsupportedType,
    /// The chain id is missing (legacy without EIP-155) or differs.
    WrongChainId,
    /// The encoded transaction is larger than the limit.
    Oversized,
    /// The nonce is below the sender's account nonce.
    NonceTooLow,
    /// The nonce is too far above the sender's next nonce.
    NonceGap,
    /// The sender cannot pay `gas_limit * max_fee + value`.
    InsufficientFunds,
    /// The gas limit is below the intrinsic gas.
    IntrinsicGasTooLow,
    /// The gas limit exceeds the block gas limit or the per-transaction cap.
    GasLimitTooHigh,
    /// The fee cap is below the base fee, or the tip exceeds the fee cap.
    FeeTooLow,
    /// The pool holds a different transaction with the same sender and nonce.
    ReplacementNotAllowed,
    /// The pool is full.
    PoolFull,
}

/// A transaction accepted into the engine's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TxAccepted {
    /// The transaction hash.
    pub hash: H256,
    /// The recovered sender.
    pub sender: Address,
    /// The transaction's nonce.
    #[serde(with = "crate::quantity")]
    pub nonce: u64,
    /// The transaction's gas limit.
    #[serde(with = "crate::quantity")]
    pub gas_limit: u64,
}

/// The answer of `check_tx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum TxCheck {
    /// Valid against the head state; now in the pool (or already was).
    Accepted(TxAccepted),
    /// Refused; nothing was added.
    Rejected {
        /// The rule that failed.
        kind: TxRejectKind,
        /// Human-readable detail with the expected and found values.
        message: String,
    },
}

/// A failure of the engine itself or of a request's framing (not a verdict on a block: those are
/// [`PayloadStatus`]). Codes follow the Engine API where one exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// `get_payload` with an id the engine does not know.
    #[error("unknown payload id {0}")]
    UnknownPayload(PayloadId),
    /// The forkchoice state is inconsistent (e.g. finalized is not an ancestor of head).
    #[error("invalid forkchoice state: {0}")]
    InvalidForkchoiceState(String),
    /// The payload attributes are unusable (e.g. timestamp not after the parent's).
    #[error("invalid payload attributes: {0}")]
    InvalidPayloadAttributes(String),
    /// Storage failed; the engine cannot continue safely.
    #[error("engine storage failure: {0}")]
    Storage(String),
    /// The transport to a remote engine failed.
    #[error("engine transport failure: {0}")]
    Transport(String),
    /// Any other internal failure.
    #[error("engine internal error: {0}")]
    Internal(String),
}

impl EngineError {
    /// The JSON-RPC error code (Engine API codes where defined).
    pub const fn code(&self) -> i64 {
        match self {
            Self::UnknownPayload(_) => -38001,
            Self::InvalidForkchoiceState(_) => -38002,
            Self::InvalidPayloadAttributes(_) => -38003,
            Self::Storage(_) | Self::Transport(_) | Self::Internal(_) => -32603,
        }
    }
}

/// The engine API. One trait, two transports: the in-process engine and the JSON-RPC client.
///
/// Methods take `&self`: implementations serialize access internally, so an engine can be
/// shared (`Arc<dyn Engine>`) between the ABCI connections of one node.
pub trait Engine: Send + Sync {
    /// Moves the canonical head to `state.head_block_hash` (committing a block validated by
    /// `new_payload` durably) and, with `attributes`, builds a payload on top of the new head.
    ///
    /// The head status is `Valid` for the current head or a validated child of it, `Syncing`
    /// for an unknown hash.
    fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<PayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError>;

    /// The payload built for `id`, unsealed.
    fn get_payload(&self, id: PayloadId) -> Result<BuiltPayload, EngineError>;

    /// Validates and executes a sealed payload on top of its parent. `Valid` payloads are kept
    /// (in memory) until a `forkchoice_updated` makes one of them the head.
    fn new_payload(&self, payload: ExecutablePayload) -> Result<PayloadStatus, EngineError>;

    /// Validates a raw EIP-2718 transaction against the head state and adds it to the pool.
    /// Idempotent: a transaction already in the pool is accepted again.
    fn check_tx(&self, raw: &[u8]) -> Result<TxCheck, EngineError>;

    /// [`check_tx`](Self::check_tx) of each of `raws`, in order, in one call (CometBFT's
    /// pipelined CheckTx requests reach the app together). The verdicts are those of checking
    /// each in turn.
    fn check_txs(&self, raws: &[Vec<u8>]) -> Result<Vec<TxCheck>, EngineError> {
        raws.iter().map(|raw| self.check_tx(raw)).collect()
    }

    /// The canonical head.
    fn head(&self) -> Result<BlockRef, EngineError>;

    /// The hashes of every transaction in the pool (pending and queued), in hash order. A
    /// consensus client rechecking its mempool after a block asks once instead of once per tx.
    fn pooled_hashes(&self) -> Result<Vec<H256>, EngineError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn payload_status_json_matches_the_engine_api_shape() {
        let valid = PayloadStatus::Valid {
            latest_valid_hash: H256([1; 32]),
        };
        let json = serde_json::to_value(&valid).unwrap();
        assert_eq!(json["status"], "VALID");
        assert_eq!(json["latestValidHash"], format!("0x{}", "01".repeat(32)));
        let invalid = PayloadStatus::Invalid {
            latest_valid_hash: None,
            validation_error: "state root".into(),
        };
        let json = serde_json::to_value(&invalid).unwrap();
        assert_eq!(json["status"], "INVALID");
        assert_eq!(json["validationError"], "state root");
        assert_eq!(
            serde_json::from_value::<PayloadStatus>(json).unwrap(),
            invalid
        );
        assert_eq!(
            serde_json::to_value(PayloadStatus::Syncing).unwrap()["status"],
            "SYNCING"
        );
    }
}
