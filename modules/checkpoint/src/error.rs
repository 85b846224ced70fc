//! Checkpoint errors (codespace `checkpoint`; codes are append-only).

use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::StoreError;

/// What can go wrong in the checkpoint module.
///
/// [`CheckpointError::Store`] is a storage failure (fatal for the node); every other variant is
/// a deterministic outcome that every validator reaches on the same state and input.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Storage failed or holds undecodable checkpoint data.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A message field is malformed (stateless check).
    #[error("invalid checkpoint message: {0}")]
    InvalidMsg(String),
    /// The root chain is not in the rootchain registry.
    #[error("root chain {0:?} is not in the rootchain registry")]
    UnknownRootChain(String),
    /// No checkpoint is buffered for this root chain.
    #[error("no checkpoint is buffered for {0}")]
    NoBuffer(String),
    /// The acked checkpoint number was acked before (a replay or a duplicate).
    #[error("checkpoint {number} on {root_chain} was already acked: {ack_count} are acked")]
    AlreadyAcked {
        /// The root chain.
        root_chain: String,
        /// The number offered.
        number: u64,
        /// The chain's ack count.
        ack_count: u64,
    },
    /// The acked checkpoint number is ahead of the next one.
    #[error("checkpoint {number} on {root_chain} is ahead: the next checkpoint is {expected}")]
    AckAhead {
        /// The root chain.
        root_chain: String,
        /// The number offered.
        number: u64,
        /// The next number the chain expects.
        expected: u64,
    },
    /// The acked checkpoint does not start right after the last acked one.
    #[error("checkpoint start {start} on {root_chain} != expected {expected} (last end + 1)")]
    StartMismatch {
        /// The root chain.
        root_chain: String,
        /// The start offered.
        start: u64,
        /// The start the chain expects.
        expected: u64,
    },
    /// The sender of a no-ack is not the signer of an active validator.
    #[error("{0} is not the signer of an active validator")]
    NotAValidator(String),
    /// A no-ack came before `checkpoint_buffer_time` passed since the buffer was created.
    #[error(
        "checkpoint {number} on {root_chain} was buffered at {created_time}; a no-ack is accepted \
         from {ready_at} (buffer time {buffer_time} s), block time is {now}"
    )]
    BufferTimeNotPassed {
        /// The root chain.
        root_chain: String,
        /// The buffered checkpoint's number.
        number: u64,
        /// When it was buffered (Unix seconds).
        created_time: i64,
        /// The buffer time (seconds).
        buffer_time: u64,
        /// The first block time a no-ack is accepted at.
        ready_at: i64,
        /// The block time now.
        now: i64,
    },
    /// A parameter is out of its range.
    #[error("invalid checkpoint params: {0}")]
    InvalidParams(String),
    /// The genesis section is inconsistent.
    #[error("invalid checkpoint genesis: {0}")]
    InvalidGenesis(String),
    /// A query argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
    /// No such checkpoint is stored.
    #[error("no checkpoint {0}")]
    NotFound(String),
    /// A number left the range of its type.
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
    /// A checkpoint signature is malformed (length, `v`, high `s`) or recovers no key.
    #[error("invalid checkpoint signature: {0}")]
    InvalidSignature(String),
    /// A checkpoint signature recovers to another address than the signer it is given for.
    #[error("checkpoint signature given for {claimed} recovers to {recovered}")]
    SignerMismatch {
        /// The signer the signature was given for.
        claimed: String,
        /// The address it recovers to.
        recovered: String,
    },
    /// Signatures were given for a checkpoint that is not the buffered one.
    #[error(
        "signatures for checkpoint {number} on {root_chain}, but the buffered one is {buffered}"
    )]
    WrongCheckpoint {
        /// The root chain.
        root_chain: String,
        /// The number the signatures are for.
        number: u64,
        /// The buffered number (0: none).
        buffered: u64,
    },
    /// Delivery's record of a final BTTC block is missing or inconsistent.
    #[error("BTTC header {number}: {detail}")]
    BadHeader {
        /// The block number asked for.
        number: u64,
        /// What is wrong.
        detail: String,
    },
    /// The validator set handed to the module is malformed.
    #[error("invalid validator set: {0}")]
    InvalidSet(String),
}

impl ErrorCode for CheckpointError {
    const CODESPACE: &'static str = "checkpoint";
    fn code(&self) -> u32 {
        match self {
            // Never turned into a TxError (see the From impl below); numbered for completeness.
            CheckpointError::Store(_) => 1,
            CheckpointError::InvalidMsg(_) => codes::INVALID_MSG,
            CheckpointError::UnknownRootChain(_) => codes::UNKNOWN_ROOT_CHAIN,
            CheckpointError::NoBuffer(_) => codes::NO_BUFFER,
            CheckpointError::AlreadyAcked { .. } => codes::ALREADY_ACKED,
            CheckpointError::AckAhead { .. } => codes::ACK_AHEAD,
            CheckpointError::StartMismatch { .. } => codes::START_MISMATCH,
            CheckpointError::NotAValidator(_) => codes::NOT_A_VALIDATOR,
            CheckpointError::BufferTimeNotPassed { .. } => codes::BUFFER_TIME_NOT_PASSED,
            CheckpointError::InvalidParams(_) => 10,
            CheckpointError::InvalidGenesis(_) => 11,
            CheckpointError::BadQuery(_) => 12,
            CheckpointError::NotFound(_) => codes::NOT_FOUND,
            CheckpointError::Overflow(_) => 14,
            CheckpointError::InvalidSignature(_) => codes::INVALID_SIGNATURE,
            CheckpointError::SignerMismatch { .. } => codes::SIGNER_MISMATCH,
            CheckpointError::WrongCheckpoint { .. } => codes::WRONG_CHECKPOINT,
            CheckpointError::BadHeader { .. } => 18,
            CheckpointError::InvalidSet(_) => 19,
        }
    }
}

/// The stable codes callers branch on (the bridge, the app's vote-extension checks).
pub mod codes {
    /// `checkpoint/2`: a malformed message field.
    pub const INVALID_MSG: u32 = 2;
    /// `checkpoint/3`: the root chain is not registered.
    pub const UNKNOWN_ROOT_CHAIN: u32 = 3;
    /// `checkpoint/4`: nothing is buffered for the chain.
    pub const NO_BUFFER: u32 = 4;
    /// `checkpoint/5`: the checkpoint number was acked before (give up).
    pub const ALREADY_ACKED: u32 = 5;
    /// `checkpoint/6`: the checkpoint number is ahead (retry after its predecessor).
    pub const ACK_AHEAD: u32 = 6;
    /// `checkpoint/7`: the start is not the last end + 1.
    pub const START_MISMATCH: u32 = 7;
    /// `checkpoint/8`: the no-ack sender is not an active validator's signer.
    pub const NOT_A_VALIDATOR: u32 = 8;
    /// `checkpoint/9`: the buffer time has not passed (retry later).
    pub const BUFFER_TIME_NOT_PASSED: u32 = 9;
    /// `checkpoint/13`: no such checkpoint.
    pub const NOT_FOUND: u32 = 13;
    /// `checkpoint/15`: a malformed signature.
    pub const INVALID_SIGNATURE: u32 = 15;
    /// `checkpoint/16`: a signature recovers to another signer.
    pub const SIGNER_MISMATCH: u32 = 16;
    /// `checkpoint/17`: signatures for a checkpoint that is not buffered.
    pub const WRONG_CHECKPOINT: u32 = 17;
}

impl From<CheckpointError> for ExecError {
    fn from(error: CheckpointError) -> Self {
        match error {
            CheckpointError::Store(e) => ExecError::Fatal(e),
            other => ExecError::Rejected(TxError::from_module(&other)),
        }
    }
}

impl From<CheckpointError> for TxError {
    fn from(error: CheckpointError) -> Self {
        TxError::from_module(&error)
    }
}

/// Shorthand for the crate's results.
pub type Result<T, E = CheckpointError> = std::result::Result<T, E>;
