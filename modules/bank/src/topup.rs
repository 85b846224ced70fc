//! Fee top-ups from a root chain: a side message claiming that `user` deposited `amount` of BTT
//! for Delivery fees on a root chain, in transaction `tx_hash`, log `log_index`.
//!
//! Validators check the claim against their own root-chain RPC (the bridge's job; until a
//! validator has a root-chain client it votes UNKNOWN) and, after more than 2/3 of the power
//! voted YES, `post_execute` mints the amount to the user. Each root event is applied at most
//! once: the key `(root chain, tx hash, log index)` is recorded.
//!
//! State keys: `bank/topup/<root chain>/<tx hash 32>/<log index be u64>` → empty (applied).

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_module::error::sdk;
use delivery_module::{Context, ErrorCode, Event, ExecError, Msg, SideMsgHandler, TxError};
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::BankError;

const APPLIED_PREFIX: &[u8] = b"bank/topup/";

/// Topup errors share the bank codespace.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TopupError {
    /// The root event was already applied.
    #[error("top-up {0} was already applied")]
    AlreadyApplied(String),
    /// A field is malformed.
    #[error("invalid top-up: {0}")]
    Invalid(String),
}

impl ErrorCode for TopupError {
    const CODESPACE: &'static str = "bank";
    fn code(&self) -> u32 {
        match self {
            TopupError::AlreadyApplied(_) => 20,
            TopupError::Invalid(_) => 21,
        }
    }
}

/// Claims a fee top-up made on a root chain.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgTopup {
    /// The account sending the claim (any funded account; usually a validator's bridge).
    #[prost(string, tag = "1")]
    pub proposer: String,
    /// Who receives the BTT on Delivery.
    #[prost(string, tag = "2")]
    pub user: String,
    /// Atto-BTT, decimal.
    #[prost(string, tag = "3")]
    pub amount: String,
    /// The root chain's name (e.g. `tron`, `eth`, `bsc`).
    #[prost(string, tag = "4")]
    pub root_chain: String,
    /// The root-chain transaction hash (32 bytes).
    #[prost(bytes = "vec", tag = "5")]
    pub tx_hash: Vec<u8>,
    /// The log's index in that transaction's receipt.
    #[prost(uint64, tag = "6")]
    pub log_index: u64,
    /// The root-chain block number.
    #[prost(uint64, tag = "7")]
    pub block_number: u64,
}

fn addr(field: &str, value: &str) -> Result<Address, TxError> {
    value.parse().map_err(|e| {
        TxError::new(
            sdk::CODESPACE,
            sdk::INVALID_ADDRESS,
            format!("{field}: {e}"),
        )
    })
}

impl MsgTopup {
    fn amount(&self) -> Result<u128, TxError> {
        self.amount
            .parse::<u128>()
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| TxError::from_module(&BankError::InvalidAmount(self.amount.clone())))
    }

    /// The once-only key of the root event.
    pub fn event_key(&self) -> Vec<u8> {
        codec::key(&[
            APPLIED_PREFIX,
            self.root_chain.as_bytes(),
            b"/",
            &self.tx_hash,
            b"/",
            &codec::be_u64(self.log_index),
        ])
    }

    fn describe(&self) -> String {
        format!(
            "{}:0x{}:{}",
            self.root_chain,
            hex::encode(&self.tx_hash),
            self.log_index
        )
    }

    fn check_not_applied<S: StateRead + ?Sized>(&self, state: &S) -> Result<(), ExecError> {
        if state.get_raw(&self.event_key())?.is_some() {
            return Err(ExecError::module(TopupError::AlreadyApplied(
                self.describe(),
            )));
        }
        Ok(())
    }
}

impl Msg for MsgTopup {
    const TYPE_URL: &'static str = "/delivery.bank.v1.MsgTopup";

    fn signer(&self) -> Result<Address, TxError> {
        addr("proposer", &self.proposer)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        addr("proposer", &self.proposer)?;
        addr("user", &self.user)?;
        self.amount()?;
        if self.tx_hash.len() != 32 {
            return Err(TxError::from_module(&TopupError::Invalid(format!(
                "tx_hash must be 32 bytes, got {}",
                self.tx_hash.len()
            ))));
        }
        let chain_ok = !self.root_chain.is_empty()
            && self.root_chain.len() <= 16
            && self
                .root_chain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !chain_ok {
            return Err(TxError::from_module(&TopupError::Invalid(format!(
                "root_chain {:?} must be 1-16 lowercase letters or digits",
                self.root_chain
            ))));
        }
        Ok(())
    }
}

impl SideMsgHandler for MsgTopup {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        self.check_not_applied(state)
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        self.check_not_applied(state)?;
        let user = addr("user", &self.user)?;
        let amount = self.amount()?;
        crate::mint(state, &user, amount)?;
        state.put_raw(self.event_key(), Vec::new());
        ctx.emit(
            Event::new("bank.topup")
                .attr("user", user)
                .attr("amount", amount)
                .attr("root_event", self.describe()),
        );
        Ok(())
    }
}

/// Whether a root event was applied (for the bridge's "already applied" check).
pub fn is_applied<S: StateRead + ?Sized>(state: &S, msg: &MsgTopup) -> Result<bool, StoreError> {
    Ok(state.get_raw(&msg.event_key())?.is_some())
}
