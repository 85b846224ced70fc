//! The staking side messages and their stateless checks.
//!
//! Each claims one StakeManager event on a root chain (field 2, [`RootEvent`]); validators
//! check the claim against their own root-chain RPC and vote (the bridge's job), and the
//! post-handler in [`crate::handler`] applies it after more than 2/3 of the power voted YES.
//! Field 1, `from`, is the `0x` address of the account signing the transaction.
//!
//! | msg | root-chain event | fields |
//! | --- | --- | --- |
//! | [`MsgValidatorJoin`] | `Staked` | validator_id, activation_epoch, amount, signer_pubkey, consensus_pubkey, nonce (= 1) |
//! | [`MsgStakeUpdate`] | `StakeUpdate` | validator_id, new_amount, nonce |
//! | [`MsgSignerUpdate`] | `SignerChange` | validator_id, new_signer_pubkey, nonce |
//! | [`MsgValidatorExit`] | `UnstakeInit` | validator_id, deactivation_epoch, nonce |
//!
//! Stateless checks (all): `from` is an address; the root event is present and well formed;
//! nonce is 1 for a join and ≥ 2 otherwise (1 is the join's). Amounts are canonical decimals
//! within u128 (a join's is > 0); secp256k1 keys are 65-byte uncompressed points; the consensus
//! key is a valid, non-small-order ed25519 point; a join's `from` is the address of its
//! `signer_pubkey`; a deactivation epoch is > 0.

use delivery_module::crypto::Address;
use delivery_module::{Msg, TxError};
use delivery_rootchain::RootEvent;

use crate::error::{Result, StakingError};
use crate::types::{check_consensus_pubkey, parse_address, parse_amount, signer_of};

/// Claims a `Staked` event: a new validator joins.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgValidatorJoin {
    /// The signing account: must be the address of `signer_pubkey`.
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log.
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The validator id (ERC-721 token id).
    #[prost(uint64, tag = "3")]
    pub validator_id: u64,
    /// The first epoch the validator is active in.
    #[prost(uint64, tag = "4")]
    pub activation_epoch: u64,
    /// The stake, decimal atto-BTT.
    #[prost(string, tag = "5")]
    pub amount: String,
    /// The 65-byte uncompressed secp256k1 signer key.
    #[prost(bytes = "vec", tag = "6")]
    pub signer_pubkey: Vec<u8>,
    /// The 32-byte ed25519 consensus key.
    #[prost(bytes = "vec", tag = "7")]
    pub consensus_pubkey: Vec<u8>,
    /// The event's nonce (1).
    #[prost(uint64, tag = "8")]
    pub nonce: u64,
}

/// Claims a `StakeUpdate` event: the validator's total stake is now `new_amount`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgStakeUpdate {
    /// The signing account.
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log.
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The validator id.
    #[prost(uint64, tag = "3")]
    pub validator_id: u64,
    /// The new total stake, decimal atto-BTT.
    #[prost(string, tag = "4")]
    pub new_amount: String,
    /// The event's nonce.
    #[prost(uint64, tag = "5")]
    pub nonce: u64,
}

/// Claims a `SignerChange` event: the validator signs with a new secp256k1 key. The
/// consensus key does not change.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgSignerUpdate {
    /// The signing account.
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log.
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The validator id.
    #[prost(uint64, tag = "3")]
    pub validator_id: u64,
    /// The new 65-byte uncompressed secp256k1 signer key.
    #[prost(bytes = "vec", tag = "4")]
    pub new_signer_pubkey: Vec<u8>,
    /// The event's nonce.
    #[prost(uint64, tag = "5")]
    pub nonce: u64,
}

/// Claims an `UnstakeInit` event: the validator leaves the set from `deactivation_epoch`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgValidatorExit {
    /// The signing account.
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log.
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The validator id.
    #[prost(uint64, tag = "3")]
    pub validator_id: u64,
    /// The first epoch the validator is no longer active in.
    #[prost(uint64, tag = "4")]
    pub deactivation_epoch: u64,
    /// The event's nonce.
    #[prost(uint64, tag = "5")]
    pub nonce: u64,
}

/// The root event, or a rejection if it is missing.
fn root_event(event: &Option<RootEvent>) -> Result<&RootEvent, TxError> {
    let event = event.as_ref().ok_or_else(|| {
        TxError::from(StakingError::InvalidMsg(
            "event is missing: every staking msg names its root-chain log".into(),
        ))
    })?;
    event.check_stateless()?;
    Ok(event)
}

fn update_nonce(nonce: u64) -> Result<(), TxError> {
    if nonce < 2 {
        return Err(StakingError::InvalidMsg(format!(
            "nonce {nonce}: an update carries nonce 2 or more (nonce 1 is the join's)"
        ))
        .into());
    }
    Ok(())
}

/// A join, checked and parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinParts {
    /// The signer (address of the signer key, equal to `from`).
    pub signer: Address,
    /// The signer key.
    pub signer_pubkey: [u8; 65],
    /// The consensus key.
    pub consensus_pubkey: [u8; 32],
    /// The stake.
    pub amount: u128,
}

impl MsgValidatorJoin {
    /// The stateless checks, returning the parsed fields.
    pub fn parts(&self) -> Result<JoinParts, TxError> {
        let from = parse_address("from", &self.from)?;
        root_event(&self.event)?;
        if self.nonce != 1 {
            return Err(StakingError::InvalidMsg(format!(
                "nonce {}: a join carries nonce 1 (the Staked event's)",
                self.nonce
            ))
            .into());
        }
        let amount = parse_amount("amount", &self.amount)?;
        if amount == 0 {
            return Err(
                StakingError::InvalidMsg("amount 0: a join stakes more than 0".into()).into(),
            );
        }
        let signer = signer_of(&self.signer_pubkey, "signer_pubkey")?;
        let consensus_pubkey = check_consensus_pubkey(&self.consensus_pubkey, "consensus_pubkey")?;
        if from != signer {
            return Err(StakingError::SignerMismatch { from, signer }.into());
        }
        let signer_pubkey: [u8; 65] = self.signer_pubkey.as_slice().try_into().map_err(|_| {
            TxError::from(StakingError::InvalidMsg(
                "signer_pubkey is not 65 bytes".into(),
            ))
        })?;
        Ok(JoinParts {
            signer,
            signer_pubkey,
            consensus_pubkey,
            amount,
        })
    }
}

impl Msg for MsgValidatorJoin {
    const TYPE_URL: &'static str = "/delivery.staking.v1.MsgValidatorJoin";

    fn signer(&self) -> Result<Address, TxError> {
        Ok(parse_address("from", &self.from)?)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        self.parts().map(|_| ())
    }
}

impl MsgStakeUpdate {
    /// The stateless checks, returning the new stake.
    pub fn parts(&self) -> Result<u128, TxError> {
        parse_address("from", &self.from)?;
        root_event(&self.event)?;
        update_nonce(self.nonce)?;
        Ok(parse_amount("new_amount", &self.new_amount)?)
    }
}

impl Msg for MsgStakeUpdate {
    const TYPE_URL: &'static str = "/delivery.staking.v1.MsgStakeUpdate";

    fn signer(&self) -> Result<Address, TxError> {
        Ok(parse_address("from", &self.from)?)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        self.parts().map(|_| ())
    }
}

impl MsgSignerUpdate {
    /// The stateless checks, returning the new signer address and key.
    pub fn parts(&self) -> Result<(Address, [u8; 65]), TxError> {
        parse_address("from", &self.from)?;
        root_event(&self.event)?;
        update_nonce(self.nonce)?;
        let signer = signer_of(&self.new_signer_pubkey, "new_signer_pubkey")?;
        let pubkey: [u8; 65] = self.new_signer_pubkey.as_slice().try_into().map_err(|_| {
            TxError::from(StakingError::InvalidMsg(
                "new_signer_pubkey is not 65 bytes".into(),
            ))
        })?;
        Ok((signer, pubkey))
    }
}

impl Msg for MsgSignerUpdate {
    const TYPE_URL: &'static str = "/delivery.staking.v1.MsgSignerUpdate";

    fn signer(&self) -> Result<Address, TxError> {
        Ok(parse_address("from", &self.from)?)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        self.parts().map(|_| ())
    }
}

impl MsgValidatorExit {
    /// The stateless checks.
    pub fn parts(&self) -> Result<(), TxError> {
        parse_address("from", &self.from)?;
        root_event(&self.event)?;
        update_nonce(self.nonce)?;
        if self.deactivation_epoch == 0 {
            return Err(StakingError::InvalidMsg(
                "deactivation_epoch 0: an exit names the epoch the validator leaves at (> 0)"
                    .into(),
            )
            .into());
        }
        Ok(())
    }
}

impl Msg for MsgValidatorExit {
    const TYPE_URL: &'static str = "/delivery.staking.v1.MsgValidatorExit";

    fn signer(&self) -> Result<Address, TxError> {
        Ok(parse_address("from", &self.from)?)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        self.parts()
    }
}
