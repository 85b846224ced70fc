//! `custom/staking/<path>` queries. Answers are JSON; amounts are decimal strings, keys `0x` hex.
//!
//! - `validator/<id>` → [`ValidatorAnswer`]: the record plus `status` and `power` (its power in
//!   the active set, 0 when not in it) and `in_set`
//! - `signer/<0x address>` → [`ValidatorAnswer`] of the validator with that signer
//! - `validator-set` → [`ValidatorSetAnswer`]: `{epoch, total_power, exit_deferred, validators}`
//!   (the active set by id, each `{id, signer, consensus_pubkey, power}`)
//! - `all-validators` → [`ValidatorsAnswer`]: `{epoch, validators}`, every validator ever joined
//!   (pending and unstaked ones too) by id, each as `validator/<id>` answers it
//! - `params` → the params
//! - `epoch` → [`EpochAnswer`]: `{current_epoch, epoch_started_at, epoch_length,
//!   advance_epochs_by_blocks}`
//!
//! The argument of `validator` and `signer` may also be given as the query's `data` (decimal
//! text / address text), as the span module's queries take theirs.

use delivery_module::ExecError;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::error::{Result, StakingError};
use crate::params::PowerMode;
use crate::set::active_set;
use crate::state;
use crate::types::{parse_address, ActiveValidator, Status, Validator};

/// A validator with where it stands now.
#[derive(Debug, Serialize)]
pub struct ValidatorAnswer {
    /// The record.
    #[serde(flatten)]
    pub validator: Validator,
    /// Its status at the current epoch.
    pub status: Status,
    /// Whether it is in the active set (an unstaked validator can be, while its exit is
    /// deferred).
    pub in_set: bool,
    /// Its power in the active set (0 when not in it).
    pub power: i64,
}

/// The active set.
#[derive(Debug, Serialize)]
pub struct ValidatorSetAnswer {
    /// The current epoch.
    pub epoch: u64,
    /// How power is assigned.
    pub voting_power: PowerMode,
    /// The sum of the members' power.
    pub total_power: i64,
    /// True while the last validators' exits are deferred.
    pub exit_deferred: bool,
    /// Members by id.
    pub validators: Vec<ActiveValidator>,
}

/// Every validator ever joined.
#[derive(Debug, Serialize)]
pub struct ValidatorsAnswer {
    /// The current epoch (the one `status` is for).
    pub epoch: u64,
    /// Every validator, by id.
    pub validators: Vec<ValidatorAnswer>,
}

/// The epoch clock.
#[derive(Debug, Serialize)]
pub struct EpochAnswer {
    /// The current epoch.
    pub current_epoch: u64,
    /// The Delivery height it started at.
    pub epoch_started_at: u64,
    /// The `epoch_length` param.
    pub epoch_length: u64,
    /// The `advance_epochs_by_blocks` param.
    pub advance_epochs_by_blocks: bool,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| StakingError::Store(StoreError::Backend(format!("cannot encode answer: {e}"))))
}

/// The path's argument (`validator/5`) or else the query data.
fn argument<'a>(what: &str, inline: Option<&'a str>, data: &'a [u8]) -> Result<&'a str> {
    let text = match inline {
        Some(text) => text,
        None => std::str::from_utf8(data)
            .map_err(|_| StakingError::BadQuery(format!("{what} is not UTF-8 text")))?,
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(StakingError::BadQuery(format!(
            "missing {what}: expected it after the path's `/` or as the query data"
        )));
    }
    Ok(text)
}

fn shown(text: &str) -> String {
    text.chars().take(48).collect()
}

/// The `validator/<id>` and `signer/<addr>` answer for `v`.
pub fn validator_answer<S: StateRead + ?Sized>(state: &S, v: Validator) -> Result<ValidatorAnswer> {
    let epoch = state::current_epoch(state)?;
    let set = active_set(state)?;
    Ok(standing(epoch, &set.validators, v))
}

/// `v` with its status at `epoch` and its place in `set`.
fn standing(epoch: u64, set: &[ActiveValidator], v: Validator) -> ValidatorAnswer {
    let member = set.iter().find(|m| m.id == v.id);
    ValidatorAnswer {
        status: v.status(epoch),
        in_set: member.is_some(),
        power: member.map_or(0, |m| m.power),
        validator: v,
    }
}

/// The `all-validators` answer: every validator ever joined, by id.
pub fn validators_answer<S: StateRead + ?Sized>(state: &S) -> Result<ValidatorsAnswer> {
    let epoch = state::current_epoch(state)?;
    let set = active_set(state)?;
    Ok(ValidatorsAnswer {
        epoch,
        validators: state::validators(state)?
            .into_iter()
            .map(|v| standing(epoch, &set.validators, v))
            .collect(),
    })
}

/// The `validator-set` answer.
pub fn validator_set_answer<S: StateRead + ?Sized>(state: &S) -> Result<ValidatorSetAnswer> {
    let set = active_set(state)?;
    Ok(ValidatorSetAnswer {
        epoch: state::current_epoch(state)?,
        voting_power: state::params(state)?.voting_power,
        total_power: set.total_power()?,
        exit_deferred: set.exit_deferred,
        validators: set.validators,
    })
}

fn answer<S: StateRead + ?Sized>(state: &S, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>> {
    let (head, inline) = match path.split_once('/') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    Ok(Some(match (head, inline) {
        ("validator", _) => {
            let text = argument("validator id", inline, data)?;
            let id: u64 = text.parse().map_err(|_| {
                StakingError::BadQuery(format!(
                    "validator id {:?}: expected a decimal number",
                    shown(text)
                ))
            })?;
            let v = state::require_validator(state, id)?;
            to_json(&validator_answer(state, v)?)?
        }
        ("signer", _) => {
            let text = argument("signer address", inline, data)?;
            let signer =
                parse_address("signer", text).map_err(|e| StakingError::BadQuery(e.to_string()))?;
            let v = state::validator_by_signer(state, &signer)?
                .ok_or(StakingError::UnknownSigner(signer))?;
            to_json(&validator_answer(state, v)?)?
        }
        ("validator-set", None) => to_json(&validator_set_answer(state)?)?,
        ("all-validators", None) => to_json(&validators_answer(state)?)?,
        ("params", None) => to_json(&state::params(state)?)?,
        ("epoch", None) => {
            let params = state::params(state)?;
            to_json(&EpochAnswer {
                current_epoch: state::current_epoch(state)?,
                epoch_started_at: state::epoch_started_at(state)?,
                epoch_length: params.epoch_length,
                advance_epochs_by_blocks: params.advance_epochs_by_blocks,
            })?
        }
        _ => return Ok(None),
    }))
}

/// Answers `custom/staking/<path>`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, ExecError> {
    match answer(state, path, data)? {
        Some(bytes) => Ok(bytes),
        None => Err(delivery_module::module::unknown_query("staking", path)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::testutil::{exit, join, validator as make, Fixture};

    fn query(f: &Fixture, path: &str) -> serde_json::Value {
        serde_json::from_slice(&handle(&f.state, path, b"").unwrap()).unwrap()
    }

    #[test]
    fn validators_lists_every_validator_with_its_standing() {
        let mut f = Fixture::new(&[make(1, 10), make(2, 20)]);
        f.post(&join(3, 3, 5, 7, 1)).unwrap();
        f.post(&exit(2, 4, 2, 2)).unwrap();

        let all = query(&f, "all-validators");
        assert_eq!(all["epoch"], 1);
        let rows: Vec<(u64, &str, bool, i64)> = all["validators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["id"].as_u64().unwrap(),
                    v["status"].as_str().unwrap(),
                    v["in_set"].as_bool().unwrap(),
                    v["power"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (1, "active", true, 1),
                (2, "unstaking", true, 1),
                (3, "pending", false, 0),
            ]
        );
        // Each entry is what `validator/<id>` answers.
        assert_eq!(all["validators"][2], query(&f, "validator/3"));
        assert_eq!(all["validators"][1]["end_epoch"], 4);
    }

    #[test]
    fn all_validators_takes_no_argument() {
        let f = Fixture::new(&[make(1, 10)]);
        assert!(handle(&f.state, "all-validators/1", b"").is_err());
    }
}
