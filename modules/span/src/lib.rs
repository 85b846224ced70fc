//! The span module: spans of BTTC blocks, seeded weighted producer selection, the sprint
//! schedule, and producer failover. See `docs/modules/span.md` for the full rules.
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! Params (JSON), the current validator list, every span by id, the latest span id, per-span
//! producer replacements, the failover clock (next BTTC height, Delivery height awaited since)
//! and per-producer missed-slot counters.
//!
//! # Rules
//!
//! - A span is `sprint_length * span_sprints` BTTC blocks (the genesis span 0:
//!   `first_span_sprints` sprints from block 1); ids are consecutive and ranges contiguous.
//! - Producers: `producer_count` distinct validators drawn by power from a 32-byte seed
//!   ([`select`]); the seed of span N+1 is [`span_seed`]`(N+1, hash of the Delivery block that
//!   creates it)`.
//! - Schedule: sprint `k` of a span belongs to `producers[k % producers.len()]` ([`schedule`]).
//! - Span N+1 is created by [`end_block`] in the Delivery block that finalizes the block just
//!   before span N's last sprint: a whole sprint ahead, with no message involved.
//! - Failover: a slot's scheduled producer is eligible at once; each `producer_timeout`
//!   Delivery heights without the block make the next entry of the backup order eligible. A
//!   producer whose own slots are sealed by backups `max_missed_slots` times in a row is
//!   replaced for the rest of the span by the highest-power standby.
//!
//! Msgs: none (spans are made by the app itself, never proposed). Events: [`event`].
//! Queries: [`query`]. Invariant: every BTTC height from 1 to the latest span's end is covered
//! by exactly one span, and the next BTTC height is always covered.
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `span: delivery_span::Genesis` to the app genesis and call
//!   [`SpanModule`]'s `validate_genesis` / `init_genesis` / `export_genesis` like auth and bank.
//!   The section lists params and validators `{id, signer, power}` (signer = the validator's
//!   secp256k1 signer address); span 0 is made at init. No validators = dormant module.
//! - **Producing** (the scheduled producer's node, after Commit of the Delivery block that
//!   finalized `h - 1`): `h = `[`next_bttc_height`]`(state)`; build if our signer is in
//!   [`eligible_producers`]`(state, h, D)` for the upcoming Delivery height `D`;
//!   `PayloadAttributes { producer, span_commit: `[`span_commit_at`]`(state, h)?, .. }`.
//! - **ProcessProposal** (Delivery height `D`, proposal carrying payload `h` sealed by `p`):
//!   [`check_bttc_block`]`(state, h, &p, D)` (rejects a wrong height or a producer not yet
//!   eligible), and require `payload.span_commit == `[`span_commit_at`]`(state, h)?`.
//! - **FinalizeBlock** (Delivery height `D`, every block, after the payload tx): call
//!   [`end_block`] with [`BlockInput`]` { delivery_height: D, delivery_block_hash:
//!   &req.hash, bttc_block: Some(BttcBlock { height, producer }) or None, validators:
//!   &state::validators(state)? }` and emit the returned events. It repeats the eligibility
//!   check; a failure there means ProcessProposal was skipped or differs, and (being
//!   deterministic) should fail the payload tx, not halt.
//! - **Queries**: route `custom/span/<path>` to [`SpanModule`]'s `query`.
//! - The `producer` of a [`BttcBlock`] is the signer recovered from the payload's seal (the
//!   engine requires it to equal `fee_recipient`). CometBFT must make empty blocks
//!   (`create_empty_blocks = true`, its default): the failover clock counts Delivery heights,
//!   and a silent producer sends no transaction to wake the chain.
//!
//! Errors: [`SpanError::Store`] is fatal; every other variant is a deterministic rejection with
//! a stable code in codespace `span` (`From<SpanError> for ExecError` does that split).

pub mod block;
pub mod error;
pub mod event;
pub mod genesis;
pub mod params;
pub mod query;
pub mod schedule;
pub mod select;
pub mod state;
pub mod state_key;
pub mod types;

pub use block::{
    check_bttc_block, create_next_span, end_block, maybe_create_next_span, next_bttc_height,
    next_span_due, record_block, BlockInput,
};
pub use error::SpanError;
pub use genesis::{genesis_span, Genesis, SpanModule};
pub use params::Params;
pub use schedule::{
    backup_order, eligible_producers, producer_at, span_commit_at, standby_for, ScheduledProducer,
};
pub use select::{genesis_seed, select_producers, span_seed};
pub use state::{MissedCount, Slot};
pub use types::{validate_validators, BttcBlock, Replacement, Span, SpanValidator};
