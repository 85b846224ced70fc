//! Span errors (codespace `span`; codes are append-only).

use delivery_module::crypto::Address;
use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::StoreError;

/// What can go wrong in the span module.
///
/// [`SpanError::Store`] is a storage failure (fatal for the node); every other variant is a
/// deterministic rejection that every validator reaches on the same state.
#[derive(Debug, thiserror::Error)]
pub enum SpanError {
    /// Storage failed or holds undecodable span data.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A parameter is out of its range.
    #[error("invalid span params: {0}")]
    InvalidParams(String),
    /// A validator list is empty, has duplicates, zero power or a zero signer.
    #[error("invalid validator list: {0}")]
    InvalidValidators(String),
    /// No stored span covers this BTTC height.
    #[error("no span covers BTTC block {height}")]
    NoSpan {
        /// The BTTC height asked about.
        height: u64,
    },
    /// No span with this id is stored.
    #[error("span {0} does not exist")]
    UnknownSpan(u64),
    /// A BTTC block is not the next one Delivery expects.
    #[error("BTTC block {found} is not the next block: expected {expected}")]
    UnexpectedHeight {
        /// The next BTTC height.
        expected: u64,
        /// The height offered.
        found: u64,
    },
    /// The block's producer may not produce this slot at this Delivery height.
    #[error(
        "{producer} may not produce BTTC block {height} at Delivery height {delivery_height}: \
         eligible are [{}]",
        .eligible.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    NotEligible {
        /// The BTTC height.
        height: u64,
        /// Who sealed it.
        producer: Address,
        /// The Delivery height it was offered at.
        delivery_height: u64,
        /// Who was eligible, in backup order.
        eligible: Vec<Address>,
    },
    /// A computation left the range of its integer type (heights near `u64::MAX`).
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
    /// A query argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
    /// Genesis is inconsistent.
    #[error("invalid span genesis: {0}")]
    InvalidGenesis(String),
    /// The module holds no span (its genesis had no validators), so it schedules nothing.
    #[error("the span module is dormant: genesis listed no validators, so no span exists")]
    Dormant,
}

impl ErrorCode for SpanError {
    const CODESPACE: &'static str = "span";
    fn code(&self) -> u32 {
        match self {
            // Never turned into a TxError (see the From impl below); numbered for completeness.
            SpanError::Store(_) => 1,
            SpanError::InvalidParams(_) => 2,
            SpanError::InvalidValidators(_) => 3,
            SpanError::NoSpan { .. } => 4,
            SpanError::UnknownSpan(_) => 5,
            SpanError::UnexpectedHeight { .. } => 6,
            SpanError::NotEligible { .. } => 7,
            SpanError::Overflow(_) => 8,
            SpanError::BadQuery(_) => 9,
            SpanError::InvalidGenesis(_) => 10,
            SpanError::Dormant => 11,
        }
    }
}

impl From<SpanError> for ExecError {
    fn from(error: SpanError) -> Self {
        match error {
            SpanError::Store(e) => ExecError::Fatal(e),
            other => ExecError::Rejected(TxError::from_module(&other)),
        }
    }
}

/// Shorthand for the crate's results.
pub type Result<T, E = SpanError> = std::result::Result<T, E>;
