//! The CometBFT validator sets the app needs to check vote extensions.
//!
//! CometBFT applies a validator update returned by FinalizeBlock at height `H` from height
//! `H + 2`. The extended commit carried in block `N + 1` was signed by the set of height `N`, so
//! the app keeps each set keyed by the first height it is in force and looks up the latest one
//! at or below a height. Sets no longer needed are pruned.
//!
//! Keys: `app/valset/<first height, be u64>` → [`ValidatorSet`] (protobuf).

use delivery_module::codec;
use delivery_store::{StateRead, StateWrite, StoreError};

const PREFIX: &[u8] = b"app/valset/";

/// One validator as CometBFT sees it.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Validator {
    /// `sha256(pub_key)[..20]`.
    #[prost(bytes = "vec", tag = "1")]
    pub address: Vec<u8>,
    /// The ed25519 consensus key (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub pub_key: Vec<u8>,
    /// Voting power (> 0).
    #[prost(int64, tag = "3")]
    pub power: i64,
}

/// A validator set, sorted by address.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ValidatorSet {
    /// The validators.
    #[prost(message, repeated, tag = "1")]
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    /// The validator with this address.
    pub fn get(&self, address: &[u8]) -> Option<&Validator> {
        self.validators
            .binary_search_by(|v| v.address.as_slice().cmp(address))
            .ok()
            .and_then(|i| self.validators.get(i))
    }

    /// The total voting power (saturating: CometBFT caps total power far below i64::MAX).
    pub fn total_power(&self) -> i64 {
        self.validators
            .iter()
            .fold(0i64, |acc, v| acc.saturating_add(v.power))
    }

    /// Applies CometBFT-style updates: power 0 removes, otherwise insert or replace.
    pub fn apply_updates(&mut self, updates: &[Validator]) {
        for update in updates {
            match self
                .validators
                .binary_search_by(|v| v.address.cmp(&update.address))
            {
                Ok(i) if update.power == 0 => {
                    self.validators.remove(i);
                }
                Ok(i) => {
                    if let Some(slot) = self.validators.get_mut(i) {
                        *slot = update.clone();
                    }
                }
                Err(_) if update.power == 0 => {}
                Err(i) => self.validators.insert(i, update.clone()),
            }
        }
    }
}

/// CometBFT's validator address of an ed25519 key.
pub fn address_of(pub_key: &[u8]) -> Vec<u8> {
    let hash = delivery_module::crypto::sha256(pub_key);
    hash.iter().take(20).copied().collect()
}

/// Staking's power updates as CometBFT validator updates (power 0 removes).
pub fn from_power_updates(updates: &[delivery_staking::PowerUpdate]) -> Vec<Validator> {
    updates
        .iter()
        .map(|u| Validator {
            address: address_of(&u.consensus_pubkey),
            pub_key: u.consensus_pubkey.to_vec(),
            power: u.power,
        })
        .collect()
}

/// Records updates returned by FinalizeBlock at `height`: CometBFT applies them to the latest
/// set from `height + 2` on, so the app does the same (`app/valset/<height + 2>`).
pub fn record_updates<S: StateWrite + ?Sized>(
    state: &mut S,
    height: u64,
    updates: &[Validator],
) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Ok(());
    }
    let (_, mut set) = latest(state)?.ok_or_else(|| {
        StoreError::Backend("validator updates with no validator set recorded".into())
    })?;
    set.apply_updates(updates);
    let from = height
        .checked_add(2)
        .ok_or_else(|| StoreError::Backend("validator-set height overflow".into()))?;
    set_from(state, from, &set);
    Ok(())
}

fn key(height: u64) -> Vec<u8> {
    codec::key(&[PREFIX, &codec::be_u64(height)])
}

/// Records the set in force from `height` on.
pub fn set_from<S: StateWrite + ?Sized>(state: &mut S, height: u64, set: &ValidatorSet) {
    codec::put(state, key(height), set);
}

/// Every recorded set with the first height it is in force, in height order.
pub fn all<S: StateRead + ?Sized>(state: &S) -> Result<Vec<(u64, ValidatorSet)>, StoreError> {
    state
        .prefix_raw(PREFIX)?
        .into_iter()
        .map(|(k, v)| {
            let first = k
                .get(PREFIX.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| {
                    StoreError::Backend(format!("corrupt validator set key {}", hex::encode(&k)))
                })?;
            let set = prost::Message::decode(v.as_slice())
                .map_err(|e| StoreError::Backend(format!("corrupt validator set: {e}")))?;
            Ok((first, set))
        })
        .collect()
}

/// The set in force at `height`.
pub fn at<S: StateRead + ?Sized>(
    state: &S,
    height: u64,
) -> Result<Option<ValidatorSet>, StoreError> {
    Ok(all(state)?
        .into_iter()
        .take_while(|(first, _)| *first <= height)
        .last()
        .map(|(_, set)| set))
}

/// The latest recorded set and the height it starts at (the set that future updates modify).
pub fn latest<S: StateRead + ?Sized>(state: &S) -> Result<Option<(u64, ValidatorSet)>, StoreError> {
    Ok(all(state)?.pop())
}

/// Drops sets that ended before `height` (keeping the one in force at `height`).
pub fn prune_before<S: StateWrite + ?Sized>(state: &mut S, height: u64) -> Result<(), StoreError> {
    let starts: Vec<u64> = all(state)?.into_iter().map(|(first, _)| first).collect();
    // The entry in force at `height` is the last one starting at or below it; everything before
    // it can go.
    if let Some(keep_from) = starts.iter().rposition(|first| *first <= height) {
        for first in starts.into_iter().take(keep_from) {
            state.delete_raw(key(first));
        }
    }
    Ok(())
}
