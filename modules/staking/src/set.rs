//! The active validator set, the epoch clock, and the updates reported to CometBFT.
//!
//! A validator is in the set at epoch `e` while `start_epoch <= e`, (`end_epoch == 0` or
//! `e < end_epoch`) and its stake is non-zero ([`Validator::in_epoch`]). Its power is
//! [`voting_power`]`(params.voting_power, stake)`.
//!
//! **The set never becomes empty.** When no validator is in its epochs but CometBFT still has a
//! set (the last validators' exits came due, with nobody to take over), the set last reported
//! stays as it is, with its powers: the exits are *deferred*, `staking.exit_deferred` is emitted
//! once and a warning logged, and they take effect at the first end of block where another
//! validator is in its epochs (`staking.exit_deferral_ended`). CometBFT itself refuses an update
//! that empties the set, which would halt the chain.
//!
//! [`end_block`] reports the difference between the new set and the one last reported, keyed by
//! consensus key (a signer change keeps the consensus key, so it is no update), in key order.

use std::collections::BTreeMap;

use delivery_module::Context;
use delivery_store::{StateRead, StateWrite};

use crate::error::{Result, StakingError};
use crate::event;
use crate::params::PowerMode;
use crate::state::{self, ReportedValidator};
use crate::types::{voting_power, ActiveValidator, PowerUpdate, Validator, MAX_TOTAL_VOTING_POWER};

/// The active set at an epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSet {
    /// Members by id.
    pub validators: Vec<ActiveValidator>,
    /// True when the set is the last reported one kept because nobody else is active.
    pub exit_deferred: bool,
}

impl ActiveSet {
    /// The total power (checked; the module's limits keep it within CometBFT's maximum).
    pub fn total_power(&self) -> Result<i64> {
        let total = self
            .validators
            .iter()
            .try_fold(0i64, |acc, v| acc.checked_add(v.power))
            .ok_or(StakingError::Overflow("total voting power"))?;
        if total > MAX_TOTAL_VOTING_POWER {
            return Err(StakingError::Overflow(
                "total voting power above CometBFT's MaxTotalVotingPower",
            ));
        }
        Ok(total)
    }
}

/// The active set of `validators` at `epoch` (pure). `reported` is the set CometBFT has; it is
/// kept when nobody is in their epochs (see the module doc).
pub fn compute_active_set(
    validators: &[Validator],
    epoch: u64,
    mode: PowerMode,
    reported: &[ReportedValidator],
) -> ActiveSet {
    let mut members: Vec<ActiveValidator> = validators
        .iter()
        .filter(|v| v.in_epoch(epoch))
        .map(|v| ActiveValidator {
            id: v.id,
            signer: v.signer,
            consensus_pubkey: v.consensus_pubkey,
            power: voting_power(mode, v.stake),
        })
        .collect();
    let mut exit_deferred = false;
    if members.is_empty() && !reported.is_empty() {
        let by_id: BTreeMap<u64, &Validator> = validators.iter().map(|v| (v.id, v)).collect();
        members = reported
            .iter()
            .filter_map(|r| {
                by_id.get(&r.id).map(|v| ActiveValidator {
                    id: r.id,
                    signer: v.signer,
                    consensus_pubkey: r.consensus_pubkey,
                    power: r.power,
                })
            })
            .collect();
        exit_deferred = !members.is_empty();
    }
    members.sort_by_key(|v| v.id);
    ActiveSet {
        validators: members,
        exit_deferred,
    }
}

/// The updates that turn `reported` into `set`, in consensus-key order: a new or re-powered key
/// with its power, a departed key with power 0, nothing for an unchanged one.
pub fn diff(reported: &[ReportedValidator], set: &[ActiveValidator]) -> Vec<PowerUpdate> {
    let old: BTreeMap<[u8; 32], i64> = reported
        .iter()
        .map(|r| (r.consensus_pubkey, r.power))
        .collect();
    let new: BTreeMap<[u8; 32], i64> = set.iter().map(|v| (v.consensus_pubkey, v.power)).collect();
    let mut keys: Vec<[u8; 32]> = old.keys().chain(new.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let now = new.get(&key).copied().unwrap_or(0);
            let before = old.get(&key).copied().unwrap_or(0);
            (now != before).then_some(PowerUpdate {
                consensus_pubkey: key,
                power: now,
            })
        })
        .collect()
}

/// The active set now (what the next [`end_block`] reports, unless the epoch advances there).
pub fn active_set<S: StateRead + ?Sized>(state: &S) -> Result<ActiveSet> {
    let params = state::params(state)?;
    let epoch = state::current_epoch(state)?;
    let validators = state::validators(state)?;
    let reported = state::reported(state)?;
    Ok(compute_active_set(
        &validators,
        epoch,
        params.voting_power,
        &reported,
    ))
}

/// The active validators by id, with signer and power: the producers' pool of the span module,
/// the signers of checkpoints.
pub fn active_validators<S: StateRead + ?Sized>(state: &S) -> Result<Vec<ActiveValidator>> {
    Ok(active_set(state)?.validators)
}

/// The reported set as updates from an empty set: what InitChain returns to CometBFT.
pub fn genesis_validator_updates<S: StateRead + ?Sized>(state: &S) -> Result<Vec<PowerUpdate>> {
    Ok(diff(&[], &reported_as_active(state)?))
}

fn reported_as_active<S: StateRead + ?Sized>(state: &S) -> Result<Vec<ActiveValidator>> {
    state::reported(state)?
        .into_iter()
        .map(|r| {
            let v = state::require_validator(state, r.id)?;
            Ok(ActiveValidator {
                id: r.id,
                signer: v.signer,
                consensus_pubkey: r.consensus_pubkey,
                power: r.power,
            })
        })
        .collect()
}

fn to_reported(set: &[ActiveValidator]) -> Vec<ReportedValidator> {
    set.iter()
        .map(|v| ReportedValidator {
            id: v.id,
            consensus_pubkey: v.consensus_pubkey,
            power: v.power,
        })
        .collect()
}

/// Records the current active set as the reported one (genesis).
pub(crate) fn report_current<S: StateWrite + ?Sized>(state: &mut S) -> Result<ActiveSet> {
    let set = active_set(state)?;
    set.total_power()?;
    state::set_reported(state, &to_reported(&set.validators));
    state::set_exit_deferred(state, set.exit_deferred);
    Ok(set)
}

/// Advances the epoch when the block rule says so: while `advance_epochs_by_blocks` is on, the
/// epoch goes up by one at the first block at least `epoch_length` blocks after the current
/// epoch started. A start height above `height` (an export imported at lower heights) restarts
/// the count at `height`.
fn tick_epoch<S: StateWrite + ?Sized>(state: &mut S, ctx: &mut Context<'_>) -> Result<u64> {
    let params = state::params(state)?;
    let epoch = state::current_epoch(state)?;
    if !params.advance_epochs_by_blocks {
        return Ok(epoch);
    }
    let height = ctx.block.height;
    let started = state::epoch_started_at(state)?;
    let Some(elapsed) = height.checked_sub(started) else {
        state::put_epoch(state, epoch, height);
        return Ok(epoch);
    };
    if elapsed < params.epoch_length {
        return Ok(epoch);
    }
    let next = epoch
        .checked_add(1)
        .ok_or(StakingError::Overflow("next epoch"))?;
    state::put_epoch(state, next, height);
    ctx.emit(event::epoch(next, height));
    Ok(next)
}

/// The staking end of block: advances the epoch by the block rule, then returns the changes to
/// CometBFT's validator set since the last reported one (power 0 removes; consensus-key order)
/// and records the new set as reported. Call it once per block in FinalizeBlock, after every
/// transaction and side-tx post-handler of the block; return the updates as the response's
/// `validator_updates`.
pub fn end_block<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
) -> Result<Vec<PowerUpdate>> {
    let epoch = tick_epoch(state, ctx)?;
    let reported = state::reported(state)?;
    let set = active_set(state)?;
    let total = set.total_power()?;
    let updates = diff(&reported, &set.validators);
    if !updates.is_empty() {
        state::set_reported(state, &to_reported(&set.validators));
        ctx.emit(event::validator_set_update(
            epoch,
            &set.validators,
            total,
            &updates,
        ));
    }
    let was_deferred = state::exit_deferred(state)?;
    if set.exit_deferred && !was_deferred {
        let ids: Vec<String> = set.validators.iter().map(|v| v.id.to_string()).collect();
        tracing::warn!(
            epoch,
            validators = %ids.join(","),
            "staking: the last active validators' exits are due but no other validator is \
             active; they stay in the set until one is"
        );
        state::set_exit_deferred(state, true);
        ctx.emit(event::exit_deferred(epoch, &set.validators));
    } else if !set.exit_deferred && was_deferred {
        state::set_exit_deferred(state, false);
        ctx.emit(event::exit_deferral_ended(epoch));
    }
    Ok(updates)
}
