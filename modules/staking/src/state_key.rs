//! Every state key of the staking module (changing one is a migration).
//!
//! | key | value |
//! | --- | --- |
//! | `staking/params` | [`crate::Params`] (JSON) |
//! | `staking/epoch` | the current epoch, u64 BE |
//! | `staking/epoch_started_at` | the Delivery height the current epoch started at, u64 BE |
//! | `staking/validator/<id: u64 BE>` | a [`crate::Validator`] (protobuf `ValidatorRecord`) |
//! | `staking/signer/<address: 20 bytes>` | the id of the validator whose current signer this is, u64 BE (a replaced signer is removed) |
//! | `staking/consensus/<key: 32 bytes>` | the id of the validator with this consensus key, u64 BE (kept after it leaves: a consensus key never changes) |
//! | `staking/reported` | the set last reported to CometBFT (protobuf `ReportedSet`, sorted by consensus key) |
//! | `staking/exit_deferred` | empty; present while the last validators' exit is deferred |

use delivery_module::codec;

/// Params (JSON).
pub const PARAMS: &[u8] = b"staking/params";
/// The current epoch.
pub const EPOCH: &[u8] = b"staking/epoch";
/// The Delivery height the current epoch started at.
pub const EPOCH_STARTED_AT: &[u8] = b"staking/epoch_started_at";
/// Prefix of validator records by id.
pub const VALIDATOR_PREFIX: &[u8] = b"staking/validator/";
/// Prefix of the signer index.
pub const SIGNER_PREFIX: &[u8] = b"staking/signer/";
/// Prefix of the consensus-key index.
pub const CONSENSUS_PREFIX: &[u8] = b"staking/consensus/";
/// The set last reported to CometBFT.
pub const REPORTED: &[u8] = b"staking/reported";
/// Present while an exit is deferred to keep the set non-empty.
pub const EXIT_DEFERRED: &[u8] = b"staking/exit_deferred";
/// Everything the module owns starts with this.
pub const MODULE_PREFIX: &[u8] = b"staking/";

/// `staking/validator/<id BE>`.
pub fn validator(id: u64) -> Vec<u8> {
    codec::key(&[VALIDATOR_PREFIX, &codec::be_u64(id)])
}

/// `staking/signer/<address>`.
pub fn signer(address: &[u8; 20]) -> Vec<u8> {
    codec::key(&[SIGNER_PREFIX, address])
}

/// `staking/consensus/<key>`.
pub fn consensus(key: &[u8; 32]) -> Vec<u8> {
    codec::key(&[CONSENSUS_PREFIX, key])
}
