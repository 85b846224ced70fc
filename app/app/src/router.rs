//! Every message type the chain accepts, routed by one exhaustive `match`: a new message is a
//! compile error until it is routed here.

use delivery_auth::AnyMsg;
use delivery_bank::{MsgSend, MsgTopup};
use delivery_checkpoint::{MsgCheckpointAck, MsgCheckpointNoAck};
use delivery_clerk::MsgEventRecord;
use delivery_gov::{MsgDeposit, MsgSubmitProposal, MsgVote};
use delivery_module::error::sdk;
use delivery_module::{Address, Context, ExecError, Msg, MsgHandler, SideMsgHandler, TxError};
use delivery_staking::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};
use delivery_store::{StateRead, StateWrite};

use crate::param_space::AppParamSpace;

/// A message that changes state when its block executes.
#[derive(Debug, Clone, PartialEq)]
pub enum UserMsg {
    /// `bank` send.
    BankSend(MsgSend),
    /// `checkpoint`: drop a buffered checkpoint the root chain never acknowledged.
    CheckpointNoAck(MsgCheckpointNoAck),
    /// `gov`: a new proposal with its initial deposit.
    GovSubmit(MsgSubmitProposal),
    /// `gov`: a deposit on a proposal.
    GovDeposit(MsgDeposit),
    /// `gov`: a validator's vote (one validator, one vote).
    GovVote(MsgVote),
}

/// A message that claims a root-chain event (voted on before it applies).
#[derive(Debug, Clone, PartialEq)]
pub enum SideMsg {
    /// `bank` fee top-up from a root chain.
    Topup(MsgTopup),
    /// `staking`: a validator joined (`Staked`).
    ValidatorJoin(MsgValidatorJoin),
    /// `staking`: a validator's total stake changed (`StakeUpdate`).
    StakeUpdate(MsgStakeUpdate),
    /// `staking`: a validator's signer key changed (`SignerChange`).
    SignerUpdate(MsgSignerUpdate),
    /// `staking`: a validator is leaving (`UnstakeInit`).
    ValidatorExit(MsgValidatorExit),
    /// `clerk`: a state-sync record (`StateSynced`).
    EventRecord(MsgEventRecord),
    /// `checkpoint`: a root chain accepted a checkpoint (`NewHeaderBlock`).
    CheckpointAck(MsgCheckpointAck),
}

/// Runs `$body` with `$m` bound to the message inside any [`SideMsg`] variant.
macro_rules! each_side_msg {
    ($msg:expr, $m:ident => $body:expr) => {
        match $msg {
            SideMsg::Topup($m) => $body,
            SideMsg::ValidatorJoin($m) => $body,
            SideMsg::StakeUpdate($m) => $body,
            SideMsg::SignerUpdate($m) => $body,
            SideMsg::ValidatorExit($m) => $body,
            SideMsg::EventRecord($m) => $body,
            SideMsg::CheckpointAck($m) => $body,
        }
    };
}

/// Any routed message.
#[derive(Debug, Clone, PartialEq)]
pub enum AppMsg {
    /// Applies at once.
    User(UserMsg),
    /// Applies after the vote.
    Side(SideMsg),
}

fn decode<M: Msg>(value: &[u8]) -> Result<M, TxError> {
    M::decode(value).map_err(|e| {
        TxError::new(
            sdk::CODESPACE,
            sdk::TX_DECODE,
            format!("cannot decode {}: {e}", M::TYPE_URL),
        )
    })
}

/// Decodes a packed message by its type URL.
pub fn route(any: &AnyMsg) -> Result<AppMsg, TxError> {
    match any.type_url.as_str() {
        MsgSend::TYPE_URL => Ok(AppMsg::User(UserMsg::BankSend(decode(&any.value)?))),
        MsgTopup::TYPE_URL => Ok(AppMsg::Side(SideMsg::Topup(decode(&any.value)?))),
        MsgValidatorJoin::TYPE_URL => Ok(AppMsg::Side(SideMsg::ValidatorJoin(decode(&any.value)?))),
        MsgStakeUpdate::TYPE_URL => Ok(AppMsg::Side(SideMsg::StakeUpdate(decode(&any.value)?))),
        MsgSignerUpdate::TYPE_URL => Ok(AppMsg::Side(SideMsg::SignerUpdate(decode(&any.value)?))),
        MsgValidatorExit::TYPE_URL => Ok(AppMsg::Side(SideMsg::ValidatorExit(decode(&any.value)?))),
        MsgEventRecord::TYPE_URL => Ok(AppMsg::Side(SideMsg::EventRecord(decode(&any.value)?))),
        MsgCheckpointAck::TYPE_URL => Ok(AppMsg::Side(SideMsg::CheckpointAck(decode(&any.value)?))),
        MsgCheckpointNoAck::TYPE_URL => {
            Ok(AppMsg::User(UserMsg::CheckpointNoAck(decode(&any.value)?)))
        }
        MsgSubmitProposal::TYPE_URL => Ok(AppMsg::User(UserMsg::GovSubmit(decode(&any.value)?))),
        MsgDeposit::TYPE_URL => Ok(AppMsg::User(UserMsg::GovDeposit(decode(&any.value)?))),
        MsgVote::TYPE_URL => Ok(AppMsg::User(UserMsg::GovVote(decode(&any.value)?))),
        other => Err(TxError::new(
            sdk::CODESPACE,
            sdk::UNKNOWN_MSG,
            format!("unknown message type {other:?}"),
        )),
    }
}

impl AppMsg {
    /// The account that must sign.
    pub fn signer(&self) -> Result<Address, TxError> {
        match self {
            AppMsg::User(UserMsg::BankSend(m)) => m.signer(),
            AppMsg::User(UserMsg::CheckpointNoAck(m)) => m.signer(),
            AppMsg::User(UserMsg::GovSubmit(m)) => m.signer(),
            AppMsg::User(UserMsg::GovDeposit(m)) => m.signer(),
            AppMsg::User(UserMsg::GovVote(m)) => m.signer(),
            AppMsg::Side(side) => each_side_msg!(side, m => m.signer()),
        }
    }

    /// Format checks.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        match self {
            AppMsg::User(UserMsg::BankSend(m)) => m.check_stateless(),
            AppMsg::User(UserMsg::CheckpointNoAck(m)) => m.check_stateless(),
            AppMsg::User(UserMsg::GovSubmit(m)) => m.check_stateless(),
            AppMsg::User(UserMsg::GovDeposit(m)) => m.check_stateless(),
            AppMsg::User(UserMsg::GovVote(m)) => m.check_stateless(),
            AppMsg::Side(side) => each_side_msg!(side, m => m.check_stateless()),
        }
    }
}

impl UserMsg {
    /// Checks against state, then applies.
    pub fn check_and_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        match self {
            UserMsg::BankSend(m) => {
                MsgHandler::check_stateful(m, ctx, state)?;
                m.execute(ctx, state)
            }
            UserMsg::CheckpointNoAck(m) => {
                let active = active_set(state)?;
                delivery_checkpoint::handler::no_ack::execute(m, ctx, state, &active).map(|_| ())
            }
            UserMsg::GovSubmit(m) => {
                delivery_gov::handler::submit::execute(m, ctx, state, &AppParamSpace).map(|_| ())
            }
            UserMsg::GovDeposit(m) => {
                MsgHandler::check_stateful(m, ctx, state)?;
                m.execute(ctx, state)
            }
            UserMsg::GovVote(m) => {
                let voters = gov_voters(state)?;
                delivery_gov::handler::vote::execute(m, ctx, state, &voters).map(|_| ())
            }
        }
    }
}

impl SideMsg {
    /// Checks against state when the message enters a block.
    pub fn check_stateful<S: StateRead>(
        &self,
        ctx: &Context<'_>,
        state: &S,
    ) -> Result<(), ExecError> {
        each_side_msg!(self, m => SideMsgHandler::check_stateful(m, ctx, state))
    }

    /// Applies the claim after the vote passed. A checkpoint ack on the staking chain also
    /// starts staking's next epoch (unless staking's own clock is already there).
    pub fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        match self {
            SideMsg::CheckpointAck(m) => {
                let outcome = delivery_checkpoint::handler::ack::apply(m, ctx, state)?;
                if let Some(epoch) = outcome.staking_epoch {
                    let current = delivery_staking::current_epoch(state).map_err(staking_error)?;
                    if epoch > current {
                        delivery_staking::set_current_epoch(state, epoch, ctx.block.height)
                            .map_err(staking_error)?;
                        ctx.emit(delivery_staking::event::epoch(epoch, ctx.block.height));
                    }
                }
                Ok(())
            }
            other => each_side_msg!(other, m => m.post_execute(ctx, state)),
        }
    }

    /// Packs the message again (to store it as pending).
    pub fn pack(&self) -> AnyMsg {
        each_side_msg!(self, m => AnyMsg::pack(m))
    }
}

/// Staking's active set as the checkpoint module takes it.
fn active_set<S: StateRead>(state: &S) -> Result<Vec<delivery_checkpoint::SetMember>, ExecError> {
    crate::checkpoints::active_members(state).map_err(|e| match e {
        crate::checkpoints::GlueError::Store(s) => ExecError::Fatal(s),
        other => ExecError::Fatal(delivery_store::StoreError::Backend(other.to_string())),
    })
}

/// The validators who vote in gov (one each): staking's active set.
pub fn gov_voters<S: StateRead + ?Sized>(state: &S) -> Result<Vec<delivery_gov::Voter>, ExecError> {
    Ok(delivery_staking::active_validators(state)
        .map_err(staking_error)?
        .into_iter()
        .map(|v| delivery_gov::Voter {
            validator_id: v.id,
            signer: v.signer,
        })
        .collect())
}

fn staking_error(e: delivery_staking::StakingError) -> ExecError {
    e.into()
}
