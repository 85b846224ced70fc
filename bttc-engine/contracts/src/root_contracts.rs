//! The root-contracts file: where a root chain's contracts are, as `bttc dev --root-chain`
//! writes it (`<datadir>/root-contracts.json`, and `--contracts-out`) and as Delivery's bridge
//! and the localnet scripts read it. Addresses are `0x` lowercase hex; on TRON each contract
//! also has its base58check form (`T…`). Amounts are decimal strings (atto units).
//!
//! ```json
//! {
//!   "chain_type": "tron",
//!   "chain_id": 728126428,
//!   "rpc_url": "http://127.0.0.1:8545",
//!   "deploy_block": 1,
//!   "deployer": { "address": "0x…", "base58": "T…" },
//!   "contracts": {
//!     "staking_token": { "address": "0x…", "base58": "T…" },
//!     "test_token": { … }, "stake_manager": { … }, "state_sender": { … },
//!     "root_chain_manager": { … }, "erc20_predicate": { … },
//!     "root_chain": { … }
//!   },
//!   "child_chain_manager": "0x0000000000000000000000000000000000001100",
//!   "min_stake": "1",
//!   "withdrawal_delay": 1,
//!   "mapped_tokens": [ { "root_token": "0x…", "child_token": "0x…" } ],
//!   "validators": [ { "id": 1, "signer": "0x…", "owner": "0x…", "amount": "…" } ],
//!   "root_chain_genesis": {
//!     "bttc_chain_id": 1337,
//!     "account_root": "0x…",
//!     "validators": [ { "signer": "0x…", "power": 1 } ]
//!   }
//! }
//! ```
//!
//! `contracts.root_chain` (the checkpoint contract) and `root_chain_genesis` (the validator set
//! it was deployed with) are present together or not at all: `bttc dev` deploys a RootChain
//! only with `--genesis-validators`, and files written before RootChain existed have neither.
//! `validators` lists what the StakeManager staked, which is nothing on a chain that does not
//! hold staking.

use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootContractsFile {
    /// `tron`, `eth` or `bsc`.
    pub chain_type: String,
    /// The root chain's EVM chain id (its `block.chainid`, the `rootChainId` of the bridge's
    /// payloads).
    pub chain_id: u64,
    /// The root chain's Ethereum JSON-RPC endpoint.
    pub rpc_url: String,
    /// The block of the first deployment transaction (where a log scan can start).
    pub deploy_block: u64,
    /// The account that deployed and owns the contracts.
    pub deployer: ContractAddress,
    /// The contracts.
    pub contracts: RootContracts,
    /// BTTC's ChildChainManager (the receiver of the RootChainManager's syncs).
    pub child_chain_manager: String,
    /// The StakeManager's minimum stake (decimal, atto).
    pub min_stake: String,
    /// The StakeManager's withdrawal delay, in epochs.
    pub withdrawal_delay: u64,
    /// The root tokens mapped at deployment and their BTTC child tokens.
    pub mapped_tokens: Vec<MappedToken>,
    /// The validators staked at deployment, in id order (none on a chain that does not hold
    /// staking).
    pub validators: Vec<StakedValidator>,
    /// The RootChain's genesis: present iff `contracts.root_chain` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_chain_genesis: Option<RootChainGenesis>,
}

/// One address, with its TRON base58check form on TRON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractAddress {
    /// `0x` hex.
    pub address: String,
    /// TRON base58check (`T…`); absent on other chains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base58: Option<String>,
}

/// The root-chain contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootContracts {
    /// The staking token (BTT; on a dev chain a TestToken "BitTorrent"/"BTT", 18 decimals).
    pub staking_token: ContractAddress,
    /// A plain ERC-20 mapped to BTTC at deployment, for deposit tests.
    pub test_token: ContractAddress,
    /// StakeManager.
    pub stake_manager: ContractAddress,
    /// StateSender.
    pub state_sender: ContractAddress,
    /// RootChainManager.
    pub root_chain_manager: ContractAddress,
    /// The RootChainManager's ERC20Predicate (token vault).
    pub erc20_predicate: ContractAddress,
    /// RootChain, the checkpoint contract (absent: none deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_chain: Option<ContractAddress>,
}

/// What a RootChain was deployed with (its constructor arguments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootChainGenesis {
    /// The BTTC chain id the checkpoints must carry (`bttcChainId()`).
    pub bttc_chain_id: u64,
    /// The account root of `validators` (`validatorSetRoot()` at deployment; `0x` hex).
    pub account_root: String,
    /// The genesis validator set, sorted by signer ascending.
    pub validators: Vec<RootChainValidator>,
}

/// One validator of a RootChain's set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootChainValidator {
    /// The signer address (`0x` hex).
    pub signer: String,
    /// Its power.
    pub power: u64,
}

/// A root token mapped to BTTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappedToken {
    /// The root token (`0x` hex).
    pub root_token: String,
    /// Its ChildERC20 on BTTC (`0x` hex).
    pub child_token: String,
}

/// A validator staked at deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakedValidator {
    /// The validator id (the StakeManager NFT id).
    pub id: u64,
    /// The signer address (`0x` hex).
    pub signer: String,
    /// The validator NFT's owner (`0x` hex).
    pub owner: String,
    /// The stake (decimal, atto).
    pub amount: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn a(byte: u8) -> serde_json::Value {
        serde_json::json!({"address": format!("0x{}", alloy_primitives::hex::encode([byte; 20]))})
    }

    fn without_root_chain() -> serde_json::Value {
        serde_json::json!({
            "chain_type": "eth", "chain_id": 31337, "rpc_url": "http://127.0.0.1:8545",
            "deploy_block": 1, "deployer": a(1),
            "contracts": {
                "staking_token": a(2), "test_token": a(3), "stake_manager": a(4),
                "state_sender": a(5), "root_chain_manager": a(6), "erc20_predicate": a(7)
            },
            "child_chain_manager": "0x0000000000000000000000000000000000001100",
            "min_stake": "1", "withdrawal_delay": 1, "mapped_tokens": [], "validators": []
        })
    }

    #[test]
    fn a_file_without_a_root_chain_still_loads_and_one_with_it_round_trips() {
        let old: RootContractsFile = serde_json::from_value(without_root_chain()).unwrap();
        assert_eq!(old.contracts.root_chain, None);
        assert_eq!(old.root_chain_genesis, None);
        let written = serde_json::to_value(&old).unwrap();
        assert!(written["contracts"].get("root_chain").is_none());
        assert!(written.get("root_chain_genesis").is_none());

        let mut with = without_root_chain();
        with["contracts"]["root_chain"] = a(8);
        with["root_chain_genesis"] = serde_json::json!({
            "bttc_chain_id": 1337,
            "account_root": format!("0x{}", "ab".repeat(32)),
            "validators": [{"signer": format!("0x{}", "09".repeat(20)), "power": 1}]
        });
        let file: RootContractsFile = serde_json::from_value(with.clone()).unwrap();
        assert_eq!(
            file.contracts.root_chain.as_ref().unwrap().address,
            format!("0x{}", "08".repeat(20))
        );
        let genesis = file.root_chain_genesis.as_ref().unwrap();
        assert_eq!(
            (genesis.bttc_chain_id, genesis.validators[0].power),
            (1337, 1)
        );
        assert_eq!(serde_json::to_value(&file).unwrap(), with);

        let mut unknown = with;
        unknown["root_chain_genesis"]["threshold"] = 2.into();
        assert!(serde_json::from_value::<RootContractsFile>(unknown).is_err());
    }
}
