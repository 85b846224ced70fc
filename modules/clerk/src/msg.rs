//! `MsgEventRecord`: a side message claiming a StateSynced event on a root chain.

use delivery_module::crypto::Address;
use delivery_module::error::sdk;
use delivery_module::{Msg, TxError};
use delivery_rootchain::RootEvent;

use crate::error::ClerkError;

/// Claims `StateSynced(id, contract, data)`, emitted by the StateSender of `event.root_chain`
/// in the log `event` points at.
///
/// Type URL `/delivery.clerk.v1.MsgEventRecord`. The side check (bridge) fetches the receipt of
/// `event.tx_hash` from that root chain, requires it `confirmations` deep, takes the log whose
/// `logIndex` is `event.log_index`, checks that the StateSender emitted it with the StateSynced
/// topic, and compares `id`, `contract` and `data` with the decoded event.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgEventRecord {
    /// The signing account (`0x` address; any funded account, usually a validator's bridge).
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log claimed.
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The StateSynced `id` (per root chain, from 1, rising by 1).
    #[prost(uint64, tag = "3")]
    pub id: u64,
    /// The receiver on BTTC (20 bytes; the event's `contractAddress`).
    #[prost(bytes = "vec", tag = "4")]
    pub contract: Vec<u8>,
    /// The event's `data`, whole (the record keeps at most `max_data_bytes` of it).
    #[prost(bytes = "vec", tag = "5")]
    pub data: Vec<u8>,
}

impl MsgEventRecord {
    /// The root event, or a rejection when it is missing.
    pub fn root_event(&self) -> Result<&RootEvent, TxError> {
        self.event
            .as_ref()
            .ok_or_else(|| ClerkError::InvalidMsg("event (field 2) is missing".into()).into())
    }

    /// The receiver as 20 bytes, or a rejection.
    pub fn contract_bytes(&self) -> Result<[u8; 20], TxError> {
        self.contract.as_slice().try_into().map_err(|_| {
            ClerkError::InvalidMsg(format!(
                "contract must be 20 bytes, got {}",
                self.contract.len()
            ))
            .into()
        })
    }
}

fn from_address(from: &str) -> Result<Address, TxError> {
    from.parse().map_err(|e| {
        TxError::new(
            sdk::CODESPACE,
            sdk::INVALID_ADDRESS,
            format!("from {from:?}: {e}"),
        )
    })
}

impl Msg for MsgEventRecord {
    const TYPE_URL: &'static str = "/delivery.clerk.v1.MsgEventRecord";

    fn signer(&self) -> Result<Address, TxError> {
        from_address(&self.from)
    }

    /// `from` is an address, the root event is present and well formed, `contract` is 20
    /// bytes and `id > 0`. A zero `contract` is accepted: the root chain emitted it, and every
    /// id must be recorded for the sequence to go on.
    fn check_stateless(&self) -> Result<(), TxError> {
        from_address(&self.from)?;
        self.root_event()?.check_stateless()?;
        self.contract_bytes()?;
        if self.id == 0 {
            return Err(ClerkError::InvalidMsg(
                "id must be > 0 (StateSynced ids start at 1)".into(),
            )
            .into());
        }
        Ok(())
    }
}
