//! Export at height H and re-import on four validators (conductor), the way
//! docs/guides/operator.md ("Exporting state and restarting from it") runs it:
//!
//! 1. a span param change proposal is submitted with its deposit and voted yes by 2 of the 4
//!    validators (localnet gov params: 1 BTT deposit, 20-block periods);
//! 2. the chain stops before its voting period ends (conductor, then every app; the BTTC
//!    engines keep their data); `deliveryd export` on each of the 4 homes gives the same
//!    document: initial_height H+1, the app hash of H;
//! 3. `deliveryd reset --yes` on each home, the export as every genesis.json, a new conductor:
//!    InitChain answers the exported app hash (block H+1's header carries it), `query gov
//!    proposal` and `query gov votes` answer as before, BTTC blocks go on from the engines' data;
//! 4. the other 2 validators vote and the proposal passes at its documented end height: the new
//!    params are in the state of that height and not in the one before.
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

use common::gov::{on, proposal, query_at, submit, vote, votes};
use common::BttcNet;
use delivery_tests::{cli, cli_json};
use serde_json::{json, Value};

const BLOCK_MS: u64 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn export_at_a_height_and_reimport_keeps_open_proposals_and_votes() {
    let started = Instant::now();
    let net = BttcNet::start(4, BLOCK_MS).await;
    net.conductor
        .wait_for_height(2, Duration::from_secs(60))
        .await
        .unwrap();
    net.wait_bttc(&[0, 1, 2, 3], 2, Duration::from_secs(60))
        .await;

    // 1. A param change with its deposit, 2 of 4 votes.
    let mut span = on(&net, 0, &["query", "params", "span"]);
    assert_eq!(span["producer_count"], 4, "{span}");
    span["producer_count"] = 3.into();
    let id = submit(
        &net,
        "change",
        &json!({"title": "Three producers", "deposit": "1btt",
                "content": {"type": "param_change", "changes": [{"module": "span", "params": span}]}}),
    );
    vote(&net, 0, id, "yes");
    vote(&net, 1, id, "yes");
    let before = proposal(&net, id);
    let votes_before = votes(&net, id);
    assert_eq!(before["status"], "voting_period", "{before}");
    assert_eq!(
        votes_before["votes"].as_array().map(Vec::len),
        Some(2),
        "{votes_before}"
    );
    let end = before["voting_end_height"].as_u64().unwrap();
    let bttc_before = net.bttc_height(0).unwrap();

    // 2. Stop the chain; export on every home.
    let stopped = net.stop_chain().await;
    let h = stopped.last_height;
    assert!(
        h + 4 < end,
        "stopped at {h}, too close to the voting end {end} to vote twice more"
    );
    let homes: Vec<String> = stopped
        .homes
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let documents: Vec<String> = homes
        .iter()
        .map(|home| {
            tokio::task::block_in_place(|| cli(&["--home", home, "export"]))
                .unwrap_or_else(|e| panic!("export on {home}: {e:#}"))
        })
        .collect();
    for (i, d) in documents.iter().enumerate() {
        assert!(
            d == &documents[0],
            "node {i}'s export differs from node 0's"
        );
    }
    let doc: Value = serde_json::from_str(&documents[0]).unwrap();
    assert_eq!(doc["initial_height"], (h + 1).to_string());
    assert_eq!(doc["chain_id"], "bttc-e2e-1");
    assert_eq!(
        doc["app_hash"],
        hex::encode_upper(&stopped.last_app_hash),
        "the app hash of H"
    );
    assert_eq!(doc["validators"].as_array().unwrap().len(), 4);
    // The file form and its summary agree with the stdout form.
    let file = stopped.dir.path().join("export.json");
    let summary = tokio::task::block_in_place(|| {
        cli_json(&[
            "--home",
            &homes[0],
            "export",
            "--output-document",
            file.to_str().unwrap(),
        ])
    })
    .unwrap();
    assert_eq!(summary["height"], h);
    assert_eq!(summary["initial_height"], h + 1);
    assert_eq!(summary["verified"], true);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), documents[0]);

    // 3. Reset, the export as genesis, a new conductor.
    for home in &stopped.homes {
        let h_s = home.display().to_string();
        let listing = tokio::task::block_in_place(|| cli(&["--home", &h_s, "reset"]));
        assert!(listing.is_err(), "reset without --yes deletes nothing");
        assert!(home.join("data/application").is_dir());
        tokio::task::block_in_place(|| cli(&["--home", &h_s, "reset", "--yes"])).unwrap();
        assert!(!home.join("data/application").exists());
        assert!(home.join("config/priv_validator_key.json").exists());
        std::fs::write(home.join("config/genesis.json"), &documents[0]).unwrap();
    }
    let net = stopped.start_chain(BLOCK_MS).await;
    net.conductor
        .wait_for_height(h + 2, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| {
            net.dump_logs();
            panic!("the re-imported chain did not reach {}: {e}", h + 2)
        });
    assert!(
        net.conductor.block(h).is_none(),
        "the new chain starts at H+1"
    );
    let first = net.conductor.block(h + 1).unwrap();
    let header = first.block.header.as_ref().unwrap();
    assert_eq!(header.height, i64::try_from(h + 1).unwrap());
    assert_eq!(
        hex::encode_upper(&header.app_hash),
        doc["app_hash"].as_str().unwrap(),
        "block H+1's header carries InitChain's app hash: the exported one"
    );
    assert_eq!(
        proposal(&net, id),
        before,
        "query gov proposal after the re-import"
    );
    assert_eq!(
        votes(&net, id),
        votes_before,
        "query gov votes after the re-import"
    );
    // BTTC goes on from the engines' own data.
    net.wait_bttc(&[0, 1, 2, 3], bttc_before + 2, Duration::from_secs(60))
        .await;

    // 4. The other two vote; it passes at its documented end height.
    vote(&net, 2, id, "yes");
    vote(&net, 3, id, "yes");
    let deadline = Instant::now() + Duration::from_secs(120);
    while proposal(&net, id)["status"] == "voting_period" {
        assert!(
            Instant::now() < deadline,
            "voting did not end by height {end} (at {})",
            net.conductor.height()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let p = proposal(&net, id);
    assert_eq!(p["status"], "passed", "{p}");
    assert_eq!(p["voting_end_height"], end, "{p}");
    // The two votes cast before the export count with the two cast after it.
    assert_eq!(p["final_tally"]["yes"], 4, "{p}");
    assert_eq!(
        query_at(&net, "custom/span/params", end - 1)["producer_count"],
        4
    );
    assert_eq!(
        query_at(&net, "custom/span/params", end)["producer_count"],
        3
    );
    eprintln!(
        "exported at {h}, re-imported from {}, passed at {end}; {:.1} s",
        h + 1,
        started.elapsed().as_secs_f64()
    );
}
