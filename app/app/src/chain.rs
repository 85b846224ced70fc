//! The BTTC chain as Delivery sees it: how a BTTC block travels in a Delivery block (the
//! *payload tx*), how Delivery txs are told apart by their first byte, the record Delivery keeps
//! of every finalized BTTC block, and the checks a payload must pass before any engine is asked.
//!
//! # Tx kinds (first byte)
//!
//! - `0x0a`: a Cosmos `TxRaw` (protobuf field 1, `body_bytes`).
//! - [`PAYLOAD_TX_TAG`] (`0xbb`): a sealed BTTC block, `0xbb ‖ JSON(ExecutablePayload)`. Its
//!   authentication is the producer's seal; it pays no fee.
//! - `0x01..=0x04` (the EIP-2718 types in use: 2930, 1559, 4844, 7702) or `0xc0..=0xff` (a
//!   legacy RLP list): a raw Ethereum transaction, validated by the engine for its pool; never
//!   put into a Delivery block. (`0x0a`, a protobuf field tag, is why typed transactions cannot
//!   be recognised by the whole `0x00..=0x7f` range.)
//! - Anything else goes down the Cosmos path, which refuses it with a decode error.
//!
//! # State
//!
//! `bttc/head` and `bttc/block/<number BE>` → [`BttcBlock`] (JSON). The genesis record (number 0)
//! comes from the app genesis' `bttc` section; without it the chain is dormant and payload txs
//! are refused.
//!
//! `bttc/last_state_id` → u64 (8 bytes BE): the global clerk id of the last state-sync record a
//! finalized BTTC block delivered (absent: 0, none yet). It moves in FinalizeBlock when a
//! payload carrying records is finalized, and travels in the genesis `bttc` section
//! (`last_state_id`). BTTC's StateReceiver keeps the same number as `lastStateId`.
//!
//! # State-sync records
//!
//! The records a BTTC block must carry are [`due_records`]: clerk's records after
//! `bttc/last_state_id`, at most [`MAX_RECORDS_PER_BLOCK`] of them and at most
//! [`MAX_RECORD_BYTES_PER_BLOCK`] of data (the first one always, whatever its size), each as
//! `StateSyncRecord {id: global id, receiver: contract, data}`. A payload must carry exactly
//! those, in order ([`PayloadError::StateSync`] otherwise).

use bttc_engine_api::{ExecutablePayload, H256};
use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

/// First byte of a payload tx.
pub const PAYLOAD_TX_TAG: u8 = 0xbb;
/// Largest payload tx accepted (a full 30 Mgas block of minimal transfers is ~1.5 MiB of JSON).
pub const MAX_PAYLOAD_TX_BYTES: usize = 8 * 1024 * 1024;

/// The largest tx CometBFT's mempool takes by default (`mempool.max_tx_bytes`): a producer
/// keeps its payload tx within it, or the payload never reaches a proposer.
pub const MEMPOOL_MAX_TX_BYTES: usize = 1024 * 1024;

/// The byte budget for a payload's transactions (their total EIP-2718 encoded size) such that
/// the payload tx, with these state-sync records and span commit, stays within `max_tx_bytes`.
///
/// In the JSON encoding a transaction of `n` bytes costs `2n + 5` (hex digits, `0x`, quotes,
/// comma), at most `2.5n` for any real transaction (`n >= 10`); the rest of the payload is
/// measured on a template with every header field at its longest.
pub fn payload_transactions_budget(
    max_tx_bytes: usize,
    records: &[bttc_engine_api::StateSyncRecord],
    span_commit: Option<&bttc_engine_api::SpanCommit>,
) -> u64 {
    let template = longest_payload(Vec::new(), records, span_commit);
    let fixed = encode_payload_tx(&template).len();
    let left = max_tx_bytes.saturating_sub(fixed);
    u64::try_from(left.saturating_mul(2) / 5).unwrap_or(u64::MAX)
}

/// A payload with every header field at its longest encoding, carrying these transactions,
/// records and span commit: the worst case the byte budget is measured on.
fn longest_payload(
    transactions: Vec<bttc_engine_api::Bytes>,
    records: &[bttc_engine_api::StateSyncRecord],
    span_commit: Option<&bttc_engine_api::SpanCommit>,
) -> ExecutablePayload {
    use bttc_engine_api::{Address as EAddress, Bloom, Bytes};
    ExecutablePayload {
        parent_hash: H256([0xff; 32]),
        fee_recipient: EAddress([0xff; 20]),
        state_root: H256([0xff; 32]),
        receipts_root: H256([0xff; 32]),
        logs_bloom: Bloom([0xff; 256]),
        prev_randao: H256([0xff; 32]),
        block_number: u64::MAX,
        gas_limit: u64::MAX,
        gas_used: u64::MAX,
        timestamp: u64::MAX,
        extra_data: Bytes(vec![0xff; 97]),
        base_fee_per_gas: u64::MAX,
        block_hash: H256([0xff; 32]),
        transactions,
        state_sync_records: records.to_vec(),
        span_commit: span_commit.cloned(),
    }
}

const HEAD_KEY: &[u8] = b"bttc/head";
const BLOCK_PREFIX: &[u8] = b"bttc/block/";
const LAST_STATE_ID_KEY: &[u8] = b"bttc/last_state_id";

/// The most state-sync records one BTTC block carries: bor's page size when it fetches the
/// records due for a sprint from Heimdall (`stateFetchLimit = 50`), so a backlog drains at the
/// pace bor's own block production would.
pub const MAX_RECORDS_PER_BLOCK: usize = 50;

/// The most record data (sum of `data` lengths) one BTTC block carries, unless its first record
/// alone is larger: 256 KiB, about 8 records at clerk's default `max_data_bytes` (30,000, as
/// Heimdall's state-sync size limit). Hex doubles it in the payload tx, so the records take at
/// most about half of [`MEMPOOL_MAX_TX_BYTES`] and the block's transactions keep the rest
/// ([`payload_transactions_budget`] gives them what is left).
pub const MAX_RECORD_BYTES_PER_BLOCK: u64 = 256 * 1024;

/// What a Delivery tx is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// A Cosmos `TxRaw` (or bytes that will fail to decode as one).
    Cosmos,
    /// A sealed BTTC block.
    Payload,
    /// A raw Ethereum transaction for the engine's pool.
    Evm,
}

/// Tells a Delivery tx's kind from its first byte.
pub fn classify(tx: &[u8]) -> TxKind {
    match tx.first() {
        Some(&PAYLOAD_TX_TAG) => TxKind::Payload,
        Some(0x01..=0x04) | Some(0xc0..=0xff) => TxKind::Evm,
        _ => TxKind::Cosmos,
    }
}

/// Encodes a sealed payload as a Delivery tx.
pub fn encode_payload_tx(payload: &ExecutablePayload) -> Vec<u8> {
    let mut out = vec![PAYLOAD_TX_TAG];
    // Serializing our own plain struct into a Vec cannot fail.
    if let Ok(json) = serde_json::to_vec(payload) {
        out.extend_from_slice(&json);
    }
    out
}

/// Why a payload tx is refused. Codes are stable (codespace `bttc`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not a payload tx, too large, or not a valid payload encoding.
    #[error("undecodable payload tx: {0}")]
    Decode(String),
    /// The chain has no BTTC genesis record.
    #[error("this chain has no BTTC genesis (no `bttc` section in the app genesis)")]
    Dormant,
    /// The block does not extend Delivery's BTTC head as required.
    #[error("{0}")]
    Sequence(String),
    /// The seal is missing, malformed or not by an eligible producer.
    #[error("{0}")]
    Producer(String),
    /// The system-call inputs differ from what Delivery expects.
    #[error("{0}")]
    SystemCalls(String),
    /// The engine judged the block invalid.
    #[error("the engine refused the block: {0}")]
    Engine(String),
    /// The state-sync records are not exactly the ones due (missing, extra, reordered or
    /// altered).
    #[error("{0}")]
    StateSync(String),
}

impl PayloadError {
    /// The ABCI code (codespace `bttc`).
    pub const fn code(&self) -> u32 {
        match self {
            Self::Decode(_) => 2,
            Self::Dormant => 3,
            Self::Sequence(_) => 4,
            Self::Producer(_) => 5,
            Self::SystemCalls(_) => 6,
            Self::Engine(_) => 7,
            Self::StateSync(_) => 8,
        }
    }
}

/// Decodes a payload tx.
pub fn decode_payload_tx(tx: &[u8]) -> Result<ExecutablePayload, PayloadError> {
    if tx.len() > MAX_PAYLOAD_TX_BYTES {
        return Err(PayloadError::Decode(format!(
            "{} bytes, at most {MAX_PAYLOAD_TX_BYTES}",
            tx.len()
        )));
    }
    match tx.split_first() {
        Some((&PAYLOAD_TX_TAG, body)) => serde_json::from_slice(body)
            .map_err(|e| PayloadError::Decode(format!("not a payload: {e}"))),
        _ => Err(PayloadError::Decode(format!(
            "does not start with 0x{PAYLOAD_TX_TAG:02x}"
        ))),
    }
}

/// Delivery's record of a finalized BTTC block (what the checkpoint module will commit to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BttcBlock {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: H256,
    /// Parent hash.
    pub parent_hash: H256,
    /// Timestamp (seconds).
    pub timestamp: u64,
    /// Transactions root.
    pub transactions_root: H256,
    /// Receipts root.
    pub receipts_root: H256,
    /// State root.
    pub state_root: H256,
    /// The producer who sealed it (zero for genesis).
    pub producer: Address,
    /// The Delivery height that finalized it (0 for genesis).
    pub delivery_height: u64,
}

impl BttcBlock {
    /// The record of a sealed payload finalized at `delivery_height` by `producer`.
    pub fn from_payload(p: &ExecutablePayload, producer: Address, delivery_height: u64) -> Self {
        Self {
            number: p.block_number,
            hash: p.block_hash,
            parent_hash: p.parent_hash,
            timestamp: p.timestamp,
            transactions_root: p.transactions_root(),
            receipts_root: p.receipts_root,
            state_root: p.state_root,
            producer,
            delivery_height,
        }
    }
}

/// The BTTC genesis as the app genesis names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BttcGenesis {
    /// The engine's genesis block hash.
    pub genesis_hash: H256,
    /// Its state root.
    pub genesis_state_root: H256,
    /// Its timestamp.
    pub genesis_timestamp: u64,
}

impl BttcGenesis {
    /// The genesis record.
    pub fn record(&self) -> BttcBlock {
        BttcBlock {
            number: 0,
            hash: self.genesis_hash,
            parent_hash: H256([0; 32]),
            timestamp: self.genesis_timestamp,
            transactions_root: H256([0; 32]),
            receipts_root: H256([0; 32]),
            state_root: self.genesis_state_root,
            producer: Address([0; 20]),
            delivery_height: 0,
        }
    }
}

fn block_key(number: u64) -> Vec<u8> {
    codec::key(&[BLOCK_PREFIX, &codec::be_u64(number)])
}

/// The latest finalized BTTC block, `None` on a dormant chain.
pub fn head<S: StateRead + ?Sized>(state: &S) -> Result<Option<BttcBlock>, StoreError> {
    codec::get_json(state, HEAD_KEY)
}

/// The finalized BTTC block `number`.
pub fn block<S: StateRead + ?Sized>(
    state: &S,
    number: u64,
) -> Result<Option<BttcBlock>, StoreError> {
    codec::get_json(state, &block_key(number))
}

/// Records `block` as finalized and as the head.
pub fn record<S: StateWrite + ?Sized>(state: &mut S, block: &BttcBlock) -> Result<(), StoreError> {
    codec::put_json(state, block_key(block.number), block)?;
    codec::put_json(state, HEAD_KEY.to_vec(), block)
}

/// The global clerk id of the last state-sync record a finalized BTTC block delivered (0: none).
pub fn last_state_id<S: StateRead + ?Sized>(state: &S) -> Result<u64, StoreError> {
    Ok(codec::get_u64(state, LAST_STATE_ID_KEY)?.unwrap_or(0))
}

/// Sets the last delivered state id (FinalizeBlock, genesis import).
pub fn set_last_state_id<S: StateWrite + ?Sized>(state: &mut S, id: u64) {
    codec::put_u64(state, LAST_STATE_ID_KEY.to_vec(), id);
}

/// The state-sync records the next BTTC block must carry, in id order: clerk's records after
/// [`last_state_id`], within [`MAX_RECORDS_PER_BLOCK`] and [`MAX_RECORD_BYTES_PER_BLOCK`].
/// Fails only on unreadable or corrupt state.
pub fn due_records<S: StateRead + ?Sized>(
    state: &S,
) -> Result<Vec<bttc_engine_api::StateSyncRecord>, StoreError> {
    let after = last_state_id(state)?;
    let records = delivery_clerk::records_after(
        state,
        after,
        MAX_RECORDS_PER_BLOCK,
        MAX_RECORD_BYTES_PER_BLOCK,
    )
    .map_err(|e| match e {
        delivery_clerk::ClerkError::Store(s) => s,
        other => StoreError::Backend(format!("reading clerk records after {after}: {other}")),
    })?;
    Ok(records
        .into_iter()
        .map(|r| bttc_engine_api::StateSyncRecord {
            id: r.id,
            receiver: bttc_engine_api::Address(r.contract),
            data: bttc_engine_api::Bytes(r.data),
        })
        .collect())
}

/// Why `found` is not exactly `expected` (`None` when it is).
fn records_mismatch(
    found: &[bttc_engine_api::StateSyncRecord],
    expected: &[bttc_engine_api::StateSyncRecord],
) -> Option<String> {
    if found == expected {
        return None;
    }
    let ids = |rs: &[bttc_engine_api::StateSyncRecord]| {
        let list: Vec<String> = rs.iter().map(|r| r.id.to_string()).collect();
        format!("[{}]", list.join(", "))
    };
    if found.len() != expected.len() || found.iter().zip(expected).any(|(f, e)| f.id != e.id) {
        return Some(format!(
            "state-sync records with ids {} but Delivery expects {}",
            ids(found),
            ids(expected)
        ));
    }
    let altered = found
        .iter()
        .zip(expected)
        .find(|(f, e)| f != e)
        .map(|(f, e)| {
            let what = if f.receiver != e.receiver {
                format!("receiver {} (expected {})", f.receiver, e.receiver)
            } else {
                format!(
                    "{} data bytes that differ from Delivery's {}",
                    f.data.0.len(),
                    e.data.0.len()
                )
            };
            format!("state-sync record {} has {what}", f.id)
        });
    altered.or_else(|| Some("state-sync records differ from Delivery's".into()))
}

/// The outcome of [`check_payload`]: the block record to keep and the seal's signer.
#[derive(Debug, Clone)]
pub struct CheckedPayload {
    /// The record of the block (as it will be stored when finalized).
    pub block: BttcBlock,
    /// The producer recovered from the seal.
    pub producer: Address,
    /// The id of the last state-sync record the block delivers (`None`: it carries none).
    pub last_state_id: Option<u64>,
}

/// Everything Delivery checks about a payload before the engine sees it, against Delivery state
/// at a proposal for `delivery_height` with block time `delivery_time` (seconds):
///
/// - it extends Delivery's BTTC head (number, parent hash) and its hash is the header's hash;
/// - `head.timestamp < timestamp ≤ max(delivery_time, head.timestamp + 1)`;
/// - the seal recovers to `fee_recipient`, a producer eligible for this height now (span
///   schedule and failover);
/// - its span commit is exactly the span starting at this height (or none), and its state-sync
///   records are exactly [`due_records`] (same ids in the same order, receivers and data).
pub fn check_payload<S: StateRead + ?Sized>(
    state: &S,
    p: &ExecutablePayload,
    delivery_height: u64,
    delivery_time: u64,
) -> Result<CheckedPayload, CheckError> {
    let head = head(state)?.ok_or(PayloadError::Dormant)?;
    let next = head.number.checked_add(1).ok_or_else(|| {
        PayloadError::Sequence(format!("BTTC height overflows after {}", head.number))
    })?;
    if p.block_number != next {
        return Err(PayloadError::Sequence(format!(
            "BTTC block {} does not follow Delivery's head {} (expected {next})",
            p.block_number, head.number
        ))
        .into());
    }
    if p.parent_hash != head.hash {
        return Err(PayloadError::Sequence(format!(
            "parent {} is not Delivery's BTTC head {}",
            p.parent_hash, head.hash
        ))
        .into());
    }
    let computed = p.compute_block_hash();
    if p.block_hash != computed {
        return Err(PayloadError::Sequence(format!(
            "block hash {} is not the header's hash {computed}",
            p.block_hash
        ))
        .into());
    }
    let latest_allowed = delivery_time.max(head.timestamp.saturating_add(1));
    if p.timestamp <= head.timestamp || p.timestamp > latest_allowed {
        return Err(PayloadError::Sequence(format!(
            "timestamp {} outside ({}, {latest_allowed}]",
            p.timestamp, head.timestamp
        ))
        .into());
    }
    let author = p
        .recover_author()
        .map_err(|e| PayloadError::Producer(format!("bad seal: {e}")))?;
    if author != p.fee_recipient {
        return Err(PayloadError::Producer(format!(
            "sealed by {author}, but the fee recipient is {}",
            p.fee_recipient
        ))
        .into());
    }
    let producer = Address(author.0);
    delivery_span::check_bttc_block(state, next, &producer, delivery_height)
        .map_err(|e| span_error(e, PayloadError::Producer))?;
    let expected_span = delivery_span::span_commit_at(state, next)
        .map_err(|e| span_error(e, PayloadError::SystemCalls))?;
    if p.span_commit != expected_span {
        return Err(PayloadError::SystemCalls(format!(
            "span commit {} but Delivery expects {}",
            describe_span(p.span_commit.as_ref()),
            describe_span(expected_span.as_ref())
        ))
        .into());
    }
    let expected_records = due_records(state)?;
    if let Some(why) = records_mismatch(&p.state_sync_records, &expected_records) {
        return Err(PayloadError::StateSync(why).into());
    }
    Ok(CheckedPayload {
        block: BttcBlock::from_payload(p, producer, delivery_height),
        producer,
        last_state_id: expected_records.last().map(|r| r.id),
    })
}

fn describe_span(s: Option<&bttc_engine_api::SpanCommit>) -> String {
    s.map_or_else(
        || "none".to_owned(),
        |s| format!("span {} [{}, {}]", s.id, s.start_block, s.end_block),
    )
}

/// A failed [`check_payload`]: a verdict on the payload, or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The payload is refused.
    #[error(transparent)]
    Rejected(#[from] PayloadError),
    /// State could not be read (fatal).
    #[error("reading state: {0}")]
    Store(#[from] StoreError),
}

fn span_error(e: delivery_span::SpanError, kind: fn(String) -> PayloadError) -> CheckError {
    match e {
        delivery_span::SpanError::Store(s) => CheckError::Store(s),
        other => CheckError::Rejected(kind(other.to_string())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_filled_to_its_transactions_budget_fits_the_mempool() {
        use bttc_engine_api::{Address as EAddress, Bytes, StateSyncRecord};
        let records: Vec<StateSyncRecord> = (1..=3)
            .map(|id| StateSyncRecord {
                id,
                receiver: EAddress([0xee; 20]),
                data: Bytes(vec![0xab; 20_000]),
            })
            .collect();
        for recs in [&[][..], &records[..]] {
            let budget = payload_transactions_budget(MEMPOOL_MAX_TX_BYTES, recs, None);
            assert!(budget > 300_000, "{budget}");
            // Smallest real txs (the worst JSON overhead per byte) up to the budget.
            for size in [10usize, 85, 110, 5_000] {
                let count = usize::try_from(budget).unwrap() / size;
                let payload = longest_payload(vec![Bytes(vec![0xff; size]); count], recs, None);
                let len = encode_payload_tx(&payload).len();
                assert!(len <= MEMPOOL_MAX_TX_BYTES, "{size}-byte txs: {len} bytes");
            }
        }
        // Records take their share of the budget.
        assert!(
            payload_transactions_budget(MEMPOOL_MAX_TX_BYTES, &records, None)
                < payload_transactions_budget(MEMPOOL_MAX_TX_BYTES, &[], None)
        );
        assert_eq!(payload_transactions_budget(100, &[], None), 0);
    }

    #[test]
    fn tx_kinds_are_told_apart_by_the_first_byte() {
        assert_eq!(classify(&[0x0a, 1, 2]), TxKind::Cosmos);
        assert_eq!(classify(&[PAYLOAD_TX_TAG]), TxKind::Payload);
        assert_eq!(classify(&[0x02, 0xf8]), TxKind::Evm);
        assert_eq!(classify(&[0xf8, 0x6b]), TxKind::Evm);
        assert_eq!(classify(&[]), TxKind::Cosmos);
        assert_eq!(classify(&[0x80]), TxKind::Cosmos);
    }

    #[test]
    fn payload_txs_round_trip_and_garbage_is_refused() {
        let p = ExecutablePayload {
            parent_hash: H256([1; 32]),
            fee_recipient: bttc_engine_api::Address([2; 20]),
            state_root: H256([3; 32]),
            receipts_root: H256([4; 32]),
            logs_bloom: bttc_engine_api::Bloom([0; 256]),
            prev_randao: H256([0; 32]),
            block_number: 7,
            gas_limit: 30_000_000,
            gas_used: 0,
            timestamp: 9,
            extra_data: bttc_engine_api::Bytes(vec![0; 97]),
            base_fee_per_gas: 1,
            block_hash: H256([5; 32]),
            transactions: vec![bttc_engine_api::Bytes(vec![0x02, 0x01])],
            state_sync_records: Vec::new(),
            span_commit: None,
        };
        let tx = encode_payload_tx(&p);
        assert_eq!(classify(&tx), TxKind::Payload);
        assert_eq!(decode_payload_tx(&tx).unwrap(), p);
        assert!(matches!(
            decode_payload_tx(&[PAYLOAD_TX_TAG, b'{']),
            Err(PayloadError::Decode(_))
        ));
        assert!(matches!(
            decode_payload_tx(&[0x0a]),
            Err(PayloadError::Decode(_))
        ));
        let mut huge = vec![PAYLOAD_TX_TAG];
        huge.resize(MAX_PAYLOAD_TX_BYTES + 1, b' ');
        assert!(matches!(
            decode_payload_tx(&huge),
            Err(PayloadError::Decode(_))
        ));
    }
}
