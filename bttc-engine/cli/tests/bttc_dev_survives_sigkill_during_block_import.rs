//! `bttc dev` mining every 50 ms is SIGKILLed at random moments (often mid-import) while
//! transactions arrive, then restarted: every block seen before the kill is still there with
//! the same hash, the head and state agree with the blocks (nonces and balances equal what the
//! included transactions did), and the Ethereum RPC answers as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::disallowed_types,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use serde_json::json;

const CHAIN_ID: u64 = 1337;

mod common;

use common::{quantity, DevNode};

fn start(datadir: &Path) -> DevNode {
    DevNode::start(common::dev_command(datadir, "50ms", &[]))
}

fn block_number(node: &DevNode) -> u64 {
    quantity(&node.rpc("eth_blockNumber", json!([])))
}

fn dev_key(i: u8) -> PrivateKeySigner {
    let seed = alloy_primitives::keccak256(format!("bttc dev account {i}"));
    PrivateKeySigner::from_bytes(&seed).unwrap()
}

fn transfer(from: &PrivateKeySigner, nonce: u64, to: Address, value: u64) -> String {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    format!(
        "0x{}",
        alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    )
}

/// A pseudo-random delay in [100, 400) ms (deterministic per round).
fn delay(round: u64) -> Duration {
    Duration::from_millis(100 + (round * 7919 + 13) % 300)
}

#[test]
fn bttc_dev_survives_sigkill_during_block_import() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let sender = dev_key(1);
    let recipients: Vec<Address> = (1..=4u8).map(|i| Address::repeat_byte(0x40 + i)).collect();
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    let mut node = start(&datadir);

    for round in 0..6u64 {
        // Send a burst from the sender's next nonce (txs lost in a kill are simply re-sent).
        let next = quantity(&node.rpc(
            "eth_getTransactionCount",
            json!([format!("{:?}", sender.address()), "latest"]),
        ));
        for k in 0..8u64 {
            let to = recipients[((round + k) % 4) as usize];
            let raw = transfer(&sender, next + k, to, 1_000 + k);
            node.rpc("eth_sendRawTransaction", json!([raw]));
        }
        std::thread::sleep(delay(round));
        // Remember every block the RPC has shown: committed, so it must survive.
        let head = block_number(&node);
        for n in 0..=head {
            let b = node.rpc("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]));
            seen.insert(n, b["hash"].as_str().unwrap().to_string());
        }
        node.kill();
        node = start(&datadir);
        let after = block_number(&node);
        assert!(
            after >= head,
            "round {round}: head went back from {head} to {after}"
        );
    }

    // Let the last burst settle, then check everything against the blocks.
    let deadline = Instant::now() + Duration::from_secs(30);
    while quantity(&node.rpc(
        "eth_getTransactionCount",
        json!([format!("{:?}", sender.address()), "pending"]),
    )) != quantity(&node.rpc(
        "eth_getTransactionCount",
        json!([format!("{:?}", sender.address()), "latest"]),
    )) {
        assert!(Instant::now() < deadline, "pending txs never mined");
        std::thread::sleep(Duration::from_millis(50));
    }
    let head = block_number(&node);
    let mut included = 0u64;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for n in 0..=head {
        let b = node.rpc("eth_getBlockByNumber", json!([format!("0x{n:x}"), true]));
        if let Some(h) = seen.get(&n) {
            assert_eq!(
                b["hash"].as_str().unwrap(),
                h,
                "block {n} changed across kills"
            );
        }
        let receipts = node.rpc("eth_getBlockReceipts", json!([format!("0x{n:x}")]));
        let txs = b["transactions"].as_array().unwrap();
        assert_eq!(receipts.as_array().unwrap().len(), txs.len(), "block {n}");
        for tx in txs {
            assert_eq!(
                tx["from"].as_str().unwrap().to_lowercase(),
                format!("{:?}", sender.address()).to_lowercase()
            );
            assert_eq!(quantity(&tx["nonce"]), included, "nonce order in block {n}");
            included += 1;
            *expected
                .entry(tx["to"].as_str().unwrap().to_lowercase())
                .or_default() += quantity(&tx["value"]);
        }
    }
    assert!(included >= 8, "only {included} transfers were mined");
    assert_eq!(
        quantity(&node.rpc(
            "eth_getTransactionCount",
            json!([format!("{:?}", sender.address()), "latest"])
        )),
        included
    );
    for r in &recipients {
        let addr = format!("{r:?}").to_lowercase();
        let bal = quantity(&node.rpc("eth_getBalance", json!([addr, "latest"])));
        assert_eq!(
            bal,
            expected.get(&addr).copied().unwrap_or(0),
            "balance of {addr}"
        );
    }
    assert_eq!(node.rpc("eth_chainId", json!([])), json!("0x539"));
    node.kill();
}
