//! The span module's events.
//!
//! - `span.created {span_id, start_block, end_block, producers, seed, delivery_height}`:
//!   `producers` is the comma-separated signer list in rotation order, `seed` is `0x` hex.
//! - `span.backup_produced {span_id, bttc_height, scheduled, producer, missed_in_a_row,
//!   delivery_height}`: a backup sealed a slot; `missed_in_a_row` is the scheduled producer's
//!   counter after this miss.
//! - `span.producer_replaced {span_id, slot, replaced, replacement, from_block, missed_in_a_row}`:
//!   a standby owns the slot from `from_block` to the span's end.

use delivery_module::Event;

use crate::types::{Replacement, Span, SpanValidator};

/// `span.created`.
pub fn span_created(span: &Span) -> Event {
    Event::new("span.created")
        .attr("span_id", span.id)
        .attr("start_block", span.start_block)
        .attr("end_block", span.end_block)
        .attr(
            "producers",
            span.producers
                .iter()
                .map(|p| p.signer.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .attr("seed", format!("0x{}", hex::encode(span.seed)))
        .attr("delivery_height", span.created_at)
}

/// `span.backup_produced`.
pub fn backup_produced(
    span_id: u64,
    bttc_height: u64,
    scheduled: &SpanValidator,
    producer: &SpanValidator,
    missed_in_a_row: u64,
    delivery_height: u64,
) -> Event {
    Event::new("span.backup_produced")
        .attr("span_id", span_id)
        .attr("bttc_height", bttc_height)
        .attr("scheduled", scheduled.signer)
        .attr("producer", producer.signer)
        .attr("missed_in_a_row", missed_in_a_row)
        .attr("delivery_height", delivery_height)
}

/// `span.producer_replaced`.
pub fn producer_replaced(r: &Replacement, missed_in_a_row: u64) -> Event {
    Event::new("span.producer_replaced")
        .attr("span_id", r.span_id)
        .attr("slot", r.slot)
        .attr("replaced", r.replaced.signer)
        .attr("replacement", r.replacement.signer)
        .attr("from_block", r.from_block)
        .attr("missed_in_a_row", missed_in_a_row)
}
