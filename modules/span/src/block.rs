//! The per-block state machine: recording BTTC blocks, failover and replacement, and creating the
//! next span ahead of time.
//!
//! Driven by the app once per Delivery block through [`end_block`] (or the pieces it is made of:
//! [`record_block`], [`maybe_create_next_span`]); ProcessProposal calls the read-only
//! [`check_bttc_block`], the same check [`record_block`] repeats.

use delivery_module::crypto::Address;
use delivery_module::Event;
use delivery_store::{StateRead, StateWrite};

use crate::error::{Result, SpanError};
use crate::event;
use crate::schedule::{self, eligible_producers};
use crate::select::{select_producers, span_seed};
use crate::state::{self, Slot};
use crate::types::{BttcBlock, Replacement, Span, SpanValidator};

/// What the app tells the span module about one Delivery block, in FinalizeBlock.
#[derive(Debug, Clone, Copy)]
pub struct BlockInput<'a> {
    /// The Delivery height being finalized.
    pub delivery_height: u64,
    /// The Delivery block's hash (`RequestFinalizeBlock.hash`): the seed source of a span
    /// created in this block.
    pub delivery_block_hash: &'a [u8],
    /// The BTTC block this Delivery block carried, if any (at most one).
    pub bttc_block: Option<BttcBlock>,
    /// The current validator list, from which a span created in this block is drawn (until a
    /// staking module exists: [`crate::state::validators`]).
    pub validators: &'a [SpanValidator],
}

/// The next BTTC height Delivery expects (last finalized + 1), or [`SpanError::Dormant`].
pub fn next_bttc_height<S: StateRead + ?Sized>(state: &S) -> Result<u64> {
    Ok(state::slot(state)?.ok_or(SpanError::Dormant)?.next_height)
}

/// Checks that `producer` may seal BTTC block `height` in a proposal at `delivery_height`:
/// `height` is the next height and `producer` is among [`eligible_producers`]. Read-only: this is
/// ProcessProposal's check, and [`record_block`] repeats it.
pub fn check_bttc_block<S: StateRead + ?Sized>(
    state: &S,
    height: u64,
    producer: &Address,
    delivery_height: u64,
) -> Result<()> {
    let eligible = eligible_producers(state, height, delivery_height)?;
    if eligible.contains(producer) {
        Ok(())
    } else {
        Err(SpanError::NotEligible {
            height,
            producer: *producer,
            delivery_height,
            eligible,
        })
    }
}

/// Records that Delivery block `delivery_height` finalized BTTC block `bttc_height` sealed by
/// `producer` (FinalizeBlock). Re-checks [`check_bttc_block`]; then:
///
/// - at the first block of a span, every missed-slot counter is cleared;
/// - the block's producer's counter is reset (it is alive);
/// - if the producer is not the scheduled one, the scheduled producer missed its slot: its
///   counter goes up by one and `span.backup_produced` is emitted; at `max_missed_slots` it is
///   replaced by [`schedule::standby_for`] from `bttc_height + 1` to the span's end
///   (`span.producer_replaced`), unless the span ends here or no standby is left;
/// - the failover clock moves to `bttc_height + 1`, awaited since `delivery_height + 1`.
pub fn record_block<S: StateWrite + ?Sized>(
    state: &mut S,
    bttc_height: u64,
    producer: &Address,
    delivery_height: u64,
) -> Result<Vec<Event>> {
    check_bttc_block(state, bttc_height, producer, delivery_height)?;
    let params = state::params(state)?;
    let span = state::span_at(state, bttc_height)?.ok_or(SpanError::NoSpan {
        height: bttc_height,
    })?;
    if bttc_height == span.start_block {
        state::clear_missed(state)?;
    }
    let replacements = state::replacements(state, span.id)?;
    let scheduled = schedule::scheduled_in(&span, &replacements, bttc_height)?;
    let author = span
        .validators
        .iter()
        .find(|v| v.signer == *producer)
        .copied()
        .ok_or(SpanError::NotEligible {
            height: bttc_height,
            producer: *producer,
            delivery_height,
            eligible: Vec::new(),
        })?;
    state::set_missed(state, author.id, 0);
    let mut events = Vec::new();
    if author.id != scheduled.producer.id {
        let missed = state::missed(state, scheduled.producer.id)?
            .checked_add(1)
            .ok_or(SpanError::Overflow("missed slots"))?;
        events.push(event::backup_produced(
            span.id,
            bttc_height,
            &scheduled.producer,
            &author,
            missed,
            delivery_height,
        ));
        let mut replaced = false;
        if missed >= params.max_missed_slots && bttc_height < span.end_block {
            let from_block = bttc_height
                .checked_add(1)
                .ok_or(SpanError::Overflow("from block"))?;
            if let Some(standby) = schedule::standby_for(&span, &replacements, from_block) {
                let r = Replacement {
                    span_id: span.id,
                    slot: scheduled.slot,
                    replaced: scheduled.producer,
                    replacement: standby,
                    from_block,
                };
                state::push_replacement(state, &r)?;
                events.push(event::producer_replaced(&r, missed));
                state::set_missed(state, scheduled.producer.id, 0);
                replaced = true;
            }
        }
        if !replaced {
            state::set_missed(state, scheduled.producer.id, missed);
        }
    }
    state::set_slot(
        state,
        &Slot {
            next_height: bttc_height
                .checked_add(1)
                .ok_or(SpanError::Overflow("next BTTC height"))?,
            waiting_since: delivery_height
                .checked_add(1)
                .ok_or(SpanError::Overflow("next Delivery height"))?,
        },
    );
    Ok(events)
}

/// Creates the span after the latest one: id + 1, starting right after it, `span_sprints`
/// sprints long, the validators sorted by id, producers drawn from `seed` ([`select_producers`]).
/// Writes it and makes it the latest. `delivery_height` is recorded as `created_at`.
pub fn create_next_span<S: StateWrite + ?Sized>(
    state: &mut S,
    validators: &[SpanValidator],
    seed: [u8; 32],
    delivery_height: u64,
) -> Result<Span> {
    let params = state::params(state)?;
    let latest = state::latest_span(state)?.ok_or(SpanError::Dormant)?;
    let start_block = latest
        .end_block
        .checked_add(1)
        .ok_or(SpanError::Overflow("span start"))?;
    let end_block = start_block
        .checked_add(params.span_length()?)
        .and_then(|e| e.checked_sub(1))
        .ok_or(SpanError::Overflow("span end"))?;
    let span = Span {
        id: latest
            .id
            .checked_add(1)
            .ok_or(SpanError::Overflow("span id"))?,
        start_block,
        end_block,
        sprint_length: params.sprint_length,
        validators: crate::types::validate_validators(validators)?,
        producers: select_producers(validators, &seed, params.producer_count)?,
        seed,
        created_at: delivery_height,
    };
    state::put_span(state, &span);
    state::set_latest_span_id(state, span.id);
    Ok(span)
}

/// Whether the span after `latest` is due: the next BTTC block (`last_bttc_height + 1`) is in
/// `latest`'s last sprint or beyond.
pub fn next_span_due(latest: &Span, last_bttc_height: u64) -> Result<bool> {
    let next = last_bttc_height
        .checked_add(1)
        .ok_or(SpanError::Overflow("next BTTC height"))?;
    Ok(next >= latest.last_sprint_start()?)
}

/// Creates span N+1 when it is due ([`next_span_due`]): in the Delivery block that finalizes the
/// block just before span N's last sprint, one whole sprint before span N+1 starts, so its first
/// producer knows the span (and the span commit to carry) well before its turn. The seed is
/// [`span_seed`]`(N + 1, delivery_block_hash)`. Returns the new span, or `None` when not due (or
/// when the module is dormant).
pub fn maybe_create_next_span<S: StateWrite + ?Sized>(
    state: &mut S,
    last_bttc_height: u64,
    validators: &[SpanValidator],
    delivery_block_hash: &[u8],
    delivery_height: u64,
) -> Result<Option<Span>> {
    let Some(latest) = state::latest_span(state)? else {
        return Ok(None);
    };
    if !next_span_due(&latest, last_bttc_height)? {
        return Ok(None);
    }
    let id = latest
        .id
        .checked_add(1)
        .ok_or(SpanError::Overflow("span id"))?;
    let seed = span_seed(id, delivery_block_hash);
    create_next_span(state, validators, seed, delivery_height).map(Some)
}

/// The span module's FinalizeBlock step, once per Delivery block, after the block's BTTC payload
/// passed the engine: records the BTTC block (if any), starts the failover clock on the first
/// Delivery block, and creates the next span when due. Returns the events, in order. A dormant
/// module (no validators in genesis) refuses BTTC blocks and otherwise does nothing.
pub fn end_block<S: StateWrite + ?Sized>(
    state: &mut S,
    input: &BlockInput<'_>,
) -> Result<Vec<Event>> {
    let Some(slot) = state::slot(state)? else {
        return match input.bttc_block {
            Some(_) => Err(SpanError::Dormant),
            None => Ok(Vec::new()),
        };
    };
    let mut events = Vec::new();
    match input.bttc_block {
        Some(block) => {
            events.extend(record_block(
                state,
                block.height,
                &block.producer,
                input.delivery_height,
            )?);
        }
        None if slot.waiting_since == 0 => {
            state::set_slot(
                state,
                &Slot {
                    waiting_since: input.delivery_height,
                    ..slot
                },
            );
        }
        None => {}
    }
    let last_bttc_height = next_bttc_height(state)?
        .checked_sub(1)
        .ok_or(SpanError::Overflow("last BTTC height"))?;
    if let Some(span) = maybe_create_next_span(
        state,
        last_bttc_height,
        input.validators,
        input.delivery_block_hash,
        input.delivery_height,
    )? {
        events.push(event::span_created(&span));
    }
    Ok(events)
}
