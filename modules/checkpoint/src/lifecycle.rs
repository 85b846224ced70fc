//! The block-level steps of a checkpoint's life that no message drives: making checkpoints at
//! the end of a block ([`maybe_create`]), telling validators what to sign in their vote
//! extensions ([`pending_to_sign`], [`check_vote_signature`]) and counting the signatures the
//! block carries ([`add_signatures`]).
//!
//! Everything here is deterministic: inputs are Delivery state, the block context and what the
//! app hands in (the root chains, the final BTTC head and its headers, the active validator
//! set); there is no call to the engine or a root chain.

use std::collections::BTreeMap;

use delivery_module::crypto::Address;
use delivery_module::Context;
use delivery_rootchain::check_chain_name;
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::error::{CheckpointError, Result};
use crate::event;
use crate::merkle::{self, Hash, Header};
use crate::sign;
use crate::state;
use crate::types::{
    check_set, Account, BufferedCheckpoint, Checkpoint, CheckpointSignature, SetMember,
};

/// Reads Delivery's record of the finalized BTTC block with this number (`None`: not
/// recorded).
pub type HeaderSource<'a> = &'a dyn Fn(u64) -> Result<Option<Header>, StoreError>;

/// Brings the stored proposer set in line with `active_set` (see [`crate::proposer`]);
/// returns whether it changed. [`maybe_create`] calls it every block.
pub fn sync_proposer<S: StateWrite + ?Sized>(
    state: &mut S,
    active_set: &[SetMember],
) -> Result<bool> {
    let mut set = state::proposer_set(state)?;
    let changed = set.update(active_set)?;
    if changed {
        state::put_proposer_set(state, &set);
    }
    Ok(changed)
}

/// The leaves of BTTC blocks `start..=end`, read through `headers` (each must be recorded and
/// carry its own number).
pub fn leaves_over(headers: HeaderSource<'_>, start: u64, end: u64) -> Result<Vec<Hash>> {
    let mut leaves = Vec::new();
    let mut n = start;
    loop {
        let header = headers(n)?.ok_or_else(|| CheckpointError::BadHeader {
            number: n,
            detail: "Delivery has no record of this final block".into(),
        })?;
        if header.number != n {
            return Err(CheckpointError::BadHeader {
                number: n,
                detail: format!("the record says number {}", header.number),
            });
        }
        leaves.push(merkle::leaf_hash(&header));
        if n >= end {
            break;
        }
        n = n
            .checked_add(1)
            .ok_or(CheckpointError::Overflow("block number"))?;
    }
    Ok(leaves)
}

/// The root over BTTC blocks `start..=end`, read through `headers`.
pub fn root_over(headers: HeaderSource<'_>, start: u64, end: u64) -> Result<Hash> {
    Ok(merkle::root(&leaves_over(headers, start, end)?))
}

/// The Merkle proof that BTTC block `block` is in `checkpoint` (what a withdrawal shows the
/// root contract): its leaf, its index in the checkpoint, and the siblings. Fails when the
/// block is outside the checkpoint or a header is missing.
pub fn block_proof(
    headers: HeaderSource<'_>,
    checkpoint: &Checkpoint,
    block: u64,
) -> Result<(Hash, u64, Vec<Hash>)> {
    let index = block
        .checked_sub(checkpoint.start)
        .filter(|_| block <= checkpoint.end)
        .ok_or_else(|| {
            CheckpointError::BadQuery(format!(
                "block {block} is not in checkpoint {} ({}..={})",
                checkpoint.number, checkpoint.start, checkpoint.end
            ))
        })?;
    let leaves = leaves_over(headers, checkpoint.start, checkpoint.end)?;
    let position = usize::try_from(index).map_err(|_| CheckpointError::Overflow("leaf index"))?;
    let leaf = *leaves
        .get(position)
        .ok_or(CheckpointError::Overflow("leaf index"))?;
    Ok((leaf, index, merkle::proof(&leaves, position)?))
}

/// The end of block: for each chain in `chains` (in the order given) that has no buffer, when
/// at least `avg_checkpoint_length` final BTTC blocks follow its last checkpoint
/// (`final_head - next_start + 1 >= avg`; the first checkpoint starts at block 0), buffers a
/// checkpoint of
/// `start = next_start`, `end = min(final_head, start + max_checkpoint_length - 1)`, with the
/// current proposer and the account root of `active_set` (the set itself, sorted by signer, is
/// kept with the checkpoint), and emits `checkpoint.created`.
/// Returns the checkpoints made.
///
/// First it syncs the proposer set with `active_set` ([`sync_proposer`]). With an empty
/// `active_set` (a dormant staking module) it does nothing.
pub fn maybe_create<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    chains: &[String],
    final_head: u64,
    headers: HeaderSource<'_>,
    active_set: &[SetMember],
) -> Result<Vec<Checkpoint>> {
    if active_set.is_empty() {
        return Ok(Vec::new());
    }
    sync_proposer(state, active_set)?;
    let params = state::params(state)?;
    let proposer = state::current_proposer(state)?
        .ok_or_else(|| CheckpointError::InvalidSet("the proposer set has no proposer".into()))?;
    let mut accounts: Vec<Account> = active_set
        .iter()
        .map(|m| Account {
            signer: m.signer,
            power: m.power,
        })
        .collect();
    accounts.sort();
    let pairs: Vec<(Address, u64)> = accounts.iter().map(|a| (a.signer, a.power)).collect();
    let account_root = merkle::account_root(&pairs)?;
    let mut roots: BTreeMap<(u64, u64), Hash> = BTreeMap::new();
    let mut created = Vec::new();
    for chain in chains {
        check_chain_name(chain)
            .map_err(|e| CheckpointError::InvalidMsg(format!("root chain name: {e}")))?;
        if state::buffer(state, chain)?.is_some() {
            continue;
        }
        let start = state::next_start(state, chain)?;
        let Some(behind) = final_head.checked_sub(start) else {
            continue;
        };
        // behind + 1 final blocks from start; behind <= u64::MAX - 1 when start > 0.
        if behind < params.avg_checkpoint_length.saturating_sub(1) {
            continue;
        }
        let end =
            final_head.min(start.saturating_add(params.max_checkpoint_length.saturating_sub(1)));
        let root_hash = match roots.get(&(start, end)) {
            Some(r) => *r,
            None => {
                let r = root_over(headers, start, end)?;
                roots.insert((start, end), r);
                r
            }
        };
        let checkpoint = Checkpoint {
            number: state::next_number(state, chain)?,
            root_chain: chain.clone(),
            proposer: proposer.signer,
            start,
            end,
            root_hash,
            account_root_hash: account_root,
            bttc_chain_id: params.bttc_chain_id,
        };
        let buffered = BufferedCheckpoint {
            checkpoint: checkpoint.clone(),
            created_height: ctx.block.height,
            created_time: ctx.block.time_seconds,
            signatures: Vec::new(),
            final_height: None,
            final_time: None,
            accounts: accounts.clone(),
        };
        state::put_buffer(state, &buffered);
        ctx.emit(event::created(&checkpoint));
        created.push(checkpoint);
    }
    Ok(created)
}

/// The buffered checkpoints that are not final yet, by chain name: what a validator signs
/// ([`sign::sign`] over [`Checkpoint::sign_hash`]) and puts in its vote extension.
pub fn pending_to_sign<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Checkpoint>> {
    Ok(state::buffers(state)?
        .into_iter()
        .filter(|b| !b.is_final())
        .map(|b| b.checkpoint)
        .collect())
}

/// The check VerifyVoteExtension and ProcessProposal run on one checkpoint signature: checkpoint
/// `number` is the one buffered for `root_chain` and `signature` recovers to `signer` over its
/// sign hash.
pub fn check_vote_signature<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
    number: u64,
    signer: &Address,
    signature: &[u8],
) -> Result<()> {
    let buffered = buffered_number(state, root_chain, number)?;
    sign::check(&buffered.checkpoint.sign_hash(), signer, signature)
}

fn buffered_number<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
    number: u64,
) -> Result<BufferedCheckpoint> {
    match state::buffer(state, root_chain)? {
        Some(b) if b.checkpoint.number == number => Ok(b),
        other => Err(CheckpointError::WrongCheckpoint {
            root_chain: root_chain.to_string(),
            number,
            buffered: other.map_or(0, |b| b.checkpoint.number),
        }),
    }
}

/// Adds the checkpoint signatures a block carries (FinalizeBlock, from the vote extensions the
/// app already checked), for checkpoint `number` of `root_chain`. `active_set` is the set whose
/// power counts (the set that signed the vote extensions).
///
/// A signer outside `active_set` and a signer that already signed (in this call or before) are
/// ignored without a check; every other signature must recover to the signer it is given for
/// over the checkpoint's sign hash, or it is left out (`checkpoint.signatures_rejected` says how
/// many): one bad signature in a block cannot keep the good ones out. Signatures are kept one
/// per signer, sorted by signer. When the signers in `active_set` reach more than 2/3 of its
/// total power, the checkpoint becomes final (height and time recorded, `checkpoint.final`
/// emitted): the return value says whether this call made it final.
pub fn add_signatures<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    root_chain: &str,
    number: u64,
    signatures: &[(Address, [u8; 65])],
    active_set: &[SetMember],
) -> Result<bool> {
    let mut buffered = buffered_number(state, root_chain, number)?;
    let total = check_set(active_set)?;
    let hash = buffered.checkpoint.sign_hash();
    let powers: BTreeMap<Address, u64> = active_set.iter().map(|m| (m.signer, m.power)).collect();
    let mut by_signer: BTreeMap<Address, [u8; 65]> = buffered
        .signatures
        .iter()
        .map(|s| (s.signer, s.signature))
        .collect();
    let before = by_signer.len();
    let mut rejected = 0usize;
    for (signer, signature) in signatures {
        if !powers.contains_key(signer) || by_signer.contains_key(signer) {
            continue;
        }
        match sign::check(&hash, signer, signature) {
            Ok(()) => {
                by_signer.insert(*signer, *signature);
            }
            Err(CheckpointError::Store(e)) => return Err(CheckpointError::Store(e)),
            Err(_) => rejected = rejected.saturating_add(1),
        }
    }
    if rejected > 0 {
        ctx.emit(event::signatures_rejected(&buffered.checkpoint, rejected));
    }
    let changed = by_signer.len() != before;
    buffered.signatures = by_signer
        .into_iter()
        .map(|(signer, signature)| CheckpointSignature { signer, signature })
        .collect();
    let signed = signed_power(&buffered, &powers)?;
    let became_final = !buffered.is_final() && more_than_two_thirds(signed, total);
    if became_final {
        buffered.final_height = Some(ctx.block.height);
        buffered.final_time = Some(ctx.block.time_seconds);
        ctx.emit(event::final_(&buffered, signed, total));
    }
    if changed || became_final {
        state::put_buffer(state, &buffered);
    }
    Ok(became_final)
}

/// The power of the buffered checkpoint's signers that are in `powers`.
pub fn signed_power(buffered: &BufferedCheckpoint, powers: &BTreeMap<Address, u64>) -> Result<u64> {
    buffered.signatures.iter().try_fold(0u64, |acc, s| {
        acc.checked_add(powers.get(&s.signer).copied().unwrap_or(0))
            .ok_or(CheckpointError::Overflow("signed power"))
    })
}

/// `signed > 2/3 × total`, exactly: `3 × signed > 2 × total`.
pub fn more_than_two_thirds(signed: u64, total: u64) -> bool {
    u128::from(signed).saturating_mul(3) > u128::from(total).saturating_mul(2)
}
