//! `MsgDeposit`: adds to an open proposal's deposit.
//!
//! Checks: the proposal exists (`gov/4`) and is open, in its deposit or its voting period
//! (`gov/5`; as in the Cosmos SDK, deposits during voting are accepted and settled with the
//! rest); the depositor can pay (`bank/5`). Effect: the amount moves to the escrow and adds to
//! the depositor's deposit and the proposal's total; a proposal in its deposit period whose
//! total reaches `min_deposit` enters its voting period at this height (voting ends at
//! `height + voting_period`).

use delivery_module::{Context, ExecError, Msg, MsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::GovError;
use crate::event;
use crate::msg::MsgDeposit;
use crate::state;
use crate::types::{Deposit, Proposal, Status};

/// The checks (see the module doc); returns the proposal and the amount.
pub fn check<S: StateRead + ?Sized>(
    msg: &MsgDeposit,
    state: &S,
) -> Result<(Proposal, u128), ExecError> {
    msg.check_stateless()?;
    let amount = msg.amount_value()?;
    let proposal = state::existing_proposal(state, msg.proposal_id)?;
    if !proposal.status.is_open() {
        return Err(GovError::NotTakingDeposits {
            id: proposal.id,
            status: proposal.status.to_string(),
        }
        .into());
    }
    proposal
        .total_deposit
        .checked_add(amount)
        .ok_or(GovError::Overflow("total deposit"))?;
    let depositor = msg.signer()?;
    let balance = delivery_bank::balance(state, &depositor)?;
    if balance < amount {
        return Err(ExecError::module(
            delivery_bank::BankError::InsufficientFunds {
                address: depositor,
                balance,
                needed: amount,
            },
        ));
    }
    Ok((proposal, amount))
}

impl MsgHandler for MsgDeposit {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        check(self, state).map(|_| ())
    }

    fn execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let (mut proposal, amount) = check(self, state)?;
        let depositor = self.signer()?;
        let params = state::params(state)?;
        delivery_bank::transfer(state, &depositor, &state::escrow_address(), amount)?;
        let previous = state::deposit(state, proposal.id, &depositor)?.map_or(0, |d| d.amount);
        let own = previous
            .checked_add(amount)
            .ok_or(GovError::Overflow("deposit"))?;
        state::put_deposit(
            state,
            &Deposit {
                proposal_id: proposal.id,
                depositor,
                amount: own,
            },
        )?;
        proposal.total_deposit = proposal
            .total_deposit
            .checked_add(amount)
            .ok_or(GovError::Overflow("total deposit"))?;
        let starts_voting = proposal.status == Status::DepositPeriod
            && proposal.total_deposit >= params.min_deposit;
        if starts_voting {
            state::dequeue(state, &proposal);
            crate::lifecycle::start_voting(&mut proposal, ctx.block.height, &params)?;
            state::enqueue(state, &proposal);
        }
        state::put_proposal(state, &proposal)?;
        ctx.emit(event::deposit(
            proposal.id,
            depositor,
            amount,
            proposal.total_deposit,
        ));
        if starts_voting {
            ctx.emit(event::voting_started(&proposal));
        }
        Ok(())
    }
}
