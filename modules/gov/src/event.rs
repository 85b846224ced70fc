//! The gov module's events. Addresses are `0x` hex, amounts decimal abtt.
//!
//! - `gov.proposal_submitted {id, proposer, kind, title, initial_deposit, status}`
//! - `gov.deposit {id, depositor, amount, total_deposit}`
//! - `gov.voting_started {id, voting_start_height, voting_end_height}`: the total deposit
//!   reached `min_deposit`
//! - `gov.vote {id, validator_id, voter, option, replaced}`: `replaced` is the earlier option
//!   (empty for a first vote)
//! - `gov.proposal_passed {id, kind, yes, abstain, no, no_with_veto, active_validators}`: the
//!   content was executed in this end block (visible from the next height)
//! - `gov.proposal_rejected {id, kind, reason, yes, abstain, no, no_with_veto,
//!   active_validators}`: `reason` is `rejected`, `no_quorum` or `vetoed`
//! - `gov.proposal_failed {id, kind, error}`: the tally passed but the execution failed;
//!   nothing changed
//! - `gov.proposal_expired {id, total_deposit}`: the deposit period ended below
//!   `min_deposit`; the proposal is deleted
//! - `gov.deposits_refunded {id, total}` / `gov.deposits_burned {id, total}`
//! - `gov.param_change {id, module}`: one module's params were replaced
//! - `gov.upgrade_scheduled {id, name, height}`, `gov.upgrade_cancelled {id, name}` (`name`
//!   empty when there was no plan), `gov.upgrade_done {name, height}`

use delivery_module::crypto::Address;
use delivery_module::Event;

use crate::types::{Plan, Proposal, Tally, Vote, VoteOption};

/// `gov.proposal_submitted`.
pub fn submitted(p: &Proposal, initial_deposit: u128) -> Event {
    Event::new("gov.proposal_submitted")
        .attr("id", p.id)
        .attr("proposer", p.proposer)
        .attr("kind", p.content.kind())
        .attr("title", &p.title)
        .attr("initial_deposit", initial_deposit)
        .attr("status", p.status)
}

/// `gov.deposit`.
pub fn deposit(id: u64, depositor: Address, amount: u128, total: u128) -> Event {
    Event::new("gov.deposit")
        .attr("id", id)
        .attr("depositor", depositor)
        .attr("amount", amount)
        .attr("total_deposit", total)
}

/// `gov.voting_started`.
pub fn voting_started(p: &Proposal) -> Event {
    Event::new("gov.voting_started")
        .attr("id", p.id)
        .attr("voting_start_height", p.voting_start_height)
        .attr("voting_end_height", p.voting_end_height)
}

/// `gov.vote`.
pub fn vote(v: &Vote, replaced: Option<VoteOption>) -> Event {
    Event::new("gov.vote")
        .attr("id", v.proposal_id)
        .attr("validator_id", v.validator_id)
        .attr("voter", v.voter)
        .attr("option", v.option.as_str())
        .attr("replaced", replaced.map_or("", VoteOption::as_str))
}

fn with_tally(e: Event, t: &Tally) -> Event {
    e.attr("yes", t.yes)
        .attr("abstain", t.abstain)
        .attr("no", t.no)
        .attr("no_with_veto", t.no_with_veto)
        .attr("active_validators", t.active_validators)
}

/// `gov.proposal_passed`.
pub fn passed(p: &Proposal, t: &Tally) -> Event {
    with_tally(
        Event::new("gov.proposal_passed")
            .attr("id", p.id)
            .attr("kind", p.content.kind()),
        t,
    )
}

/// `gov.proposal_rejected`.
pub fn rejected(p: &Proposal, t: &Tally) -> Event {
    with_tally(
        Event::new("gov.proposal_rejected")
            .attr("id", p.id)
            .attr("kind", p.content.kind())
            .attr("reason", t.outcome.as_str()),
        t,
    )
}

/// `gov.proposal_failed`.
pub fn failed(p: &Proposal, error: &str) -> Event {
    Event::new("gov.proposal_failed")
        .attr("id", p.id)
        .attr("kind", p.content.kind())
        .attr("error", error)
}

/// `gov.proposal_expired`.
pub fn expired(p: &Proposal) -> Event {
    Event::new("gov.proposal_expired")
        .attr("id", p.id)
        .attr("total_deposit", p.total_deposit)
}

/// `gov.deposits_refunded` or `gov.deposits_burned`.
pub fn deposits_settled(id: u64, total: u128, burned: bool) -> Event {
    let kind = if burned {
        "gov.deposits_burned"
    } else {
        "gov.deposits_refunded"
    };
    Event::new(kind).attr("id", id).attr("total", total)
}

/// `gov.param_change`.
pub fn param_change(id: u64, module: &str) -> Event {
    Event::new("gov.param_change")
        .attr("id", id)
        .attr("module", module)
}

/// `gov.upgrade_scheduled`.
pub fn upgrade_scheduled(id: u64, plan: &Plan) -> Event {
    Event::new("gov.upgrade_scheduled")
        .attr("id", id)
        .attr("name", &plan.name)
        .attr("height", plan.height)
}

/// `gov.upgrade_cancelled`.
pub fn upgrade_cancelled(id: u64, cancelled: Option<&Plan>) -> Event {
    Event::new("gov.upgrade_cancelled")
        .attr("id", id)
        .attr("name", cancelled.map_or("", |p| p.name.as_str()))
}

/// `gov.upgrade_done`.
pub fn upgrade_done(plan: &Plan, height: u64) -> Event {
    Event::new("gov.upgrade_done")
        .attr("name", &plan.name)
        .attr("height", height)
}
