//! `MsgSubmitProposal`: a new proposal with its initial deposit.
//!
//! Checks ([`check`], in CheckTx and again in [`execute`]): the stateless checks; the title,
//! description, number of changes and each change's bytes within the params' limits
//! (`gov/3`); the initial deposit at least `min_initial_deposit` (`gov/8`) and covered by the
//! proposer's balance (`bank/5`); the content valid now: every param change accepted by the
//! app's [`ParamSpace`] (`gov/3`, naming the module and its reason), an upgrade plan's height
//! above `height + voting_period` (the earliest tally) and its name not done before (`gov/3`).
//!
//! Effect: the proposal gets the next id; the initial deposit moves to the escrow; the
//! proposal enters its voting period at once when the deposit reaches `min_deposit` (voting
//! ends at `height + voting_period`), or waits in its deposit period until `height +
//! max_deposit_period`.

use delivery_module::{Context, ExecError, Msg};
use delivery_store::{StateRead, StateWrite};

use crate::error::GovError;
use crate::event;
use crate::msg::MsgSubmitProposal;
use crate::param_space::{self, ParamError, ParamSpace};
use crate::params::Params;
use crate::state;
use crate::types::{Content, Deposit, Proposal, Status};

/// What a submission that passed [`check`] carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The content.
    pub content: Content,
    /// The initial deposit, abtt.
    pub initial_deposit: u128,
}

fn too_long(what: &str, len: usize, limit: u64) -> Result<(), GovError> {
    if u64::try_from(len).map_or(true, |l| l > limit) {
        return Err(GovError::InvalidProposal(format!(
            "{what} is {len} bytes, above the limit of {limit}"
        )));
    }
    Ok(())
}

/// Checks a proposal's content against the current state and params at submission (the end
/// block re-checks at execution with the rules of that moment: see [`crate::lifecycle`]).
pub fn check_content<S: StateRead + ?Sized>(
    content: &Content,
    height: u64,
    params: &Params,
    state: &S,
    space: &dyn ParamSpace,
) -> Result<(), ExecError> {
    match content {
        Content::Text | Content::CancelUpgrade => Ok(()),
        Content::ParamChange { changes } => {
            if u64::try_from(changes.len()).map_or(true, |n| n > params.max_param_changes) {
                return Err(GovError::InvalidProposal(format!(
                    "{} param changes, above max_param_changes {}",
                    changes.len(),
                    params.max_param_changes
                ))
                .into());
            }
            for c in changes {
                too_long(
                    &format!("params_json of {}", c.module),
                    c.params_json.len(),
                    params.max_params_json_bytes,
                )?;
            }
            param_space::validate_changes(space, state, changes).map_err(|e| match e {
                ParamError::Invalid(m) => ExecError::from(GovError::InvalidProposal(format!(
                    "param change refused: {m}"
                ))),
                ParamError::Store(s) => ExecError::Fatal(s),
            })
        }
        Content::SoftwareUpgrade { plan } => {
            too_long(
                "upgrade info",
                plan.info.len(),
                params.max_description_bytes,
            )?;
            let earliest_tally = height
                .checked_add(params.voting_period)
                .ok_or(GovError::Overflow("earliest tally height"))?;
            if plan.height <= earliest_tally {
                return Err(GovError::InvalidProposal(format!(
                    "upgrade {:?} at height {} is too early: the earliest tally is at height \
                     {earliest_tally} (height {height} + voting_period {}); choose a later height",
                    plan.name, plan.height, params.voting_period
                ))
                .into());
            }
            if let Some(done) = state::upgrade_done(state, &plan.name)? {
                return Err(GovError::InvalidProposal(format!(
                    "upgrade {:?} already ran at height {done}; choose a new name",
                    plan.name
                ))
                .into());
            }
            Ok(())
        }
    }
}

/// The checks (see the module doc).
pub fn check<S: StateRead + ?Sized>(
    msg: &MsgSubmitProposal,
    ctx: &Context<'_>,
    state: &S,
    space: &dyn ParamSpace,
) -> Result<Checked, ExecError> {
    msg.check_stateless()?;
    let params = state::params(state)?;
    too_long("title", msg.title.len(), params.max_title_bytes)?;
    too_long(
        "description",
        msg.description.len(),
        params.max_description_bytes,
    )?;
    let initial_deposit = msg.initial_deposit_amount()?;
    if initial_deposit < params.min_initial_deposit {
        return Err(GovError::InitialDepositTooSmall {
            offered: initial_deposit,
            minimum: params.min_initial_deposit,
        }
        .into());
    }
    let proposer = msg.signer()?;
    let balance = delivery_bank::balance(state, &proposer)?;
    if balance < initial_deposit {
        return Err(ExecError::module(
            delivery_bank::BankError::InsufficientFunds {
                address: proposer,
                balance,
                needed: initial_deposit,
            },
        ));
    }
    let content = msg.content()?;
    check_content(&content, ctx.block.height, &params, state, space)?;
    Ok(Checked {
        content,
        initial_deposit,
    })
}

/// Re-checks and applies a submission; returns the new proposal.
pub fn execute<S: StateWrite + ?Sized>(
    msg: &MsgSubmitProposal,
    ctx: &mut Context<'_>,
    state: &mut S,
    space: &dyn ParamSpace,
) -> Result<Proposal, ExecError> {
    let checked = check(msg, ctx, state, space)?;
    let params = state::params(state)?;
    let proposer = msg.signer()?;
    let height = ctx.block.height;
    let id = state::next_id(state)?;
    let next = id
        .checked_add(1)
        .ok_or(GovError::Overflow("next proposal id"))?;
    let deposit_end_height = height
        .checked_add(params.max_deposit_period)
        .ok_or(GovError::Overflow("deposit end height"))?;
    let mut proposal = Proposal {
        id,
        title: msg.title.clone(),
        description: msg.description.clone(),
        content: checked.content,
        proposer,
        status: Status::DepositPeriod,
        submit_height: height,
        deposit_end_height,
        voting_start_height: 0,
        voting_end_height: 0,
        total_deposit: checked.initial_deposit,
        final_tally: None,
        failure: None,
    };
    if checked.initial_deposit > 0 {
        delivery_bank::transfer(
            state,
            &proposer,
            &state::escrow_address(),
            checked.initial_deposit,
        )?;
        state::put_deposit(
            state,
            &Deposit {
                proposal_id: id,
                depositor: proposer,
                amount: checked.initial_deposit,
            },
        )?;
    }
    let starts_voting = checked.initial_deposit >= params.min_deposit;
    if starts_voting {
        crate::lifecycle::start_voting(&mut proposal, height, &params)?;
    }
    state::put_proposal(state, &proposal)?;
    state::enqueue(state, &proposal);
    state::set_next_id(state, next);
    ctx.emit(event::submitted(&proposal, checked.initial_deposit));
    if checked.initial_deposit > 0 {
        ctx.emit(event::deposit(
            id,
            proposer,
            checked.initial_deposit,
            checked.initial_deposit,
        ));
    }
    if starts_voting {
        ctx.emit(event::voting_started(&proposal));
    }
    Ok(proposal)
}
