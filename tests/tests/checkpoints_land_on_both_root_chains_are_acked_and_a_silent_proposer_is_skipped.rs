//! Four validators (conductor) with two dev root chains (tron, staking; eth), every node
//! running the bridge, and a genesis `checkpoint_buffer_time` of 20 s:
//!
//! 1. checkpoints land on both root chains: each RootChain's `currentHeaderBlock` rises, its
//!    header blocks cover BTTC blocks contiguously from 0, each the same as Delivery's committed
//!    checkpoint of that number; Delivery acks them (its ack count follows on both chains); the
//!    proposer rotates (tron's checkpoints have more than one proposer);
//! 2. the time from a BTTC block's finality (first seen on node 0's engine) to the checkpoint
//!    holding it being accepted on each root chain is measured and printed;
//! 3. a silent proposer: the current checkpoint proposer's deliveryd is killed; once a
//!    checkpoint is buffered with it as proposer, nobody submits it, a no-ack drops it after
//!    the buffer time, and the checkpoint of that number is then submitted by another
//!    validator and acked.
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

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::checkpoints::{
    ack_count, buffer, committed, current_header_block, current_proposer, header_block, Header,
};
use common::BttcNet;

const BUFFER_TIME: u64 = 20;
const CHAINS: [&str; 2] = ["tron", "eth"];

/// What the test saw, polled every 250 ms: when each BTTC height was first seen on node 0, and
/// when each header block was first seen on each root chain.
#[derive(Default)]
struct Watch {
    bttc_seen: BTreeMap<u64, Instant>,
    headers_seen: BTreeMap<(usize, u64), Instant>,
}

impl Watch {
    fn poll(&mut self, net: &BttcNet) {
        let now = Instant::now();
        if let Some(h) = net.bttc_height(0) {
            let from = self.bttc_seen.keys().next_back().map_or(0, |l| l + 1);
            for n in from..=h {
                self.bttc_seen.insert(n, now);
            }
        }
        for (i, chain) in net.root_chains.iter().enumerate() {
            let current = current_header_block(chain);
            for k in 1..=current {
                self.headers_seen.entry((i, k)).or_insert(now);
            }
        }
    }
}

/// Each RootChain's header blocks 1..=current: contiguous from block 0, and each the same
/// range and root as Delivery's committed checkpoint of that number (when acked there).
fn check_contiguous(net: &BttcNet) -> Vec<Vec<Header>> {
    let mut all = Vec::new();
    for (i, chain) in net.root_chains.iter().enumerate() {
        let name = CHAINS[i];
        let current = current_header_block(chain);
        let mut headers = Vec::new();
        let mut next_start = 0;
        for k in 1..=current {
            let h = header_block(chain, k);
            assert_eq!(h.start, next_start, "{name}: header block {k} {h:?}");
            assert!(h.end >= h.start, "{name}: header block {k} {h:?}");
            next_start = h.end + 1;
            if let Some(c) = committed(net, name, k) {
                let cp = &c["checkpoint"];
                assert_eq!(cp["start"].as_u64(), Some(h.start), "{name} {k}: {c}");
                assert_eq!(cp["end"].as_u64(), Some(h.end), "{name} {k}: {c}");
                assert_eq!(
                    cp["root_hash"].as_str().unwrap(),
                    format!("0x{}", hex::encode(h.root)),
                    "{name} {k}"
                );
                assert!(
                    cp["proposer"]
                        .as_str()
                        .unwrap()
                        .eq_ignore_ascii_case(&h.proposer.to_string()),
                    "{name} {k}: {c} vs {h:?}"
                );
            }
            headers.push(h);
        }
        all.push(headers);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkpoints_land_on_both_root_chains_are_acked_and_a_silent_proposer_is_skipped() {
    let mut net = BttcNet::start_with_root_chains_and_buffer_time(4, 500, BUFFER_TIME).await;
    let mut watch = Watch::default();

    // 1. Three checkpoints on each root chain, acked on Delivery.
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        watch.poll(&net);
        let heads: Vec<u64> = net.root_chains.iter().map(current_header_block).collect();
        let acks: Vec<u64> = CHAINS.iter().map(|c| ack_count(&net, c)).collect();
        if heads.iter().all(|h| *h >= 3) && acks.iter().all(|a| *a >= 3) {
            eprintln!("root chains at header blocks {heads:?}, Delivery ack counts {acks:?}");
            break;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!(
                "after 240 s: header blocks {heads:?}, ack counts {acks:?}, buffers {} / {}",
                buffer(&net, "tron"),
                buffer(&net, "eth")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let headers = check_contiguous(&net);
    for (i, hs) in headers.iter().enumerate() {
        assert!(hs.len() >= 3, "{}: {hs:?}", CHAINS[i]);
    }
    // The proposer rotates: tron acks rotate it, so tron's checkpoints have several proposers.
    let mut tron_proposers: Vec<_> = headers[0].iter().map(|h| h.proposer).collect();
    tron_proposers.dedup();
    assert!(
        tron_proposers.len() >= 2,
        "tron's checkpoints all by one proposer: {:?}",
        headers[0]
    );

    // 2. Finality of a checkpoint's last block → accepted on the root chain.
    for (i, hs) in headers.iter().enumerate() {
        let mut latencies = Vec::new();
        for (k, h) in hs.iter().enumerate() {
            let k = k as u64 + 1;
            if let (Some(seen), Some(final_at)) =
                (watch.headers_seen.get(&(i, k)), watch.bttc_seen.get(&h.end))
            {
                latencies.push(seen.saturating_duration_since(*final_at));
            }
        }
        let ms: Vec<u128> = latencies.iter().map(Duration::as_millis).collect();
        let mean = ms.iter().sum::<u128>() / (ms.len().max(1) as u128);
        eprintln!(
            "FIGURE {}: BTTC block final → its checkpoint accepted on the root chain, per \
             checkpoint (ms): {ms:?}, mean {mean} ms",
            CHAINS[i]
        );
    }

    // 3. The current proposer goes silent.
    let silent = current_proposer(&net);
    let node = net.node_of(&silent);
    // A checkpoint already buffered now may have been submitted by it: not the one watched.
    let before: Vec<Option<u64>> = CHAINS
        .iter()
        .map(|c| buffer(&net, c)["checkpoint"]["number"].as_u64())
        .collect();
    eprintln!("killing node{node}'s deliveryd (signer {silent}, the current proposer)");
    net.apps[node].take().unwrap().kill_hard().unwrap();
    // Wait for a checkpoint buffered with it as proposer (on either chain).
    let deadline = Instant::now() + Duration::from_secs(180);
    let (chain, number, seen_at) = loop {
        let found = CHAINS.iter().zip(&before).find_map(|(c, old)| {
            let b = buffer(&net, c);
            let p = b["checkpoint"]["proposer"].as_str()?.to_lowercase();
            let n = b["checkpoint"]["number"].as_u64().unwrap();
            (p == silent && Some(n) != *old).then_some((*c, n))
        });
        if let Some((c, n)) = found {
            break (c, n, Instant::now());
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("no checkpoint buffered with {silent} as proposer in 180 s");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("checkpoint {number} on {chain} is buffered with the silent proposer {silent}");
    let i = CHAINS.iter().position(|c| *c == chain).unwrap();
    // Acked eventually, but not as the silent proposer's: a no-ack dropped that one and
    // another validator proposed and submitted it.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        watch.poll(&net);
        if ack_count(&net, chain) >= number {
            break;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!(
                "checkpoint {number} on {chain} not acked within 180 s; buffer {}",
                buffer(&net, chain)
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = seen_at.elapsed();
    let c = committed(&net, chain, number).unwrap();
    let proposer = c["checkpoint"]["proposer"].as_str().unwrap().to_lowercase();
    assert_ne!(proposer, silent, "{c}");
    let h = header_block(&net.root_chains[i], number);
    assert!(
        !h.proposer.to_string().eq_ignore_ascii_case(&silent),
        "{h:?}"
    );
    assert!(
        waited >= Duration::from_secs(BUFFER_TIME / 2),
        "acked {waited:?} after the silent proposer's buffer: too early for a no-ack"
    );
    eprintln!(
        "FIGURE {chain}: checkpoint {number} skipped the silent proposer and was acked {} ms \
         after it was buffered (buffer time {BUFFER_TIME} s); new proposer {proposer}",
        waited.as_millis()
    );
    check_contiguous(&net);
}
