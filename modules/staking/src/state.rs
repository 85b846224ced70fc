//! Reading and writing the staking module's state (the keeper). Keys are in
//! [`crate::state_key`].
//!
//! Records are protobuf (prost, deterministic for these types: no maps); params are JSON like
//! every module's params. A record that fails to decode is a corrupt store: a [`StoreError`],
//! fatal for the node. Writes that must keep the indexes in step (a new validator, a signer
//! change) go through the functions here, never through raw keys elsewhere.

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StakingError};
use crate::params::Params;
use crate::state_key;
use crate::types::{hex_array, Validator};

/// A validator on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ValidatorRecord {
    /// Validator id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// 20-byte signer address.
    #[prost(bytes = "vec", tag = "2")]
    pub signer: Vec<u8>,
    /// 65-byte uncompressed secp256k1 signer key.
    #[prost(bytes = "vec", tag = "3")]
    pub signer_pubkey: Vec<u8>,
    /// 32-byte ed25519 consensus key.
    #[prost(bytes = "vec", tag = "4")]
    pub consensus_pubkey: Vec<u8>,
    /// Stake, decimal atto-BTT.
    #[prost(string, tag = "5")]
    pub stake: String,
    /// Start epoch.
    #[prost(uint64, tag = "6")]
    pub start_epoch: u64,
    /// End epoch (0 = none).
    #[prost(uint64, tag = "7")]
    pub end_epoch: u64,
    /// Last applied root-event nonce.
    #[prost(uint64, tag = "8")]
    pub nonce: u64,
}

/// One entry of the set last reported to CometBFT, on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ReportedRecord {
    /// Validator id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// 32-byte ed25519 consensus key.
    #[prost(bytes = "vec", tag = "2")]
    pub consensus_pubkey: Vec<u8>,
    /// Power reported.
    #[prost(int64, tag = "3")]
    pub power: i64,
}

/// The set last reported to CometBFT, on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ReportedSet {
    /// Sorted by consensus key.
    #[prost(message, repeated, tag = "1")]
    pub entries: Vec<ReportedRecord>,
}

/// A member of the set last reported to CometBFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedValidator {
    /// Validator id.
    pub id: u64,
    /// Its consensus key.
    #[serde(with = "hex_array")]
    pub consensus_pubkey: [u8; 32],
    /// The power CometBFT has for it.
    pub power: i64,
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt staking state ({what}): {detail}"))
}

fn missing(what: &str) -> StakingError {
    StakingError::Store(StoreError::Backend(format!(
        "staking {what} missing from state (genesis always writes it)"
    )))
}

/// The staking params (genesis always writes them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params> {
    codec::get_json(state, state_key::PARAMS)?.ok_or_else(|| missing("params"))
}

/// Writes the staking params after validating them.
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<()> {
    params.validate()?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The current epoch.
pub fn current_epoch<S: StateRead + ?Sized>(state: &S) -> Result<u64> {
    codec::get_u64(state, state_key::EPOCH)?.ok_or_else(|| missing("epoch"))
}

/// The Delivery height the current epoch started at (0 for the genesis epoch).
pub fn epoch_started_at<S: StateRead + ?Sized>(state: &S) -> Result<u64> {
    codec::get_u64(state, state_key::EPOCH_STARTED_AT)?.ok_or_else(|| missing("epoch start height"))
}

/// Writes the epoch and its start height, unchecked (genesis and the end-of-block rule).
pub(crate) fn put_epoch<S: StateWrite + ?Sized>(state: &mut S, epoch: u64, started_at: u64) {
    codec::put_u64(state, state_key::EPOCH.to_vec(), epoch);
    codec::put_u64(state, state_key::EPOCH_STARTED_AT.to_vec(), started_at);
}

/// Sets the current epoch: the checkpoint module's hook (one epoch per checkpoint ack), called
/// at Delivery height `height`. Epochs never go back: a lower epoch is refused. The validator
/// set follows at the end of the same block ([`crate::end_block`]). While the
/// `advance_epochs_by_blocks` param is on, the block rule keeps counting from `height`.
pub fn set_current_epoch<S: StateWrite + ?Sized>(
    state: &mut S,
    epoch: u64,
    height: u64,
) -> Result<()> {
    let current = current_epoch(state)?;
    if epoch < current {
        return Err(StakingError::EpochRegression {
            current,
            requested: epoch,
        });
    }
    put_epoch(state, epoch, height);
    Ok(())
}

fn validator_from_record(r: ValidatorRecord) -> Result<Validator, StoreError> {
    let what = |field: &str| format!("validator {} {field}", r.id);
    Ok(Validator {
        id: r.id,
        signer: Address::from_slice(&r.signer).map_err(|e| corrupt(&what("signer"), e))?,
        signer_pubkey: r
            .signer_pubkey
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(&what("signer_pubkey"), hex::encode(&r.signer_pubkey)))?,
        consensus_pubkey: r
            .consensus_pubkey
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(&what("consensus_pubkey"), hex::encode(&r.consensus_pubkey)))?,
        stake: r
            .stake
            .parse()
            .map_err(|_| corrupt(&what("stake"), &r.stake))?,
        start_epoch: r.start_epoch,
        end_epoch: r.end_epoch,
        nonce: r.nonce,
    })
}

fn to_record(v: &Validator) -> ValidatorRecord {
    ValidatorRecord {
        id: v.id,
        signer: v.signer.as_bytes().to_vec(),
        signer_pubkey: v.signer_pubkey.to_vec(),
        consensus_pubkey: v.consensus_pubkey.to_vec(),
        stake: v.stake.to_string(),
        start_epoch: v.start_epoch,
        end_epoch: v.end_epoch,
        nonce: v.nonce,
    }
}

/// The validator with this id, if any.
pub fn validator<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Option<Validator>> {
    let record: Option<ValidatorRecord> = codec::get(state, &state_key::validator(id))?;
    Ok(record.map(validator_from_record).transpose()?)
}

/// The validator with this id, or [`StakingError::UnknownValidator`].
pub fn require_validator<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Validator> {
    validator(state, id)?.ok_or(StakingError::UnknownValidator(id))
}

fn indexed<S: StateRead + ?Sized>(state: &S, key: &[u8], what: &str) -> Result<Option<Validator>> {
    let Some(id) = codec::get_u64(state, key)? else {
        return Ok(None);
    };
    match validator(state, id)? {
        Some(v) => Ok(Some(v)),
        None => Err(StakingError::Store(corrupt(
            what,
            format!("index names validator {id}, which does not exist"),
        ))),
    }
}

/// The validator whose signer is `signer`, if any.
pub fn validator_by_signer<S: StateRead + ?Sized>(
    state: &S,
    signer: &Address,
) -> Result<Option<Validator>> {
    indexed(state, &state_key::signer(signer.as_bytes()), "signer index")
}

/// The validator with this consensus key (a consensus key never changes), if any.
pub fn validator_by_consensus_key<S: StateRead + ?Sized>(
    state: &S,
    key: &[u8; 32],
) -> Result<Option<Validator>> {
    indexed(state, &state_key::consensus(key), "consensus-key index")
}

/// Every validator ever joined, by id.
pub fn validators<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Validator>> {
    state
        .prefix_raw(state_key::VALIDATOR_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let record: ValidatorRecord = prost::Message::decode(value.as_slice())
                .map_err(|e| corrupt(&format!("validator under {}", hex::encode(&key)), e))?;
            Ok(validator_from_record(record)?)
        })
        .collect()
}

/// Writes a new validator and both its index entries. The caller has checked that the id,
/// signer and consensus key are free.
pub(crate) fn insert_validator<S: StateWrite + ?Sized>(state: &mut S, v: &Validator) {
    put_validator(state, v);
    codec::put_u64(state, state_key::signer(v.signer.as_bytes()), v.id);
    codec::put_u64(state, state_key::consensus(&v.consensus_pubkey), v.id);
}

/// Rewrites a validator's record (stake, epochs, nonce). Not for signer changes: see
/// [`change_signer`].
pub(crate) fn put_validator<S: StateWrite + ?Sized>(state: &mut S, v: &Validator) {
    codec::put(state, state_key::validator(v.id), &to_record(v));
}

/// Moves a validator to a new signer key, keeping the signer index in step. The caller has
/// checked that the new signer is free (or already this validator's).
pub(crate) fn change_signer<S: StateWrite + ?Sized>(
    state: &mut S,
    v: &mut Validator,
    signer: Address,
    signer_pubkey: [u8; 65],
) {
    state.delete_raw(state_key::signer(v.signer.as_bytes()));
    v.signer = signer;
    v.signer_pubkey = signer_pubkey;
    codec::put_u64(state, state_key::signer(signer.as_bytes()), v.id);
    put_validator(state, v);
}

/// The set last reported to CometBFT, sorted by consensus key.
pub fn reported<S: StateRead + ?Sized>(state: &S) -> Result<Vec<ReportedValidator>> {
    let set: Option<ReportedSet> = codec::get(state, state_key::REPORTED)?;
    let Some(set) = set else {
        return Ok(Vec::new());
    };
    set.entries
        .iter()
        .map(|r| {
            Ok(ReportedValidator {
                id: r.id,
                consensus_pubkey: r.consensus_pubkey.as_slice().try_into().map_err(|_| {
                    corrupt("reported consensus key", hex::encode(&r.consensus_pubkey))
                })?,
                power: r.power,
            })
        })
        .collect()
}

/// Replaces the reported set (sorted by consensus key here).
pub(crate) fn set_reported<S: StateWrite + ?Sized>(state: &mut S, set: &[ReportedValidator]) {
    let mut entries: Vec<ReportedRecord> = set
        .iter()
        .map(|r| ReportedRecord {
            id: r.id,
            consensus_pubkey: r.consensus_pubkey.to_vec(),
            power: r.power,
        })
        .collect();
    entries.sort_by(|a, b| a.consensus_pubkey.cmp(&b.consensus_pubkey));
    codec::put(
        state,
        state_key::REPORTED.to_vec(),
        &ReportedSet { entries },
    );
}

/// Whether an exit is being deferred to keep the set non-empty.
pub fn exit_deferred<S: StateRead + ?Sized>(state: &S) -> Result<bool> {
    Ok(state.get_raw(state_key::EXIT_DEFERRED)?.is_some())
}

/// Sets or clears the deferral marker.
pub(crate) fn set_exit_deferred<S: StateWrite + ?Sized>(state: &mut S, deferred: bool) {
    if deferred {
        state.put_raw(state_key::EXIT_DEFERRED.to_vec(), Vec::new());
    } else {
        state.delete_raw(state_key::EXIT_DEFERRED.to_vec());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::testutil::{signer_key, validator as make, Fixture};

    #[test]
    fn validators_are_indexed_by_signer_and_consensus_key() {
        let mut f = Fixture::new(&[]);
        let v = make(4, 10);
        insert_validator(&mut f.state, &v);
        assert_eq!(validator(&f.state, 4).unwrap(), Some(v.clone()));
        assert_eq!(
            validator_by_signer(&f.state, &v.signer).unwrap(),
            Some(v.clone())
        );
        assert_eq!(
            validator_by_consensus_key(&f.state, &v.consensus_pubkey).unwrap(),
            Some(v.clone())
        );
        assert!(validator(&f.state, 5).unwrap().is_none());
        assert!(matches!(
            require_validator(&f.state, 5),
            Err(StakingError::UnknownValidator(5))
        ));

        let mut moved = v.clone();
        let (pubkey, address) = signer_key(99);
        change_signer(&mut f.state, &mut moved, address, pubkey);
        assert!(validator_by_signer(&f.state, &v.signer).unwrap().is_none());
        assert_eq!(
            validator_by_signer(&f.state, &address).unwrap(),
            Some(moved.clone())
        );
        // The consensus key stays.
        assert_eq!(
            validator_by_consensus_key(&f.state, &v.consensus_pubkey).unwrap(),
            Some(moved)
        );
    }

    #[test]
    fn a_dangling_index_or_garbage_record_is_a_store_error() {
        let mut f = Fixture::new(&[]);
        f.state
            .put_raw(state_key::signer(&[1; 20]), codec::be_u64(77).to_vec());
        assert!(matches!(
            validator_by_signer(&f.state, &Address([1; 20])),
            Err(StakingError::Store(_))
        ));
        f.state.put_raw(state_key::validator(3), vec![0xff, 0xff]);
        assert!(matches!(
            validator(&f.state, 3),
            Err(StakingError::Store(_))
        ));
        assert!(matches!(validators(&f.state), Err(StakingError::Store(_))));
    }

    #[test]
    fn epochs_never_go_back() {
        let mut f = Fixture::new(&[]);
        assert_eq!(current_epoch(&f.state).unwrap(), 1);
        set_current_epoch(&mut f.state, 4, 30).unwrap();
        assert_eq!(current_epoch(&f.state).unwrap(), 4);
        assert_eq!(epoch_started_at(&f.state).unwrap(), 30);
        set_current_epoch(&mut f.state, 4, 31).unwrap();
        assert!(matches!(
            set_current_epoch(&mut f.state, 3, 32),
            Err(StakingError::EpochRegression {
                current: 4,
                requested: 3
            })
        ));
        assert_eq!(current_epoch(&f.state).unwrap(), 4);
    }
}
