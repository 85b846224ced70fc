//! Clerk errors (codespace `clerk`; codes are append-only).

use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::StoreError;

/// What can go wrong in the clerk module.
///
/// [`ClerkError::Store`] is a storage failure (fatal for the node); every other variant is a
/// deterministic rejection that every validator reaches on the same state.
#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    /// Storage failed or holds undecodable clerk data.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A message field is malformed (stateless check).
    #[error("invalid event record: {0}")]
    InvalidMsg(String),
    /// The message names a root chain that is not in the rootchain registry.
    #[error("root chain {0:?} is not in the rootchain registry")]
    UnknownRootChain(String),
    /// The StateSynced id was already recorded for this root chain (a replay or a duplicate).
    #[error("state-sync id {id} on {root_chain} is replayed: ids up to {last} are recorded")]
    Replayed {
        /// The root chain.
        root_chain: String,
        /// The id offered.
        id: u64,
        /// The chain's last recorded id.
        last: u64,
    },
    /// The StateSynced id is ahead of the next expected one: its predecessor must be recorded
    /// first. Not a permanent failure: the bridge retries after the predecessor lands.
    #[error(
        "state-sync id {id} on {root_chain} waits for its predecessor: the next id is {expected}"
    )]
    AwaitsPredecessor {
        /// The root chain.
        root_chain: String,
        /// The id offered.
        id: u64,
        /// The next id the chain expects (its last recorded id + 1).
        expected: u64,
    },
    /// A parameter is out of its range.
    #[error("invalid clerk params: {0}")]
    InvalidParams(String),
    /// The genesis section is inconsistent.
    #[error("invalid clerk genesis: {0}")]
    InvalidGenesis(String),
    /// A query argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
    /// No record with this id (or root reference) is stored.
    #[error("no event record {0}")]
    UnknownRecord(String),
    /// A counter left the range of u64.
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
}

impl ErrorCode for ClerkError {
    const CODESPACE: &'static str = "clerk";
    fn code(&self) -> u32 {
        match self {
            // Never turned into a TxError (see the From impl below); numbered for completeness.
            ClerkError::Store(_) => 1,
            ClerkError::InvalidMsg(_) => 2,
            ClerkError::UnknownRootChain(_) => 3,
            ClerkError::Replayed { .. } => 4,
            ClerkError::AwaitsPredecessor { .. } => 5,
            ClerkError::InvalidParams(_) => 6,
            ClerkError::InvalidGenesis(_) => 7,
            ClerkError::BadQuery(_) => 8,
            ClerkError::UnknownRecord(_) => 9,
            ClerkError::Overflow(_) => 10,
        }
    }
}

/// The stable codes, for callers that branch on them (the bridge retries on
/// [`codes::AWAITS_PREDECESSOR`] and gives up on [`codes::REPLAYED`]).
pub mod codes {
    /// `clerk/2`: a malformed field.
    pub const INVALID_MSG: u32 = 2;
    /// `clerk/3`: the root chain is not registered.
    pub const UNKNOWN_ROOT_CHAIN: u32 = 3;
    /// `clerk/4`: the id was recorded before.
    pub const REPLAYED: u32 = 4;
    /// `clerk/5`: the id is ahead; its predecessor must land first.
    pub const AWAITS_PREDECESSOR: u32 = 5;
}

impl From<ClerkError> for ExecError {
    fn from(error: ClerkError) -> Self {
        match error {
            ClerkError::Store(e) => ExecError::Fatal(e),
            other => ExecError::Rejected(TxError::from_module(&other)),
        }
    }
}

impl From<ClerkError> for TxError {
    fn from(error: ClerkError) -> Self {
        TxError::from_module(&error)
    }
}

/// Shorthand for the crate's results.
pub type Result<T, E = ClerkError> = std::result::Result<T, E>;
