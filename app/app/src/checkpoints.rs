//! The app's side of the checkpoint module (`delivery-checkpoint`): which validator signs with
//! which key, the checkpoint signatures in vote extensions, and the end-of-block creation from
//! Delivery's own records of finalized BTTC blocks.
//!
//! - **ExtendVote(H)** ([`votes_for`]): a validator in staking's active set signs every buffered,
//!   not yet final checkpoint of the committed state `H - 1` with its signer key.
//! - **VerifyVoteExtension(H)** ([`verify_votes`]), on the same state: each signature is over the
//!   sign hash of the checkpoint buffered for that root chain under that number and recovers to
//!   the signer of the validator that sent the extension; a validator outside the active set
//!   sends none.
//! - **FinalizeBlock(H + 1)** ([`add_from_commit`]): after the side transactions and the block's
//!   txs, the signatures of the extended commit of `H` that still match the buffer (an ack or a
//!   no-ack in between can have replaced it) are added; more than 2/3 of the power makes the
//!   checkpoint final. Then ([`end_block`]) a root chain without a buffer gets the next
//!   checkpoint once enough BTTC blocks are final.

use std::collections::BTreeMap;

use delivery_checkpoint::{CheckpointError, Header, SetMember};
use delivery_module::{Address, Context, Event, SecretKey};
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::chain;
use crate::valset::address_of;
use crate::vote_ext::{CheckpointVote, VerifiedCommit};

/// Why the checkpoint glue failed: only store errors and broken invariants (both halt).
#[derive(Debug, thiserror::Error)]
pub enum GlueError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A module call broke an invariant.
    #[error("checkpoint: {0}")]
    Checkpoint(CheckpointError),
    /// Staking's state could not be read.
    #[error("staking: {0}")]
    Staking(delivery_staking::StakingError),
}

impl From<CheckpointError> for GlueError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Store(s) => Self::Store(s),
            other => Self::Checkpoint(other),
        }
    }
}

impl From<delivery_staking::StakingError> for GlueError {
    fn from(e: delivery_staking::StakingError) -> Self {
        match e {
            delivery_staking::StakingError::Store(s) => Self::Store(s),
            other => Self::Staking(other),
        }
    }
}

/// Staking's active set as the checkpoint module takes it (powers are positive by staking's
/// invariant; a non-positive one is left out).
pub fn active_members<S: StateRead + ?Sized>(state: &S) -> Result<Vec<SetMember>, GlueError> {
    Ok(delivery_staking::active_validators(state)?
        .into_iter()
        .filter_map(|v| {
            u64::try_from(v.power)
                .ok()
                .filter(|p| *p > 0)
                .map(|power| SetMember {
                    id: v.id,
                    signer: v.signer,
                    power,
                })
        })
        .collect())
}

/// The signer of each active validator, by CometBFT consensus address.
pub fn signers_by_address<S: StateRead + ?Sized>(
    state: &S,
) -> Result<BTreeMap<Vec<u8>, Address>, GlueError> {
    Ok(delivery_staking::active_validators(state)?
        .into_iter()
        .map(|v| (address_of(&v.consensus_pubkey), v.signer))
        .collect())
}

/// The checkpoint signatures `key` puts in its vote extension on `state` (none when its
/// address is not an active validator's signer).
pub fn votes_for<S: StateRead + ?Sized>(
    state: &S,
    key: &SecretKey,
) -> Result<Vec<CheckpointVote>, GlueError> {
    let me = key.address();
    if !active_members(state)?.iter().any(|m| m.signer == me) {
        return Ok(Vec::new());
    }
    Ok(delivery_checkpoint::pending_to_sign(state)?
        .into_iter()
        .map(|c| {
            let hash = c.sign_hash();
            CheckpointVote {
                signature: delivery_checkpoint::sign::sign(key, &hash).to_vec(),
                sign_hash: hash.to_vec(),
                number: c.number,
                root_chain: c.root_chain,
            }
        })
        .collect())
}

/// VerifyVoteExtension's check of the checkpoint signatures from `validator_address` (the
/// format was checked by `vote_ext::check_format`). `Ok(Err(why))` rejects the extension.
pub fn verify_votes<S: StateRead + ?Sized>(
    state: &S,
    validator_address: &[u8],
    votes: &[CheckpointVote],
) -> Result<Result<(), String>, GlueError> {
    if votes.is_empty() {
        return Ok(Ok(()));
    }
    let Some(signer) = signers_by_address(state)?.get(validator_address).copied() else {
        return Ok(Err(format!(
            "{} is not an active validator and signs no checkpoint",
            hex::encode(validator_address)
        )));
    };
    for v in votes {
        let buffered = delivery_checkpoint::buffer(state, &v.root_chain)?;
        let Some(buffered) = buffered.filter(|b| b.checkpoint.number == v.number) else {
            return Ok(Err(format!(
                "no checkpoint {} is waiting for signatures on {}",
                v.number, v.root_chain
            )));
        };
        if v.sign_hash != buffered.checkpoint.sign_hash() {
            return Ok(Err(format!(
                "the signed hash is not checkpoint {} of {}'s",
                v.number, v.root_chain
            )));
        }
        if let Err(e) = delivery_checkpoint::check_vote_signature(
            state,
            &v.root_chain,
            v.number,
            &signer,
            &v.signature,
        ) {
            return Ok(Err(format!(
                "checkpoint {} of {}: {e}",
                v.number, v.root_chain
            )));
        }
    }
    Ok(Ok(()))
}

/// A signer and its 65-byte checkpoint signature.
type Signed = (Address, [u8; 65]);

/// Adds the checkpoint signatures of a verified extended commit: per root chain, those over the
/// buffered checkpoint's sign hash by the validator's signer (`signers`: consensus address →
/// signer, read before this block's changes). Returns the events.
pub fn add_from_commit<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    commit: &VerifiedCommit,
    signers: &BTreeMap<Vec<u8>, Address>,
) -> Result<Vec<Event>, GlueError> {
    let mut by_chain: BTreeMap<(String, u64), Vec<Signed>> = BTreeMap::new();
    // The sign hash of each chain's buffered checkpoint, read once.
    let mut buffered: BTreeMap<String, Option<(u64, [u8; 32])>> = BTreeMap::new();
    let mut ignored = 0u64;
    for (address, _, ext) in &commit.votes {
        let Some(signer) = signers.get(address) else {
            ignored = ignored.saturating_add(ext.checkpoint_votes.len() as u64);
            continue;
        };
        for v in &ext.checkpoint_votes {
            let Some((hash, signature)) = v.parts() else {
                ignored = ignored.saturating_add(1);
                continue;
            };
            let current = match buffered.get(&v.root_chain) {
                Some(c) => *c,
                None => {
                    let c = delivery_checkpoint::buffer(state, &v.root_chain)?
                        .map(|b| (b.checkpoint.number, b.checkpoint.sign_hash()));
                    buffered.insert(v.root_chain.clone(), c);
                    c
                }
            };
            // Signatures over what is no longer buffered are stale; the module checks that
            // the rest recover to their signers (and leaves out any that do not).
            if current != Some((v.number, hash)) {
                ignored = ignored.saturating_add(1);
                continue;
            }
            by_chain
                .entry((v.root_chain.clone(), v.number))
                .or_default()
                .push((*signer, signature));
        }
    }
    if by_chain.is_empty() && ignored == 0 {
        return Ok(Vec::new());
    }
    let active = active_members(state)?;
    for ((chain, number), sigs) in by_chain {
        delivery_checkpoint::add_signatures(state, ctx, &chain, number, &sigs, &active)?;
    }
    let mut events = ctx.take_events();
    if ignored > 0 {
        events.push(
            Event::new("checkpoint.signatures_ignored")
                .attr("count", ignored.to_string())
                .attr(
                    "reason",
                    "not over the buffered checkpoint, or not by an active signer",
                ),
        );
    }
    Ok(events)
}

/// End of block: the next checkpoint of every root chain that has a RootChain contract and no
/// buffer, from Delivery's records of finalized BTTC blocks. Returns the events.
pub fn end_block<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, GlueError> {
    let Some(head) = chain::head(state)? else {
        return Ok(Vec::new());
    };
    let chains: Vec<String> = delivery_rootchain::state::params(state)?
        .chains
        .into_iter()
        .filter(|c| c.root_chain_contract.is_some())
        .map(|c| c.name)
        .collect();
    if chains.is_empty() {
        return Ok(Vec::new());
    }
    let active = active_members(state)?;
    // The headers `maybe_create` will read: the range of every chain due for a checkpoint
    // (read first, since `maybe_create` writes the state).
    let params = delivery_checkpoint::state::params(state)?;
    let mut wanted: Option<(u64, u64)> = None;
    for chain in &chains {
        if delivery_checkpoint::buffer(state, chain)?.is_some() {
            continue;
        }
        let start = delivery_checkpoint::next_start(state, chain)?;
        if head.number.saturating_add(1).saturating_sub(start) < params.avg_checkpoint_length {
            continue;
        }
        let end = head.number.min(
            start
                .saturating_add(params.max_checkpoint_length)
                .saturating_sub(1),
        );
        wanted = Some(match wanted {
            None => (start, end),
            Some((a, b)) => (a.min(start), b.max(end)),
        });
    }
    let mut headers = BTreeMap::new();
    if let Some((first, last)) = wanted {
        for n in first..=last {
            if let Some(b) = chain::block(state, n)? {
                headers.insert(
                    n,
                    Header {
                        number: b.number,
                        timestamp: b.timestamp,
                        transactions_root: b.transactions_root.0,
                        receipts_root: b.receipts_root.0,
                    },
                );
            }
        }
    }
    delivery_checkpoint::maybe_create(
        state,
        ctx,
        &chains,
        head.number,
        &|n| Ok(headers.get(&n).cloned()),
        &active,
    )?;
    Ok(ctx.take_events())
}
