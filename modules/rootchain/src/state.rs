//! Reading and writing the rootchain module's state (the keeper); keys in [`crate::state_key`].
//!
//! The read API other modules use: [`params`], [`chain`], [`chains`], [`staking_chain`]. Before
//! the module's genesis ran (or with an empty registry) every lookup answers "no such chain".

use delivery_module::{codec, ExecError};
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::params::{Params, RootChainConfig};
use crate::state_key::{self, APPLIED_SUFFIX_LEN};
use crate::{RootChainError, RootEvent};

/// The registry (empty when none was ever written).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params, StoreError> {
    Ok(codec::get_json(state, state_key::PARAMS)?.unwrap_or_else(Params::default))
}

/// Replaces the registry after validating it (genesis and governance).
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<(), ExecError> {
    params.validate().map_err(ExecError::module)?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The root chain with this name, if registered.
pub fn chain<S: StateRead + ?Sized>(
    state: &S,
    name: &str,
) -> Result<Option<RootChainConfig>, StoreError> {
    Ok(params(state)?.chain(name).cloned())
}

/// Every registered root chain, in registry order.
pub fn chains<S: StateRead + ?Sized>(state: &S) -> Result<Vec<RootChainConfig>, StoreError> {
    Ok(params(state)?.chains)
}

/// The chain that holds staking (`None` while the registry is empty).
pub fn staking_chain<S: StateRead + ?Sized>(
    state: &S,
) -> Result<Option<RootChainConfig>, StoreError> {
    Ok(params(state)?.staking().cloned())
}

/// The root chain with this name, or [`RootChainError::UnknownChain`] (a rejection).
pub fn require_chain<S: StateRead + ?Sized>(
    state: &S,
    name: &str,
) -> Result<RootChainConfig, ExecError> {
    let params = params(state)?;
    match params.chain(name) {
        Some(c) => Ok(c.clone()),
        None => Err(ExecError::module(RootChainError::UnknownChain(format!(
            "{name:?} is not in the registry (known: [{}])",
            params
                .chains
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))),
    }
}

/// An applied root event as listed in genesis: `(root chain, block number, log index)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedEvent {
    /// The root chain's name.
    pub root_chain: String,
    /// The block number.
    pub block_number: u64,
    /// The log index within the block.
    pub log_index: u64,
}

impl AppliedEvent {
    /// The [`RootEvent`] with this identity (its tx hash is not part of the identity and is
    /// left zero).
    pub fn to_root_event(&self) -> RootEvent {
        RootEvent {
            root_chain: self.root_chain.clone(),
            tx_hash: vec![0; 32],
            block_number: self.block_number,
            log_index: self.log_index,
        }
    }
}

fn corrupt(key: &[u8]) -> StoreError {
    StoreError::Backend(format!(
        "corrupt rootchain state: applied key {} does not parse",
        hex::encode(key)
    ))
}

fn be_u64_at(bytes: &[u8], from: usize) -> Option<u64> {
    let end = from.checked_add(8)?;
    let arr: [u8; 8] = bytes.get(from..end)?.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

/// Every applied root event, ordered by chain name, block number and log index.
pub fn applied_events<S: StateRead + ?Sized>(state: &S) -> Result<Vec<AppliedEvent>, StoreError> {
    let prefix_len = state_key::APPLIED_PREFIX.len();
    state
        .prefix_raw(state_key::APPLIED_PREFIX)?
        .into_iter()
        .map(|(key, _)| {
            let rest = key.get(prefix_len..).ok_or_else(|| corrupt(&key))?;
            let name_len = rest
                .len()
                .checked_sub(APPLIED_SUFFIX_LEN)
                .ok_or_else(|| corrupt(&key))?;
            let (name, suffix) = rest.split_at(name_len);
            let name = std::str::from_utf8(name).map_err(|_| corrupt(&key))?;
            if suffix.first() != Some(&b'/') || suffix.get(9) != Some(&b'/') {
                return Err(corrupt(&key));
            }
            Ok(AppliedEvent {
                root_chain: name.to_string(),
                block_number: be_u64_at(suffix, 1).ok_or_else(|| corrupt(&key))?,
                log_index: be_u64_at(suffix, 10).ok_or_else(|| corrupt(&key))?,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::params::tests::sample;
    use delivery_store::{EmptyState, StateDelta};

    #[test]
    fn set_params_validates_and_the_read_api_follows() {
        let mut state = StateDelta::new(EmptyState);
        assert!(chains(&state).unwrap().is_empty());
        assert!(staking_chain(&state).unwrap().is_none());

        let mut broken = sample();
        broken.chains[1].confirmations = 0;
        match set_params(&mut state, &broken) {
            Err(ExecError::Rejected(e)) => assert_eq!((e.codespace, e.code), ("rootchain", 6)),
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert!(
            state.changes().is_empty(),
            "a rejected change writes nothing"
        );

        set_params(&mut state, &sample()).unwrap();
        assert_eq!(chains(&state).unwrap(), sample().chains);
        assert_eq!(chain(&state, "eth").unwrap().unwrap().confirmations, 64);
        assert_eq!(staking_chain(&state).unwrap().unwrap().name, "tron");
        assert!(chain(&state, "bsc").unwrap().is_none());
        assert_eq!(require_chain(&state, "tron").unwrap().chain_id, 728_126_428);
        assert!(require_chain(&state, "bsc").is_err());
    }
}
