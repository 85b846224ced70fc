//! Gov genesis: params, the next proposal id, proposals with the deposits and votes of the
//! open ones, the scheduled upgrade plan and the done upgrades.
//!
//! Importing an export reproduces the module's state key for key (the queues are rebuilt from
//! the proposals), so an export at height H imported at H + 1 keeps every open proposal, its
//! deposits and votes, and the same app hash contribution. Heights in proposals are absolute:
//! a chain imported from an export continues at the exported height + 1, so each open
//! proposal's end height is still ahead.
//!
//! The escrow's balance lives in the bank's genesis: it must hold at least the sum of the
//! deposits listed here ([`check_escrow`] checks a state).

use std::collections::BTreeSet;

use delivery_module::crypto::Address;
use delivery_module::{ExecError, Module};
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::{GovError, Result};
use crate::msg::check_name;
use crate::params::Params;
use crate::state::{self, DoneUpgrade};
use crate::types::{Content, Deposit, Plan, Proposal, Status, Vote};

fn one() -> u64 {
    1
}

/// The gov section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (mainnet defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// The id the next proposal gets (1 on a new chain); above every listed proposal's id.
    #[serde(default = "one")]
    pub next_proposal_id: u64,
    /// Proposals by id (open and finished).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<Proposal>,
    /// Deposits of open proposals (summing to each one's `total_deposit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposits: Vec<Deposit>,
    /// Votes on proposals in their voting period.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
    /// The scheduled upgrade plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_plan: Option<Plan>,
    /// Upgrades that ran, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done_upgrades: Vec<DoneUpgrade>,
}

impl Default for Genesis {
    fn default() -> Self {
        Self {
            params: Params::default(),
            next_proposal_id: 1,
            proposals: Vec::new(),
            deposits: Vec::new(),
            votes: Vec::new(),
            upgrade_plan: None,
            done_upgrades: Vec::new(),
        }
    }
}

fn bad<T>(message: String) -> Result<T> {
    Err(GovError::InvalidGenesis(message))
}

fn check_content(id: u64, content: &Content) -> Result<()> {
    let fail = |m: String| GovError::InvalidGenesis(format!("proposal {id}: {m}"));
    match content {
        Content::Text | Content::CancelUpgrade => {}
        Content::ParamChange { changes } => {
            if changes.is_empty() {
                return Err(fail("a param change without changes".into()));
            }
            let mut modules = BTreeSet::new();
            for c in changes {
                check_name("module", &c.module).map_err(fail)?;
                if !modules.insert(c.module.as_str()) {
                    return Err(fail(format!("module {} changed twice", c.module)));
                }
                if !c.params().map_err(fail)?.is_object() {
                    return Err(fail(format!(
                        "params_json of {} is not an object",
                        c.module
                    )));
                }
            }
        }
        Content::SoftwareUpgrade { plan } => check_plan(plan).map_err(fail)?,
    }
    Ok(())
}

fn check_plan(plan: &Plan) -> Result<(), String> {
    check_name("upgrade name", &plan.name)?;
    if plan.height == 0 {
        return Err("upgrade height must be > 0".into());
    }
    Ok(())
}

fn check_proposal(p: &Proposal) -> Result<()> {
    let fail = |m: &str| bad(format!("proposal {}: {m}", p.id));
    if p.title.trim().is_empty() {
        return fail("empty title");
    }
    check_content(p.id, &p.content)?;
    match p.status {
        Status::DepositPeriod => {
            if p.voting_start_height != 0 || p.voting_end_height != 0 {
                return fail("in its deposit period but with voting heights");
            }
            if p.deposit_end_height <= p.submit_height {
                return fail("deposit_end_height is not after submit_height");
            }
        }
        Status::VotingPeriod => {
            if p.voting_end_height <= p.voting_start_height
                || p.voting_start_height < p.submit_height
            {
                return fail("voting heights out of order");
            }
        }
        Status::Passed | Status::Rejected | Status::Failed => {
            if p.final_tally.is_none() {
                return fail("finished without a final tally");
            }
        }
    }
    if p.status.is_open() && p.final_tally.is_some() {
        return fail("open but with a final tally");
    }
    if p.failure.is_some() != (p.status == Status::Failed) {
        return fail("a failure reason goes with status failed, and only with it");
    }
    Ok(())
}

/// Checks a genesis section (see the module doc).
pub fn validate(genesis: &Genesis) -> Result<()> {
    genesis.params.validate()?;
    if genesis.next_proposal_id == 0 {
        return bad("next_proposal_id must be >= 1".into());
    }
    let mut previous = 0u64;
    for p in &genesis.proposals {
        if p.id <= previous {
            return bad(format!(
                "proposal ids must rise: {} follows {previous}",
                p.id
            ));
        }
        if p.id >= genesis.next_proposal_id {
            return bad(format!(
                "proposal {} is not below next_proposal_id {}",
                p.id, genesis.next_proposal_id
            ));
        }
        previous = p.id;
        check_proposal(p)?;
    }
    let find = |id: u64| genesis.proposals.iter().find(|p| p.id == id);
    let mut seen_deposits: BTreeSet<(u64, Address)> = BTreeSet::new();
    for d in &genesis.deposits {
        let Some(p) = find(d.proposal_id) else {
            return bad(format!(
                "deposit of {} on unknown proposal {}",
                d.depositor, d.proposal_id
            ));
        };
        if !p.status.is_open() {
            return bad(format!(
                "deposit of {} on proposal {}, which is {} (settled deposits are not kept)",
                d.depositor, p.id, p.status
            ));
        }
        if d.amount == 0 {
            return bad(format!("zero deposit of {} on {}", d.depositor, p.id));
        }
        if !seen_deposits.insert((d.proposal_id, d.depositor)) {
            return bad(format!(
                "deposit of {} on {} listed twice",
                d.depositor, p.id
            ));
        }
    }
    for p in &genesis.proposals {
        let mut sum: u128 = 0;
        for d in genesis.deposits.iter().filter(|d| d.proposal_id == p.id) {
            sum = sum
                .checked_add(d.amount)
                .ok_or(GovError::Overflow("genesis deposits"))?;
        }
        if p.status.is_open() && sum != p.total_deposit {
            return bad(format!(
                "proposal {} has total_deposit {} but its deposits sum to {sum}",
                p.id, p.total_deposit
            ));
        }
        if p.status == Status::DepositPeriod && p.total_deposit >= genesis.params.min_deposit {
            return bad(format!(
                "proposal {} is in its deposit period with {} abtt, at least min_deposit {}",
                p.id, p.total_deposit, genesis.params.min_deposit
            ));
        }
    }
    let mut seen_votes: BTreeSet<(u64, u64)> = BTreeSet::new();
    for v in &genesis.votes {
        match find(v.proposal_id) {
            Some(p) if p.status == Status::VotingPeriod => {}
            Some(p) => {
                return bad(format!(
                    "vote of validator {} on proposal {}, which is {}",
                    v.validator_id, p.id, p.status
                ))
            }
            None => {
                return bad(format!(
                    "vote of validator {} on unknown proposal {}",
                    v.validator_id, v.proposal_id
                ))
            }
        }
        if !seen_votes.insert((v.proposal_id, v.validator_id)) {
            return bad(format!(
                "vote of validator {} on {} listed twice",
                v.validator_id, v.proposal_id
            ));
        }
    }
    let mut done = BTreeSet::new();
    for d in &genesis.done_upgrades {
        check_name("upgrade name", &d.name).map_err(GovError::InvalidGenesis)?;
        if !done.insert(d.name.as_str()) {
            return bad(format!("done upgrade {} listed twice", d.name));
        }
    }
    if let Some(plan) = &genesis.upgrade_plan {
        check_plan(plan).map_err(GovError::InvalidGenesis)?;
        if done.contains(plan.name.as_str()) {
            return bad(format!(
                "the scheduled upgrade {} is already done",
                plan.name
            ));
        }
    }
    Ok(())
}

/// Writes a genesis section (validated first).
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<()> {
    validate(genesis)?;
    state::set_params(state, &genesis.params)?;
    state::set_next_id(state, genesis.next_proposal_id);
    for p in &genesis.proposals {
        state::put_proposal(state, p)?;
        state::enqueue(state, p);
    }
    for d in &genesis.deposits {
        state::put_deposit(state, d)?;
    }
    for v in &genesis.votes {
        state::put_vote(state, v)?;
    }
    if let Some(plan) = &genesis.upgrade_plan {
        state::set_upgrade_plan(state, plan)?;
    }
    for d in &genesis.done_upgrades {
        state::set_upgrade_done(state, &d.name, d.height);
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis> {
    Ok(Genesis {
        params: state::params(state)?,
        next_proposal_id: state::next_id(state)?,
        proposals: state::all_proposals(state)?,
        deposits: state::all_deposits(state)?,
        votes: state::all_votes(state)?,
        upgrade_plan: state::upgrade_plan(state)?,
        done_upgrades: state::all_done_upgrades(state)?,
    })
}

/// Checks that the escrow account holds at least the sum of all open deposits (more only if
/// someone sent BTT to it directly). For app invariant checks and tests.
pub fn check_escrow<S: StateRead + ?Sized>(state: &S) -> Result<()> {
    let mut sum: u128 = 0;
    for d in state::all_deposits(state)? {
        sum = sum
            .checked_add(d.amount)
            .ok_or(GovError::Overflow("deposits"))?;
    }
    let held = delivery_bank::balance(state, &state::escrow_address())?;
    if held < sum {
        return Err(GovError::Escrow(format!(
            "the escrow holds {held} abtt, below the {sum} abtt of open deposits"
        )));
    }
    Ok(())
}

/// The gov module.
pub struct GovModule;

impl Module for GovModule {
    const NAME: &'static str = "gov";
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
        crate::query::handle(state, path, data, None)
    }
}
