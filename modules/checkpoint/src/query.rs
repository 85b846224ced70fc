//! `custom/checkpoint/<path>` queries. Answers are JSON; arguments are path segments (chain
//! names, decimal numbers).
//!
//! - `params` → the params
//! - `latest/<chain>` → the chain's last acked checkpoint ([`crate::CommittedCheckpoint`]), `null` when
//!   none
//! - `checkpoint/<chain>/<number>` → that acked checkpoint (`checkpoint/13` if not stored)
//! - `buffer/<chain>` → [`BufferAnswer`]: the checkpoint in flight with its `sign_data` and
//!   `sign_hash`, `null` when none
//! - `count/<chain>` → [`CountAnswer`]: ack count, last end, next start and number
//! - `signatures/<chain>` → [`SignaturesAnswer`]: the buffered checkpoint's signatures sorted by
//!   signer (what `submitCheckpoint` takes), `null` when nothing is buffered
//! - `proposer` → [`ProposerAnswer`]: the current proposer and the set with priorities
//! - `chains` → [`ChainSummary`] per root chain (the registry's and any with checkpoint state)

use delivery_module::ExecError;
use delivery_rootchain::check_chain_name;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::error::{CheckpointError, Result};
use crate::proposer::ProposerValidator;
use crate::state;
use crate::types::{BufferedCheckpoint, CheckpointSignature};

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| {
        CheckpointError::Store(StoreError::Backend(format!("cannot encode answer: {e}")))
    })
}

fn number(what: &str, text: &str) -> Result<u64> {
    text.parse().map_err(|_| {
        CheckpointError::BadQuery(format!(
            "{what} {:?}: expected a decimal number",
            text.chars().take(32).collect::<String>()
        ))
    })
}

fn name(text: &str) -> Result<&str> {
    check_chain_name(text).map_err(|e| CheckpointError::BadQuery(e.to_string()))?;
    Ok(text)
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The answer of `buffer/<chain>`.
#[derive(Debug, Serialize)]
pub struct BufferAnswer {
    /// The buffered checkpoint.
    #[serde(flatten)]
    pub buffered: BufferedCheckpoint,
    /// Whether it is final.
    pub is_final: bool,
    /// `abi.encode(...)` of the six signed fields (`0x` hex): the `data` of
    /// `submitCheckpoint`.
    pub sign_data: String,
    /// `keccak256(0x01 ‖ sign_data)` (`0x` hex): what validators sign.
    pub sign_hash: String,
}

/// The answer of `count/<chain>`.
#[derive(Debug, Serialize)]
pub struct CountAnswer {
    /// The root chain.
    pub root_chain: String,
    /// Checkpoints acked.
    pub ack_count: u64,
    /// The last acked checkpoint's end (`null`: none yet).
    pub last_end: Option<u64>,
    /// The next checkpoint's start.
    pub next_start: u64,
    /// The next checkpoint's number.
    pub next_number: u64,
}

/// The answer of `signatures/<chain>`.
#[derive(Debug, Serialize)]
pub struct SignaturesAnswer {
    /// The root chain.
    pub root_chain: String,
    /// The buffered checkpoint's number.
    pub number: u64,
    /// Its sign hash.
    pub sign_hash: String,
    /// Whether it is final.
    pub is_final: bool,
    /// Signatures by signer ascending.
    pub signatures: Vec<CheckpointSignature>,
}

/// The answer of `proposer`.
#[derive(Debug, Serialize)]
pub struct ProposerAnswer {
    /// The current proposer (`null` before the first validator set).
    pub proposer: Option<ProposerValidator>,
    /// The set by id with priorities.
    pub validators: Vec<ProposerValidator>,
}

/// A summary of one chain's buffer.
#[derive(Debug, Serialize)]
pub struct BufferSummary {
    /// Number.
    pub number: u64,
    /// Start.
    pub start: u64,
    /// End.
    pub end: u64,
    /// Proposer.
    pub proposer: delivery_module::crypto::Address,
    /// Signatures gathered.
    pub signatures: usize,
    /// Whether it is final.
    pub is_final: bool,
    /// When it was buffered (Delivery block time).
    pub created_time: i64,
}

/// One entry of `chains`.
#[derive(Debug, Serialize)]
pub struct ChainSummary {
    /// The root chain.
    pub root_chain: String,
    /// Checkpoints acked.
    pub ack_count: u64,
    /// The last acked end.
    pub last_end: Option<u64>,
    /// The next start.
    pub next_start: u64,
    /// The checkpoint in flight.
    pub buffer: Option<BufferSummary>,
}

fn count<S: StateRead + ?Sized>(state: &S, chain: &str) -> Result<CountAnswer> {
    Ok(CountAnswer {
        root_chain: chain.to_string(),
        ack_count: state::ack_count(state, chain)?,
        last_end: state::last_end(state, chain)?,
        next_start: state::next_start(state, chain)?,
        next_number: state::next_number(state, chain)?,
    })
}

fn answer<S: StateRead + ?Sized>(state: &S, path: &str) -> Result<Option<Vec<u8>>> {
    let parts: Vec<&str> = path.split('/').collect();
    Ok(Some(match parts.as_slice() {
        ["params"] => to_json(&state::params(state)?)?,
        ["latest", chain] => to_json(&state::latest(state, name(chain)?)?)?,
        ["checkpoint", chain, n] => {
            let chain = name(chain)?;
            let n = number("checkpoint number", n)?;
            let c = state::committed(state, chain, n)?
                .ok_or_else(|| CheckpointError::NotFound(format!("{n} on {chain}")))?;
            to_json(&c)?
        }
        ["buffer", chain] => {
            let b = state::buffer(state, name(chain)?)?.map(|b| BufferAnswer {
                is_final: b.is_final(),
                sign_data: hex(&b.checkpoint.sign_data()),
                sign_hash: hex(&b.checkpoint.sign_hash()),
                buffered: b,
            });
            to_json(&b)?
        }
        ["count", chain] => to_json(&count(state, name(chain)?)?)?,
        ["signatures", chain] => {
            let chain = name(chain)?;
            let s = state::buffer(state, chain)?.map(|b| SignaturesAnswer {
                root_chain: chain.to_string(),
                number: b.checkpoint.number,
                sign_hash: hex(&b.checkpoint.sign_hash()),
                is_final: b.is_final(),
                signatures: b.signatures,
            });
            to_json(&s)?
        }
        ["proposer"] => {
            let set = state::proposer_set(state)?;
            to_json(&ProposerAnswer {
                proposer: set.proposer().copied(),
                validators: set.validators,
            })?
        }
        ["chains"] => {
            let mut names: Vec<String> = delivery_rootchain::chains(state)?
                .into_iter()
                .map(|c| c.name)
                .collect();
            names.extend(state::chains_with_state(state)?);
            names.sort();
            names.dedup();
            let summaries = names
                .iter()
                .map(|chain| {
                    let c = count(state, chain)?;
                    Ok(ChainSummary {
                        root_chain: c.root_chain,
                        ack_count: c.ack_count,
                        last_end: c.last_end,
                        next_start: c.next_start,
                        buffer: state::buffer(state, chain)?.map(|b| BufferSummary {
                            number: b.checkpoint.number,
                            start: b.checkpoint.start,
                            end: b.checkpoint.end,
                            proposer: b.checkpoint.proposer,
                            signatures: b.signatures.len(),
                            is_final: b.is_final(),
                            created_time: b.created_time,
                        }),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            to_json(&summaries)?
        }
        _ => return Ok(None),
    }))
}

/// Answers `custom/checkpoint/<path>`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    _data: &[u8],
) -> Result<Vec<u8>, ExecError> {
    match answer(state, path)? {
        Some(bytes) => Ok(bytes),
        None => Err(delivery_module::module::unknown_query("checkpoint", path)),
    }
}
