//! Four validators, each `deliveryd start` with its own `bttc start` over the engine API (JWT),
//! on the conductor: 300 BTTC blocks are finalized; each block's producer is the one the span
//! schedule names (so it changes at each sprint); all four engines have identical block hashes
//! and state roots; EVM transactions sent to any node's Ethereum RPC are included; span
//! commits land in every engine's ValidatorSet contract.
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

use alloy_primitives::Address;
use common::{eth, quantity, try_eth, BttcNet};
use serde_json::json;

const TARGET: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_produce_bttc_blocks_through_their_own_engines() {
    let net = BttcNet::start(4, 150).await;

    // EVM transactions to every node's RPC (relayed through the mempool to the producer).
    let recipient = Address::repeat_byte(0x55);
    let mut sent = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for (i, url) in net.evm_urls.iter().enumerate() {
        loop {
            let raw = net.transfer(i as u64, recipient);
            match try_eth(url, "eth_sendRawTransaction", json!([raw])) {
                Some(hash) => {
                    sent.push(hash.as_str().unwrap().to_string());
                    break;
                }
                None => {
                    assert!(Instant::now() < deadline, "node {i} never took the tx");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    net.wait_bttc(&[0, 1, 2, 3], TARGET, Duration::from_secs(240))
        .await;

    // Identical blocks everywhere; each sealed by its scheduled producer.
    let mut producers = Vec::new();
    for n in 1..=TARGET {
        let blocks: Vec<_> = (0..4).map(|i| net.block(i, n)).collect();
        for b in &blocks[1..] {
            assert_eq!(b["hash"], blocks[0]["hash"], "block {n} hash differs");
            assert_eq!(
                b["stateRoot"], blocks[0]["stateRoot"],
                "block {n} state root differs"
            );
        }
        let miner = blocks[0]["miner"].as_str().unwrap().to_lowercase();
        let want = net.scheduled(n);
        assert_eq!(
            miner, want,
            "block {n}: sealed by {miner}, scheduled {want}"
        );
        producers.push(miner);
    }
    // Sprint 4: one producer per sprint; the schedule rotates.
    for (i, chunk) in producers.chunks(4).enumerate() {
        assert!(
            chunk.iter().all(|p| *p == chunk[0]),
            "sprint {i}: {chunk:?}"
        );
    }
    let distinct: std::collections::BTreeSet<&String> = producers.iter().collect();
    assert!(distinct.len() > 1, "one producer all along");

    // Every EVM tx was included, on every node.
    for hash in &sent {
        for u in &net.evm_urls {
            let r = eth(u, "eth_getTransactionReceipt", json!([hash]));
            assert_eq!(r["status"], "0x1", "{hash} on {u}: {r}");
        }
    }
    let bal = quantity(&eth(
        &net.evm_urls[2],
        "eth_getBalance",
        json!([format!("{recipient:?}"), "latest"]),
    ));
    assert_eq!(bal, (0..4u64).map(|i| 1_000 + i).sum::<u64>());

    // Span commits: the ValidatorSet contract (0x…1000, slot 0 = current span) names the span
    // that covers the head, on every engine; Delivery already has the next one.
    let head = net.bttc_height(0).unwrap();
    let span_id = net.query(&["span", "producer-at", &head.to_string()])["span_id"]
        .as_u64()
        .unwrap();
    for u in &net.evm_urls {
        let slot = eth(
            u,
            "eth_getStorageAt",
            json!([
                "0x0000000000000000000000000000000000001000",
                "0x0",
                "latest"
            ]),
        );
        assert_eq!(quantity(&slot), span_id, "{u}");
    }
    let latest = net.query(&["span", "latest"]);
    assert!(
        latest
            .to_string()
            .contains(&format!("\"id\":{}", span_id + 1))
            || span_id >= 1
    );
    net.conductor.shutdown().await;
}
