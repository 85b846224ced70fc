//! The end block: deposit periods that expire, voting periods that end, the one-validator-
//! one-vote tally, execution, and the settlement of deposits.
//!
//! # Heights
//!
//! Everything happens in [`end_block`] of a height H, after that block's transactions:
//!
//! - a proposal in its deposit period with `deposit_end_height == H` expires (deleted; its
//!   deposits burned when `burn_on_deposit_expiry`, refunded otherwise);
//! - a proposal in its voting period with `voting_end_height == H` is tallied: votes cast in
//!   blocks up to and including H count. A passed proposal executes in this same end block, so
//!   a param change **takes effect at height H**: written in the end block of H, read by every
//!   transaction and hook from height H + 1 on.
//!
//! # Tally (one validator, one vote)
//!
//! Counted: the stored votes of validators in the active set the app passes in (by validator
//! id; a validator that left the set before the tally does not count, a validator that changed
//! its signer still does). Stake does not weigh. With `active` validators and the counts
//! `yes`, `abstain`, `no`, `veto`, `voted` = their sum:
//!
//! 1. no quorum when `active == 0` or `voted / active < quorum`;
//! 2. vetoed when `veto / voted > veto_threshold`;
//! 3. rejected when `yes + no + veto == 0` (only abstentions);
//! 4. passed when `yes / (yes + no + veto) > threshold`, rejected otherwise.
//!
//! Exact integer cross-multiplication ([`crate::dec`]): with threshold 0.5, 2 yes of 4 is not
//! enough; with quorum 0.334, 1 of 3 validators is not a quorum.
//!
//! # Deposits
//!
//! Refunded to each depositor when the proposal passed (whether or not its execution
//! succeeded) or was rejected; burned when vetoed, when it missed the quorum and
//! `burn_on_no_quorum`, and when its deposit period expired and `burn_on_deposit_expiry`.

use std::collections::BTreeSet;

use delivery_module::{Context, ExecError};
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::error::{GovError, Result};
use crate::event;
use crate::param_space::{self, ParamError, ParamSpace};
use crate::params::Params;
use crate::state;
use crate::types::{Content, Proposal, Status, Tally, TallyOutcome, VoteOption, Voter};

/// Moves a proposal into its voting period at `height`.
pub fn start_voting(proposal: &mut Proposal, height: u64, params: &Params) -> Result<()> {
    proposal.status = Status::VotingPeriod;
    proposal.voting_start_height = height;
    proposal.voting_end_height = height
        .checked_add(params.voting_period)
        .ok_or(GovError::Overflow("voting end height"))?;
    Ok(())
}

/// Counts a proposal's votes against the active set (see the module doc).
pub fn tally<S: StateRead + ?Sized>(
    state: &S,
    proposal_id: u64,
    voters: &[Voter],
    params: &Params,
) -> Result<Tally> {
    let active: BTreeSet<u64> = voters.iter().map(|v| v.validator_id).collect();
    let mut t = Tally {
        yes: 0,
        abstain: 0,
        no: 0,
        no_with_veto: 0,
        active_validators: u64::try_from(active.len())
            .map_err(|_| GovError::Overflow("active validators"))?,
        outcome: TallyOutcome::NoQuorum,
    };
    for vote in state::votes(state, proposal_id)? {
        if !active.contains(&vote.validator_id) {
            continue;
        }
        let count = match vote.option {
            VoteOption::Yes => &mut t.yes,
            VoteOption::Abstain => &mut t.abstain,
            VoteOption::No => &mut t.no,
            VoteOption::NoWithVeto => &mut t.no_with_veto,
        };
        *count = count
            .checked_add(1)
            .ok_or(GovError::Overflow("vote count"))?;
    }
    t.outcome = outcome(&t, params);
    Ok(t)
}

/// The outcome of counts under `params` (see the module doc).
pub fn outcome(t: &Tally, params: &Params) -> TallyOutcome {
    let voted = t.voted();
    if t.active_validators == 0 || !params.quorum.le_ratio(voted, t.active_validators) {
        return TallyOutcome::NoQuorum;
    }
    if params.veto_threshold.lt_ratio(t.no_with_veto, voted) {
        return TallyOutcome::Vetoed;
    }
    let decisive = t.yes.saturating_add(t.no).saturating_add(t.no_with_veto);
    if decisive == 0 {
        return TallyOutcome::Rejected;
    }
    if params.threshold.lt_ratio(t.yes, decisive) {
        TallyOutcome::Passed
    } else {
        TallyOutcome::Rejected
    }
}

/// What one end block did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndBlockOutcome {
    /// Proposals whose deposit period expired (deleted), by id.
    pub expired: Vec<u64>,
    /// Proposals tallied, by id, with their final status.
    pub finished: Vec<(u64, Status)>,
}

fn corrupt(detail: String) -> GovError {
    GovError::Store(StoreError::Backend(format!("corrupt gov state: {detail}")))
}

fn escrow_error(e: ExecError) -> GovError {
    match e {
        ExecError::Fatal(s) => GovError::Store(s),
        ExecError::Rejected(tx) => GovError::Escrow(tx.log),
    }
}

/// Expires deposit periods and tallies voting periods ending at this height, executes passed
/// proposals and settles deposits (see the module doc). `voters` is the active set now;
/// `space` the app's params gateway. Every error is fatal for the node: [`GovError::Store`]
/// a storage failure, anything else a broken invariant.
pub fn end_block<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    voters: &[Voter],
    space: &dyn ParamSpace,
) -> Result<EndBlockOutcome> {
    let height = ctx.block.height;
    let params = state::params(state)?;
    let mut out = EndBlockOutcome::default();
    for id in state::deposit_ending_at(state, height)? {
        let p = state::existing_proposal(state, id)
            .map_err(|_| corrupt(format!("deposit queue holds missing proposal {id}")))?;
        if p.status != Status::DepositPeriod || p.deposit_end_height != height {
            return Err(corrupt(format!(
                "deposit queue at {height} holds proposal {id} in {} ending at {}",
                p.status, p.deposit_end_height
            )));
        }
        state::dequeue(state, &p);
        settle_deposits(state, ctx, &p, params.burn_on_deposit_expiry)?;
        state::delete_proposal(state, id);
        ctx.emit(event::expired(&p));
        out.expired.push(id);
    }
    for id in state::voting_ending_at(state, height)? {
        let mut p = state::existing_proposal(state, id)
            .map_err(|_| corrupt(format!("voting queue holds missing proposal {id}")))?;
        if p.status != Status::VotingPeriod || p.voting_end_height != height {
            return Err(corrupt(format!(
                "voting queue at {height} holds proposal {id} in {} ending at {}",
                p.status, p.voting_end_height
            )));
        }
        state::dequeue(state, &p);
        let t = tally(state, id, voters, &params)?;
        let burn = match t.outcome {
            TallyOutcome::Passed => {
                match execute(state, ctx, &p, space)? {
                    Ok(()) => {
                        p.status = Status::Passed;
                        ctx.emit(event::passed(&p, &t));
                    }
                    Err(reason) => {
                        p.status = Status::Failed;
                        ctx.emit(event::failed(&p, &reason));
                        p.failure = Some(reason);
                    }
                }
                false
            }
            TallyOutcome::Rejected => {
                p.status = Status::Rejected;
                ctx.emit(event::rejected(&p, &t));
                false
            }
            TallyOutcome::NoQuorum => {
                p.status = Status::Rejected;
                ctx.emit(event::rejected(&p, &t));
                params.burn_on_no_quorum
            }
            TallyOutcome::Vetoed => {
                p.status = Status::Rejected;
                ctx.emit(event::rejected(&p, &t));
                true
            }
        };
        settle_deposits(state, ctx, &p, burn)?;
        state::delete_prefix(state, &crate::state_key::votes_of(id))?;
        p.final_tally = Some(t);
        state::put_proposal(state, &p)?;
        out.finished.push((id, p.status));
    }
    Ok(out)
}

/// Refunds or burns a proposal's deposits and deletes them.
fn settle_deposits<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    p: &Proposal,
    burn: bool,
) -> Result<()> {
    let deposits = state::deposits(state, p.id)?;
    let mut total: u128 = 0;
    for d in &deposits {
        total = total
            .checked_add(d.amount)
            .ok_or(GovError::Overflow("deposits of a proposal"))?;
    }
    if total != p.total_deposit {
        return Err(GovError::Escrow(format!(
            "proposal {} records a total deposit of {} abtt but its deposits sum to {total}",
            p.id, p.total_deposit
        )));
    }
    let escrow = state::escrow_address();
    if burn {
        delivery_bank::burn(state, &escrow, total).map_err(escrow_error)?;
    } else {
        for d in &deposits {
            delivery_bank::transfer(state, &escrow, &d.depositor, d.amount)
                .map_err(escrow_error)?;
        }
    }
    state::delete_prefix(state, &crate::state_key::deposits_of(p.id))?;
    if total > 0 {
        ctx.emit(event::deposits_settled(p.id, total, burn));
    }
    Ok(())
}

/// Executes a passed proposal's content. `Ok(Err(reason))` is a failed execution (nothing
/// written); `Err` a storage failure.
fn execute<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    p: &Proposal,
    space: &dyn ParamSpace,
) -> Result<Result<(), String>> {
    let height = ctx.block.height;
    match &p.content {
        Content::Text => Ok(Ok(())),
        Content::ParamChange { changes } => {
            match param_space::apply_changes(space, state, changes) {
                Ok(()) => {
                    for c in changes {
                        ctx.emit(event::param_change(p.id, &c.module));
                    }
                    Ok(Ok(()))
                }
                Err(ParamError::Invalid(m)) => Ok(Err(format!("param change refused: {m}"))),
                Err(ParamError::Store(s)) => Err(GovError::Store(s)),
            }
        }
        Content::SoftwareUpgrade { plan } => {
            if plan.height <= height {
                return Ok(Err(format!(
                    "upgrade {:?} at height {} is not after the tally height {height}",
                    plan.name, plan.height
                )));
            }
            if let Some(done) = state::upgrade_done(state, &plan.name)? {
                return Ok(Err(format!(
                    "upgrade {:?} already ran at height {done}",
                    plan.name
                )));
            }
            state::set_upgrade_plan(state, plan)?;
            ctx.emit(event::upgrade_scheduled(p.id, plan));
            Ok(Ok(()))
        }
        Content::CancelUpgrade => {
            let cancelled = state::upgrade_plan(state)?;
            state::delete_upgrade_plan(state);
            ctx.emit(event::upgrade_cancelled(p.id, cancelled.as_ref()));
            Ok(Ok(()))
        }
    }
}
