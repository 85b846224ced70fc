//! The root-chain registry: which root chains Delivery follows and their contracts (stored as
//! JSON under `rootchain/params`; changeable by governance through [`crate::set_params`]).
//!
//! RPC URLs are not here: they are node configuration (each validator chooses its own
//! endpoints), not chain state.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{check_chain_name, parse_address, RootChainError, RootChainKind};

/// The most root chains the registry holds.
pub const MAX_CHAINS: usize = 16;
/// The deepest confirmation requirement accepted (in root-chain blocks).
pub const MAX_CONFIRMATIONS: u64 = 100_000;

/// One root chain.
///
/// In JSON the addresses of a TRON chain are shown in base58check (`T...`) and those of other
/// chains as `0x` hex; parsing accepts every form [`parse_address`] does, on every chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RootChainJson", into = "RootChainJson")]
pub struct RootChainConfig {
    /// The chain's name: its identity in state (`tron`, `eth`, `bsc`, ...). Renaming a chain
    /// is a migration: applied-event keys and clerk sequences are keyed by it.
    pub name: String,
    /// What the chain is.
    pub kind: RootChainKind,
    /// Its EVM chain id (`eth_chainId`; TRON mainnet answers 728126428).
    pub chain_id: u64,
    /// The StakeManager (only the staking chain has one).
    pub stake_manager: Option<[u8; 20]>,
    /// The StateSender (emits `StateSynced`).
    pub state_sender: [u8; 20],
    /// The RootChainManager (token mapping and deposits).
    pub root_chain_manager: [u8; 20],
    /// The RootChain contract that accepts this chain's checkpoints (`None`: no checkpoints go
    /// to this chain yet; a registry written before checkpoints has none).
    pub root_chain_contract: Option<[u8; 20]>,
    /// How many blocks deep a root-chain receipt must be before a validator votes YES on it
    /// (1 = the receipt's own block is the chain head).
    pub confirmations: u64,
}

impl RootChainConfig {
    /// Shows an address of this chain in its usual form.
    pub fn display_address(&self, address: &[u8; 20]) -> String {
        self.kind.display_address(address)
    }
}

/// The JSON form of [`RootChainConfig`] (addresses as text).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RootChainJson {
    name: String,
    kind: RootChainKind,
    chain_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stake_manager: Option<String>,
    state_sender: String,
    root_chain_manager: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root_chain_contract: Option<String>,
    confirmations: u64,
}

impl TryFrom<RootChainJson> for RootChainConfig {
    type Error = RootChainError;
    fn try_from(j: RootChainJson) -> Result<Self, Self::Error> {
        Ok(Self {
            stake_manager: j.stake_manager.as_deref().map(parse_address).transpose()?,
            state_sender: parse_address(&j.state_sender)?,
            root_chain_manager: parse_address(&j.root_chain_manager)?,
            root_chain_contract: j
                .root_chain_contract
                .as_deref()
                .map(parse_address)
                .transpose()?,
            name: j.name,
            kind: j.kind,
            chain_id: j.chain_id,
            confirmations: j.confirmations,
        })
    }
}

impl From<RootChainConfig> for RootChainJson {
    fn from(c: RootChainConfig) -> Self {
        let show = |a: &[u8; 20]| c.kind.display_address(a);
        Self {
            stake_manager: c.stake_manager.as_ref().map(show),
            state_sender: show(&c.state_sender),
            root_chain_manager: show(&c.root_chain_manager),
            root_chain_contract: c.root_chain_contract.as_ref().map(show),
            name: c.name,
            kind: c.kind,
            chain_id: c.chain_id,
            confirmations: c.confirmations,
        }
    }
}

/// The registry.
///
/// Either empty (no chains, `staking_chain` empty: a dormant registry, every root-chain claim
/// is refused as an unknown chain) or a list of chains of which `staking_chain` is the one and
/// only chain with a StakeManager.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The root chains, in the order given (lookups are by name).
    #[serde(default)]
    pub chains: Vec<RootChainConfig>,
    /// The name of the chain that holds staking (its StakeManager emits the validator events).
    #[serde(default)]
    pub staking_chain: String,
}

fn bad(message: String) -> Result<(), RootChainError> {
    Err(RootChainError::InvalidParams(message))
}

impl Params {
    /// The chain with this name.
    pub fn chain(&self, name: &str) -> Option<&RootChainConfig> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The staking chain (`None` in a dormant registry).
    pub fn staking(&self) -> Option<&RootChainConfig> {
        self.chain(&self.staking_chain)
    }

    /// Checks the registry: names per [`check_chain_name`], unique names and chain ids, chain
    /// id > 0, confirmations in `1..=MAX_CONFIRMATIONS`, non-zero contract addresses, and a
    /// staking chain that exists and is the only chain with a StakeManager.
    pub fn validate(&self) -> Result<(), RootChainError> {
        if self.chains.is_empty() {
            if !self.staking_chain.is_empty() {
                return bad(format!(
                    "staking_chain {:?} names a chain, but no chains are listed",
                    self.staking_chain
                ));
            }
            return Ok(());
        }
        if self.chains.len() > MAX_CHAINS {
            return bad(format!(
                "{} root chains listed, at most {MAX_CHAINS} allowed",
                self.chains.len()
            ));
        }
        let mut names = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for c in &self.chains {
            check_chain_name(&c.name).map_err(|e| RootChainError::InvalidParams(e.to_string()))?;
            if !names.insert(c.name.as_str()) {
                return bad(format!("root chain name {:?} is listed twice", c.name));
            }
            if c.chain_id == 0 {
                return bad(format!("root chain {}: chain_id must be > 0", c.name));
            }
            if !ids.insert(c.chain_id) {
                return bad(format!(
                    "root chain {}: chain_id {} is already used by another chain",
                    c.name, c.chain_id
                ));
            }
            if !(1..=MAX_CONFIRMATIONS).contains(&c.confirmations) {
                return bad(format!(
                    "root chain {}: confirmations {} is outside 1..={MAX_CONFIRMATIONS}",
                    c.name, c.confirmations
                ));
            }
            let zero = [0u8; 20];
            for (what, address) in [
                ("state_sender", Some(&c.state_sender)),
                ("root_chain_manager", Some(&c.root_chain_manager)),
                ("stake_manager", c.stake_manager.as_ref()),
                ("root_chain_contract", c.root_chain_contract.as_ref()),
            ] {
                if address == Some(&zero) {
                    return bad(format!("root chain {}: {what} is the zero address", c.name));
                }
            }
            let is_staking = c.name == self.staking_chain;
            match (is_staking, c.stake_manager.is_some()) {
                (true, false) => {
                    return bad(format!(
                        "root chain {} is the staking chain but has no stake_manager",
                        c.name
                    ))
                }
                (false, true) => {
                    return bad(format!(
                        "root chain {} has a stake_manager but the staking chain is {:?}: \
                         only the staking chain has one",
                        c.name, self.staking_chain
                    ))
                }
                _ => {}
            }
        }
        if self.staking().is_none() {
            return bad(format!(
                "staking_chain {:?} is not one of the listed chains ({})",
                self.staking_chain,
                names.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]
pub(crate) mod tests {
    use super::*;
    use crate::tron;

    pub(crate) fn tron_chain() -> RootChainConfig {
        RootChainConfig {
            name: "tron".into(),
            kind: RootChainKind::Tron,
            chain_id: 728_126_428,
            stake_manager: Some([0x11; 20]),
            state_sender: [0x12; 20],
            root_chain_manager: [0x13; 20],
            root_chain_contract: Some([0x14; 20]),
            confirmations: 19,
        }
    }

    pub(crate) fn eth_chain() -> RootChainConfig {
        RootChainConfig {
            name: "eth".into(),
            kind: RootChainKind::Eth,
            chain_id: 1,
            stake_manager: None,
            state_sender: [0x22; 20],
            root_chain_manager: [0x23; 20],
            root_chain_contract: Some([0x24; 20]),
            confirmations: 64,
        }
    }

    pub(crate) fn sample() -> Params {
        Params {
            chains: vec![tron_chain(), eth_chain()],
            staking_chain: "tron".into(),
        }
    }

    #[test]
    fn the_sample_and_the_empty_registry_are_valid() {
        sample().validate().unwrap();
        Params::default().validate().unwrap();
        assert_eq!(sample().staking().unwrap().name, "tron");
        assert_eq!(sample().chain("eth").unwrap().chain_id, 1);
        assert!(sample().chain("bsc").is_none());
    }

    #[test]
    fn json_shows_tron_in_base58_and_others_in_hex_and_parses_every_form() {
        let json = serde_json::to_value(sample()).unwrap();
        let tron_json = &json["chains"][0];
        assert_eq!(tron_json["state_sender"], tron::to_base58(&[0x12; 20]));
        assert_eq!(tron_json["kind"], "tron");
        let eth_json = &json["chains"][1];
        assert_eq!(
            eth_json["state_sender"],
            format!("0x{}", hex::encode([0x22; 20]))
        );
        assert!(eth_json.get("stake_manager").is_none());
        assert_eq!(
            tron_json["root_chain_contract"],
            tron::to_base58(&[0x14; 20])
        );
        assert_eq!(
            eth_json["root_chain_contract"],
            format!("0x{}", hex::encode([0x24; 20]))
        );
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), sample());

        // A registry written before checkpoints (no root_chain_contract) still loads, and a
        // chain without one is written without the field.
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][1]
            .as_object_mut()
            .unwrap()
            .remove("root_chain_contract");
        let old: Params = serde_json::from_value(j).unwrap();
        assert_eq!(old.chains[1].root_chain_contract, None);
        assert_eq!(old.chains[0].root_chain_contract, Some([0x14; 20]));
        old.validate().unwrap();
        let back = serde_json::to_value(&old).unwrap();
        assert!(back["chains"][1].get("root_chain_contract").is_none());
        assert_eq!(serde_json::from_value::<Params>(back).unwrap(), old);
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][0]["root_chain_contract"] = format!("41{}", hex::encode([0x14; 20])).into();
        assert_eq!(serde_json::from_value::<Params>(j).unwrap(), sample());
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][0]["root_chain_contract"] = "T123".into();
        assert!(serde_json::from_value::<Params>(j).is_err());

        // A TRON chain written with hex addresses (0x and 41 forms) parses to the same bytes.
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][0]["state_sender"] = format!("0x{}", hex::encode([0x12; 20])).into();
        j["chains"][0]["root_chain_manager"] = format!("41{}", hex::encode([0x13; 20])).into();
        assert_eq!(serde_json::from_value::<Params>(j).unwrap(), sample());

        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][1]["state_sender"] = "0x1234".into();
        assert!(serde_json::from_value::<Params>(j).is_err());
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][1]["rpc"] = "http://localhost:8545".into();
        assert!(
            serde_json::from_value::<Params>(j).is_err(),
            "RPC URLs are node config"
        );
        let mut j = serde_json::to_value(sample()).unwrap();
        j["chains"][1]["kind"] = "polygon".into();
        assert!(serde_json::from_value::<Params>(j).is_err());
    }

    type Case = (&'static str, fn(&mut Params));

    #[test]
    fn every_broken_rule_is_rejected() {
        let cases: Vec<Case> = vec![
            ("duplicate name", |p| p.chains[1].name = "tron".into()),
            ("duplicate chain id", |p| p.chains[1].chain_id = 728_126_428),
            ("zero chain id", |p| p.chains[1].chain_id = 0),
            ("zero confirmations", |p| p.chains[1].confirmations = 0),
            ("huge confirmations", |p| {
                p.chains[1].confirmations = MAX_CONFIRMATIONS + 1
            }),
            ("bad name", |p| p.chains[1].name = "Eth".into()),
            ("long name", |p| p.chains[1].name = "a".repeat(17)),
            ("unknown staking chain", |p| p.staking_chain = "bsc".into()),
            ("staking chain without stake manager", |p| {
                p.staking_chain = "eth".into();
                p.chains[0].stake_manager = None;
            }),
            ("second stake manager", |p| {
                p.chains[1].stake_manager = Some([5; 20])
            }),
            ("zero state sender", |p| p.chains[1].state_sender = [0; 20]),
            ("zero manager", |p| p.chains[0].root_chain_manager = [0; 20]),
            ("zero stake manager", |p| {
                p.chains[0].stake_manager = Some([0; 20])
            }),
            ("zero root chain contract", |p| {
                p.chains[1].root_chain_contract = Some([0; 20])
            }),
            ("staking chain without chains", |p| p.chains.clear()),
            ("no staking chain", |p| p.staking_chain.clear()),
            ("too many chains", |p| {
                p.chains = (0..=MAX_CHAINS)
                    .map(|i| {
                        let mut c = eth_chain();
                        c.name = format!("c{i}");
                        c.chain_id = 100 + i as u64;
                        c
                    })
                    .collect();
                p.chains[0].stake_manager = Some([1; 20]);
                p.staking_chain = "c0".into();
            }),
        ];
        for (what, mutate) in cases {
            let mut p = sample();
            mutate(&mut p);
            assert!(
                matches!(p.validate(), Err(RootChainError::InvalidParams(_))),
                "{what}: {:?}",
                p.validate()
            );
        }
    }
}
