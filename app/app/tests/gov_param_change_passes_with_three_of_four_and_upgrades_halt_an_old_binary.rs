#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
//! Governance through the app, 4 staking validators (one validator, one vote):
//!
//! - a param change lowering the span's producer count passes with 3 of 4 votes and is in
//!   force from the height after its voting period's last block (documented in
//!   docs/modules/gov.md); a vote from an account that is not a validator's signer is refused
//!   at CheckTx with the module's message;
//! - an export taken while a proposal is open, with votes, imports to the same app hash;
//! - an upgrade plan halts a binary that does not know it at the plan's height (FinalizeBlock
//!   fails with a message naming the plan, nothing committed), and the binary that knows it
//!   runs it and goes on.

mod common;

use std::sync::Arc;

use common::{TestChain, BTT};
use delivery_abci::Application as _;
use delivery_app::side::NoRootChain;
use delivery_auth::AnyMsg;
use delivery_gov::msg::{msg_submit_proposal::Content, ParamChangeContent, ParamChangeProto};
use delivery_gov::{MsgSubmitProposal, MsgVote};
use delivery_module::SecretKey;

fn chain(signers: &[SecretKey], user: &SecretKey) -> TestChain {
    let mut accounts = signers.to_vec();
    accounts.push(user.clone());
    TestChain::build_staking(signers, accounts, Arc::new(NoRootChain), |state| {
        state["gov"] = serde_json::json!({ "params": delivery_gov::Params::localnet() });
    })
}

fn submit(chain: &TestChain, key: &SecretKey, seq: u64, content: Content) -> Vec<u8> {
    let msg = MsgSubmitProposal {
        proposer: key.address().to_string(),
        title: "t".into(),
        description: "d".into(),
        initial_deposit: BTT.to_string(),
        content: Some(content),
    };
    chain.signed_tx(key, seq, &[AnyMsg::pack(&msg)])
}

fn vote(chain: &TestChain, key: &SecretKey, id: u64, option: i32) -> Vec<u8> {
    let msg = MsgVote {
        voter: key.address().to_string(),
        proposal_id: id,
        option,
    };
    let seq = chain.sequence(&key.address());
    chain.signed_tx(key, seq, &[AnyMsg::pack(&msg)])
}

fn proposal(chain: &TestChain, id: u64) -> serde_json::Value {
    chain.query_json(&format!("custom/gov/proposal/{id}"), b"")
}

#[test]
fn a_param_change_passes_with_three_of_four_votes_at_the_documented_height() {
    let signers: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let user = SecretKey::generate();
    let mut chain = chain(&signers, &user);
    chain.block(vec![]);
    let mut span = chain.query_json("custom/span/params", b"");
    assert_ne!(span["producer_count"], 3);
    span["producer_count"] = 3.into();
    let change = Content::ParamChange(ParamChangeContent {
        changes: vec![ParamChangeProto {
            module: "span".into(),
            params_json: span.to_string(),
        }],
    });
    // A change the span module refuses is refused at submission, naming the module.
    let mut bad = span.clone();
    bad["producer_count"] = 0.into();
    let refused = chain.check_tx(&submit(
        &chain,
        &user,
        0,
        Content::ParamChange(ParamChangeContent {
            changes: vec![ParamChangeProto {
                module: "span".into(),
                params_json: bad.to_string(),
            }],
        }),
    ));
    assert_ne!(refused.code, 0);
    assert!(refused.log.contains("span"), "{}", refused.log);

    let res = chain.block(vec![submit(&chain, &user, 0, change)]);
    assert_eq!(res.tx_results[1].code, 0, "{:?}", res.tx_results[1]);
    let p = proposal(&chain, 1);
    assert_eq!(p["status"], "voting_period", "{p}");
    let end = p["voting_end_height"].as_u64().unwrap();

    // A vote from an account that is not a validator's signer: refused, with why.
    let not_a_validator = chain.check_tx(&vote(&chain, &user, 1, 1));
    assert_ne!(not_a_validator.code, 0);
    assert!(
        not_a_validator.log.contains("one validator, one vote"),
        "{}",
        not_a_validator.log
    );
    // 3 of 4 validators vote yes.
    let votes: Vec<Vec<u8>> = signers[..3].iter().map(|k| vote(&chain, k, 1, 1)).collect();
    let res = chain.block(votes);
    assert!(res.tx_results[1..].iter().all(|r| r.code == 0), "{res:?}");
    let tally = chain.query_json("custom/gov/tally/1", b"");
    assert!(tally.to_string().contains('3'), "{tally}");

    // Still the old value up to and including the end height's block; the new one after it.
    while (chain.height as u64) < end {
        assert_ne!(
            chain.query_json("custom/span/params", b"")["producer_count"],
            3
        );
        chain.block(vec![]);
    }
    assert_eq!(chain.height as u64, end);
    assert_eq!(
        chain.query_json("custom/span/params", b"")["producer_count"],
        3
    );
    assert_eq!(proposal(&chain, 1)["status"], "passed");
}

#[test]
fn an_export_with_an_open_proposal_and_votes_imports_to_the_same_app_hash() {
    let signers: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let user = SecretKey::generate();
    let mut chain = chain(&signers, &user);
    chain.block(vec![]);
    chain.block(vec![submit(
        &chain,
        &user,
        0,
        Content::Text(delivery_gov::msg::TextContent {}),
    )]);
    chain.block(vec![
        vote(&chain, &signers[0], 1, 3),
        vote(&chain, &signers[1], 1, 1),
    ]);
    let (height, exported) = chain.app.export_genesis().unwrap();
    let state = serde_json::to_value(&exported).unwrap();
    assert_eq!(
        state["gov"]["proposals"].as_array().unwrap().len(),
        1,
        "{}",
        state["gov"]
    );
    let hash = chain.app_hash();
    let imported = TestChain::build_with(0, vec![], Arc::new(NoRootChain), None, |s| *s = state);
    assert_eq!(
        imported.init.app_hash.to_vec(),
        hash,
        "export at {height} re-imported"
    );
}

#[test]
fn an_upgrade_plan_halts_an_old_binary_at_its_height_and_the_new_one_runs_it() {
    let signers: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    let user = SecretKey::generate();
    let mut chain = chain(&signers, &user);
    chain.block(vec![]);
    let params = chain.query_json("custom/gov/params", b"");
    let voting = params["voting_period"].as_u64().unwrap();
    let at = chain.height as u64 + voting + 5;
    let plan = Content::SoftwareUpgrade(delivery_gov::msg::SoftwareUpgradeContent {
        name: "v2-test".into(),
        height: at,
        info: "test".into(),
    });
    chain.block(vec![submit(&chain, &user, 0, plan)]);
    let votes: Vec<Vec<u8>> = signers.iter().map(|k| vote(&chain, k, 1, 1)).collect();
    chain.block(votes);
    while (chain.height as u64) < at - 1 {
        chain.block(vec![]);
    }
    let upgrade = chain.query_json("custom/gov/upgrade", b"");
    assert_eq!(
        upgrade["plan"]["name"],
        "v2-test",
        "{upgrade} {}",
        proposal(&chain, 1)
    );
    // This binary does not know v2-test: FinalizeBlock at `at` fails, naming the plan.
    let h = chain.height + 1;
    let err = chain
        .app
        .finalize_block(tendermint_proto::v0_38::abci::RequestFinalizeBlock {
            txs: vec![],
            hash: common::block_hash(h).into(),
            height: h,
            time: Some(common::time(h)),
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("v2-test"), "{err}");
    // The new binary knows it: it runs the plan and clears it at that height.
    let snapshot = chain.app.storage().latest_snapshot();
    let mut state = delivery_store::StateDelta::new(&snapshot);
    let block = delivery_module::BlockInfo {
        chain_id: common::CHAIN_ID.into(),
        height: at,
        time_seconds: 0,
        time_nanos: 0,
    };
    let events =
        delivery_app::upgrade::at_block_start_with(&mut state, &block, &["v2-test"]).unwrap();
    assert!(!events.is_empty());
    assert!(delivery_gov::upgrade_plan(&state).unwrap().is_none());
}
