//! Staking errors (codespace `staking`; codes are append-only).
//!
//! | code | variant | meaning |
//! | --- | --- | --- |
//! | 1 | [`StakingError::Store`] | storage failure: fatal for the node, never a rejection |
//! | 2 | [`StakingError::InvalidParams`] | a param is out of range |
//! | 3 | [`StakingError::InvalidGenesis`] | the genesis section is inconsistent |
//! | 4 | [`StakingError::InvalidMsg`] | a msg field is malformed (missing event, bad amount, zero epoch, join nonce ≠ 1) |
//! | 5 | [`StakingError::InvalidAddress`] | an address field is not `0x` + 40 hex digits |
//! | 6 | [`StakingError::InvalidPubkey`] | a secp256k1 or ed25519 key is malformed or not a valid point |
//! | 7 | [`StakingError::SignerMismatch`] | a join's `from` is not the address of its `signer_pubkey` |
//! | 8 | [`StakingError::UnknownValidator`] | no validator with this id (queries) |
//! | 9 | [`StakingError::ValidatorExists`] | a join for an id that already has a validator: drop it |
//! | 10 | [`StakingError::StaleNonce`] | nonce ≤ the validator's last applied nonce: replayed or superseded, drop it |
//! | 11 | [`StakingError::NonceAhead`] | nonce > last + 1 (or an update before the join): waits for its predecessor, retry later |
//! | 12 | [`StakingError::SignerInUse`] | the signer is another validator's current signer (unstaked ones included) |
//! | 13 | [`StakingError::ConsensusKeyInUse`] | the consensus key is another validator's (unstaked ones included) |
//! | 14 | [`StakingError::TooManyValidators`] | a join beyond `max_validators` |
//! | 15 | [`StakingError::AlreadyExiting`] | a second exit for a validator whose exit is recorded |
//! | 16 | [`StakingError::EpochRegression`] | the epoch setter was asked to go back |
//! | 17 | [`StakingError::Overflow`] | arithmetic left its integer range |
//! | 18 | [`StakingError::BadQuery`] | a query path or argument is malformed |
//! | 19 | [`StakingError::UnknownSigner`] | no validator has this signer address (queries) |

use delivery_module::crypto::Address;
use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::StoreError;

/// What can go wrong in the staking module.
///
/// [`StakingError::Store`] is a storage failure (fatal for the node); every other variant is a
/// deterministic rejection that every validator reaches on the same state.
#[derive(Debug, thiserror::Error)]
pub enum StakingError {
    /// Storage failed or holds undecodable staking data.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A parameter is out of its range.
    #[error("invalid staking params: {0}")]
    InvalidParams(String),
    /// The genesis section is inconsistent.
    #[error("invalid staking genesis: {0}")]
    InvalidGenesis(String),
    /// A message field is malformed.
    #[error("invalid staking msg: {0}")]
    InvalidMsg(String),
    /// An address field is malformed.
    #[error("invalid address in {field}: {value:?}: expected 0x followed by 40 hex digits")]
    InvalidAddress {
        /// The field.
        field: &'static str,
        /// What was found (truncated to 64 characters).
        value: String,
    },
    /// A public key is malformed or not a valid curve point.
    #[error("invalid {field}: {reason}")]
    InvalidPubkey {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A join is not signed by the staked signer.
    #[error("from {from} is not the signer of signer_pubkey ({signer}): a join is signed by the staked signer account")]
    SignerMismatch {
        /// The msg's `from`.
        from: Address,
        /// The address of `signer_pubkey`.
        signer: Address,
    },
    /// No validator has this id.
    #[error("validator {0} does not exist")]
    UnknownValidator(u64),
    /// A join names an id that already has a validator.
    #[error("validator {0} already exists: a join is only for a new validator id")]
    ValidatorExists(u64),
    /// The nonce was applied before (a replayed or superseded root event).
    #[error("validator {id}: nonce {nonce} is stale: the last applied nonce is {last} (replayed or superseded event)")]
    StaleNonce {
        /// The validator.
        id: u64,
        /// The msg's nonce.
        nonce: u64,
        /// The validator's last applied nonce.
        last: u64,
    },
    /// The nonce skips one: an earlier event of this validator has not been applied yet.
    #[error("validator {id}: nonce {nonce} waits for its predecessor: expected nonce {expected}{}",
        if *expected == 1 { " (the validator's join is not applied yet)" } else { "" })]
    NonceAhead {
        /// The validator.
        id: u64,
        /// The msg's nonce.
        nonce: u64,
        /// The next nonce the validator accepts.
        expected: u64,
    },
    /// Another validator's current signer (unstaked validators keep theirs).
    #[error("signer {signer} belongs to validator {holder}: a signer is unique among all validators, unstaked ones included")]
    SignerInUse {
        /// The signer address.
        signer: Address,
        /// The validator holding it.
        holder: u64,
    },
    /// Another validator's consensus key (unstaked validators keep theirs).
    #[error("consensus key 0x{key} belongs to validator {holder}: a consensus key is unique among all validators, unstaked ones included")]
    ConsensusKeyInUse {
        /// The key, hex.
        key: String,
        /// The validator holding it.
        holder: u64,
    },
    /// The validator limit is reached.
    #[error("validator limit reached: {count} validators are active, pending or unstaking and max_validators is {max}")]
    TooManyValidators {
        /// Validators not yet unstaked.
        count: u64,
        /// The `max_validators` param.
        max: u32,
    },
    /// The validator's exit is already recorded.
    #[error("validator {id} is already exiting (end epoch {end_epoch})")]
    AlreadyExiting {
        /// The validator.
        id: u64,
        /// Its recorded end epoch.
        end_epoch: u64,
    },
    /// A computation left the range of its integer type.
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
    /// A query path or argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
    /// No validator has this signer.
    #[error("no validator has signer {0}")]
    UnknownSigner(Address),
    /// The epoch setter was asked to go back.
    #[error("epoch {requested} is before the current epoch {current}: epochs never go back")]
    EpochRegression {
        /// The current epoch.
        current: u64,
        /// The epoch asked for.
        requested: u64,
    },
}

impl ErrorCode for StakingError {
    const CODESPACE: &'static str = "staking";
    fn code(&self) -> u32 {
        match self {
            // Never turned into a TxError (see the From impl below); numbered for completeness.
            StakingError::Store(_) => 1,
            StakingError::InvalidParams(_) => 2,
            StakingError::InvalidGenesis(_) => 3,
            StakingError::InvalidMsg(_) => 4,
            StakingError::InvalidAddress { .. } => 5,
            StakingError::InvalidPubkey { .. } => 6,
            StakingError::SignerMismatch { .. } => 7,
            StakingError::UnknownValidator(_) => 8,
            StakingError::ValidatorExists(_) => 9,
            StakingError::StaleNonce { .. } => 10,
            StakingError::NonceAhead { .. } => 11,
            StakingError::SignerInUse { .. } => 12,
            StakingError::ConsensusKeyInUse { .. } => 13,
            StakingError::TooManyValidators { .. } => 14,
            StakingError::AlreadyExiting { .. } => 15,
            StakingError::EpochRegression { .. } => 16,
            StakingError::Overflow(_) => 17,
            StakingError::BadQuery(_) => 18,
            StakingError::UnknownSigner(_) => 19,
        }
    }
}

/// The code of [`StakingError::StaleNonce`]: the bridge drops the event.
pub const CODE_STALE_NONCE: u32 = 10;
/// The code of [`StakingError::NonceAhead`]: the bridge retries the event later.
pub const CODE_NONCE_AHEAD: u32 = 11;

impl From<StakingError> for ExecError {
    fn from(error: StakingError) -> Self {
        match error {
            StakingError::Store(e) => ExecError::Fatal(e),
            other => ExecError::Rejected(TxError::from_module(&other)),
        }
    }
}

impl From<StakingError> for TxError {
    /// For stateless checks, which never touch the store.
    fn from(error: StakingError) -> Self {
        TxError::from_module(&error)
    }
}

/// Shorthand for the crate's results.
pub type Result<T, E = StakingError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_match_the_constants() {
        let a = Address::default();
        let all = [
            StakingError::Store(StoreError::Backend(String::new())),
            StakingError::InvalidParams(String::new()),
            StakingError::InvalidGenesis(String::new()),
            StakingError::InvalidMsg(String::new()),
            StakingError::InvalidAddress {
                field: "from",
                value: String::new(),
            },
            StakingError::InvalidPubkey {
                field: "k",
                reason: String::new(),
            },
            StakingError::SignerMismatch { from: a, signer: a },
            StakingError::UnknownValidator(1),
            StakingError::ValidatorExists(1),
            StakingError::StaleNonce {
                id: 1,
                nonce: 1,
                last: 1,
            },
            StakingError::NonceAhead {
                id: 1,
                nonce: 3,
                expected: 2,
            },
            StakingError::SignerInUse {
                signer: a,
                holder: 1,
            },
            StakingError::ConsensusKeyInUse {
                key: String::new(),
                holder: 1,
            },
            StakingError::TooManyValidators { count: 1, max: 1 },
            StakingError::AlreadyExiting {
                id: 1,
                end_epoch: 2,
            },
            StakingError::EpochRegression {
                current: 2,
                requested: 1,
            },
            StakingError::Overflow("x"),
            StakingError::BadQuery(String::new()),
            StakingError::UnknownSigner(a),
        ];
        let codes: Vec<u32> = all.iter().map(ErrorCode::code).collect();
        let expected: Vec<u32> = (1..=19).collect();
        assert_eq!(codes, expected);
        assert_eq!(all.get(9).map(ErrorCode::code), Some(CODE_STALE_NONCE));
        assert_eq!(all.get(10).map(ErrorCode::code), Some(CODE_NONCE_AHEAD));
    }

    #[test]
    fn store_errors_are_fatal_and_the_rest_are_rejections() {
        assert!(matches!(
            ExecError::from(StakingError::Store(StoreError::Backend("x".into()))),
            ExecError::Fatal(_)
        ));
        match ExecError::from(StakingError::UnknownValidator(4)) {
            ExecError::Rejected(e) => {
                assert_eq!((e.codespace, e.code), ("staking", 8));
                assert_eq!(e.log, "validator 4 does not exist");
            }
            ExecError::Fatal(e) => unreachable!("{e}"),
        }
    }
}
