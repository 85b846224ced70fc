//! Rootchain genesis: the registry and (in an export) every applied root event.
//!
//! A new chain lists the registry only. An export adds `applied`, so that importing it keeps
//! every root event applied at most once across the restart; importing an export reproduces the
//! module's state key for key.

use std::collections::BTreeSet;

use delivery_module::{ExecError, Module};
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::params::Params;
use crate::state::{self, AppliedEvent};
use crate::{check_chain_name, RootChainError};

/// The rootchain section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The registry (empty when omitted: a dormant registry).
    #[serde(default)]
    pub params: Params,
    /// Root events already applied (export only; a new chain leaves this empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<AppliedEvent>,
}

/// Checks a genesis section: valid params, valid chain names and no duplicate in `applied`.
/// An applied event may name a chain no longer in the registry (its events stay applied).
pub fn validate(genesis: &Genesis) -> Result<(), RootChainError> {
    genesis.params.validate()?;
    let mut seen = BTreeSet::new();
    for a in &genesis.applied {
        check_chain_name(&a.root_chain)
            .map_err(|e| RootChainError::InvalidGenesis(format!("applied event: {e}")))?;
        if !seen.insert(a) {
            return Err(RootChainError::InvalidGenesis(format!(
                "applied event {}:{}:{} is listed twice",
                a.root_chain, a.block_number, a.log_index
            )));
        }
    }
    Ok(())
}

/// Writes a genesis section (validated first).
pub fn init<S: StateWrite + ?Sized>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
    validate(genesis).map_err(ExecError::module)?;
    state::set_params(state, &genesis.params)?;
    for a in &genesis.applied {
        a.to_root_event().mark_applied(state);
    }
    Ok(())
}

/// Reads the module's state back as a genesis section.
pub fn export<S: StateRead + ?Sized>(state: &S) -> Result<Genesis, ExecError> {
    Ok(Genesis {
        params: state::params(state)?,
        applied: state::applied_events(state)?,
    })
}

/// The rootchain module.
pub struct RootChainModule;

impl Module for RootChainModule {
    const NAME: &'static str = "rootchain";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        validate(genesis).map_err(|e| e.to_string())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        init(state, genesis)
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        export(state)
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        crate::query::handle(state, path, data)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::params::tests::sample;
    use crate::RootEvent;
    use delivery_store::{EmptyState, StateDelta};

    fn applied(chain: &str, block: u64, log: u64) -> AppliedEvent {
        AppliedEvent {
            root_chain: chain.into(),
            block_number: block,
            log_index: log,
        }
    }

    #[test]
    fn genesis_round_trips_key_for_key() {
        let genesis = Genesis {
            params: sample(),
            // '/' (0x2f) inside the big-endian numbers must not confuse the key parser.
            applied: vec![
                applied("eth", 0x2f2f, 0x2f),
                applied("eth", 0x2f2f, 0x30),
                applied("eth2", 1, 0),
                applied("tron", u64::MAX, u64::MAX),
            ],
        };
        validate(&genesis).unwrap();
        let mut state = StateDelta::new(EmptyState);
        init(&mut state, &genesis).unwrap();
        let exported = export(&state).unwrap();
        assert_eq!(exported, genesis);
        let json = serde_json::to_string(&exported).unwrap();
        let reread: Genesis = serde_json::from_str(&json).unwrap();
        let mut again = StateDelta::new(EmptyState);
        init(&mut again, &reread).unwrap();
        assert_eq!(again.changes(), state.changes());

        let event = RootEvent {
            root_chain: "eth".into(),
            tx_hash: vec![9; 32],
            block_number: 0x2f2f,
            log_index: 0x30,
        };
        assert!(event.is_applied(&again).unwrap());
    }

    #[test]
    fn empty_genesis_is_a_dormant_registry() {
        let mut state = StateDelta::new(EmptyState);
        init(&mut state, &Genesis::default()).unwrap();
        assert!(state::chains(&state).unwrap().is_empty());
        assert!(state::chain(&state, "eth").unwrap().is_none());
        let parsed: Genesis = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, Genesis::default());
    }

    #[test]
    fn a_genesis_without_root_chain_contracts_still_loads_and_a_zero_one_is_refused() {
        // A genesis written before checkpoints: the chains have no root_chain_contract.
        let text = r#"{"params": {"chains": [
            {"name": "tron", "kind": "tron", "chain_id": 728126428,
             "stake_manager": "0x1111111111111111111111111111111111111111",
             "state_sender": "0x1212121212121212121212121212121212121212",
             "root_chain_manager": "0x1313131313131313131313131313131313131313",
             "confirmations": 19}],
            "staking_chain": "tron"}}"#;
        let old: Genesis = serde_json::from_str(text).unwrap();
        validate(&old).unwrap();
        assert_eq!(old.params.chains[0].root_chain_contract, None);
        let mut state = StateDelta::new(EmptyState);
        init(&mut state, &old).unwrap();
        assert_eq!(export(&state).unwrap(), old);
        assert_eq!(
            state::chain(&state, "tron")
                .unwrap()
                .unwrap()
                .root_chain_contract,
            None
        );

        let mut with = sample();
        with.chains[0].root_chain_contract = Some([0; 20]);
        let zero = Genesis {
            params: with,
            applied: vec![],
        };
        let err = validate(&zero).unwrap_err().to_string();
        assert!(
            err.contains("root_chain_contract is the zero address"),
            "{err}"
        );
        let mut state = StateDelta::new(EmptyState);
        assert!(init(&mut state, &zero).is_err());
        assert!(state.changes().is_empty());
    }

    #[test]
    fn bad_genesis_is_rejected_before_anything_is_written() {
        let dup = Genesis {
            params: sample(),
            applied: vec![applied("eth", 1, 1), applied("eth", 1, 1)],
        };
        assert!(matches!(
            validate(&dup),
            Err(RootChainError::InvalidGenesis(_))
        ));
        let bad_name = Genesis {
            params: sample(),
            applied: vec![applied("ETH", 1, 1)],
        };
        assert!(validate(&bad_name).is_err());
        let mut bad_params = sample();
        bad_params.staking_chain = "bsc".into();
        let mut state = StateDelta::new(EmptyState);
        assert!(init(
            &mut state,
            &Genesis {
                params: bad_params,
                applied: vec![]
            }
        )
        .is_err());
        assert!(state.changes().is_empty());
    }
}
