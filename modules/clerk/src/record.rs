//! The event record: one StateSynced event as Delivery keeps it and BTTC receives it.

use delivery_rootchain::check_chain_name;
use delivery_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::error::ClerkError;

/// A recorded state-sync event.
///
/// In JSON, `contract`, `tx_hash` and `data` are `0x` hex (the contract is a BTTC address, the
/// receiver of `onStateReceive`); numbers are JSON numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EventRecordJson", into = "EventRecordJson")]
pub struct EventRecord {
    /// The global id: one sequence across all root chains, from 1, contiguous. BTTC's
    /// StateReceiver receives it as `stateId`.
    pub id: u64,
    /// The root chain the event came from.
    pub root_chain: String,
    /// The StateSynced `id` on that root chain.
    pub root_id: u64,
    /// The receiver on BTTC (the event's `contractAddress`).
    pub contract: [u8; 20],
    /// The event's data, or empty when it exceeded `max_data_bytes` (`data_dropped`).
    pub data: Vec<u8>,
    /// Whether the data was dropped for size.
    pub data_dropped: bool,
    /// The root-chain transaction hash.
    pub tx_hash: [u8; 32],
    /// The log's index within its root-chain block.
    pub log_index: u64,
    /// The root-chain block number.
    pub block_number: u64,
    /// The Delivery block time when the record was written (Unix seconds, from the header).
    pub record_time: i64,
    /// The Delivery height that wrote it.
    pub delivery_height: u64,
}

impl EventRecord {
    /// Format checks (genesis import): a valid chain name, `root_id > 0`, `id > 0`, and empty
    /// data when dropped.
    pub fn check(&self) -> Result<(), String> {
        check_chain_name(&self.root_chain).map_err(|e| format!("record {}: {e}", self.id))?;
        if self.id == 0 {
            return Err("record id 0: ids start at 1".into());
        }
        if self.root_id == 0 {
            return Err(format!("record {}: root_id 0 (ids start at 1)", self.id));
        }
        if self.data_dropped && !self.data.is_empty() {
            return Err(format!(
                "record {}: data_dropped but {} data bytes kept",
                self.id,
                self.data.len()
            ));
        }
        Ok(())
    }
}

/// The JSON form of [`EventRecord`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRecordJson {
    id: u64,
    root_chain: String,
    root_id: u64,
    contract: String,
    data: String,
    #[serde(default)]
    data_dropped: bool,
    tx_hash: String,
    log_index: u64,
    block_number: u64,
    record_time: i64,
    delivery_height: u64,
}

fn hex_bytes(field: &str, text: &str) -> Result<Vec<u8>, ClerkError> {
    let digits = text.strip_prefix("0x").ok_or_else(|| {
        ClerkError::InvalidGenesis(format!("{field} {text:?}: expected 0x-prefixed hex"))
    })?;
    hex::decode(digits).map_err(|e| ClerkError::InvalidGenesis(format!("{field} {text:?}: {e}")))
}

fn fixed<const N: usize>(field: &str, text: &str) -> Result<[u8; N], ClerkError> {
    let bytes = hex_bytes(field, text)?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| ClerkError::InvalidGenesis(format!("{field} is {len} bytes, expected {N}")))
}

impl TryFrom<EventRecordJson> for EventRecord {
    type Error = ClerkError;
    fn try_from(j: EventRecordJson) -> Result<Self, Self::Error> {
        Ok(Self {
            contract: fixed("contract", &j.contract)?,
            data: hex_bytes("data", &j.data)?,
            tx_hash: fixed("tx_hash", &j.tx_hash)?,
            id: j.id,
            root_chain: j.root_chain,
            root_id: j.root_id,
            data_dropped: j.data_dropped,
            log_index: j.log_index,
            block_number: j.block_number,
            record_time: j.record_time,
            delivery_height: j.delivery_height,
        })
    }
}

impl From<EventRecord> for EventRecordJson {
    fn from(r: EventRecord) -> Self {
        Self {
            id: r.id,
            root_chain: r.root_chain,
            root_id: r.root_id,
            contract: format!("0x{}", hex::encode(r.contract)),
            data: format!("0x{}", hex::encode(&r.data)),
            data_dropped: r.data_dropped,
            tx_hash: format!("0x{}", hex::encode(r.tx_hash)),
            log_index: r.log_index,
            block_number: r.block_number,
            record_time: r.record_time,
            delivery_height: r.delivery_height,
        }
    }
}

/// An event record on disk (protobuf; deterministic: no maps).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct EventRecordProto {
    /// Global id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Root chain name.
    #[prost(string, tag = "2")]
    pub root_chain: String,
    /// StateSynced id on the root chain.
    #[prost(uint64, tag = "3")]
    pub root_id: u64,
    /// Receiver (20 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub contract: Vec<u8>,
    /// Data (empty when dropped).
    #[prost(bytes = "vec", tag = "5")]
    pub data: Vec<u8>,
    /// Whether the data was dropped for size.
    #[prost(bool, tag = "6")]
    pub data_dropped: bool,
    /// Root-chain tx hash (32 bytes).
    #[prost(bytes = "vec", tag = "7")]
    pub tx_hash: Vec<u8>,
    /// Log index in the root-chain block.
    #[prost(uint64, tag = "8")]
    pub log_index: u64,
    /// Root-chain block number.
    #[prost(uint64, tag = "9")]
    pub block_number: u64,
    /// Delivery block time, Unix seconds.
    #[prost(int64, tag = "10")]
    pub record_time: i64,
    /// Delivery height.
    #[prost(uint64, tag = "11")]
    pub delivery_height: u64,
}

impl From<&EventRecord> for EventRecordProto {
    fn from(r: &EventRecord) -> Self {
        Self {
            id: r.id,
            root_chain: r.root_chain.clone(),
            root_id: r.root_id,
            contract: r.contract.to_vec(),
            data: r.data.clone(),
            data_dropped: r.data_dropped,
            tx_hash: r.tx_hash.to_vec(),
            log_index: r.log_index,
            block_number: r.block_number,
            record_time: r.record_time,
            delivery_height: r.delivery_height,
        }
    }
}

impl TryFrom<EventRecordProto> for EventRecord {
    type Error = StoreError;
    fn try_from(p: EventRecordProto) -> Result<Self, Self::Error> {
        let corrupt = |what: &str, len: usize| {
            StoreError::Backend(format!(
                "corrupt clerk record {}: {what} is {len} bytes",
                p.id
            ))
        };
        Ok(Self {
            contract: p
                .contract
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("contract", p.contract.len()))?,
            tx_hash: p
                .tx_hash
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("tx_hash", p.tx_hash.len()))?,
            id: p.id,
            root_chain: p.root_chain,
            root_id: p.root_id,
            data: p.data,
            data_dropped: p.data_dropped,
            log_index: p.log_index,
            block_number: p.block_number,
            record_time: p.record_time,
            delivery_height: p.delivery_height,
        })
    }
}
