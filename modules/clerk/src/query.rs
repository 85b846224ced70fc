//! `custom/clerk/<path>` queries. Answers are JSON; arguments are path segments (decimal
//! numbers, chain names).
//!
//! - `record/<id>` → the record (`clerk/9` if none)
//! - `records/<from id>/<limit>` → `{"records": [...]}`: ids `from, from + 1, ...`, at most
//!   `limit` (1..=[`MAX_QUERY_RECORDS`]), stopping at the latest id
//! - `latest-id` → `{"latest_id": n}`
//! - `by-root/<chain>/<root id>` → the record of that root chain's StateSynced id (`clerk/9`)
//! - `last-root/<chain>` → `{"root_chain", "last_root_id", "next_root_id"}`: what the bridge
//!   submits next for that chain
//! - `params` → the params

use delivery_module::ExecError;
use delivery_rootchain::check_chain_name;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::error::{ClerkError, Result};
use crate::record::EventRecord;
use crate::state;

/// The most records one `records` query returns.
pub const MAX_QUERY_RECORDS: usize = 100;

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| ClerkError::Store(StoreError::Backend(format!("cannot encode answer: {e}"))))
}

fn number(what: &str, text: &str) -> Result<u64> {
    text.parse().map_err(|_| {
        ClerkError::BadQuery(format!(
            "{what} {:?}: expected a decimal number",
            text.chars().take(32).collect::<String>()
        ))
    })
}

fn name(text: &str) -> Result<&str> {
    check_chain_name(text).map_err(|e| ClerkError::BadQuery(e.to_string()))?;
    Ok(text)
}

/// The answer of `records/...`.
#[derive(Debug, Serialize)]
pub struct RecordsAnswer {
    /// The records, by id.
    pub records: Vec<EventRecord>,
}

/// The answer of `latest-id`.
#[derive(Debug, Serialize)]
pub struct LatestIdAnswer {
    /// The latest global id (0: none).
    pub latest_id: u64,
}

/// The answer of `last-root/<chain>`.
#[derive(Debug, Serialize)]
pub struct LastRootAnswer {
    /// The root chain.
    pub root_chain: String,
    /// Its last recorded StateSynced id (0: none).
    pub last_root_id: u64,
    /// The next id it accepts.
    pub next_root_id: u64,
}

fn answer<S: StateRead + ?Sized>(state: &S, path: &str) -> Result<Option<Vec<u8>>> {
    let parts: Vec<&str> = path.split('/').collect();
    Ok(Some(match parts.as_slice() {
        ["params"] => to_json(&state::params(state)?)?,
        ["latest-id"] => to_json(&LatestIdAnswer {
            latest_id: state::latest_id(state)?,
        })?,
        ["record", id] => {
            let id = number("record id", id)?;
            let r = state::record(state, id)?
                .ok_or_else(|| ClerkError::UnknownRecord(format!("with id {id}")))?;
            to_json(&r)?
        }
        ["records", from, limit] => {
            let from = number("from id", from)?;
            let limit = number("limit", limit)?;
            let limit = usize::try_from(limit)
                .ok()
                .filter(|l| (1..=MAX_QUERY_RECORDS).contains(l))
                .ok_or_else(|| {
                    ClerkError::BadQuery(format!(
                        "limit {limit} is outside 1..={MAX_QUERY_RECORDS}"
                    ))
                })?;
            let after = from
                .checked_sub(1)
                .ok_or_else(|| ClerkError::BadQuery("from id must be >= 1".into()))?;
            to_json(&RecordsAnswer {
                records: state::records_after(state, after, limit, u64::MAX)?,
            })?
        }
        ["by-root", chain, root_id] => {
            let chain = name(chain)?;
            let root_id = number("root id", root_id)?;
            let r = state::record_by_root(state, chain, root_id)?.ok_or_else(|| {
                ClerkError::UnknownRecord(format!("for {chain} StateSynced id {root_id}"))
            })?;
            to_json(&r)?
        }
        ["last-root", chain] => {
            let chain = name(chain)?;
            let last = state::last_root_id(state, chain)?;
            to_json(&LastRootAnswer {
                root_chain: chain.to_string(),
                last_root_id: last,
                next_root_id: last
                    .checked_add(1)
                    .ok_or(ClerkError::Overflow("next root id"))?,
            })?
        }
        _ => return Ok(None),
    }))
}

/// Answers `custom/clerk/<path>`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    _data: &[u8],
) -> Result<Vec<u8>, ExecError> {
    match answer(state, path)? {
        Some(bytes) => Ok(bytes),
        None => Err(delivery_module::module::unknown_query("clerk", path)),
    }
}
