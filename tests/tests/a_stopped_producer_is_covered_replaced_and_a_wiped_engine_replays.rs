//! Failover and recovery on four validators (3 producers per span, 1 standby; localnet params:
//! sprint 4, producer_timeout 3 Delivery heights, max_missed_slots 4):
//!
//! - the scheduled producer's node (deliveryd and bttc) is SIGKILLed before its sprint: backups
//!   seal its slots within the timeout, after 4 misses in a row a standby replaces it for the
//!   rest of the span, and the chain never stalls;
//! - the node comes back: the handshake replays Delivery blocks and its engine follows;
//! - another node's engine data is wiped: deliveryd replays the payloads from Delivery's blocks
//!   into it, to the same block hashes and state roots.
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

use std::time::Duration;

use common::BttcNet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_producer_is_covered_replaced_and_a_wiped_engine_replays() {
    let mut net = BttcNet::start(3, 150).await;
    net.wait_bttc(&[0, 1, 2, 3], 10, Duration::from_secs(120))
        .await;

    // The producer of a sprint a little ahead; stop its node now. Prefer a sprint of node0's:
    // node0 also backs the conductor's RPC, where every node broadcasts its payloads, so its
    // loss must not stop BTTC blocks either.
    let head = net.bttc_height(0).unwrap();
    // A sprint a little ahead (the node must be down before it starts, or it seals some of
    // its slots and misses fewer than the 4 in a row that replace it), and not the last of its
    // span: the replacement holds for the rest of the span, so the span must have a rest.
    let first = (head + 3).div_ceil(4) * 4 + 1; // sprints start at 1, 5, 9, …
    let has_rest = |s: u64| {
        let Some(at) = net.try_query(&["span", "producer-at", &s.to_string()]) else {
            return false;
        };
        let id = at["span_id"].as_u64().unwrap().to_string();
        net.try_query(&["span", "id", &id])
            .and_then(|span| span["span"]["end_block"].as_u64())
            .is_some_and(|end| end >= s + 7)
    };
    let candidates: Vec<u64> = (0..4)
        .map(|k| first + 4 * k)
        .filter(|s| has_rest(*s))
        .collect();
    let sprint_start = candidates
        .iter()
        .copied()
        .find(|s| net.try_scheduled(*s).is_some_and(|p| net.node_of(&p) == 0))
        .or_else(|| candidates.first().copied())
        .unwrap_or(first);
    let victim_signer = net.scheduled(sprint_start);
    let victim = net.node_of(&victim_signer);
    net.stop_node(victim);
    let alive: Vec<usize> = (0..4).filter(|i| *i != victim).collect();

    // The chain goes on without it, through its sprint and beyond.
    net.wait_bttc(&alive, sprint_start + 12, Duration::from_secs(120))
        .await;
    let a = alive[0];
    for n in sprint_start..sprint_start + 4 {
        let miner = net.block(a, n)["miner"].as_str().unwrap().to_lowercase();
        assert_ne!(miner, victim_signer, "block {n} sealed by the stopped node");
        // Backups step in within the timeout: Delivery finalized block n at most
        // producer_timeout (+ the block that carries it) after block n-1.
        let this = net.query(&["bttc-block", &n.to_string()])["delivery_height"]
            .as_u64()
            .unwrap();
        let prev = net.query(&["bttc-block", &(n - 1).to_string()])["delivery_height"]
            .as_u64()
            .unwrap();
        assert!(
            this - prev <= 3 + 2,
            "block {n} came {} Delivery heights after block {}",
            this - prev,
            n - 1
        );
    }
    // After 4 misses in a row the standby took the slot for the rest of the span.
    let span_id = net.query(&["span", "producer-at", &sprint_start.to_string()])["span_id"]
        .as_u64()
        .unwrap();
    let span = net.query(&["span", "id", &span_id.to_string()]);
    let replacements = span["replacements"].as_array().cloned().unwrap_or_default();
    assert!(
        replacements.iter().any(|r| r["replaced"]["signer"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(&victim_signer))),
        "no replacement of {victim_signer} in span {span_id}: {span}"
    );

    // The node comes back and catches up.
    net.start_node(victim);
    let target = net.bttc_height(a).unwrap() + 8;
    net.wait_bttc(&[0, 1, 2, 3], target, Duration::from_secs(120))
        .await;
    let check = net
        .bttc_height(a)
        .unwrap()
        .min(net.bttc_height(victim).unwrap());
    assert_eq!(
        net.block(victim, check)["hash"],
        net.block(a, check)["hash"]
    );

    // Another node's engine is wiped; its deliveryd replays Delivery's payloads into it.
    let wiped = alive[1];
    net.wipe_engine(wiped);
    net.restart_engine(wiped);
    let target = net.bttc_height(a).unwrap() + 4;
    net.wait_bttc(&[0, 1, 2, 3], target, Duration::from_secs(120))
        .await;
    let check = net
        .bttc_height(a)
        .unwrap()
        .min(net.bttc_height(wiped).unwrap());
    for n in [1, check / 2, check] {
        let (x, y) = (net.block(wiped, n), net.block(a, n));
        assert_eq!(x["hash"], y["hash"], "block {n}");
        assert_eq!(x["stateRoot"], y["stateRoot"], "block {n}");
    }
    net.conductor.shutdown().await;
}
