//! BTTC's genesis system contracts and test contracts, as compiled artifacts.
//!
//! The Solidity sources live in `contracts/src` at the repository root and are compiled by
//! `scripts/build-contracts` with the solc pinned in `contracts/package-lock.json`; the artifacts
//! (`contracts/artifacts/<Name>.json`) are committed and embedded here with `include_str!`, and
//! `scripts/check-contracts` proves they match the sources.
//!
//! - [`state_receiver`]: `StateReceiver` at [`STATE_RECEIVER_ADDRESS`] (`commitState`, called by
//!   the engine once per state-sync record; delivers `onStateReceive(id, data)` to the record's
//!   receiver with 5,000,000 gas).
//! - [`validator_set`]: `ValidatorSet` at [`VALIDATOR_SET_ADDRESS`] (`commitSpan` and span
//!   views).
//! - [`child_chain_manager`]: `ChildChainManager` at [`CHILD_CHAIN_MANAGER_ADDRESS`] (receives
//!   the root chains' MAP_TOKEN and DEPOSIT syncs, deploys and mints [`child_erc20`] tokens at
//!   [`child_token_address`]).
//! - Root-chain contracts, deployed by transactions: [`stake_manager`] (validator staking, an
//!   ERC-721 per validator), [`state_sender`], [`root_chain_manager`] (which deploys its
//!   [`erc20_predicate`]); constructor arguments by [`stake_manager_init_code`] and
//!   [`root_chain_manager_init_code`], sync payloads by [`map_token_payload`] and
//!   [`deposit_payload`], ABI bindings in [`abi`], event topics in [`topics`], and the
//!   root-contracts file that `bttc dev --root-chain` writes in [`root_contracts`].
//! - [`test_token`], [`test_state_sync_receiver`]: an ERC-20 and a state-sync receiver for
//!   client tests and benchmarks (compiled for solc's default EVM version, so they need the
//!   default engine profile, not `berlin`).
//!
//! The system contracts are compiled for `berlin` and placed in the genesis alloc as runtime
//! code ([`system_contract_alloc`], [`dev_genesis_json`]): no constructor runs, and they work
//! from zero storage. Their storage slots, read by tools and tests, are in [`slots`]. The root
//! contracts are compiled for `berlin` too, so they run on EVMs without the newer opcodes
//! (TRON's TVM among them). `docs/contracts.md` describes every contract.

pub mod abi;
pub mod checkpoint;
pub mod exit;
pub mod root_contracts;
pub mod tx;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use alloy_primitives::{address, b256, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolValue as _;
use serde::Deserialize;

/// The caller of every system call (`0xffff…fffe`); the only account allowed to call
/// `commitState` and `commitSpan`.
pub const SYSTEM_ADDRESS: Address = address!("0xfffffffffffffffffffffffffffffffffffffffe");
/// Where the ValidatorSet system contract lives.
pub const VALIDATOR_SET_ADDRESS: Address = address!("0x0000000000000000000000000000000000001000");
/// Where the StateReceiver system contract lives.
pub const STATE_RECEIVER_ADDRESS: Address = address!("0x0000000000000000000000000000000000001001");

/// Where the ChildChainManager system contract lives (the receiver of every RootChainManager
/// sync, the deployer of every child token).
pub const CHILD_CHAIN_MANAGER_ADDRESS: Address =
    address!("0x0000000000000000000000000000000000001100");

/// `keccak256("MAP_TOKEN")`: the sync type of a token mapping.
pub const MAP_TOKEN: B256 =
    b256!("0x2cef46a936bdc5b7e6e8c71aa04560c41cf7d88bb26901a7e7f4936ff02accad");
/// `keccak256("DEPOSIT")`: the sync type of a deposit.
pub const DEPOSIT: B256 =
    b256!("0x87a7811f4bfedea3d341ad165680ae306b01aaeacc205d227629cf157dd9f821");

/// Event signature hashes (topic 0) of the root-chain events Delivery's bridge reads.
pub mod topics {
    use alloy_primitives::{b256, B256};

    /// `Staked(address,uint256,uint256,uint256,uint256,uint256,bytes)` (StakeManager).
    pub const STAKED: B256 =
        b256!("0x68c13e4125b983d7e2d6114246f443e567ec6c4ee5b4d4a7ef6100b1402bfd84");
    /// `StakeUpdate(uint256,uint256,uint256)` (StakeManager).
    pub const STAKE_UPDATE: B256 =
        b256!("0x35af9eea1f0e7b300b0a14fae90139a072470e44daa3f14b5069bebbc1265bda");
    /// `SignerChange(uint256,uint256,address,address,bytes)` (StakeManager).
    pub const SIGNER_CHANGE: B256 =
        b256!("0x086044c0612a8c965d4cccd907f0d588e40ad68438bd4c1274cac60f4c3a9d1f");
    /// `UnstakeInit(address,uint256,uint256,uint256,uint256)` (StakeManager).
    pub const UNSTAKE_INIT: B256 =
        b256!("0x69b288bb79cd5386c9fe0af060f650e823bcdfa96a44cdc07f862db060f57120");
    /// `Unstaked(address,uint256,uint256,uint256)` (StakeManager).
    pub const UNSTAKED: B256 =
        b256!("0x204fccf0d92ed8d48f204adb39b2e81e92bad0dedb93f5716ca9478cfb57de00");
    /// `StateSynced(uint256,address,bytes)` (StateSender).
    pub const STATE_SYNCED: B256 =
        b256!("0x103fed9db65eac19c4d870f49ab7520fe03b99f1838e5996caf47e9e43308392");
    /// `NewRegistration(address,address,address)` (StateSender).
    pub const NEW_REGISTRATION: B256 =
        b256!("0x3f4512aacd7a664fdb321a48e8340120d63253a91c6367a143abd19ecf68aedd");
    /// `TokenMapped(address,address)` (RootChainManager).
    pub const TOKEN_MAPPED: B256 =
        b256!("0x85920d35e6c72f6b2affffa04298b0cecfeba86e4a9f407df661f1cb8ab5e617");
    /// `LockedERC20(address,address,address,uint256)` (ERC20Predicate).
    pub const LOCKED_ERC20: B256 =
        b256!("0x9b217a401a5ddf7c4d474074aff9958a18d48690d77cc2151c4706aa7348b401");
}

/// Mainnet's minimum validator stake: one trillion BTT (10^30 atto-BTT). Dev and local root
/// chains deploy the StakeManager with a tiny value instead.
pub const MAINNET_MIN_STAKE: U256 = U256::from_limbs([0x4674_edea_4000_0000, 0xc_9f2c_9cd0, 0, 0]);

/// Gas limit of every dev genesis block (30,000,000).
pub const DEV_GAS_LIMIT: u64 = 30_000_000;
/// Base fee of the dev genesis block (1 gwei).
pub const DEV_BASE_FEE: u64 = 1_000_000_000;

/// Storage slots of the contracts' public state (Solidity's layout of the sources).
pub mod slots {
    use alloy_primitives::U256;

    /// `StateReceiver.lastStateId`.
    pub const STATE_RECEIVER_LAST_STATE_ID: U256 = U256::ZERO;
    /// `StateReceiver.lastSyncTime`.
    pub const STATE_RECEIVER_LAST_SYNC_TIME: U256 = U256::from_limbs([1, 0, 0, 0]);
    /// `ValidatorSet.currentSpanNumber`.
    pub const VALIDATOR_SET_CURRENT_SPAN: U256 = U256::ZERO;
    /// `ValidatorSet.spanCount`.
    pub const VALIDATOR_SET_SPAN_COUNT: U256 = U256::from_limbs([1, 0, 0, 0]);
    /// `ValidatorSet._spans`: `mapping(uint256 => Span{number, startBlock, endBlock})`.
    pub const VALIDATOR_SET_SPANS: U256 = U256::from_limbs([2, 0, 0, 0]);
    /// `ValidatorSet._validators`: `mapping(uint256 => Validator{signer ‖ id, power}[])`.
    pub const VALIDATOR_SET_VALIDATORS: U256 = U256::from_limbs([3, 0, 0, 0]);
    /// `ValidatorSet._producers`: same shape as the validators.
    pub const VALIDATOR_SET_PRODUCERS: U256 = U256::from_limbs([4, 0, 0, 0]);
    /// `TestStateSyncReceiver.lastStateId`.
    pub const TEST_RECEIVER_LAST_STATE_ID: U256 = U256::ZERO;
    /// `TestStateSyncReceiver.receivedCount`.
    pub const TEST_RECEIVER_RECEIVED_COUNT: U256 = U256::from_limbs([1, 0, 0, 0]);
}

/// An artifact or a genesis built from them could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractsError {
    /// An embedded artifact does not have the expected shape (a build of this crate from
    /// artifacts that `scripts/build-contracts` did not write).
    #[error("contract artifact {name}.json is invalid: {reason}")]
    Artifact {
        /// The contract name.
        name: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A genesis account was listed twice.
    #[error("genesis account {address} is funded twice")]
    DuplicateAccount {
        /// The account.
        address: Address,
    },
    /// Constructor arguments too large to encode.
    #[error("constructor arguments too large: {0}")]
    ArgumentsTooLarge(String),
}

/// One compiled contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The contract name.
    pub name: &'static str,
    /// The source file, relative to `contracts/`.
    pub source_name: String,
    /// The solc version that compiled it.
    pub solc_version: String,
    /// The EVM version it was compiled for (`berlin` for the system contracts).
    pub evm_version: String,
    /// The JSON ABI.
    pub abi: serde_json::Value,
    /// Creation code (constructor arguments not included).
    pub bytecode: Bytes,
    /// Runtime code.
    pub deployed_bytecode: Bytes,
}

impl Artifact {
    /// The canonical signature `name(type,…)` of every ABI entry of `kind` (`function`,
    /// `event`, `error`), in ABI order: what selectors and topics hash (tuples are not
    /// expanded: the root contracts' ABIs have none in these entries).
    pub fn abi_signatures(&self, kind: &str) -> Vec<String> {
        self.abi
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["type"] == kind)
            .map(|e| {
                let inputs: Vec<&str> = e["inputs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["type"].as_str())
                    .collect();
                format!("{}({})", e["name"].as_str().unwrap_or(""), inputs.join(","))
            })
            .collect()
    }
}

/// The artifact file as `contracts/build.js` writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ArtifactJson {
    contract_name: String,
    source_name: String,
    solc_version: String,
    evm_version: String,
    abi: serde_json::Value,
    bytecode: Bytes,
    deployed_bytecode: Bytes,
}

fn parse(name: &'static str, json: &str) -> Result<Artifact, ContractsError> {
    let invalid = |reason: String| ContractsError::Artifact { name, reason };
    let a: ArtifactJson = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
    if a.contract_name != name {
        return Err(invalid(format!(
            "contractName is {:?}, expected {name:?}",
            a.contract_name
        )));
    }
    if !a.abi.is_array() {
        return Err(invalid("abi is not a JSON array".into()));
    }
    if a.deployed_bytecode.is_empty() || a.bytecode.is_empty() {
        return Err(invalid("empty bytecode".into()));
    }
    Ok(Artifact {
        name,
        source_name: a.source_name,
        solc_version: a.solc_version,
        evm_version: a.evm_version,
        abi: a.abi,
        bytecode: a.bytecode,
        deployed_bytecode: a.deployed_bytecode,
    })
}

fn load(
    cell: &'static OnceLock<Result<Artifact, ContractsError>>,
    name: &'static str,
    json: &'static str,
) -> Result<&'static Artifact, ContractsError> {
    cell.get_or_init(|| parse(name, json))
        .as_ref()
        .map_err(Clone::clone)
}

macro_rules! artifact_fn {
    ($(#[$doc:meta])* $fn_name:ident, $name:literal) => {
        $(#[$doc])*
        pub fn $fn_name() -> Result<&'static Artifact, ContractsError> {
            static CELL: OnceLock<Result<Artifact, ContractsError>> = OnceLock::new();
            load(
                &CELL,
                $name,
                include_str!(concat!("../../../contracts/artifacts/", $name, ".json")),
            )
        }
    };
}

artifact_fn!(
    /// The StateReceiver system contract (genesis, at [`STATE_RECEIVER_ADDRESS`]).
    state_receiver,
    "StateReceiver"
);
artifact_fn!(
    /// The ValidatorSet system contract (genesis, at [`VALIDATOR_SET_ADDRESS`]).
    validator_set,
    "ValidatorSet"
);
artifact_fn!(
    /// A plain ERC-20 for tests and benchmarks; deploy with [`test_token_init_code`].
    test_token,
    "TestToken"
);
artifact_fn!(
    /// A state-sync receiver for tests: accepts `onStateReceive` only from the StateReceiver,
    /// stores the last id and data, emits `StateReceived(uint256 indexed id, bytes data)`.
    test_state_sync_receiver,
    "TestStateSyncReceiver"
);

artifact_fn!(
    /// The ChildChainManager system contract (genesis, at [`CHILD_CHAIN_MANAGER_ADDRESS`]).
    child_chain_manager,
    "ChildChainManager"
);
artifact_fn!(
    /// The BTTC token the ChildChainManager deploys (CREATE2) for each mapped root token.
    child_erc20,
    "ChildERC20"
);
artifact_fn!(
    /// Root chain: validator staking; deploy with [`stake_manager_init_code`].
    stake_manager,
    "StakeManager"
);
artifact_fn!(
    /// Root chain: state-sync records to BTTC; deploy its `bytecode` (no constructor
    /// arguments).
    state_sender,
    "StateSender"
);
artifact_fn!(
    /// Root chain: token mapping and deposits; deploy with [`root_chain_manager_init_code`].
    root_chain_manager,
    "RootChainManager"
);
artifact_fn!(
    /// Root chain: accepts checkpoints signed by > 2/3 of the validator power it knows; deploy
    /// with [`checkpoint::root_chain_init_code`].
    root_chain,
    "RootChain"
);
artifact_fn!(
    /// Root chain: the vault of deposited tokens, deployed by the RootChainManager's
    /// constructor (at `root_chain_manager_address.create(1)`).
    erc20_predicate,
    "ERC20Predicate"
);

/// Every artifact, in name order.
pub fn all() -> Result<Vec<&'static Artifact>, ContractsError> {
    Ok(vec![
        child_chain_manager()?,
        child_erc20()?,
        erc20_predicate()?,
        root_chain()?,
        root_chain_manager()?,
        stake_manager()?,
        state_receiver()?,
        state_sender()?,
        test_state_sync_receiver()?,
        test_token()?,
        validator_set()?,
    ])
}

/// The system contracts' runtime code for a genesis alloc: ValidatorSet at `0x…1000`,
/// StateReceiver at `0x…1001`, then ChildChainManager at `0x…1100`.
pub fn system_contract_alloc() -> Result<Vec<(Address, Bytes)>, ContractsError> {
    Ok(vec![
        (
            VALIDATOR_SET_ADDRESS,
            validator_set()?.deployed_bytecode.clone(),
        ),
        (
            STATE_RECEIVER_ADDRESS,
            state_receiver()?.deployed_bytecode.clone(),
        ),
        (
            CHILD_CHAIN_MANAGER_ADDRESS,
            child_chain_manager()?.deployed_bytecode.clone(),
        ),
    ])
}

/// keccak256 of ChildERC20's creation code: the CREATE2 init code hash of every child token
/// (a RootChainManager constructor argument).
pub fn child_token_code_hash() -> Result<B256, ContractsError> {
    Ok(keccak256(&child_erc20()?.bytecode))
}

/// The CREATE2 salt of the child token of `root_token` on the root chain `root_chain_id`:
/// `keccak256(abi.encode(uint256 rootChainId, address rootToken))`.
pub fn child_token_salt(root_chain_id: u64, root_token: Address) -> B256 {
    keccak256((U256::from(root_chain_id), root_token).abi_encode())
}

/// The BTTC address of the child token of `root_token` on the root chain `root_chain_id` (the
/// root chain's `block.chainid`): where the ChildChainManager's CREATE2 deploys it, and what
/// the RootChainManager's `TokenMapped` event reports.
pub fn child_token_address(
    root_chain_id: u64,
    root_token: Address,
) -> Result<Address, ContractsError> {
    Ok(CHILD_CHAIN_MANAGER_ADDRESS.create2(
        child_token_salt(root_chain_id, root_token),
        child_token_code_hash()?,
    ))
}

/// Creation code of [`stake_manager`] with its constructor arguments `(address token,
/// uint256 minStake, uint256 withdrawalDelay)`.
pub fn stake_manager_init_code(
    staking_token: Address,
    min_stake: U256,
    withdrawal_delay: U256,
) -> Result<Bytes, ContractsError> {
    let mut code = stake_manager()?.bytecode.to_vec();
    code.extend_from_slice(&(staking_token, min_stake, withdrawal_delay).abi_encode_params());
    Ok(code.into())
}

/// Creation code of [`root_chain_manager`] with its constructor arguments `(address
/// stateSender, bytes32 childTokenCodeHash)` ([`child_token_code_hash`]).
pub fn root_chain_manager_init_code(state_sender: Address) -> Result<Bytes, ContractsError> {
    let mut code = root_chain_manager()?.bytecode.to_vec();
    code.extend_from_slice(&(state_sender, child_token_code_hash()?).abi_encode_params());
    Ok(code.into())
}

/// The StateSynced data of a token mapping: `abi.encode(MAP_TOKEN, abi.encode(uint256
/// rootChainId, address rootToken, string name, string symbol, uint8 decimals))`.
pub fn map_token_payload(
    root_chain_id: u64,
    root_token: Address,
    name: &str,
    symbol: &str,
    decimals: u8,
) -> Bytes {
    let inner = (
        U256::from(root_chain_id),
        root_token,
        name.to_owned(),
        symbol.to_owned(),
        // uint8 encodes as one 32-byte word, like uint256.
        U256::from(decimals),
    )
        .abi_encode_params();
    (MAP_TOKEN, Bytes::from(inner)).abi_encode_params().into()
}

/// The StateSynced data of a deposit: `abi.encode(DEPOSIT, abi.encode(uint256 rootChainId,
/// address depositReceiver, address rootToken, bytes abi.encode(uint256 amount)))`.
pub fn deposit_payload(
    root_chain_id: u64,
    deposit_receiver: Address,
    root_token: Address,
    amount: U256,
) -> Bytes {
    let deposit_data = Bytes::from(amount.abi_encode());
    let inner = (
        U256::from(root_chain_id),
        deposit_receiver,
        root_token,
        deposit_data,
    )
        .abi_encode_params();
    (DEPOSIT, Bytes::from(inner)).abi_encode_params().into()
}

/// A development genesis in the form `bttc_engine_chainspec::ChainSpec::from_json` reads: the
/// default hardfork, a 30,000,000 gas limit, a 1 gwei genesis base fee, the `funded` balances
/// and the system contracts' runtime code.
///
/// An account may be both funded and a system contract. Listing an account twice in `funded`
/// is an error.
pub fn dev_genesis_json(
    chain_id: u64,
    funded: &[(Address, U256)],
) -> Result<serde_json::Value, ContractsError> {
    let mut balances: BTreeMap<Address, U256> = BTreeMap::new();
    for (address, balance) in funded {
        if balances.insert(*address, *balance).is_some() {
            return Err(ContractsError::DuplicateAccount { address: *address });
        }
    }
    let code: BTreeMap<Address, Bytes> = system_contract_alloc()?.into_iter().collect();
    let mut alloc = serde_json::Map::new();
    let addresses: std::collections::BTreeSet<Address> =
        balances.keys().chain(code.keys()).copied().collect();
    for address in addresses {
        let mut account = serde_json::Map::new();
        let balance = balances.get(&address).copied().unwrap_or(U256::ZERO);
        account.insert("balance".into(), format!("{balance:#x}").into());
        if let Some(code) = code.get(&address) {
            account.insert("code".into(), code.to_string().into());
        }
        alloc.insert(format!("{address:#x}"), account.into());
    }
    Ok(serde_json::json!({
        "config": { "chainId": chain_id },
        "timestamp": "0x0",
        "gasLimit": format!("{DEV_GAS_LIMIT:#x}"),
        "baseFeePerGas": format!("{DEV_BASE_FEE:#x}"),
        "extraData": "0x",
        "alloc": alloc,
    }))
}

/// Creation code of [`test_token`] with its constructor arguments
/// `(string name, string symbol, uint256 initialSupply)` ABI-encoded after it. The deployer
/// receives the whole supply.
pub fn test_token_init_code(
    name: &str,
    symbol: &str,
    initial_supply: U256,
) -> Result<Bytes, ContractsError> {
    let mut code = test_token()?.bytecode.to_vec();
    code.extend_from_slice(&abi_encode_string_string_uint(
        name,
        symbol,
        initial_supply,
    )?);
    Ok(code.into())
}

fn padded_len(len: usize) -> Option<usize> {
    len.checked_next_multiple_of(32)
}

fn word(value: usize) -> [u8; 32] {
    U256::from(value).to_be_bytes::<32>()
}

/// `abi.encode(string, string, uint256)`.
fn abi_encode_string_string_uint(a: &str, b: &str, n: U256) -> Result<Vec<u8>, ContractsError> {
    let too_large =
        || ContractsError::ArgumentsTooLarge(format!("{} + {} bytes", a.len(), b.len()));
    let head: usize = 96;
    let a_tail = padded_len(a.len())
        .and_then(|p| p.checked_add(32))
        .ok_or_else(too_large)?;
    let b_offset = head.checked_add(a_tail).ok_or_else(too_large)?;
    let mut out = Vec::new();
    out.extend_from_slice(&word(head));
    out.extend_from_slice(&word(b_offset));
    out.extend_from_slice(&n.to_be_bytes::<32>());
    for s in [a, b] {
        out.extend_from_slice(&word(s.len()));
        out.extend_from_slice(s.as_bytes());
        let padded = padded_len(s.len()).ok_or_else(too_large)?;
        out.resize(
            out.len()
                .checked_add(padded.saturating_sub(s.len()))
                .ok_or_else(too_large)?,
            0,
        );
    }
    Ok(out)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    #[test]
    fn every_artifact_parses_with_code_and_the_expected_evm_version() {
        let all = all().unwrap();
        assert_eq!(all.len(), 11);
        for a in &all {
            assert!(!a.deployed_bytecode.is_empty(), "{}", a.name);
            assert!(a.bytecode.len() > a.deployed_bytecode.len(), "{}", a.name);
            assert!(
                a.abi.as_array().is_some_and(|v| !v.is_empty()),
                "{}",
                a.name
            );
            assert!(a.solc_version.starts_with("0.8."), "{}", a.solc_version);
        }
        // Genesis, child and root contracts: berlin (BTTC's profile, TRON's TVM).
        for a in [
            state_receiver().unwrap(),
            validator_set().unwrap(),
            child_chain_manager().unwrap(),
            child_erc20().unwrap(),
            stake_manager().unwrap(),
            state_sender().unwrap(),
            root_chain_manager().unwrap(),
            erc20_predicate().unwrap(),
        ] {
            assert_eq!(a.evm_version, "berlin", "{}", a.name);
        }
        // The test contracts use solc's default target, which is newer than berlin.
        for a in [test_token().unwrap(), test_state_sync_receiver().unwrap()] {
            assert_ne!(a.evm_version, "berlin", "{}", a.name);
            assert!(
                ["shanghai", "cancun", "prague", "osaka"].contains(&a.evm_version.as_str()),
                "{}: {}",
                a.name,
                a.evm_version
            );
        }
        assert_eq!(
            state_receiver().unwrap().source_name,
            "src/system/StateReceiver.sol"
        );
        assert_eq!(
            stake_manager().unwrap().source_name,
            "src/root/StakeManager.sol"
        );
        assert_eq!(
            child_chain_manager().unwrap().source_name,
            "src/child/ChildChainManager.sol"
        );
    }

    #[test]
    fn a_malformed_artifact_is_an_error_not_a_panic() {
        assert!(matches!(
            parse("X", "{}"),
            Err(ContractsError::Artifact { name: "X", .. })
        ));
        let good = include_str!("../../../contracts/artifacts/TestToken.json");
        let err = parse("NotTestToken", good).unwrap_err();
        assert!(err.to_string().contains("contractName"), "{err}");
        let empty = good.replace(&test_token().unwrap().deployed_bytecode.to_string(), "0x");
        assert!(parse("TestToken", &empty).is_err());
    }

    fn function_names(a: &Artifact) -> Vec<String> {
        a.abi
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "function")
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_abis_have_the_system_call_entry_points() {
        let sr = function_names(state_receiver().unwrap());
        for f in ["commitState", "lastStateId", "lastSyncTime"] {
            assert!(sr.contains(&f.to_owned()), "StateReceiver lacks {f}");
        }
        let vs = function_names(validator_set().unwrap());
        for f in [
            "commitSpan",
            "currentSpanNumber",
            "getSpan",
            "getValidators",
            "getProducers",
            "getSpanByBlock",
        ] {
            assert!(vs.contains(&f.to_owned()), "ValidatorSet lacks {f}");
        }
        let token = function_names(test_token().unwrap());
        for f in [
            "name",
            "symbol",
            "decimals",
            "totalSupply",
            "balanceOf",
            "transfer",
            "transferFrom",
            "approve",
            "allowance",
        ] {
            assert!(token.contains(&f.to_owned()), "TestToken lacks {f}");
        }
    }

    #[test]
    fn system_alloc_holds_the_three_system_contracts() {
        let alloc = system_contract_alloc().unwrap();
        assert_eq!(alloc.len(), 3);
        assert_eq!(alloc[0].0, VALIDATOR_SET_ADDRESS);
        assert_eq!(alloc[0].1, validator_set().unwrap().deployed_bytecode);
        assert_eq!(alloc[1].0, STATE_RECEIVER_ADDRESS);
        assert_eq!(alloc[1].1, state_receiver().unwrap().deployed_bytecode);
        assert_eq!(alloc[2].0, CHILD_CHAIN_MANAGER_ADDRESS);
        assert_eq!(alloc[2].1, child_chain_manager().unwrap().deployed_bytecode);
        assert_eq!(
            CHILD_CHAIN_MANAGER_ADDRESS,
            Address::from_word(B256::from(U256::from(0x1100)))
        );
    }

    #[test]
    fn the_child_chain_manager_embeds_the_child_token_creation_code() {
        // CREATE2 addresses are computed from the artifact's creation code: it must be the code
        // the manager really deploys.
        let child = child_erc20().unwrap().bytecode.to_vec();
        let manager = child_chain_manager().unwrap().deployed_bytecode.to_vec();
        assert!(manager.windows(child.len()).any(|w| w == child));
        // And the predicate's creation code is inside the RootChainManager's constructor.
        let predicate = erc20_predicate().unwrap().bytecode.to_vec();
        let rcm = root_chain_manager().unwrap().bytecode.to_vec();
        assert!(rcm.windows(predicate.len()).any(|w| w == predicate));
    }

    #[test]
    fn constants_are_the_hashes_they_name() {
        assert_eq!(MAP_TOKEN, keccak256("MAP_TOKEN"));
        assert_eq!(DEPOSIT, keccak256("DEPOSIT"));
        assert_eq!(MAINNET_MIN_STAKE, U256::from(10).pow(U256::from(30)));
        use alloy_sol_types::SolEvent as _;
        let pairs = [
            (
                topics::STAKED,
                "Staked(address,uint256,uint256,uint256,uint256,uint256,bytes)",
                abi::IStakeManager::Staked::SIGNATURE_HASH,
            ),
            (
                topics::STAKE_UPDATE,
                "StakeUpdate(uint256,uint256,uint256)",
                abi::IStakeManager::StakeUpdate::SIGNATURE_HASH,
            ),
            (
                topics::SIGNER_CHANGE,
                "SignerChange(uint256,uint256,address,address,bytes)",
                abi::IStakeManager::SignerChange::SIGNATURE_HASH,
            ),
            (
                topics::UNSTAKE_INIT,
                "UnstakeInit(address,uint256,uint256,uint256,uint256)",
                abi::IStakeManager::UnstakeInit::SIGNATURE_HASH,
            ),
            (
                topics::UNSTAKED,
                "Unstaked(address,uint256,uint256,uint256)",
                abi::IStakeManager::Unstaked::SIGNATURE_HASH,
            ),
            (
                topics::STATE_SYNCED,
                "StateSynced(uint256,address,bytes)",
                abi::IStateSender::StateSynced::SIGNATURE_HASH,
            ),
            (
                topics::NEW_REGISTRATION,
                "NewRegistration(address,address,address)",
                abi::IStateSender::NewRegistration::SIGNATURE_HASH,
            ),
            (
                topics::TOKEN_MAPPED,
                "TokenMapped(address,address)",
                abi::IRootChainManager::TokenMapped::SIGNATURE_HASH,
            ),
            (
                topics::LOCKED_ERC20,
                "LockedERC20(address,address,address,uint256)",
                abi::IERC20Predicate::LockedERC20::SIGNATURE_HASH,
            ),
        ];
        for (constant, signature, bound) in pairs {
            assert_eq!(constant, keccak256(signature), "{signature}");
            assert_eq!(constant, bound, "{signature}");
        }
    }

    /// `name(type,…)` of each function, event or error (by `kind`) in an artifact's ABI.
    fn signatures(a: &Artifact, kind: &str) -> Vec<String> {
        a.abi
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| {
                let inputs: Vec<&str> = e["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        let t = i["type"].as_str().unwrap();
                        assert!(!t.starts_with("tuple"), "{}: tuple input", a.name);
                        t
                    })
                    .collect();
                format!("{}({})", e["name"].as_str().unwrap(), inputs.join(","))
            })
            .collect()
    }

    fn selectors4(a: &Artifact, kind: &str) -> Vec<[u8; 4]> {
        signatures(a, kind)
            .iter()
            .map(|s| keccak256(s)[..4].try_into().unwrap())
            .collect()
    }

    #[test]
    fn the_bindings_match_the_compiled_abis() {
        use abi::*;
        // Every function, event and error the bindings declare exists in the contract.
        let check = |a: &Artifact, calls: &[[u8; 4]], events: &[[u8; 32]], errors: &[[u8; 4]]| {
            let (fs, es) = (selectors4(a, "function"), selectors4(a, "error"));
            let evs: Vec<[u8; 32]> = signatures(a, "event")
                .iter()
                .map(|s| keccak256(s).0)
                .collect();
            for c in calls {
                assert!(fs.contains(c), "{}: no function {c:?}", a.name);
            }
            for e in events {
                assert!(evs.contains(e), "{}: no event {e:?}", a.name);
            }
            for e in errors {
                assert!(es.contains(e), "{}: no error {e:?}", a.name);
            }
        };
        check(
            stake_manager().unwrap(),
            IStakeManager::IStakeManagerCalls::SELECTORS,
            IStakeManager::IStakeManagerEvents::SELECTORS,
            IStakeManager::IStakeManagerErrors::SELECTORS,
        );
        check(
            state_sender().unwrap(),
            IStateSender::IStateSenderCalls::SELECTORS,
            IStateSender::IStateSenderEvents::SELECTORS,
            IStateSender::IStateSenderErrors::SELECTORS,
        );
        check(
            root_chain_manager().unwrap(),
            IRootChainManager::IRootChainManagerCalls::SELECTORS,
            IRootChainManager::IRootChainManagerEvents::SELECTORS,
            IRootChainManager::IRootChainManagerErrors::SELECTORS,
        );
        check(
            erc20_predicate().unwrap(),
            IERC20Predicate::IERC20PredicateCalls::SELECTORS,
            IERC20Predicate::IERC20PredicateEvents::SELECTORS,
            IERC20Predicate::IERC20PredicateErrors::SELECTORS,
        );
        check(
            child_chain_manager().unwrap(),
            IChildChainManager::IChildChainManagerCalls::SELECTORS,
            IChildChainManager::IChildChainManagerEvents::SELECTORS,
            IChildChainManager::IChildChainManagerErrors::SELECTORS,
        );
        for a in [child_erc20().unwrap(), test_token().unwrap()] {
            check(
                a,
                IERC20::IERC20Calls::SELECTORS,
                IERC20::IERC20Events::SELECTORS,
                IERC20::IERC20Errors::SELECTORS,
            );
        }
        check(
            child_erc20().unwrap(),
            IChildERC20::IChildERC20Calls::SELECTORS,
            &[],
            IChildERC20::IChildERC20Errors::SELECTORS,
        );
    }

    #[test]
    fn child_token_addresses_follow_create2() {
        let token = Address::repeat_byte(0x42);
        let a = child_token_address(728_126_428, token).unwrap();
        // By hand: keccak256(0xff ‖ 0x…1100 ‖ salt ‖ keccak256(creation code))[12..].
        let mut salt_pre = U256::from(728_126_428u64).to_be_bytes::<32>().to_vec();
        salt_pre.extend_from_slice(&[0u8; 12]);
        salt_pre.extend_from_slice(token.as_slice());
        let salt = keccak256(&salt_pre);
        assert_eq!(salt, child_token_salt(728_126_428, token));
        let mut pre = vec![0xffu8];
        pre.extend_from_slice(CHILD_CHAIN_MANAGER_ADDRESS.as_slice());
        pre.extend_from_slice(salt.as_slice());
        pre.extend_from_slice(keccak256(&child_erc20().unwrap().bytecode).as_slice());
        assert_eq!(a, Address::from_slice(&keccak256(&pre)[12..]));
        // Another root chain or token: another address.
        assert_ne!(a, child_token_address(31337, token).unwrap());
        assert_ne!(
            a,
            child_token_address(728_126_428, Address::repeat_byte(0x43)).unwrap()
        );
    }

    #[test]
    fn sync_payloads_have_the_specified_layout() {
        let token = Address::repeat_byte(0x42);
        let receiver = Address::repeat_byte(0x77);
        let w = |n: u64| U256::from(n).to_be_bytes::<32>().to_vec();
        let addr = |a: Address| {
            let mut v = vec![0u8; 12];
            v.extend_from_slice(a.as_slice());
            v
        };
        // DEPOSIT: (type, offset 64, len, inner), inner = (chain, receiver, token, offset 128,
        // len 32, amount).
        let d = deposit_payload(1029, receiver, token, U256::from(5000));
        let mut inner = w(1029);
        inner.extend(addr(receiver));
        inner.extend(addr(token));
        inner.extend(w(128));
        inner.extend(w(32));
        inner.extend(w(5000));
        let mut expected = DEPOSIT.to_vec();
        expected.extend(w(64));
        expected.extend(w(inner.len() as u64));
        expected.extend(inner);
        assert_eq!(d.to_vec(), expected);
        // MAP_TOKEN: inner = (chain, token, offset name, offset symbol, decimals, name, symbol).
        let m = map_token_payload(1029, token, "Test Token", "TT", 18);
        let mut inner = w(1029);
        inner.extend(addr(token));
        inner.extend(w(160));
        inner.extend(w(224));
        inner.extend(w(18));
        for s in ["Test Token", "TT"] {
            inner.extend(w(s.len() as u64));
            let mut data = s.as_bytes().to_vec();
            data.resize(32, 0);
            inner.extend(data);
        }
        let mut expected = MAP_TOKEN.to_vec();
        expected.extend(w(64));
        expected.extend(w(inner.len() as u64));
        expected.extend(inner);
        assert_eq!(m.to_vec(), expected);
    }

    #[test]
    fn root_init_codes_append_the_constructor_arguments() {
        let token = Address::repeat_byte(0x11);
        let code = stake_manager_init_code(token, U256::from(7), U256::from(1)).unwrap();
        let base = &stake_manager().unwrap().bytecode;
        assert_eq!(&code[..base.len()], &base[..]);
        assert_eq!(code.len(), base.len() + 96);
        assert_eq!(&code[base.len() + 12..base.len() + 32], token.as_slice());
        assert_eq!(
            U256::from_be_slice(&code[base.len() + 32..base.len() + 64]),
            U256::from(7)
        );
        let sender = Address::repeat_byte(0x22);
        let code = root_chain_manager_init_code(sender).unwrap();
        let base = &root_chain_manager().unwrap().bytecode;
        assert_eq!(code.len(), base.len() + 64);
        assert_eq!(&code[base.len() + 12..base.len() + 32], sender.as_slice());
        assert_eq!(
            &code[base.len() + 32..],
            child_token_code_hash().unwrap().as_slice()
        );
    }

    #[test]
    fn dev_genesis_lists_funded_accounts_and_system_code() {
        let a = Address::repeat_byte(0xaa);
        let g = dev_genesis_json(
            1029,
            &[(a, U256::from(5)), (VALIDATOR_SET_ADDRESS, U256::from(7))],
        )
        .unwrap();
        assert_eq!(g["config"]["chainId"], 1029);
        assert_eq!(g["gasLimit"], "0x1c9c380");
        let alloc = g["alloc"].as_object().unwrap();
        assert_eq!(alloc.len(), 4);
        assert_eq!(
            alloc["0x0000000000000000000000000000000000001100"]["code"],
            child_chain_manager().unwrap().deployed_bytecode.to_string()
        );
        assert_eq!(alloc[&format!("{a:#x}")]["balance"], "0x5");
        let vs = &alloc["0x0000000000000000000000000000000000001000"];
        assert_eq!(vs["balance"], "0x7");
        assert_eq!(
            vs["code"],
            validator_set().unwrap().deployed_bytecode.to_string()
        );
        assert!(alloc["0x0000000000000000000000000000000000001001"]["code"]
            .as_str()
            .unwrap()
            .starts_with("0x"));
        assert_eq!(
            dev_genesis_json(1, &[(a, U256::from(1)), (a, U256::from(2))]),
            Err(ContractsError::DuplicateAccount { address: a })
        );
    }

    #[test]
    fn constructor_arguments_are_abi_encoded() {
        let enc = abi_encode_string_string_uint("Test Token", "TT", U256::from(1000)).unwrap();
        // head: offset 0x60, offset 0x60 + 32 + 32, supply; tails: len, data (padded) twice.
        assert_eq!(enc.len(), 3 * 32 + 2 * 64);
        assert_eq!(U256::from_be_slice(&enc[0..32]), U256::from(0x60));
        assert_eq!(U256::from_be_slice(&enc[32..64]), U256::from(0xa0));
        assert_eq!(U256::from_be_slice(&enc[64..96]), U256::from(1000));
        assert_eq!(U256::from_be_slice(&enc[96..128]), U256::from(10));
        assert_eq!(&enc[128..138], b"Test Token");
        assert!(enc[138..160].iter().all(|b| *b == 0));
        assert_eq!(U256::from_be_slice(&enc[160..192]), U256::from(2));
        assert_eq!(&enc[192..194], b"TT");
        // A 32-byte name takes exactly one data word.
        let long = "x".repeat(32);
        let enc = abi_encode_string_string_uint(&long, "", U256::ZERO).unwrap();
        assert_eq!(U256::from_be_slice(&enc[32..64]), U256::from(0x60 + 64));
        assert_eq!(enc.len(), 96 + 64 + 32);
        let code = test_token_init_code("A", "B", U256::from(1)).unwrap();
        assert!(code.starts_with(&test_token().unwrap().bytecode));
    }
}
