//! Errors a transaction can fail with, and how they reach ABCI.
//!
//! A rejected transaction carries a stable `(codespace, code)` pair and a log that says what
//! was expected and what was found. Codes are append-only: a code, once shipped, keeps its
//! meaning. A storage failure is not a rejection: it is [`ExecError::Fatal`] and stops the
//! node, because two validators must never disagree on whether a transaction failed.

use delivery_store::StoreError;

/// A transaction or message rejected with an ABCI code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{codespace}/{code}: {log}")]
pub struct TxError {
    /// The module (or `sdk` for the transaction envelope).
    pub codespace: &'static str,
    /// Stable, non-zero code within the codespace.
    pub code: u32,
    /// Human-readable reason.
    pub log: String,
}

impl TxError {
    /// Builds an error.
    pub fn new(codespace: &'static str, code: u32, log: impl Into<String>) -> Self {
        Self {
            codespace,
            code,
            log: log.into(),
        }
    }

    /// Converts a module error that implements [`ErrorCode`].
    pub fn from_module<E: ErrorCode>(error: &E) -> Self {
        Self {
            codespace: E::CODESPACE,
            code: error.code(),
            log: error.to_string(),
        }
    }
}

/// A module's error enum: a codespace and a stable code per variant.
pub trait ErrorCode: std::fmt::Display {
    /// The module's codespace.
    const CODESPACE: &'static str;
    /// The variant's stable code (never 0).
    fn code(&self) -> u32;
}

/// The result of checking or executing a message.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The message or transaction is rejected; state is left untouched.
    #[error(transparent)]
    Rejected(#[from] TxError),
    /// Storage failed; the node must stop rather than diverge.
    #[error("fatal storage error: {0}")]
    Fatal(#[from] StoreError),
}

impl ExecError {
    /// Shorthand for a module rejection.
    pub fn module<E: ErrorCode>(error: E) -> Self {
        Self::Rejected(TxError::from_module(&error))
    }
}

/// Envelope-level codes (codespace `sdk`), numbered as in the Cosmos SDK where one exists.
pub mod sdk {
    /// The codespace for transaction-envelope errors.
    pub const CODESPACE: &str = "sdk";
    /// The bytes are not a transaction (garbage, truncated or malformed protobuf).
    pub const TX_DECODE: u32 = 2;
    /// The sequence is not the account's next one (replay or gap).
    pub const WRONG_SEQUENCE: u32 = 3;
    /// The signature does not verify for this account, chain and account number.
    pub const UNAUTHORIZED: u32 = 4;
    /// The account cannot pay.
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    /// The message type is not routed by this chain.
    pub const UNKNOWN_MSG: u32 = 6;
    /// An address field is malformed.
    pub const INVALID_ADDRESS: u32 = 7;
    /// The public key is malformed or does not match the account.
    pub const INVALID_PUBKEY: u32 = 8;
    /// The account does not exist.
    pub const UNKNOWN_ADDRESS: u32 = 9;
    /// The fee is below the minimum.
    pub const INSUFFICIENT_FEE: u32 = 13;
    /// The transaction is structurally invalid (signer count, fee denom, options …).
    pub const INVALID_REQUEST: u32 = 18;
    /// The transaction is larger than the maximum size.
    pub const TX_TOO_LARGE: u32 = 21;
    /// The transaction was made for another chain.
    pub const WRONG_CHAIN_ID: u32 = 28;
    /// More than one side message in one transaction.
    pub const TOO_MANY_SIDE_MSGS: u32 = 101;
    /// The block-level side-transaction cap was reached.
    pub const SIDE_TX_CAP: u32 = 102;
    /// A message's signer is not the transaction's signer.
    pub const SIGNER_MISMATCH: u32 = 103;
    /// The transaction is a protocol transaction that users may not send.
    pub const NOT_ALLOWED: u32 = 104;
}
