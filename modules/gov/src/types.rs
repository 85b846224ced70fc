//! The gov module's domain types: proposals and their content, votes, deposits, the tally,
//! upgrade plans, and the voters the app hands in. Stored as JSON (small, rarely written
//! records; serde_json's output for these plain structs is deterministic).

use delivery_module::crypto::Address;
use serde::{Deserialize, Serialize};

/// One module's whole new params object, as JSON text (kept byte for byte, so genesis
/// round-trips exactly; parsed when validated and applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamChange {
    /// The module whose params change (`span`, `checkpoint`, `gov`, ...).
    pub module: String,
    /// Its complete new params object (JSON), not a partial patch.
    pub params_json: String,
}

impl ParamChange {
    /// The params as a JSON value.
    pub fn params(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.params_json)
            .map_err(|e| format!("params_json of module {:?} is not JSON: {e}", self.module))
    }
}

/// A software upgrade: from `height` on, only a binary that knows `name` runs the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The upgrade's name: what the new binary registers (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// The first Delivery height the new binary executes; an old binary halts before it.
    pub height: u64,
    /// Free text for operators (where to get the binary, checksums).
    pub info: String,
}

/// What a proposal does when it passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Content {
    /// Nothing: a signal recorded on chain.
    Text,
    /// Replace the params of one or more modules, in order, all or nothing.
    ParamChange {
        /// The changes (distinct modules).
        changes: Vec<ParamChange>,
    },
    /// Schedule an upgrade (replacing any plan not yet done).
    SoftwareUpgrade {
        /// The plan.
        plan: Plan,
    },
    /// Drop the scheduled upgrade plan, if any.
    CancelUpgrade,
}

impl Content {
    /// `text`, `param_change`, `software_upgrade` or `cancel_upgrade`.
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Text => "text",
            Content::ParamChange { .. } => "param_change",
            Content::SoftwareUpgrade { .. } => "software_upgrade",
            Content::CancelUpgrade => "cancel_upgrade",
        }
    }
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Collecting deposits until `min_deposit`.
    DepositPeriod,
    /// Validators vote until `voting_end_height`.
    VotingPeriod,
    /// Passed the tally and its content was executed.
    Passed,
    /// Failed the tally (no quorum, vetoed or not enough yes).
    Rejected,
    /// Passed the tally but its execution failed (nothing changed).
    Failed,
}

impl Status {
    /// The snake_case name (as in JSON and queries).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::DepositPeriod => "deposit_period",
            Status::VotingPeriod => "voting_period",
            Status::Passed => "passed",
            Status::Rejected => "rejected",
            Status::Failed => "failed",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::DepositPeriod,
            Status::VotingPeriod,
            Status::Passed,
            Status::Rejected,
            Status::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Still collecting deposits or votes.
    pub fn is_open(self) -> bool {
        matches!(self, Status::DepositPeriod | Status::VotingPeriod)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vote's choice. Numbers as in the Cosmos SDK's `VoteOption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteOption {
    /// 1.
    Yes,
    /// 2: counts for the quorum only.
    Abstain,
    /// 3.
    No,
    /// 4: a no that, above `veto_threshold`, burns the deposits.
    NoWithVeto,
}

impl VoteOption {
    /// From the wire number (1..=4).
    pub fn from_i32(n: i32) -> Option<VoteOption> {
        match n {
            1 => Some(VoteOption::Yes),
            2 => Some(VoteOption::Abstain),
            3 => Some(VoteOption::No),
            4 => Some(VoteOption::NoWithVeto),
            _ => None,
        }
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        match self {
            VoteOption::Yes => 1,
            VoteOption::Abstain => 2,
            VoteOption::No => 3,
            VoteOption::NoWithVeto => 4,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            VoteOption::Yes => "yes",
            VoteOption::Abstain => "abstain",
            VoteOption::No => "no",
            VoteOption::NoWithVeto => "no_with_veto",
        }
    }
}

/// A validator's vote (one per validator and proposal; a later vote replaces it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// The proposal.
    pub proposal_id: u64,
    /// The validator (votes are keyed by id, so a signer change keeps the vote).
    pub validator_id: u64,
    /// The signer that cast it.
    pub voter: Address,
    /// The choice.
    pub option: VoteOption,
    /// The height of the (latest) vote.
    pub height: u64,
}

/// One depositor's total deposit on a proposal, held in the gov escrow account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    /// The proposal.
    pub proposal_id: u64,
    /// Who deposited (and gets the refund).
    pub depositor: Address,
    /// abtt, decimal string.
    #[serde(with = "delivery_auth::u128_string")]
    pub amount: u128,
}

/// How a tally ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TallyOutcome {
    /// `yes / (yes + no + veto) > threshold`, quorum met, not vetoed.
    Passed,
    /// Quorum met, not vetoed, not enough yes (or only abstentions).
    Rejected,
    /// `voted / active < quorum` (or no active validator). Deposits burned when
    /// `burn_on_no_quorum`.
    NoQuorum,
    /// `veto / voted > veto_threshold`. Deposits burned.
    Vetoed,
}

impl TallyOutcome {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TallyOutcome::Passed => "passed",
            TallyOutcome::Rejected => "rejected",
            TallyOutcome::NoQuorum => "no_quorum",
            TallyOutcome::Vetoed => "vetoed",
        }
    }
}

/// Votes counted: one per active validator, stake ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Yes votes.
    pub yes: u64,
    /// Abstentions.
    pub abstain: u64,
    /// No votes.
    pub no: u64,
    /// No-with-veto votes.
    pub no_with_veto: u64,
    /// The active validators at the tally (the quorum's denominator).
    pub active_validators: u64,
    /// The outcome under the params of the tally.
    pub outcome: TallyOutcome,
}

impl Tally {
    /// Votes cast that counted (abstain included).
    pub fn voted(&self) -> u64 {
        self.yes
            .saturating_add(self.abstain)
            .saturating_add(self.no)
            .saturating_add(self.no_with_veto)
    }
}

/// A proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// Its id (from 1, in submission order).
    pub id: u64,
    /// Title (1..=`max_title_bytes` bytes).
    pub title: String,
    /// Description (up to `max_description_bytes` bytes).
    pub description: String,
    /// What it does.
    pub content: Content,
    /// Who submitted it.
    pub proposer: Address,
    /// Where it stands.
    pub status: Status,
    /// The height of the submission.
    pub submit_height: u64,
    /// The end block in which an unfunded proposal expires (`submit_height +
    /// max_deposit_period`).
    pub deposit_end_height: u64,
    /// The height its voting started (0: not yet).
    pub voting_start_height: u64,
    /// The height whose end block tallies it (0: not voting yet).
    pub voting_end_height: u64,
    /// The sum of its deposits, abtt (decimal string).
    #[serde(with = "delivery_auth::u128_string")]
    pub total_deposit: u128,
    /// The final tally (finished proposals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_tally: Option<Tally>,
    /// Why its execution failed (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// An active validator as the tally sees it: its id and its current signer. The app builds
/// the list from the staking module's active set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Voter {
    /// The validator id.
    pub validator_id: u64,
    /// Its signer address (what signs its votes).
    pub signer: Address,
}
