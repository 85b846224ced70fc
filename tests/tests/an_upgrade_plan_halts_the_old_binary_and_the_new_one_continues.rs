//! A software upgrade on four validators (conductor), as docs/guides/governance.md ("Rehearsing
//! an upgrade on a localnet") runs it:
//!
//! 1. a `software_upgrade` proposal for `upgrade-rehearsal` at height H passes with 4 votes;
//! 2. at H every `deliveryd` halts before executing the block: its log names the plan, it
//!    writes `data/upgrade-info.json`, and the chain stays at H-1;
//! 3. three nodes are restarted with the rehearsal build of deliveryd (the
//!    `deliveryd-upgrade-rehearsal` example: the same sources, knowing that plan), which runs
//!    the upgrade at H; the chain goes on past H on their 3 of 4 votes, BTTC blocks included,
//!    and the plan is recorded as done at H; the fourth, still on the old binary, stays at H-1
//!    (the replay of H halts it again);
//! 4. the late operator swaps the fourth node's binary too: the replay runs the upgrade at H
//!    and the node catches up with the others' app hashes.
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

use common::gov::{on, submit, vote};
use common::BttcNet;
use delivery_tests::{rehearsal_bin, NodeProcess};
use serde_json::{json, Value};

const PLAN: &str = "upgrade-rehearsal";

/// Node `i`'s app hash at `height` as the conductor saw it (`None`: it did not execute it).
fn app_hash_of(net: &BttcNet, i: usize, height: u64) -> Option<Vec<u8>> {
    net.conductor.app_hashes(height)[i].1.clone()
}

fn log_of(net: &BttcNet, i: usize) -> String {
    std::fs::read_to_string(net.homes[i].join("deliveryd.log")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upgrade_plan_halts_the_old_binary_and_the_new_one_continues() {
    let rehearsal = rehearsal_bin().unwrap();
    let version = tokio::task::block_in_place(|| {
        std::process::Command::new(&rehearsal)
            .args(["version", "--output", "json"])
            .output()
    })
    .unwrap();
    let version: Value = serde_json::from_slice(&version.stdout).unwrap();
    assert_eq!(version["upgrades"], json!([PLAN]), "{version}");

    let mut net = BttcNet::start(4, 300).await;
    net.conductor
        .wait_for_height(2, Duration::from_secs(60))
        .await
        .unwrap();
    let old_version = on(&net, 0, &["version"]);
    assert_eq!(old_version["upgrades"], json!([]), "{old_version}");

    // Schedule the plan 40 blocks ahead (above the 20-block voting period) and pass it.
    let at = net.conductor.height() + 40;
    let id = submit(
        &net,
        "upgrade",
        &json!({
            "title": format!("Rehearse an upgrade at height {at}"),
            "deposit": "1btt",
            "content": {"type": "software_upgrade", "name": PLAN, "height": at,
                        "info": "the deliveryd-upgrade-rehearsal build"}
        }),
    );
    for i in 0..4 {
        vote(&net, i, id, "yes");
    }

    // Every node halts at `at`: the chain stops at at-1 and each log names the plan.
    let needed = format!("UPGRADE \"{PLAN}\" NEEDED at height {at}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !(0..4).all(|i| log_of(&net, i).contains(&needed)) {
        if Instant::now() > deadline {
            net.dump_logs();
            panic!(
                "not every node halted for the plan; height {}, proposal {}",
                net.conductor.height(),
                on(&net, 0, &["query", "gov", "proposal", &id.to_string()])
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let plan = on(&net, 0, &["query", "gov", "upgrade"]);
    assert_eq!(plan["plan"]["name"], PLAN, "{plan}");
    // Six block intervals later the chain is still at at-1: nothing was committed at `at`.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(
        net.conductor.height(),
        at - 1,
        "the chain must stop below {at}"
    );
    for home in &net.homes {
        let info: Value =
            serde_json::from_slice(&std::fs::read(home.join("data/upgrade-info.json")).unwrap())
                .unwrap();
        assert_eq!(
            info,
            json!({"name": PLAN, "height": at, "info": "the deliveryd-upgrade-rehearsal build"})
        );
    }
    let bttc_halted = net.bttc_height(0).unwrap();

    // Swap three nodes' binaries for the rehearsal build: the chain goes on from `at`.
    let swapped = Instant::now();
    for i in 0..3 {
        if let Some(mut old) = net.apps[i].take() {
            old.kill_hard().unwrap();
        }
        net.apps[i] = Some(NodeProcess::start_with(&rehearsal, &net.homes[i]).unwrap());
    }
    if net
        .conductor
        .wait_for_height(at + 5, Duration::from_secs(90))
        .await
        .is_err()
    {
        net.dump_logs();
        panic!("the chain did not go on past {at} on the new binary");
    }
    eprintln!(
        "upgrade {PLAN}: halted at {at}; {} ms from the binary swap to height {}",
        swapped.elapsed().as_millis(),
        at + 5
    );
    let done = on(&net, 0, &["query", "gov", "upgrade-done", PLAN]);
    assert_eq!(done["height"], at, "{done}");
    let plan = on(&net, 0, &["query", "gov", "upgrade"]);
    assert!(plan["plan"].is_null(), "{plan}");
    for i in 0..3 {
        assert!(
            log_of(&net, i).contains("ran the planned upgrade"),
            "node {i} did not run the upgrade"
        );
    }
    // BTTC blocks are made again on the new binary.
    net.wait_bttc(&[0, 1, 2], bttc_halted + 2, Duration::from_secs(60))
        .await;
    // Node 3 still runs the old binary: each replay of `at` halts it again.
    assert!(app_hash_of(&net, 0, at).is_some());
    assert_eq!(app_hash_of(&net, 3, at), None, "node 3 executed {at}");
    assert!(log_of(&net, 3).contains(&needed));

    // The late operator swaps node 3's binary: the replay runs the upgrade and it catches up.
    if let Some(mut old) = net.apps[3].take() {
        old.kill_hard().unwrap();
    }
    net.apps[3] = Some(NodeProcess::start_with(&rehearsal, &net.homes[3]).unwrap());
    let target = net.conductor.height();
    let deadline = Instant::now() + Duration::from_secs(60);
    while app_hash_of(&net, 3, target).is_none() {
        if Instant::now() > deadline {
            net.dump_logs();
            panic!("node 3 did not catch up to {target} on the new binary");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(log_of(&net, 3).contains("ran the planned upgrade"));
    // Node 3 halted on every retry of `at` for seconds, but announced the plan (and wrote the
    // supervisor's file) once.
    let announced = log_of(&net, 3)
        .matches("wrote the plan for the upgrade supervisor")
        .count();
    assert_eq!(announced, 1, "node 3 announced the halt {announced} times");
    for h in [at, target] {
        assert_eq!(
            app_hash_of(&net, 3, h),
            app_hash_of(&net, 0, h),
            "height {h}"
        );
    }
    let done = on(
        &net,
        3,
        &[
            "query",
            "gov",
            "upgrade-done",
            PLAN,
            "--node",
            &net.node_rpc(3),
        ],
    );
    assert_eq!(done["height"], at, "{done}");
}
