#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
//! `custom/checkpoint/block-proof/<root chain>/<bttc block>` on a chain whose genesis records
//! BTTC blocks 0..=20 and, for eth, committed checkpoints 1 (0..=4) and 2 (5..=12) and a final
//! buffered checkpoint 3 (13..=17); for tron a buffered checkpoint 1 (0..=9) that is not final;
//! for `bad` a committed checkpoint whose root is not over Delivery's records:
//!
//! - each block of a committed checkpoint gets that checkpoint, its leaf, and a proof that the
//!   checkpoint module's and the root contracts' verifiers both accept (and not for another
//!   block number or with a sibling changed);
//! - a block of the final buffer comes `from_buffer`;
//! - blocks after the last one checkpointed, blocks of a buffer that is not final, blocks past
//!   Delivery's BTTC head, and chains without checkpoints are `checkpoint/13` with a message
//!   saying how far checkpoints are;
//! - malformed arguments are `checkpoint/12`; a checkpoint that Delivery's records do not
//!   reproduce is `checkpoint/18`.

mod common;

use std::sync::Arc;

use common::TestChain;
use delivery_abci::Application as _;
use delivery_app::query::BlockProofAnswer;
use delivery_app::side::NoRootChain;
use delivery_checkpoint::merkle::{self, Header};
use tendermint_proto::v0_38::abci as pb;

use common::{bttc_section, h256, hex0x as hex};

fn headers() -> Vec<Header> {
    common::bttc_headers(20)
}

fn root(headers: &[Header], start: u64, end: u64) -> [u8; 32] {
    merkle::root(&merkle::block_leaves(
        &headers[start as usize..=end as usize],
    ))
}

fn checkpoint(chain: &str, number: u64, start: u64, end: u64, root: [u8; 32]) -> serde_json::Value {
    serde_json::json!({
        "number": number,
        "root_chain": chain,
        "proposer": hex(&[0x42; 20]),
        "start": start,
        "end": end,
        "root_hash": hex(&root),
        "account_root_hash": hex(&[0x99; 32]),
        "bttc_chain_id": 1337,
    })
}

fn committed(cp: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "checkpoint": cp, "acked_height": 1, "acked_time": 1_700_000_000, "matched_buffer": true,
    })
}

fn chain() -> (TestChain, Vec<Header>) {
    let headers = headers();
    let bttc = bttc_section(&headers);
    let eth = serde_json::json!({
        "root_chain": "eth",
        "ack_count": 2,
        "last_end": 12,
        "checkpoints": [
            committed(checkpoint("eth", 1, 0, 4, root(&headers, 0, 4))),
            committed(checkpoint("eth", 2, 5, 12, root(&headers, 5, 12))),
        ],
        "buffer": {
            "checkpoint": checkpoint("eth", 3, 13, 17, root(&headers, 13, 17)),
            "created_height": 1, "created_time": 1_700_000_000,
            "final_height": 2, "final_time": 1_700_000_002,
        },
    });
    let tron = serde_json::json!({
        "root_chain": "tron",
        "buffer": {
            "checkpoint": checkpoint("tron", 1, 0, 9, root(&headers, 0, 9)),
            "created_height": 1, "created_time": 1_700_000_000,
        },
    });
    // Blocks 0..=3 but the root over 0..=2: Delivery's records do not give it.
    let bad = serde_json::json!({
        "root_chain": "bad",
        "ack_count": 1,
        "last_end": 3,
        "checkpoints": [committed(checkpoint("bad", 1, 0, 3, root(&headers, 0, 2)))],
    });
    let chain = TestChain::build_with(1, vec![], Arc::new(NoRootChain), None, |state| {
        state["bttc"] = bttc;
        state["checkpoint"] = serde_json::json!({
            "params": delivery_checkpoint::Params::localnet(),
            "chains": [eth, tron, bad],
        });
    });
    (chain, headers)
}

/// The raw answer: `Ok(value)` or `Err((codespace, code, log))`.
fn ask(chain: &TestChain, path: &str) -> Result<Vec<u8>, (String, u32, String)> {
    let r = chain
        .app
        .query(pb::RequestQuery {
            data: Default::default(),
            path: path.into(),
            height: 0,
            prove: false,
        })
        .unwrap();
    if r.code == 0 {
        Ok(r.value.to_vec())
    } else {
        Err((r.codespace, r.code, r.log))
    }
}

fn proof_of(chain: &TestChain, root_chain: &str, block: u64) -> BlockProofAnswer {
    let path = format!("custom/checkpoint/block-proof/{root_chain}/{block}");
    let bytes = ask(chain, &path).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    serde_json::from_slice(&bytes).unwrap()
}

fn refused(chain: &TestChain, path: &str) -> (u32, String) {
    match ask(chain, path) {
        Ok(v) => panic!("{path} answered {}", String::from_utf8_lossy(&v)),
        Err((codespace, code, log)) => {
            assert_eq!(codespace, "checkpoint", "{path}: {log}");
            (code, log)
        }
    }
}

/// The root contracts' verifier (`RootChain.verifyBlock`'s Rust twin).
fn contract_accepts(a: &BlockProofAnswer, number: u64) -> bool {
    use alloy_primitives::B256;
    let leaf = bttc_engine_contracts::checkpoint::block_leaf(
        number,
        a.block.timestamp,
        B256::from(a.block.transactions_root),
        B256::from(a.block.receipts_root),
    );
    let proof: Vec<B256> = a.proof.iter().map(|w| B256::from(w.0)).collect();
    bttc_engine_contracts::checkpoint::verify_proof(
        leaf,
        number.wrapping_sub(a.start),
        B256::from(a.root_hash),
        &proof,
    )
}

#[test]
fn block_proofs_come_from_the_checkpoint_covering_the_block() {
    let (mut chain, headers) = chain();
    chain.block(vec![]);

    // Committed checkpoints: every block of 1 (0..=4, five leaves padded to eight) and 2
    // (5..=12, eight leaves).
    for (block, number, start, end) in [(0, 1, 0, 4), (4, 1, 0, 4), (5, 2, 5, 12), (12, 2, 5, 12)]
        .into_iter()
        .chain((1..=3).map(|b| (b, 1, 0, 4)))
        .chain((6..=11).map(|b| (b, 2, 5, 12)))
    {
        let a = proof_of(&chain, "eth", block);
        assert_eq!(
            (a.checkpoint_number, a.start, a.end, a.from_buffer),
            (number, start, end, false),
            "block {block}"
        );
        assert_eq!(a.root_chain, "eth");
        assert_eq!(a.root_hash, root(&headers, start, end));
        assert_eq!(a.block, headers[block as usize]);
        assert_eq!(a.leaf, merkle::leaf_hash(&headers[block as usize]));
        assert_eq!(a.leaf_index, block - start);
        assert_eq!(a.proof.len(), 3, "block {block}");
        let proof: Vec<[u8; 32]> = a.proof.iter().map(|w| w.0).collect();
        assert!(merkle::verify(&a.leaf, a.leaf_index, &proof, &a.root_hash));
        assert!(contract_accepts(&a, block), "block {block}");
        // Not for another block number, nor with a sibling changed.
        assert!(!contract_accepts(&a, block ^ 1));
        let mut bent = a.clone();
        bent.proof[2].0[31] ^= 1;
        assert!(!contract_accepts(&bent, block));
    }

    // The final buffer: from_buffer.
    for block in 13..=17 {
        let a = proof_of(&chain, "eth", block);
        assert_eq!((a.checkpoint_number, a.start, a.end), (3, 13, 17));
        assert!(a.from_buffer);
        assert!(contract_accepts(&a, block));
    }

    // JSON: hashes as 0x hex, the proof as a list of them.
    let v: serde_json::Value =
        serde_json::from_slice(&ask(&chain, "custom/checkpoint/block-proof/eth/6").unwrap())
            .unwrap();
    assert_eq!(v["checkpoint_number"], 2);
    assert_eq!(v["block"]["number"], 6);
    assert_eq!(v["block"]["receipts_root"], hex(&h256("receipts", 6)));
    assert_eq!(v["root_hash"], hex(&root(&headers, 5, 12)));
    assert_eq!(v["proof"].as_array().unwrap().len(), 3);
    assert!(v["proof"][0].as_str().unwrap().starts_with("0x"));
    assert_eq!(v["from_buffer"], false);

    // Not checkpointed yet: how far checkpoints are.
    let (code, log) = refused(&chain, "custom/checkpoint/block-proof/eth/18");
    assert_eq!(code, 13);
    assert!(
        log.contains("block 18 is not checkpointed on eth yet: last checkpointed block is 12"),
        "{log}"
    );
    assert!(
        log.contains("checkpoint 3 over 13..=17 is in flight (final)"),
        "{log}"
    );
    let (code, log) = refused(&chain, "custom/checkpoint/block-proof/eth/25");
    assert_eq!(code, 13);
    assert!(log.contains("Delivery's BTTC head is 20"), "{log}");
    let (code, log) = refused(&chain, "custom/checkpoint/block-proof/tron/3");
    assert_eq!(code, 13);
    assert!(
        log.contains("no checkpoint on tron is acked yet")
            && log.contains("checkpoint 1 over 0..=9 covers it but is not final yet"),
        "{log}"
    );
    let (code, log) = refused(&chain, "custom/checkpoint/block-proof/polygon/0");
    assert_eq!(code, 13);
    assert!(log.contains("not checkpointed on polygon yet"), "{log}");

    // Malformed arguments.
    for path in [
        "custom/checkpoint/block-proof/eth",
        "custom/checkpoint/block-proof/eth/x",
        "custom/checkpoint/block-proof/eth/-1",
        "custom/checkpoint/block-proof/eth/1/2",
        "custom/checkpoint/block-proof/Not A Chain/1",
    ] {
        assert_eq!(refused(&chain, path).0, 12, "{path}");
    }

    // A checkpoint Delivery's records do not reproduce.
    let (code, log) = refused(&chain, "custom/checkpoint/block-proof/bad/1");
    assert_eq!(code, 18);
    assert!(log.contains("do not give the root"), "{log}");

    // The module's own queries still answer under custom/checkpoint.
    let count = ask(&chain, "custom/checkpoint/count/eth").unwrap();
    let count: serde_json::Value = serde_json::from_slice(&count).unwrap();
    assert_eq!(count["ack_count"], 2);
}
