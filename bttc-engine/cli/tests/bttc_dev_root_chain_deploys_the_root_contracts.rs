//! `bttc dev --root-chain tron|eth` (the binary): the root contracts are deployed in the first
//! blocks, the root-contracts file lists them (base58 on TRON), the chain answers for them over
//! the Ethereum JSON-RPC (code, staked validators, the mapped token, the registration, the
//! RootChain's genesis set and, on the staking chain, its wiring into the StakeManager), the
//! genesis validators' signers hold native coin, and a restart of the same data directory
//! deploys nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::disallowed_types,
    missing_docs
)]

use std::path::Path;
use std::process::Command;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use bttc_engine_contracts::abi::{IRootChainManager, IStakeManager, IStateSender, IERC20};
use bttc_engine_contracts::checkpoint::{account_root, IRootChain};
use bttc_engine_contracts::root_contracts::{RootChainValidator, RootContractsFile};
use serde_json::{json, Value};

mod common;

use common::DevNode;

fn command(datadir: &Path, extra: &[&str]) -> Command {
    common::dev_command(datadir, "100ms", extra)
}

/// The root-chain reads these tests make, over a node's JSON-RPC.
trait RootReads {
    fn call(&self, method: &str, params: Value) -> Value;

    fn code(&self, a: Address) -> Bytes {
        self.call("eth_getCode", json!([a, "latest"]))
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let out: Bytes = self
            .call(
                "eth_call",
                json!([{"to": to, "data": Bytes::from(call.abi_encode())}, "latest"]),
            )
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        C::abi_decode_returns(&out).unwrap()
    }

    fn nonce(&self, a: Address) -> u64 {
        common::quantity(&self.call("eth_getTransactionCount", json!([a, "latest"])))
    }

    fn balance(&self, a: Address) -> U256 {
        self.call("eth_getBalance", json!([a, "latest"]))
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// Checks the RootChain at `rc` against the set `(signer, power)`: code, the set's root,
/// total power, count, each power, the BTTC chain id, the owner (the deployer), no checkpoint
/// yet; and the file's `root_chain_genesis`. Returns the RootChain's StakeManager.
fn check_root_chain(
    node: &DevNode,
    file: &RootContractsFile,
    set: &[(Address, u64)],
    bttc_chain_id: u64,
) -> Address {
    let rc = a(&file.contracts.root_chain.as_ref().unwrap().address);
    assert_eq!(
        node.code(rc).len(),
        bttc_engine_contracts::root_chain()
            .unwrap()
            .deployed_bytecode
            .len()
    );
    let mut sorted: Vec<(Address, U256)> = set.iter().map(|(s, p)| (*s, U256::from(*p))).collect();
    sorted.sort();
    let root = account_root(&sorted);
    assert_eq!(node.view(rc, IRootChain::validatorSetRootCall {}), root);
    let total: u64 = set.iter().map(|(_, p)| p).sum();
    assert_eq!(
        node.view(rc, IRootChain::totalPowerCall {}),
        U256::from(total)
    );
    assert_eq!(
        node.view(rc, IRootChain::validatorCountCall {}),
        U256::from(set.len())
    );
    for (signer, power) in set {
        assert_eq!(
            node.view(rc, IRootChain::powerOfCall { signer: *signer }),
            U256::from(*power)
        );
    }
    assert_eq!(
        node.view(
            rc,
            IRootChain::powerOfCall {
                signer: Address::repeat_byte(0x0e)
            }
        ),
        U256::ZERO
    );
    assert_eq!(
        node.view(rc, IRootChain::bttcChainIdCall {}),
        U256::from(bttc_chain_id)
    );
    assert_eq!(
        node.view(rc, IRootChain::ownerCall {}),
        a(&file.deployer.address)
    );
    assert_eq!(
        node.view(rc, IRootChain::currentHeaderBlockCall {}),
        U256::ZERO
    );
    let genesis = file.root_chain_genesis.as_ref().unwrap();
    assert_eq!(genesis.bttc_chain_id, bttc_chain_id);
    assert_eq!(genesis.account_root, format!("{root:#x}"));
    assert_eq!(
        genesis.validators,
        sorted
            .iter()
            .map(|(s, p)| RootChainValidator {
                signer: format!("{s:#x}"),
                power: p.saturating_to::<u64>(),
            })
            .collect::<Vec<_>>()
    );
    // The signers pay for their checkpoints: they hold native coin.
    for (signer, _) in set {
        assert!(node.balance(*signer) > U256::ZERO, "{signer} is not funded");
    }
    // Exits are proven against this RootChain's checkpoints.
    assert_eq!(
        node.view(
            a(&file.contracts.root_chain_manager.address),
            bttc_engine_contracts::exit::IRootChainManagerExit::rootChainCall {}
        ),
        rc
    );
    node.view(rc, IRootChain::stakeManagerCall {})
}

impl RootReads for DevNode {
    fn call(&self, method: &str, params: Value) -> Value {
        self.rpc(method, params)
    }
}

fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

fn pubkey(k: &PrivateKeySigner) -> String {
    let point = k.credential().verifying_key().to_encoded_point(false);
    format!("0x{}", alloy_primitives::hex::encode(point.as_bytes()))
}

fn read_file(path: &Path) -> RootContractsFile {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn a(s: &str) -> Address {
    s.parse().unwrap()
}

#[test]
fn a_tron_dev_root_chain_has_the_root_contracts_and_keeps_them_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let datadir = tmp.path().join("root");
    let out = tmp.path().join("contracts.json");
    let validators = tmp.path().join("validators.json");
    let owner = Address::repeat_byte(0x0e);
    std::fs::write(
        &validators,
        json!([
            {"signer_pubkey": pubkey(&key(5)), "amount": "1000000000000000000"},
            {"signer_pubkey": pubkey(&key(6)), "amount": "2500", "owner": owner},
        ])
        .to_string(),
    )
    .unwrap();
    let args = [
        "--root-chain",
        "tron",
        "--contracts-out",
        out.to_str().unwrap(),
        "--genesis-validators",
        validators.to_str().unwrap(),
    ];
    let node = DevNode::start(command(&datadir, &args));

    // The file, in both places.
    let file = read_file(&out);
    assert_eq!(file, read_file(&datadir.join("root-contracts.json")));
    assert_eq!(file.chain_type, "tron");
    assert_eq!(file.chain_id, 728_126_428);
    assert_eq!(file.rpc_url, node.url);
    assert_eq!(file.deploy_block, 1);
    assert_eq!(
        file.child_chain_manager,
        "0x0000000000000000000000000000000000001100"
    );
    assert_eq!((file.min_stake.as_str(), file.withdrawal_delay), ("1", 1));
    let c = &file.contracts;
    let all = [
        &file.deployer,
        &c.staking_token,
        &c.test_token,
        &c.stake_manager,
        &c.state_sender,
        &c.root_chain_manager,
        &c.erc20_predicate,
        c.root_chain.as_ref().unwrap(),
    ];
    for entry in all {
        let base58 = entry.base58.as_deref().unwrap();
        assert!(base58.starts_with('T'), "{base58}");
        assert_eq!(
            delivery_rootchain::tron::from_base58(base58).unwrap(),
            a(&entry.address).0 .0
        );
    }
    let (btt, test, sm, ss, rcm, predicate) = (
        a(&c.staking_token.address),
        a(&c.test_token.address),
        a(&c.stake_manager.address),
        a(&c.state_sender.address),
        a(&c.root_chain_manager.address),
        a(&c.erc20_predicate.address),
    );

    // The chain: its id, the deployed code.
    assert_eq!(node.rpc("eth_chainId", json!([])), "0x2b6653dc");
    let art = |f: fn() -> Result<
        &'static bttc_engine_contracts::Artifact,
        bttc_engine_contracts::ContractsError,
    >| f().unwrap().deployed_bytecode.clone();
    assert_eq!(node.code(ss), art(bttc_engine_contracts::state_sender));
    assert_eq!(node.code(btt), art(bttc_engine_contracts::test_token));
    assert_eq!(node.code(test), art(bttc_engine_contracts::test_token));
    // Immutables are filled in at deployment: same length as the artifact's runtime.
    for (address, f) in [
        (sm, bttc_engine_contracts::stake_manager as fn() -> _),
        (rcm, bttc_engine_contracts::root_chain_manager),
        (predicate, bttc_engine_contracts::erc20_predicate),
    ] {
        assert_eq!(node.code(address).len(), art(f).len(), "{address}");
    }

    // Staking: both validators, in order, with the StakeManager's dev settings.
    assert_eq!(node.view(sm, IStakeManager::tokenCall {}), btt);
    assert_eq!(node.view(sm, IStakeManager::minStakeCall {}), U256::from(1));
    assert_eq!(
        node.view(sm, IStakeManager::validatorCountCall {}),
        U256::from(2)
    );
    assert_eq!(
        node.view(sm, IStakeManager::totalStakedCall {}),
        U256::from(1_000_000_000_000_002_500u64)
    );
    let v1 = node.view(
        sm,
        IStakeManager::getValidatorCall {
            validatorId: U256::from(1),
        },
    );
    assert_eq!(
        (v1.signer, v1.amount, v1.nonce, v1.status),
        (
            key(5).address(),
            U256::from(10u64.pow(18)),
            U256::from(1),
            1
        )
    );
    assert_eq!(
        node.view(
            sm,
            IStakeManager::ownerOfCall {
                tokenId: U256::from(1)
            }
        ),
        key(5).address()
    );
    assert_eq!(
        node.view(
            sm,
            IStakeManager::ownerOfCall {
                tokenId: U256::from(2)
            }
        ),
        owner
    );
    let ids: Vec<_> = file
        .validators
        .iter()
        .map(|v| (v.id, a(&v.signer), v.amount.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (1, key(5).address(), "1000000000000000000".to_owned()),
            (2, key(6).address(), "2500".to_owned())
        ]
    );

    // The bridge: registered, TestToken mapped to the CREATE2 child address.
    assert_eq!(
        node.view(
            ss,
            IStateSender::registrationsCall {
                receiver: bttc_engine_contracts::CHILD_CHAIN_MANAGER_ADDRESS
            }
        ),
        rcm
    );
    assert_eq!(node.view(ss, IStateSender::counterCall {}), U256::from(1));
    assert_eq!(
        node.view(rcm, IRootChainManager::predicateCall {}),
        predicate
    );
    let child = bttc_engine_contracts::child_token_address(728_126_428, test).unwrap();
    assert_eq!(
        node.view(
            rcm,
            IRootChainManager::rootToChildTokenCall { rootToken: test }
        ),
        child
    );
    assert_eq!(file.mapped_tokens.len(), 1);
    assert_eq!(a(&file.mapped_tokens[0].root_token), test);
    assert_eq!(a(&file.mapped_tokens[0].child_token), child);

    // The RootChain: the genesis validators with power 1 each, BTTC's dev chain id, and (tron
    // holds staking) wired both ways into the StakeManager. It is the deployer's sixth
    // contract (nonce 5), right after the RootChainManager.
    let rc = a(&c.root_chain.as_ref().unwrap().address);
    assert_eq!(rc, a(&file.deployer.address).create(5));
    let set = [(key(5).address(), 1), (key(6).address(), 1)];
    assert_eq!(check_root_chain(&node, &file, &set, 1337), sm);
    assert_eq!(node.view(sm, IStakeManager::checkpointManagerCall {}), rc);

    // The dev accounts hold BTT and TestToken.
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(datadir.join("dev-accounts.json")).unwrap())
            .unwrap();
    let first = a(accounts[0]["address"].as_str().unwrap());
    let million = U256::from(10u64).pow(U256::from(24));
    for token in [btt, test] {
        assert_eq!(
            node.view(token, IERC20::balanceOfCall { holder: first }),
            million
        );
    }
    assert_eq!(node.view(btt, IERC20::symbolCall {}), "BTT");
    assert_eq!(node.view(btt, IERC20::nameCall {}), "BitTorrent");

    // Restart: nothing is deployed again; the file keeps the addresses.
    let deployer = a(&file.deployer.address);
    let sent = node.nonce(deployer);
    node.kill();
    let node = DevNode::start(command(&datadir, &args));
    assert_eq!(node.nonce(deployer), sent);
    let again = read_file(&out);
    assert_eq!(again.rpc_url, node.url);
    assert_eq!(
        RootContractsFile {
            rpc_url: file.rpc_url.clone(),
            ..again
        },
        file
    );
    node.kill();

    // A restart with another BTTC chain id for the RootChain is refused.
    let mut other = args.to_vec();
    other.extend(["--bttc-chain-id", "5"]);
    let output = command(&datadir, &other).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BTTC chain id 5") && stderr.contains("--reset"),
        "{stderr}"
    );

    // The same data directory as another root chain is refused.
    let output = command(&datadir, &["--root-chain", "eth"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chain id 728126428"), "{stderr}");
}

#[test]
fn an_eth_dev_root_chain_uses_its_own_chain_id_and_hex_addresses() {
    let tmp = tempfile::tempdir().unwrap();
    let node = DevNode::start(command(tmp.path(), &["--root-chain", "eth"]));
    let text = std::fs::read_to_string(tmp.path().join("root-contracts.json")).unwrap();
    assert!(!text.contains("base58"), "{text}");
    // Without --genesis-validators no RootChain is deployed.
    assert!(!text.contains("root_chain\""), "{text}");
    let file: RootContractsFile = serde_json::from_str(&text).unwrap();
    assert_eq!((file.chain_type.as_str(), file.chain_id), ("eth", 31_337));
    assert!(file.validators.is_empty());
    assert_eq!(
        (
            file.contracts.root_chain.as_ref(),
            file.root_chain_genesis.as_ref()
        ),
        (None, None)
    );
    assert_eq!(node.rpc("eth_chainId", json!([])), "0x7a69");
    let sm = a(&file.contracts.stake_manager.address);
    assert_eq!(
        node.view(sm, IStakeManager::validatorCountCall {}),
        U256::ZERO
    );
    assert_eq!(
        node.view(sm, IStakeManager::currentEpochCall {}),
        U256::from(1)
    );
    node.kill();

    // Restarting it with --genesis-validators cannot add one: --reset.
    let validators = tmp.path().join("validators.json");
    std::fs::write(
        &validators,
        json!([{"signer_pubkey": pubkey(&key(5)), "amount": "1"}]).to_string(),
    )
    .unwrap();
    let output = command(
        tmp.path(),
        &[
            "--root-chain",
            "eth",
            "--genesis-validators",
            validators.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no RootChain"), "{stderr}");

    // Flags that need --root-chain, and --chain-id with it, are refused by the parser.
    let other = tempfile::tempdir().unwrap();
    for bad in [
        &["--root-chain-id", "5"][..],
        &["--root-chain", "eth", "--chain-id", "5"][..],
        &["--root-chain", "bsc"][..],
        &["--staking"][..],
        &["--root-chain", "eth", "--bttc-chain-id", "0"][..],
        &["--root-chain", "eth", "--staking", "maybe"][..],
    ] {
        let output = command(other.path(), bad).output().unwrap();
        assert!(!output.status.success(), "{bad:?} was accepted");
    }
}

#[test]
fn an_eth_dev_root_chain_with_genesis_validators_has_their_root_chain_but_stakes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let validators = tmp.path().join("validators.json");
    let owner = Address::repeat_byte(0x0e);
    // The same file the staking chain takes; a `power` field sets the RootChain power.
    std::fs::write(
        &validators,
        json!([
            {"signer_pubkey": pubkey(&key(5)), "amount": "1000"},
            {"signer_pubkey": pubkey(&key(6)), "amount": "1000", "owner": owner, "power": 3},
            {"signer_pubkey": pubkey(&key(7)), "amount": "1000", "signer": "0x…", "extra": 1},
        ])
        .to_string(),
    )
    .unwrap();
    let datadir = tmp.path().join("eth");
    let args = [
        "--root-chain",
        "eth",
        "--genesis-validators",
        validators.to_str().unwrap(),
        "--bttc-chain-id",
        "199",
    ];
    let node = DevNode::start(command(&datadir, &args));
    let file = read_file(&datadir.join("root-contracts.json"));
    assert!(file.contracts.root_chain.as_ref().unwrap().base58.is_none());
    let set = [
        (key(5).address(), 1),
        (key(6).address(), 3),
        (key(7).address(), 1),
    ];
    // Not the staking chain: the RootChain has no StakeManager, the StakeManager no
    // checkpoint manager and no validators.
    assert_eq!(check_root_chain(&node, &file, &set, 199), Address::ZERO);
    let sm = a(&file.contracts.stake_manager.address);
    assert_eq!(
        node.view(sm, IStakeManager::checkpointManagerCall {}),
        Address::ZERO
    );
    assert_eq!(
        node.view(sm, IStakeManager::validatorCountCall {}),
        U256::ZERO
    );
    assert!(file.validators.is_empty());
    // The RootChain keeps its address (deployer nonce 5) on every kind.
    assert_eq!(
        a(&file.contracts.root_chain.as_ref().unwrap().address),
        a(&file.deployer.address).create(5)
    );

    // A restart with the same file deploys nothing; one that would stake is refused.
    let deployer = a(&file.deployer.address);
    let sent = node.nonce(deployer);
    node.kill();
    let node = DevNode::start(command(&datadir, &args));
    assert_eq!(node.nonce(deployer), sent);
    node.kill();
    let mut staking = args.to_vec();
    staking.push("--staking");
    let output = command(&datadir, &staking).output().unwrap();
    assert!(!output.status.success());

    // `--staking` on eth makes it the staking chain: staked and wired like tron.
    let datadir = tmp.path().join("eth-staking");
    let node = DevNode::start(command(&datadir, &staking));
    let file = read_file(&datadir.join("root-contracts.json"));
    let sm = a(&file.contracts.stake_manager.address);
    let rc = a(&file.contracts.root_chain.as_ref().unwrap().address);
    assert_eq!(check_root_chain(&node, &file, &set, 199), sm);
    assert_eq!(node.view(sm, IStakeManager::checkpointManagerCall {}), rc);
    assert_eq!(
        node.view(sm, IStakeManager::validatorCountCall {}),
        U256::from(3)
    );
    assert_eq!(file.validators.len(), 3);
    node.kill();

    // And `--staking false` on tron stakes nothing.
    let datadir = tmp.path().join("tron-not-staking");
    let node = DevNode::start(command(
        &datadir,
        &[
            "--root-chain",
            "tron",
            "--staking",
            "false",
            "--genesis-validators",
            validators.to_str().unwrap(),
        ],
    ));
    let file = read_file(&datadir.join("root-contracts.json"));
    assert!(file.validators.is_empty());
    assert_eq!(check_root_chain(&node, &file, &set, 1337), Address::ZERO);
    node.kill();
}
