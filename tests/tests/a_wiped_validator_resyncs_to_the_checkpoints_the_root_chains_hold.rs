//! Four validators (conductor) with the two dev root chains, every bridge on: once checkpoints
//! are acked on both root chains, node 3's Delivery data (the app's RocksDB and its bridge
//! cursors) is wiped and deliveryd restarted. The conductor replays every block into it (its
//! app hash agrees at every height, or the conductor would mark it diverged); then node 3's
//! own answers (its RPC endpoint, not node 0's) list exactly the checkpoints each root chain's
//! RootChain holds, range for range and root for root. Its bridge, starting from scratch, does
//! not disturb the next checkpoint: both chains ack one more, and node 3 agrees again.
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

use base64::Engine as _;
use common::checkpoints::{ack_count, current_header_block, header_block};
use common::BttcNet;
use delivery_tests::{comet_rpc, NodeProcess};
use serde_json::Value;

const NODE: usize = 3;

/// `custom/checkpoint/<path>` answered by node `i`'s app.
fn checkpoint_at(net: &BttcNet, i: usize, path: &str) -> Option<Value> {
    let r = tokio::task::block_in_place(|| {
        comet_rpc(
            &net.node_rpc(i),
            "abci_query",
            &format!("path=%22custom/checkpoint/{path}%22"),
        )
    })
    .unwrap();
    let resp = &r["response"];
    if resp["code"].as_u64().unwrap_or(0) != 0 {
        return None;
    }
    let value = base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap_or(""))
        .unwrap();
    serde_json::from_slice(&value).ok()
}

async fn wait_acks(net: &BttcNet, at_least: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let counts: Vec<u64> = ["tron", "eth"].iter().map(|c| ack_count(net, c)).collect();
        if counts.iter().all(|c| *c >= at_least) {
            return;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("ack counts {counts:?} (tron, eth) after {timeout:?}, want {at_least}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Node `i`'s committed checkpoints of every chain equal the root chain's header blocks.
fn agrees_with_root_chains(net: &BttcNet, i: usize) -> u64 {
    let mut checked = 0;
    for chain in &net.root_chains {
        let name = chain.kind.as_str();
        let count = checkpoint_at(net, i, &format!("count/{name}")).unwrap()["ack_count"]
            .as_u64()
            .unwrap();
        assert!(count >= 1, "node {i} has no acked checkpoint on {name}");
        assert!(
            current_header_block(chain) >= count,
            "node {i} counts {count} acks on {name}, the RootChain holds {}",
            current_header_block(chain)
        );
        for n in 1..=count {
            let ours = checkpoint_at(net, i, &format!("checkpoint/{name}/{n}"))
                .unwrap_or_else(|| panic!("node {i} lacks checkpoint {n} of {name}"));
            let c = &ours["checkpoint"];
            let theirs = header_block(chain, n);
            assert_eq!(
                (c["start"].as_u64().unwrap(), c["end"].as_u64().unwrap()),
                (theirs.start, theirs.end),
                "node {i}, {name} #{n}: {ours}"
            );
            assert_eq!(
                c["root_hash"].as_str().unwrap(),
                format!("0x{}", hex::encode(theirs.root)),
                "node {i}, {name} #{n}"
            );
            checked += 1;
        }
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wiped_validator_resyncs_to_the_checkpoints_the_root_chains_hold() {
    let mut net = BttcNet::start_with_root_chains(4, 500).await;
    wait_acks(&net, 2, Duration::from_secs(180)).await;
    let before = agrees_with_root_chains(&net, NODE);
    eprintln!("node {NODE} agrees on {before} checkpoints before the wipe");

    // Wipe node 3's Delivery data: the app's state and the bridge's cursors.
    net.apps[NODE].take().unwrap().kill_hard().unwrap();
    let data = net.homes[NODE].join("data");
    for dir in ["application", "bridge"] {
        let path = data.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path).unwrap();
        }
    }
    let wiped_at = net.conductor.height();
    net.apps[NODE] = Some(NodeProcess::start(&net.homes[NODE]).unwrap());

    // The conductor replays every block into it; it is live again at the others' height.
    let deadline = Instant::now() + Duration::from_secs(180);
    let name = net.nodes[NODE]["name"].as_str().unwrap().to_string();
    loop {
        let h = net.conductor.height();
        let status = net.conductor.node_status(&name).unwrap();
        let hashes = net.conductor.app_hashes(h);
        let ours = hashes
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, a)| a.clone());
        let first = hashes.first().and_then(|(_, a)| a.clone());
        if h > wiped_at && status.is_live() && ours.is_some() && ours == first {
            break;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("node {NODE} did not catch up after the wipe: {status:?} at height {h}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!(
        "node {NODE}, wiped at height {wiped_at}, replayed every block and is live at height {}",
        net.conductor.height()
    );
    let after = agrees_with_root_chains(&net, NODE);
    assert!(
        after >= before,
        "node {NODE} lost checkpoints: {after} < {before}"
    );

    // The checkpoints go on with its bridge restarted from nothing, and it still agrees.
    let acks = ["tron", "eth"]
        .iter()
        .map(|c| ack_count(&net, c))
        .min()
        .unwrap();
    wait_acks(&net, acks + 1, Duration::from_secs(180)).await;
    let later = agrees_with_root_chains(&net, NODE);
    assert!(later > after, "{later} checkpoints, {after} before");
    eprintln!("node {NODE} agrees with both root chains on {later} checkpoints");
    net.apps.iter_mut().for_each(|a| drop(a.take()));
}
