//! Delivery drives a real engine: each Delivery block carries the BTTC block its scheduled
//! producer sealed; producers rotate per sprint as the span schedule says; span commits land in
//! the engine's ValidatorSet contract; an EVM tx accepted by CheckTx reaches a BTTC block; and
//! malicious payloads (non-eligible sealer, wrong parent, wrong state root, unexpected
//! state-sync records, a second payload, a raw EVM tx in the proposal) are rejected in
//! ProcessProposal while the chain goes on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::sync::Arc;

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use bttc_engine_api::{Engine, StateSyncRecord};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;
use common::TestChain;
use delivery_app::chain::{self, TxKind as DeliveryTxKind};
use delivery_app::producer::{build_payload_tx, Duty};
use delivery_app::side::NoRootChain;
use delivery_module::SecretKey;

const EVM_CHAIN_ID: u64 = 1337;

struct Net {
    chain: TestChain,
    engine: Arc<InProcessEngine>,
    signers: Vec<SecretKey>,
    evm_user: PrivateKeySigner,
    _engine_dir: tempfile::TempDir,
}

fn setup() -> Net {
    let engine_dir = tempfile::tempdir().unwrap();
    let evm_user = PrivateKeySigner::from_bytes(&alloy_primitives::B256::repeat_byte(7)).unwrap();
    let funded = [(
        evm_user.address(),
        U256::from(1_000_000_000_000_000_000_000u128),
    )];
    let genesis = bttc_engine_contracts::dev_genesis_json(EVM_CHAIN_ID, &funded).unwrap();
    let spec = ChainSpec::from_json(&genesis.to_string()).unwrap();
    let engine = Arc::new(InProcessEngine::open(engine_dir.path(), spec).unwrap());
    let head = engine.head().unwrap();
    let signers: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_bytes(&[i + 10; 32]).unwrap())
        .collect();
    let validators: Vec<serde_json::Value> = signers
        .iter()
        .enumerate()
        .map(|(i, k)| {
            serde_json::json!({"id": i + 1, "signer": k.address().to_string(), "power": 10 + i})
        })
        .collect();
    let params = serde_json::to_value(delivery_span::Params::localnet()).unwrap();
    let dyn_engine: Arc<dyn Engine> = engine.clone();
    let chain = TestChain::build_with(
        4,
        vec![SecretKey::generate()],
        Arc::new(NoRootChain),
        Some(dyn_engine),
        |state| {
            state["span"] = serde_json::json!({"params": params, "validators": validators});
            state["bttc"] = serde_json::json!({"genesis": {
                "genesis_hash": head.hash,
                "genesis_state_root": head.state_root,
                "genesis_timestamp": head.timestamp,
            }});
        },
    );
    Net {
        chain,
        engine,
        signers,
        evm_user,
        _engine_dir: engine_dir,
    }
}

impl Net {
    /// The payload tx of whichever signer has the duty now (exactly one, with no failover).
    fn produce(&self) -> (usize, Duty, Vec<u8>) {
        let mut found = Vec::new();
        for (i, k) in self.signers.iter().enumerate() {
            if let Some(duty) = self.chain.app.producer_duty(&k.address()).unwrap() {
                let tx = build_payload_tx(self.engine.as_ref(), k, &duty).unwrap();
                found.push((i, duty, tx));
            }
        }
        assert_eq!(found.len(), 1, "exactly one producer has the duty");
        found.pop().unwrap()
    }

    fn bttc_head(&self) -> chain::BttcBlock {
        chain::head(&self.chain.app.storage().latest_snapshot())
            .unwrap()
            .unwrap()
    }

    fn evm_transfer(&self, nonce: u64) -> Vec<u8> {
        let tx = TxEip1559 {
            chain_id: EVM_CHAIN_ID,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(alloy_primitives::Address::repeat_byte(0x42)),
            value: U256::from(12_345u64),
            ..Default::default()
        };
        let sig = self.evm_user.sign_hash_sync(&tx.signature_hash()).unwrap();
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
    }

    /// A proposal: the extended commit (from PrepareProposal with an empty mempool) + `extra`.
    fn proposal_with(&self, extra: Vec<Vec<u8>>) -> Vec<prost::bytes::Bytes> {
        let mut txs = self.chain.prepare(vec![]);
        txs.extend(extra.into_iter().map(Into::into));
        txs
    }
}

#[test]
fn bttc_blocks_follow_the_span_schedule_and_bad_payloads_are_rejected() {
    let mut net = setup();
    // Block 1 has no extended commit yet and no BTTC duty answered before a commit: start the
    // chain with one empty Delivery block.
    net.chain.block(vec![]);

    let mut producers = Vec::new();
    for _ in 0..20 {
        let (who, duty, tx) = net.produce();
        assert_eq!(chain::classify(&tx), DeliveryTxKind::Payload);
        // It goes through CometBFT's mempool first.
        assert_eq!(net.chain.check_tx(&tx).code, 0);
        let scheduled =
            delivery_span::producer_at(&net.chain.app.storage().latest_snapshot(), duty.number)
                .unwrap();
        assert_eq!(scheduled.producer.signer, net.signers[who].address());
        let res = net.chain.block(vec![tx]);
        let payload_result = &res.tx_results[1];
        assert_eq!(payload_result.code, 0, "{payload_result:?}");
        let head = net.bttc_head();
        assert_eq!(head.number, duty.number);
        assert_eq!(net.engine.head().unwrap().hash, head.hash);
        assert_eq!(net.engine.head().unwrap().state_root, head.state_root);
        producers.push((duty.number, who));
    }
    // Sprint length 4: the producer is constant within a sprint, and changes when the schedule
    // says so.
    for window in producers.chunks(4) {
        assert!(window.iter().all(|(_, w)| *w == window[0].1), "{window:?}");
    }
    let distinct: std::collections::BTreeSet<usize> = producers.iter().map(|(_, w)| *w).collect();
    assert!(
        distinct.len() > 1,
        "the producer never changed: {producers:?}"
    );

    // Span commits reached the ValidatorSet contract (span 0 at block 1, span 1 at block 9;
    // localnet params: genesis span 8 blocks, then 16): its currentSpanNumber is 1. Span 2
    // (from block 25) already exists in Delivery, a sprint before it is needed.
    let state = net.chain.app.storage().latest_snapshot();
    let span2 = delivery_span::state::span(&state, 2)
        .unwrap()
        .expect("span 2 exists early");
    assert_eq!(span2.start_block, 25);
    let current_span = net
        .engine
        .storage_at(
            bttc_engine_contracts::VALIDATOR_SET_ADDRESS.0 .0,
            bttc_engine_contracts::slots::VALIDATOR_SET_CURRENT_SPAN,
        )
        .unwrap();
    assert_eq!(current_span, U256::from(1u64));

    // An EVM tx through CheckTx lands in the next BTTC block.
    let evm = net.evm_transfer(0);
    assert_eq!(chain::classify(&evm), DeliveryTxKind::Evm);
    let check = net.chain.check_tx(&evm);
    assert_eq!(check.code, 0, "{check:?}");
    // A recheck while the engine still pools it is answered from the engine's pool view.
    let recheck = net.chain.recheck_tx(&evm);
    assert_eq!(recheck.code, 0, "{recheck:?}");
    assert!(recheck.info.contains("still pooled"), "{recheck:?}");
    let (_, _, tx) = net.produce();
    let payload = chain::decode_payload_tx(&tx).unwrap();
    assert_eq!(payload.transactions.len(), 1);
    // The proposer never proposes the raw EVM tx itself.
    let proposal = net.chain.prepare(vec![evm.clone(), tx.clone()]);
    assert_eq!(proposal.len(), 2, "extended commit + payload only");
    assert!(net.chain.process(&proposal));
    net.chain.finalize(proposal);
    let recipient = net
        .engine
        .account([0x42; 20])
        .unwrap()
        .map(|(balance, _, _)| balance);
    assert_eq!(recipient, Some(U256::from(12_345u64)));
    // Recheck drops it now that a finalized block included it: the view taken after Commit
    // no longer has it, and the full check says its nonce is used.
    let recheck = net.chain.recheck_tx(&evm);
    assert_ne!(recheck.code, 0, "{recheck:?}");
    assert!(recheck.log.contains("nonce"), "{recheck:?}");
    assert_ne!(net.chain.check_tx(&evm).code, 0);

    // Pipelined CheckTx: EVM txs go to the engine in one call, Delivery txs one by one, and
    // every answer lands in its request's slot.
    let next = net.evm_transfer(1);
    let answers = net.chain.check_tx_batch(&[
        (next.clone(), false),
        (vec![0x02, 0xc0], false),
        (vec![0x0a, 0xff], false),
        (next.clone(), true),
        (evm.clone(), true),
    ]);
    assert_eq!(answers.len(), 5);
    assert_eq!(answers[0].code, 0, "{:?}", answers[0]);
    assert_eq!(
        (answers[1].codespace.as_str(), answers[1].code),
        ("evm", 2),
        "malformed: {:?}",
        answers[1]
    );
    assert_ne!(answers[2].code, 0, "garbage Delivery tx: {:?}", answers[2]);
    assert_ne!(answers[2].codespace, "evm");
    assert_eq!(answers[3].code, 0, "{:?}", answers[3]);
    assert!(answers[4].log.contains("nonce"), "{:?}", answers[4]);

    // Malicious payloads, each rejected in ProcessProposal.
    let (who, duty, good) = net.produce();
    let good_payload = chain::decode_payload_tx(&good).unwrap();
    let outsider = SecretKey::from_bytes(&[99; 32]).unwrap();
    let other = &net.signers[(who + 1) % 4];
    let reseal = |p: &mut bttc_engine_api::ExecutablePayload, key: &SecretKey| {
        let digest = p.seal_hash().unwrap();
        p.seal(key.sign_recoverable(&digest.0)).unwrap();
    };
    let mut bad: Vec<(&str, Vec<u8>)> = Vec::new();
    // Sealed by a validator who is not eligible now (with a matching fee recipient).
    {
        let mut p = good_payload.clone();
        p.fee_recipient = bttc_engine_api::Address(other.address().0);
        reseal(&mut p, other);
        bad.push(("non-eligible sealer", chain::encode_payload_tx(&p)));
    }
    // Sealed by an outsider.
    {
        let mut p = good_payload.clone();
        p.fee_recipient = bttc_engine_api::Address(outsider.address().0);
        reseal(&mut p, &outsider);
        bad.push(("outsider", chain::encode_payload_tx(&p)));
    }
    // Wrong parent.
    {
        let mut p = good_payload.clone();
        p.parent_hash = bttc_engine_api::H256([7; 32]);
        reseal(&mut p, &net.signers[who]);
        bad.push(("wrong parent", chain::encode_payload_tx(&p)));
    }
    // Wrong state root (sealed properly: only the engine can tell).
    {
        let mut p = good_payload.clone();
        p.state_root = bttc_engine_api::H256([9; 32]);
        reseal(&mut p, &net.signers[who]);
        bad.push(("wrong state root", chain::encode_payload_tx(&p)));
    }
    // State-sync records Delivery does not expect.
    {
        let mut p = good_payload.clone();
        p.state_sync_records = vec![StateSyncRecord {
            id: 1,
            receiver: bttc_engine_api::Address([1; 20]),
            data: bttc_engine_api::Bytes(vec![1]),
        }];
        reseal(&mut p, &net.signers[who]);
        bad.push((
            "unexpected state-sync records",
            chain::encode_payload_tx(&p),
        ));
    }
    // Gas used over the limit.
    {
        let mut p = good_payload.clone();
        p.gas_used = p.gas_limit + 1;
        reseal(&mut p, &net.signers[who]);
        bad.push(("gas over limit", chain::encode_payload_tx(&p)));
    }
    for (what, tx) in &bad {
        assert!(
            !net.chain.process(&net.proposal_with(vec![tx.clone()])),
            "{what} was accepted"
        );
    }
    // Two payloads in one block; a raw EVM tx in the proposal.
    assert!(!net
        .chain
        .process(&net.proposal_with(vec![good.clone(), good.clone()])));
    assert!(!net
        .chain
        .process(&net.proposal_with(vec![good.clone(), net.evm_transfer(1)])));
    // A malicious proposer's block that gets finalized anyway: the bad payload fails in
    // FinalizeBlock and records nothing.
    let before = net.bttc_head();
    let res = net
        .chain
        .finalize(net.proposal_with(vec![bad[2].1.clone()]));
    assert_ne!(res.tx_results[1].code, 0);
    assert_eq!(net.bttc_head(), before);

    // The chain goes on with the honest payload.
    let (_, duty2, good2) = net.produce();
    assert_eq!(duty2.number, duty.number);
    let res = net.chain.block(vec![good2]);
    assert_eq!(res.tx_results[1].code, 0, "{:?}", res.tx_results[1]);
    assert_eq!(net.bttc_head().number, duty.number);
}
