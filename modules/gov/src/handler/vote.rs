//! `MsgVote`: one validator, one vote.
//!
//! Checks ([`check`], in CheckTx and again in [`execute`]): the proposal exists (`gov/4`) and
//! is in its voting period (`gov/6`); the voter is the current signer of a validator in the
//! active set the app hands in (`gov/7`: delegators and other accounts do not vote, and stake
//! does not weigh). Effect: the vote is stored under the validator's id, replacing its earlier
//! vote on the proposal; votes can change until the end block of `voting_end_height`.

use delivery_module::{Context, ExecError, Msg};
use delivery_store::{StateRead, StateWrite};

use crate::error::GovError;
use crate::event;
use crate::msg::MsgVote;
use crate::state;
use crate::types::{Proposal, Status, Vote, Voter};

/// The checks (see the module doc); returns the proposal and the voting validator.
pub fn check<S: StateRead + ?Sized>(
    msg: &MsgVote,
    state: &S,
    voters: &[Voter],
) -> Result<(Proposal, Voter), ExecError> {
    msg.check_stateless()?;
    let proposal = state::existing_proposal(state, msg.proposal_id)?;
    if proposal.status != Status::VotingPeriod {
        return Err(GovError::NotVoting {
            id: proposal.id,
            status: proposal.status.to_string(),
        }
        .into());
    }
    let signer = msg.signer()?;
    let voter = voters
        .iter()
        .find(|v| v.signer == signer)
        .copied()
        .ok_or_else(|| GovError::NotAValidator(signer.to_string()))?;
    Ok((proposal, voter))
}

/// Re-checks and stores the vote.
pub fn execute<S: StateWrite + ?Sized>(
    msg: &MsgVote,
    ctx: &mut Context<'_>,
    state: &mut S,
    voters: &[Voter],
) -> Result<Vote, ExecError> {
    let (proposal, voter) = check(msg, state, voters)?;
    let option = msg.vote_option()?;
    let replaced = state::vote(state, proposal.id, voter.validator_id)?.map(|v| v.option);
    let vote = Vote {
        proposal_id: proposal.id,
        validator_id: voter.validator_id,
        voter: voter.signer,
        option,
        height: ctx.block.height,
    };
    state::put_vote(state, &vote)?;
    ctx.emit(event::vote(&vote, replaced));
    Ok(vote)
}
