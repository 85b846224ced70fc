//! `custom/span/<path>` queries. Answers are JSON; numeric arguments are decimal text.
//!
//! - `span` (data: span id) → `{span, replacements}`
//! - `latest-span` → `{span, replacements}`
//! - `producer-at` (data: BTTC height) → `{height, span_id, sprint, slot, producer, drawn,
//!   next_height, failover}`; `failover` is set when `height` is the next BTTC height:
//!   `{waiting_since, producer_timeout, backup_order}` (at Delivery height `D` the first
//!   `1 + (D - waiting_since) / producer_timeout` entries may seal it; `waiting_since` 0 means
//!   the clock starts at the next Delivery block)
//! - `params` → the params
//! - `validators` → the current validator list

use delivery_module::ExecError;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::error::{Result, SpanError};
use crate::schedule::{self, ScheduledProducer};
use crate::state;
use crate::types::{Replacement, Span, SpanValidator};

/// A span with its replacements.
#[derive(Debug, Serialize)]
pub struct SpanAnswer {
    /// The span as created.
    pub span: Span,
    /// Its producer replacements so far.
    pub replacements: Vec<Replacement>,
}

/// The failover view of the next BTTC height.
#[derive(Debug, Serialize)]
pub struct Failover {
    /// Delivery height since which the block is awaited (0: from the next Delivery block).
    pub waiting_since: u64,
    /// The producer timeout param.
    pub producer_timeout: u64,
    /// Scheduled producer first, then the backups in the order they become eligible.
    pub backup_order: Vec<SpanValidator>,
}

/// The answer of `producer-at`.
#[derive(Debug, Serialize)]
pub struct ProducerAnswer {
    /// Where the producer comes from.
    #[serde(flatten)]
    pub scheduled: ScheduledProducer,
    /// The next BTTC height Delivery expects.
    pub next_height: u64,
    /// Set when `height == next_height`.
    pub failover: Option<Failover>,
}

fn parse_u64(what: &str, data: &[u8]) -> Result<u64> {
    let text = std::str::from_utf8(data)
        .map_err(|_| SpanError::BadQuery(format!("{what} is not UTF-8 text")))?
        .trim();
    text.parse().map_err(|_| {
        SpanError::BadQuery(format!(
            "{what} {:?}: expected a decimal number",
            text.chars().take(32).collect::<String>()
        ))
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| SpanError::Store(StoreError::Backend(format!("cannot encode answer: {e}"))))
}

fn span_answer<S: StateRead + ?Sized>(state: &S, span: Span) -> Result<Vec<u8>> {
    let replacements = state::replacements(state, span.id)?;
    to_json(&SpanAnswer { span, replacements })
}

/// The `producer-at` answer for BTTC height `height`.
pub fn producer_answer<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<ProducerAnswer> {
    let span = state::span_at(state, height)?.ok_or(SpanError::NoSpan { height })?;
    let replacements = state::replacements(state, span.id)?;
    let scheduled = schedule::scheduled_in(&span, &replacements, height)?;
    let slot = state::slot(state)?.ok_or(SpanError::Dormant)?;
    let failover = if slot.next_height == height {
        Some(Failover {
            waiting_since: slot.waiting_since,
            producer_timeout: state::params(state)?.producer_timeout,
            backup_order: schedule::backup_order(&span, &replacements, height)?,
        })
    } else {
        None
    };
    Ok(ProducerAnswer {
        scheduled,
        next_height: slot.next_height,
        failover,
    })
}

fn answer<S: StateRead + ?Sized>(state: &S, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>> {
    Ok(Some(match path {
        "span" => {
            let id = parse_u64("span id", data)?;
            span_answer(state, state::require_span(state, id)?)?
        }
        "latest-span" => span_answer(state, state::latest_span(state)?.ok_or(SpanError::Dormant)?)?,
        "producer-at" => to_json(&producer_answer(state, parse_u64("BTTC height", data)?)?)?,
        "params" => to_json(&state::params(state)?)?,
        "validators" => to_json(&state::validators(state)?)?,
        _ => return Ok(None),
    }))
}

/// Answers `custom/span/<path>`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, ExecError> {
    match answer(state, path, data)? {
        Some(bytes) => Ok(bytes),
        None => Err(delivery_module::module::unknown_query("span", path)),
    }
}
