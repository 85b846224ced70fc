//! `vote_extension_sign_bytes` checked against real CometBFT signatures: every vote extension
//! signature CometBFT handed to `PrepareProposal` in the recorded traces verifies, with the
//! validator's ed25519 key from `InitChain`, over our sign bytes; and fails over wrong ones.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod support;

use std::collections::BTreeMap;

use delivery_abci::sign_bytes::vote_extension_sign_bytes;
use delivery_abci::types::{request, Request};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use prost::Message;
use sha2::{Digest, Sha256};
use support::{load_trace, Dir, TRACES};
use tendermint_proto::v0_38::crypto::public_key::Sum;

#[test]
fn recorded_vote_extension_signatures_verify_over_our_sign_bytes() {
    let mut verified = 0;
    for name in TRACES {
        let mut chain_id = String::new();
        // CometBFT address = first 20 bytes of sha256(ed25519 public key).
        let mut keys: BTreeMap<Vec<u8>, VerifyingKey> = BTreeMap::new();
        for line in load_trace(name).into_iter().filter(|l| l.dir == Dir::Req) {
            let req = Request::decode(line.bytes.as_slice()).unwrap();
            match req.value {
                Some(request::Value::InitChain(init)) => {
                    chain_id = init.chain_id;
                    for v in init.validators {
                        let Some(Sum::Ed25519(pk)) = v.pub_key.and_then(|k| k.sum) else {
                            panic!("{name}: expected ed25519 validator keys");
                        };
                        let addr = Sha256::digest(&pk)[..20].to_vec();
                        let key = VerifyingKey::from_bytes(&pk.as_slice().try_into().unwrap());
                        keys.insert(addr, key.unwrap());
                    }
                }
                Some(request::Value::PrepareProposal(prep)) => {
                    let Some(commit) = prep.local_last_commit else {
                        continue;
                    };
                    for vote in commit.votes {
                        if vote.extension_signature.is_empty() {
                            continue;
                        }
                        let addr = vote.validator.as_ref().unwrap().address.to_vec();
                        let key = keys.get(&addr).expect("vote from a genesis validator");
                        let sig = Signature::from_slice(&vote.extension_signature).unwrap();
                        // The last commit is for the previous height.
                        let height = prep.height - 1;
                        let round = i64::from(commit.round);
                        let msg = vote_extension_sign_bytes(
                            &chain_id,
                            height,
                            round,
                            &vote.vote_extension,
                        );
                        key.verify(&msg, &sig).unwrap_or_else(|e| {
                            panic!("{name}:{} height {height}: {e}", line.line)
                        });
                        // Negative controls: any other height, round or chain fails.
                        let wrong = [
                            vote_extension_sign_bytes(
                                &chain_id,
                                height + 1,
                                round,
                                &vote.vote_extension,
                            ),
                            vote_extension_sign_bytes(
                                &chain_id,
                                height,
                                round + 1,
                                &vote.vote_extension,
                            ),
                            vote_extension_sign_bytes(
                                "other-chain",
                                height,
                                round,
                                &vote.vote_extension,
                            ),
                            vote_extension_sign_bytes(&chain_id, height, round, b"x"),
                        ];
                        for w in wrong {
                            assert!(key.verify(&w, &sig).is_err());
                        }
                        verified += 1;
                    }
                }
                _ => {}
            }
        }
    }
    // Both the single-validator and the two-validator traces carry signed extensions.
    assert!(verified >= 10, "only {verified} signatures checked");
}
