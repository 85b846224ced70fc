//! The checkpoint and what the module keeps around it: the buffered (in-flight) checkpoint with
//! its signatures, the committed (acked) checkpoint, and a member of the validator set as the
//! app hands it in. Domain types here, their protobuf records for the store below.
//!
//! In JSON, hashes are `0x` + 64 hex digits, signatures `0x` + 130 hex digits, addresses `0x` +
//! 40 hex digits; numbers are JSON numbers.

use delivery_module::crypto::Address;
use delivery_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result};
use crate::merkle::Hash;

/// Serde for `[u8; 32]` as `0x` hex.
pub mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `0x` + 64 hex digits.
    pub fn serialize<S: Serializer>(value: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(value)))
    }

    /// Reads `0x` + 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hex::<32>(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for `[u8; 65]` (a signature) as `0x` hex.
pub mod hex65 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `0x` + 130 hex digits.
    pub fn serialize<S: Serializer>(value: &[u8; 65], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(value)))
    }

    /// Reads `0x` + 130 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 65], D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hex::<65>(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses `0x` + `2 * N` hex digits.
pub fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], String> {
    let digits = s.strip_prefix("0x").ok_or_else(|| {
        format!(
            "{s:?}: expected 0x followed by {} hex digits",
            N.saturating_mul(2)
        )
    })?;
    let bytes = hex::decode(digits).map_err(|e| format!("{s:?}: not hex: {e}"))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{s:?}: expected {N} bytes, got {}", bytes.len()))
}

/// A checkpoint: a Merkle root over BTTC blocks `start..=end`, for one root chain.
///
/// The six fields the validators sign are `proposer, start, end, root_hash, account_root_hash,
/// bttc_chain_id` ([`Checkpoint::sign_data`]); `number` and `root_chain` say where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The checkpoint's number on its root chain (1, 2, ...: the root contract's
    /// `headerBlockId`).
    pub number: u64,
    /// The root chain it is for.
    pub root_chain: String,
    /// The proposer's signer address.
    pub proposer: Address,
    /// The first BTTC block covered.
    pub start: u64,
    /// The last BTTC block covered (inclusive).
    pub end: u64,
    /// The root over the blocks' leaves.
    #[serde(with = "hex32")]
    pub root_hash: Hash,
    /// The root over the validator set when the checkpoint was made (zero when unknown: a
    /// checkpoint acked from the root chain that Delivery no longer buffered).
    #[serde(with = "hex32")]
    pub account_root_hash: Hash,
    /// The BTTC chain id.
    pub bttc_chain_id: u64,
}

impl Checkpoint {
    /// Format checks: a valid chain name, `number > 0`, `start <= end`.
    pub fn check(&self) -> Result<(), String> {
        delivery_rootchain::check_chain_name(&self.root_chain).map_err(|e| e.to_string())?;
        if self.number == 0 {
            return Err(format!(
                "checkpoint on {}: number 0 (numbers start at 1)",
                self.root_chain
            ));
        }
        if self.end < self.start {
            return Err(format!(
                "checkpoint {} on {}: end {} is before start {}",
                self.number, self.root_chain, self.end, self.start
            ));
        }
        Ok(())
    }

    /// How many BTTC blocks it covers.
    pub fn len(&self) -> u64 {
        self.end
            .checked_sub(self.start)
            .and_then(|d| d.checked_add(1))
            .unwrap_or(0)
    }

    /// Whether it covers no block (never, for a checked checkpoint).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A validator as a checkpoint's account root commits to it: the leaf
/// `keccak256(abi.encode(signer, power))`. A checkpoint keeps its set sorted by signer, what
/// `RootChain.updateValidators(signers, powers)` takes once the checkpoint is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The validator's signer address.
    pub signer: Address,
    /// Its voting power (> 0).
    pub power: u64,
}

/// Checks an account set a checkpoint keeps: signers strictly ascending, powers > 0, and its
/// root equal to `account_root`. An empty set is accepted (unknown: a checkpoint acked from
/// the root chain without a buffer).
pub fn check_accounts(accounts: &[Account], account_root: &Hash) -> Result<(), String> {
    if accounts.is_empty() {
        return Ok(());
    }
    if let Some(pair) = accounts
        .windows(2)
        .find(|w| matches!(w, [a, b] if a.signer >= b.signer))
    {
        let signer = pair.get(1).map_or(Address([0; 20]), |a| a.signer);
        return Err(format!(
            "accounts: signer {signer} is not above the one before it (expected strictly \
             ascending signers)"
        ));
    }
    if let Some(a) = accounts.iter().find(|a| a.power == 0) {
        return Err(format!("accounts: signer {} has power 0", a.signer));
    }
    let pairs: Vec<(Address, u64)> = accounts.iter().map(|a| (a.signer, a.power)).collect();
    let root = crate::merkle::account_root(&pairs).map_err(|e| e.to_string())?;
    if &root != account_root {
        return Err(format!(
            "accounts: their root 0x{} is not the account root 0x{}",
            hex::encode(root),
            hex::encode(account_root)
        ));
    }
    Ok(())
}

/// One validator's signature over a checkpoint's sign hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSignature {
    /// The signer address it recovers to.
    pub signer: Address,
    /// `r ‖ s ‖ v`, v in {27, 28}, low s.
    #[serde(with = "hex65")]
    pub signature: [u8; 65],
}

/// The checkpoint in flight on a root chain: made at the end of a block, signed in vote
/// extensions until final, then submitted and acked (or dropped by a no-ack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The Delivery height that made it.
    pub created_height: u64,
    /// The Delivery block time that made it (Unix seconds).
    pub created_time: i64,
    /// Signatures received, sorted by signer ascending, one per signer (the order the root
    /// contract wants them in).
    #[serde(default)]
    pub signatures: Vec<CheckpointSignature>,
    /// The Delivery height at which signers of more than 2/3 of the power had signed.
    #[serde(default)]
    pub final_height: Option<u64>,
    /// The Delivery block time of `final_height`.
    #[serde(default)]
    pub final_time: Option<i64>,
    /// The validator set the account root commits to, sorted by signer: what the bridge
    /// hands to `RootChain.updateValidators` once the checkpoint is accepted.
    #[serde(default)]
    pub accounts: Vec<Account>,
}

impl BufferedCheckpoint {
    /// Whether more than 2/3 of the power signed.
    pub fn is_final(&self) -> bool {
        self.final_height.is_some()
    }
}

/// An acked checkpoint, as committed on Delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommittedCheckpoint {
    /// The checkpoint as the root chain accepted it.
    pub checkpoint: Checkpoint,
    /// The Delivery height of the ack.
    pub acked_height: u64,
    /// The Delivery block time of the ack (Unix seconds).
    pub acked_time: i64,
    /// True when the ack matched Delivery's buffered checkpoint; false when the root chain
    /// accepted a checkpoint Delivery no longer buffered (dropped by a no-ack after it was
    /// submitted): then `account_root_hash` is zero (unknown here).
    pub matched_buffer: bool,
    /// The validator set the account root commits to, sorted by signer (the buffer's); empty
    /// when unknown (`matched_buffer` false).
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// A member of the active validator set as the app hands it in (staking's active set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    /// Validator id.
    pub id: u64,
    /// Its signer address.
    pub signer: Address,
    /// Its voting power (> 0).
    pub power: u64,
}

/// Checks a validator set: non-empty ids, signers distinct, powers > 0, total power within
/// [`crate::proposer::MAX_TOTAL_POWER`]. Returns the total power.
pub fn check_set(set: &[SetMember]) -> Result<u64> {
    let mut ids: Vec<u64> = set.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| matches!(w, [a, b] if a == b)) {
        return Err(CheckpointError::InvalidSet(format!(
            "validator id {} is listed twice",
            pair.first().copied().unwrap_or(0)
        )));
    }
    let mut signers: Vec<Address> = set.iter().map(|m| m.signer).collect();
    signers.sort_unstable();
    if let Some(pair) = signers.windows(2).find(|w| matches!(w, [a, b] if a == b)) {
        return Err(CheckpointError::InvalidSet(format!(
            "signer {} is listed twice",
            pair.first().copied().unwrap_or(Address([0; 20]))
        )));
    }
    let mut total: u64 = 0;
    for m in set {
        if m.power == 0 {
            return Err(CheckpointError::InvalidSet(format!(
                "validator {} has power 0",
                m.id
            )));
        }
        total = total
            .checked_add(m.power)
            .ok_or(CheckpointError::Overflow("total power"))?;
    }
    let max = crate::proposer::MAX_TOTAL_POWER.unsigned_abs();
    if total > max {
        return Err(CheckpointError::InvalidSet(format!(
            "total power {total} is above the maximum {max}"
        )));
    }
    Ok(total)
}

// ---- store records (protobuf) ----

/// A checkpoint on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CheckpointRecord {
    /// Number.
    #[prost(uint64, tag = "1")]
    pub number: u64,
    /// Root chain.
    #[prost(string, tag = "2")]
    pub root_chain: String,
    /// 20-byte proposer.
    #[prost(bytes = "vec", tag = "3")]
    pub proposer: Vec<u8>,
    /// Start.
    #[prost(uint64, tag = "4")]
    pub start: u64,
    /// End.
    #[prost(uint64, tag = "5")]
    pub end: u64,
    /// 32-byte root hash.
    #[prost(bytes = "vec", tag = "6")]
    pub root_hash: Vec<u8>,
    /// 32-byte account root hash.
    #[prost(bytes = "vec", tag = "7")]
    pub account_root_hash: Vec<u8>,
    /// BTTC chain id.
    #[prost(uint64, tag = "8")]
    pub bttc_chain_id: u64,
}

/// A signature on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SignatureRecord {
    /// 20-byte signer.
    #[prost(bytes = "vec", tag = "1")]
    pub signer: Vec<u8>,
    /// 65-byte signature.
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
}

/// An account (signer, power) on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct AccountRecord {
    /// 20-byte signer.
    #[prost(bytes = "vec", tag = "1")]
    pub signer: Vec<u8>,
    /// Power.
    #[prost(uint64, tag = "2")]
    pub power: u64,
}

/// A buffered checkpoint on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct BufferRecord {
    /// The checkpoint.
    #[prost(message, optional, tag = "1")]
    pub checkpoint: Option<CheckpointRecord>,
    /// Created at height.
    #[prost(uint64, tag = "2")]
    pub created_height: u64,
    /// Created at time.
    #[prost(int64, tag = "3")]
    pub created_time: i64,
    /// Signatures by signer.
    #[prost(message, repeated, tag = "4")]
    pub signatures: Vec<SignatureRecord>,
    /// Final at height.
    #[prost(uint64, optional, tag = "5")]
    pub final_height: Option<u64>,
    /// Final at time.
    #[prost(int64, optional, tag = "6")]
    pub final_time: Option<i64>,
    /// The account set, by signer.
    #[prost(message, repeated, tag = "7")]
    pub accounts: Vec<AccountRecord>,
}

/// A committed checkpoint on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CommittedRecord {
    /// The checkpoint.
    #[prost(message, optional, tag = "1")]
    pub checkpoint: Option<CheckpointRecord>,
    /// Acked at height.
    #[prost(uint64, tag = "2")]
    pub acked_height: u64,
    /// Acked at time.
    #[prost(int64, tag = "3")]
    pub acked_time: i64,
    /// Whether the ack matched the buffer.
    #[prost(bool, tag = "4")]
    pub matched_buffer: bool,
    /// The account set, by signer (empty: unknown).
    #[prost(message, repeated, tag = "5")]
    pub accounts: Vec<AccountRecord>,
}

fn account_records(accounts: &[Account]) -> Vec<AccountRecord> {
    accounts
        .iter()
        .map(|a| AccountRecord {
            signer: a.signer.as_bytes().to_vec(),
            power: a.power,
        })
        .collect()
}

fn accounts_from(records: &[AccountRecord]) -> Result<Vec<Account>> {
    records
        .iter()
        .map(|a| {
            Ok(Account {
                signer: Address(array("account signer", &a.signer)?),
                power: a.power,
            })
        })
        .collect()
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Store(StoreError::Backend(format!(
        "corrupt checkpoint state ({what}): {detail}"
    )))
}

fn array<const N: usize>(what: &str, bytes: &[u8]) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| corrupt(what, format!("{} bytes, expected {N}", bytes.len())))
}

impl From<&Checkpoint> for CheckpointRecord {
    fn from(c: &Checkpoint) -> Self {
        Self {
            number: c.number,
            root_chain: c.root_chain.clone(),
            proposer: c.proposer.as_bytes().to_vec(),
            start: c.start,
            end: c.end,
            root_hash: c.root_hash.to_vec(),
            account_root_hash: c.account_root_hash.to_vec(),
            bttc_chain_id: c.bttc_chain_id,
        }
    }
}

impl TryFrom<CheckpointRecord> for Checkpoint {
    type Error = CheckpointError;
    fn try_from(r: CheckpointRecord) -> Result<Self> {
        Ok(Self {
            number: r.number,
            root_chain: r.root_chain,
            proposer: Address(array("proposer", &r.proposer)?),
            start: r.start,
            end: r.end,
            root_hash: array("root_hash", &r.root_hash)?,
            account_root_hash: array("account_root_hash", &r.account_root_hash)?,
            bttc_chain_id: r.bttc_chain_id,
        })
    }
}

impl From<&BufferedCheckpoint> for BufferRecord {
    fn from(b: &BufferedCheckpoint) -> Self {
        Self {
            checkpoint: Some((&b.checkpoint).into()),
            created_height: b.created_height,
            created_time: b.created_time,
            signatures: b
                .signatures
                .iter()
                .map(|s| SignatureRecord {
                    signer: s.signer.as_bytes().to_vec(),
                    signature: s.signature.to_vec(),
                })
                .collect(),
            final_height: b.final_height,
            final_time: b.final_time,
            accounts: account_records(&b.accounts),
        }
    }
}

impl TryFrom<BufferRecord> for BufferedCheckpoint {
    type Error = CheckpointError;
    fn try_from(r: BufferRecord) -> Result<Self> {
        let checkpoint = r
            .checkpoint
            .ok_or_else(|| corrupt("buffer", "checkpoint missing"))?
            .try_into()?;
        let signatures = r
            .signatures
            .iter()
            .map(|s| {
                Ok(CheckpointSignature {
                    signer: Address(array("signature signer", &s.signer)?),
                    signature: array("signature", &s.signature)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            checkpoint,
            created_height: r.created_height,
            created_time: r.created_time,
            signatures,
            final_height: r.final_height,
            final_time: r.final_time,
            accounts: accounts_from(&r.accounts)?,
        })
    }
}

impl From<&CommittedCheckpoint> for CommittedRecord {
    fn from(c: &CommittedCheckpoint) -> Self {
        Self {
            checkpoint: Some((&c.checkpoint).into()),
            acked_height: c.acked_height,
            acked_time: c.acked_time,
            matched_buffer: c.matched_buffer,
            accounts: account_records(&c.accounts),
        }
    }
}

impl TryFrom<CommittedRecord> for CommittedCheckpoint {
    type Error = CheckpointError;
    fn try_from(r: CommittedRecord) -> Result<Self> {
        Ok(Self {
            checkpoint: r
                .checkpoint
                .ok_or_else(|| corrupt("committed checkpoint", "checkpoint missing"))?
                .try_into()?,
            acked_height: r.acked_height,
            acked_time: r.acked_time,
            matched_buffer: r.matched_buffer,
            accounts: accounts_from(&r.accounts)?,
        })
    }
}
