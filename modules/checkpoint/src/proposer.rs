//! The checkpoint proposer: CometBFT's proposer-priority algorithm (`types/validator_set.go`)
//! over the active validator set, stored in state and advanced one step per rotation.
//!
//! - **Rotation** ([`ProposerSet::rotate`], CometBFT's `IncrementProposerPriority(1)`): rescale
//!   the priorities so that max − min ≤ 2 × total power (dividing each by `ceil(diff /
//!   (2 × total))`, truncating toward zero), centre them (subtract the floored average), add
//!   each validator's power to its priority, and make the validator with the highest priority
//!   the proposer, subtracting the total power from its priority.
//! - **Ties** go to the lower validator id (CometBFT breaks them by the lower address; ids are
//!   this chain's stable validator identity, signers can change).
//! - **Set changes** ([`ProposerSet::update`], CometBFT's `UpdateWithChangeSet`): a validator
//!   keeps its priority while it stays (its power and signer follow the set); a new validator
//!   enters at `-(T + T / 8)` (≈ −1.125 × T), where `T` is the total power after the change plus
//!   the power of the validators that left; departed validators are dropped; then the
//!   priorities are rescaled and centred. When the proposer left (or there was none), the set
//!   rotates once to pick one, as CometBFT's `NewValidatorSet` does.
//!
//! Additions and subtractions clip at the ends of `i64` like CometBFT's `safeAddClip` /
//! `safeSubClip`; with the total power capped at [`MAX_TOTAL_POWER`] they never do.

use delivery_module::crypto::Address;
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result};
use crate::types::{check_set, SetMember};

/// The largest total power (CometBFT's `MaxTotalVotingPower`, `i64::MAX / 8`).
pub const MAX_TOTAL_POWER: i64 = i64::MAX / 8;

/// CometBFT's `PriorityWindowSizeFactor`.
const PRIORITY_WINDOW_SIZE_FACTOR: i64 = 2;

/// A validator with its proposer priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposerValidator {
    /// Validator id.
    pub id: u64,
    /// Its signer address (the checkpoint's `proposer` when it proposes).
    pub signer: Address,
    /// Its power (> 0).
    pub power: i64,
    /// Its proposer priority.
    pub priority: i64,
}

/// The validators (by id) with their priorities, and the current proposer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposerSet {
    /// The validators, sorted by id.
    pub validators: Vec<ProposerValidator>,
    /// The current proposer's id (`None` only while the set is empty).
    pub proposer: Option<u64>,
}

impl ProposerSet {
    /// The current proposer.
    pub fn proposer(&self) -> Option<&ProposerValidator> {
        let id = self.proposer?;
        self.validators.iter().find(|v| v.id == id)
    }

    /// The total power.
    pub fn total_power(&self) -> Result<i64> {
        self.validators.iter().try_fold(0i64, |acc, v| {
            acc.checked_add(v.power)
                .ok_or(CheckpointError::Overflow("total power"))
        })
    }

    /// Whether the stored validators are exactly `set` (ids, signers, powers).
    pub fn matches(&self, set: &[SetMember]) -> bool {
        let mut sorted: Vec<SetMember> = set.to_vec();
        sorted.sort_by_key(|m| m.id);
        sorted.len() == self.validators.len()
            && sorted.iter().zip(&self.validators).all(|(m, v)| {
                m.id == v.id && m.signer == v.signer && i64::try_from(m.power) == Ok(v.power)
            })
    }

    /// Checks a stored or imported set: ids strictly ascending, signers distinct, powers > 0,
    /// total within [`MAX_TOTAL_POWER`], the proposer a member (and present unless empty).
    pub fn check(&self) -> Result<()> {
        if self
            .validators
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.id >= b.id))
        {
            return Err(CheckpointError::InvalidSet(
                "proposer set: ids are not strictly ascending".into(),
            ));
        }
        let members: Vec<SetMember> = self
            .validators
            .iter()
            .map(|v| {
                Ok(SetMember {
                    id: v.id,
                    signer: v.signer,
                    power: u64::try_from(v.power).map_err(|_| {
                        CheckpointError::InvalidSet(format!(
                            "validator {} has negative power {}",
                            v.id, v.power
                        ))
                    })?,
                })
            })
            .collect::<Result<_>>()?;
        check_set(&members)?;
        match self.proposer {
            None if self.validators.is_empty() => Ok(()),
            None => Err(CheckpointError::InvalidSet(
                "proposer set has validators but no proposer".into(),
            )),
            Some(id) if self.proposer().is_none() => Err(CheckpointError::InvalidSet(format!(
                "proposer {id} is not in the proposer set"
            ))),
            Some(_) => Ok(()),
        }
    }

    /// Replaces the validators by `set` (see the module doc). Returns whether anything
    /// changed. An empty `set` empties the set (the module is dormant then).
    pub fn update(&mut self, set: &[SetMember]) -> Result<bool> {
        if self.matches(set) {
            return Ok(false);
        }
        let new_total = check_set(set)?;
        if set.is_empty() {
            *self = Self::default();
            return Ok(true);
        }
        let removed_power = self
            .validators
            .iter()
            .filter(|v| !set.iter().any(|m| m.id == v.id))
            .try_fold(0i64, |acc, v| acc.checked_add(v.power))
            .ok_or(CheckpointError::Overflow("removed power"))?;
        let new_total =
            i64::try_from(new_total).map_err(|_| CheckpointError::Overflow("total power"))?;
        let tvp = new_total
            .checked_add(removed_power)
            .ok_or(CheckpointError::Overflow("total power before removals"))?;
        // -(tvp + tvp >> 3): tvp < 2 × MAX_TOTAL_POWER, so this fits.
        let entry_priority = tvp
            .checked_add(tvp >> 3)
            .and_then(i64::checked_neg)
            .ok_or(CheckpointError::Overflow("new validator priority"))?;
        let mut validators: Vec<ProposerValidator> = set
            .iter()
            .map(|m| {
                let priority = self
                    .validators
                    .iter()
                    .find(|v| v.id == m.id)
                    .map_or(entry_priority, |v| v.priority);
                Ok(ProposerValidator {
                    id: m.id,
                    signer: m.signer,
                    power: i64::try_from(m.power)
                        .map_err(|_| CheckpointError::Overflow("power"))?,
                    priority,
                })
            })
            .collect::<Result<_>>()?;
        validators.sort_by_key(|v| v.id);
        self.validators = validators;
        self.rescale(
            PRIORITY_WINDOW_SIZE_FACTOR
                .checked_mul(new_total)
                .ok_or(CheckpointError::Overflow("priority window"))?,
        )?;
        self.center()?;
        if self.proposer().is_none() {
            self.rotate()?;
        }
        Ok(true)
    }

    /// One rotation (CometBFT's `IncrementProposerPriority(1)`); returns the new proposer's
    /// id, `None` when the set is empty.
    pub fn rotate(&mut self) -> Result<Option<u64>> {
        if self.validators.is_empty() {
            self.proposer = None;
            return Ok(None);
        }
        let total = self.total_power()?;
        self.rescale(
            PRIORITY_WINDOW_SIZE_FACTOR
                .checked_mul(total)
                .ok_or(CheckpointError::Overflow("priority window"))?,
        )?;
        self.center()?;
        for v in &mut self.validators {
            v.priority = v.priority.saturating_add(v.power);
        }
        let mut best: Option<&mut ProposerValidator> = None;
        for v in &mut self.validators {
            // Validators are by id, so on a tie the earlier (lower id) one stays.
            match &best {
                Some(b) if b.priority >= v.priority => {}
                _ => best = Some(v),
            }
        }
        let Some(best) = best else {
            return Ok(None);
        };
        best.priority = best.priority.saturating_sub(total);
        let id = best.id;
        self.proposer = Some(id);
        Ok(Some(id))
    }

    /// Divides every priority by `ceil(diff / diff_max)` when max − min exceeds `diff_max`.
    fn rescale(&mut self, diff_max: i64) -> Result<()> {
        if diff_max <= 0 {
            return Ok(());
        }
        let max = self.validators.iter().map(|v| v.priority).max();
        let min = self.validators.iter().map(|v| v.priority).min();
        let (Some(max), Some(min)) = (max, min) else {
            return Ok(());
        };
        let diff = i128::from(max)
            .checked_sub(i128::from(min))
            .ok_or(CheckpointError::Overflow("priority spread"))?;
        let diff_max = i128::from(diff_max);
        if diff <= diff_max {
            return Ok(());
        }
        let ratio = diff
            .checked_add(diff_max)
            .and_then(|x| x.checked_sub(1))
            .and_then(|x| x.checked_div(diff_max))
            .ok_or(CheckpointError::Overflow("priority rescale ratio"))?;
        for v in &mut self.validators {
            // Truncates toward zero, as Go's `/=`; ratio >= 2, so the result fits in i64.
            let scaled = i128::from(v.priority)
                .checked_div(ratio)
                .ok_or(CheckpointError::Overflow("priority rescale"))?;
            v.priority =
                i64::try_from(scaled).map_err(|_| CheckpointError::Overflow("priority rescale"))?;
        }
        Ok(())
    }

    /// Subtracts the floored average priority from every priority.
    fn center(&mut self) -> Result<()> {
        let n = i128::try_from(self.validators.len())
            .map_err(|_| CheckpointError::Overflow("set size"))?;
        if n == 0 {
            return Ok(());
        }
        let sum = self.validators.iter().try_fold(0i128, |acc, v| {
            acc.checked_add(i128::from(v.priority))
                .ok_or(CheckpointError::Overflow("priority sum"))
        })?;
        // Go's big.Int.Div is Euclidean: for a positive divisor, the floor.
        let avg = sum
            .checked_div_euclid(n)
            .ok_or(CheckpointError::Overflow("priority average"))?;
        let avg = i64::try_from(avg).map_err(|_| CheckpointError::Overflow("priority average"))?;
        for v in &mut self.validators {
            v.priority = v.priority.saturating_sub(avg);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(id: u64, power: u64) -> SetMember {
        SetMember {
            id,
            signer: Address([u8::try_from(id).unwrap(); 20]),
            power,
        }
    }

    fn fresh(set: &[SetMember]) -> ProposerSet {
        let mut s = ProposerSet::default();
        assert!(s.update(set).unwrap());
        s.check().unwrap();
        s
    }

    fn sequence(s: &mut ProposerSet, n: usize) -> Vec<u64> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(s.proposer.unwrap());
            s.rotate().unwrap();
        }
        out
    }

    /// CometBFT's `TestProposerSelection1`: foo 1000, bar 300, baz 330 (addresses order bar <
    /// baz < foo, so ids bar = 1, baz = 2, foo = 3), 99 proposers from `NewValidatorSet`.
    #[test]
    fn the_sequence_matches_cometbft_proposer_selection_1() {
        let mut s = fresh(&[member(3, 1000), member(1, 300), member(2, 330)]);
        let expected =
            "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar \
            foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar \
            foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz \
            foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo \
            foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo";
        let names = |id: u64| match id {
            1 => "bar",
            2 => "baz",
            _ => "foo",
        };
        let got: Vec<&str> = sequence(&mut s, 99).into_iter().map(names).collect();
        assert_eq!(got.join(" "), expected);
    }

    /// CometBFT's `TestProposerSelection2`: equal powers go round in id order; 400 vs 100 + 100
    /// proposes once first, 401 twice; 4/5/3 propose 40/50/30 times in 120 rounds.
    #[test]
    fn the_sequence_matches_cometbft_proposer_selection_2() {
        let mut s = fresh(&[member(1, 100), member(2, 100), member(3, 100)]);
        assert_eq!(sequence(&mut s, 15), [1, 2, 3].repeat(5));

        let mut s = fresh(&[member(1, 100), member(2, 100), member(3, 400)]);
        assert_eq!(sequence(&mut s, 2), [3, 1]);

        let mut s = fresh(&[member(1, 100), member(2, 100), member(3, 401)]);
        assert_eq!(sequence(&mut s, 3), [3, 3, 1]);

        let mut s = fresh(&[member(1, 4), member(2, 5), member(3, 3)]);
        let seq = sequence(&mut s, 120);
        let count = |id| seq.iter().filter(|&&x| x == id).count();
        assert_eq!((count(1), count(2), count(3)), (40, 50, 30));
    }

    #[test]
    fn a_new_validator_enters_at_minus_one_and_an_eighth_of_the_total() {
        // Three validators of power 10, rotated a few times; then validator 4 (power 10) joins.
        let mut s = fresh(&[member(1, 10), member(2, 10), member(3, 10)]);
        s.rotate().unwrap();
        let before: Vec<i64> = s.validators.iter().map(|v| v.priority).collect();
        assert_eq!(before.iter().sum::<i64>(), 0);
        let proposer = s.proposer;
        let set = [member(1, 10), member(2, 10), member(3, 10), member(4, 10)];
        assert!(s.update(&set).unwrap());
        // By hand: T = 40, entry = -(40 + 5) = -45; spread is within 2T = 80 so no rescale;
        // the average of (old..., -45) is floored and subtracted.
        let mut raw: Vec<i64> = before.clone();
        raw.push(-45);
        let avg = raw.iter().sum::<i64>().div_euclid(4);
        let want: Vec<i64> = raw.iter().map(|p| p - avg).collect();
        assert_eq!(
            s.validators.iter().map(|v| v.priority).collect::<Vec<_>>(),
            want
        );
        assert_eq!(
            s.proposer, proposer,
            "the proposer stays while it is a member"
        );
        // The newcomer waits: it is not the next proposer.
        s.rotate().unwrap();
        assert_ne!(s.proposer, Some(4));
        // Nothing changes when the same set comes again.
        assert!(!s.update(&set).unwrap());
    }

    #[test]
    fn when_the_proposer_leaves_the_set_rotates_and_a_signer_change_keeps_priority() {
        let mut s = fresh(&[member(1, 10), member(2, 10), member(3, 10)]);
        let gone = s.proposer.unwrap();
        let rest: Vec<SetMember> = [member(1, 10), member(2, 10), member(3, 10)]
            .into_iter()
            .filter(|m| m.id != gone)
            .collect();
        s.update(&rest).unwrap();
        s.check().unwrap();
        assert!(s.proposer.is_some() && s.proposer != Some(gone));

        let mut s = fresh(&[member(1, 10), member(2, 20)]);
        let priorities: Vec<i64> = s.validators.iter().map(|v| v.priority).collect();
        let mut moved = member(2, 20);
        moved.signer = Address([0x99; 20]);
        assert!(s.update(&[member(1, 10), moved]).unwrap());
        assert_eq!(
            s.validators.iter().map(|v| v.priority).collect::<Vec<_>>(),
            priorities
        );
        assert_eq!(s.validators[1].signer, Address([0x99; 20]));
    }

    #[test]
    fn priorities_are_rescaled_when_the_spread_exceeds_twice_the_total() {
        let mut s = ProposerSet {
            validators: vec![
                ProposerValidator {
                    id: 1,
                    signer: Address([1; 20]),
                    power: 1,
                    priority: 1_000,
                },
                ProposerValidator {
                    id: 2,
                    signer: Address([2; 20]),
                    power: 1,
                    priority: -1_000,
                },
            ],
            proposer: Some(1),
        };
        // diff 2000, diffMax 4, ratio 500: 2 and -2; centred (avg 0); +1 each: 3, -1; 1
        // proposes: 3 - 2 = 1.
        assert_eq!(s.rotate().unwrap(), Some(1));
        assert_eq!(
            s.validators.iter().map(|v| v.priority).collect::<Vec<_>>(),
            [1, -1]
        );
    }

    #[test]
    fn malformed_sets_are_refused() {
        let mut s = ProposerSet::default();
        assert!(s.update(&[member(1, 0)]).is_err());
        assert!(s.update(&[member(1, 1), member(1, 2)]).is_err());
        let mut twin = member(2, 1);
        twin.signer = member(1, 1).signer;
        assert!(s.update(&[member(1, 1), twin]).is_err());
        assert!(s
            .update(&[member(1, MAX_TOTAL_POWER as u64), member(2, 1)])
            .is_err());
        assert_eq!(
            s,
            ProposerSet::default(),
            "a refused update changes nothing"
        );
        assert_eq!(s.rotate().unwrap(), None);
    }

    proptest! {
        /// Over `total` rotations of a fixed set, each validator proposes exactly `power`
        /// times, priorities always sum to about zero, and the set stays well formed.
        #[test]
        fn proposals_are_proportional_to_power(powers in proptest::collection::vec(1u64..20, 1..8)) {
            let set: Vec<SetMember> = powers.iter().enumerate()
                .map(|(i, p)| member(i as u64 + 1, *p)).collect();
            let mut s = fresh(&set);
            let total: u64 = powers.iter().sum();
            // Warm up one full period, then count one.
            sequence(&mut s, total as usize);
            let seq = sequence(&mut s, total as usize);
            for m in &set {
                prop_assert_eq!(seq.iter().filter(|&&id| id == m.id).count() as u64, m.power);
            }
            s.check().unwrap();
        }

        #[test]
        fn updates_and_rotations_never_fail_on_valid_sets(
            steps in proptest::collection::vec(
                (proptest::collection::vec((1u64..10, 1u64..1_000_000), 1..6), 0usize..4), 1..20)
        ) {
            let mut s = ProposerSet::default();
            for (members, rotations) in steps {
                let mut set: Vec<SetMember> = members.iter().map(|(id, p)| member(*id, *p)).collect();
                set.sort_by_key(|m| m.id);
                set.dedup_by_key(|m| m.id);
                s.update(&set).unwrap();
                for _ in 0..rotations {
                    s.rotate().unwrap();
                }
                s.check().unwrap();
                let total = s.total_power().unwrap();
                let max = s.validators.iter().map(|v| v.priority).max().unwrap();
                let min = s.validators.iter().map(|v| v.priority).min().unwrap();
                prop_assert!(max - min <= 4 * total, "spread {} for total {}", max - min, total);
            }
        }
    }
}
