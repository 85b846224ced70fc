//! Every message type the chain accepts, routed by one exhaustive `match`: a new message is a
//! compile error until it is routed here.

use delivery_auth::AnyMsg;
use delivery_bank::{MsgSend, MsgTopup};
use delivery_clerk::MsgEventRecord;
use delivery_module::error::sdk;
use delivery_module::{Address, Context, ExecError, Msg, MsgHandler, SideMsgHandler, TxError};
use delivery_staking::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};
use delivery_store::{StateRead, StateWrite};

/// A message that changes state when its block executes.
#[derive(Debug, Clone, PartialEq)]
pub enum UserMsg {
    /// `bank` send.
    BankSend(MsgSend),
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
            AppMsg::Side(side) => each_side_msg!(side, m => m.signer()),
        }
    }

    /// Format checks.
    pub fn check_stateless(&self) -> Result<(), TxError> {
        match self {
            AppMsg::User(UserMsg::BankSend(m)) => m.check_stateless(),
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

    /// Applies the claim after the vote passed.
    pub fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        each_side_msg!(self, m => m.post_execute(ctx, state))
    }

    /// Packs the message again (to store it as pending).
    pub fn pack(&self) -> AnyMsg {
        each_side_msg!(self, m => AnyMsg::pack(m))
    }
}
