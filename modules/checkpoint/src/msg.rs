//! The checkpoint messages: `MsgCheckpointAck` (a side message claiming a root chain's
//! `NewHeaderBlock`) and `MsgCheckpointNoAck` (a validator's claim that the buffer timed out).

use delivery_module::crypto::Address;
use delivery_module::error::sdk;
use delivery_module::{Msg, TxError};
use delivery_rootchain::RootEvent;

use crate::error::CheckpointError;
use crate::merkle::Hash;

/// Claims `NewHeaderBlock(proposer, headerBlockId, reward, start, end, root)`, emitted by the
/// RootChain contract of `event.root_chain` in the log `event` points at.
///
/// Type URL `/delivery.checkpoint.v1.MsgCheckpointAck`. The side check (bridge) fetches the
/// receipt of `event.tx_hash` from that root chain, requires it `confirmations` deep, takes the
/// log whose `logIndex` is `event.log_index`, checks that the chain's RootChain contract
/// emitted it with the NewHeaderBlock topic, and compares `number` (= `headerBlockId`),
/// `proposer`, `start`, `end` and `root_hash` with the decoded event.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCheckpointAck {
    /// The signing account (`0x` address; any funded account, usually a validator's bridge).
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root-chain log claimed (its `root_chain` is the chain the checkpoint is for).
    #[prost(message, optional, tag = "2")]
    pub event: Option<RootEvent>,
    /// The checkpoint number (`headerBlockId`, 1, 2, ... per root chain).
    #[prost(uint64, tag = "3")]
    pub number: u64,
    /// The proposer in the event (20 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub proposer: Vec<u8>,
    /// The first BTTC block.
    #[prost(uint64, tag = "5")]
    pub start: u64,
    /// The last BTTC block.
    #[prost(uint64, tag = "6")]
    pub end: u64,
    /// The root hash (32 bytes).
    #[prost(bytes = "vec", tag = "7")]
    pub root_hash: Vec<u8>,
}

/// Claims that the checkpoint buffered for `root_chain` waited `checkpoint_buffer_time`
/// without an ack. Sent by a validator (its signer account); clears the buffer and rotates the
/// proposer.
///
/// Type URL `/delivery.checkpoint.v1.MsgCheckpointNoAck`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgCheckpointNoAck {
    /// The signing account: an active validator's signer (`0x` address).
    #[prost(string, tag = "1")]
    pub from: String,
    /// The root chain whose buffer timed out.
    #[prost(string, tag = "2")]
    pub root_chain: String,
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

fn invalid(message: String) -> TxError {
    CheckpointError::InvalidMsg(message).into()
}

impl MsgCheckpointAck {
    /// The root event, or a rejection when it is missing.
    pub fn root_event(&self) -> Result<&RootEvent, TxError> {
        self.event
            .as_ref()
            .ok_or_else(|| invalid("event (field 2) is missing".into()))
    }

    /// The proposer as an address, or a rejection.
    pub fn proposer_address(&self) -> Result<Address, TxError> {
        Address::from_slice(&self.proposer).map_err(|_| {
            invalid(format!(
                "proposer must be 20 bytes, got {}",
                self.proposer.len()
            ))
        })
    }

    /// The root hash as 32 bytes, or a rejection.
    pub fn root(&self) -> Result<Hash, TxError> {
        self.root_hash.as_slice().try_into().map_err(|_| {
            invalid(format!(
                "root_hash must be 32 bytes, got {}",
                self.root_hash.len()
            ))
        })
    }
}

impl Msg for MsgCheckpointAck {
    const TYPE_URL: &'static str = "/delivery.checkpoint.v1.MsgCheckpointAck";

    fn signer(&self) -> Result<Address, TxError> {
        from_address(&self.from)
    }

    /// `from` is an address, the root event is present and well formed, `number > 0`,
    /// `proposer` is 20 bytes, `root_hash` 32 bytes and `start <= end`.
    fn check_stateless(&self) -> Result<(), TxError> {
        from_address(&self.from)?;
        self.root_event()?.check_stateless()?;
        if self.number == 0 {
            return Err(invalid(
                "number must be > 0 (checkpoint numbers start at 1)".into(),
            ));
        }
        self.proposer_address()?;
        self.root()?;
        if self.end < self.start {
            return Err(invalid(format!(
                "end {} is before start {}",
                self.end, self.start
            )));
        }
        Ok(())
    }
}

impl Msg for MsgCheckpointNoAck {
    const TYPE_URL: &'static str = "/delivery.checkpoint.v1.MsgCheckpointNoAck";

    fn signer(&self) -> Result<Address, TxError> {
        from_address(&self.from)
    }

    /// `from` is an address and `root_chain` a valid chain name.
    fn check_stateless(&self) -> Result<(), TxError> {
        from_address(&self.from)?;
        delivery_rootchain::check_chain_name(&self.root_chain)
            .map_err(|e| TxError::from_module(&e))?;
        Ok(())
    }
}
