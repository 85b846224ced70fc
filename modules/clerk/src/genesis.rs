//! Clerk genesis: params, the latest global id, per-chain last StateSynced ids, and (in an
//! export) the records.
//!
//! A new chain lists params only (or also `last_root_ids`, when a root chain's StateSender
//! already emitted ids that must not be replayed here: the first accepted id of a chain is its
//! `last_root_id + 1`, 1 when unlisted). A migrated chain may set `latest_id` and carry only a
//! tail of the records (or none): the global sequence then continues from `latest_id + 1`.
//! Importing an export reproduces the module's state key for key. The applied marks of the
//! records' root events belong to the rootchain module's genesis.

use std::collections::BTreeMap;

use delivery_module::{ExecError, Module};
use delivery_rootchain::check_chain_name;
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::{ClerkError, Result};
use crate::params::Params;
use crate::record::EventRecord;
use crate::state::{self, LastRootId};

/// The clerk section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (mainnet defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// The latest global id (0: no record yet). Must equal the last record's id when records
    /// are listed.
    #[serde(default)]
    pub latest_id: u64,
    /// Per root chain, the last recorded StateSynced id (each > 0; a chain not listed starts
    /// at id 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_root_ids: Vec<LastRootId>,
    /// Records in id order, contiguous, ending at `latest_id` (an export lists them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<EventRecord>,
}

fn bad<T>(message: String) -> Result<T> {
    Err(ClerkError::InvalidGenesis(message))
}

/// Checks a genesis section (see the module doc).
pub fn validate(genesis: &Genesis) -> Result<()> {
    genesis.params.validate()?;
    let mut last_ids: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &genesis.last_root_ids {
        check_chain_name(&l.root_chain)
            .map_err(|e| ClerkError::InvalidGenesis(format!("last_root_ids: {e}")))?;
        if l.last_root_id == 0 {
            return bad(format!(
                "last_root_ids: {} has last_root_id 0 (leave the chain out instead)",
                l.root_chain
            ));
        }
        if last_ids.insert(&l.root_chain, l.last_root_id).is_some() {
            return bad(format!("last_root_ids: {} is listed twice", l.root_chain));
        }
    }
    let Some(last_record) = genesis.records.last() else {
        return Ok(());
    };
    if last_record.id != genesis.latest_id {
        return bad(format!(
            "the last record has id {}, but latest_id is {}",
            last_record.id, genesis.latest_id
        ));
    }
    let mut previous_id: Option<u64> = None;
    let mut previous_root: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &genesis.records {
        r.check().map_err(ClerkError::InvalidGenesis)?;
        if let Some(p) = previous_id {
            if p.checked_add(1) != Some(r.id) {
                return bad(format!(
                    "record ids are not contiguous: {} follows {p}",
                    r.id
                ));
            }
        }
        previous_id = Some(r.id);
        let Some(&last) = last_ids.get(r.root_chain.as_str()) else {
            return bad(format!(
                "record {} is from {}, which has no last_root_ids entry",
                r.id, r.root_chain
            ));
        };
        if r.root_id > last {
            return bad(format!(
                "record {} has root_id {} above {}'s last_root_id {last}",
                r.id, r.root_id, r.root_chain
            ));
        }
        if let Some(prev) = previous_root.insert(&r.root_chain, r.root_id) {
            if r.root_id <= prev {
                return bad(format!(
                    "record {}: {} root_id {} does not rise above the previous {prev}",
                    r.id, r.root_chain, r.root_id
                ));
            }
        }
    }
    Ok(())
}

/// Writes a genesis section (validated first).
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<()> {
    validate(genesis)?;
    state::set_params(state, &genesis.params)?;
    if genesis.latest_id > 0 {
        state::set_latest_id(state, genesis.latest_id);
    }
    for l in &genesis.last_root_ids {
        state::set_last_root_id(state, &l.root_chain, l.last_root_id);
    }
    for r in &genesis.records {
        state::put_record(state, r);
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis> {
    Ok(Genesis {
        params: state::params(state)?,
        latest_id: state::latest_id(state)?,
        last_root_ids: state::all_last_root_ids(state)?,
        records: state::all_records(state)?,
    })
}

/// The clerk module.
pub struct ClerkModule;

impl Module for ClerkModule {
    const NAME: &'static str = "clerk";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        validate(genesis).map_err(|e| e.to_string())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        init(state, genesis).map_err(ExecError::from)
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        export(state).map_err(ExecError::from)
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        crate::query::handle(state, path, data)
    }
}
