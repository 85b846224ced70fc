//! Span parameters (changeable by governance; stored as JSON under `span/params`).
//!
//! A change applies to spans created after it: each span records its own sprint length, so the
//! schedule of a span never moves under it. `producer_timeout` and `max_missed_slots` are read
//! when they are used.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SpanError};

/// The largest sprint, in BTTC blocks.
pub const MAX_SPRINT_LENGTH: u64 = 65_536;
/// The most sprints in a span.
pub const MAX_SPAN_SPRINTS: u64 = 10_000;
/// The most producers drawn for a span.
pub const MAX_PRODUCER_COUNT: u32 = 128;
/// The longest producer timeout, in Delivery heights.
pub const MAX_PRODUCER_TIMEOUT: u64 = 10_000;
/// The largest span, in BTTC blocks (about 23 days of 2-second blocks).
pub const MAX_SPAN_BLOCKS: u64 = 1_000_000;

/// Span, sprint, producer and failover parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// BTTC blocks per sprint: one producer makes a whole sprint.
    pub sprint_length: u64,
    /// Sprints per span (every span after the genesis span).
    pub span_sprints: u64,
    /// Sprints in the genesis span (span 0, whose producers come from a fixed seed).
    pub first_span_sprints: u64,
    /// Producers drawn per span (fewer if the validator set is smaller).
    pub producer_count: u32,
    /// Delivery heights to wait for a slot's block before the next backup becomes eligible.
    pub producer_timeout: u64,
    /// Slots a producer may miss in a row before a standby replaces it for the rest of the span.
    pub max_missed_slots: u64,
}

impl Default for Params {
    /// Mainnet values. Sprint 64 and span 100 sprints are BTTC's (6,400 blocks, ~3.6 hours of
    /// 2-second blocks). Four producers is heimdall's default: each produces 25 sprints a span,
    /// and four nodes must be online and hold the tx pool rather than all validators. The genesis
    /// span is short (4 sprints, 256 blocks, like heimdall's first span) because its producers
    /// come from a public fixed seed. A timeout of 5 Delivery heights (~10 s) lets a producer
    /// that saw the previous block commit build, seal and gossip its payload with room to spare.
    /// Eight misses in a row (~80 s of slow blocks) tolerate a node restart, not an outage.
    fn default() -> Self {
        Self {
            sprint_length: 64,
            span_sprints: 100,
            first_span_sprints: 4,
            producer_count: 4,
            producer_timeout: 5,
            max_missed_slots: 8,
        }
    }
}

impl Params {
    /// Small values for localnets and tests: sprint 4, span 16 blocks, genesis span 8 blocks.
    pub fn localnet() -> Self {
        Self {
            sprint_length: 4,
            span_sprints: 4,
            first_span_sprints: 2,
            producer_count: 4,
            producer_timeout: 3,
            max_missed_slots: 4,
        }
    }

    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(SpanError::InvalidParams(m));
        if !(1..=MAX_SPRINT_LENGTH).contains(&self.sprint_length) {
            return bad(format!(
                "sprint_length {} is outside 1..={MAX_SPRINT_LENGTH}",
                self.sprint_length
            ));
        }
        if !(1..=MAX_SPAN_SPRINTS).contains(&self.span_sprints) {
            return bad(format!(
                "span_sprints {} is outside 1..={MAX_SPAN_SPRINTS}",
                self.span_sprints
            ));
        }
        if !(1..=MAX_SPAN_SPRINTS).contains(&self.first_span_sprints) {
            return bad(format!(
                "first_span_sprints {} is outside 1..={MAX_SPAN_SPRINTS}",
                self.first_span_sprints
            ));
        }
        for (name, sprints) in [
            ("span", self.span_sprints),
            ("first span", self.first_span_sprints),
        ] {
            let blocks = self.sprint_length.checked_mul(sprints);
            if blocks.is_none_or(|b| b > MAX_SPAN_BLOCKS) {
                return bad(format!(
                    "{name} of {sprints} sprints of {} blocks exceeds {MAX_SPAN_BLOCKS} blocks",
                    self.sprint_length
                ));
            }
        }
        if !(1..=MAX_PRODUCER_COUNT).contains(&self.producer_count) {
            return bad(format!(
                "producer_count {} is outside 1..={MAX_PRODUCER_COUNT}",
                self.producer_count
            ));
        }
        if !(1..=MAX_PRODUCER_TIMEOUT).contains(&self.producer_timeout) {
            return bad(format!(
                "producer_timeout {} is outside 1..={MAX_PRODUCER_TIMEOUT} Delivery heights",
                self.producer_timeout
            ));
        }
        if !(1..=MAX_SPAN_BLOCKS).contains(&self.max_missed_slots) {
            return bad(format!(
                "max_missed_slots {} is outside 1..={MAX_SPAN_BLOCKS}",
                self.max_missed_slots
            ));
        }
        Ok(())
    }

    /// BTTC blocks in a regular span (`sprint_length * span_sprints`).
    pub fn span_length(&self) -> Result<u64> {
        self.sprint_length
            .checked_mul(self.span_sprints)
            .ok_or(SpanError::Overflow("span length"))
    }

    /// BTTC blocks in the genesis span (`sprint_length * first_span_sprints`).
    pub fn first_span_length(&self) -> Result<u64> {
        self.sprint_length
            .checked_mul(self.first_span_sprints)
            .ok_or(SpanError::Overflow("first span length"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_localnet_values_are_valid() {
        Params::default().validate().unwrap();
        Params::localnet().validate().unwrap();
        assert_eq!(Params::default().span_length().unwrap(), 6_400);
        assert_eq!(Params::localnet().span_length().unwrap(), 16);
    }

    #[test]
    fn zero_and_oversized_values_are_rejected() {
        let cases: Vec<fn(&mut Params)> = vec![
            |p| p.sprint_length = 0,
            |p| p.span_sprints = 0,
            |p| p.first_span_sprints = 0,
            |p| p.producer_count = 0,
            |p| p.producer_timeout = 0,
            |p| p.max_missed_slots = 0,
            |p| p.sprint_length = MAX_SPRINT_LENGTH + 1,
            |p| p.producer_count = MAX_PRODUCER_COUNT + 1,
            |p| {
                p.sprint_length = MAX_SPRINT_LENGTH;
                p.span_sprints = MAX_SPAN_SPRINTS;
            },
        ];
        for (i, mutate) in cases.into_iter().enumerate() {
            let mut p = Params::default();
            mutate(&mut p);
            assert!(
                matches!(p.validate(), Err(SpanError::InvalidParams(_))),
                "case {i}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_rejected_in_json() {
        let mut v = serde_json::to_value(Params::default()).unwrap();
        v["sprint"] = 3.into();
        assert!(serde_json::from_value::<Params>(v).is_err());
    }
}
