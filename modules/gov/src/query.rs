//! `custom/gov/<path>` queries. Answers are JSON; arguments are path segments.
//!
//! - `params` → the params
//! - `proposals[/<status>[/<from id>/<limit>]]` → `{"proposals": [...], "next": id|null}`:
//!   proposals with ids ≥ `from id` (default 1) and the status (`all`, `deposit_period`,
//!   `voting_period`, `passed`, `rejected`, `failed`; default `all`), at most `limit`
//!   (1..=[`MAX_QUERY_PROPOSALS`], default 100); `next` is the first id of the next page
//! - `proposal/<id>` → the proposal (`gov/4` if none)
//! - `votes/<id>` → `{"votes": [...]}` by validator id (open proposals; a finished proposal's
//!   votes are deleted after its tally, which stays in `final_tally`)
//! - `vote/<id>/<voter>` → the vote; `voter` is a validator id (decimal) or a signer (`0x…`)
//! - `deposits/<id>` → `{"deposits": [...]}` by depositor (open proposals)
//! - `deposit/<id>/<depositor>` → the deposit
//! - `tally/<id>` → `{"tally": {...}, "with_active_set": bool}`: the counts if the proposal
//!   were tallied now. Through [`handle`] with the active set (the app's route) only active
//!   validators count and the outcome is the one the params give; through the plain
//!   [`delivery_module::Module::query`] (no active set) every stored vote counts,
//!   `active_validators` is 0 and the outcome `no_quorum` is meaningless (`with_active_set`
//!   false)
//! - `upgrade` → `{"plan": plan|null}`; `upgrade-done/<name>` → `{"name", "height": h|null}`

use delivery_module::crypto::Address;
use delivery_module::ExecError;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::error::{GovError, Result};
use crate::lifecycle;
use crate::msg::check_name;
use crate::state;
use crate::types::{Deposit, Plan, Proposal, Status, Tally, Vote, Voter};

/// The most proposals one `proposals` query returns.
pub const MAX_QUERY_PROPOSALS: u64 = 100;

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| GovError::Store(StoreError::Backend(format!("cannot encode answer: {e}"))))
}

fn number(what: &str, text: &str) -> Result<u64> {
    text.parse().map_err(|_| {
        GovError::BadQuery(format!(
            "{what} {:?}: expected a decimal number",
            text.chars().take(32).collect::<String>()
        ))
    })
}

fn address(what: &str, text: &str) -> Result<Address> {
    text.parse()
        .map_err(|e| GovError::BadQuery(format!("{what}: {e}")))
}

/// The answer of `proposals`.
#[derive(Debug, Serialize)]
pub struct ProposalsAnswer {
    /// The page.
    pub proposals: Vec<Proposal>,
    /// The first id of the next page (null: none).
    pub next: Option<u64>,
}

/// The answer of `votes/<id>`.
#[derive(Debug, Serialize)]
pub struct VotesAnswer {
    /// The votes, by validator id.
    pub votes: Vec<Vote>,
}

/// The answer of `deposits/<id>`.
#[derive(Debug, Serialize)]
pub struct DepositsAnswer {
    /// The deposits, by depositor.
    pub deposits: Vec<Deposit>,
}

/// The answer of `tally/<id>`.
#[derive(Debug, Serialize)]
pub struct TallyAnswer {
    /// The counts (and outcome, with the active set).
    pub tally: Tally,
    /// Whether the active set was known (only active validators counted).
    pub with_active_set: bool,
}

/// The answer of `upgrade`.
#[derive(Debug, Serialize)]
pub struct UpgradeAnswer {
    /// The scheduled plan.
    pub plan: Option<Plan>,
}

/// The answer of `upgrade-done/<name>`.
#[derive(Debug, Serialize)]
pub struct UpgradeDoneAnswer {
    /// The name asked about.
    pub name: String,
    /// The height it ran at (null: not done).
    pub height: Option<u64>,
}

fn proposals<S: StateRead + ?Sized>(
    state: &S,
    status: &str,
    from: u64,
    limit: u64,
) -> Result<ProposalsAnswer> {
    let filter = match status {
        "all" => None,
        other => Some(Status::parse(other).ok_or_else(|| {
            GovError::BadQuery(format!(
                "status {:?}: expected all, deposit_period, voting_period, passed, rejected or \
                 failed",
                other.chars().take(32).collect::<String>()
            ))
        })?),
    };
    if !(1..=MAX_QUERY_PROPOSALS).contains(&limit) {
        return Err(GovError::BadQuery(format!(
            "limit {limit} is outside 1..={MAX_QUERY_PROPOSALS}"
        )));
    }
    let mut page = Vec::new();
    let mut next = None;
    for p in state::all_proposals(state)? {
        if p.id < from || filter.is_some_and(|s| s != p.status) {
            continue;
        }
        if u64::try_from(page.len()).unwrap_or(u64::MAX) >= limit {
            next = Some(p.id);
            break;
        }
        page.push(p);
    }
    Ok(ProposalsAnswer {
        proposals: page,
        next,
    })
}

fn tally_now<S: StateRead + ?Sized>(
    state: &S,
    id: u64,
    voters: Option<&[Voter]>,
) -> Result<TallyAnswer> {
    state::existing_proposal(state, id)?;
    let params = state::params(state)?;
    match voters {
        Some(v) => Ok(TallyAnswer {
            tally: lifecycle::tally(state, id, v, &params)?,
            with_active_set: true,
        }),
        None => {
            let everyone: Vec<Voter> = state::votes(state, id)?
                .into_iter()
                .map(|v| Voter {
                    validator_id: v.validator_id,
                    signer: v.voter,
                })
                .collect();
            let mut tally = lifecycle::tally(state, id, &everyone, &params)?;
            tally.active_validators = 0;
            tally.outcome = lifecycle::outcome(&tally, &params);
            Ok(TallyAnswer {
                tally,
                with_active_set: false,
            })
        }
    }
}

fn answer<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    voters: Option<&[Voter]>,
) -> Result<Option<Vec<u8>>> {
    let parts: Vec<&str> = path.split('/').collect();
    Ok(Some(match parts.as_slice() {
        ["params"] => to_json(&state::params(state)?)?,
        ["proposals"] => to_json(&proposals(state, "all", 1, MAX_QUERY_PROPOSALS)?)?,
        ["proposals", status] => to_json(&proposals(state, status, 1, MAX_QUERY_PROPOSALS)?)?,
        ["proposals", status, from, limit] => to_json(&proposals(
            state,
            status,
            number("from id", from)?,
            number("limit", limit)?,
        )?)?,
        ["proposal", id] => to_json(&state::existing_proposal(
            state,
            number("proposal id", id)?,
        )?)?,
        ["votes", id] => {
            let id = number("proposal id", id)?;
            state::existing_proposal(state, id)?;
            to_json(&VotesAnswer {
                votes: state::votes(state, id)?,
            })?
        }
        ["vote", id, voter] => {
            let id = number("proposal id", id)?;
            state::existing_proposal(state, id)?;
            let found = if voter.starts_with("0x") || voter.starts_with("0X") {
                let signer = address("voter", voter)?;
                state::votes(state, id)?
                    .into_iter()
                    .find(|v| v.voter == signer)
            } else {
                state::vote(state, id, number("validator id", voter)?)?
            };
            let vote = found.ok_or_else(|| GovError::UnknownVote {
                id,
                voter: voter.chars().take(48).collect(),
            })?;
            to_json(&vote)?
        }
        ["deposits", id] => {
            let id = number("proposal id", id)?;
            state::existing_proposal(state, id)?;
            to_json(&DepositsAnswer {
                deposits: state::deposits(state, id)?,
            })?
        }
        ["deposit", id, depositor] => {
            let id = number("proposal id", id)?;
            let depositor = address("depositor", depositor)?;
            let d = state::deposit(state, id, &depositor)?.ok_or_else(|| {
                GovError::BadQuery(format!("no deposit of {depositor} on proposal {id}"))
            })?;
            to_json(&d)?
        }
        ["tally", id] => to_json(&tally_now(state, number("proposal id", id)?, voters)?)?,
        ["upgrade"] => to_json(&UpgradeAnswer {
            plan: state::upgrade_plan(state)?,
        })?,
        ["upgrade-done", name] => {
            check_name("upgrade name", name).map_err(GovError::BadQuery)?;
            to_json(&UpgradeDoneAnswer {
                name: (*name).to_string(),
                height: state::upgrade_done(state, name)?,
            })?
        }
        _ => return Ok(None),
    }))
}

/// Answers `custom/gov/<path>`. `voters` is the active set when the app has it (it makes
/// `tally/<id>` exact); [`delivery_module::Module::query`] passes `None`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    _data: &[u8],
    voters: Option<&[Voter]>,
) -> Result<Vec<u8>, ExecError> {
    match answer(state, path, voters)? {
        Some(bytes) => Ok(bytes),
        None => Err(delivery_module::module::unknown_query("gov", path)),
    }
}
