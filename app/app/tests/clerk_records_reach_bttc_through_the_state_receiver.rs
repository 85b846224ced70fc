//! Clerk's event records reach BTTC: a `MsgEventRecord` voted YES becomes a record, the next
//! BTTC payload carries exactly the records due, the engine commits them through the real
//! StateReceiver (its `lastStateId` moves), Delivery's last synced id advances, and the payload
//! after that carries none. Payloads whose records are missing, extra, reordered or altered are
//! rejected in ProcessProposal (code `bttc/8`) and fail in FinalizeBlock; an export carries the
//! last synced id and imports to the same app hash.
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

use alloy_primitives::U256;
use bttc_engine_api::{Engine, ExecutablePayload, StateSyncRecord};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;
use common::{TestChain, CHAIN_ID};
use delivery_app::chain::{self, PayloadError};
use delivery_app::producer::{build_payload_tx, Duty};
use delivery_app::router::SideMsg;
use delivery_app::side::SideTxVerifier;
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_clerk::MsgEventRecord;
use delivery_module::{SecretKey, Vote};
use delivery_rootchain::{Params as Registry, RootChainConfig, RootChainKind, RootEvent};

const EVM_CHAIN_ID: u64 = 1337;
/// The receiver of the records on BTTC (no code: the StateReceiver still commits the record).
const RECEIVER: [u8; 20] = [0x77; 20];

struct AlwaysYes;
impl SideTxVerifier for AlwaysYes {
    fn vote(&self, _: &[u8; 32], _: &SideMsg) -> Vote {
        Vote::Yes
    }
}

struct Net {
    chain: TestChain,
    engine: Arc<InProcessEngine>,
    signers: Vec<SecretKey>,
    _engine_dir: tempfile::TempDir,
}

fn setup() -> Net {
    let engine_dir = tempfile::tempdir().unwrap();
    let genesis = bttc_engine_contracts::dev_genesis_json(EVM_CHAIN_ID, &[]).unwrap();
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
    let rootchain = delivery_rootchain::Genesis {
        params: Registry {
            chains: vec![RootChainConfig {
                name: "eth".into(),
                kind: RootChainKind::Eth,
                chain_id: 1,
                stake_manager: Some([1; 20]),
                state_sender: [2; 20],
                root_chain_manager: [3; 20],
                root_chain_contract: None,
                confirmations: 64,
            }],
            staking_chain: "eth".into(),
        },
        ..Default::default()
    };
    let dyn_engine: Arc<dyn Engine> = engine.clone();
    let chain = TestChain::build_with(
        4,
        vec![SecretKey::generate()],
        Arc::new(AlwaysYes),
        Some(dyn_engine),
        |state| {
            state["span"] = serde_json::json!({"params": params, "validators": validators});
            state["rootchain"] = serde_json::to_value(&rootchain).unwrap();
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
        _engine_dir: engine_dir,
    }
}

impl Net {
    /// A payload tx of an eligible signer (the first in signer order that has the duty).
    fn produce(&self) -> (usize, Duty, Vec<u8>) {
        for (i, k) in self.signers.iter().enumerate() {
            if let Some(duty) = self.chain.app.producer_duty(&k.address()).unwrap() {
                let tx = build_payload_tx(self.engine.as_ref(), k, &duty).unwrap();
                return (i, duty, tx);
            }
        }
        panic!("nobody has the duty at height {}", self.chain.height + 1);
    }

    fn event_tx(&self, root_id: u64, sequence: u64) -> Vec<u8> {
        let key = &self.chain.accounts[0];
        let msg = MsgEventRecord {
            from: key.address().to_string(),
            event: Some(RootEvent {
                root_chain: "eth".into(),
                tx_hash: vec![0xaa; 32],
                block_number: 900 + root_id,
                log_index: root_id,
            }),
            id: root_id,
            contract: RECEIVER.to_vec(),
            data: vec![0xd0 + u8::try_from(root_id).unwrap(); 40],
        };
        build_signed_tx(
            key,
            &SignerData {
                chain_id: CHAIN_ID.into(),
                account_number: self.chain.account_number(&key.address()),
                sequence,
            },
            &[AnyMsg::pack(&msg)],
            1_000_000_000_000_000,
            200_000,
            "",
        )
    }

    fn last_state_id(&self) -> u64 {
        chain::last_state_id(&self.chain.app.storage().latest_snapshot()).unwrap()
    }

    fn receiver_last_state_id(&self) -> U256 {
        self.engine
            .storage_at(
                bttc_engine_contracts::STATE_RECEIVER_ADDRESS.0 .0,
                bttc_engine_contracts::slots::STATE_RECEIVER_LAST_STATE_ID,
            )
            .unwrap()
    }

    fn proposal_with(&self, extra: Vec<u8>) -> Vec<prost::bytes::Bytes> {
        let mut txs = self.chain.prepare(vec![]);
        txs.push(extra.into());
        txs
    }
}

fn with_records(
    good: &ExecutablePayload,
    key: &SecretKey,
    records: Vec<StateSyncRecord>,
) -> Vec<u8> {
    let mut p = good.clone();
    p.state_sync_records = records;
    let digest = p.seal_hash().unwrap();
    p.seal(key.sign_recoverable(&digest.0)).unwrap();
    chain::encode_payload_tx(&p)
}

#[test]
fn clerk_records_reach_bttc_through_the_state_receiver() {
    let mut net = setup();
    net.chain.block(vec![]);

    // Height 2: the StateSynced event of root id 1 is included (pending its vote); the BTTC
    // block of this height carries no record.
    let (_, duty, payload) = net.produce();
    assert!(duty.state_sync_records.is_empty());
    let res = net.chain.block(vec![payload, net.event_tx(1, 0)]);
    assert!(res.tx_results.iter().all(|r| r.code == 0), "{res:?}");

    // Height 3: the vote passes and record 1 is written before the block's payload is judged
    // by FinalizeBlock; the payload, built before the record existed, is still the right one
    // (records due are those of the state the block builds on).
    let (_, duty, payload) = net.produce();
    assert!(duty.state_sync_records.is_empty());
    let res = net.chain.block(vec![payload]);
    assert_eq!(res.tx_results[1].code, 0, "{:?}", res.tx_results[1]);
    let state = net.chain.app.storage().latest_snapshot();
    assert_eq!(delivery_clerk::latest_id(&state).unwrap(), 1);
    assert_eq!(net.last_state_id(), 0);

    // Height 4: root id 2 is included; height 5 applies it. No BTTC block meanwhile.
    net.chain.block(vec![net.event_tx(2, 1)]);
    net.chain.block(vec![]);
    let state = net.chain.app.storage().latest_snapshot();
    assert_eq!(delivery_clerk::latest_id(&state).unwrap(), 2);

    // Height 6: the duty carries records 1 and 2, exactly as clerk wrote them.
    let (who, duty, good) = net.produce();
    let key = net.signers[who].clone();
    let expected: Vec<StateSyncRecord> = (1..=2u64)
        .map(|id| StateSyncRecord {
            id,
            receiver: bttc_engine_api::Address(RECEIVER),
            data: bttc_engine_api::Bytes(vec![0xd0 + u8::try_from(id).unwrap(); 40]),
        })
        .collect();
    assert_eq!(duty.state_sync_records, expected);
    let good_payload = chain::decode_payload_tx(&good).unwrap();
    assert_eq!(good_payload.state_sync_records, expected);

    // Anything but exactly those records is rejected, with code bttc/8.
    let fake = StateSyncRecord {
        id: 3,
        receiver: bttc_engine_api::Address(RECEIVER),
        data: bttc_engine_api::Bytes(vec![1]),
    };
    let mut altered_data = expected.clone();
    altered_data[1].data.0[0] ^= 1;
    let mut altered_receiver = expected.clone();
    altered_receiver[0].receiver = bttc_engine_api::Address([0x78; 20]);
    let bad = [
        ("none", vec![]),
        ("missing the last", vec![expected[0].clone()]),
        ("missing the first", vec![expected[1].clone()]),
        ("extra", [expected.clone(), vec![fake]].concat()),
        ("reordered", vec![expected[1].clone(), expected[0].clone()]),
        ("altered data", altered_data),
        ("altered receiver", altered_receiver),
    ];
    let state_sync_code = PayloadError::StateSync(String::new()).code();
    assert_eq!(state_sync_code, 8);
    for (what, records) in &bad {
        let tx = with_records(&good_payload, &key, records.clone());
        assert!(
            !net.chain.process(&net.proposal_with(tx.clone())),
            "{what} was accepted"
        );
        let check = net.chain.check_tx(&tx);
        assert_eq!(
            (check.codespace.as_str(), check.code),
            ("bttc", state_sync_code),
            "{what}: {check:?}"
        );
    }
    // Finalized anyway (a malicious proposer's block): the payload fails, nothing moves.
    let before = chain::head(&net.chain.app.storage().latest_snapshot()).unwrap();
    let res = net.chain.finalize(net.proposal_with(with_records(
        &good_payload,
        &key,
        vec![expected[0].clone()],
    )));
    assert_eq!(
        res.tx_results[1].code, state_sync_code,
        "{:?}",
        res.tx_results[1]
    );
    assert_eq!(
        chain::head(&net.chain.app.storage().latest_snapshot()).unwrap(),
        before
    );
    assert_eq!(net.last_state_id(), 0);
    assert_eq!(net.receiver_last_state_id(), U256::ZERO);

    // The honest payload (rebuilt for this height) delivers both records through the
    // StateReceiver, and Delivery's last synced id follows.
    let (_, duty, good) = net.produce();
    assert_eq!(duty.state_sync_records, expected);
    let res = net.chain.block(vec![good]);
    assert_eq!(res.tx_results[1].code, 0, "{:?}", res.tx_results[1]);
    assert_eq!(net.last_state_id(), 2);
    assert_eq!(net.receiver_last_state_id(), U256::from(2u64));
    assert_eq!(
        net.engine.head().unwrap().hash,
        chain::head(&net.chain.app.storage().latest_snapshot())
            .unwrap()
            .unwrap()
            .hash
    );

    // The next payload carries nothing; re-sending delivered records is rejected.
    let (who, duty, next) = net.produce();
    assert!(duty.state_sync_records.is_empty());
    let replay = with_records(
        &chain::decode_payload_tx(&next).unwrap(),
        &net.signers[who],
        expected.clone(),
    );
    assert!(!net.chain.process(&net.proposal_with(replay)));
    let res = net.chain.block(vec![next]);
    assert_eq!(res.tx_results[1].code, 0, "{:?}", res.tx_results[1]);
    assert_eq!(net.last_state_id(), 2);
    assert_eq!(net.receiver_last_state_id(), U256::from(2u64));

    // An export carries the last synced id and imports to the same app hash.
    let original = net.chain.app_hash();
    let (height, exported) = net.chain.app.export_genesis().unwrap();
    assert_eq!(exported.bttc.as_ref().unwrap().last_state_id, 2);
    let json = serde_json::to_value(&exported).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = delivery_app::DeliveryApp::new(
        delivery_store::Storage::open(dir.path(), delivery_store::StorageConfig { keep_recent: 0 })
            .unwrap(),
        Arc::new(AlwaysYes),
    )
    .unwrap();
    let mut req = common::init_request(&net.chain.validators, &json);
    req.initial_height = i64::try_from(height).unwrap() + 1;
    let res = delivery_abci::Application::init_chain(&app, req).unwrap();
    assert_eq!(res.app_hash.to_vec(), original);

    // A genesis whose last synced id is past clerk's records is refused.
    let mut broken = json.clone();
    broken["bttc"]["last_state_id"] = serde_json::json!(3);
    let dir = tempfile::tempdir().unwrap();
    let app = delivery_app::DeliveryApp::new(
        delivery_store::Storage::open(dir.path(), delivery_store::StorageConfig { keep_recent: 0 })
            .unwrap(),
        Arc::new(AlwaysYes),
    )
    .unwrap();
    let mut req = common::init_request(&net.chain.validators, &broken);
    req.initial_height = i64::try_from(height).unwrap() + 1;
    let err = delivery_abci::Application::init_chain(&app, req).unwrap_err();
    assert!(err.to_string().contains("last_state_id"), "{err}");
}
