//! Staking genesis: params, the epoch clock, the validators and (in an export) the set last
//! reported to CometBFT and the deferral marker.
//!
//! A new chain lists params, `current_epoch` (default 1: the StakeManager's first epoch) and
//! validators; [`init`] records the active set at `current_epoch` as the reported one, and
//! [`crate::genesis_validator_updates`] hands it to CometBFT in InitChain. An export carries
//! everything, and importing it reproduces the module's state key for key.
//!
//! Checks: params in range; validator ids, signers and consensus keys unique; every signer the
//! address of its `signer_pubkey`; keys valid points; at most `MAX_VALIDATORS_LIMIT` validators
//! not yet unstaked; **at least one active validator** (or a kept reported set). An empty
//! validator list leaves the module dormant: it reports no validator, so CometBFT keeps the
//! set of its own genesis file.
//!
//! Genesis validators carry the nonce of their last root-chain event: 1 right after `Staked`
//! (so the root chain's next event for them, nonce 2, applies), 0 for a validator that the
//! root chain does not know.

use std::collections::BTreeSet;

use delivery_module::{ExecError, Module};
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StakingError};
use crate::params::{Params, MAX_VALIDATORS_LIMIT};
use crate::set::{self, compute_active_set};
use crate::state::{self, ReportedValidator};
use crate::types::{Validator, MAX_VALIDATOR_POWER};

fn one() -> u64 {
    1
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The staking section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (mainnet defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// The current epoch (default 1).
    #[serde(default = "one")]
    pub current_epoch: u64,
    /// The Delivery height the current epoch started at (default 0).
    #[serde(default)]
    pub epoch_started_at: u64,
    /// Every validator, by id. Empty = dormant module.
    #[serde(default)]
    pub validators: Vec<Validator>,
    /// The set last reported to CometBFT (export only; a new chain derives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Vec<ReportedValidator>>,
    /// Whether an exit was being deferred (export only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub exit_deferred: bool,
}

impl Default for Genesis {
    fn default() -> Self {
        Self {
            params: Params::default(),
            current_epoch: 1,
            epoch_started_at: 0,
            validators: Vec::new(),
            reported: None,
            exit_deferred: false,
        }
    }
}

fn bad<T>(m: String) -> Result<T> {
    Err(StakingError::InvalidGenesis(m))
}

/// Checks a genesis section (see the module doc for what is required).
pub fn validate(genesis: &Genesis) -> Result<()> {
    genesis.params.validate()?;
    if genesis.validators.is_empty() {
        if genesis.reported.as_ref().is_some_and(|r| !r.is_empty()) || genesis.exit_deferred {
            return bad("a reported set or deferral without validators".into());
        }
        return Ok(());
    }
    let mut ids = BTreeSet::new();
    let mut signers = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut not_unstaked = 0u32;
    for v in &genesis.validators {
        if !ids.insert(v.id) {
            return bad(format!("validator id {} is listed twice", v.id));
        }
        if !signers.insert(v.signer) {
            return bad(format!("signer {} is listed twice", v.signer));
        }
        if !keys.insert(v.consensus_pubkey) {
            return bad(format!(
                "consensus key 0x{} is listed twice",
                hex::encode(v.consensus_pubkey)
            ));
        }
        v.check().map_err(|e| match e {
            StakingError::InvalidPubkey { field, reason } => StakingError::InvalidGenesis(format!(
                "validator {}: invalid {field}: {reason}",
                v.id
            )),
            other => other,
        })?;
        if v.counts_toward_limit(genesis.current_epoch) {
            not_unstaked = not_unstaked.saturating_add(1);
        }
    }
    if not_unstaked > MAX_VALIDATORS_LIMIT {
        return bad(format!(
            "{not_unstaked} validators are not unstaked; at most {MAX_VALIDATORS_LIMIT} may be"
        ));
    }
    let reported: &[ReportedValidator] = genesis.reported.as_deref().unwrap_or(&[]);
    let mut reported_keys = BTreeSet::new();
    for r in reported {
        let Some(v) = genesis.validators.iter().find(|v| v.id == r.id) else {
            return bad(format!("reported validator {} is not listed", r.id));
        };
        if v.consensus_pubkey != r.consensus_pubkey {
            return bad(format!(
                "reported validator {} has another consensus key than its record",
                r.id
            ));
        }
        if !(1..=MAX_VALIDATOR_POWER).contains(&r.power) {
            return bad(format!(
                "reported validator {} has power {}, expected 1..={MAX_VALIDATOR_POWER}",
                r.id, r.power
            ));
        }
        if !reported_keys.insert(r.consensus_pubkey) {
            return bad(format!("reported validator {} is listed twice", r.id));
        }
    }
    let active = compute_active_set(
        &genesis.validators,
        genesis.current_epoch,
        genesis.params.voting_power,
        reported,
    );
    if active.validators.is_empty() {
        return bad(format!(
            "no validator is active at epoch {} (start_epoch <= epoch, end_epoch 0 or after it, \
             stake > 0): expected at least one",
            genesis.current_epoch
        ));
    }
    active.total_power()?;
    if genesis.exit_deferred && !active.exit_deferred {
        return bad("exit_deferred is set but no exit is deferred".into());
    }
    Ok(())
}

/// Writes a validated genesis section.
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<()> {
    validate(genesis)?;
    state::set_params(state, &genesis.params)?;
    state::put_epoch(state, genesis.current_epoch, genesis.epoch_started_at);
    for v in &genesis.validators {
        state::insert_validator(state, v);
    }
    if genesis.validators.is_empty() {
        return Ok(());
    }
    match &genesis.reported {
        Some(reported) => {
            state::set_reported(state, reported);
            state::set_exit_deferred(state, genesis.exit_deferred);
        }
        None => {
            set::report_current(state)?;
        }
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis> {
    let validators = state::validators(state)?;
    let reported = if validators.is_empty() {
        None
    } else {
        Some(state::reported(state)?)
    };
    Ok(Genesis {
        params: state::params(state)?,
        current_epoch: state::current_epoch(state)?,
        epoch_started_at: state::epoch_started_at(state)?,
        validators,
        reported,
        exit_deferred: state::exit_deferred(state)?,
    })
}

/// The staking module.
pub struct StakingModule;

impl Module for StakingModule {
    const NAME: &'static str = "staking";
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
