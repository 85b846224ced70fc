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
//! - [`test_token`], [`test_state_sync_receiver`]: an ERC-20 and a state-sync receiver for
//!   client tests and benchmarks (compiled for solc's default EVM version, so they need the
//!   default engine profile, not `berlin`).
//!
//! The system contracts are compiled for `berlin` and placed in the genesis alloc as runtime
//! code ([`system_contract_alloc`], [`dev_genesis_json`]): no constructor runs, and they work
//! from zero storage. Their storage slots, read by tools and tests, are in [`slots`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use alloy_primitives::{address, Address, Bytes, U256};
use serde::Deserialize;

/// The caller of every system call (`0xffff…fffe`); the only account allowed to call
/// `commitState` and `commitSpan`.
pub const SYSTEM_ADDRESS: Address = address!("0xfffffffffffffffffffffffffffffffffffffffe");
/// Where the ValidatorSet system contract lives.
pub const VALIDATOR_SET_ADDRESS: Address = address!("0x0000000000000000000000000000000000001000");
/// Where the StateReceiver system contract lives.
pub const STATE_RECEIVER_ADDRESS: Address = address!("0x0000000000000000000000000000000000001001");

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

/// Every artifact, in name order.
pub fn all() -> Result<Vec<&'static Artifact>, ContractsError> {
    Ok(vec![
        state_receiver()?,
        test_state_sync_receiver()?,
        test_token()?,
        validator_set()?,
    ])
}

/// The system contracts' runtime code for a genesis alloc: ValidatorSet at `0x…1000`, then
/// StateReceiver at `0x…1001`.
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
    ])
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
        assert_eq!(all.len(), 4);
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
        assert_eq!(state_receiver().unwrap().evm_version, "berlin");
        assert_eq!(validator_set().unwrap().evm_version, "berlin");
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
    fn system_alloc_holds_both_contracts() {
        let alloc = system_contract_alloc().unwrap();
        assert_eq!(alloc.len(), 2);
        assert_eq!(alloc[0].0, VALIDATOR_SET_ADDRESS);
        assert_eq!(alloc[0].1, validator_set().unwrap().deployed_bytecode);
        assert_eq!(alloc[1].0, STATE_RECEIVER_ADDRESS);
        assert_eq!(alloc[1].1, state_receiver().unwrap().deployed_bytecode);
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
        assert_eq!(alloc.len(), 3);
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
