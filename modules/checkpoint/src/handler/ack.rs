//! `MsgCheckpointAck`: the checks at block inclusion and the commit after more than 2/3 of the
//! voting power said YES (the root chain emitted that `NewHeaderBlock`).
//!
//! Checks, in order, at inclusion and again after the vote: the root chain is registered
//! (`checkpoint/3`), the root event was not applied (`rootchain/3`), `number` is the chain's
//! next checkpoint number (lower: `checkpoint/5`, give up; higher: `checkpoint/6`, retry after
//! its predecessor) and `start` is the chain's next start (`checkpoint/7`).
//!
//! Effect: the checkpoint is committed under its number, the ack count becomes `number`, the
//! last end `end`, the buffer is cleared and the root event marked applied. When the buffered
//! checkpoint is the one acked (same number, proposer, start, end and root hash), it is
//! committed as buffered (`matched_buffer`, with its account root hash and account set). Otherwise the root
//! chain accepted a checkpoint Delivery no longer buffers (a no-ack dropped it after its
//! submission): the root chain's version is committed (account root hash zero and no account
//! set: unknown),
//! because the root contract only accepts a checkpoint with valid signatures of more than 2/3
//! of the power, and refusing it would stall the chain's checkpoints for good (every later
//! checkpoint would start where the root contract no longer accepts one).
//!
//! On the staking chain the ack also rotates the proposer and advances the epoch: the
//! outcome's `staking_epoch` is `ack_count + 1` (staking's genesis epoch is 1, the
//! StakeManager's first; each acked checkpoint on the staking chain starts the next), which
//! the app hands to `delivery_staking::set_current_epoch`.

use delivery_module::crypto::Address;
use delivery_module::{Context, ExecError, Msg, SideMsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::CheckpointError;
use crate::event;
use crate::msg::MsgCheckpointAck;
use crate::state;
use crate::types::{Checkpoint, CommittedCheckpoint};

/// What an applied ack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckOutcome {
    /// The committed checkpoint.
    pub committed: CommittedCheckpoint,
    /// The chain's ack count now (= the checkpoint's number).
    pub ack_count: u64,
    /// On the staking chain: the epoch staking moves to (`ack_count + 1`).
    pub staking_epoch: Option<u64>,
    /// On the staking chain: the proposer after the rotation.
    pub next_proposer: Option<Address>,
}

/// The state checks (see the module doc).
pub fn check<S: StateRead + ?Sized>(msg: &MsgCheckpointAck, state: &S) -> Result<(), ExecError> {
    let event = msg.root_event()?;
    let chain = event.root_chain.as_str();
    if delivery_rootchain::chain(state, chain)?.is_none() {
        return Err(CheckpointError::UnknownRootChain(chain.to_string()).into());
    }
    event.check_not_applied(state)?;
    let ack_count = state::ack_count(state, chain)?;
    let expected = state::next_number(state, chain)?;
    if msg.number < expected {
        return Err(CheckpointError::AlreadyAcked {
            root_chain: chain.to_string(),
            number: msg.number,
            ack_count,
        }
        .into());
    }
    if msg.number > expected {
        return Err(CheckpointError::AckAhead {
            root_chain: chain.to_string(),
            number: msg.number,
            expected,
        }
        .into());
    }
    let start = state::next_start(state, chain)?;
    if msg.start != start {
        return Err(CheckpointError::StartMismatch {
            root_chain: chain.to_string(),
            start: msg.start,
            expected: start,
        }
        .into());
    }
    Ok(())
}

/// Re-checks everything (stateless checks included) and commits the checkpoint; returns what
/// it did. Call it from the side-tx post-handler when the app needs the outcome (the staking
/// epoch); [`SideMsgHandler::post_execute`] calls it and drops the outcome.
pub fn apply<S: StateWrite + ?Sized>(
    msg: &MsgCheckpointAck,
    ctx: &mut Context<'_>,
    state: &mut S,
) -> Result<AckOutcome, ExecError> {
    msg.check_stateless()?;
    check(msg, state)?;
    let event = msg.root_event()?;
    let chain = event.root_chain.clone();
    let proposer = msg.proposer_address()?;
    let root_hash = msg.root()?;
    let matched = state::buffer(state, &chain)?.filter(|b| {
        let c = &b.checkpoint;
        c.number == msg.number
            && c.proposer == proposer
            && c.start == msg.start
            && c.end == msg.end
            && c.root_hash == root_hash
    });
    let (checkpoint, matched_buffer, accounts) = match matched {
        Some(b) => (b.checkpoint, true, b.accounts),
        None => (
            Checkpoint {
                number: msg.number,
                root_chain: chain.clone(),
                proposer,
                start: msg.start,
                end: msg.end,
                root_hash,
                account_root_hash: [0u8; 32],
                bttc_chain_id: state::params(state)?.bttc_chain_id,
            },
            false,
            Vec::new(),
        ),
    };
    let committed = CommittedCheckpoint {
        checkpoint,
        acked_height: ctx.block.height,
        acked_time: ctx.block.time_seconds,
        matched_buffer,
        accounts,
    };
    state::put_committed(state, &committed);
    state::set_ack_count(state, &chain, msg.number);
    state::set_last_end(state, &chain, msg.end);
    state::delete_buffer(state, &chain);
    event.mark_applied(state);
    let on_staking_chain =
        delivery_rootchain::staking_chain(state)?.is_some_and(|c| c.name == chain);
    let (staking_epoch, next_proposer) = if on_staking_chain {
        let mut set = state::proposer_set(state)?;
        set.rotate()?;
        state::put_proposer_set(state, &set);
        let epoch = msg
            .number
            .checked_add(1)
            .ok_or(CheckpointError::Overflow("staking epoch"))?;
        (Some(epoch), set.proposer().map(|v| v.signer))
    } else {
        (None, None)
    };
    ctx.emit(event::ack(&committed, msg.number, next_proposer));
    Ok(AckOutcome {
        committed,
        ack_count: msg.number,
        staking_epoch,
        next_proposer,
    })
}

impl SideMsgHandler for MsgCheckpointAck {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        check(self, state)
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        apply(self, ctx, state).map(|_| ())
    }
}
