//! Checkpoint genesis: params, the proposer set, and per root chain the ack count, the last
//! end, the committed checkpoints and the buffer.
//!
//! A new chain lists params only: every root chain then starts at checkpoint 1 from BTTC block
//! 0, and the proposer set is built from the active set at the first end of block. A migrated
//! chain may list a chain's `ack_count` and `last_end` with only a tail of its checkpoints (or
//! none). Importing an export reproduces the module's state key for key. The applied marks of
//! the acks' root events belong to the rootchain module's genesis.

use std::collections::BTreeSet;

use delivery_module::{ExecError, Module};
use delivery_rootchain::check_chain_name;
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result};
use crate::params::Params;
use crate::proposer::ProposerSet;
use crate::sign;
use crate::state;
use crate::types::{check_accounts, BufferedCheckpoint, CommittedCheckpoint};

/// One root chain's checkpoint state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainGenesis {
    /// The root chain.
    pub root_chain: String,
    /// Checkpoints acked so far (the last acked number); 0 with no `last_end`.
    #[serde(default)]
    pub ack_count: u64,
    /// The last BTTC block of the last acked checkpoint (absent: none acked, the next starts
    /// at block 0).
    #[serde(default)]
    pub last_end: Option<u64>,
    /// Acked checkpoints, contiguous, ending at number `ack_count` (an export lists them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<CommittedCheckpoint>,
    /// The checkpoint in flight (number `ack_count + 1`, starting at `last_end + 1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<BufferedCheckpoint>,
}

/// The checkpoint section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (mainnet defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// The proposer set with its priorities (empty: built at the first end of block).
    #[serde(default, skip_serializing_if = "is_empty_set")]
    pub proposer: ProposerSet,
    /// Per root chain state, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<ChainGenesis>,
}

fn is_empty_set(set: &ProposerSet) -> bool {
    set.validators.is_empty() && set.proposer.is_none()
}

fn bad<T>(message: String) -> Result<T> {
    Err(CheckpointError::InvalidGenesis(message))
}

fn validate_chain(c: &ChainGenesis) -> Result<()> {
    let name = &c.root_chain;
    match (c.ack_count, c.last_end) {
        (0, Some(end)) => {
            return bad(format!(
                "{name}: last_end {end} with ack_count 0 (nothing acked has no end)"
            ))
        }
        (n, None) if n > 0 => {
            return bad(format!("{name}: ack_count {n} without a last_end"));
        }
        _ => {}
    }
    let mut previous: Option<&CommittedCheckpoint> = None;
    for committed in &c.checkpoints {
        let cp = &committed.checkpoint;
        cp.check().map_err(CheckpointError::InvalidGenesis)?;
        check_accounts(&committed.accounts, &cp.account_root_hash).map_err(|e| {
            CheckpointError::InvalidGenesis(format!("{name}: checkpoint {}: {e}", cp.number))
        })?;
        if &cp.root_chain != name {
            return bad(format!(
                "{name}: checkpoint {} names root chain {}",
                cp.number, cp.root_chain
            ));
        }
        match previous {
            Some(p) => {
                if p.checkpoint.number.checked_add(1) != Some(cp.number) {
                    return bad(format!(
                        "{name}: checkpoint numbers are not contiguous: {} follows {}",
                        cp.number, p.checkpoint.number
                    ));
                }
                if p.checkpoint.end.checked_add(1) != Some(cp.start) {
                    return bad(format!(
                        "{name}: checkpoint {} starts at {}, expected {} (the previous end + 1)",
                        cp.number,
                        cp.start,
                        p.checkpoint.end.saturating_add(1)
                    ));
                }
            }
            None if cp.number == 1 && cp.start != 0 => {
                return bad(format!(
                    "{name}: checkpoint 1 starts at {}, expected 0 (the genesis block)",
                    cp.start
                ));
            }
            None => {}
        }
        previous = Some(committed);
    }
    if let Some(last) = previous {
        if last.checkpoint.number != c.ack_count || Some(last.checkpoint.end) != c.last_end {
            return bad(format!(
                "{name}: the last checkpoint is {} ending at {}, but ack_count is {} and last_end \
                 {:?}",
                last.checkpoint.number, last.checkpoint.end, c.ack_count, c.last_end
            ));
        }
    }
    if let Some(b) = &c.buffer {
        let cp = &b.checkpoint;
        cp.check().map_err(CheckpointError::InvalidGenesis)?;
        check_accounts(&b.accounts, &cp.account_root_hash)
            .map_err(|e| CheckpointError::InvalidGenesis(format!("{name}: buffer: {e}")))?;
        let next_number = c.ack_count.saturating_add(1);
        let next_start = c.last_end.map_or(0, |e| e.saturating_add(1));
        if &cp.root_chain != name || cp.number != next_number || cp.start != next_start {
            return bad(format!(
                "{name}: the buffer is checkpoint {} on {} from {}, expected checkpoint \
                 {next_number} on {name} from {next_start}",
                cp.number, cp.root_chain, cp.start
            ));
        }
        if b.final_height.is_some() != b.final_time.is_some() {
            return bad(format!(
                "{name}: the buffer has only one of final_height and final_time"
            ));
        }
        if b.signatures
            .windows(2)
            .any(|w| matches!(w, [x, y] if x.signer >= y.signer))
        {
            return bad(format!(
                "{name}: buffer signatures are not sorted by signer, one per signer"
            ));
        }
        let hash = cp.sign_hash();
        for s in &b.signatures {
            sign::check(&hash, &s.signer, &s.signature)
                .map_err(|e| CheckpointError::InvalidGenesis(format!("{name}: buffer: {e}")))?;
        }
    }
    Ok(())
}

/// Checks a genesis section (see the module doc).
pub fn validate(genesis: &Genesis) -> Result<()> {
    genesis.params.validate()?;
    genesis
        .proposer
        .check()
        .map_err(|e| CheckpointError::InvalidGenesis(format!("proposer: {e}")))?;
    let mut names = BTreeSet::new();
    for c in &genesis.chains {
        check_chain_name(&c.root_chain)
            .map_err(|e| CheckpointError::InvalidGenesis(format!("chains: {e}")))?;
        if !names.insert(c.root_chain.as_str()) {
            return bad(format!("chains: {} is listed twice", c.root_chain));
        }
        validate_chain(c)?;
    }
    Ok(())
}

/// Writes a genesis section (validated first).
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<()> {
    validate(genesis)?;
    state::set_params(state, &genesis.params)?;
    if !is_empty_set(&genesis.proposer) {
        state::put_proposer_set(state, &genesis.proposer);
    }
    for c in &genesis.chains {
        if c.ack_count > 0 {
            state::set_ack_count(state, &c.root_chain, c.ack_count);
        }
        if let Some(end) = c.last_end {
            state::set_last_end(state, &c.root_chain, end);
        }
        for committed in &c.checkpoints {
            state::put_committed(state, committed);
        }
        if let Some(b) = &c.buffer {
            state::put_buffer(state, b);
        }
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis> {
    let chains = state::chains_with_state(state)?
        .into_iter()
        .map(|name| {
            Ok(ChainGenesis {
                ack_count: state::ack_count(state, &name)?,
                last_end: state::last_end(state, &name)?,
                checkpoints: state::committed_all(state, &name)?,
                buffer: state::buffer(state, &name)?,
                root_chain: name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Genesis {
        params: state::params(state)?,
        proposer: state::proposer_set(state)?,
        chains,
    })
}

/// The checkpoint module.
pub struct CheckpointModule;

impl Module for CheckpointModule {
    const NAME: &'static str = "checkpoint";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        validate(genesis).map_err(|e| e.to_string())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        init(state, genesis).map_err(ExecError::from)
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        export(state).map_err(ExecError::from)
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        crate::query::handle(state, path, data)
    }
}
