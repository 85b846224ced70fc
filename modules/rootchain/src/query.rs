//! `custom/rootchain/<path>` queries. Answers are JSON; arguments are path segments.
//!
//! - `params` → the registry (TRON addresses in base58check, others `0x` hex)
//! - `chain/<name>` → one chain's config (with `root_chain_contract`, the checkpoint
//!   contract, when the chain has one); `rootchain/5` if unknown
//! - `applied/<chain>/<block number>/<log index>` → `{root_chain, block_number, log_index,
//!   applied}` (whether that root event was applied)

use delivery_module::ExecError;
use delivery_store::{StateRead, StoreError};
use serde::Serialize;

use crate::{check_chain_name, state, RootChainError, RootEvent};

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ExecError> {
    serde_json::to_vec(value)
        .map_err(|e| ExecError::Fatal(StoreError::Backend(format!("cannot encode answer: {e}"))))
}

fn bad(message: String) -> ExecError {
    ExecError::module(RootChainError::BadQuery(message))
}

fn number(what: &str, text: &str) -> Result<u64, ExecError> {
    text.parse().map_err(|_| {
        bad(format!(
            "{what} {:?}: expected a decimal number",
            text.chars().take(32).collect::<String>()
        ))
    })
}

fn name(text: &str) -> Result<&str, ExecError> {
    check_chain_name(text).map_err(|e| bad(e.to_string()))?;
    Ok(text)
}

/// The answer of `applied/...`.
#[derive(Debug, Serialize)]
pub struct AppliedAnswer {
    /// The root chain.
    pub root_chain: String,
    /// The block number.
    pub block_number: u64,
    /// The log index.
    pub log_index: u64,
    /// Whether the event was applied.
    pub applied: bool,
}

/// Answers `custom/rootchain/<path>`.
pub fn handle<S: StateRead + ?Sized>(
    state: &S,
    path: &str,
    _data: &[u8],
) -> Result<Vec<u8>, ExecError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["params"] => to_json(&state::params(state)?),
        ["chain", chain] => to_json(&state::require_chain(state, name(chain)?)?),
        ["applied", chain, block, log] => {
            let event = RootEvent {
                root_chain: name(chain)?.to_string(),
                tx_hash: vec![0; 32],
                block_number: number("block number", block)?,
                log_index: number("log index", log)?,
            };
            to_json(&AppliedAnswer {
                applied: event.is_applied(state)?,
                root_chain: event.root_chain,
                block_number: event.block_number,
                log_index: event.log_index,
            })
        }
        _ => Err(delivery_module::module::unknown_query("rootchain", path)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::params::tests::sample;
    use crate::tron;
    use delivery_store::{EmptyState, StateDelta};

    fn code(r: Result<Vec<u8>, ExecError>) -> (&'static str, u32) {
        match r {
            Err(ExecError::Rejected(e)) => (e.codespace, e.code),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn queries_answer_params_chains_and_applied_events() {
        let mut state = StateDelta::new(EmptyState);
        state::set_params(&mut state, &sample()).unwrap();
        let event = RootEvent {
            root_chain: "eth".into(),
            tx_hash: vec![1; 32],
            block_number: 77,
            log_index: 3,
        };
        event.mark_applied(&mut state);

        let params: serde_json::Value =
            serde_json::from_slice(&handle(&state, "params", b"").unwrap()).unwrap();
        assert_eq!(params["staking_chain"], "tron");

        let tron_chain: serde_json::Value =
            serde_json::from_slice(&handle(&state, "chain/tron", b"").unwrap()).unwrap();
        assert_eq!(tron_chain["stake_manager"], tron::to_base58(&[0x11; 20]));
        assert_eq!(tron_chain["confirmations"], 19);
        assert_eq!(
            tron_chain["root_chain_contract"],
            tron::to_base58(&[0x14; 20])
        );
        let eth_chain: serde_json::Value =
            serde_json::from_slice(&handle(&state, "chain/eth", b"").unwrap()).unwrap();
        assert_eq!(
            eth_chain["root_chain_contract"],
            format!("0x{}", hex::encode([0x24; 20]))
        );
        assert_eq!(
            serde_json::from_value::<crate::RootChainConfig>(eth_chain).unwrap(),
            sample().chains[1]
        );

        let yes: serde_json::Value =
            serde_json::from_slice(&handle(&state, "applied/eth/77/3", b"").unwrap()).unwrap();
        assert_eq!(yes["applied"], true);
        let no: serde_json::Value =
            serde_json::from_slice(&handle(&state, "applied/eth/77/4", b"").unwrap()).unwrap();
        assert_eq!(no["applied"], false);

        assert_eq!(code(handle(&state, "chain/bsc", b"")), ("rootchain", 5));
        assert_eq!(code(handle(&state, "chain/BSC", b"")), ("rootchain", 8));
        assert_eq!(
            code(handle(&state, "applied/eth/x/3", b"")),
            ("rootchain", 8)
        );
        assert_eq!(code(handle(&state, "applied/eth/1", b"")), ("sdk", 6));
        assert_eq!(code(handle(&state, "nothing", b"")), ("sdk", 6));
    }
}
