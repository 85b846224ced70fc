//! Gov parameters (changeable by governance itself; stored as JSON under `gov/params`).
//!
//! Periods are counted in Delivery **blocks**, not seconds, so "the voting period ends at height
//! H" and "the change takes effect from H + 1" are exact and independent of block times.

use serde::{Deserialize, Serialize};

use crate::dec::Dec;
use crate::error::{GovError, Result};

/// One BTT in abtt (the bank's unit, 10^18 abtt per BTT).
pub const BTT: u128 = 1_000_000_000_000_000_000;
/// The longest deposit or voting period accepted, in blocks (about 58 days of 2-second blocks).
pub const MAX_PERIOD_BLOCKS: u64 = 2_500_000;
/// The largest `max_title_bytes` accepted.
pub const MAX_TITLE_LIMIT: u64 = 1024;
/// The largest `max_description_bytes` accepted.
pub const MAX_DESCRIPTION_LIMIT: u64 = 64 * 1024;
/// The largest `max_param_changes` accepted.
pub const MAX_PARAM_CHANGES_LIMIT: u64 = 64;
/// The largest `max_params_json_bytes` accepted.
pub const MAX_PARAMS_JSON_LIMIT: u64 = 64 * 1024;

/// Deposits, periods, tally rules and size limits of proposals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The total deposit (abtt, decimal string) a proposal needs to enter its voting period.
    #[serde(with = "delivery_auth::u128_string")]
    pub min_deposit: u128,
    /// The least deposit (abtt) a proposal is submitted with (`<= min_deposit`): it keeps the
    /// deposit queue from filling with free proposals.
    #[serde(with = "delivery_auth::u128_string")]
    pub min_initial_deposit: u128,
    /// Blocks a proposal has to collect `min_deposit` after its submission; it expires at the
    /// end block of `submit_height + max_deposit_period` otherwise.
    pub max_deposit_period: u64,
    /// Blocks of voting: a proposal entering voting at height h is tallied at the end block
    /// of `h + voting_period` (votes in that block still count).
    pub voting_period: u64,
    /// The share of the active validators that must vote (abstain included): passed when
    /// `voted / active >= quorum`.
    pub quorum: Dec,
    /// The share of yes among yes, no and no-with-veto above which a proposal passes:
    /// `yes / (yes + no + veto) > threshold`.
    pub threshold: Dec,
    /// The share of no-with-veto among all votes cast (abstain included) above which a
    /// proposal is vetoed and its deposits burned: `veto / voted > veto_threshold`.
    pub veto_threshold: Dec,
    /// Burn the deposits of a proposal that missed the quorum (refund them when false).
    pub burn_on_no_quorum: bool,
    /// Burn the deposits of a proposal whose deposit period expired below `min_deposit`
    /// (refund them when false).
    pub burn_on_deposit_expiry: bool,
    /// The most bytes a title has (at least 1 byte is required).
    pub max_title_bytes: u64,
    /// The most bytes a description (and an upgrade plan's `info`) has.
    pub max_description_bytes: u64,
    /// The most module changes one param-change proposal carries.
    pub max_param_changes: u64,
    /// The most bytes of one change's `params_json`.
    pub max_params_json_bytes: u64,
}

impl Default for Params {
    /// Mainnet values. Quorum 0.334, threshold 0.5 and veto 0.334 are BTTC mainnet's. Deposits
    /// of a proposal that missed the quorum or never reached `min_deposit` are burned, as in
    /// heimdall (Cosmos SDK 0.37's gov, which BTTC's Delivery runs). Periods of 86,400 blocks
    /// are two days of 2-second blocks (the Cosmos default of two days each). A minimum
    /// deposit of 10^9 BTT (a thousandth of the minimum validator stake) and an initial
    /// deposit of a tenth of it make spam costly and a real proposal cheap for a validator.
    fn default() -> Self {
        let min_deposit = 1_000_000_000u128.saturating_mul(BTT);
        Self {
            min_deposit,
            min_initial_deposit: min_deposit / 10,
            max_deposit_period: 86_400,
            voting_period: 86_400,
            quorum: Dec::from_atto(334_000_000_000_000_000).unwrap_or(Dec::ONE),
            threshold: Dec::from_atto(500_000_000_000_000_000).unwrap_or(Dec::ONE),
            veto_threshold: Dec::from_atto(334_000_000_000_000_000).unwrap_or(Dec::ONE),
            burn_on_no_quorum: true,
            burn_on_deposit_expiry: true,
            max_title_bytes: 140,
            max_description_bytes: 10_000,
            max_param_changes: 8,
            max_params_json_bytes: 16_384,
        }
    }
}

impl Params {
    /// Small values for localnets and tests: 1 BTT deposits (none required up front), 20-block
    /// deposit and voting periods; the tally rules are mainnet's.
    pub fn localnet() -> Self {
        Self {
            min_deposit: BTT,
            min_initial_deposit: 0,
            max_deposit_period: 20,
            voting_period: 20,
            ..Self::default()
        }
    }

    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(GovError::InvalidParams(m));
        if self.min_deposit == 0 {
            return bad("min_deposit must be > 0".into());
        }
        if self.min_initial_deposit > self.min_deposit {
            return bad(format!(
                "min_initial_deposit {} is above min_deposit {}",
                self.min_initial_deposit, self.min_deposit
            ));
        }
        for (name, value) in [
            ("max_deposit_period", self.max_deposit_period),
            ("voting_period", self.voting_period),
        ] {
            if !(1..=MAX_PERIOD_BLOCKS).contains(&value) {
                return bad(format!(
                    "{name} {value} blocks is outside 1..={MAX_PERIOD_BLOCKS}"
                ));
            }
        }
        if self.quorum == Dec::ZERO {
            return bad("quorum must be > 0".into());
        }
        if self.threshold == Dec::ONE {
            return bad("threshold must be < 1 (yes can never be more than all votes)".into());
        }
        if self.veto_threshold == Dec::ZERO {
            return bad("veto_threshold must be > 0".into());
        }
        for (name, value, limit) in [
            ("max_title_bytes", self.max_title_bytes, MAX_TITLE_LIMIT),
            (
                "max_description_bytes",
                self.max_description_bytes,
                MAX_DESCRIPTION_LIMIT,
            ),
            (
                "max_param_changes",
                self.max_param_changes,
                MAX_PARAM_CHANGES_LIMIT,
            ),
            (
                "max_params_json_bytes",
                self.max_params_json_bytes,
                MAX_PARAMS_JSON_LIMIT,
            ),
        ] {
            if !(1..=limit).contains(&value) {
                return bad(format!("{name} {value} is outside 1..={limit}"));
            }
        }
        Ok(())
    }

    /// Parses and validates a whole params object (what a param-change proposal for `gov`
    /// carries; the app's [`crate::ParamSpace`] routes `gov` here).
    pub fn from_json(value: &serde_json::Value) -> Result<Params> {
        let params: Params = serde_json::from_value(value.clone())
            .map_err(|e| GovError::InvalidParams(e.to_string()))?;
        params.validate()?;
        Ok(params)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        Params::default().validate().unwrap();
        Params::localnet().validate().unwrap();
        assert_eq!(Params::default().quorum.to_string(), "0.334");
        assert_eq!(Params::default().threshold.to_string(), "0.5");
        assert_eq!(Params::default().veto_threshold.to_string(), "0.334");
        let cases: [fn(&mut Params); 13] = [
            |p| p.min_deposit = 0,
            |p| p.min_initial_deposit = p.min_deposit + 1,
            |p| p.max_deposit_period = 0,
            |p| p.voting_period = MAX_PERIOD_BLOCKS + 1,
            |p| p.quorum = Dec::ZERO,
            |p| p.threshold = Dec::ONE,
            |p| p.veto_threshold = Dec::ZERO,
            |p| p.max_title_bytes = 0,
            |p| p.max_title_bytes = MAX_TITLE_LIMIT + 1,
            |p| p.max_description_bytes = 0,
            |p| p.max_param_changes = 0,
            |p| p.max_param_changes = MAX_PARAM_CHANGES_LIMIT + 1,
            |p| p.max_params_json_bytes = MAX_PARAMS_JSON_LIMIT + 1,
        ];
        for change in cases {
            let mut p = Params::default();
            change(&mut p);
            assert!(
                matches!(p.validate(), Err(GovError::InvalidParams(_))),
                "{p:?}"
            );
        }
        let mut v = serde_json::to_value(Params::default()).unwrap();
        assert_eq!(v["quorum"], "0.334");
        assert_eq!(Params::from_json(&v).unwrap(), Params::default());
        v["quorum"] = "0.3.4".into();
        assert!(Params::from_json(&v).is_err());
        let mut v = serde_json::to_value(Params::default()).unwrap();
        v["quorom"] = "0.4".into();
        assert!(Params::from_json(&v).is_err());
    }
}
