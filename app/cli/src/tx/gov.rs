//! `deliveryd tx gov …`: submit a proposal from a file, deposit on one, vote on one (the gov
//! module's `MsgSubmitProposal`, `MsgDeposit`, `MsgVote`). The proposal file format is in
//! [`super::proposal`] and docs/guides/governance.md.

use std::path::PathBuf;

use anyhow::bail;
use delivery_auth::AnyMsg;
use delivery_gov::{MsgDeposit, MsgSubmitProposal, MsgVote, VoteOption};
use delivery_module::Address;
use serde_json::{json, Value};

use super::proposal::ProposalFile;
use super::{TxContext, TxFlags};
use crate::amount;
use crate::home::Home;
use crate::output::OutputFormat;

/// A vote's choice on the command line.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteChoice {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts toward the quorum only.
    Abstain,
    /// Against; above the veto threshold the proposal's deposits are burned.
    #[value(name = "no-with-veto", alias = "no_with_veto", alias = "veto")]
    NoWithVeto,
}

impl VoteChoice {
    /// The module's option.
    pub fn option(self) -> VoteOption {
        match self {
            VoteChoice::Yes => VoteOption::Yes,
            VoteChoice::No => VoteOption::No,
            VoteChoice::Abstain => VoteOption::Abstain,
            VoteChoice::NoWithVeto => VoteOption::NoWithVeto,
        }
    }
}

/// `tx gov` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum GovTx {
    /// Submit a proposal described by a JSON file (text, param_change, software_upgrade or
    /// cancel_upgrade; format in docs/guides/governance.md), with its initial deposit. With
    /// --wait, prints the new proposal id.
    SubmitProposal {
        /// The proposal file.
        file: PathBuf,
        /// Common flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Add to a proposal's deposit (`10btt`, `0.5btt`, `1000abtt`).
    Deposit {
        /// The proposal id.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        proposal_id: u64,
        /// Amount: `1000abtt` or `1.5btt`.
        amount: String,
        /// Common flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Vote on a proposal in its voting period. Only the signer key of an active validator
    /// votes (one validator, one vote); a later vote replaces the earlier one.
    Vote {
        /// The proposal id.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        proposal_id: u64,
        /// yes, no, abstain or no-with-veto.
        #[arg(value_enum)]
        option: VoteChoice,
        /// Common flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

/// `MsgDeposit` from `depositor`; the amount as `tx bank send` takes it, > 0.
pub fn deposit_msg(
    depositor: &Address,
    proposal_id: u64,
    text: &str,
) -> anyhow::Result<MsgDeposit> {
    let value = amount::parse(text)?;
    if value == 0 {
        bail!("the deposit must be greater than 0");
    }
    Ok(MsgDeposit {
        depositor: depositor.to_string(),
        proposal_id,
        amount: value.to_string(),
    })
}

/// `MsgVote` from `voter`.
pub fn vote_msg(voter: &Address, proposal_id: u64, choice: VoteChoice) -> MsgVote {
    MsgVote {
        voter: voter.to_string(),
        proposal_id,
        option: choice.option().as_i32(),
    }
}

/// Runs a `tx gov` subcommand.
pub fn run(command: GovTx, home: &Home, output: OutputFormat) -> anyhow::Result<()> {
    match command {
        GovTx::SubmitProposal { file, flags } => {
            // The file is checked before the key is unlocked or the node asked.
            let proposal = ProposalFile::read(&file)?;
            proposal.to_msg(&Address([0; 20]))?;
            let ctx = TxContext::load(home, &flags)?;
            let msg: MsgSubmitProposal = proposal.to_msg(&ctx.key.address())?;
            let sent = ctx.broadcast(&[AnyMsg::pack(&msg)], &flags)?;
            let extra = submitted_fields(&sent.events);
            super::finish(output, sent.report, &extra)
        }
        GovTx::Deposit {
            proposal_id,
            amount,
            flags,
        } => {
            deposit_msg(&Address([0; 20]), proposal_id, &amount)?;
            let ctx = TxContext::load(home, &flags)?;
            let msg = deposit_msg(&ctx.key.address(), proposal_id, &amount)?;
            let sent = ctx.broadcast(&[AnyMsg::pack(&msg)], &flags)?;
            let extra = deposit_fields(&sent.events);
            super::finish(output, sent.report, &extra)
        }
        GovTx::Vote {
            proposal_id,
            option,
            flags,
        } => {
            let ctx = TxContext::load(home, &flags)?;
            let msg = vote_msg(&ctx.key.address(), proposal_id, option);
            let sent = ctx.broadcast(&[AnyMsg::pack(&msg)], &flags)?;
            let extra = vote_fields(&sent.events);
            super::finish(output, sent.report, &extra)
        }
    }
}

/// The attributes of the first event of type `kind` in a tx result's `events`.
pub fn event_attrs(events: &[Value], kind: &str) -> Option<Vec<(String, String)>> {
    let event = events
        .iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some(kind))?;
    Some(
        event
            .get("attributes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| {
                let text = |k: &str| {
                    a.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                (text("key"), text("value"))
            })
            .collect(),
    )
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Numbers stay numbers in the JSON report.
fn number_or_text(text: &str) -> Value {
    text.parse::<u64>()
        .map_or_else(|_| json!(text), |n| json!(n))
}

/// Fields a committed submission adds: `proposal_id`, `status`, and the voting period when the
/// initial deposit started it.
pub fn submitted_fields(events: &[Value]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if let Some(a) = event_attrs(events, "gov.proposal_submitted") {
        if let Some(id) = attr(&a, "id") {
            out.push(("proposal_id", number_or_text(id)));
        }
        if let Some(status) = attr(&a, "status") {
            out.push(("status", json!(status)));
        }
    }
    out.extend(voting_fields(events));
    out
}

fn voting_fields(events: &[Value]) -> Vec<(&'static str, Value)> {
    match event_attrs(events, "gov.voting_started") {
        Some(a) => vec![
            (
                "voting_start_height",
                number_or_text(attr(&a, "voting_start_height").unwrap_or_default()),
            ),
            (
                "voting_end_height",
                number_or_text(attr(&a, "voting_end_height").unwrap_or_default()),
            ),
        ],
        None => Vec::new(),
    }
}

/// Fields a committed deposit adds: the total deposit, and the voting period if it started.
pub fn deposit_fields(events: &[Value]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if let Some(a) = event_attrs(events, "gov.deposit") {
        if let Some(total) = attr(&a, "total_deposit") {
            out.push(("total_deposit", json!(total)));
        }
    }
    out.extend(voting_fields(events));
    out
}

/// Fields a committed vote adds: the validator it counts for and the option it replaced.
pub fn vote_fields(events: &[Value]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if let Some(a) = event_attrs(events, "gov.vote") {
        if let Some(id) = attr(&a, "validator_id") {
            out.push(("validator_id", number_or_text(id)));
        }
        if let Some(option) = attr(&a, "option") {
            out.push(("option", json!(option)));
        }
        if let Some(replaced) = attr(&a, "replaced").filter(|r| !r.is_empty()) {
            out.push(("replaced", json!(replaced)));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use delivery_module::Msg as _;
    use prost::Message as _;

    #[derive(clap::Parser, Debug)]
    struct Wrapper {
        #[command(subcommand)]
        command: GovTx,
    }

    fn parse(line: &str) -> Result<GovTx, clap::Error> {
        Wrapper::try_parse_from(std::iter::once("gov").chain(line.split_whitespace()))
            .map(|w| w.command)
    }

    fn addr() -> Address {
        "0x00000000000000000000000000000000000000bb"
            .parse()
            .unwrap()
    }

    #[test]
    fn arguments_parse_into_their_subcommands() {
        match parse("submit-proposal p.json --from validator --wait").unwrap() {
            GovTx::SubmitProposal { file, flags } => {
                assert_eq!(file, PathBuf::from("p.json"));
                assert_eq!(flags.from, "validator");
                assert!(flags.wait);
            }
            other => panic!("{other:?}"),
        }
        match parse("deposit 3 10btt --from k --fees 1abtt").unwrap() {
            GovTx::Deposit {
                proposal_id,
                amount,
                flags,
            } => {
                assert_eq!((proposal_id, amount.as_str()), (3, "10btt"));
                assert_eq!(flags.fees.as_deref(), Some("1abtt"));
            }
            other => panic!("{other:?}"),
        }
        for (word, choice) in [
            ("yes", VoteChoice::Yes),
            ("no", VoteChoice::No),
            ("abstain", VoteChoice::Abstain),
            ("no-with-veto", VoteChoice::NoWithVeto),
            ("no_with_veto", VoteChoice::NoWithVeto),
            ("veto", VoteChoice::NoWithVeto),
        ] {
            match parse(&format!("vote 7 {word} --from v")).unwrap() {
                GovTx::Vote {
                    proposal_id: 7,
                    option,
                    ..
                } => assert_eq!(option, choice),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn malformed_arguments_are_refused_by_the_parser() {
        for line in [
            "vote 1 maybe --from v",
            "vote 0 yes --from v",
            "vote x yes --from v",
            "vote 1 yes",
            "deposit 1 --from v",
            "deposit -1 1btt --from v",
            "submit-proposal --from v",
            "submit-proposal a.json b.json --from v",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
        let e = parse("vote 1 maybe --from v").unwrap_err().to_string();
        assert!(e.contains("yes, no, abstain, no-with-veto"), "{e}");
    }

    #[test]
    fn messages_carry_the_module_type_urls_and_fields() {
        let vote = vote_msg(&addr(), 4, VoteChoice::NoWithVeto);
        let any = AnyMsg::pack(&vote);
        assert_eq!(any.type_url, "/delivery.gov.v1.MsgVote");
        let back = MsgVote::decode(any.value.as_slice()).unwrap();
        assert_eq!(back.voter, addr().to_string());
        assert_eq!((back.proposal_id, back.option), (4, 4));
        back.check_stateless().unwrap();
        for (choice, n) in [
            (VoteChoice::Yes, 1),
            (VoteChoice::Abstain, 2),
            (VoteChoice::No, 3),
            (VoteChoice::NoWithVeto, 4),
        ] {
            assert_eq!(vote_msg(&addr(), 1, choice).option, n);
        }

        let deposit = deposit_msg(&addr(), 2, "0.5btt").unwrap();
        let any = AnyMsg::pack(&deposit);
        assert_eq!(any.type_url, "/delivery.gov.v1.MsgDeposit");
        let back = MsgDeposit::decode(any.value.as_slice()).unwrap();
        assert_eq!(back.amount, "500000000000000000");
        assert_eq!(back.depositor, addr().to_string());
        assert_eq!(back.proposal_id, 2);
        back.check_stateless().unwrap();
        assert_eq!(
            deposit_msg(&addr(), 2, "0btt").unwrap_err().to_string(),
            "the deposit must be greater than 0"
        );
        assert!(deposit_msg(&addr(), 2, "lots").is_err());

        let file = ProposalFile::parse(
            "p",
            r#"{"title": "t", "deposit": "1btt", "content": {"type": "text"}}"#,
        )
        .unwrap();
        let submit = file.to_msg(&addr()).unwrap();
        let any = AnyMsg::pack(&submit);
        assert_eq!(any.type_url, "/delivery.gov.v1.MsgSubmitProposal");
        assert_eq!(
            MsgSubmitProposal::decode(any.value.as_slice()).unwrap(),
            submit
        );
    }

    fn event(kind: &str, attrs: &[(&str, &str)]) -> Value {
        json!({
            "type": kind,
            "attributes": attrs.iter().map(|(k, v)| json!({"key": k, "value": v, "index": true}))
                .collect::<Vec<_>>(),
        })
    }

    #[test]
    fn committed_results_yield_the_proposal_id_and_more() {
        let events = vec![
            event("bank.transfer", &[("amount", "5")]),
            event(
                "gov.proposal_submitted",
                &[
                    ("id", "12"),
                    ("kind", "param_change"),
                    ("status", "voting_period"),
                ],
            ),
            event(
                "gov.voting_started",
                &[
                    ("id", "12"),
                    ("voting_start_height", "40"),
                    ("voting_end_height", "60"),
                ],
            ),
        ];
        assert_eq!(
            submitted_fields(&events),
            vec![
                ("proposal_id", json!(12)),
                ("status", json!("voting_period")),
                ("voting_start_height", json!(40)),
                ("voting_end_height", json!(60)),
            ]
        );
        assert!(submitted_fields(&[]).is_empty());
        let deposit = vec![event(
            "gov.deposit",
            &[("id", "1"), ("amount", "7"), ("total_deposit", "9")],
        )];
        assert_eq!(
            deposit_fields(&deposit),
            vec![("total_deposit", json!("9"))]
        );
        let vote = vec![event(
            "gov.vote",
            &[
                ("id", "1"),
                ("validator_id", "3"),
                ("option", "yes"),
                ("replaced", ""),
            ],
        )];
        assert_eq!(
            vote_fields(&vote),
            vec![("validator_id", json!(3)), ("option", json!("yes"))]
        );
        let changed = vec![event(
            "gov.vote",
            &[("validator_id", "3"), ("option", "no"), ("replaced", "yes")],
        )];
        assert_eq!(
            vote_fields(&changed).last().unwrap(),
            &("replaced", json!("yes"))
        );
    }
}
