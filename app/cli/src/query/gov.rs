//! `deliveryd query gov …`: the gov module's `custom/gov/<path>` queries (proposals, votes,
//! deposits, the tally if it ran now, params, the upgrade plan). `--output json` prints the
//! module's answer as is.

use anyhow::bail;
use delivery_gov::query::MAX_QUERY_PROPOSALS;
use delivery_gov::{Content, Deposit, Params, Plan, Proposal, Tally, Vote};
use delivery_module::Address;
use serde::Deserialize;
use serde_json::Value;

use super::render::{self, show, table, view};
use crate::amount;
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// A status filter of `query gov proposals`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every proposal.
    All,
    /// Collecting deposits.
    #[value(alias = "deposit_period")]
    Deposit,
    /// In the voting period.
    #[value(alias = "voting_period")]
    Voting,
    /// Passed and executed.
    Passed,
    /// Rejected (including no quorum and vetoed).
    Rejected,
    /// Passed but the execution failed.
    Failed,
}

impl StatusFilter {
    /// The module's name of the status.
    pub fn as_path(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Deposit => "deposit_period",
            StatusFilter::Voting => "voting_period",
            StatusFilter::Passed => "passed",
            StatusFilter::Rejected => "rejected",
            StatusFilter::Failed => "failed",
        }
    }
}

/// `query gov` subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum GovQuery {
    /// Proposals by id, filtered by status, a page at a time.
    Proposals {
        /// deposit, voting, passed, rejected, failed or all.
        #[arg(long, value_enum, default_value_t = StatusFilter::All)]
        status: StatusFilter,
        /// The page (from 1), of `--limit` proposals each.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        page: u64,
        /// Proposals per page (1 to 100).
        #[arg(long, default_value_t = MAX_QUERY_PROPOSALS,
              value_parser = clap::value_parser!(u64).range(1..=MAX_QUERY_PROPOSALS))]
        limit: u64,
        /// Start at this proposal id instead of at page `--page`.
        #[arg(long, conflicts_with = "page",
              value_parser = clap::value_parser!(u64).range(1..))]
        from_id: Option<u64>,
    },
    /// One proposal: content, status, heights, deposit, final tally.
    Proposal {
        /// The proposal id.
        id: u64,
    },
    /// The votes on a proposal in its voting period (by validator id).
    Votes {
        /// The proposal id.
        id: u64,
    },
    /// One validator's vote on a proposal.
    Vote {
        /// The proposal id.
        id: u64,
        /// The validator id, or its signer `0x` address.
        voter: String,
    },
    /// The deposits on an open proposal.
    Deposits {
        /// The proposal id.
        id: u64,
    },
    /// One depositor's deposit on an open proposal.
    Deposit {
        /// The proposal id.
        id: u64,
        /// The depositor's `0x` address.
        depositor: String,
    },
    /// The tally of a proposal as if its voting ended now (the active set counts).
    Tally {
        /// The proposal id.
        id: u64,
    },
    /// The gov params: deposits, periods, quorum, threshold, veto, size limits.
    Params,
    /// The scheduled software upgrade plan, if any.
    Upgrade,
    /// Whether an upgrade has run, and at which height.
    UpgradeDone {
        /// The upgrade name.
        name: String,
    },
}

fn voter_segment(voter: &str) -> anyhow::Result<String> {
    if voter.starts_with("0x") || voter.starts_with("0X") {
        let a: Address = voter.parse().map_err(|e| anyhow::anyhow!("voter: {e}"))?;
        return Ok(a.to_string());
    }
    match voter.parse::<u64>() {
        Ok(id) => Ok(id.to_string()),
        Err(_) => bail!(
            "voter {:?}: expected a validator id (decimal) or a signer 0x address",
            voter.chars().take(48).collect::<String>()
        ),
    }
}

impl GovQuery {
    /// The `custom/gov/…` path this command asks (for `proposals`, the first id of its page),
    /// its arguments checked.
    pub fn path_from(&self, from_id: u64) -> anyhow::Result<String> {
        Ok(match self {
            GovQuery::Proposals { status, limit, .. } => format!(
                "custom/gov/proposals/{}/{from_id}/{limit}",
                status.as_path()
            ),
            GovQuery::Proposal { id } => format!("custom/gov/proposal/{id}"),
            GovQuery::Votes { id } => format!("custom/gov/votes/{id}"),
            GovQuery::Vote { id, voter } => {
                format!("custom/gov/vote/{id}/{}", voter_segment(voter)?)
            }
            GovQuery::Deposits { id } => format!("custom/gov/deposits/{id}"),
            GovQuery::Deposit { id, depositor } => {
                let a: Address = depositor
                    .parse()
                    .map_err(|e| anyhow::anyhow!("depositor: {e}"))?;
                format!("custom/gov/deposit/{id}/{a}")
            }
            GovQuery::Tally { id } => format!("custom/gov/tally/{id}"),
            GovQuery::Params => "custom/gov/params".into(),
            GovQuery::Upgrade => "custom/gov/upgrade".into(),
            GovQuery::UpgradeDone { name } => {
                delivery_gov::msg::check_name("upgrade name", name)
                    .map_err(|e| anyhow::anyhow!(e))?;
                format!("custom/gov/upgrade-done/{name}")
            }
        })
    }
}

/// Runs a `query gov` subcommand.
pub fn run(rpc: &RpcClient, format: OutputFormat, query: &GovQuery) -> anyhow::Result<()> {
    let (path, value) = match query {
        GovQuery::Proposals { page, from_id, .. } => proposals_page(rpc, query, *page, *from_id)?,
        _ => {
            let path = query.path_from(1)?;
            let answer = render::fetch(rpc, &path, 0)?;
            (path, answer.value)
        }
    };
    show(format, &value, |v| text(query, &path, v))
}

/// Page `page` of `query` (following the module's `next` cursor from id 1), or the page from
/// `from_id`.
fn proposals_page(
    rpc: &RpcClient,
    query: &GovQuery,
    page: u64,
    from_id: Option<u64>,
) -> anyhow::Result<(String, Value)> {
    let mut from = from_id.unwrap_or(1);
    let mut remaining = if from_id.is_some() {
        0
    } else {
        page.saturating_sub(1)
    };
    loop {
        let path = query.path_from(from)?;
        let answer = render::fetch(rpc, &path, 0)?;
        if remaining == 0 {
            return Ok((path, answer.value));
        }
        let next: ProposalsView = view(&path, &answer.value)?;
        match next.next {
            Some(n) => from = n,
            None => {
                // Past the last page: an empty page.
                return Ok((path, serde_json::json!({"proposals": [], "next": null})));
            }
        }
        remaining = remaining.saturating_sub(1);
    }
}

/// A `proposals` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ProposalsView {
    proposals: Vec<Proposal>,
    next: Option<u64>,
}

/// A `votes` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct VotesView {
    votes: Vec<Vote>,
}

/// A `deposits` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct DepositsView {
    deposits: Vec<Deposit>,
}

/// A `tally` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct TallyView {
    tally: Tally,
    with_active_set: bool,
}

/// An `upgrade` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct UpgradeView {
    plan: Option<Plan>,
}

/// An `upgrade-done` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct UpgradeDoneView {
    name: String,
    height: Option<u64>,
}

fn abtt(atto: u128) -> String {
    format!("{atto}abtt ({})", amount::format_btt(atto))
}

fn height(h: u64) -> String {
    if h == 0 {
        "-".into()
    } else {
        h.to_string()
    }
}

/// The text form of `query`'s answer `v`.
pub fn text(query: &GovQuery, path: &str, v: &Value) -> anyhow::Result<String> {
    Ok(match query {
        GovQuery::Proposals { status, .. } => proposals_text(*status, &view(path, v)?),
        GovQuery::Proposal { .. } => proposal_text(&view(path, v)?),
        GovQuery::Votes { id } => {
            let a: VotesView = view(path, v)?;
            if a.votes.is_empty() {
                return Ok(format!("no votes on proposal {id}"));
            }
            let rows: Vec<Vec<String>> = a
                .votes
                .iter()
                .map(|v| {
                    vec![
                        v.validator_id.to_string(),
                        v.voter.to_string(),
                        v.option.as_str().to_string(),
                        v.height.to_string(),
                    ]
                })
                .collect();
            table(&["VALIDATOR_ID", "VOTER", "OPTION", "HEIGHT"], &rows)
        }
        GovQuery::Vote { .. } => {
            let vote: Vote = view(path, v)?;
            output::fields(&[
                ("proposal_id", vote.proposal_id.to_string()),
                ("validator_id", vote.validator_id.to_string()),
                ("voter", vote.voter.to_string()),
                ("option", vote.option.as_str().to_string()),
                ("height", vote.height.to_string()),
            ])
        }
        GovQuery::Deposits { id } => {
            let a: DepositsView = view(path, v)?;
            if a.deposits.is_empty() {
                return Ok(format!("no deposits on proposal {id}"));
            }
            let rows: Vec<Vec<String>> = a
                .deposits
                .iter()
                .map(|d| vec![d.depositor.to_string(), abtt(d.amount)])
                .collect();
            table(&["DEPOSITOR", "AMOUNT"], &rows)
        }
        GovQuery::Deposit { .. } => {
            let d: Deposit = view(path, v)?;
            output::fields(&[
                ("proposal_id", d.proposal_id.to_string()),
                ("depositor", d.depositor.to_string()),
                ("amount", abtt(d.amount)),
            ])
        }
        GovQuery::Tally { id } => tally_text(*id, &view(path, v)?),
        GovQuery::Params => params_text(&view(path, v)?),
        GovQuery::Upgrade => {
            let a: UpgradeView = view(path, v)?;
            match a.plan {
                None => "no upgrade scheduled".into(),
                Some(plan) => output::fields(&[
                    ("name", plan.name),
                    ("height", plan.height.to_string()),
                    ("info", plan.info),
                ]),
            }
        }
        GovQuery::UpgradeDone { .. } => {
            let a: UpgradeDoneView = view(path, v)?;
            match a.height {
                None => format!("upgrade {:?} has not run", a.name),
                Some(h) => format!("upgrade {:?} ran at height {h}", a.name),
            }
        }
    })
}

fn outcome_of(p: &Proposal) -> String {
    match (&p.final_tally, &p.failure) {
        (_, Some(f)) => format!("failed: {f}"),
        (Some(t), None) => t.outcome.as_str().to_string(),
        (None, None) => "-".into(),
    }
}

fn proposals_text(status: StatusFilter, a: &ProposalsView) -> String {
    if a.proposals.is_empty() {
        return match status {
            StatusFilter::All => "no proposals".into(),
            other => format!("no proposals with status {}", other.as_path()),
        };
    }
    let rows: Vec<Vec<String>> = a
        .proposals
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.status.as_str().to_string(),
                p.content.kind().to_string(),
                amount::format_btt(p.total_deposit),
                height(p.voting_end_height),
                p.title.clone(),
            ]
        })
        .collect();
    let mut text = table(
        &["ID", "STATUS", "KIND", "DEPOSIT", "VOTING_END", "TITLE"],
        &rows,
    );
    if let Some(next) = a.next {
        text.push_str(&format!(
            "\nmore: the next page starts at proposal {next} (--page or --from-id {next})"
        ));
    }
    text
}

fn proposal_text(p: &Proposal) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("id", p.id.to_string()),
        ("title", p.title.clone()),
        ("status", p.status.as_str().to_string()),
        ("kind", p.content.kind().to_string()),
        ("proposer", p.proposer.to_string()),
        ("submit_height", p.submit_height.to_string()),
        ("deposit_end_height", p.deposit_end_height.to_string()),
        ("voting_start_height", height(p.voting_start_height)),
        ("voting_end_height", height(p.voting_end_height)),
        ("total_deposit", abtt(p.total_deposit)),
    ];
    match &p.content {
        Content::Text | Content::CancelUpgrade => {}
        Content::ParamChange { changes } => {
            for c in changes {
                rows.push(("change", format!("{}: {}", c.module, c.params_json)));
            }
        }
        Content::SoftwareUpgrade { plan } => {
            rows.push((
                "upgrade",
                format!("{} at height {}", plan.name, plan.height),
            ));
            if !plan.info.is_empty() {
                rows.push(("upgrade_info", plan.info.clone()));
            }
        }
    }
    if let Some(t) = &p.final_tally {
        rows.push(("final_tally", tally_line(t)));
        rows.push(("outcome", outcome_of(p)));
    } else if let Some(f) = &p.failure {
        rows.push(("outcome", format!("failed: {f}")));
    }
    let mut text = output::fields(&rows);
    if !p.description.is_empty() {
        text.push_str("\n\n");
        text.push_str(&p.description);
    }
    text
}

fn tally_line(t: &Tally) -> String {
    format!(
        "yes {}, no {}, no_with_veto {}, abstain {} of {} active validators",
        t.yes, t.no, t.no_with_veto, t.abstain, t.active_validators
    )
}

fn tally_text(id: u64, a: &TallyView) -> String {
    let t = &a.tally;
    let mut rows = vec![
        ("proposal_id", id.to_string()),
        ("yes", t.yes.to_string()),
        ("no", t.no.to_string()),
        ("no_with_veto", t.no_with_veto.to_string()),
        ("abstain", t.abstain.to_string()),
        (
            "voted",
            format!("{} of {} active validators", t.voted(), t.active_validators),
        ),
    ];
    if a.with_active_set {
        rows.push(("outcome_if_ended_now", t.outcome.as_str().to_string()));
    } else {
        rows.push((
            "outcome_if_ended_now",
            "unknown (the node did not count the active set)".into(),
        ));
    }
    output::fields(&rows)
}

fn params_text(p: &Params) -> String {
    output::fields(&[
        ("min_deposit", abtt(p.min_deposit)),
        ("min_initial_deposit", abtt(p.min_initial_deposit)),
        (
            "max_deposit_period",
            format!("{} blocks", p.max_deposit_period),
        ),
        ("voting_period", format!("{} blocks", p.voting_period)),
        ("quorum", p.quorum.to_string()),
        ("threshold", p.threshold.to_string()),
        ("veto_threshold", p.veto_threshold.to_string()),
        ("burn_on_no_quorum", p.burn_on_no_quorum.to_string()),
        (
            "burn_on_deposit_expiry",
            p.burn_on_deposit_expiry.to_string(),
        ),
        ("max_title_bytes", p.max_title_bytes.to_string()),
        ("max_description_bytes", p.max_description_bytes.to_string()),
        ("max_param_changes", p.max_param_changes.to_string()),
        ("max_params_json_bytes", p.max_params_json_bytes.to_string()),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use delivery_gov::query::{
        DepositsAnswer, ProposalsAnswer, TallyAnswer, UpgradeAnswer, UpgradeDoneAnswer, VotesAnswer,
    };
    use delivery_gov::{ParamChange, Status, TallyOutcome, VoteOption};

    fn json<T: serde::Serialize>(value: &T) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    fn proposal(id: u64, status: Status, content: Content) -> Proposal {
        Proposal {
            id,
            title: format!("Proposal {id}"),
            description: String::new(),
            content,
            proposer: addr(0xaa),
            status,
            submit_height: 10,
            deposit_end_height: 30,
            voting_start_height: 12,
            voting_end_height: 32,
            total_deposit: 1_500_000_000_000_000_000,
            final_tally: None,
            failure: None,
        }
    }

    fn tally(outcome: TallyOutcome) -> Tally {
        Tally {
            yes: 3,
            abstain: 0,
            no: 1,
            no_with_veto: 0,
            active_validators: 4,
            outcome,
        }
    }

    #[test]
    fn paths_follow_the_module() {
        let q = |line: &GovQuery| line.path_from(1).unwrap();
        let proposals = GovQuery::Proposals {
            status: StatusFilter::Voting,
            page: 1,
            limit: 20,
            from_id: None,
        };
        assert_eq!(q(&proposals), "custom/gov/proposals/voting_period/1/20");
        assert_eq!(
            proposals.path_from(41).unwrap(),
            "custom/gov/proposals/voting_period/41/20"
        );
        assert_eq!(q(&GovQuery::Proposal { id: 3 }), "custom/gov/proposal/3");
        assert_eq!(q(&GovQuery::Votes { id: 3 }), "custom/gov/votes/3");
        assert_eq!(q(&GovQuery::Deposits { id: 3 }), "custom/gov/deposits/3");
        assert_eq!(q(&GovQuery::Tally { id: 3 }), "custom/gov/tally/3");
        assert_eq!(q(&GovQuery::Params), "custom/gov/params");
        assert_eq!(q(&GovQuery::Upgrade), "custom/gov/upgrade");
        assert_eq!(
            q(&GovQuery::UpgradeDone { name: "v2".into() }),
            "custom/gov/upgrade-done/v2"
        );
        assert_eq!(
            q(&GovQuery::Vote {
                id: 3,
                voter: "2".into()
            }),
            "custom/gov/vote/3/2"
        );
        let signer = addr(0xbb).to_string();
        assert_eq!(
            q(&GovQuery::Vote {
                id: 3,
                voter: signer.to_uppercase().replacen("0X", "0x", 1)
            }),
            format!("custom/gov/vote/3/{signer}")
        );
        assert_eq!(
            q(&GovQuery::Deposit {
                id: 1,
                depositor: signer.clone()
            }),
            format!("custom/gov/deposit/1/{signer}")
        );
        for voter in ["alice", "-1", "0x12", "1/2"] {
            let e = GovQuery::Vote {
                id: 1,
                voter: voter.into(),
            }
            .path_from(1)
            .unwrap_err();
            assert!(e.to_string().contains("voter"), "{voter}: {e}");
        }
        assert!(GovQuery::UpgradeDone {
            name: "../x".into()
        }
        .path_from(1)
        .is_err());
    }

    #[test]
    fn proposals_read_as_a_table_with_the_next_page() {
        let mut passed = proposal(
            1,
            Status::Passed,
            Content::ParamChange {
                changes: vec![ParamChange {
                    module: "span".into(),
                    params_json: "{\"producer_count\":5}".into(),
                }],
            },
        );
        passed.final_tally = Some(tally(TallyOutcome::Passed));
        let mut open = proposal(2, Status::DepositPeriod, Content::Text);
        open.voting_end_height = 0;
        open.total_deposit = 0;
        let a = ProposalsAnswer {
            proposals: vec![passed, open],
            next: Some(3),
        };
        let q = GovQuery::Proposals {
            status: StatusFilter::All,
            page: 1,
            limit: 2,
            from_id: None,
        };
        assert_eq!(
            text(&q, "p", &json(&a)).unwrap(),
            "ID  STATUS          KIND          DEPOSIT  VOTING_END  TITLE\n\
             1   passed          param_change  1.5btt   32          Proposal 1\n\
             2   deposit_period  text          0btt     -           Proposal 2\n\
             more: the next page starts at proposal 3 (--page or --from-id 3)"
        );
        let none = ProposalsAnswer {
            proposals: vec![],
            next: None,
        };
        let voting = GovQuery::Proposals {
            status: StatusFilter::Voting,
            page: 1,
            limit: 2,
            from_id: None,
        };
        assert_eq!(
            text(&voting, "p", &json(&none)).unwrap(),
            "no proposals with status voting_period"
        );
    }

    #[test]
    fn a_proposal_reads_as_fields_with_its_content_and_outcome() {
        let mut p = proposal(
            4,
            Status::Failed,
            Content::ParamChange {
                changes: vec![ParamChange {
                    module: "span".into(),
                    params_json: "{\"producer_count\":5}".into(),
                }],
            },
        );
        p.final_tally = Some(tally(TallyOutcome::Passed));
        p.failure = Some("module span: producer_count 0".into());
        p.description = "Why.".into();
        let t = text(&GovQuery::Proposal { id: 4 }, "p", &json(&p)).unwrap();
        assert!(t.starts_with("id:                   4\n"), "{t}");
        assert!(
            t.contains("change:               span: {\"producer_count\":5}"),
            "{t}"
        );
        assert!(
            t.contains("final_tally:          yes 3, no 1, no_with_veto 0, abstain 0 of 4 active validators"),
            "{t}"
        );
        assert!(
            t.contains("outcome:              failed: module span: producer_count 0"),
            "{t}"
        );
        assert!(
            t.contains("total_deposit:        1500000000000000000abtt (1.5btt)"),
            "{t}"
        );
        assert!(t.ends_with("\n\nWhy."), "{t}");

        let upgrade = proposal(
            5,
            Status::VotingPeriod,
            Content::SoftwareUpgrade {
                plan: Plan {
                    name: "v2".into(),
                    height: 900,
                    info: "get it at x".into(),
                },
            },
        );
        let t = text(&GovQuery::Proposal { id: 5 }, "p", &json(&upgrade)).unwrap();
        assert!(
            t.contains("upgrade:              v2 at height 900\n"),
            "{t}"
        );
        assert!(t.contains("upgrade_info:         get it at x"), "{t}");
        assert!(!t.contains("outcome"), "{t}");
    }

    #[test]
    fn votes_deposits_and_the_tally_read_as_tables_and_fields() {
        let votes = VotesAnswer {
            votes: vec![Vote {
                proposal_id: 1,
                validator_id: 2,
                voter: addr(0x11),
                option: VoteOption::NoWithVeto,
                height: 44,
            }],
        };
        assert_eq!(
            text(&GovQuery::Votes { id: 1 }, "p", &json(&votes)).unwrap(),
            format!(
                "VALIDATOR_ID  VOTER                                       OPTION        HEIGHT\n\
                 2             {}  no_with_veto  44",
                addr(0x11)
            )
        );
        let one = text(
            &GovQuery::Vote {
                id: 1,
                voter: "2".into(),
            },
            "p",
            &json(&votes.votes[0]),
        )
        .unwrap();
        assert!(one.contains("option:        no_with_veto"), "{one}");
        assert_eq!(
            text(
                &GovQuery::Votes { id: 9 },
                "p",
                &json(&VotesAnswer { votes: vec![] })
            )
            .unwrap(),
            "no votes on proposal 9"
        );
        let deposits = DepositsAnswer {
            deposits: vec![Deposit {
                proposal_id: 1,
                depositor: addr(0x22),
                amount: 2_000_000_000_000_000_000,
            }],
        };
        assert_eq!(
            text(&GovQuery::Deposits { id: 1 }, "p", &json(&deposits)).unwrap(),
            format!(
                "DEPOSITOR                                   AMOUNT\n\
                 {}  2000000000000000000abtt (2btt)",
                addr(0x22)
            )
        );
        let tally_answer = TallyAnswer {
            tally: tally(TallyOutcome::Passed),
            with_active_set: true,
        };
        assert_eq!(
            text(&GovQuery::Tally { id: 1 }, "p", &json(&tally_answer)).unwrap(),
            "proposal_id:           1\n\
             yes:                   3\n\
             no:                    1\n\
             no_with_veto:          0\n\
             abstain:               0\n\
             voted:                 4 of 4 active validators\n\
             outcome_if_ended_now:  passed"
        );
        let blind = TallyAnswer {
            tally: tally(TallyOutcome::NoQuorum),
            with_active_set: false,
        };
        let t = text(&GovQuery::Tally { id: 1 }, "p", &json(&blind)).unwrap();
        assert!(
            t.contains("unknown (the node did not count the active set)"),
            "{t}"
        );
    }

    #[test]
    fn params_and_upgrades_read_as_fields() {
        let t = text(&GovQuery::Params, "p", &json(&Params::localnet())).unwrap();
        assert!(
            t.contains("min_deposit:             1000000000000000000abtt (1btt)\n"),
            "{t}"
        );
        assert!(t.contains("voting_period:           20 blocks\n"), "{t}");
        assert!(t.contains("quorum:                  0.334\n"), "{t}");
        assert!(t.contains("veto_threshold:          0.334\n"), "{t}");
        assert_eq!(
            text(
                &GovQuery::Upgrade,
                "p",
                &json(&UpgradeAnswer { plan: None })
            )
            .unwrap(),
            "no upgrade scheduled"
        );
        let plan = UpgradeAnswer {
            plan: Some(Plan {
                name: "v2".into(),
                height: 300,
                info: "x".into(),
            }),
        };
        assert_eq!(
            text(&GovQuery::Upgrade, "p", &json(&plan)).unwrap(),
            "name:    v2\nheight:  300\ninfo:    x"
        );
        let done = UpgradeDoneAnswer {
            name: "v2".into(),
            height: Some(300),
        };
        let q = GovQuery::UpgradeDone { name: "v2".into() };
        assert_eq!(
            text(&q, "p", &json(&done)).unwrap(),
            "upgrade \"v2\" ran at height 300"
        );
    }

    #[test]
    fn an_answer_of_another_form_is_an_error_not_a_panic() {
        let e = text(
            &GovQuery::Params,
            "custom/gov/params",
            &serde_json::json!({"x": 1}),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("the node's custom/gov/params answer is not in the form"),
            "{e:#}"
        );
    }
}
