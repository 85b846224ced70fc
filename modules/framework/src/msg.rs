//! What a message is and how it is handled.
//!
//! Every message goes through the same three steps, in both CheckTx and FinalizeBlock:
//! `check_stateless` (format only, no state), `check_stateful` (against the current state) and
//! `execute` (the state change; it re-checks whatever an earlier transaction in the same block
//! could have changed). A *side* message claims a root-chain event: FinalizeBlock only records it
//! as pending; validators verify the claim with their own root-chain RPC and vote in their vote
//! extensions, and `post_execute` runs in the next block only if more than 2/3 of the voting
//! power said YES.

use delivery_store::{StateRead, StateWrite};

use crate::context::Context;
use crate::crypto::Address;
use crate::error::{ExecError, TxError};

/// A message: a protobuf type with a stable type URL and one signer.
pub trait Msg: prost::Message + Default + Clone {
    /// The `Any` type URL, e.g. `/delivery.bank.v1.MsgSend`.
    const TYPE_URL: &'static str;

    /// The account that must sign the transaction carrying this message.
    fn signer(&self) -> Result<Address, TxError>;

    /// Format checks that need no state.
    fn check_stateless(&self) -> Result<(), TxError>;
}

/// A message that changes state as soon as its block executes.
pub trait MsgHandler: Msg {
    /// Checks against the current state without writing.
    fn check_stateful<S: StateRead>(&self, ctx: &Context<'_>, state: &S) -> Result<(), ExecError>;

    /// Applies the message. Runs on a per-transaction overlay: an error discards every write.
    fn execute<S: StateWrite>(&self, ctx: &mut Context<'_>, state: &mut S)
        -> Result<(), ExecError>;
}

/// A validator's verdict on a side message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vote {
    /// The claim matches the validator's own view of the root chain.
    Yes,
    /// The claim contradicts it (no such transaction, wrong data, wrong emitter …).
    No,
    /// The validator could not tell in time (RPC down or slow, not yet confirmed).
    Unknown,
}

/// A message that claims a root-chain event.
pub trait SideMsgHandler: Msg {
    /// Checks against the current state when the message enters a block (e.g. already applied).
    fn check_stateful<S: StateRead>(&self, ctx: &Context<'_>, state: &S) -> Result<(), ExecError>;

    /// Applies the claim after more than 2/3 of the voting power voted YES. Re-checks state:
    /// another transaction may have applied the same event in between.
    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError>;
}
