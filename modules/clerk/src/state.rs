//! Reading and writing the clerk module's state (the keeper). Keys are in [`crate::state_key`].
//!
//! The read API for block production: [`records_after`], [`latest_id`], [`record`],
//! [`record_by_root`]; and for the bridge: [`last_root_id`] (the next StateSynced id a root
//! chain expects is that + 1).

use delivery_module::codec;
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{ClerkError, Result};
use crate::params::Params;
use crate::record::{EventRecord, EventRecordProto};
use crate::state_key;

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt clerk state ({what}): {detail}"))
}

/// The clerk params (defaults when genesis did not write them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params> {
    Ok(codec::get_json(state, state_key::PARAMS)?.unwrap_or_else(Params::default))
}

/// Writes the params after validating them (genesis and governance).
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<()> {
    params.validate()?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The latest global record id (0: no record yet).
pub fn latest_id<S: StateRead + ?Sized>(state: &S) -> Result<u64> {
    Ok(codec::get_u64(state, state_key::LATEST_ID)?.unwrap_or(0))
}

/// Sets the latest global id.
pub fn set_latest_id<S: StateWrite + ?Sized>(state: &mut S, id: u64) {
    codec::put_u64(state, state_key::LATEST_ID.to_vec(), id);
}

/// The record with this global id, if stored.
pub fn record<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Option<EventRecord>> {
    let proto: Option<EventRecordProto> = codec::get(state, &state_key::record(id))?;
    Ok(proto.map(EventRecord::try_from).transpose()?)
}

/// The global id of a root chain's StateSynced id, if recorded.
pub fn global_id_by_root<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
    root_id: u64,
) -> Result<Option<u64>> {
    Ok(codec::get_u64(
        state,
        &state_key::by_root(root_chain, root_id),
    )?)
}

/// The record of a root chain's StateSynced id, if recorded.
pub fn record_by_root<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
    root_id: u64,
) -> Result<Option<EventRecord>> {
    match global_id_by_root(state, root_chain, root_id)? {
        None => Ok(None),
        Some(id) => match record(state, id)? {
            Some(r) => Ok(Some(r)),
            None => Err(corrupt(
                "by-root map",
                format!("{root_chain}/{root_id} points at missing record {id}"),
            )
            .into()),
        },
    }
}

/// The last StateSynced id recorded for a root chain (0: none yet).
pub fn last_root_id<S: StateRead + ?Sized>(state: &S, root_chain: &str) -> Result<u64> {
    Ok(codec::get_u64(state, &state_key::last_root(root_chain))?.unwrap_or(0))
}

/// Sets a root chain's last StateSynced id.
pub fn set_last_root_id<S: StateWrite + ?Sized>(state: &mut S, root_chain: &str, id: u64) {
    codec::put_u64(state, state_key::last_root(root_chain), id);
}

/// Writes a record and its by-root entry (moves neither `latest-id` nor `last-root`).
pub fn put_record<S: StateWrite + ?Sized>(state: &mut S, record: &EventRecord) {
    codec::put(
        state,
        state_key::record(record.id),
        &EventRecordProto::from(record),
    );
    codec::put_u64(
        state,
        state_key::by_root(&record.root_chain, record.root_id),
        record.id,
    );
}

/// Records with ids `after_id + 1, after_id + 2, ...` in order, contiguous, for block
/// production. Stops at the first id that is not stored (past the latest, or below the first
/// record a migrated genesis carried), after `max_count` records, or before the record that would
/// push the sum of data bytes over `max_bytes`. The first record is always returned when it
/// exists and `max_count > 0`, even if its data alone exceeds `max_bytes`: a budget smaller than
/// one record must not stall delivery (records hold at most `max_data_bytes` of data).
pub fn records_after<S: StateRead + ?Sized>(
    state: &S,
    after_id: u64,
    max_count: usize,
    max_bytes: u64,
) -> Result<Vec<EventRecord>> {
    let latest = latest_id(state)?;
    let mut out = Vec::new();
    let mut bytes: u64 = 0;
    let mut id = after_id;
    while out.len() < max_count && id < latest {
        id = id.checked_add(1).ok_or(ClerkError::Overflow("record id"))?;
        let Some(r) = record(state, id)? else {
            break;
        };
        let size = u64::try_from(r.data.len()).map_err(|_| ClerkError::Overflow("data size"))?;
        let total = bytes.saturating_add(size);
        if !out.is_empty() && total > max_bytes {
            break;
        }
        bytes = total;
        out.push(r);
    }
    Ok(out)
}

/// A root chain's last StateSynced id (genesis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastRootId {
    /// The root chain.
    pub root_chain: String,
    /// Its last recorded StateSynced id (the next one accepted is this + 1).
    pub last_root_id: u64,
}

/// Every per-chain last root id, by chain name.
pub fn all_last_root_ids<S: StateRead + ?Sized>(state: &S) -> Result<Vec<LastRootId>> {
    let prefix_len = state_key::LAST_ROOT_PREFIX.len();
    state
        .prefix_raw(state_key::LAST_ROOT_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let name = key
                .get(prefix_len..)
                .and_then(|n| std::str::from_utf8(n).ok())
                .ok_or_else(|| corrupt("last-root key", hex::encode(&key)))?;
            let arr: [u8; 8] = value
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("last-root value", hex::encode(&value)))?;
            Ok(LastRootId {
                root_chain: name.to_string(),
                last_root_id: u64::from_be_bytes(arr),
            })
        })
        .collect()
}

/// Every stored record, by id.
pub fn all_records<S: StateRead + ?Sized>(state: &S) -> Result<Vec<EventRecord>> {
    state
        .prefix_raw(state_key::RECORD_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let proto: EventRecordProto = prost::Message::decode(value.as_slice())
                .map_err(|e| corrupt(&format!("record under {}", hex::encode(&key)), e))?;
            Ok(EventRecord::try_from(proto)?)
        })
        .collect()
}
