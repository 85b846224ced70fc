//! Root chains as Delivery sees them.
//!
//! - [`RootChainKind`]: what a root chain is (TRON, Ethereum, BNB Chain); it decides how its
//!   addresses are shown ([`tron`] base58check for TRON, `0x` hex for the others).
//! - [`RootEvent`]: the reference every side message carries to the root-chain log it claims
//!   (root chain name, tx hash, block number, log index). A root event is applied at most once,
//!   ever: [`RootEvent::mark_applied`] records `(root chain, block number, log index)`, which is
//!   unique on an EVM chain because `logIndex` counts logs within the block.
//! - The **registry** ([`Params`], chain state, changeable by governance through
//!   [`set_params`]): every root chain `{name, kind, chain_id, stake_manager (staking chain
//!   only), state_sender, root_chain_manager, root_chain_contract (the checkpoint contract;
//!   optional), confirmations}` and `staking_chain`. Other modules
//!   read it through [`chain`], [`chains`], [`staking_chain`] and [`require_chain`]. RPC URLs
//!   are node configuration, not state. See `docs/modules/rootchain.md`.
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! - `rootchain/params` → [`Params`] (JSON).
//! - `rootchain/applied/<root chain>/<block number be u64>/<log index be u64>` → empty.
//!
//! Msgs: none (the registry changes by genesis or governance). Events: none. Queries:
//! [`query`]. Errors: [`RootChainError`], codespace `rootchain`.
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `rootchain: delivery_rootchain::Genesis` to the app genesis (serde
//!   default: an empty, dormant registry) and call [`RootChainModule`]'s `validate_genesis` /
//!   `init_genesis` / `export_genesis` like span. Init it **before** any module whose genesis or
//!   messages read the registry (staking, clerk). The export carries the applied set.
//! - **Queries**: route `custom/rootchain/<path>` to [`RootChainModule`]'s `query`.
//! - **Governance**: a param change calls [`set_params`] (it validates; a rejection leaves
//!   state untouched).
//! - **Bridge**: reads [`chain`]`(state, name)` for the contract addresses and `confirmations`
//!   of the chain a side message names; the RPC endpoint per chain name comes from node config.

pub mod genesis;
pub mod params;
pub mod query;
pub mod state;
pub mod state_key;
pub mod tron;

pub use genesis::{Genesis, RootChainModule};
pub use params::{Params, RootChainConfig};
pub use state::{
    applied_events, chain, chains, require_chain, set_params, staking_chain, AppliedEvent,
};

use delivery_module::codec;
use delivery_module::{ErrorCode, ExecError, TxError};
use delivery_store::{StateRead, StateWrite};

/// Key prefix of the applied-events set.
pub const APPLIED_PREFIX: &[u8] = b"rootchain/applied/";

/// Longest root chain name.
pub const MAX_CHAIN_NAME: usize = 16;

/// What a root chain is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RootChainKind {
    /// TRON (addresses in base58check with the 0x41 prefix; Ethereum-compatible JSON-RPC).
    Tron,
    /// Ethereum.
    Eth,
    /// BNB Smart Chain.
    Bsc,
}

impl RootChainKind {
    /// How an address on this chain is shown: base58check on TRON, `0x` hex elsewhere.
    pub fn display_address(self, address: &[u8; 20]) -> String {
        match self {
            RootChainKind::Tron => tron::to_base58(address),
            RootChainKind::Eth | RootChainKind::Bsc => format!("0x{}", hex::encode(address)),
        }
    }
}

impl std::str::FromStr for RootChainKind {
    type Err = RootChainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tron" => Ok(Self::Tron),
            "eth" => Ok(Self::Eth),
            "bsc" => Ok(Self::Bsc),
            other => Err(RootChainError::Invalid(format!(
                "root chain type {other:?}: expected tron, eth or bsc"
            ))),
        }
    }
}

impl std::fmt::Display for RootChainKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RootChainKind::Tron => "tron",
            RootChainKind::Eth => "eth",
            RootChainKind::Bsc => "bsc",
        })
    }
}

/// Errors of the rootchain module (codespace `rootchain`; codes are append-only).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RootChainError {
    /// A field is malformed.
    #[error("invalid root event: {0}")]
    Invalid(String),
    /// The root event was applied before.
    #[error("root event {0} was already applied")]
    AlreadyApplied(String),
    /// An address is neither `0x` hex nor TRON base58check.
    #[error("invalid root-chain address {0:?}: expected 0x + 40 hex digits, 41 + 40 hex digits, or TRON base58check (T...)")]
    BadAddress(String),
    /// The named root chain is not in the registry.
    #[error("unknown root chain {0}")]
    UnknownChain(String),
    /// The registry breaks a rule.
    #[error("invalid rootchain params: {0}")]
    InvalidParams(String),
    /// The genesis section is inconsistent.
    #[error("invalid rootchain genesis: {0}")]
    InvalidGenesis(String),
    /// A query argument is malformed.
    #[error("bad query argument: {0}")]
    BadQuery(String),
}

impl ErrorCode for RootChainError {
    const CODESPACE: &'static str = "rootchain";
    fn code(&self) -> u32 {
        match self {
            RootChainError::Invalid(_) => 2,
            RootChainError::AlreadyApplied(_) => 3,
            RootChainError::BadAddress(_) => 4,
            RootChainError::UnknownChain(_) => 5,
            RootChainError::InvalidParams(_) => 6,
            RootChainError::InvalidGenesis(_) => 7,
            RootChainError::BadQuery(_) => 8,
        }
    }
}

/// Checks a root chain name: 1-16 lowercase ASCII letters or digits (e.g. `tron`, `eth`).
pub fn check_chain_name(name: &str) -> Result<(), RootChainError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_CHAIN_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(RootChainError::Invalid(format!(
            "root chain {name:?} must be 1-{MAX_CHAIN_NAME} lowercase letters or digits"
        )))
    }
}

/// Parses a root-chain address: `0x` + 40 hex digits, `41` + 40 hex digits (TRON hex form),
/// or TRON base58check (`T...`).
pub fn parse_address(s: &str) -> Result<[u8; 20], RootChainError> {
    let bad = || RootChainError::BadAddress(s.to_string());
    if let Some(digits) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return hex20(digits).ok_or_else(bad);
    }
    if s.len() == 42 && s.starts_with("41") {
        return s.get(2..).and_then(hex20).ok_or_else(bad);
    }
    tron::from_base58(s).map_err(|_| bad())
}

fn hex20(digits: &str) -> Option<[u8; 20]> {
    if digits.len() != 40 {
        return None;
    }
    let bytes = hex::decode(digits).ok()?;
    bytes.try_into().ok()
}

/// The root-chain log a side message claims.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct RootEvent {
    /// The root chain's name (`tron`, `eth`, `bsc`, ...).
    #[prost(string, tag = "1")]
    pub root_chain: String,
    /// The root-chain transaction hash (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub tx_hash: Vec<u8>,
    /// The block the transaction is in.
    #[prost(uint64, tag = "3")]
    pub block_number: u64,
    /// The log's `logIndex` (its position among the block's logs).
    #[prost(uint64, tag = "4")]
    pub log_index: u64,
}

impl RootEvent {
    /// Format checks (no state).
    pub fn check_stateless(&self) -> Result<(), TxError> {
        check_chain_name(&self.root_chain).map_err(|e| TxError::from_module(&e))?;
        if self.tx_hash.len() != 32 {
            return Err(TxError::from_module(&RootChainError::Invalid(format!(
                "tx_hash must be 32 bytes, got {}",
                self.tx_hash.len()
            ))));
        }
        Ok(())
    }

    /// The once-only key: `(root chain, block number, log index)`.
    pub fn applied_key(&self) -> Vec<u8> {
        codec::key(&[
            APPLIED_PREFIX,
            self.root_chain.as_bytes(),
            b"/",
            &codec::be_u64(self.block_number),
            b"/",
            &codec::be_u64(self.log_index),
        ])
    }

    /// `chain:0xhash:block:log` for messages and logs.
    pub fn describe(&self) -> String {
        format!(
            "{}:0x{}:{}:{}",
            self.root_chain,
            hex::encode(&self.tx_hash),
            self.block_number,
            self.log_index
        )
    }

    /// Whether the event was applied before.
    pub fn is_applied<S: StateRead + ?Sized>(&self, state: &S) -> Result<bool, ExecError> {
        Ok(state.get_raw(&self.applied_key())?.is_some())
    }

    /// Rejects an event applied before.
    pub fn check_not_applied<S: StateRead + ?Sized>(&self, state: &S) -> Result<(), ExecError> {
        if self.is_applied(state)? {
            return Err(ExecError::module(RootChainError::AlreadyApplied(
                self.describe(),
            )));
        }
        Ok(())
    }

    /// Records the event as applied.
    pub fn mark_applied<S: StateWrite + ?Sized>(&self, state: &mut S) {
        state.put_raw(self.applied_key(), Vec::new());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use delivery_store::{EmptyState, StateDelta};

    fn event(log_index: u64) -> RootEvent {
        RootEvent {
            root_chain: "eth".into(),
            tx_hash: vec![7; 32],
            block_number: 12,
            log_index,
        }
    }

    #[test]
    fn an_event_is_applied_once_keyed_by_chain_block_and_log() {
        let mut state = StateDelta::new(EmptyState);
        let e = event(3);
        e.check_not_applied(&state).unwrap();
        e.mark_applied(&mut state);
        assert!(e.check_not_applied(&state).is_err());
        // Another tx hash with the same (chain, block, log index) is the same event.
        let mut same = e.clone();
        same.tx_hash = vec![8; 32];
        assert!(same.is_applied(&state).unwrap());
        assert!(!event(4).is_applied(&state).unwrap());
        let mut other_chain = e;
        other_chain.root_chain = "tron".into();
        assert!(!other_chain.is_applied(&state).unwrap());
    }

    #[test]
    fn stateless_checks_reject_bad_names_and_hashes() {
        assert!(event(0).check_stateless().is_ok());
        let mut e = event(0);
        e.tx_hash = vec![1; 31];
        assert!(e.check_stateless().is_err());
        for bad in ["", "ETH", "a-b", "seventeen_chars_x"] {
            let mut e = event(0);
            e.root_chain = bad.into();
            assert!(e.check_stateless().is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_parse_in_every_form() {
        let a = [0x11u8; 20];
        let hex = format!("0x{}", hex::encode(a));
        assert_eq!(parse_address(&hex).unwrap(), a);
        assert_eq!(parse_address(&format!("41{}", hex::encode(a))).unwrap(), a);
        assert_eq!(parse_address(&tron::to_base58(&a)).unwrap(), a);
        assert!(parse_address("0x1234").is_err());
        assert!(parse_address("Tnotanaddress").is_err());
        assert_eq!(RootChainKind::Eth.display_address(&a), hex);
        assert!(RootChainKind::Tron.display_address(&a).starts_with('T'));
        assert_eq!(
            "tron".parse::<RootChainKind>().unwrap(),
            RootChainKind::Tron
        );
        assert!("polygon".parse::<RootChainKind>().is_err());
    }
}
