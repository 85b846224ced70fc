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
//!     "root_chain_manager": { … }, "erc20_predicate": { … }
//!   },
//!   "child_chain_manager": "0x0000000000000000000000000000000000001100",
//!   "min_stake": "1",
//!   "withdrawal_delay": 1,
//!   "mapped_tokens": [ { "root_token": "0x…", "child_token": "0x…" } ],
//!   "validators": [ { "id": 1, "signer": "0x…", "owner": "0x…", "amount": "…" } ]
//! }
//! ```

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
    /// The validators staked at deployment, in id order.
    pub validators: Vec<StakedValidator>,
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
