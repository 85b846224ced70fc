#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]
//! A proposal whose injected extended commit has a bad signature, a wrong height, a duplicated or
//! missing validator, or altered powers is rejected in ProcessProposal.

mod common;

use common::TestChain;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

fn with_commit(chain: &TestChain, commit: &pb::ExtendedCommitInfo) -> Vec<prost::bytes::Bytes> {
    let mut proposal = chain.prepare(vec![]);
    proposal[0] = commit.encode_to_vec().into();
    proposal
}

#[test]
fn the_honest_extended_commit_is_accepted_and_every_tampering_rejected() {
    let mut chain = TestChain::new(4, 1);
    chain.block(vec![]);
    chain.block(vec![]);
    let honest = chain.last_extended_commit.clone().unwrap();
    assert!(
        chain.process(&with_commit(&chain, &honest)),
        "honest commit rejected"
    );

    // Bad signature.
    let mut bad_sig = honest.clone();
    let mut sig = bad_sig.votes[1].extension_signature.to_vec();
    sig[10] ^= 0x40;
    bad_sig.votes[1].extension_signature = sig.into();
    assert!(
        !chain.process(&with_commit(&chain, &bad_sig)),
        "bad signature accepted"
    );

    // Wrong height: extensions (and signatures) for another height.
    let mut wrong_height = honest.clone();
    for (i, v) in wrong_height.votes.iter_mut().enumerate() {
        let ext = v.vote_extension.to_vec();
        let signed = chain.signed_vote(i, chain.height + 5, ext);
        v.extension_signature = signed.extension_signature;
    }
    assert!(
        !chain.process(&with_commit(&chain, &wrong_height)),
        "wrong height accepted"
    );

    // Duplicated validator.
    let mut dup = honest.clone();
    dup.votes[3] = dup.votes[0].clone();
    assert!(
        !chain.process(&with_commit(&chain, &dup)),
        "duplicate accepted"
    );

    // Missing validator.
    let mut missing = honest.clone();
    missing.votes.remove(2);
    assert!(
        !chain.process(&with_commit(&chain, &missing)),
        "missing validator accepted"
    );

    // Altered powers.
    let mut powers = honest.clone();
    powers.votes[0].validator.as_mut().unwrap().power = 1_000;
    assert!(
        !chain.process(&with_commit(&chain, &powers)),
        "altered power accepted"
    );

    // No extended commit at all.
    let mut none = chain.prepare(vec![]);
    none.remove(0);
    assert!(!chain.process(&none), "missing extended commit accepted");

    // Garbage in its place.
    let mut garbage = chain.prepare(vec![]);
    garbage[0] = b"not a commit".to_vec().into();
    assert!(!chain.process(&garbage), "garbage commit accepted");

    // After all that, the honest proposal still goes through.
    chain.block(vec![]);
}

#[test]
fn an_extended_commit_without_two_thirds_is_rejected() {
    let mut chain = TestChain::new(4, 1);
    chain.block(vec![]);
    chain.block(vec![]);
    let mut thin = chain.last_extended_commit.clone().unwrap();
    for v in thin.votes.iter_mut().skip(2) {
        v.block_id_flag = 1; // absent
        v.vote_extension = Default::default();
        v.extension_signature = Default::default();
    }
    assert!(!chain.process(&with_commit(&chain, &thin)));
}
