//! The checkpoint module: per root chain, a Merkle root over a range of finalized BTTC blocks
//! that validators of more than 2/3 of the power sign, the proposer submits to that root
//! chain's RootChain contract, and the root chain's `NewHeaderBlock` acknowledges. See
//! `docs/modules/checkpoint.md` for the formats, the lifecycle as a sequence, and how it
//! differs from heimdall-v2.
//!
//! # Formats (byte for byte what the root contracts and the bridge use)
//!
//! - Block leaf `keccak256(pad32(number) ‖ pad32(timestamp) ‖ txRoot ‖ receiptRoot)`; root over
//!   `start..=end` padded with zero leaves to a power of two, parent `keccak256(l ‖ r)`
//!   ([`merkle`]); Merkle proofs for withdrawals ([`merkle::proof`], [`merkle::verify`], and
//!   [`lifecycle::block_proof`] for a block of a checkpoint).
//! - Account root: the same tree over `keccak256(abi.encode(signer, power))` of the active set
//!   sorted by signer ([`merkle::account_root`]).
//! - Sign hash `keccak256(0x01 ‖ abi.encode(proposer, start, end, root, accountRoot,
//!   bttcChainId))`, signatures `r ‖ s ‖ v` with v 27/28 and low s ([`sign`]).
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! Params (JSON); one proposer set (validators by id with CometBFT proposer priorities, and the
//! current proposer) shared by all root chains; per root chain: the buffer (at most one
//! checkpoint in flight, with its signatures and finality), the committed checkpoints by
//! number, the ack count (= the last acked number) and the last acked end. Buffered and
//! committed checkpoints keep the account set their account root commits to ([`Account`],
//! sorted by signer; empty when unknown), which the bridge hands to the root chain's
//! `updateValidators` (ADR 0008).
//!
//! # Rules
//!
//! - **Create** ([`maybe_create`], end of block): a chain without a buffer gets checkpoint
//!   `ack_count + 1` once `final_head + 1 - next_start >= avg_checkpoint_length`, with `start
//!   = last_end + 1` (0 for the first: the genesis block is in checkpoint 1) and `end =
//!   min(final_head, start + max_checkpoint_length - 1)`, the current proposer, and the
//!   account root of the active set.
//! - **Sign**: validators sign every non-final buffered checkpoint ([`pending_to_sign`]); the
//!   app checks each signature ([`check_vote_signature`]) and adds them in FinalizeBlock
//!   ([`add_signatures`]); more than 2/3 of the active set's power makes it final (`3 × signed
//!   > 2 × total`: 2 of 3 equal powers is not enough, 3 of 4 is).
//! - **Ack** ([`MsgCheckpointAck`], side msg, [`handler::ack`]): number = ack count + 1, start
//!   = next start, event applied once; commits the checkpoint (the buffered one when it
//!   matches, else the root chain's version), clears the buffer; on the staking chain rotates
//!   the proposer and returns the next staking epoch (`ack_count + 1`).
//! - **No-ack** ([`MsgCheckpointNoAck`], [`handler::no_ack`]): from an active validator's
//!   signer, once `checkpoint_buffer_time` passed since the buffer was made (block time);
//!   clears the buffer and rotates the proposer.
//! - **Proposer** ([`proposer`]): CometBFT's proposer-priority algorithm over the active set,
//!   ties to the lower id, newcomers at −1.125 × total; synced with the active set every end of
//!   block, rotated by each ack on the staking chain and each no-ack on any chain.
//!
//! Invariants: per chain, committed numbers are 1..=ack_count (or a tail of them after a
//! migration) and contiguous in blocks (`start = previous end + 1`, the first at 0); a buffer
//! is always checkpoint `ack_count + 1` from `next_start`; its signatures are one per signer,
//! sorted, each recovering to its signer over the sign hash.
//!
//! # Design decisions
//!
//! - One proposer sequence for all root chains (chosen for simplicity): acks on
//!   other chains do not rotate it, so a chain's acks cannot starve another's proposer turn.
//! - `bttc_chain_id` is a param (one source), not an argument of [`maybe_create`].
//! - An ack that does not match the buffer is still committed (see [`handler::ack`]): the root
//!   contract already checked > 2/3 signatures, and refusing it would deadlock the chain's
//!   checkpoints after a no-ack raced a submission. Finality of the buffer is not required
//!   for the same reason.
//! - [`add_signatures`] leaves out (and counts, `checkpoint.signatures_rejected`) a signature
//!   that does not recover to its signer, so one bad signature cannot keep the good ones of a
//!   block out; it skips non-members and duplicates without checking them.
//! - The no-ack clock starts at the buffer's creation (`created_time`), not at the last ack.
//! - Empty active set (a dormant staking module): no checkpoint is made.
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `checkpoint: delivery_checkpoint::Genesis` (`#[serde(default)]`) to the
//!   app genesis and call [`CheckpointModule`]'s `validate_genesis` / `init_genesis` /
//!   `export_genesis`, after rootchain's (acks read the registry).
//! - **Routing**: `SideMsg::CheckpointAck(MsgCheckpointAck)` for
//!   `/delivery.checkpoint.v1.MsgCheckpointAck`: `check_stateful` at inclusion, and after the
//!   vote call [`handler::ack::apply`] (not just `post_execute`) to get the [`AckOutcome`]:
//!   when `staking_epoch` is `Some(e)`, call `delivery_staking::set_current_epoch(state, e,
//!   height)` (skip it when staking's epoch is already ≥ e, e.g. while staking still advances
//!   epochs by blocks). `Msg::CheckpointNoAck(MsgCheckpointNoAck)` for
//!   `/delivery.checkpoint.v1.MsgCheckpointNoAck`: [`handler::no_ack::check`] in CheckTx and
//!   [`handler::no_ack::execute`] in FinalizeBlock, both with the active set.
//! - **Active set**: `delivery_staking::active_validators(state)` mapped to [`SetMember`]
//!   `{id, signer, power as u64}`.
//! - **ExtendVote**: for each of [`pending_to_sign`]`(state)`, put `(root_chain, number,
//!   sign::sign(signer_key, &checkpoint.sign_hash()))` in the vote extension.
//! - **VerifyVoteExtension / ProcessProposal**: each entry must pass
//!   [`check_vote_signature`]`(state, chain, number, validator's signer, sig)`.
//! - **FinalizeBlock**: after the side-tx post-handlers and txs, for each (chain, number) the
//!   extended commit carries, [`add_signatures`] with the signatures from the vote extensions
//!   and the active set; then, at the end of block, [`maybe_create`]`(state, ctx, registry chain
//!   names, final BTTC head, &|n| header of block n from the app's BttcBlock records, active
//!   set)`. Put `ctx.take_events()` in the block events. Errors other than
//!   [`CheckpointError::Store`] from these calls mean a bad input or a broken invariant.
//! - **Bridge** (done in `deliveryd::bridge::checkpoints` and the relay): when the buffer is
//!   final and its `proposer` is our signer, submit `sign_data` with its signatures to that
//!   chain's RootChain (after `updateValidators` with the previous checkpoint's account set
//!   when the contract holds an older set); turn each `NewHeaderBlock` into a
//!   [`MsgCheckpointAck`]; send a [`MsgCheckpointNoAck`] when the buffer is older than
//!   `checkpoint_buffer_time` (on `checkpoint/9`, retry later).
//! - **Queries**: route `custom/checkpoint/<path>` to [`CheckpointModule`]'s `query`
//!   ([`query`]).
//!
//! Errors: [`CheckpointError::Store`] is fatal; every other variant is a deterministic
//! rejection with a stable code in codespace `checkpoint` ([`error::codes`]).

pub mod error;
pub mod event;
pub mod genesis;
pub mod handler;
pub mod lifecycle;
pub mod merkle;
pub mod msg;
pub mod params;
pub mod proposer;
pub mod query;
pub mod sign;
pub mod state;
pub mod state_key;
pub mod types;

#[cfg(test)]
mod tests;

pub use error::CheckpointError;
pub use genesis::{ChainGenesis, CheckpointModule, Genesis};
pub use handler::ack::AckOutcome;
pub use handler::no_ack::NoAckOutcome;
pub use lifecycle::{
    add_signatures, block_proof, check_vote_signature, maybe_create, pending_to_sign,
    sync_proposer, HeaderSource,
};
pub use merkle::Header;
pub use msg::{MsgCheckpointAck, MsgCheckpointNoAck};
pub use params::Params;
pub use proposer::{ProposerSet, ProposerValidator};
pub use state::{ack_count, buffer, committed, current_proposer, last_end, latest, next_start};
pub use types::{
    Account, BufferedCheckpoint, Checkpoint, CheckpointSignature, CommittedCheckpoint, SetMember,
};
