//! Reading and writing the gov module's state (the keeper). Keys are in [`crate::state_key`].
//!
//! The read API for the app: [`params`], [`proposal`], [`upgrade_plan`], [`upgrade_done`];
//! [`escrow_address`] is the module account holding every open deposit.

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::error::{GovError, Result};
use crate::params::Params;
use crate::state_key;
use crate::types::{Deposit, Plan, Proposal, Status, Vote};

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt gov state ({what}): {detail}"))
}

/// The gov escrow: the module account (no key exists for it) that holds every deposit of an
/// open proposal, `delivery_bank::module_address("gov")`.
pub fn escrow_address() -> Address {
    delivery_bank::module_address("gov")
}

/// The gov params (defaults when genesis did not write them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params> {
    Ok(codec::get_json(state, state_key::PARAMS)?.unwrap_or_else(Params::default))
}

/// Writes the params after validating them (genesis and governance).
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<()> {
    params.validate()?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The id the next proposal gets (1 on a new chain).
pub fn next_id<S: StateRead + ?Sized>(state: &S) -> Result<u64> {
    Ok(codec::get_u64(state, state_key::NEXT_ID)?.unwrap_or(1))
}

/// Sets the next proposal id.
pub fn set_next_id<S: StateWrite + ?Sized>(state: &mut S, id: u64) {
    codec::put_u64(state, state_key::NEXT_ID.to_vec(), id);
}

/// The proposal with this id, if stored.
pub fn proposal<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Option<Proposal>> {
    Ok(codec::get_json(state, &state_key::proposal(id))?)
}

/// The proposal with this id, or [`GovError::UnknownProposal`].
pub fn existing_proposal<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Proposal> {
    proposal(state, id)?.ok_or(GovError::UnknownProposal(id))
}

/// Writes a proposal (its queue entries are written apart: [`enqueue`]).
pub fn put_proposal<S: StateWrite + ?Sized>(state: &mut S, proposal: &Proposal) -> Result<()> {
    codec::put_json(state, state_key::proposal(proposal.id), proposal)?;
    Ok(())
}

/// Deletes a proposal.
pub fn delete_proposal<S: StateWrite + ?Sized>(state: &mut S, id: u64) {
    state.delete_raw(state_key::proposal(id));
}

/// Puts an open proposal in the queue of its status (deposit or voting end height); a
/// finished proposal has no queue entry.
pub fn enqueue<S: StateWrite + ?Sized>(state: &mut S, p: &Proposal) {
    match p.status {
        Status::DepositPeriod => codec::put_u64(
            state,
            state_key::deposit_queue(p.deposit_end_height, p.id),
            p.id,
        ),
        Status::VotingPeriod => codec::put_u64(
            state,
            state_key::voting_queue(p.voting_end_height, p.id),
            p.id,
        ),
        Status::Passed | Status::Rejected | Status::Failed => {}
    }
}

/// Removes the queue entry of a proposal's current status.
pub fn dequeue<S: StateWrite + ?Sized>(state: &mut S, p: &Proposal) {
    match p.status {
        Status::DepositPeriod => {
            state.delete_raw(state_key::deposit_queue(p.deposit_end_height, p.id))
        }
        Status::VotingPeriod => {
            state.delete_raw(state_key::voting_queue(p.voting_end_height, p.id))
        }
        Status::Passed | Status::Rejected | Status::Failed => {}
    }
}

fn queued_ids<S: StateRead + ?Sized>(state: &S, prefix: &[u8]) -> Result<Vec<u64>> {
    state
        .prefix_raw(prefix)?
        .into_iter()
        .map(|(key, value)| {
            let arr: [u8; 8] = value
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("queue entry", hex::encode(&key)))?;
            Ok(u64::from_be_bytes(arr))
        })
        .collect()
}

/// Ids of proposals whose deposit period ends at `height`, ascending.
pub fn deposit_ending_at<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<Vec<u64>> {
    queued_ids(state, &state_key::deposit_queue_at(height))
}

/// Ids of proposals whose voting period ends at `height`, ascending.
pub fn voting_ending_at<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<Vec<u64>> {
    queued_ids(state, &state_key::voting_queue_at(height))
}

fn decode_all<T: serde::de::DeserializeOwned, S: StateRead + ?Sized>(
    state: &S,
    prefix: &[u8],
    what: &str,
) -> Result<Vec<T>> {
    state
        .prefix_raw(prefix)?
        .into_iter()
        .map(|(key, value)| {
            serde_json::from_slice(&value).map_err(|e| {
                GovError::Store(corrupt(&format!("{what} under {}", hex::encode(&key)), e))
            })
        })
        .collect()
}

/// Every proposal, by id.
pub fn all_proposals<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Proposal>> {
    decode_all(state, state_key::PROPOSAL_PREFIX, "proposal")
}

/// A depositor's deposit on a proposal, if any.
pub fn deposit<S: StateRead + ?Sized>(
    state: &S,
    id: u64,
    depositor: &Address,
) -> Result<Option<Deposit>> {
    Ok(codec::get_json(state, &state_key::deposit(id, depositor))?)
}

/// Writes a deposit.
pub fn put_deposit<S: StateWrite + ?Sized>(state: &mut S, d: &Deposit) -> Result<()> {
    codec::put_json(state, state_key::deposit(d.proposal_id, &d.depositor), d)?;
    Ok(())
}

/// A proposal's deposits, by depositor address.
pub fn deposits<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Vec<Deposit>> {
    decode_all(state, &state_key::deposits_of(id), "deposit")
}

/// Every deposit, by proposal then depositor.
pub fn all_deposits<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Deposit>> {
    decode_all(state, state_key::DEPOSIT_PREFIX, "deposit")
}

/// A validator's vote on a proposal, if any.
pub fn vote<S: StateRead + ?Sized>(state: &S, id: u64, validator_id: u64) -> Result<Option<Vote>> {
    Ok(codec::get_json(state, &state_key::vote(id, validator_id))?)
}

/// Writes (or replaces) a vote.
pub fn put_vote<S: StateWrite + ?Sized>(state: &mut S, v: &Vote) -> Result<()> {
    codec::put_json(state, state_key::vote(v.proposal_id, v.validator_id), v)?;
    Ok(())
}

/// A proposal's votes, by validator id.
pub fn votes<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<Vec<Vote>> {
    decode_all(state, &state_key::votes_of(id), "vote")
}

/// Every vote, by proposal then validator id.
pub fn all_votes<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Vote>> {
    decode_all(state, state_key::VOTE_PREFIX, "vote")
}

/// Deletes every key under `prefix` (a proposal's votes or deposits).
pub fn delete_prefix<S: StateWrite + ?Sized>(state: &mut S, prefix: &[u8]) -> Result<()> {
    for (key, _) in state.prefix_raw(prefix)? {
        state.delete_raw(key);
    }
    Ok(())
}

/// The scheduled upgrade plan, if any.
pub fn upgrade_plan<S: StateRead + ?Sized>(state: &S) -> Result<Option<Plan>> {
    Ok(codec::get_json(state, state_key::UPGRADE_PLAN)?)
}

/// Schedules a plan (replacing any other).
pub fn set_upgrade_plan<S: StateWrite + ?Sized>(state: &mut S, plan: &Plan) -> Result<()> {
    codec::put_json(state, state_key::UPGRADE_PLAN.to_vec(), plan)?;
    Ok(())
}

/// Drops the scheduled plan.
pub fn delete_upgrade_plan<S: StateWrite + ?Sized>(state: &mut S) {
    state.delete_raw(state_key::UPGRADE_PLAN.to_vec());
}

/// The height at which the named upgrade ran, if it did.
pub fn upgrade_done<S: StateRead + ?Sized>(state: &S, name: &str) -> Result<Option<u64>> {
    Ok(codec::get_u64(state, &state_key::upgrade_done(name))?)
}

/// Records that the named upgrade ran at `height`.
pub fn set_upgrade_done<S: StateWrite + ?Sized>(state: &mut S, name: &str, height: u64) {
    codec::put_u64(state, state_key::upgrade_done(name), height);
}

/// A done upgrade (genesis and queries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneUpgrade {
    /// The upgrade's name.
    pub name: String,
    /// The height it ran at.
    pub height: u64,
}

/// Every done upgrade, by name.
pub fn all_done_upgrades<S: StateRead + ?Sized>(state: &S) -> Result<Vec<DoneUpgrade>> {
    let prefix_len = state_key::UPGRADE_DONE_PREFIX.len();
    state
        .prefix_raw(state_key::UPGRADE_DONE_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let name = key
                .get(prefix_len..)
                .and_then(|n| std::str::from_utf8(n).ok())
                .ok_or_else(|| corrupt("upgrade-done key", hex::encode(&key)))?;
            let arr: [u8; 8] = value
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("upgrade-done value", hex::encode(&value)))?;
            Ok(DoneUpgrade {
                name: name.to_string(),
                height: u64::from_be_bytes(arr),
            })
        })
        .collect()
}
