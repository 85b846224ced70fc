//! Who produces BTTC block `h`: the sprint schedule, replacements, and the failover order.
//!
//! - The *drawn* producer of `h` is `span.producers[sprint(h) % producers.len()]`, where
//!   `sprint(h) = (h - span.start_block) / span.sprint_length`.
//! - The producer *in force* is the drawn one unless its slot was taken over by a standby with
//!   `from_block <= h` (a [`Replacement`]).
//! - The *backup order* of `h` is the producers in force, rotated to start at `h`'s slot, then
//!   the span's other validators by power (highest first, lowest id on ties), then the producers
//!   replaced earlier in the span (same order). Entry 0 is the scheduled producer.
//! - At Delivery height `D`, waiting for `h` since Delivery height `W`, the first
//!   `1 + (D - W) / producer_timeout` entries of the backup order are eligible.

use std::collections::BTreeSet;

use delivery_module::crypto::Address;
use delivery_store::StateRead;

use crate::error::{Result, SpanError};
use crate::state;
use crate::types::{Replacement, Span, SpanValidator};

/// The producer of a BTTC height, with where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScheduledProducer {
    /// The BTTC height.
    pub height: u64,
    /// The span covering it.
    pub span_id: u64,
    /// The sprint index within the span.
    pub sprint: u64,
    /// The producer slot (index into the span's drawn producers).
    pub slot: u32,
    /// The producer in force (after replacements).
    pub producer: SpanValidator,
    /// The producer drawn for the slot.
    pub drawn: SpanValidator,
}

/// The producers in force at `height`: the drawn list with every replacement whose
/// `from_block <= height` applied, in order.
pub fn producers_in_force(
    span: &Span,
    replacements: &[Replacement],
    height: u64,
) -> Vec<SpanValidator> {
    let mut out = span.producers.clone();
    for r in replacements {
        if r.span_id == span.id && r.from_block <= height {
            if let Some(entry) = usize::try_from(r.slot).ok().and_then(|i| out.get_mut(i)) {
                *entry = r.replacement;
            }
        }
    }
    out
}

/// Validators sorted for standby duty: power descending, then id ascending.
fn by_standby_rank(mut vals: Vec<SpanValidator>) -> Vec<SpanValidator> {
    vals.sort_by(|a, b| b.power.cmp(&a.power).then(a.id.cmp(&b.id)));
    vals
}

/// The standby that would take over a slot at `height`: the highest-power validator of the
/// span's set that neither produces at `height` nor was replaced earlier in the span (lowest id
/// on ties). `None` when every validator is producing or was replaced.
pub fn standby_for(
    span: &Span,
    replacements: &[Replacement],
    height: u64,
) -> Option<SpanValidator> {
    let in_force: BTreeSet<u64> = producers_in_force(span, replacements, height)
        .iter()
        .map(|v| v.id)
        .collect();
    let replaced: BTreeSet<u64> = replacements
        .iter()
        .filter(|r| r.span_id == span.id)
        .map(|r| r.replaced.id)
        .collect();
    by_standby_rank(
        span.validators
            .iter()
            .filter(|v| !in_force.contains(&v.id) && !replaced.contains(&v.id))
            .copied()
            .collect(),
    )
    .into_iter()
    .next()
}

/// The backup order of `height` (entry 0 is the scheduled producer; see the module doc).
pub fn backup_order(
    span: &Span,
    replacements: &[Replacement],
    height: u64,
) -> Result<Vec<SpanValidator>> {
    let in_force = producers_in_force(span, replacements, height);
    let slot = span.slot_of(height)?;
    let n = in_force.len();
    let mut order = Vec::with_capacity(span.validators.len());
    let mut seen = BTreeSet::new();
    for i in 0..n {
        let index = slot
            .checked_add(i)
            .and_then(|x| x.checked_rem(n))
            .ok_or(SpanError::Overflow("rotation"))?;
        if let Some(v) = in_force.get(index) {
            if seen.insert(v.id) {
                order.push(*v);
            }
        }
    }
    let replaced: BTreeSet<u64> = replacements
        .iter()
        .filter(|r| r.span_id == span.id && r.from_block <= height)
        .map(|r| r.replaced.id)
        .collect();
    let (late, standby): (Vec<SpanValidator>, Vec<SpanValidator>) = span
        .validators
        .iter()
        .filter(|v| !seen.contains(&v.id))
        .copied()
        .partition(|v| replaced.contains(&v.id));
    for v in by_standby_rank(standby)
        .into_iter()
        .chain(by_standby_rank(late))
    {
        if seen.insert(v.id) {
            order.push(v);
        }
    }
    Ok(order)
}

/// How many entries of the backup order are eligible at Delivery height `delivery_height` when
/// the slot has been awaited since `waiting_since` (0 = since `delivery_height` itself).
pub fn eligible_count(
    order_len: usize,
    waiting_since: u64,
    delivery_height: u64,
    producer_timeout: u64,
) -> Result<usize> {
    let since = if waiting_since == 0 {
        delivery_height
    } else {
        waiting_since
    };
    // A Delivery height before the clock started (possible only after an odd genesis import)
    // counts as no wait at all.
    let elapsed = delivery_height.saturating_sub(since);
    let backups = elapsed
        .checked_div(producer_timeout)
        .ok_or(SpanError::Overflow("producer_timeout is 0"))?;
    let count = backups.saturating_add(1);
    Ok(usize::try_from(count).unwrap_or(usize::MAX).min(order_len))
}

/// The producer of BTTC block `height`, with its span, sprint and slot.
pub fn producer_at<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<ScheduledProducer> {
    let span = state::span_at(state, height)?.ok_or(SpanError::NoSpan { height })?;
    let replacements = state::replacements(state, span.id)?;
    scheduled_in(&span, &replacements, height)
}

/// [`producer_at`] on an already loaded span.
pub fn scheduled_in(
    span: &Span,
    replacements: &[Replacement],
    height: u64,
) -> Result<ScheduledProducer> {
    let slot = span.slot_of(height)?;
    let in_force = producers_in_force(span, replacements, height);
    let producer = *in_force.get(slot).ok_or(SpanError::Overflow("slot"))?;
    let drawn = *span
        .producers
        .get(slot)
        .ok_or(SpanError::Overflow("slot"))?;
    Ok(ScheduledProducer {
        height,
        span_id: span.id,
        sprint: span.sprint_of(height)?,
        slot: u32::try_from(slot).map_err(|_| SpanError::Overflow("slot"))?,
        producer,
        drawn,
    })
}

/// The signers that may seal BTTC block `next_bttc_height` in a proposal at Delivery height
/// `delivery_height`, in backup order (scheduled producer first). `next_bttc_height` must be the
/// next height Delivery expects ([`crate::next_bttc_height`]).
pub fn eligible_producers<S: StateRead + ?Sized>(
    state: &S,
    next_bttc_height: u64,
    delivery_height: u64,
) -> Result<Vec<Address>> {
    let slot = state::slot(state)?.ok_or(SpanError::Dormant)?;
    if next_bttc_height != slot.next_height {
        return Err(SpanError::UnexpectedHeight {
            expected: slot.next_height,
            found: next_bttc_height,
        });
    }
    let span = state::span_at(state, next_bttc_height)?.ok_or(SpanError::NoSpan {
        height: next_bttc_height,
    })?;
    let replacements = state::replacements(state, span.id)?;
    let order = backup_order(&span, &replacements, next_bttc_height)?;
    let params = state::params(state)?;
    let count = eligible_count(
        order.len(),
        slot.waiting_since,
        delivery_height,
        params.producer_timeout,
    )?;
    Ok(order.iter().take(count).map(|v| v.signer).collect())
}

/// The span commit that BTTC block `height` must carry: `Some` when a span starts at `height`
/// (the app puts it into `PayloadAttributes::span_commit` and ProcessProposal compares it with
/// the payload's), `None` otherwise.
pub fn span_commit_at<S: StateRead + ?Sized>(
    state: &S,
    height: u64,
) -> Result<Option<bttc_engine_api::SpanCommit>> {
    Ok(state::span_at(state, height)?
        .filter(|s| s.start_block == height)
        .map(|s| s.to_span_commit()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn v(id: u64, power: u64) -> SpanValidator {
        let mut signer = [0x22u8; 20];
        signer[..8].copy_from_slice(&id.to_be_bytes());
        SpanValidator {
            id,
            signer: Address(signer),
            power,
        }
    }

    fn span() -> Span {
        Span {
            id: 1,
            start_block: 9,
            end_block: 24,
            sprint_length: 4,
            validators: vec![v(1, 10), v(2, 50), v(3, 30), v(4, 30), v(5, 5)],
            producers: vec![v(2, 50), v(1, 10)],
            seed: [0; 32],
            created_at: 3,
        }
    }

    fn ids(vs: &[SpanValidator]) -> Vec<u64> {
        vs.iter().map(|v| v.id).collect()
    }

    #[test]
    fn the_backup_order_rotates_producers_then_ranks_standbys_by_power_then_id() {
        let s = span();
        // Block 13 is sprint 1: slot 1 (validator 1) first, then 2, then 3 and 4 (power 30,
        // id breaks the tie), then 5.
        assert_eq!(
            ids(&backup_order(&s, &[], 13).unwrap()),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(ids(&backup_order(&s, &[], 9).unwrap()), vec![2, 1, 3, 4, 5]);
        assert_eq!(standby_for(&s, &[], 9).unwrap().id, 3);
    }

    #[test]
    fn replacements_apply_from_their_block_and_push_the_replaced_to_the_end() {
        let s = span();
        let r = Replacement {
            span_id: 1,
            slot: 0,
            replaced: v(2, 50),
            replacement: v(3, 30),
            from_block: 12,
        };
        assert_eq!(scheduled_in(&s, &[r], 11).unwrap().producer.id, 2);
        let at12 = scheduled_in(&s, &[r], 12).unwrap();
        assert_eq!((at12.producer.id, at12.drawn.id), (3, 2));
        // Sprint 2 (blocks 17..=20) is slot 0 again: still the standby.
        assert_eq!(scheduled_in(&s, &[r], 17).unwrap().producer.id, 3);
        assert_eq!(
            ids(&backup_order(&s, &[r], 17).unwrap()),
            vec![3, 1, 4, 5, 2]
        );
        // The next standby skips the replaced validator and the producers in force.
        assert_eq!(standby_for(&s, &[r], 17).unwrap().id, 4);
    }

    #[test]
    fn eligibility_grows_by_one_backup_per_timeout() {
        // Waiting since Delivery height 10 with timeout 3.
        let counts: Vec<usize> = (10..=20)
            .map(|d| eligible_count(4, 10, d, 3).unwrap())
            .collect();
        assert_eq!(counts, vec![1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]);
        // waiting_since 0 means "since now"; a height before the clock counts as no wait.
        assert_eq!(eligible_count(4, 0, 100, 3).unwrap(), 1);
        assert_eq!(eligible_count(4, 50, 10, 3).unwrap(), 1);
        assert_eq!(eligible_count(4, 1, u64::MAX, 1).unwrap(), 4);
    }
}
