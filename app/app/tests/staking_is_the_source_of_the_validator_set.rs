#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
//! With validators in the staking section, staking is the source of CometBFT's validator set:
//! InitChain hands its set over, a join voted YES becomes a validator update in the block that
//! applies it, and the app checks vote extensions with the new set exactly from the height
//! CometBFT uses it (`H + 2`).

mod common;

use std::sync::Arc;

use common::{validator_key, TestChain, BTT, CHAIN_ID};
use delivery_app::router::SideMsg;
use delivery_app::side::SideTxVerifier;
use delivery_app::valset::address_of;
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_module::{SecretKey, Vote};
use delivery_rootchain::RootEvent;
use delivery_staking::MsgValidatorJoin;
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::crypto::public_key::Sum;

struct AlwaysYes;
impl SideTxVerifier for AlwaysYes {
    fn vote(&self, _: &[u8; 32], _: &SideMsg) -> Vote {
        Vote::Yes
    }
}

fn ed25519_of(update: &pb::ValidatorUpdate) -> Vec<u8> {
    match update.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
        Some(Sum::Ed25519(k)) => k.clone(),
        other => panic!("not an ed25519 key: {other:?}"),
    }
}

fn join_tx(chain: &TestChain, signer: &SecretKey, consensus: [u8; 32], id: u64) -> Vec<u8> {
    let msg = MsgValidatorJoin {
        from: signer.address().to_string(),
        event: Some(RootEvent {
            root_chain: "eth".into(),
            tx_hash: vec![0x5e; 32],
            block_number: 700,
            log_index: 3,
        }),
        validator_id: id,
        activation_epoch: 1,
        amount: (5_000 * BTT).to_string(),
        signer_pubkey: signer.public_key().to_uncompressed().to_vec(),
        consensus_pubkey: consensus.to_vec(),
        nonce: 1,
    };
    build_signed_tx(
        signer,
        &SignerData {
            chain_id: CHAIN_ID.into(),
            account_number: chain.account_number(&signer.address()),
            sequence: 0,
        },
        &[AnyMsg::pack(&msg)],
        1_000_000_000_000_000,
        200_000,
        "",
    )
}

fn staking_chain() -> (TestChain, Vec<SecretKey>) {
    let signers: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
    // accounts[0] is the joining validator's signer (it pays the join's fee).
    let accounts = vec![SecretKey::generate()];
    let chain = TestChain::build_staking(&signers, accounts, Arc::new(AlwaysYes), |_| {});
    (chain, signers)
}

#[test]
fn init_chain_returns_the_staking_set_in_place_of_cometbfts() {
    let (mut chain, _) = staking_chain();
    // CometBFT's genesis said power 10 each; staking (equal power) says 1.
    let mut keys: Vec<Vec<u8>> = chain.init.validators.iter().map(ed25519_of).collect();
    keys.sort();
    let mut expected: Vec<Vec<u8>> = (0..4)
        .map(|i| validator_key(i).verifying_key().to_bytes().to_vec())
        .collect();
    expected.sort();
    assert_eq!(keys, expected);
    assert!(chain.init.validators.iter().all(|v| v.power == 1));
    // Vote extensions signed with power 1 verify; blocks go on.
    for _ in 0..3 {
        let res = chain.block(vec![]);
        assert!(res.validator_updates.is_empty());
    }
    let set = chain.query_json("custom/app/validators", b"");
    assert_eq!(set["validators"].as_array().unwrap().len(), 4);
    assert_eq!(set["validators"][0]["power"], "1");
    let v = chain.query_json("custom/staking/validator", b"1");
    assert_eq!(v["id"], 1, "{v}");
}

#[test]
fn a_join_voted_yes_updates_the_set_from_h_plus_2() {
    let (mut chain, _) = staking_chain();
    chain.block(vec![]);
    let new_key = validator_key(4);
    let consensus = new_key.verifying_key().to_bytes();
    let signer = chain.accounts[0].clone();
    let tx = join_tx(&chain, &signer, consensus, 5);
    assert_eq!(chain.check_tx(&tx).code, 0, "{}", chain.check_tx(&tx).log);
    let res = chain.block(vec![tx]); // height 2: recorded as pending
    assert_eq!(res.tx_results[1].code, 0, "{}", res.tx_results[1].log);
    assert!(res.validator_updates.is_empty());
    // Height 3: the vote passes, the validator joins, staking reports it.
    let res = chain.block(vec![]);
    let h = chain.height;
    assert_eq!(h, 3);
    assert_eq!(res.validator_updates.len(), 1, "{:?}", res.events);
    assert_eq!(ed25519_of(&res.validator_updates[0]), consensus.to_vec());
    assert_eq!(res.validator_updates[0].power, 1);
    // The app's record follows CometBFT: the set of H+1 is still the old one ...
    let count = |chain: &TestChain| {
        chain.query_json("custom/app/validators", b"")["validators"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&chain), 4, "set of H+1");
    assert_eq!(chain.query_json("custom/staking/validator", b"5")["id"], 5);

    // H+1 = 4: its commit is still signed by the old set; the set of H+2 is the new one.
    chain.block(vec![]);
    assert_eq!(count(&chain), 5, "set of H+2");
    // A commit of H+1 that the new validator signed too is refused.
    let mut tampered = chain.last_extended_commit.clone().unwrap();
    let ext = tampered.votes[0].vote_extension.to_vec();
    chain.validators.push(new_key);
    tampered.votes.push(chain.signed_vote(4, chain.height, ext));
    common::sort_by_address(&mut tampered.votes);
    let honest = chain.last_extended_commit.replace(tampered);
    let proposal = chain.prepare(vec![]);
    assert!(
        !chain.process(&proposal),
        "a commit of H+1 with the new validator was accepted"
    );
    chain.last_extended_commit = honest;
    // H+2 = 5: the new set signs (5 validators), and H+3 checks its commit with it.
    chain.block(vec![]);
    assert_eq!(chain.height, 5);
    let commit = chain.last_extended_commit.clone().unwrap();
    assert_eq!(commit.votes.len(), 5);
    assert!(commit
        .votes
        .iter()
        .any(|v| { v.validator.as_ref().unwrap().address.to_vec() == address_of(&consensus) }));
    let res = chain.block(vec![]);
    assert_eq!(res.tx_results[0].code, 0, "{}", res.tx_results[0].log);
    assert_eq!(count(&chain), 5);
}

#[test]
fn an_export_with_a_joined_validator_imports_to_the_same_app_hash() {
    let (mut chain, _) = staking_chain();
    chain.block(vec![]);
    let new_key = validator_key(4);
    let consensus = new_key.verifying_key().to_bytes();
    let signer = chain.accounts[0].clone();
    chain.block(vec![join_tx(&chain, &signer, consensus, 5)]);
    chain.block(vec![]); // joined; set of height 5 recorded
    chain.block(vec![]);
    let original = chain.app_hash();
    let (height, exported) = chain.app.export_genesis().unwrap();
    assert_eq!(exported.staking.validators.len(), 5);
    assert!(!exported.rootchain.applied.is_empty(), "the join's event");
    let json = serde_json::to_value(&exported).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = delivery_app::DeliveryApp::new(
        delivery_store::Storage::open(dir.path(), delivery_store::StorageConfig { keep_recent: 0 })
            .unwrap(),
        Arc::new(AlwaysYes),
    )
    .unwrap();
    let mut req = common::init_request(&chain.validators, &json);
    req.initial_height = i64::try_from(height).unwrap() + 1;
    let res = delivery_abci::Application::init_chain(&app, req).unwrap();
    assert_eq!(res.app_hash.to_vec(), original);
    assert_eq!(res.validators.len(), 5);
    assert!(res.validators.iter().all(|v| v.power == 1));
}
