//! Reading and writing the checkpoint module's state (the keeper). Keys are in
//! [`crate::state_key`].
//!
//! Records are protobuf (prost, deterministic for these types: no maps); params are JSON like
//! every module's params. A record that fails to decode is a corrupt store: a [`StoreError`],
//! fatal for the node.

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::error::{CheckpointError, Result};
use crate::params::Params;
use crate::proposer::{ProposerSet, ProposerValidator};
use crate::state_key;
use crate::types::{BufferRecord, BufferedCheckpoint, CommittedCheckpoint, CommittedRecord};

/// A proposer-set member on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ProposerValidatorRecord {
    /// Validator id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// 20-byte signer.
    #[prost(bytes = "vec", tag = "2")]
    pub signer: Vec<u8>,
    /// Power.
    #[prost(int64, tag = "3")]
    pub power: i64,
    /// Proposer priority.
    #[prost(int64, tag = "4")]
    pub priority: i64,
}

/// The proposer set on disk.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ProposerSetRecord {
    /// Members by id.
    #[prost(message, repeated, tag = "1")]
    pub validators: Vec<ProposerValidatorRecord>,
    /// The proposer's id.
    #[prost(uint64, optional, tag = "2")]
    pub proposer: Option<u64>,
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::Store(StoreError::Backend(format!(
        "corrupt checkpoint state ({what}): {detail}"
    )))
}

/// The checkpoint params (defaults when genesis did not write them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params> {
    Ok(codec::get_json(state, state_key::PARAMS)?.unwrap_or_else(Params::default))
}

/// Writes the params after validating them (genesis and governance).
pub fn set_params<S: StateWrite + ?Sized>(state: &mut S, params: &Params) -> Result<()> {
    params.validate()?;
    codec::put_json(state, state_key::PARAMS.to_vec(), params)?;
    Ok(())
}

/// The proposer set (empty before the first validator set was seen).
pub fn proposer_set<S: StateRead + ?Sized>(state: &S) -> Result<ProposerSet> {
    let Some(record): Option<ProposerSetRecord> = codec::get(state, state_key::PROPOSER)? else {
        return Ok(ProposerSet::default());
    };
    let validators = record
        .validators
        .into_iter()
        .map(|v| {
            Ok(ProposerValidator {
                id: v.id,
                signer: Address(
                    v.signer
                        .as_slice()
                        .try_into()
                        .map_err(|_| corrupt("proposer signer", hex::encode(&v.signer)))?,
                ),
                power: v.power,
                priority: v.priority,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ProposerSet {
        validators,
        proposer: record.proposer,
    })
}

/// Writes the proposer set.
pub fn put_proposer_set<S: StateWrite + ?Sized>(state: &mut S, set: &ProposerSet) {
    let record = ProposerSetRecord {
        validators: set
            .validators
            .iter()
            .map(|v| ProposerValidatorRecord {
                id: v.id,
                signer: v.signer.as_bytes().to_vec(),
                power: v.power,
                priority: v.priority,
            })
            .collect(),
        proposer: set.proposer,
    };
    codec::put(state, state_key::PROPOSER.to_vec(), &record);
}

/// The current checkpoint proposer's signer, if the set is not empty.
pub fn current_proposer<S: StateRead + ?Sized>(state: &S) -> Result<Option<ProposerValidator>> {
    Ok(proposer_set(state)?.proposer().copied())
}

/// The checkpoint buffered for a root chain, if any.
pub fn buffer<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
) -> Result<Option<BufferedCheckpoint>> {
    let record: Option<BufferRecord> = codec::get(state, &state_key::buffer(root_chain))?;
    record.map(BufferedCheckpoint::try_from).transpose()
}

/// Writes a chain's buffer.
pub fn put_buffer<S: StateWrite + ?Sized>(state: &mut S, buffered: &BufferedCheckpoint) {
    codec::put(
        state,
        state_key::buffer(&buffered.checkpoint.root_chain),
        &BufferRecord::from(buffered),
    );
}

/// Clears a chain's buffer.
pub fn delete_buffer<S: StateWrite + ?Sized>(state: &mut S, root_chain: &str) {
    state.delete_raw(state_key::buffer(root_chain));
}

/// Every buffered checkpoint, by chain name.
pub fn buffers<S: StateRead + ?Sized>(state: &S) -> Result<Vec<BufferedCheckpoint>> {
    state
        .prefix_raw(state_key::BUFFER_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            let record: BufferRecord = prost::Message::decode(value.as_slice())
                .map_err(|e| corrupt(&format!("buffer under {}", hex::encode(&key)), e))?;
            BufferedCheckpoint::try_from(record)
        })
        .collect()
}

/// The acked checkpoint with this number on a root chain, if stored.
pub fn committed<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
    number: u64,
) -> Result<Option<CommittedCheckpoint>> {
    let record: Option<CommittedRecord> =
        codec::get(state, &state_key::committed(root_chain, number))?;
    record.map(CommittedCheckpoint::try_from).transpose()
}

/// Writes an acked checkpoint (moves neither the ack count nor the last end).
pub fn put_committed<S: StateWrite + ?Sized>(state: &mut S, committed: &CommittedCheckpoint) {
    codec::put(
        state,
        state_key::committed(
            &committed.checkpoint.root_chain,
            committed.checkpoint.number,
        ),
        &CommittedRecord::from(committed),
    );
}

/// Every acked checkpoint stored for a root chain, by number.
pub fn committed_all<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
) -> Result<Vec<CommittedCheckpoint>> {
    state
        .prefix_raw(&state_key::committed_prefix(root_chain))?
        .into_iter()
        .map(|(key, value)| {
            let record: CommittedRecord = prost::Message::decode(value.as_slice())
                .map_err(|e| corrupt(&format!("checkpoint under {}", hex::encode(&key)), e))?;
            CommittedCheckpoint::try_from(record)
        })
        .collect()
}

/// A root chain's ack count: how many checkpoints it acked, the number of the last one.
pub fn ack_count<S: StateRead + ?Sized>(state: &S, root_chain: &str) -> Result<u64> {
    Ok(codec::get_u64(state, &state_key::ack_count(root_chain))?.unwrap_or(0))
}

/// Sets a chain's ack count.
pub fn set_ack_count<S: StateWrite + ?Sized>(state: &mut S, root_chain: &str, count: u64) {
    codec::put_u64(state, state_key::ack_count(root_chain), count);
}

/// The last BTTC block of a chain's last acked checkpoint (`None`: nothing acked yet).
pub fn last_end<S: StateRead + ?Sized>(state: &S, root_chain: &str) -> Result<Option<u64>> {
    Ok(codec::get_u64(state, &state_key::last_end(root_chain))?)
}

/// Sets a chain's last end.
pub fn set_last_end<S: StateWrite + ?Sized>(state: &mut S, root_chain: &str, end: u64) {
    codec::put_u64(state, state_key::last_end(root_chain), end);
}

/// The first BTTC block of a chain's next checkpoint: last end + 1, or 0 (the genesis block)
/// before the first.
pub fn next_start<S: StateRead + ?Sized>(state: &S, root_chain: &str) -> Result<u64> {
    match last_end(state, root_chain)? {
        None => Ok(0),
        Some(end) => end
            .checked_add(1)
            .ok_or(CheckpointError::Overflow("next checkpoint start")),
    }
}

/// The number of a chain's next checkpoint: ack count + 1.
pub fn next_number<S: StateRead + ?Sized>(state: &S, root_chain: &str) -> Result<u64> {
    ack_count(state, root_chain)?
        .checked_add(1)
        .ok_or(CheckpointError::Overflow("next checkpoint number"))
}

/// A chain's last acked checkpoint, if any is stored.
pub fn latest<S: StateRead + ?Sized>(
    state: &S,
    root_chain: &str,
) -> Result<Option<CommittedCheckpoint>> {
    match ack_count(state, root_chain)? {
        0 => Ok(None),
        n => committed(state, root_chain, n),
    }
}

fn names_under<S: StateRead + ?Sized>(state: &S, prefix: &[u8]) -> Result<Vec<String>> {
    state
        .prefix_raw(prefix)?
        .into_iter()
        .map(|(key, _)| {
            key.get(prefix.len()..)
                .and_then(|n| std::str::from_utf8(n).ok())
                .map(str::to_string)
                .ok_or_else(|| corrupt("chain key", hex::encode(&key)))
        })
        .collect()
}

/// Every root chain with checkpoint state (an ack count, a last end or a buffer), by name.
pub fn chains_with_state<S: StateRead + ?Sized>(state: &S) -> Result<Vec<String>> {
    let mut names = names_under(state, state_key::ACK_COUNT_PREFIX)?;
    names.extend(names_under(state, state_key::LAST_END_PREFIX)?);
    names.extend(names_under(state, state_key::BUFFER_PREFIX)?);
    names.sort();
    names.dedup();
    Ok(names)
}
