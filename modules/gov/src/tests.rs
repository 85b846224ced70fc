//! Unit tests of the gov rules: the 3-of-4 param change at its height, quorum, veto, threshold
//! boundaries, changeable votes, non-validator votes, deposit expiry, param changes refused at
//! submission and at execution, upgrade plans, genesis round trip, queries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use delivery_bank::{Bank, GenesisBalance};
use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_module::{BlockInfo, Context, Event, ExecError, ExecMode, Module, Msg, MsgHandler};
use delivery_store::{EmptyState, StateDelta, StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::codes;
use crate::genesis::{self, Genesis};
use crate::handler::{submit, vote};
use crate::msg::{
    msg_submit_proposal, CancelUpgradeContent, ParamChangeContent, ParamChangeProto,
    SoftwareUpgradeContent, TextContent,
};
use crate::param_space::{ParamError, ParamSpace};
use crate::state::{self, DoneUpgrade};
use crate::types::{Status, TallyOutcome, VoteOption, Voter};
use crate::upgrade::{self, UpgradeAction};
use crate::{end_block, Dec, GovModule, MsgDeposit, MsgSubmitProposal, MsgVote, Params, Plan};

type State = StateDelta<EmptyState>;

const MIN: u128 = 1_000;
const FUNDS: u128 = 1_000_000;

fn addr(n: u8) -> Address {
    Address([n; 20])
}

/// Validators 1..=4 with signers 0xa1.., 0xa2.., ...
fn voters() -> Vec<Voter> {
    (1..=4)
        .map(|i| Voter {
            validator_id: u64::from(i),
            signer: addr(0xa0 + i),
        })
        .collect()
}

const ALICE: u8 = 0x11;
const BOB: u8 = 0x12;

/// The test "span" params: what the test ParamSpace guards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpanParams {
    producer_count: u32,
    sprint_length: u64,
}

const SPAN_KEY: &[u8] = b"span/params";
/// A state value the span check reads: the most producers allowed now.
const CEILING_KEY: &[u8] = b"test/max-producers";

/// The app's ParamSpace in miniature: `span` (checked against a ceiling in state) and `gov`.
struct TestSpace;

impl ParamSpace for TestSpace {
    fn validate(
        &self,
        state: &dyn StateRead,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError> {
        match module {
            "span" => {
                let p: SpanParams = serde_json::from_value(params.clone())
                    .map_err(|e| ParamError::Invalid(e.to_string()))?;
                let ceiling = codec::get_u64(state, CEILING_KEY)?.unwrap_or(100);
                if p.producer_count == 0 || u64::from(p.producer_count) > ceiling {
                    return Err(ParamError::Invalid(format!(
                        "producer_count {} is outside 1..={ceiling}",
                        p.producer_count
                    )));
                }
                Ok(())
            }
            "gov" => Params::from_json(params)
                .map(|_| ())
                .map_err(|e| ParamError::Invalid(e.to_string())),
            other => Err(ParamError::Invalid(format!("unknown module {other:?}"))),
        }
    }

    fn apply(
        &self,
        state: &mut dyn StateWrite,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError> {
        match module {
            "span" => {
                let p: SpanParams = serde_json::from_value(params.clone())
                    .map_err(|e| ParamError::Invalid(e.to_string()))?;
                codec::put_json(state, SPAN_KEY.to_vec(), &p)?;
                Ok(())
            }
            "gov" => {
                let p =
                    Params::from_json(params).map_err(|e| ParamError::Invalid(e.to_string()))?;
                state::set_params(state, &p).map_err(|e| ParamError::Invalid(e.to_string()))
            }
            other => Err(ParamError::Invalid(format!("unknown module {other:?}"))),
        }
    }
}

fn span_params(state: &State) -> SpanParams {
    codec::get_json(state, SPAN_KEY).unwrap().unwrap()
}

fn test_params() -> Params {
    Params {
        min_deposit: MIN,
        min_initial_deposit: 0,
        max_deposit_period: 10,
        voting_period: 10,
        ..Params::default()
    }
}

fn fresh_with(params: Params) -> State {
    let mut s = StateDelta::new(EmptyState);
    let mut balances: Vec<GenesisBalance> = [ALICE, BOB]
        .into_iter()
        .chain((1..=4).map(|i| 0xa0 + i))
        .map(|n| GenesisBalance {
            address: addr(n),
            amount: FUNDS,
        })
        .collect();
    balances.sort_by_key(|b| b.address);
    Bank::init_genesis(&mut s, &delivery_bank::Genesis { balances }).unwrap();
    genesis::init(
        &mut s,
        &Genesis {
            params,
            ..Genesis::default()
        },
    )
    .unwrap();
    codec::put_json(
        &mut s,
        SPAN_KEY.to_vec(),
        &SpanParams {
            producer_count: 4,
            sprint_length: 64,
        },
    )
    .unwrap();
    s
}

fn fresh() -> State {
    fresh_with(test_params())
}

fn block(height: u64) -> BlockInfo {
    BlockInfo {
        chain_id: "delivery-test".into(),
        height,
        time_seconds: 1_700_000_000 + i64::try_from(height).unwrap() * 2,
        time_nanos: 0,
    }
}

fn rejection<T: std::fmt::Debug>(r: Result<T, ExecError>) -> (&'static str, u32, String) {
    match r {
        Err(ExecError::Rejected(e)) => (e.codespace, e.code, e.log),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn text() -> Option<msg_submit_proposal::Content> {
    Some(msg_submit_proposal::Content::Text(TextContent {}))
}

fn span_change(producer_count: u32) -> Option<msg_submit_proposal::Content> {
    Some(msg_submit_proposal::Content::ParamChange(
        ParamChangeContent {
            changes: vec![ParamChangeProto {
                module: "span".into(),
                params_json: format!(r#"{{"producer_count":{producer_count},"sprint_length":64}}"#),
            }],
        },
    ))
}

fn upgrade_content(name: &str, height: u64) -> Option<msg_submit_proposal::Content> {
    Some(msg_submit_proposal::Content::SoftwareUpgrade(
        SoftwareUpgradeContent {
            name: name.into(),
            height,
            info: "https://example.invalid/v2 sha256:abcd".into(),
        },
    ))
}

fn submit_msg(
    proposer: u8,
    content: Option<msg_submit_proposal::Content>,
    deposit: u128,
) -> MsgSubmitProposal {
    MsgSubmitProposal {
        proposer: addr(proposer).to_string(),
        title: "Four producers per span".into(),
        description: "Raise the producer count.".into(),
        initial_deposit: deposit.to_string(),
        content,
    }
}

/// Submits at `height`; returns the new id.
fn submit_at(
    s: &mut State,
    height: u64,
    content: Option<msg_submit_proposal::Content>,
    deposit: u128,
) -> Result<u64, ExecError> {
    let b = block(height);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let m = submit_msg(ALICE, content, deposit);
    submit::check(&m, &ctx, s, &TestSpace)?;
    Ok(submit::execute(&m, &mut ctx, s, &TestSpace)?.id)
}

fn deposit_at(s: &mut State, height: u64, who: u8, id: u64, amount: u128) -> Result<(), ExecError> {
    let b = block(height);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let m = MsgDeposit {
        depositor: addr(who).to_string(),
        proposal_id: id,
        amount: amount.to_string(),
    };
    m.check_stateless()?;
    m.check_stateful(&ctx, s)?;
    m.execute(&mut ctx, s)
}

fn vote_at(
    s: &mut State,
    height: u64,
    signer: Address,
    id: u64,
    option: VoteOption,
    set: &[Voter],
) -> Result<Vec<Event>, ExecError> {
    let b = block(height);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    let m = MsgVote {
        voter: signer.to_string(),
        proposal_id: id,
        option: option.as_i32(),
    };
    vote::check(&m, s, set)?;
    vote::execute(&m, &mut ctx, s, set)?;
    Ok(ctx.take_events())
}

/// Runs end blocks from `from` to `to` inclusive with `set`; returns all events.
fn run_end_blocks(s: &mut State, from: u64, to: u64, set: &[Voter]) -> Vec<Event> {
    let mut events = Vec::new();
    for h in from..=to {
        let b = block(h);
        let mut ctx = Context::new(&b, ExecMode::Deliver);
        end_block(s, &mut ctx, set, &TestSpace).unwrap();
        events.extend(ctx.take_events());
    }
    events
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn attr<'a>(e: &'a Event, key: &str) -> &'a str {
    e.attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no attribute {key} in {e:?}"))
}

fn balance(s: &State, n: u8) -> u128 {
    delivery_bank::balance(s, &addr(n)).unwrap()
}

fn escrow(s: &State) -> u128 {
    delivery_bank::balance(s, &state::escrow_address()).unwrap()
}

fn vote_all(s: &mut State, height: u64, id: u64, options: &[Option<VoteOption>]) {
    let set = voters();
    for (v, o) in set.iter().zip(options) {
        if let Some(o) = o {
            vote_at(s, height, v.signer, id, *o, &set).unwrap();
        }
    }
}

#[test]
fn a_param_change_passes_with_3_of_4_votes_and_takes_effect_at_the_end_of_its_voting_period() {
    let mut s = fresh();
    let id = submit_at(&mut s, 10, span_change(7), MIN).unwrap();
    assert_eq!(id, 1);
    let p = state::proposal(&s, id).unwrap().unwrap();
    assert_eq!(p.status, Status::VotingPeriod);
    assert_eq!((p.voting_start_height, p.voting_end_height), (10, 20));
    assert_eq!(balance(&s, ALICE), FUNDS - MIN);
    assert_eq!(escrow(&s), MIN);
    use VoteOption::*;
    vote_all(&mut s, 12, id, &[Some(Yes), Some(Yes), Some(Yes), None]);
    // Nothing happens before the end block of height 20.
    run_end_blocks(&mut s, 11, 19, &voters());
    assert_eq!(span_params(&s).producer_count, 4);
    let events = run_end_blocks(&mut s, 20, 20, &voters());
    assert_eq!(
        span_params(&s).producer_count,
        7,
        "written in the end block of 20"
    );
    assert_eq!(
        kinds(&events),
        vec![
            "gov.param_change",
            "gov.proposal_passed",
            "gov.deposits_refunded"
        ]
    );
    let passed = &events[1];
    assert_eq!(
        (
            attr(passed, "yes"),
            attr(passed, "no"),
            attr(passed, "active_validators")
        ),
        ("3", "0", "4")
    );
    let p = state::proposal(&s, id).unwrap().unwrap();
    assert_eq!(p.status, Status::Passed);
    let t = p.final_tally.unwrap();
    assert_eq!((t.yes, t.outcome), (3, TallyOutcome::Passed));
    assert_eq!(balance(&s, ALICE), FUNDS, "deposit refunded");
    assert_eq!(escrow(&s), 0);
    assert!(state::votes(&s, id).unwrap().is_empty());
    assert!(state::deposits(&s, id).unwrap().is_empty());
    // Voting is over.
    let (space, code, _) = rejection(vote_at(&mut s, 21, addr(0xa4), id, Yes, &voters()));
    assert_eq!((space, code), ("gov", codes::NOT_VOTING));
}

#[test]
fn a_proposal_short_of_quorum_fails_and_its_deposit_is_burned_or_refunded_per_the_param() {
    for burn in [true, false] {
        let mut s = fresh_with(Params {
            burn_on_no_quorum: burn,
            ..test_params()
        });
        let supply = delivery_bank::supply(&s).unwrap();
        let id = submit_at(&mut s, 1, text(), MIN).unwrap();
        // 1 of 4 = 0.25 < 0.334.
        vote_all(&mut s, 2, id, &[Some(VoteOption::Yes), None, None, None]);
        let events = run_end_blocks(&mut s, 2, 11, &voters());
        let rejected = events
            .iter()
            .find(|e| e.kind == "gov.proposal_rejected")
            .unwrap();
        assert_eq!(attr(rejected, "reason"), "no_quorum");
        let p = state::proposal(&s, id).unwrap().unwrap();
        assert_eq!(p.status, Status::Rejected);
        assert_eq!(p.final_tally.unwrap().outcome, TallyOutcome::NoQuorum);
        assert_eq!(escrow(&s), 0);
        if burn {
            assert_eq!(balance(&s, ALICE), FUNDS - MIN);
            assert_eq!(delivery_bank::supply(&s).unwrap(), supply - MIN);
            assert!(kinds(&events).contains(&"gov.deposits_burned"));
        } else {
            assert_eq!(balance(&s, ALICE), FUNDS);
            assert_eq!(delivery_bank::supply(&s).unwrap(), supply);
        }
    }
}

#[test]
fn a_vetoed_proposal_burns_every_deposit() {
    let mut s = fresh();
    let supply = delivery_bank::supply(&s).unwrap();
    let id = submit_at(&mut s, 1, span_change(9), 400).unwrap();
    deposit_at(&mut s, 2, BOB, id, 600).unwrap();
    use VoteOption::*;
    // veto 2/4 = 0.5 > 0.334, even with 2 yes.
    vote_all(
        &mut s,
        3,
        id,
        &[Some(Yes), Some(Yes), Some(NoWithVeto), Some(NoWithVeto)],
    );
    let events = run_end_blocks(&mut s, 3, 12, &voters());
    let rejected = events
        .iter()
        .find(|e| e.kind == "gov.proposal_rejected")
        .unwrap();
    assert_eq!(attr(rejected, "reason"), "vetoed");
    assert_eq!(span_params(&s).producer_count, 4, "not executed");
    assert_eq!(balance(&s, ALICE), FUNDS - 400);
    assert_eq!(balance(&s, BOB), FUNDS - 600);
    assert_eq!(escrow(&s), 0);
    assert_eq!(delivery_bank::supply(&s).unwrap(), supply - MIN);
    let burned = events
        .iter()
        .find(|e| e.kind == "gov.deposits_burned")
        .unwrap();
    assert_eq!(attr(burned, "total"), "1000");
}

#[test]
fn a_veto_at_exactly_the_threshold_does_not_veto() {
    // veto_threshold 0.5: 2 vetoes of 4 votes is 0.5, not > 0.5; yes 2 / 4 decisive is not > 0.5.
    let params = Params {
        veto_threshold: "0.5".parse().unwrap(),
        ..test_params()
    };
    let mut s = fresh_with(params);
    let id = submit_at(&mut s, 1, text(), MIN).unwrap();
    use VoteOption::*;
    vote_all(
        &mut s,
        2,
        id,
        &[Some(Yes), Some(Yes), Some(NoWithVeto), Some(NoWithVeto)],
    );
    run_end_blocks(&mut s, 2, 11, &voters());
    let p = state::proposal(&s, id).unwrap().unwrap();
    assert_eq!(p.final_tally.unwrap().outcome, TallyOutcome::Rejected);
    assert_eq!(balance(&s, ALICE), FUNDS, "rejected, not vetoed: refunded");
}

#[test]
fn exactly_half_yes_is_not_above_the_threshold() {
    use VoteOption::*;
    let cases: [([Option<VoteOption>; 4], TallyOutcome); 5] = [
        (
            [Some(Yes), Some(Yes), Some(No), Some(No)],
            TallyOutcome::Rejected,
        ),
        (
            [Some(Yes), Some(Yes), Some(Yes), Some(No)],
            TallyOutcome::Passed,
        ),
        (
            [Some(Yes), Some(Abstain), Some(No), None],
            TallyOutcome::Rejected,
        ),
        (
            [Some(Yes), Some(Yes), Some(Abstain), Some(No)],
            TallyOutcome::Passed,
        ),
        (
            [Some(Abstain), Some(Abstain), None, None],
            TallyOutcome::Rejected,
        ),
    ];
    for (options, expected) in cases {
        let mut s = fresh();
        let id = submit_at(&mut s, 1, text(), MIN).unwrap();
        vote_all(&mut s, 2, id, &options);
        run_end_blocks(&mut s, 2, 11, &voters());
        let p = state::proposal(&s, id).unwrap().unwrap();
        assert_eq!(p.final_tally.unwrap().outcome, expected, "{options:?}");
    }
}

#[test]
fn quorum_is_counted_in_validators_at_the_exact_boundary() {
    // Quorum 0.5 with 4 validators: 2 voters is exactly 0.5 (>= passes the quorum), 1 is not.
    let mut s = fresh_with(Params {
        quorum: "0.5".parse().unwrap(),
        ..test_params()
    });
    let a = submit_at(&mut s, 1, text(), MIN).unwrap();
    let b = submit_at(&mut s, 1, text(), MIN).unwrap();
    use VoteOption::*;
    vote_all(&mut s, 2, a, &[Some(Yes), Some(Yes), None, None]);
    vote_all(&mut s, 2, b, &[Some(Yes), None, None, None]);
    run_end_blocks(&mut s, 2, 11, &voters());
    let outcome = |id| {
        state::proposal(&s, id)
            .unwrap()
            .unwrap()
            .final_tally
            .unwrap()
            .outcome
    };
    assert_eq!(outcome(a), TallyOutcome::Passed);
    assert_eq!(outcome(b), TallyOutcome::NoQuorum);
}

#[test]
fn votes_can_change_until_the_voting_period_ends() {
    let mut s = fresh();
    let id = submit_at(&mut s, 1, text(), MIN).unwrap();
    let set = voters();
    use VoteOption::*;
    for v in &set[..3] {
        vote_at(&mut s, 2, v.signer, id, No, &set).unwrap();
    }
    // Validator 1 changes its mind twice; the last vote, in the final block (11), counts.
    let events = vote_at(&mut s, 5, set[0].signer, id, Yes, &set).unwrap();
    assert_eq!(attr(&events[0], "replaced"), "no");
    vote_at(&mut s, 11, set[1].signer, id, Yes, &set).unwrap();
    vote_at(&mut s, 11, set[2].signer, id, Yes, &set).unwrap();
    assert_eq!(
        state::votes(&s, id).unwrap().len(),
        3,
        "one vote per validator"
    );
    run_end_blocks(&mut s, 2, 11, &set);
    let t = state::proposal(&s, id)
        .unwrap()
        .unwrap()
        .final_tally
        .unwrap();
    assert_eq!((t.yes, t.no, t.outcome), (3, 0, TallyOutcome::Passed));
}

#[test]
fn a_vote_from_a_non_validator_account_is_rejected_with_a_clear_error() {
    let mut s = fresh();
    let id = submit_at(&mut s, 1, text(), MIN).unwrap();
    let (space, code, log) = rejection(vote_at(
        &mut s,
        2,
        addr(BOB),
        id,
        VoteOption::Yes,
        &voters(),
    ));
    assert_eq!((space, code), ("gov", codes::NOT_A_VALIDATOR));
    assert!(log.contains(&addr(BOB).to_string()), "{log}");
    assert!(
        log.contains("not the signer of an active validator"),
        "{log}"
    );
    assert!(state::votes(&s, id).unwrap().is_empty());
    // Unknown proposal, proposal not voting.
    let (_, code, _) = rejection(vote_at(
        &mut s,
        2,
        addr(0xa1),
        9,
        VoteOption::Yes,
        &voters(),
    ));
    assert_eq!(code, codes::UNKNOWN_PROPOSAL);
    let waiting = submit_at(&mut s, 2, text(), 1).unwrap();
    let (_, code, log) = rejection(vote_at(
        &mut s,
        3,
        addr(0xa1),
        waiting,
        VoteOption::Yes,
        &voters(),
    ));
    assert_eq!(code, codes::NOT_VOTING);
    assert!(log.contains("deposit_period"), "{log}");
}

#[test]
fn votes_of_validators_that_left_the_active_set_do_not_count_and_signer_changes_keep_votes() {
    let mut s = fresh();
    let id = submit_at(&mut s, 1, text(), MIN).unwrap();
    use VoteOption::*;
    vote_all(&mut s, 2, id, &[Some(Yes), Some(Yes), Some(No), None]);
    // By the tally validators 2 and 3 left; 1 changed its signer; 5 joined.
    let at_tally = vec![
        Voter {
            validator_id: 1,
            signer: addr(0xb1),
        },
        Voter {
            validator_id: 4,
            signer: addr(0xa4),
        },
        Voter {
            validator_id: 5,
            signer: addr(0xa5),
        },
    ];
    run_end_blocks(&mut s, 2, 11, &at_tally);
    let t = state::proposal(&s, id)
        .unwrap()
        .unwrap()
        .final_tally
        .unwrap();
    // 1 counted vote of 3 active: 0.333 < 0.334.
    assert_eq!((t.yes, t.no, t.active_validators), (1, 0, 3));
    assert_eq!(t.outcome, TallyOutcome::NoQuorum);
}

#[test]
fn the_deposit_period_expires_or_a_deposit_starts_voting() {
    for burn in [true, false] {
        let mut s = fresh_with(Params {
            burn_on_deposit_expiry: burn,
            ..test_params()
        });
        let supply = delivery_bank::supply(&s).unwrap();
        let expiring = submit_at(&mut s, 5, text(), 100).unwrap();
        deposit_at(&mut s, 6, BOB, expiring, 200).unwrap();
        let funded = submit_at(&mut s, 5, text(), 100).unwrap();
        let p = state::proposal(&s, expiring).unwrap().unwrap();
        assert_eq!(
            (p.status, p.deposit_end_height, p.total_deposit),
            (Status::DepositPeriod, 15, 300)
        );
        // Reaching the minimum at height 8 starts voting: it ends at 18.
        deposit_at(&mut s, 8, BOB, funded, MIN - 100).unwrap();
        let p = state::proposal(&s, funded).unwrap().unwrap();
        assert_eq!(
            (p.status, p.voting_start_height, p.voting_end_height),
            (Status::VotingPeriod, 8, 18)
        );
        let events = run_end_blocks(&mut s, 6, 15, &voters());
        assert!(kinds(&events).contains(&"gov.proposal_expired"));
        assert!(state::proposal(&s, expiring).unwrap().is_none(), "deleted");
        assert_eq!(
            state::proposal(&s, funded).unwrap().unwrap().status,
            Status::VotingPeriod
        );
        if burn {
            assert_eq!(balance(&s, ALICE), FUNDS - 200);
            assert_eq!(balance(&s, BOB), FUNDS - 200 - (MIN - 100));
            assert_eq!(delivery_bank::supply(&s).unwrap(), supply - 300);
        } else {
            assert_eq!(balance(&s, ALICE), FUNDS - 100);
            assert_eq!(balance(&s, BOB), FUNDS - (MIN - 100));
        }
        assert_eq!(
            escrow(&s),
            MIN,
            "only the funded proposal's deposits remain"
        );
        genesis::check_escrow(&s).unwrap();
        // The funded proposal, without votes, misses the quorum at 18.
        run_end_blocks(&mut s, 16, 18, &voters());
        assert_eq!(
            state::proposal(&s, funded).unwrap().unwrap().status,
            Status::Rejected
        );
        // Deposits on finished or expired proposals are refused.
        let (_, code, _) = rejection(deposit_at(&mut s, 19, BOB, funded, 1));
        assert_eq!(code, codes::NOT_TAKING_DEPOSITS);
        let (_, code, _) = rejection(deposit_at(&mut s, 19, BOB, expiring, 1));
        assert_eq!(code, codes::UNKNOWN_PROPOSAL);
    }
}

#[test]
fn deposits_need_funds_and_the_initial_deposit_its_minimum() {
    let mut s = fresh_with(Params {
        min_initial_deposit: 10,
        ..test_params()
    });
    let (_, code, log) = rejection(submit_at(&mut s, 1, text(), 9));
    assert_eq!(code, codes::INITIAL_DEPOSIT_TOO_SMALL);
    assert!(
        log.contains("below the minimum initial deposit 10"),
        "{log}"
    );
    let (space, code, _) = rejection(submit_at(&mut s, 1, text(), FUNDS + 1));
    assert_eq!((space, code), ("bank", 5));
    let id = submit_at(&mut s, 1, text(), 10).unwrap();
    let (space, code, _) = rejection(deposit_at(&mut s, 2, BOB, id, FUNDS + 1));
    assert_eq!((space, code), ("bank", 5));
    assert_eq!(state::next_id(&s).unwrap(), 2);
}

#[test]
fn a_param_change_the_module_refuses_is_refused_at_submission() {
    let mut s = fresh();
    let (_, code, log) = rejection(submit_at(&mut s, 1, span_change(0), MIN));
    assert_eq!(code, codes::INVALID_PROPOSAL);
    assert!(
        log.contains("module span: producer_count 0 is outside 1..=100"),
        "{log}"
    );
    let unknown = Some(msg_submit_proposal::Content::ParamChange(
        ParamChangeContent {
            changes: vec![ParamChangeProto {
                module: "nosuch".into(),
                params_json: "{}".into(),
            }],
        },
    ));
    let (_, code, log) = rejection(submit_at(&mut s, 1, unknown, MIN));
    assert_eq!(code, codes::INVALID_PROPOSAL);
    assert!(log.contains("unknown module"), "{log}");
    let unknown_field = Some(msg_submit_proposal::Content::ParamChange(
        ParamChangeContent {
            changes: vec![ParamChangeProto {
                module: "span".into(),
                params_json: r#"{"producer_count":4,"sprint_length":64,"extra":1}"#.into(),
            }],
        },
    ));
    assert_eq!(
        rejection(submit_at(&mut s, 1, unknown_field, MIN)).1,
        codes::INVALID_PROPOSAL
    );
    assert_eq!(state::next_id(&s).unwrap(), 1, "nothing was written");
    assert_eq!(escrow(&s), 0);
}

#[test]
fn a_param_change_that_became_invalid_by_execution_fails_without_effect() {
    let mut s = fresh();
    let old_gov = state::params(&s).unwrap();
    let new_gov = Params {
        voting_period: 30,
        ..old_gov.clone()
    };
    let content = Some(msg_submit_proposal::Content::ParamChange(
        ParamChangeContent {
            changes: vec![
                ParamChangeProto {
                    module: "gov".into(),
                    params_json: serde_json::to_string(&new_gov).unwrap(),
                },
                ParamChangeProto {
                    module: "span".into(),
                    params_json: r#"{"producer_count":8,"sprint_length":64}"#.into(),
                },
            ],
        },
    ));
    let id = submit_at(&mut s, 1, content, MIN).unwrap();
    use VoteOption::*;
    vote_all(&mut s, 2, id, &[Some(Yes), Some(Yes), Some(Yes), Some(Yes)]);
    // Before the tally the ceiling drops to 6: 8 producers is no longer valid.
    codec::put_u64(&mut s, CEILING_KEY.to_vec(), 6);
    let events = run_end_blocks(&mut s, 2, 11, &voters());
    let failed = events
        .iter()
        .find(|e| e.kind == "gov.proposal_failed")
        .unwrap();
    assert!(attr(failed, "error").contains("producer_count 8 is outside 1..=6"));
    assert!(!kinds(&events).contains(&"gov.param_change"));
    let p = state::proposal(&s, id).unwrap().unwrap();
    assert_eq!(p.status, Status::Failed);
    assert!(p.failure.unwrap().contains("module span"));
    assert_eq!(
        state::params(&s).unwrap(),
        old_gov,
        "all or nothing: gov unchanged"
    );
    assert_eq!(span_params(&s).producer_count, 4);
    assert_eq!(balance(&s, ALICE), FUNDS, "a failed execution refunds");
}

#[test]
fn a_gov_param_change_applies_to_later_proposals() {
    let mut s = fresh();
    let new_gov = Params {
        voting_period: 30,
        ..test_params()
    };
    let content = Some(msg_submit_proposal::Content::ParamChange(
        ParamChangeContent {
            changes: vec![ParamChangeProto {
                module: "gov".into(),
                params_json: serde_json::to_string(&new_gov).unwrap(),
            }],
        },
    ));
    let id = submit_at(&mut s, 1, content, MIN).unwrap();
    vote_all(&mut s, 2, id, &[Some(VoteOption::Yes); 4]);
    run_end_blocks(&mut s, 2, 11, &voters());
    assert_eq!(state::params(&s).unwrap().voting_period, 30);
    let next = submit_at(&mut s, 12, text(), MIN).unwrap();
    assert_eq!(
        state::proposal(&s, next)
            .unwrap()
            .unwrap()
            .voting_end_height,
        42
    );
}

#[test]
fn an_upgrade_plan_is_stored_due_at_its_height_and_cleared_by_the_new_binary() {
    let mut s = fresh();
    // The earliest tally of a proposal submitted at 1 is at 11: a plan at 11 is too early.
    let (_, code, log) = rejection(submit_at(&mut s, 1, upgrade_content("v2", 11), MIN));
    assert_eq!(code, codes::INVALID_PROPOSAL);
    assert!(log.contains("too early"), "{log}");
    let id = submit_at(&mut s, 1, upgrade_content("v2", 30), MIN).unwrap();
    vote_all(&mut s, 2, id, &[Some(VoteOption::Yes); 4]);
    let events = run_end_blocks(&mut s, 2, 11, &voters());
    assert!(kinds(&events).contains(&"gov.upgrade_scheduled"));
    let plan = state::upgrade_plan(&s).unwrap().unwrap();
    assert_eq!((plan.name.as_str(), plan.height), ("v2", 30));
    let answer: serde_json::Value =
        serde_json::from_slice(&GovModule::query(&s, "upgrade", &[]).unwrap()).unwrap();
    assert_eq!(answer["plan"]["name"], "v2");
    assert_eq!(upgrade::upgrade_due(&s, 29).unwrap(), None);
    assert_eq!(upgrade::upgrade_due(&s, 30).unwrap(), Some(plan.clone()));
    // The old binary runs until 29 and halts at 30 naming the plan.
    assert_eq!(
        upgrade::check_upgrade(&s, 29, &["v1"]).unwrap(),
        UpgradeAction::None
    );
    match upgrade::check_upgrade(&s, 30, &["v1"]).unwrap() {
        UpgradeAction::Halt { plan: p, message } => {
            assert_eq!(p, plan);
            assert!(
                message.contains("UPGRADE \"v2\" NEEDED at height 30"),
                "{message}"
            );
        }
        other => panic!("expected a halt, got {other:?}"),
    }
    // The new binary started early refuses; at 30 it runs the plan.
    assert!(matches!(
        upgrade::check_upgrade(&s, 29, &["v1", "v2"]).unwrap(),
        UpgradeAction::TooEarly { .. }
    ));
    assert_eq!(
        upgrade::check_upgrade(&s, 30, &["v1", "v2"]).unwrap(),
        UpgradeAction::Run(plan.clone())
    );
    let b = block(30);
    let mut ctx = Context::new(&b, ExecMode::Deliver);
    assert!(upgrade::clear_done_upgrade(&mut s, &mut ctx, "v3").is_err());
    upgrade::clear_done_upgrade(&mut s, &mut ctx, "v2").unwrap();
    assert_eq!(kinds(ctx.events()), vec!["gov.upgrade_done"]);
    assert_eq!(state::upgrade_plan(&s).unwrap(), None);
    assert_eq!(state::upgrade_done(&s, "v2").unwrap(), Some(30));
    assert_eq!(
        upgrade::check_upgrade(&s, 31, &["v1"]).unwrap(),
        UpgradeAction::None
    );
    // The name cannot be reused.
    let (_, code, log) = rejection(submit_at(&mut s, 31, upgrade_content("v2", 100), MIN));
    assert_eq!(code, codes::INVALID_PROPOSAL);
    assert!(log.contains("already ran at height 30"), "{log}");
}

#[test]
fn a_later_upgrade_plan_replaces_the_earlier_and_a_cancel_drops_it() {
    let mut s = fresh();
    let a = submit_at(&mut s, 1, upgrade_content("v2", 100), MIN).unwrap();
    let b = submit_at(&mut s, 3, upgrade_content("v2b", 90), MIN).unwrap();
    vote_all(&mut s, 4, a, &[Some(VoteOption::Yes); 4]);
    vote_all(&mut s, 4, b, &[Some(VoteOption::Yes); 4]);
    run_end_blocks(&mut s, 2, 11, &voters());
    assert_eq!(state::upgrade_plan(&s).unwrap().unwrap().name, "v2");
    run_end_blocks(&mut s, 12, 13, &voters());
    assert_eq!(state::upgrade_plan(&s).unwrap().unwrap().name, "v2b");
    let c = submit_at(
        &mut s,
        14,
        Some(msg_submit_proposal::Content::CancelUpgrade(
            CancelUpgradeContent {},
        )),
        MIN,
    )
    .unwrap();
    vote_all(&mut s, 15, c, &[Some(VoteOption::Yes); 4]);
    let events = run_end_blocks(&mut s, 14, 24, &voters());
    let cancelled = events
        .iter()
        .find(|e| e.kind == "gov.upgrade_cancelled")
        .unwrap();
    assert_eq!(attr(cancelled, "name"), "v2b");
    assert_eq!(state::upgrade_plan(&s).unwrap(), None);
}

#[test]
fn an_upgrade_that_passes_after_its_height_fails() {
    let mut s = fresh();
    // Submitted at 1 with plan 12; the deposit arrives at 5 so the tally is at 15.
    let id = submit_at(&mut s, 1, upgrade_content("late", 12), 1).unwrap();
    deposit_at(&mut s, 5, BOB, id, MIN).unwrap();
    vote_all(&mut s, 6, id, &[Some(VoteOption::Yes); 4]);
    run_end_blocks(&mut s, 2, 15, &voters());
    let p = state::proposal(&s, id).unwrap().unwrap();
    assert_eq!(p.status, Status::Failed);
    assert!(p.failure.unwrap().contains("not after the tally height 15"));
    assert_eq!(state::upgrade_plan(&s).unwrap(), None);
}

fn gov_keys(s: &State) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.prefix_raw(b"gov/").unwrap()
}

/// A state with proposals in every status, deposits, votes, a plan and a done upgrade.
fn busy_state() -> State {
    let mut s = fresh();
    use VoteOption::*;
    let finished = submit_at(&mut s, 1, text(), MIN).unwrap();
    vote_all(&mut s, 2, finished, &[Some(Yes), Some(Yes), Some(No), None]);
    let upgrade = submit_at(&mut s, 1, upgrade_content("v2", 500), MIN).unwrap();
    vote_all(&mut s, 2, upgrade, &[Some(Yes); 4]);
    run_end_blocks(&mut s, 2, 11, &voters());
    state::set_upgrade_done(&mut s, "v1", 3);
    let voting = submit_at(&mut s, 12, span_change(6), 600).unwrap();
    deposit_at(&mut s, 13, BOB, voting, 500).unwrap();
    vote_all(
        &mut s,
        14,
        voting,
        &[Some(Yes), None, Some(NoWithVeto), Some(Abstain)],
    );
    submit_at(&mut s, 14, text(), 5).unwrap();
    s
}

#[test]
fn genesis_export_and_import_round_trip_key_for_key() {
    let s = busy_state();
    let exported = genesis::export(&s).unwrap();
    assert_eq!(exported.proposals.len(), 4);
    assert_eq!(exported.votes.len(), 3);
    assert_eq!(exported.deposits.len(), 3);
    assert_eq!(exported.upgrade_plan.as_ref().unwrap().name, "v2");
    assert_eq!(
        exported.done_upgrades,
        vec![DoneUpgrade {
            name: "v1".into(),
            height: 3
        }]
    );
    // Through JSON, as the app genesis file carries it.
    let json = serde_json::to_string_pretty(&exported).unwrap();
    let parsed: Genesis = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, exported);
    GovModule::validate_genesis(&parsed).unwrap();
    let mut imported = StateDelta::new(EmptyState);
    let bank = Bank::export_genesis(&s).unwrap();
    Bank::init_genesis(&mut imported, &bank).unwrap();
    GovModule::init_genesis(&mut imported, &parsed).unwrap();
    codec::put_json(&mut imported, SPAN_KEY.to_vec(), &span_params(&s)).unwrap();
    assert_eq!(gov_keys(&imported), gov_keys(&s));
    genesis::check_escrow(&imported).unwrap();
    // Both chains go on identically: the open proposal is tallied at 24 in both.
    let mut original = s;
    let a = run_end_blocks(&mut original, 15, 24, &voters());
    let b = run_end_blocks(&mut imported, 15, 24, &voters());
    assert_eq!(a, b);
    assert_eq!(gov_keys(&imported), gov_keys(&original));
    assert!(kinds(&a).contains(&"gov.proposal_expired"));
}

#[test]
fn genesis_validation_rejects_inconsistent_sections() {
    let good = genesis::export(&busy_state()).unwrap();
    genesis::validate(&good).unwrap();
    type Change = Box<dyn Fn(&mut Genesis)>;
    let cases: Vec<(&str, Change)> = vec![
        ("next id", Box::new(|g| g.next_proposal_id = 2)),
        ("order", Box::new(|g| g.proposals.swap(0, 1))),
        ("deposit sum", Box::new(|g| g.deposits[0].amount += 1)),
        (
            "vote on a finished proposal",
            Box::new(|g| {
                let mut v = g.votes[0].clone();
                v.proposal_id = 1;
                g.votes.push(v);
            }),
        ),
        (
            "duplicate vote",
            Box::new(|g| {
                let v = g.votes[0].clone();
                g.votes.push(v);
            }),
        ),
        (
            "plan already done",
            Box::new(|g| g.upgrade_plan.as_mut().unwrap().name = "v1".into()),
        ),
        (
            "finished without tally",
            Box::new(|g| g.proposals[0].final_tally = None),
        ),
        (
            "funded but in deposit period",
            Box::new(|g| {
                let p = g.proposals.last_mut().unwrap();
                p.total_deposit = MIN;
                g.deposits.last_mut().unwrap().amount = MIN;
            }),
        ),
    ];
    for (name, change) in cases {
        let mut g = good.clone();
        change(&mut g);
        assert!(genesis::validate(&g).is_err(), "{name}");
    }
    let mut v = serde_json::to_value(&good).unwrap();
    v["extra"] = 1.into();
    assert!(serde_json::from_value::<Genesis>(v).is_err());
    assert_eq!(Genesis::default().next_proposal_id, 1);
    assert_eq!(
        serde_json::from_str::<Genesis>("{}").unwrap(),
        Genesis::default()
    );
}

fn query(s: &State, path: &str) -> serde_json::Value {
    serde_json::from_slice(&GovModule::query(s, path, &[]).unwrap()).unwrap()
}

#[test]
fn queries_answer_proposals_votes_deposits_and_the_tally() {
    let s = busy_state();
    assert_eq!(query(&s, "params")["quorum"], "0.334");
    let all = query(&s, "proposals");
    assert_eq!(all["proposals"].as_array().unwrap().len(), 4);
    let voting = query(&s, "proposals/voting_period");
    assert_eq!(voting["proposals"][0]["id"], 3);
    let page = query(&s, "proposals/all/2/1");
    assert_eq!(page["proposals"][0]["id"], 2);
    assert_eq!(page["next"], 3);
    assert_eq!(
        query(&s, "proposals/passed/1/100")["next"],
        serde_json::Value::Null
    );
    assert_eq!(query(&s, "proposal/1")["status"], "passed");
    assert_eq!(
        query(&s, "proposal/2")["content"]["kind"],
        "software_upgrade"
    );
    assert_eq!(query(&s, "votes/3")["votes"].as_array().unwrap().len(), 3);
    assert_eq!(query(&s, "vote/3/3")["option"], "no_with_veto");
    assert_eq!(
        query(&s, &format!("vote/3/{}", addr(0xa4)))["option"],
        "abstain"
    );
    assert_eq!(
        query(&s, "deposits/3")["deposits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        query(&s, &format!("deposit/3/{}", addr(BOB)))["amount"],
        "500"
    );
    let t = query(&s, "tally/3");
    assert_eq!(t["with_active_set"], false);
    assert_eq!(
        (
            t["tally"]["yes"].as_u64(),
            t["tally"]["no_with_veto"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let set = voters();
    let exact: serde_json::Value =
        serde_json::from_slice(&crate::query::handle(&s, "tally/3", &[], Some(&set)).unwrap())
            .unwrap();
    assert_eq!(exact["tally"]["active_validators"], 4);
    // 1 veto of 3 votes is 0.333, below 0.334: not vetoed; 1 yes of 2 decisive is not > 0.5.
    assert_eq!(exact["tally"]["outcome"], "rejected");
    assert_eq!(query(&s, "upgrade")["plan"]["height"], 500);
    assert_eq!(query(&s, "upgrade-done/v1")["height"], 3);
    assert_eq!(
        query(&s, "upgrade-done/v9")["height"],
        serde_json::Value::Null
    );
    for bad in [
        "proposal/99",
        "proposal/x",
        "proposals/open",
        "proposals/all/1/0",
        "proposals/all/1/101",
        "vote/3/2",
        "vote/3/0xzz",
        "nope",
    ] {
        assert!(GovModule::query(&s, bad, &[]).is_err(), "{bad}");
    }
    let (_, code, _) = rejection(GovModule::query(&s, "proposal/99", &[]));
    assert_eq!(code, codes::UNKNOWN_PROPOSAL);
}

#[test]
fn stateless_checks_reject_malformed_messages() {
    let ok = submit_msg(ALICE, text(), 0);
    ok.check_stateless().unwrap();
    assert_eq!(ok.signer().unwrap(), addr(ALICE));
    let cases: Vec<(MsgSubmitProposal, u32)> = vec![
        (
            MsgSubmitProposal {
                proposer: "alice".into(),
                ..ok.clone()
            },
            7,
        ),
        (
            MsgSubmitProposal {
                content: None,
                ..ok.clone()
            },
            codes::INVALID_MSG,
        ),
        (
            MsgSubmitProposal {
                title: " ".into(),
                ..ok.clone()
            },
            codes::INVALID_MSG,
        ),
        (
            MsgSubmitProposal {
                title: "t".repeat(2000),
                ..ok.clone()
            },
            codes::INVALID_MSG,
        ),
        (
            MsgSubmitProposal {
                initial_deposit: "-1".into(),
                ..ok.clone()
            },
            codes::INVALID_MSG,
        ),
        (
            submit_msg(ALICE, upgrade_content("bad name", 10), 0),
            codes::INVALID_MSG,
        ),
        (
            submit_msg(ALICE, upgrade_content("v2", 0), 0),
            codes::INVALID_MSG,
        ),
        (
            submit_msg(
                ALICE,
                Some(msg_submit_proposal::Content::ParamChange(
                    ParamChangeContent { changes: vec![] },
                )),
                0,
            ),
            codes::INVALID_MSG,
        ),
        (
            submit_msg(
                ALICE,
                Some(msg_submit_proposal::Content::ParamChange(
                    ParamChangeContent {
                        changes: vec![
                            ParamChangeProto {
                                module: "span".into(),
                                params_json: "{}".into(),
                            },
                            ParamChangeProto {
                                module: "span".into(),
                                params_json: "{}".into(),
                            },
                        ],
                    },
                )),
                0,
            ),
            codes::INVALID_MSG,
        ),
        (
            submit_msg(
                ALICE,
                Some(msg_submit_proposal::Content::ParamChange(
                    ParamChangeContent {
                        changes: vec![ParamChangeProto {
                            module: "span".into(),
                            params_json: "[1]".into(),
                        }],
                    },
                )),
                0,
            ),
            codes::INVALID_MSG,
        ),
    ];
    for (m, code) in cases {
        assert_eq!(m.check_stateless().unwrap_err().code, code, "{m:?}");
    }
    let v = MsgVote {
        voter: addr(0xa1).to_string(),
        proposal_id: 1,
        option: 5,
    };
    assert_eq!(v.check_stateless().unwrap_err().code, codes::INVALID_MSG);
    assert_eq!(
        MsgVote {
            option: 1,
            proposal_id: 0,
            ..v.clone()
        }
        .check_stateless()
        .unwrap_err()
        .code,
        codes::INVALID_MSG
    );
    MsgVote { option: 4, ..v }.check_stateless().unwrap();
    let d = MsgDeposit {
        depositor: addr(BOB).to_string(),
        proposal_id: 1,
        amount: "0".into(),
    };
    assert_eq!(d.check_stateless().unwrap_err().code, codes::INVALID_MSG);
    MsgDeposit {
        amount: "1".into(),
        ..d
    }
    .check_stateless()
    .unwrap();
    // Round trip through protobuf.
    let m = submit_msg(ALICE, span_change(5), 7);
    let bytes = prost::Message::encode_to_vec(&m);
    assert_eq!(
        <MsgSubmitProposal as prost::Message>::decode(bytes.as_slice()).unwrap(),
        m
    );
}

mod props {
    use super::*;
    use crate::lifecycle::outcome;
    use crate::types::Tally;
    use proptest::prelude::*;

    proptest! {
        /// The tally outcome against a reference in plain thousandths arithmetic.
        #[test]
        fn outcome_matches_the_reference(
            yes in 0u64..60, abstain in 0u64..60, no in 0u64..60, veto in 0u64..60,
            extra in 0u64..60, q in 1u64..=1000, th in 0u64..1000, vt in 1u64..=1000,
        ) {
            let params = Params {
                quorum: Dec::from_atto(q * 1_000_000_000_000_000).unwrap(),
                threshold: Dec::from_atto(th * 1_000_000_000_000_000).unwrap(),
                veto_threshold: Dec::from_atto(vt * 1_000_000_000_000_000).unwrap(),
                ..test_params()
            };
            let voted = yes + abstain + no + veto;
            let active = voted + extra;
            let t = Tally { yes, abstain, no, no_with_veto: veto, active_validators: active, outcome: TallyOutcome::NoQuorum };
            let expected = if active == 0 || voted * 1000 < q * active {
                TallyOutcome::NoQuorum
            } else if veto * 1000 > vt * voted {
                TallyOutcome::Vetoed
            } else if yes + no + veto == 0 || yes * 1000 <= th * (yes + no + veto) {
                TallyOutcome::Rejected
            } else {
                TallyOutcome::Passed
            };
            prop_assert_eq!(outcome(&t, &params), expected);
        }

        /// Whatever deposits and votes happen, BTT is conserved: balances + burned = the
        /// initial supply, and the escrow holds exactly the open deposits.
        #[test]
        fn deposits_are_conserved(
            ops in proptest::collection::vec((0u8..4, 1u64..4, 1u128..700, 0i32..5), 1..40),
        ) {
            let mut s = fresh();
            let initial = delivery_bank::supply(&s).unwrap();
            let set = voters();
            let mut height = 1;
            for (kind, id, amount, option) in ops {
                height += 1;
                match kind {
                    0 => { let _ = submit_at(&mut s, height, text(), amount); }
                    1 => { let _ = deposit_at(&mut s, height, BOB, id, amount); }
                    2 => {
                        if let Some(o) = VoteOption::from_i32(option) {
                            let who = set[usize::try_from(amount % 4).unwrap()].signer;
                            let _ = vote_at(&mut s, height, who, id, o, &set);
                        }
                    }
                    _ => {}
                }
                run_end_blocks(&mut s, height, height, &set);
            }
            let open: u128 = state::all_deposits(&s).unwrap().iter().map(|d| d.amount).sum();
            prop_assert_eq!(escrow(&s), open);
            let held: u128 = [ALICE, BOB].iter().map(|n| balance(&s, *n)).sum::<u128>()
                + (1..=4).map(|i| balance(&s, 0xa0 + i)).sum::<u128>()
                + escrow(&s);
            prop_assert_eq!(held, delivery_bank::supply(&s).unwrap());
            prop_assert!(delivery_bank::supply(&s).unwrap() <= initial);
            for p in state::all_proposals(&s).unwrap() {
                if p.status.is_open() {
                    let sum: u128 = state::deposits(&s, p.id).unwrap().iter().map(|d| d.amount).sum();
                    prop_assert_eq!(sum, p.total_deposit);
                }
            }
        }
    }
}

#[test]
fn plan_type_is_exported() {
    let p = Plan {
        name: "v2".into(),
        height: 1,
        info: String::new(),
    };
    assert_eq!(serde_json::to_value(&p).unwrap()["name"], "v2");
}
