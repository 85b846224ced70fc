//! Staking parameters (changeable by governance; stored as JSON under `staking/params`).
//!
//! Every param is read when it is used: a change of `voting_power` moves every validator's power
//! at the next end of block (powers are derived, never stored per validator), a change of
//! `epoch_length` moves the next epoch boundary, and a lower `max_validators` refuses joins until
//! enough validators have left (it never removes anyone).

use serde::{Deserialize, Serialize};

use crate::error::{Result, StakingError};

/// The hard upper bound of `max_validators`. Together with [`crate::MAX_VALIDATOR_POWER`] it
/// keeps the total voting power within CometBFT's `MaxTotalVotingPower`.
pub const MAX_VALIDATORS_LIMIT: u32 = 10_000;
/// The longest epoch, in Delivery blocks.
pub const MAX_EPOCH_LENGTH: u64 = 1_000_000;

/// How voting power follows stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerMode {
    /// One node, one vote (the BTTC white paper): every validator in the set has power 1.
    #[default]
    Equal,
    /// Power = stake in whole BTT (stake / 10^18), at least 1, at most
    /// [`crate::MAX_VALIDATOR_POWER`].
    Stake,
}

impl std::fmt::Display for PowerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PowerMode::Equal => "equal",
            PowerMode::Stake => "stake",
        })
    }
}

/// Staking parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `equal` (one node, one vote) or `stake` (power by stake).
    pub voting_power: PowerMode,
    /// Delivery blocks per epoch while `advance_epochs_by_blocks` is on.
    pub epoch_length: u64,
    /// Whether the end of block advances the epoch every `epoch_length` blocks. Turned off once
    /// the checkpoint module drives epochs (one per checkpoint ack) through
    /// [`crate::set_current_epoch`].
    pub advance_epochs_by_blocks: bool,
    /// The most validators that may be active, pending or unstaking at once; joins beyond it
    /// are refused.
    pub max_validators: u32,
}

impl Default for Params {
    /// Mainnet values: one node one vote (the BTTC white paper); 900 Delivery blocks per epoch
    /// (about 30 minutes of 2-second blocks, about the interval between Polygon PoS
    /// checkpoints); 105 validators (the size of Polygon PoS mainnet's validator set).
    fn default() -> Self {
        Self {
            voting_power: PowerMode::Equal,
            epoch_length: 900,
            advance_epochs_by_blocks: true,
            max_validators: 105,
        }
    }
}

impl Params {
    /// Small values for localnets and tests: 16-block epochs.
    pub fn localnet() -> Self {
        Self {
            epoch_length: 16,
            ..Self::default()
        }
    }

    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_EPOCH_LENGTH).contains(&self.epoch_length) {
            return Err(StakingError::InvalidParams(format!(
                "epoch_length {} is outside 1..={MAX_EPOCH_LENGTH} Delivery blocks",
                self.epoch_length
            )));
        }
        if !(1..=MAX_VALIDATORS_LIMIT).contains(&self.max_validators) {
            return Err(StakingError::InvalidParams(format!(
                "max_validators {} is outside 1..={MAX_VALIDATORS_LIMIT}",
                self.max_validators
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
#[cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_localnet_values_are_valid() {
        Params::default().validate().unwrap();
        Params::localnet().validate().unwrap();
        assert_eq!(Params::default().voting_power, PowerMode::Equal);
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let cases: Vec<fn(&mut Params)> = vec![
            |p| p.epoch_length = 0,
            |p| p.epoch_length = MAX_EPOCH_LENGTH + 1,
            |p| p.max_validators = 0,
            |p| p.max_validators = MAX_VALIDATORS_LIMIT + 1,
        ];
        for (i, mutate) in cases.into_iter().enumerate() {
            let mut p = Params::default();
            mutate(&mut p);
            assert!(
                matches!(p.validate(), Err(StakingError::InvalidParams(_))),
                "case {i}"
            );
        }
    }

    #[test]
    fn json_uses_lowercase_modes_and_rejects_unknown_fields() {
        let v = serde_json::to_value(Params::default()).unwrap();
        assert_eq!(v["voting_power"], "equal");
        let mut stake = v.clone();
        stake["voting_power"] = "stake".into();
        assert_eq!(
            serde_json::from_value::<Params>(stake)
                .unwrap()
                .voting_power,
            PowerMode::Stake
        );
        let mut bad = v.clone();
        bad["voting_power"] = "quadratic".into();
        assert!(serde_json::from_value::<Params>(bad).is_err());
        let mut extra = v;
        extra["epochs"] = 3.into();
        assert!(serde_json::from_value::<Params>(extra).is_err());
    }
}
