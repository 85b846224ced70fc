//! Reading and writing the span module's state (the keeper). Keys are in [`crate::state_key`].
//!
//! Records are protobuf (prost, deterministic for these types: no maps); params are JSON like
//! every module's params. A record that fails to decode is a corrupt store: a [`StoreError`],
//! fatal for the node.

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SpanError};
use crate::params::Params;
use crate::state_key;
use crate::types::{Replacement, Span, SpanValidator};

/// A validator on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ValidatorRecord {
    /// Validator id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// 20-byte signer address.
    #[prost(bytes = "vec", tag = "2")]
    pub signer: Vec<u8>,
    /// Voting power.
    #[prost(uint64, tag = "3")]
    pub power: u64,
}

/// A validator list on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ValidatorList {
    /// The validators, sorted by id.
    #[prost(message, repeated, tag = "1")]
    pub validators: Vec<ValidatorRecord>,
}

/// A span on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SpanRecord {
    /// Span id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// First BTTC block.
    #[prost(uint64, tag = "2")]
    pub start_block: u64,
    /// Last BTTC block.
    #[prost(uint64, tag = "3")]
    pub end_block: u64,
    /// Sprint length of this span.
    #[prost(uint64, tag = "4")]
    pub sprint_length: u64,
    /// Validator set snapshot.
    #[prost(message, repeated, tag = "5")]
    pub validators: Vec<ValidatorRecord>,
    /// Producers in rotation order.
    #[prost(message, repeated, tag = "6")]
    pub producers: Vec<ValidatorRecord>,
    /// 32-byte seed.
    #[prost(bytes = "vec", tag = "7")]
    pub seed: Vec<u8>,
    /// Creating Delivery height.
    #[prost(uint64, tag = "8")]
    pub created_at: u64,
}

/// A replacement on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ReplacementRecord {
    /// Producer slot.
    #[prost(uint32, tag = "1")]
    pub slot: u32,
    /// The replaced producer.
    #[prost(message, optional, tag = "2")]
    pub replaced: Option<ValidatorRecord>,
    /// The standby.
    #[prost(message, optional, tag = "3")]
    pub replacement: Option<ValidatorRecord>,
    /// First BTTC block the standby owns.
    #[prost(uint64, tag = "4")]
    pub from_block: u64,
}

/// A span's replacements on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ReplacementList {
    /// In the order they happened (increasing `from_block`).
    #[prost(message, repeated, tag = "1")]
    pub entries: Vec<ReplacementRecord>,
}

/// The failover clock on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SlotRecord {
    /// The next BTTC height.
    #[prost(uint64, tag = "1")]
    pub next_height: u64,
    /// The Delivery height since which it is awaited (0: since the first Delivery block).
    #[prost(uint64, tag = "2")]
    pub waiting_since: u64,
}

/// The failover clock: which BTTC block Delivery waits for, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// The next BTTC height (the last finalized one plus one).
    pub next_height: u64,
    /// The first Delivery height that could carry it (the Delivery height after the one that
    /// finalized `next_height - 1`); 0 means "the first Delivery block" (a new chain).
    pub waiting_since: u64,
}

/// A missed-slot counter (genesis export).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedCount {
    /// The producer's validator id.
    pub validator_id: u64,
    /// Its own slots missed in a row in the current span.
    pub missed: u64,
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt span state ({what}): {detail}"))
}

fn to_record(v: &SpanValidator) -> ValidatorRecord {
    ValidatorRecord {
        id: v.id,
        signer: v.signer.as_bytes().to_vec(),
        power: v.power,
    }
}

fn from_record(r: &ValidatorRecord) -> Result<SpanValidator, StoreError> {
    Ok(SpanValidator {
        id: r.id,
        signer: Address::from_slice(&r.signer).map_err(|e| corrupt("validator signer", e))?,
        power: r.power,
    })
}

fn from_records(rs: &[ValidatorRecord]) -> Result<Vec<SpanValidator>, StoreError> {
    rs.iter().map(from_record).collect()
}

/// The span params (genesis always writes them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params> {
    codec::get_json(state, state_key::PARAMS)?
        .ok_or_else(|| StoreError::Backend("span params missing from state".into()).into())
}

/// Writes the span params after validating them.
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<()> {
    params.validate()?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The current validator list, sorted by id (empty before genesis or in a dormant module).
pub fn validators<S: StateRead + ?Sized>(state: &S) -> Result<Vec<SpanValidator>> {
    let list: Option<ValidatorList> = codec::get(state, state_key::VALIDATORS)?;
    Ok(match list {
        None => Vec::new(),
        Some(list) => from_records(&list.validators)?,
    })
}

/// Replaces the current validator list (checked; stored sorted by id). Spans already created
/// keep their snapshot; the next span is drawn from the list the app passes then.
pub fn set_validators<S: StateWrite + ?Sized>(
    state: &mut S,
    validators: &[SpanValidator],
) -> Result<()> {
    let sorted = crate::types::validate_validators(validators)?;
    codec::put(
        state,
        state_key::VALIDATORS.to_vec(),
        &ValidatorList {
            validators: sorted.iter().map(to_record).collect(),
        },
    );
    Ok(())
}

fn span_from_record(r: SpanRecord) -> Result<Span, StoreError> {
    let seed: [u8; 32] = r
        .seed
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("span seed", hex::encode(&r.seed)))?;
    Ok(Span {
        id: r.id,
        start_block: r.start_block,
        end_block: r.end_block,
        sprint_length: r.sprint_length,
        validators: from_records(&r.validators)?,
        producers: from_records(&r.producers)?,
        seed,
        created_at: r.created_at,
    })
}

/// The span with this id, if stored.
pub fn span<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Option<Span>> {
    let record: Option<SpanRecord> = codec::get(state, &state_key::span(id))?;
    Ok(record.map(span_from_record).transpose()?)
}

/// The span with this id, or [`SpanError::UnknownSpan`].
pub fn require_span<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Span> {
    span(state, id)?.ok_or(SpanError::UnknownSpan(id))
}

/// Writes a span (does not move `span/latest`).
pub fn put_span<S: StateWrite + ?Sized>(state: &mut S, span: &Span) {
    codec::put(
        state,
        state_key::span(span.id),
        &SpanRecord {
            id: span.id,
            start_block: span.start_block,
            end_block: span.end_block,
            sprint_length: span.sprint_length,
            validators: span.validators.iter().map(to_record).collect(),
            producers: span.producers.iter().map(to_record).collect(),
            seed: span.seed.to_vec(),
            created_at: span.created_at,
        },
    );
}

/// Every stored span, by id.
pub fn spans<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Span>> {
    state
        .prefix_raw(state_key::SPAN_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let record: SpanRecord = prost::Message::decode(value.as_slice())
                .map_err(|e| corrupt(&format!("span under {}", hex::encode(&key)), e))?;
            Ok(span_from_record(record)?)
        })
        .collect()
}

/// The latest span id, if any span exists.
pub fn latest_span_id<S: StateRead + ?Sized>(state: &S) -> Result<Option<u64>> {
    Ok(codec::get_u64(state, state_key::LATEST)?)
}

/// Sets the latest span id.
pub fn set_latest_span_id<S: StateWrite + ?Sized>(state: &mut S, id: u64) {
    state.put_raw(state_key::LATEST.to_vec(), codec::be_u64(id).to_vec());
}

/// The latest span, if any.
pub fn latest_span<S: StateRead + ?Sized>(state: &S) -> Result<Option<Span>> {
    match latest_span_id(state)? {
        None => Ok(None),
        Some(id) => Ok(Some(require_span(state, id).map_err(|_| {
            SpanError::Store(corrupt("latest span", format!("span {id} is missing")))
        })?)),
    }
}

/// The span that covers BTTC block `height`, if any. Spans are stored with ids `0..=latest` and
/// contiguous ranges; this is a binary search over ids.
pub fn span_at<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<Option<Span>> {
    let Some(latest) = latest_span(state)? else {
        return Ok(None);
    };
    if height > latest.end_block {
        return Ok(None);
    }
    if latest.start_block <= height {
        return Ok(Some(latest));
    }
    // Find the last span with start_block <= height among 0..latest.
    let (mut lo, mut hi) = (0u64, latest.id);
    while lo < hi {
        // mid in (lo, hi]; hi - lo >= 1.
        let mid = hi
            .checked_sub(hi.saturating_sub(lo) / 2)
            .ok_or(SpanError::Overflow("span search"))?;
        let s = require_span(state, mid)?;
        if s.start_block <= height {
            lo = mid;
        } else {
            hi = mid
                .checked_sub(1)
                .ok_or(SpanError::Overflow("span search"))?;
        }
    }
    let s = require_span(state, lo)?;
    Ok(s.contains(height).then_some(s))
}

fn replacement_from_record(span_id: u64, r: &ReplacementRecord) -> Result<Replacement, StoreError> {
    let replaced = r
        .replaced
        .as_ref()
        .ok_or_else(|| corrupt("replacement", "no replaced validator"))?;
    let replacement = r
        .replacement
        .as_ref()
        .ok_or_else(|| corrupt("replacement", "no replacement validator"))?;
    Ok(Replacement {
        span_id,
        slot: r.slot,
        replaced: from_record(replaced)?,
        replacement: from_record(replacement)?,
        from_block: r.from_block,
    })
}

/// A span's replacements, in the order they happened.
pub fn replacements<S: StateRead + ?Sized>(state: &S, span_id: u64) -> Result<Vec<Replacement>> {
    let list: Option<ReplacementList> = codec::get(state, &state_key::replaced(span_id))?;
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    Ok(list
        .entries
        .iter()
        .map(|r| replacement_from_record(span_id, r))
        .collect::<Result<Vec<_>, StoreError>>()?)
}

/// Every replacement of every span, by span id then order.
pub fn all_replacements<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Replacement>> {
    let mut out = Vec::new();
    for (key, value) in state.prefix_raw(state_key::REPLACED_PREFIX)? {
        let id_bytes: [u8; 8] = key
            .get(state_key::REPLACED_PREFIX.len()..)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("replacement key", hex::encode(&key)))?;
        let span_id = u64::from_be_bytes(id_bytes);
        let list: ReplacementList =
            prost::Message::decode(value.as_slice()).map_err(|e| corrupt("replacement list", e))?;
        for r in &list.entries {
            out.push(replacement_from_record(span_id, r)?);
        }
    }
    Ok(out)
}

/// Appends a replacement to its span's list.
pub fn push_replacement<S: StateWrite + ?Sized>(
    state: &mut S,
    replacement: &Replacement,
) -> Result<()> {
    let key = state_key::replaced(replacement.span_id);
    let mut list: ReplacementList = codec::get(state, &key)?.unwrap_or(ReplacementList {
        entries: Vec::new(),
    });
    list.entries.push(ReplacementRecord {
        slot: replacement.slot,
        replaced: Some(to_record(&replacement.replaced)),
        replacement: Some(to_record(&replacement.replacement)),
        from_block: replacement.from_block,
    });
    codec::put(state, key, &list);
    Ok(())
}

/// The failover clock, if the module is active.
pub fn slot<S: StateRead + ?Sized>(state: &S) -> Result<Option<Slot>> {
    let record: Option<SlotRecord> = codec::get(state, state_key::SLOT)?;
    Ok(record.map(|r| Slot {
        next_height: r.next_height,
        waiting_since: r.waiting_since,
    }))
}

/// Writes the failover clock.
pub fn set_slot<S: StateWrite + ?Sized>(state: &mut S, slot: &Slot) {
    codec::put(
        state,
        state_key::SLOT.to_vec(),
        &SlotRecord {
            next_height: slot.next_height,
            waiting_since: slot.waiting_since,
        },
    );
}

/// A producer's own slots missed in a row in the current span.
pub fn missed<S: StateRead + ?Sized>(state: &S, validator_id: u64) -> Result<u64> {
    Ok(codec::get_u64(state, &state_key::missed(validator_id))?.unwrap_or(0))
}

/// Sets a missed-slot counter (0 deletes it).
pub fn set_missed<S: StateWrite + ?Sized>(state: &mut S, validator_id: u64, count: u64) {
    if count == 0 {
        state.delete_raw(state_key::missed(validator_id));
    } else {
        state.put_raw(
            state_key::missed(validator_id),
            codec::be_u64(count).to_vec(),
        );
    }
}

/// Every non-zero missed-slot counter, by validator id.
pub fn all_missed<S: StateRead + ?Sized>(state: &S) -> Result<Vec<MissedCount>> {
    state
        .prefix_raw(state_key::MISSED_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let id: [u8; 8] = key
                .get(state_key::MISSED_PREFIX.len()..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| corrupt("missed key", hex::encode(&key)))?;
            let count: [u8; 8] = value
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("missed count", hex::encode(&value)))?;
            Ok(MissedCount {
                validator_id: u64::from_be_bytes(id),
                missed: u64::from_be_bytes(count),
            })
        })
        .collect()
}

/// Deletes every missed-slot counter (a new span starts with a clean slate).
pub fn clear_missed<S: StateWrite + ?Sized>(state: &mut S) -> Result<()> {
    for (key, _) in state.prefix_raw(state_key::MISSED_PREFIX)? {
        state.delete_raw(key);
    }
    Ok(())
}
