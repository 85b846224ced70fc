//! `MsgCheckpointNoAck`: a validator says the checkpoint buffered for a root chain waited
//! `checkpoint_buffer_time` without an ack.
//!
//! Checks ([`check`], at inclusion and again in [`execute`]): the sender is the signer of a
//! validator in the active set the app hands in (`checkpoint/8`), a checkpoint is buffered for
//! the chain (`checkpoint/4`), and the block time is at least its `created_time +
//! checkpoint_buffer_time` (`checkpoint/9`, retry later). Effect: the buffer is cleared (the
//! next end of block makes a new checkpoint from the same start, with the next proposer) and
//! the proposer rotates.

use delivery_module::{Context, ExecError, Msg};
use delivery_store::{StateRead, StateWrite};

use crate::error::CheckpointError;
use crate::event;
use crate::msg::MsgCheckpointNoAck;
use crate::state;
use crate::types::{BufferedCheckpoint, SetMember};

/// What an applied no-ack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAckOutcome {
    /// The checkpoint dropped.
    pub dropped: BufferedCheckpoint,
    /// The proposer after the rotation.
    pub next_proposer: Option<delivery_module::crypto::Address>,
}

/// The checks (see the module doc); returns the buffered checkpoint.
pub fn check<S: StateRead + ?Sized>(
    msg: &MsgCheckpointNoAck,
    ctx: &Context<'_>,
    state: &S,
    active_set: &[SetMember],
) -> Result<BufferedCheckpoint, ExecError> {
    msg.check_stateless()?;
    let from = msg.signer()?;
    if !active_set.iter().any(|m| m.signer == from) {
        return Err(CheckpointError::NotAValidator(from.to_string()).into());
    }
    let buffered = state::buffer(state, &msg.root_chain)?
        .ok_or_else(|| CheckpointError::NoBuffer(msg.root_chain.clone()))?;
    let buffer_time = state::params(state)?.checkpoint_buffer_time;
    let ready_at = i64::try_from(buffer_time)
        .ok()
        .and_then(|t| buffered.created_time.checked_add(t))
        .ok_or(CheckpointError::Overflow("no-ack time"))?;
    let now = ctx.block.time_seconds;
    if now < ready_at {
        return Err(CheckpointError::BufferTimeNotPassed {
            root_chain: msg.root_chain.clone(),
            number: buffered.checkpoint.number,
            created_time: buffered.created_time,
            buffer_time,
            ready_at,
            now,
        }
        .into());
    }
    Ok(buffered)
}

/// Re-checks and applies a no-ack: clears the buffer, rotates the proposer, emits
/// `checkpoint.noack`.
pub fn execute<S: StateWrite + ?Sized>(
    msg: &MsgCheckpointNoAck,
    ctx: &mut Context<'_>,
    state: &mut S,
    active_set: &[SetMember],
) -> Result<NoAckOutcome, ExecError> {
    let dropped = check(msg, ctx, state, active_set)?;
    let from = msg.signer()?;
    state::delete_buffer(state, &msg.root_chain);
    let mut set = state::proposer_set(state)?;
    set.rotate()?;
    state::put_proposer_set(state, &set);
    let next_proposer = set.proposer().map(|v| v.signer);
    ctx.emit(event::noack(
        &msg.root_chain,
        dropped.checkpoint.number,
        from,
        next_proposer,
    ));
    Ok(NoAckOutcome {
        dropped,
        next_proposer,
    })
}
