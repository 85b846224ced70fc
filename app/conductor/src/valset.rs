//! Validator sets and CometBFT's weighted round-robin proposer selection.
//!
//! A faithful port of CometBFT v0.38's `types/validator_set.go`: `NewValidatorSet`,
//! `IncrementProposerPriority` (rescale to a window of `2 * total power`, centre on the average,
//! then add each validator's power and take the total from the one with the highest priority,
//! ties to the lower address), `UpdateWithChangeSet` (new validators start at
//! `-1.125 * total power`), the validator-set hash and the power-descending order.
//!
//! The set is pure data: no IO, no clock. Priorities use CometBFT's clipping arithmetic, so the
//! sequence of proposers is the one a real CometBFT network would produce.

// Priority arithmetic runs on i128 values widened from i64 (sums of at most a few thousand i64
// terms), so it cannot overflow; results are clipped back to i64 like CometBFT's safe*Clip.
#![allow(clippy::arithmetic_side_effects)]

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The maximum total voting power CometBFT accepts (`MaxInt64 / 8`).
pub const MAX_TOTAL_VOTING_POWER: i64 = i64::MAX / 8;

/// `PriorityWindowSizeFactor`: priorities are kept within `2 * total power` of each other.
const PRIORITY_WINDOW_SIZE_FACTOR: i64 = 2;

/// A validator set operation that CometBFT would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValsetError {
    /// Two entries of one change set (or of a genesis list) share an address.
    #[error("duplicate validator address {0} in the validator list")]
    Duplicate(String),
    /// A power below zero.
    #[error("validator {address} has negative voting power {power}")]
    NegativePower {
        /// Hex address.
        address: String,
        /// The power given.
        power: i64,
    },
    /// A power of zero where a removal is not allowed (genesis).
    #[error("validator {0} has voting power 0 in a list that does not allow removals")]
    ZeroPower(String),
    /// Power above the CometBFT limit, alone or summed.
    #[error("total voting power {0} exceeds the maximum {MAX_TOTAL_VOTING_POWER}")]
    TooMuchPower(i128),
    /// A removal of an address that is not in the set.
    #[error("cannot remove validator {0}: it is not in the set")]
    RemoveUnknown(String),
    /// The change set would leave no validator.
    #[error("applying the validator changes would result in an empty set")]
    Empty,
}

/// One validator: its ed25519 public key, address (first 20 bytes of SHA-256 of the key), power
/// and proposer priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// 20-byte address.
    #[serde(with = "crate::serde_hex")]
    pub address: Vec<u8>,
    /// 32-byte ed25519 public key.
    #[serde(with = "crate::serde_hex")]
    pub pub_key: Vec<u8>,
    /// Voting power.
    pub power: i64,
    /// Proposer priority.
    pub proposer_priority: i64,
}

impl Validator {
    /// A validator with priority 0 and the address derived from the key.
    pub fn new(pub_key: Vec<u8>, power: i64) -> Self {
        let address = crate::key::address_of(&pub_key).to_vec();
        Validator {
            address,
            pub_key,
            power,
            proposer_priority: 0,
        }
    }

    /// `CompareProposerPriority`: the one with the higher priority, ties to the lower address.
    fn wins_over(&self, other: &Validator) -> bool {
        match self.proposer_priority.cmp(&other.proposer_priority) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => self.address < other.address,
        }
    }
}

/// A validator set: validators sorted by power (descending) then address (ascending), and the
/// proposer chosen by the last `increment_proposer_priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    proposer: Option<usize>,
}

fn clip(v: i128) -> i64 {
    // safeAddClip / safeSubClip: saturate at the i64 bounds.
    i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
}

fn hex_upper(b: &[u8]) -> String {
    hex::encode_upper(b)
}

impl ValidatorSet {
    /// `NewValidatorSet`: validates the list, sorts it and increments priorities once, so the
    /// proposer of the set is the first proposer of the chain.
    pub fn new(validators: Vec<Validator>) -> Result<Self, ValsetError> {
        let mut set = ValidatorSet {
            validators: Vec::new(),
            proposer: None,
        };
        set.update_with_change_set(validators, false)?;
        if !set.validators.is_empty() {
            set.increment_proposer_priority(1);
        }
        Ok(set)
    }

    /// The validators in CometBFT's order.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Sum of the voting powers (bounded by [`MAX_TOTAL_VOTING_POWER`] by construction).
    pub fn total_power(&self) -> i64 {
        let sum: i128 = self.validators.iter().map(|v| i128::from(v.power)).sum();
        clip(sum)
    }

    /// The validator with this address.
    pub fn get(&self, address: &[u8]) -> Option<&Validator> {
        self.validators.iter().find(|v| v.address == address)
    }

    /// The current proposer (`GetProposer`).
    pub fn proposer(&self) -> Option<&Validator> {
        match self.proposer {
            Some(i) => self.validators.get(i),
            None => self.find_proposer(),
        }
    }

    fn find_proposer(&self) -> Option<&Validator> {
        let mut best: Option<&Validator> = None;
        for v in &self.validators {
            best = match best {
                Some(b) if b.wins_over(v) || b.address == v.address => Some(b),
                _ => Some(v),
            };
        }
        best
    }

    /// `CopyIncrementProposerPriority`.
    pub fn copy_increment(&self, times: u32) -> Self {
        let mut c = self.clone();
        c.increment_proposer_priority(times);
        c
    }

    /// `IncrementProposerPriority(times)`; a no-op on an empty set or `times == 0` (where
    /// CometBFT panics).
    pub fn increment_proposer_priority(&mut self, times: u32) {
        if self.validators.is_empty() || times == 0 {
            return;
        }
        let diff_max = PRIORITY_WINDOW_SIZE_FACTOR.saturating_mul(self.total_power());
        self.rescale_priorities(diff_max);
        self.shift_by_avg_proposer_priority();
        let mut proposer = None;
        for _ in 0..times {
            proposer = self.increment_once();
        }
        self.proposer = proposer;
    }

    fn increment_once(&mut self) -> Option<usize> {
        for v in &mut self.validators {
            v.proposer_priority = clip(i128::from(v.proposer_priority) + i128::from(v.power));
        }
        let mut best: Option<usize> = None;
        for (i, v) in self.validators.iter().enumerate() {
            best = match best.and_then(|b| self.validators.get(b).map(|bv| (b, bv))) {
                Some((b, bv)) if bv.wins_over(v) => Some(b),
                _ => Some(i),
            };
        }
        let total = self.total_power();
        if let Some(v) = best.and_then(|i| self.validators.get_mut(i)) {
            v.proposer_priority = clip(i128::from(v.proposer_priority) - i128::from(total));
        }
        best
    }

    /// `RescalePriorities`: divide every priority by `ceil(diff / diff_max)` when the spread
    /// exceeds `diff_max` (Go's truncating division).
    fn rescale_priorities(&mut self, diff_max: i64) {
        if diff_max <= 0 || self.validators.is_empty() {
            return;
        }
        let max = self
            .validators
            .iter()
            .map(|v| i128::from(v.proposer_priority))
            .max();
        let min = self
            .validators
            .iter()
            .map(|v| i128::from(v.proposer_priority))
            .min();
        let (Some(max), Some(min)) = (max, min) else {
            return;
        };
        let diff = (max - min).abs();
        let diff_max = i128::from(diff_max);
        let ratio = (diff + diff_max - 1) / diff_max;
        if diff > diff_max && ratio > 0 {
            for v in &mut self.validators {
                v.proposer_priority = clip(i128::from(v.proposer_priority) / ratio);
            }
        }
    }

    /// `shiftByAvgProposerPriority`; the average uses floor division like Go's `big.Int.Div`.
    fn shift_by_avg_proposer_priority(&mut self) {
        let n = i128::try_from(self.validators.len()).unwrap_or(i128::MAX);
        if n == 0 {
            return;
        }
        let sum: i128 = self
            .validators
            .iter()
            .map(|v| i128::from(v.proposer_priority))
            .sum();
        let avg = sum.div_euclid(n);
        for v in &mut self.validators {
            v.proposer_priority = clip(i128::from(v.proposer_priority) - avg);
        }
    }

    /// `UpdateWithChangeSet`: power 0 removes, a new address is added at priority
    /// `-1.125 * total`, an existing one keeps its priority. The set is rescaled, centred and
    /// re-sorted; the proposer is recomputed lazily.
    pub fn apply_updates(&mut self, changes: Vec<Validator>) -> Result<(), ValsetError> {
        self.update_with_change_set(changes, true)
    }

    fn update_with_change_set(
        &mut self,
        mut changes: Vec<Validator>,
        allow_deletes: bool,
    ) -> Result<(), ValsetError> {
        if changes.is_empty() {
            return Ok(());
        }
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        let mut updates = Vec::new();
        let mut deletes = Vec::new();
        let mut prev: Option<Vec<u8>> = None;
        for c in changes {
            if prev.as_deref() == Some(c.address.as_slice()) {
                return Err(ValsetError::Duplicate(hex_upper(&c.address)));
            }
            prev = Some(c.address.clone());
            if c.power < 0 {
                return Err(ValsetError::NegativePower {
                    address: hex_upper(&c.address),
                    power: c.power,
                });
            }
            if c.power > MAX_TOTAL_VOTING_POWER {
                return Err(ValsetError::TooMuchPower(i128::from(c.power)));
            }
            if c.power == 0 {
                if !allow_deletes {
                    return Err(ValsetError::ZeroPower(hex_upper(&c.address)));
                }
                deletes.push(c);
            } else {
                updates.push(c);
            }
        }
        let new_count = updates
            .iter()
            .filter(|u| self.get(&u.address).is_none())
            .count();
        if new_count == 0 && self.validators.len() == deletes.len() {
            return Err(ValsetError::Empty);
        }
        let mut removed_power: i128 = 0;
        for d in &deletes {
            match self.get(&d.address) {
                Some(v) => removed_power += i128::from(v.power),
                None => return Err(ValsetError::RemoveUnknown(hex_upper(&d.address))),
            }
        }
        // verifyUpdates: apply the deltas in increasing order and check the bound each step.
        let delta = |u: &Validator, set: &ValidatorSet| -> i128 {
            match set.get(&u.address) {
                Some(v) => i128::from(u.power) - i128::from(v.power),
                None => i128::from(u.power),
            }
        };
        let mut deltas: Vec<i128> = updates.iter().map(|u| delta(u, self)).collect();
        deltas.sort();
        let mut tvp = i128::from(self.total_power()) - removed_power;
        for d in deltas {
            tvp += d;
            if tvp > i128::from(MAX_TOTAL_VOTING_POWER) {
                return Err(ValsetError::TooMuchPower(tvp));
            }
        }
        let tvp_after_updates_before_removals = tvp + removed_power;
        // computeNewPriorities
        for u in &mut updates {
            u.proposer_priority = match self.get(&u.address) {
                Some(v) => v.proposer_priority,
                None => clip(
                    -(tvp_after_updates_before_removals + (tvp_after_updates_before_removals >> 3)),
                ),
            };
        }
        // applyUpdates + applyRemovals (order does not matter: we re-sort below).
        let mut merged: Vec<Validator> = std::mem::take(&mut self.validators)
            .into_iter()
            .filter(|v| {
                !updates.iter().any(|u| u.address == v.address)
                    && !deletes.iter().any(|d| d.address == v.address)
            })
            .collect();
        merged.extend(updates);
        self.validators = merged;
        let total: i128 = self.validators.iter().map(|v| i128::from(v.power)).sum();
        if total > i128::from(MAX_TOTAL_VOTING_POWER) {
            return Err(ValsetError::TooMuchPower(total));
        }
        let diff_max = PRIORITY_WINDOW_SIZE_FACTOR.saturating_mul(self.total_power());
        self.rescale_priorities(diff_max);
        self.shift_by_avg_proposer_priority();
        self.validators.sort_by(|a, b| {
            b.power
                .cmp(&a.power)
                .then_with(|| a.address.cmp(&b.address))
        });
        self.proposer = None;
        Ok(())
    }

    /// The validator-set hash of a block header (`ValidatorSet.Hash`): the merkle root of each
    /// validator's `SimpleValidator` protobuf encoding.
    pub fn hash(&self) -> Vec<u8> {
        use prost::Message;
        use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};
        use tendermint_proto::v0_38::types::SimpleValidator;
        let leaves: Vec<Vec<u8>> = self
            .validators
            .iter()
            .map(|v| {
                SimpleValidator {
                    pub_key: Some(PublicKey {
                        sum: Some(Sum::Ed25519(v.pub_key.clone())),
                    }),
                    voting_power: v.power,
                }
                .encode_to_vec()
            })
            .collect();
        crate::hashing::merkle_root(&leaves)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    /// A validator with a raw (non key-derived) address, as CometBFT's own tests use.
    fn val(address: &[u8], power: i64) -> Validator {
        Validator {
            address: address.to_vec(),
            pub_key: vec![0; 32],
            power,
            proposer_priority: 0,
        }
    }

    fn name(v: &Validator) -> String {
        String::from_utf8(v.address.clone()).unwrap()
    }

    /// CometBFT `TestProposerSelection1`: the exact 99-proposer sequence for powers 1000/300/330.
    #[test]
    fn proposer_sequence_matches_cometbft_test_proposer_selection1() {
        let mut set =
            ValidatorSet::new(vec![val(b"foo", 1000), val(b"bar", 300), val(b"baz", 330)]).unwrap();
        let mut proposers = Vec::new();
        for _ in 0..99 {
            proposers.push(name(set.proposer().unwrap()));
            set.increment_proposer_priority(1);
        }
        let expected =
            "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar \
foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar \
foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz \
foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo \
foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo";
        assert_eq!(proposers.join(" "), expected);
    }

    /// CometBFT `TestProposerSelection2`.
    #[test]
    fn proposer_selection_matches_cometbft_test_proposer_selection2() {
        let a0 = [0u8; 20];
        let mut a1 = [0u8; 20];
        a1[19] = 1;
        let mut a2 = [0u8; 20];
        a2[19] = 2;
        // Equal power: address order.
        let mut set = ValidatorSet::new(vec![val(&a0, 100), val(&a1, 100), val(&a2, 100)]).unwrap();
        let order = [a0, a1, a2];
        for i in 0..15 {
            assert_eq!(set.proposer().unwrap().address, order[i % 3], "step {i}");
            set.increment_proposer_priority(1);
        }
        // 400 vs 100+100: first, then not twice in a row.
        let mut set = ValidatorSet::new(vec![val(&a0, 100), val(&a1, 100), val(&a2, 400)]).unwrap();
        assert_eq!(set.proposer().unwrap().address, a2);
        set.increment_proposer_priority(1);
        assert_eq!(set.proposer().unwrap().address, a0);
        // 401: twice in a row.
        let mut set = ValidatorSet::new(vec![val(&a0, 100), val(&a1, 100), val(&a2, 401)]).unwrap();
        assert_eq!(set.proposer().unwrap().address, a2);
        set.increment_proposer_priority(1);
        assert_eq!(set.proposer().unwrap().address, a2);
        set.increment_proposer_priority(1);
        assert_eq!(set.proposer().unwrap().address, a0);
        // Proportional counts for 4/5/3 over 120 rounds.
        let mut set = ValidatorSet::new(vec![val(&a0, 4), val(&a1, 5), val(&a2, 3)]).unwrap();
        let mut counts = [0usize; 3];
        for _ in 0..120 {
            counts[usize::from(set.proposer().unwrap().address[19])] += 1;
            set.increment_proposer_priority(1);
        }
        assert_eq!(counts, [40, 50, 30]);
    }

    #[test]
    fn increment_by_n_equals_n_single_increments_in_proposer() {
        let set = ValidatorSet::new(vec![val(b"a", 7), val(b"b", 3), val(b"c", 1)]).unwrap();
        let mut stepped = set.clone();
        for times in 1..6u32 {
            stepped.increment_proposer_priority(1);
            let jumped = set.copy_increment(times);
            assert_eq!(
                jumped.proposer().unwrap().address,
                stepped.proposer().unwrap().address
            );
        }
    }

    #[test]
    fn sorted_by_power_then_address_and_rejects_bad_lists() {
        let set = ValidatorSet::new(vec![val(b"b", 1), val(b"a", 1), val(b"c", 5)]).unwrap();
        let names: Vec<String> = set.validators().iter().map(name).collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert!(matches!(
            ValidatorSet::new(vec![val(b"a", 1), val(b"a", 2)]),
            Err(ValsetError::Duplicate(_))
        ));
        assert!(matches!(
            ValidatorSet::new(vec![val(b"a", 0)]),
            Err(ValsetError::ZeroPower(_))
        ));
        assert!(matches!(
            ValidatorSet::new(vec![val(b"a", -1)]),
            Err(ValsetError::NegativePower { .. })
        ));
    }

    #[test]
    fn updates_add_remove_and_new_validator_starts_behind() {
        let mut set = ValidatorSet::new(vec![val(b"a", 10), val(b"b", 10)]).unwrap();
        set.apply_updates(vec![val(b"c", 10)]).unwrap();
        let c = set.get(b"c").unwrap().clone();
        // -1.125 * 30 = -33 (then centred): the newcomer has the lowest priority.
        assert!(set
            .validators()
            .iter()
            .all(|v| v.address == c.address || v.proposer_priority > c.proposer_priority));
        set.apply_updates(vec![val(b"a", 0)]).unwrap();
        assert!(set.get(b"a").is_none());
        assert_eq!(set.total_power(), 20);
        assert!(matches!(
            set.apply_updates(vec![val(b"zz", 0)]),
            Err(ValsetError::RemoveUnknown(_))
        ));
        assert!(matches!(
            set.apply_updates(vec![val(b"b", 0), val(b"c", 0)]),
            Err(ValsetError::Empty)
        ));
    }

    #[test]
    fn hash_matches_tendermint_rs() {
        use tendermint::{validator, vote::Power, PublicKey};
        let keys: Vec<[u8; 32]> = (1u8..=3).map(|i| [i; 32]).collect();
        let ours = ValidatorSet::new(
            keys.iter()
                .zip([5i64, 7, 7])
                .map(|(k, p)| Validator::new(k.to_vec(), p))
                .collect(),
        )
        .unwrap();
        let theirs = validator::Set::without_proposer(
            keys.iter()
                .zip([5u32, 7, 7])
                .map(|(k, p)| {
                    validator::Info::new(PublicKey::from_raw_ed25519(k).unwrap(), Power::from(p))
                })
                .collect(),
        );
        assert_eq!(ours.hash(), theirs.hash().as_bytes());
    }
}
