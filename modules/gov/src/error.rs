//! Gov errors (codespace `gov`; codes are append-only).

use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::StoreError;

/// What can go wrong in the gov module.
///
/// [`GovError::Store`] is a storage failure and [`GovError::Escrow`] a broken invariant (both
/// fatal for the node); every other variant is a deterministic rejection that every validator
/// reaches on the same state.
#[derive(Debug, thiserror::Error)]
pub enum GovError {
    /// Storage failed or holds undecodable gov data.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A message field is malformed (stateless check).
    #[error("invalid gov message: {0}")]
    InvalidMsg(String),
    /// The proposal's content is refused against the current state (a param change the
    /// module refuses, an upgrade plan in the past or already done, a title too long).
    #[error("invalid proposal: {0}")]
    InvalidProposal(String),
    /// No proposal with this id.
    #[error("no proposal with id {0}")]
    UnknownProposal(u64),
    /// The proposal no longer takes deposits (it finished).
    #[error("proposal {id} takes no deposits: it is {status}")]
    NotTakingDeposits {
        /// The proposal.
        id: u64,
        /// Its status.
        status: String,
    },
    /// The proposal is not in its voting period.
    #[error("proposal {id} is not in its voting period: it is {status}")]
    NotVoting {
        /// The proposal.
        id: u64,
        /// Its status.
        status: String,
    },
    /// The voter is not the signer of an active validator.
    #[error(
        "{0} is not the signer of an active validator: one validator, one vote \
         (delegators and other accounts do not vote)"
    )]
    NotAValidator(String),
    /// The initial deposit is below `min_initial_deposit`.
    #[error("initial deposit {offered} abtt is below the minimum initial deposit {minimum} abtt")]
    InitialDepositTooSmall {
        /// What the message offered.
        offered: u128,
        /// The param.
        minimum: u128,
    },
    /// A parameter is out of its range.
    #[error("invalid gov params: {0}")]
    InvalidParams(String),
    /// The genesis section is inconsistent.
    #[error("invalid gov genesis: {0}")]
    InvalidGenesis(String),
    /// A query argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
    /// A counter or amount left its range.
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
    /// The escrow could not pay back or burn what the deposits say it holds (a broken
    /// invariant: fatal).
    #[error("gov escrow invariant broken: {0}")]
    Escrow(String),
    /// No vote of this validator on this proposal.
    #[error("no vote of {voter} on proposal {id}")]
    UnknownVote {
        /// The proposal.
        id: u64,
        /// The voter asked about.
        voter: String,
    },
}

impl ErrorCode for GovError {
    const CODESPACE: &'static str = "gov";
    fn code(&self) -> u32 {
        match self {
            // Never turned into a TxError (see the From impl below); numbered for completeness.
            GovError::Store(_) => 1,
            GovError::InvalidMsg(_) => codes::INVALID_MSG,
            GovError::InvalidProposal(_) => codes::INVALID_PROPOSAL,
            GovError::UnknownProposal(_) => codes::UNKNOWN_PROPOSAL,
            GovError::NotTakingDeposits { .. } => codes::NOT_TAKING_DEPOSITS,
            GovError::NotVoting { .. } => codes::NOT_VOTING,
            GovError::NotAValidator(_) => codes::NOT_A_VALIDATOR,
            GovError::InitialDepositTooSmall { .. } => codes::INITIAL_DEPOSIT_TOO_SMALL,
            GovError::InvalidParams(_) => 9,
            GovError::InvalidGenesis(_) => 10,
            GovError::BadQuery(_) => 11,
            GovError::Overflow(_) => 12,
            GovError::Escrow(_) => 13,
            GovError::UnknownVote { .. } => 14,
        }
    }
}

/// The stable codes clients branch on.
pub mod codes {
    /// `gov/2`: a malformed field.
    pub const INVALID_MSG: u32 = 2;
    /// `gov/3`: the content is refused (param change, upgrade plan, sizes).
    pub const INVALID_PROPOSAL: u32 = 3;
    /// `gov/4`: no such proposal.
    pub const UNKNOWN_PROPOSAL: u32 = 4;
    /// `gov/5`: the proposal finished; it takes no deposit.
    pub const NOT_TAKING_DEPOSITS: u32 = 5;
    /// `gov/6`: the proposal is not in its voting period.
    pub const NOT_VOTING: u32 = 6;
    /// `gov/7`: the voter is not an active validator's signer.
    pub const NOT_A_VALIDATOR: u32 = 7;
    /// `gov/8`: the initial deposit is below the minimum.
    pub const INITIAL_DEPOSIT_TOO_SMALL: u32 = 8;
}

impl From<GovError> for ExecError {
    fn from(error: GovError) -> Self {
        match error {
            GovError::Store(e) => ExecError::Fatal(e),
            GovError::Escrow(m) => ExecError::Fatal(StoreError::Backend(format!(
                "gov escrow invariant broken: {m}"
            ))),
            other => ExecError::Rejected(TxError::from_module(&other)),
        }
    }
}

impl From<GovError> for TxError {
    fn from(error: GovError) -> Self {
        TxError::from_module(&error)
    }
}

/// Shorthand for the crate's results.
pub type Result<T, E = GovError> = std::result::Result<T, E>;
