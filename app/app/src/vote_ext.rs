//! Vote extensions: how validators vote on side transactions on a stock CometBFT v0.38.
//!
//! 1. Block `N` includes side messages; FinalizeBlock(N) stores them as pending.
//! 2. In the precommit of `N`, each validator's `ExtendVote` returns a [`VoteExtension`] with a
//!    YES/NO/UNKNOWN per side transaction of `N`, and its signer key's signature over each
//!    checkpoint waiting for signatures ([`CheckpointVote`]). `VerifyVoteExtension` checks the
//!    format ([`check_format`]) and that each checkpoint signature is over the buffered
//!    checkpoint and recovers to that validator's signer (app.rs).
//! 3. The proposer of `N + 1` receives the extended commit of `N` in PrepareProposal and puts it,
//!    encoded, as `txs[0]`. Every validator's ProcessProposal verifies it
//!    ([`verify_extended_commit`]): each signature over CometBFT's canonical vote-extension sign
//!    bytes, against the validator set of height `N`, with no validator missing or duplicated and
//!    the canonical powers.
//!    Each checkpoint signature must recover, over the sign hash it names, to a valid address.
//! 4. FinalizeBlock(N + 1) tallies ([`tally`]): a side transaction whose YES power is more than
//!    2/3 of the total runs its post-handler; every other pending one is dropped. Checkpoint
//!    signatures that recover to the validator's signer over the sign hash of the checkpoint
//!    still buffered are added to it (a no-ack or an ack in block `N` can have replaced it,
//!    which is why ProcessProposal does not compare them with the buffer).

use std::collections::{BTreeMap, BTreeSet};

use delivery_module::Vote;
use ed25519_dalek::{Signature, VerifyingKey};
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;

use crate::valset::ValidatorSet;

/// The vote-extension format version this binary writes and accepts.
pub const VERSION: u32 = 1;
/// The most side transactions one block may carry (and so one extension may vote on).
pub const MAX_SIDE_TXS_PER_BLOCK: usize = 50;
/// The most checkpoint signatures one extension may carry (one per root chain).
pub const MAX_CHECKPOINT_VOTES: usize = 16;
/// CometBFT's `BlockIDFlag` values.
pub mod flag {
    /// The validator did not vote.
    pub const ABSENT: i32 = 1;
    /// The validator precommitted the block.
    pub const COMMIT: i32 = 2;
    /// The validator precommitted nil.
    pub const NIL: i32 = 3;
}

/// A vote on one side transaction.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SideTxVote {
    /// The CometBFT hash (`sha256`) of the transaction carrying the side message.
    #[prost(bytes = "vec", tag = "1")]
    pub tx_hash: Vec<u8>,
    /// 1 = YES, 2 = NO, 3 = UNKNOWN.
    #[prost(int32, tag = "2")]
    pub vote: i32,
}

/// What a validator attaches to its precommit.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct VoteExtension {
    /// Format version ([`VERSION`]).
    #[prost(uint32, tag = "1")]
    pub version: u32,
    /// The hash of the block being precommitted.
    #[prost(bytes = "vec", tag = "2")]
    pub block_hash: Vec<u8>,
    /// Its height.
    #[prost(int64, tag = "3")]
    pub height: i64,
    /// One vote per side transaction of the block, in block order.
    #[prost(message, repeated, tag = "4")]
    pub side_tx_votes: Vec<SideTxVote>,
    /// The validator's signatures over the checkpoints waiting for them, one per root chain.
    #[prost(message, repeated, tag = "5")]
    pub checkpoint_votes: Vec<CheckpointVote>,
}

/// A validator's signature over one buffered checkpoint.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CheckpointVote {
    /// The root chain the checkpoint is for.
    #[prost(string, tag = "1")]
    pub root_chain: String,
    /// Its number on that root chain.
    #[prost(uint64, tag = "2")]
    pub number: u64,
    /// The checkpoint's sign hash (`keccak256(0x01 ‖ data)`): what is signed.
    #[prost(bytes = "vec", tag = "3")]
    pub sign_hash: Vec<u8>,
    /// 65 bytes `r ‖ s ‖ v` by the validator's signer key.
    #[prost(bytes = "vec", tag = "4")]
    pub signature: Vec<u8>,
}

impl CheckpointVote {
    /// The sign hash and signature as fixed arrays, if their lengths are right.
    pub fn parts(&self) -> Option<([u8; 32], [u8; 65])> {
        Some((
            self.sign_hash.as_slice().try_into().ok()?,
            self.signature.as_slice().try_into().ok()?,
        ))
    }
}

/// Encodes a vote for the wire.
pub fn vote_code(vote: Vote) -> i32 {
    match vote {
        Vote::Yes => 1,
        Vote::No => 2,
        Vote::Unknown => 3,
    }
}

/// Why an extension or an extended commit is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteExtError {
    /// Not a `VoteExtension` protobuf.
    #[error("vote extension does not decode: {0}")]
    Decode(String),
    /// A field is out of range.
    #[error("vote extension: {0}")]
    Format(String),
    /// The extended commit is wrong.
    #[error("extended commit: {0}")]
    Commit(String),
}

/// Decodes an extension and checks its format against the block it extends.
pub fn check_format(
    bytes: &[u8],
    height: i64,
    block_hash: &[u8],
) -> Result<VoteExtension, VoteExtError> {
    let ext = <VoteExtension as prost::Message>::decode(bytes)
        .map_err(|e| VoteExtError::Decode(e.to_string()))?;
    if ext.version != VERSION {
        return Err(VoteExtError::Format(format!(
            "version {} != expected {VERSION}",
            ext.version
        )));
    }
    if ext.height != height {
        return Err(VoteExtError::Format(format!(
            "height {} != expected {height}",
            ext.height
        )));
    }
    if ext.block_hash != block_hash {
        return Err(VoteExtError::Format(format!(
            "block hash {} != expected {}",
            hex::encode(&ext.block_hash),
            hex::encode(block_hash)
        )));
    }
    if ext.side_tx_votes.len() > MAX_SIDE_TXS_PER_BLOCK {
        return Err(VoteExtError::Format(format!(
            "{} side-tx votes, at most {MAX_SIDE_TXS_PER_BLOCK}",
            ext.side_tx_votes.len()
        )));
    }
    let mut seen = BTreeSet::new();
    for v in &ext.side_tx_votes {
        if v.tx_hash.len() != 32 {
            return Err(VoteExtError::Format(format!(
                "side-tx hash of {} bytes, expected 32",
                v.tx_hash.len()
            )));
        }
        if !(1..=3).contains(&v.vote) {
            return Err(VoteExtError::Format(format!(
                "vote value {} is not YES(1), NO(2) or UNKNOWN(3)",
                v.vote
            )));
        }
        if !seen.insert(v.tx_hash.as_slice()) {
            return Err(VoteExtError::Format(format!(
                "side tx {} voted twice",
                hex::encode(&v.tx_hash)
            )));
        }
    }
    if ext.checkpoint_votes.len() > MAX_CHECKPOINT_VOTES {
        return Err(VoteExtError::Format(format!(
            "{} checkpoint signatures, at most {MAX_CHECKPOINT_VOTES}",
            ext.checkpoint_votes.len()
        )));
    }
    let mut chains = BTreeSet::new();
    for c in &ext.checkpoint_votes {
        delivery_rootchain::check_chain_name(&c.root_chain)
            .map_err(|e| VoteExtError::Format(format!("checkpoint vote: root chain: {e}")))?;
        if !chains.insert(c.root_chain.as_str()) {
            return Err(VoteExtError::Format(format!(
                "two checkpoint signatures for root chain {}",
                c.root_chain
            )));
        }
        let Some((hash, signature)) = c.parts() else {
            return Err(VoteExtError::Format(format!(
                "checkpoint vote for {}: sign hash of {} bytes and signature of {} bytes, \
                 expected 32 and 65",
                c.root_chain,
                c.sign_hash.len(),
                c.signature.len()
            )));
        };
        delivery_checkpoint::sign::recover(&hash, &signature).map_err(|e| {
            VoteExtError::Format(format!(
                "checkpoint vote for {} #{}: {e}",
                c.root_chain, c.number
            ))
        })?;
    }
    Ok(ext)
}

/// A verified extended commit: the extensions of the validators that precommitted the block,
/// with their canonical powers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCommit {
    /// `(validator address, power, extension)` for each COMMIT vote.
    pub votes: Vec<(Vec<u8>, i64, VoteExtension)>,
    /// The total power of the set that signed.
    pub total_power: i64,
}

/// Verifies the extended commit of block `height` (hash `block_hash`) against `set`, the
/// validator set of that height: every validator exactly once with its canonical power, a valid
/// ed25519 signature over CometBFT's sign bytes on every COMMIT vote, no extension on other votes,
/// every extension well-formed, and more than 2/3 of the power committed.
pub fn verify_extended_commit(
    commit: &ExtendedCommitInfo,
    set: &ValidatorSet,
    chain_id: &str,
    height: i64,
    block_hash: &[u8],
) -> Result<VerifiedCommit, VoteExtError> {
    let err = |m: String| VoteExtError::Commit(m);
    if commit.round < 0 {
        return Err(err(format!("negative round {}", commit.round)));
    }
    let mut seen = BTreeSet::new();
    let mut votes = Vec::new();
    let mut committed: i64 = 0;
    for (i, vote) in commit.votes.iter().enumerate() {
        let validator = vote
            .validator
            .as_ref()
            .ok_or_else(|| err(format!("vote {i} has no validator")))?;
        let canonical = set.get(&validator.address).ok_or_else(|| {
            err(format!(
                "vote {i}: {} is not in the validator set of height {height}",
                hex::encode(&validator.address)
            ))
        })?;
        if !seen.insert(validator.address.to_vec()) {
            return Err(err(format!(
                "validator {} appears twice",
                hex::encode(&validator.address)
            )));
        }
        if validator.power != canonical.power {
            return Err(err(format!(
                "validator {} has power {} in the commit, {} in the validator set",
                hex::encode(&validator.address),
                validator.power,
                canonical.power
            )));
        }
        match vote.block_id_flag {
            flag::COMMIT => {
                let key_bytes: [u8; 32] =
                    canonical.pub_key.as_slice().try_into().map_err(|_| {
                        err(format!(
                            "validator {} has a malformed key",
                            hex::encode(&validator.address)
                        ))
                    })?;
                let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| {
                    err(format!(
                        "validator {} key: {e}",
                        hex::encode(&validator.address)
                    ))
                })?;
                let sig_bytes: [u8; 64] =
                    vote.extension_signature.as_ref().try_into().map_err(|_| {
                        err(format!(
                            "validator {}: extension signature of {} bytes, expected 64",
                            hex::encode(&validator.address),
                            vote.extension_signature.len()
                        ))
                    })?;
                let sign_bytes = delivery_abci::sign_bytes::vote_extension_sign_bytes(
                    chain_id,
                    height,
                    i64::from(commit.round),
                    &vote.vote_extension,
                );
                key.verify_strict(&sign_bytes, &Signature::from_bytes(&sig_bytes))
                    .map_err(|_| {
                        err(format!(
                            "validator {}: extension signature does not verify",
                            hex::encode(&validator.address)
                        ))
                    })?;
                let ext = check_format(&vote.vote_extension, height, block_hash).map_err(|e| {
                    err(format!(
                        "validator {}: {e}",
                        hex::encode(&validator.address)
                    ))
                })?;
                committed = committed.saturating_add(canonical.power);
                votes.push((validator.address.to_vec(), canonical.power, ext));
            }
            flag::ABSENT | flag::NIL => {
                if !vote.vote_extension.is_empty() || !vote.extension_signature.is_empty() {
                    return Err(err(format!(
                        "validator {} did not precommit the block but carries an extension",
                        hex::encode(&validator.address)
                    )));
                }
            }
            other => return Err(err(format!("unknown block id flag {other}"))),
        }
    }
    if seen.len() != set.validators.len() {
        return Err(err(format!(
            "{} of {} validators present: the commit must list every validator",
            seen.len(),
            set.validators.len()
        )));
    }
    let total_power = set.total_power();
    if i128::from(committed).saturating_mul(3) <= i128::from(total_power).saturating_mul(2) {
        return Err(err(format!(
            "committed power {committed} is not more than 2/3 of {total_power}"
        )));
    }
    Ok(VerifiedCommit { votes, total_power })
}

/// Which pending side transactions passed: YES power strictly more than 2/3 of the total.
pub fn tally(commit: &VerifiedCommit, pending: &[Vec<u8>]) -> BTreeSet<Vec<u8>> {
    let mut yes: BTreeMap<&[u8], i64> = BTreeMap::new();
    let wanted: BTreeSet<&[u8]> = pending.iter().map(Vec::as_slice).collect();
    for (_, power, ext) in &commit.votes {
        for v in &ext.side_tx_votes {
            if v.vote == vote_code(Vote::Yes) && wanted.contains(v.tx_hash.as_slice()) {
                let entry = yes.entry(v.tx_hash.as_slice()).or_insert(0);
                *entry = entry.saturating_add(*power);
            }
        }
    }
    yes.into_iter()
        .filter(|(_, power)| {
            i128::from(*power).saturating_mul(3) > i128::from(commit.total_power).saturating_mul(2)
        })
        .map(|(hash, _)| hash.to_vec())
        .collect()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::valset::{address_of, Validator};
    use ed25519_dalek::{Signer, SigningKey};
    use tendermint_proto::v0_38::abci::{ExtendedVoteInfo, Validator as AbciValidator};

    struct Net {
        keys: Vec<SigningKey>,
        set: ValidatorSet,
    }

    fn net(powers: &[i64]) -> Net {
        let keys: Vec<SigningKey> = (0..powers.len())
            .map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32]))
            .collect();
        let mut validators: Vec<Validator> = keys
            .iter()
            .zip(powers)
            .map(|(k, p)| {
                let pk = k.verifying_key().to_bytes().to_vec();
                Validator {
                    address: address_of(&pk),
                    pub_key: pk,
                    power: *p,
                }
            })
            .collect();
        validators.sort_by(|a, b| a.address.cmp(&b.address));
        Net {
            keys,
            set: ValidatorSet { validators },
        }
    }

    fn ext(height: i64, hash: &[u8], votes: &[(Vec<u8>, Vote)]) -> Vec<u8> {
        prost::Message::encode_to_vec(&VoteExtension {
            version: VERSION,
            block_hash: hash.to_vec(),
            height,
            side_tx_votes: votes
                .iter()
                .map(|(h, v)| SideTxVote {
                    tx_hash: h.clone(),
                    vote: vote_code(*v),
                })
                .collect(),
            checkpoint_votes: Vec::new(),
        })
    }

    fn commit(n: &Net, height: i64, hash: &[u8], votes: &[Option<Vec<u8>>]) -> ExtendedCommitInfo {
        ExtendedCommitInfo {
            round: 0,
            votes: n
                .keys
                .iter()
                .zip(votes)
                .map(|(k, e)| {
                    let pk = k.verifying_key().to_bytes();
                    let address = address_of(&pk);
                    let power = n.set.get(&address).unwrap().power;
                    match e {
                        Some(e) => {
                            let _ = hash;
                            let sb = delivery_abci::sign_bytes::vote_extension_sign_bytes(
                                "c", height, 0, e,
                            );
                            ExtendedVoteInfo {
                                validator: Some(AbciValidator {
                                    address: address.into(),
                                    power,
                                }),
                                vote_extension: e.clone().into(),
                                extension_signature: k.sign(&sb).to_bytes().to_vec().into(),
                                block_id_flag: flag::COMMIT,
                            }
                        }
                        None => ExtendedVoteInfo {
                            validator: Some(AbciValidator {
                                address: address.into(),
                                power,
                            }),
                            vote_extension: Default::default(),
                            extension_signature: Default::default(),
                            block_id_flag: flag::ABSENT,
                        },
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn a_full_commit_verifies_and_tallies_by_power() {
        let n = net(&[10, 10, 10, 10]);
        let hash = [7u8; 32];
        let tx_a = vec![1u8; 32];
        let tx_b = vec![2u8; 32];
        let yes_a = ext(
            5,
            &hash,
            &[(tx_a.clone(), Vote::Yes), (tx_b.clone(), Vote::No)],
        );
        let yes_both = ext(
            5,
            &hash,
            &[(tx_a.clone(), Vote::Yes), (tx_b.clone(), Vote::Yes)],
        );
        let c = commit(
            &n,
            5,
            &hash,
            &[
                Some(yes_a.clone()),
                Some(yes_a.clone()),
                Some(yes_both.clone()),
                Some(yes_a),
            ],
        );
        let verified = verify_extended_commit(&c, &n.set, "c", 5, &hash).unwrap();
        let passed = tally(&verified, &[tx_a.clone(), tx_b.clone()]);
        assert!(passed.contains(&tx_a));
        assert!(!passed.contains(&tx_b));
        // Exactly 2/3 YES is not enough; 3 of 4 is.
        let n3 = net(&[10, 10, 10]);
        let c = commit(
            &n3,
            5,
            &hash,
            &[
                Some(yes_both.clone()),
                Some(yes_both.clone()),
                Some(ext(5, &hash, &[])),
            ],
        );
        let verified = verify_extended_commit(&c, &n3.set, "c", 5, &hash).unwrap();
        assert!(tally(&verified, std::slice::from_ref(&tx_b)).is_empty());
    }

    #[test]
    fn tampered_commits_are_rejected() {
        let n = net(&[10, 10, 10, 10]);
        let hash = [7u8; 32];
        let e = ext(5, &hash, &[]);
        let good = commit(
            &n,
            5,
            &hash,
            &[Some(e.clone()), Some(e.clone()), Some(e.clone()), None],
        );
        verify_extended_commit(&good, &n.set, "c", 5, &hash).unwrap();

        let mut bad_sig = good.clone();
        let mut sig = bad_sig.votes[0].extension_signature.to_vec();
        sig[0] ^= 1;
        bad_sig.votes[0].extension_signature = sig.into();
        assert!(verify_extended_commit(&bad_sig, &n.set, "c", 5, &hash).is_err());

        assert!(
            verify_extended_commit(&good, &n.set, "c", 6, &hash).is_err(),
            "wrong height"
        );
        assert!(
            verify_extended_commit(&good, &n.set, "other", 5, &hash).is_err(),
            "wrong chain"
        );

        let mut dup = good.clone();
        dup.votes[3] = dup.votes[0].clone();
        assert!(verify_extended_commit(&dup, &n.set, "c", 5, &hash).is_err());

        let mut missing = good.clone();
        missing.votes.pop();
        assert!(verify_extended_commit(&missing, &n.set, "c", 5, &hash).is_err());

        let mut power = good.clone();
        power.votes[1].validator.as_mut().unwrap().power = 11;
        assert!(verify_extended_commit(&power, &n.set, "c", 5, &hash).is_err());

        let two_of_four = commit(&n, 5, &hash, &[Some(e.clone()), Some(e), None, None]);
        assert!(verify_extended_commit(&two_of_four, &n.set, "c", 5, &hash).is_err());
    }

    #[test]
    fn format_checks_catch_malformed_extensions() {
        let hash = [1u8; 32];
        assert!(check_format(b"\xff\xff", 3, &hash).is_err());
        assert!(check_format(&ext(4, &hash, &[]), 3, &hash).is_err());
        assert!(check_format(&ext(3, &[2u8; 32], &[]), 3, &hash).is_err());
        let dup = ext(
            3,
            &hash,
            &[(vec![9; 32], Vote::Yes), (vec![9; 32], Vote::No)],
        );
        assert!(check_format(&dup, 3, &hash).is_err());
        let short = ext(3, &hash, &[(vec![9; 31], Vote::Yes)]);
        assert!(check_format(&short, 3, &hash).is_err());
        check_format(&ext(3, &hash, &[(vec![9; 32], Vote::Unknown)]), 3, &hash).unwrap();
    }

    #[test]
    fn checkpoint_votes_are_checked_for_form_and_a_recoverable_signature() {
        let hash = [1u8; 32];
        let key = delivery_module::SecretKey::generate();
        let signed = [7u8; 32];
        let good = CheckpointVote {
            root_chain: "eth".into(),
            number: 1,
            sign_hash: signed.to_vec(),
            signature: delivery_checkpoint::sign::sign(&key, &signed).to_vec(),
        };
        let with = |votes: Vec<CheckpointVote>| {
            let mut e =
                <VoteExtension as prost::Message>::decode(ext(3, &hash, &[]).as_slice()).unwrap();
            e.checkpoint_votes = votes;
            prost::Message::encode_to_vec(&e)
        };
        let decoded = check_format(&with(vec![good.clone()]), 3, &hash).unwrap();
        assert_eq!(decoded.checkpoint_votes, vec![good.clone()]);
        let bad = |f: &dyn Fn(&mut CheckpointVote)| {
            let mut v = good.clone();
            f(&mut v);
            check_format(&with(vec![v]), 3, &hash).unwrap_err()
        };
        bad(&|v| v.sign_hash.truncate(31));
        bad(&|v| v.signature.push(0));
        bad(&|v| v.root_chain = "ETH".into());
        bad(&|v| v.signature[64] = 29); // v must be 27 or 28
        let e = check_format(&with(vec![good.clone(), good.clone()]), 3, &hash).unwrap_err();
        assert!(e.to_string().contains("two checkpoint signatures"), "{e}");
        let many: Vec<CheckpointVote> = (0..=MAX_CHECKPOINT_VOTES)
            .map(|i| CheckpointVote {
                root_chain: format!("c{i}"),
                ..good.clone()
            })
            .collect();
        assert!(check_format(&with(many), 3, &hash).is_err());
    }
}
