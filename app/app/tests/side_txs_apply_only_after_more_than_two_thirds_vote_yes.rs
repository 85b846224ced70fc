#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]
//! A side message is only recorded in its block; it applies in the next block if, and only if,
//! more than 2/3 of the voting power said YES in their vote extensions. A root event applies at
//! most once.

mod common;

use std::sync::Arc;

use common::{TestChain, BTT, CHAIN_ID};
use delivery_app::router::SideMsg;
use delivery_app::side::SideTxVerifier;
use delivery_app::vote_ext::{self, VoteExtension};
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_bank::MsgTopup;
use delivery_module::Vote;
use prost::Message as _;
use sha2::Digest as _;

/// Votes YES and records which txs it was asked to prepare, and how often.
#[derive(Default)]
struct AlwaysYes {
    prepared: std::sync::Mutex<Vec<[u8; 32]>>,
}
impl SideTxVerifier for AlwaysYes {
    fn vote(&self, _: &[u8; 32], _: &SideMsg) -> Vote {
        Vote::Yes
    }
    fn prepare(&self, tx_hash: &[u8; 32], _: &SideMsg) {
        self.prepared.lock().unwrap().push(*tx_hash);
    }
}

fn topup_tx(chain: &TestChain, log_index: u64, seq: u64) -> Vec<u8> {
    let key = &chain.accounts[0];
    let msg = MsgTopup {
        proposer: key.address().to_string(),
        user: chain.accounts[1].address().to_string(),
        amount: (5 * BTT).to_string(),
        root_chain: "eth".into(),
        tx_hash: vec![0xab; 32],
        log_index,
        block_number: 100,
    };
    let n = chain.account_number(&key.address());
    build_signed_tx(
        key,
        &SignerData {
            chain_id: CHAIN_ID.into(),
            account_number: n,
            sequence: seq,
        },
        &[AnyMsg::pack(&msg)],
        1_000_000_000_000_000,
        1,
        "",
    )
}

#[test]
fn a_topup_mints_after_the_yes_vote_and_only_once() {
    let verifier = Arc::new(AlwaysYes::default());
    let mut chain = TestChain::with_verifier(4, 2, verifier.clone());
    chain.block(vec![]);
    let user = chain.accounts[1].address();
    let before = chain.balance(&user);
    let tx = topup_tx(&chain, 0, 0);
    assert_eq!(chain.check_tx(&tx).code, 0);
    // The root-chain check starts as soon as the tx enters the mempool ...
    let hash: [u8; 32] = sha2::Sha256::digest(&tx).into();
    assert_eq!(*verifier.prepared.lock().unwrap(), vec![hash]);
    chain.block(vec![tx]);
    // ... and again when a proposal carries it (a node may not have seen it in its mempool).
    assert!(verifier.prepared.lock().unwrap().len() >= 2);
    assert_eq!(chain.balance(&user), before, "applied before the vote");
    chain.block(vec![]);
    assert_eq!(
        chain.balance(&user),
        before + 5 * BTT,
        "not applied after > 2/3 YES"
    );
    // The same root event again: refused.
    let replay = topup_tx(&chain, 0, 1);
    let r = chain.check_tx(&replay);
    assert_eq!((r.codespace.as_str(), r.code), ("bank", 20), "{}", r.log);
}

#[test]
fn a_topup_with_half_the_power_voting_yes_is_dropped() {
    let mut chain = TestChain::with_verifier(4, 2, Arc::new(AlwaysYes::default()));
    chain.block(vec![]);
    let user = chain.accounts[1].address();
    let before = chain.balance(&user);
    chain.block(vec![topup_tx(&chain, 1, 0)]);
    // Two of four validators change their minds: NO. 2/3 is not reached.
    let mut commit = chain.last_extended_commit.clone().unwrap();
    let h = chain.height;
    for i in [0usize, 1] {
        let mut ext = VoteExtension::decode(commit.votes[i].vote_extension.as_ref()).unwrap();
        for v in &mut ext.side_tx_votes {
            v.vote = vote_ext::vote_code(Vote::No);
        }
        let address = commit.votes[i].validator.clone().unwrap().address;
        let key_index = chain
            .validators
            .iter()
            .position(|k| {
                delivery_app::valset::address_of(&k.verifying_key().to_bytes()) == address.to_vec()
            })
            .unwrap();
        commit.votes[i] = chain.signed_vote(key_index, h, ext.encode_to_vec());
    }
    chain.last_extended_commit = Some(commit);
    let res = chain.block(vec![]);
    assert_eq!(chain.balance(&user), before);
    assert!(res.events.iter().any(|e| e.r#type == "side_tx.rejected"));
}

#[test]
fn a_validator_without_a_root_chain_votes_unknown_and_nothing_applies() {
    let mut chain = TestChain::new(4, 2);
    chain.block(vec![]);
    let user = chain.accounts[1].address();
    let before = chain.balance(&user);
    chain.block(vec![topup_tx(&chain, 2, 0)]);
    chain.block(vec![]);
    assert_eq!(chain.balance(&user), before);
}
