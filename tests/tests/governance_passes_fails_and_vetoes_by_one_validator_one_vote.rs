//! Governance on four validators (conductor), through the CLI as docs/guides/governance.md runs
//! it (localnet gov params: 1 BTT deposit, 20-block periods), three proposals at once:
//!
//! 1. a span param change voted yes by 3 of the 4 validators passes; the new params are in the
//!    state of its voting period's last height and not in the one before (the documented
//!    height);
//! 2. a text proposal with 1 vote of 4 misses the 0.334 quorum: rejected, its deposit burned;
//! 3. a text proposal with 2 no-with-veto votes of 3 is vetoed: rejected, its deposit burned;
//!
//! and a funded account that is not a validator's signer cannot vote: refused with `gov/7`
//! during the period and `gov/6` after it, as the guide shows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::time::{Duration, Instant};

use common::gov::{on, proposal, query_at, refusal, submit, vote};
use common::BttcNet;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn governance_passes_fails_and_vetoes_by_one_validator_one_vote() {
    let net = BttcNet::start(4, 300).await;
    net.conductor
        .wait_for_height(2, Duration::from_secs(60))
        .await
        .unwrap();
    let supply_before = query_at(&net, "custom/bank/supply", 0);

    let mut span = on(&net, 0, &["query", "params", "span"]);
    assert_eq!(span["producer_count"], 4, "{span}");
    span["producer_count"] = 3.into();
    let change = submit(
        &net,
        "change",
        &json!({"title": "Three producers", "deposit": "1btt",
                "content": {"type": "param_change", "changes": [{"module": "span", "params": span}]}}),
    );
    let quiet = submit(
        &net,
        "quiet",
        &json!({"title": "Nobody cares", "deposit": "1btt", "content": {"type": "text"}}),
    );
    let vetoed = submit(
        &net,
        "vetoed",
        &json!({"title": "Bad idea", "deposit": "1btt", "content": {"type": "text"}}),
    );
    for i in 0..3 {
        vote(&net, i, change, "yes");
    }
    vote(&net, 3, quiet, "yes");
    vote(&net, 0, vetoed, "yes");
    vote(&net, 1, vetoed, "no-with-veto");
    vote(&net, 2, vetoed, "no-with-veto");

    // An account that is not a validator's signer holds BTT but has no vote.
    let alice = on(&net, 0, &["keys", "add", "alice"])["address"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = on(
        &net,
        0,
        &[
            "tx",
            "bank",
            "send",
            &alice,
            "10btt",
            "--from",
            "validator",
            "--wait",
        ],
    );
    assert_eq!(sent["code"], 0, "{sent}");
    let id = change.to_string();
    let during = refusal(
        &net,
        0,
        &["tx", "gov", "vote", &id, "yes", "--from", "alice"],
    );
    assert!(
        during.contains("transaction rejected (gov/7)")
            && during.contains("is not the signer of an active validator"),
        "{during}"
    );

    let end = proposal(&net, change)["voting_end_height"]
        .as_u64()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while [change, quiet, vetoed]
        .iter()
        .any(|id| proposal(&net, *id)["status"] == "voting_period")
    {
        assert!(
            Instant::now() < deadline,
            "voting did not end by height {end}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // 1. Passed with 3 of 4; in force at its last voting height, not before.
    let p = proposal(&net, change);
    assert_eq!(p["status"], "passed", "{p}");
    assert_eq!(
        query_at(&net, "custom/span/params", end - 1)["producer_count"],
        4
    );
    assert_eq!(
        query_at(&net, "custom/span/params", end)["producer_count"],
        3
    );
    let after = refusal(
        &net,
        0,
        &["tx", "gov", "vote", &id, "yes", "--from", "alice"],
    );
    assert!(
        after.contains("transaction rejected (gov/6)")
            && after.contains("not in its voting period"),
        "{after}"
    );
    // 2. Short of quorum, 3. vetoed: rejected, deposits burned (the supply fell by 2 BTT).
    for (id, outcome) in [(quiet, "no_quorum"), (vetoed, "vetoed")] {
        let p = proposal(&net, id);
        assert_eq!(p["status"], "rejected", "{outcome}: {p}");
        assert_eq!(p["final_tally"]["outcome"], outcome, "{p}");
    }
    // Fees move to the fee collector; only the two burned deposits leave the supply.
    let supply_after = query_at(&net, "custom/bank/supply", 0);
    let amount = |v: &Value| -> u128 { v["amount"].as_str().unwrap().parse().unwrap() };
    assert_eq!(
        amount(&supply_before) - amount(&supply_after),
        2 * 10u128.pow(18),
        "{supply_before} → {supply_after}"
    );
}
