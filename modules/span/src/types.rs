//! The span module's domain types: validators as spans see them, spans, replacements.

use std::collections::BTreeSet;

use delivery_module::crypto::Address;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SpanError};

/// A validator as the span module sees it: its id, the secp256k1 signer address that seals BTTC
/// blocks, and its voting power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanValidator {
    /// The validator id (staking's id; unique).
    pub id: u64,
    /// The signer address (unique, non-zero).
    pub signer: Address,
    /// Voting power (> 0).
    pub power: u64,
}

impl SpanValidator {
    /// The engine API's form (what the ValidatorSet contract stores).
    pub fn to_engine(&self) -> bttc_engine_api::SpanValidator {
        bttc_engine_api::SpanValidator {
            id: self.id,
            signer: bttc_engine_api::Address(self.signer.0),
            voting_power: self.power,
        }
    }
}

/// Checks a validator list and returns a copy sorted by id: non-empty, unique ids, unique
/// non-zero signers, every power > 0.
pub fn validate_validators(validators: &[SpanValidator]) -> Result<Vec<SpanValidator>> {
    let bad = |m: String| Err(SpanError::InvalidValidators(m));
    if validators.is_empty() {
        return bad("expected at least one validator, found none".into());
    }
    let mut ids = BTreeSet::new();
    let mut signers = BTreeSet::new();
    for v in validators {
        if !ids.insert(v.id) {
            return bad(format!("validator id {} is listed twice", v.id));
        }
        if v.signer == Address::default() {
            return bad(format!("validator {} has the zero signer address", v.id));
        }
        if !signers.insert(v.signer) {
            return bad(format!("signer {} is listed twice", v.signer));
        }
        if v.power == 0 {
            return bad(format!("validator {} has power 0, expected > 0", v.id));
        }
    }
    let mut sorted = validators.to_vec();
    sorted.sort_by_key(|v| v.id);
    Ok(sorted)
}

/// A span: a range of BTTC blocks, the validator set it was drawn from, and its producers in
/// rotation order (sprint `k` of the span belongs to `producers[k % producers.len()]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Span id: 0 for the genesis span, then consecutive.
    pub id: u64,
    /// First BTTC block (inclusive).
    pub start_block: u64,
    /// Last BTTC block (inclusive).
    pub end_block: u64,
    /// BTTC blocks per sprint in this span (the param at creation; fixed for the span).
    pub sprint_length: u64,
    /// The validator set snapshot, sorted by id.
    pub validators: Vec<SpanValidator>,
    /// The drawn producers, in rotation order (the order of the draw).
    pub producers: Vec<SpanValidator>,
    /// The seed the producers were drawn from.
    #[serde(with = "hex32")]
    pub seed: [u8; 32],
    /// The Delivery height whose FinalizeBlock created the span (0 for genesis).
    pub created_at: u64,
}

impl Span {
    /// Whether BTTC block `height` is in this span.
    pub fn contains(&self, height: u64) -> bool {
        self.start_block <= height && height <= self.end_block
    }

    /// The sprint index of `height` within the span (0 for the first sprint).
    pub fn sprint_of(&self, height: u64) -> Result<u64> {
        if !self.contains(height) {
            return Err(SpanError::NoSpan { height });
        }
        height
            .checked_sub(self.start_block)
            .and_then(|offset| offset.checked_div(self.sprint_length))
            .ok_or(SpanError::Overflow("sprint index"))
    }

    /// The first block of the span's last sprint.
    pub fn last_sprint_start(&self) -> Result<u64> {
        let len = self
            .end_block
            .checked_sub(self.start_block)
            .and_then(|d| d.checked_add(1))
            .ok_or(SpanError::Overflow("span length"))?;
        let sprints = len
            .checked_div(self.sprint_length)
            .ok_or(SpanError::Overflow("span sprints"))?;
        sprints
            .checked_sub(1)
            .and_then(|s| s.checked_mul(self.sprint_length))
            .and_then(|off| self.start_block.checked_add(off))
            .ok_or(SpanError::Overflow("last sprint start"))
    }

    /// The producer slot (index into `producers`) that owns `height`: the drawn schedule, before
    /// any replacement.
    pub fn slot_of(&self, height: u64) -> Result<usize> {
        let sprint = self.sprint_of(height)?;
        let n = u64::try_from(self.producers.len()).map_err(|_| SpanError::Overflow("slots"))?;
        let slot = sprint
            .checked_rem(n)
            .ok_or(SpanError::Overflow("empty producer list"))?;
        usize::try_from(slot).map_err(|_| SpanError::Overflow("slot index"))
    }

    /// The drawn producer of `height` (before replacements; see [`crate::producer_at`] for the
    /// producer in force).
    pub fn scheduled_producer(&self, height: u64) -> Result<SpanValidator> {
        let slot = self.slot_of(height)?;
        self.producers
            .get(slot)
            .copied()
            .ok_or(SpanError::Overflow("slot index"))
    }

    /// The span as the engine commits it into the ValidatorSet contract at `start_block`.
    pub fn to_span_commit(&self) -> bttc_engine_api::SpanCommit {
        bttc_engine_api::SpanCommit {
            id: self.id,
            start_block: self.start_block,
            end_block: self.end_block,
            validators: self
                .validators
                .iter()
                .map(SpanValidator::to_engine)
                .collect(),
            producers: self
                .producers
                .iter()
                .map(SpanValidator::to_engine)
                .collect(),
        }
    }

    /// Structural checks (genesis import): range, sprint multiple, validators, producers drawn
    /// from the validators, distinct.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(SpanError::InvalidGenesis(format!("span {}: {m}", self.id)));
        if self.end_block < self.start_block {
            return bad(format!(
                "end_block {} is before start_block {}",
                self.end_block, self.start_block
            ));
        }
        if self.start_block == 0 {
            return bad("start_block 0 is the BTTC genesis block, expected >= 1".into());
        }
        if self.sprint_length == 0 {
            return bad("sprint_length is 0".into());
        }
        let len = self
            .end_block
            .checked_sub(self.start_block)
            .and_then(|d| d.checked_add(1))
            .ok_or(SpanError::Overflow("span length"))?;
        if len.checked_rem(self.sprint_length) != Some(0) {
            return bad(format!(
                "length {len} is not a multiple of sprint_length {}",
                self.sprint_length
            ));
        }
        let sorted = validate_validators(&self.validators)?;
        if sorted != self.validators {
            return bad("validators are not sorted by id".into());
        }
        if self.producers.is_empty() {
            return bad("no producers".into());
        }
        let mut seen = BTreeSet::new();
        for p in &self.producers {
            if !self.validators.contains(p) {
                return bad(format!("producer {} is not in the validator set", p.id));
            }
            if !seen.insert(p.id) {
                return bad(format!("producer {} is listed twice", p.id));
            }
        }
        Ok(())
    }
}

/// A producer replaced by a standby for the rest of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The span.
    pub span_id: u64,
    /// The producer slot (index into the span's drawn producers) taken over.
    pub slot: u32,
    /// Who held the slot.
    pub replaced: SpanValidator,
    /// Who holds it from `from_block` to the span's end.
    pub replacement: SpanValidator,
    /// The first BTTC block the replacement owns.
    pub from_block: u64,
}

/// A BTTC block as Delivery finalized it: its height and the signer of its seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BttcBlock {
    /// The BTTC block number.
    pub height: u64,
    /// The seal's signer (the payload's fee recipient).
    pub producer: Address,
}

/// Serde for `[u8; 32]` as `0x` hex.
pub mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `0x` + 64 hex digits.
    pub fn serialize<S: Serializer>(value: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(value)))
    }

    /// Deserializes `0x` + 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} does not start with 0x")))?;
        let bytes = hex::decode(digits).map_err(serde::de::Error::custom)?;
        bytes.try_into().map_err(|b: Vec<u8>| {
            serde::de::Error::custom(format!("expected 32 bytes, found {}", b.len()))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn v(id: u64, power: u64) -> SpanValidator {
        let mut signer = [0u8; 20];
        signer[19] = u8::try_from(id).unwrap();
        signer[0] = 0xaa;
        SpanValidator {
            id,
            signer: Address(signer),
            power,
        }
    }

    fn span(start: u64, end: u64, sprint: u64, producers: Vec<SpanValidator>) -> Span {
        Span {
            id: 3,
            start_block: start,
            end_block: end,
            sprint_length: sprint,
            validators: vec![v(1, 1), v(2, 1), v(3, 1)],
            producers,
            seed: [7; 32],
            created_at: 9,
        }
    }

    #[test]
    fn validator_lists_are_checked_and_sorted() {
        assert_eq!(
            validate_validators(&[v(2, 1), v(1, 5)]).unwrap(),
            vec![v(1, 5), v(2, 1)]
        );
        assert!(validate_validators(&[]).is_err());
        assert!(validate_validators(&[v(1, 1), v(1, 2)]).is_err());
        assert!(validate_validators(&[v(1, 0)]).is_err());
        let mut same_signer = v(2, 1);
        same_signer.signer = v(1, 1).signer;
        assert!(validate_validators(&[v(1, 1), same_signer]).is_err());
        let mut zero = v(4, 1);
        zero.signer = Address::default();
        assert!(validate_validators(&[zero]).is_err());
    }

    #[test]
    fn the_schedule_rotates_producers_per_sprint() {
        // Blocks 17..=32, sprint 4: sprints 0..=3 -> producers 0, 1, 2, 0.
        let s = span(17, 32, 4, vec![v(3, 1), v(1, 1), v(2, 1)]);
        let got: Vec<u64> = (17..=32)
            .map(|h| s.scheduled_producer(h).unwrap().id)
            .collect();
        assert_eq!(got, vec![3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
        assert_eq!(s.last_sprint_start().unwrap(), 29);
        assert!(matches!(
            s.scheduled_producer(16),
            Err(SpanError::NoSpan { height: 16 })
        ));
        assert!(matches!(
            s.scheduled_producer(33),
            Err(SpanError::NoSpan { height: 33 })
        ));
    }

    #[test]
    fn span_commits_carry_the_range_and_both_sets() {
        let s = span(17, 32, 4, vec![v(2, 1)]);
        let c = s.to_span_commit();
        assert_eq!((c.id, c.start_block, c.end_block), (3, 17, 32));
        assert_eq!(c.validators.len(), 3);
        assert_eq!(c.producers.len(), 1);
        assert_eq!(c.producers[0].signer.0, v(2, 1).signer.0);
        assert_eq!(c.producers[0].voting_power, 1);
    }

    #[test]
    fn malformed_spans_are_rejected() {
        span(17, 32, 4, vec![v(2, 1)]).validate().unwrap();
        assert!(span(17, 31, 4, vec![v(2, 1)]).validate().is_err());
        assert!(span(17, 16, 4, vec![v(2, 1)]).validate().is_err());
        assert!(span(0, 15, 4, vec![v(2, 1)]).validate().is_err());
        assert!(span(17, 32, 4, vec![]).validate().is_err());
        assert!(span(17, 32, 4, vec![v(9, 1)]).validate().is_err());
        assert!(span(17, 32, 4, vec![v(2, 1), v(2, 1)]).validate().is_err());
    }
}
