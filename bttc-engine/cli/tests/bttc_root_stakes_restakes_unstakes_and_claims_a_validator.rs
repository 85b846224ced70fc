//! `bttc root …` (the binary) against a `bttc dev --root-chain tron` process: a new validator is
//! staked (approval included, owner given in TRON base58), read back, restaked, given a new
//! signer, unstaked at the epoch the deployer set, refused its claim until the withdrawal delay
//! is over, then claimed. Every refusal happens before anything is sent (the sender's nonce
//! does not move) and says why in words. The RPC comes from the file or `--rpc` and must be the
//! file's chain; a transaction not mined in time is reported with its hash.
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

use std::path::{Path, PathBuf};
use std::process::Command;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use bttc_engine_contracts::abi::{IStakeManager, IERC20};
use bttc_engine_contracts::root_contracts::RootContractsFile;
use serde_json::{json, Value};

mod common;

use common::DevNode;

fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
}

fn pubkey(k: &PrivateKeySigner) -> String {
    let point = k.credential().verifying_key().to_encoded_point(false);
    format!("0x{}", alloy_primitives::hex::encode(point.as_bytes()))
}

fn compressed(k: &PrivateKeySigner) -> String {
    let point = k.credential().verifying_key().to_encoded_point(true);
    format!("0x{}", alloy_primitives::hex::encode(point.as_bytes()))
}

/// The dev account `n` as `bttc dev` derives it.
fn dev(n: u32) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&alloy_primitives::keccak256(format!(
        "bttc dev account {n}"
    )))
    .unwrap()
}

/// Runs `bttc root ARGS --contracts FILE`: (success, stdout, stderr).
fn root(contracts: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bttc"))
        .arg("root")
        .args(args)
        .arg("--contracts")
        .arg(contracts)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Runs a command that must succeed, with `--output json`.
fn ok(contracts: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let (success, stdout, stderr) = root(contracts, &all);
    assert!(success, "{args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// Runs a command that must fail with `needle` in its error.
fn refused(contracts: &Path, args: &[&str], needle: &str) -> String {
    let (success, stdout, stderr) = root(contracts, args);
    assert!(!success, "{args:?} succeeded: {stdout}");
    assert!(
        stderr.contains(needle),
        "{args:?}: expected {needle:?} in: {stderr}"
    );
    stderr
}

struct Chain {
    node: DevNode,
    contracts: PathBuf,
    file: RootContractsFile,
}

impl Chain {
    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let out: Bytes = self
            .node
            .rpc(
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
        common::quantity(
            &self
                .node
                .rpc("eth_getTransactionCount", json!([a, "pending"])),
        )
    }

    fn address(&self, s: &str) -> Address {
        s.parse().unwrap()
    }

    fn stake_manager(&self) -> Address {
        self.address(&self.file.contracts.stake_manager.address)
    }

    fn btt(&self) -> Address {
        self.address(&self.file.contracts.staking_token.address)
    }
}

/// A tron dev root chain with validator 1 (signer `key(5)`) staked at deployment.
fn start(tmp: &Path) -> Chain {
    let validators = tmp.join("validators.json");
    std::fs::write(
        &validators,
        json!([{"signer_pubkey": pubkey(&key(5)), "amount": "1000"}]).to_string(),
    )
    .unwrap();
    let datadir = tmp.join("root");
    let node = DevNode::start(common::dev_command(
        &datadir,
        "100ms",
        &[
            "--root-chain",
            "tron",
            "--genesis-validators",
            validators.to_str().unwrap(),
        ],
    ));
    let contracts = datadir.join("root-contracts.json");
    let file = serde_json::from_str(&std::fs::read_to_string(&contracts).unwrap()).unwrap();
    Chain {
        node,
        contracts,
        file,
    }
}

#[test]
fn a_validator_is_staked_restaked_resigned_unstaked_and_claimed_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = start(tmp.path());
    let c = chain.contracts.as_path();
    let sm = chain.stake_manager();
    let (staker, owner) = (dev(1), dev(3));
    let owner_base58 = delivery_rootchain::tron::to_base58(&owner.address().0 .0);

    let info = ok(c, &["info"]);
    assert_eq!(info["current_epoch"], 1, "{info}");
    assert_eq!(info["min_stake"], "1");
    assert_eq!(info["withdrawal_delay"], 1);
    assert_eq!(info["validator_count"], 1);
    assert_eq!(info["total_staked"], "1000");
    assert_eq!(
        info["stake_manager"],
        chain.file.contracts.stake_manager.address
    );
    assert_eq!(info["owner"], chain.file.deployer.address);
    // The tron dev chain holds staking: its RootChain is the checkpoint manager, and the
    // deployer (the owner) still sets epochs by hand below.
    assert_eq!(
        info["checkpoint_manager"],
        chain.file.contracts.root_chain.as_ref().unwrap().address
    );

    // Stake: dev account 1 pays, dev account 3 (given in base58) owns the validator.
    let btt_before = chain.view(
        chain.btt(),
        IERC20::balanceOfCall {
            holder: staker.address(),
        },
    );
    let staked = ok(
        c,
        &[
            "stake",
            "--dev-account",
            "1",
            "--signer-pubkey",
            &pubkey(&key(7)),
            "--amount",
            "1000",
            "--owner",
            &owner_base58,
        ],
    );
    assert_eq!(staked["validator_id"], 2, "{staked}");
    assert_eq!(staked["activation_epoch"], 1);
    assert_eq!(staked["nonce"], 1);
    assert_eq!(staked["amount"], "1000");
    assert_eq!(staked["total_staked"], "2000");
    assert_eq!(
        chain.address(staked["signer"].as_str().unwrap()),
        key(7).address()
    );
    assert_eq!(
        chain.address(staked["owner"].as_str().unwrap()),
        owner.address()
    );
    assert!(staked["approve_tx_hash"].is_string(), "{staked}");
    assert!(staked["block"].as_u64().unwrap() > chain.file.deploy_block);
    // The chain agrees.
    let v = chain.view(
        sm,
        IStakeManager::getValidatorCall {
            validatorId: U256::from(2),
        },
    );
    assert_eq!(
        (v.signer, v.amount, v.nonce, v.status),
        (key(7).address(), U256::from(1000), U256::from(1), 1)
    );
    assert_eq!(
        chain.view(
            sm,
            IStakeManager::ownerOfCall {
                tokenId: U256::from(2)
            }
        ),
        owner.address()
    );
    assert_eq!(
        chain.view(
            chain.btt(),
            IERC20::balanceOfCall {
                holder: staker.address()
            }
        ),
        btt_before - U256::from(1000)
    );
    let read = ok(c, &["validator", "--validator-id", "2"]);
    assert_eq!(read["status"], "active", "{read}");
    assert_eq!(read["amount"], "1000");
    assert_eq!(read["signer_pubkey"], pubkey(&key(7)));
    assert_eq!(read["claimable_epoch"], Value::Null);

    // Stakes refused up front: nothing is sent.
    let sent = chain.nonce(staker.address());
    let stake = |pk: &str, amount: &str, account: &str, needle: &str| {
        refused(
            c,
            &[
                "stake",
                "--dev-account",
                account,
                "--signer-pubkey",
                pk,
                "--amount",
                amount,
            ],
            needle,
        )
    };
    stake(&pubkey(&key(5)), "10", "1", "already serves validator 1");
    stake(
        &pubkey(&key(9)),
        "0",
        "1",
        "below the StakeManager's minimum stake 1",
    );
    // Dev account 1 holds a million BTT (10^24 atto) less what it staked.
    stake(
        &pubkey(&key(9)),
        "1000000000000000000000000",
        "1",
        "less than 1000000000000000000000000",
    );
    // Dev account 50 is not funded.
    stake(&pubkey(&key(9)), "10", "50", "holds 0 of the staking token");
    let pk = pubkey(&key(9));
    stake(&pk[..pk.len() - 2], "10", "1", "found 64 bytes");
    stake(
        &pk.replacen("0x04", "0x03", 1),
        "10",
        "1",
        "starting with 0x03",
    );
    let off_curve = format!("0x04{}{}", "00".repeat(32), &pk[68..]);
    stake(&off_curve, "10", "1", "not a point on secp256k1");
    stake(
        &compressed(&key(9)),
        "10",
        "1",
        &format!("its uncompressed form is {pk}"),
    );
    stake(&pk, "1.5", "1", "not a decimal integer");
    assert_eq!(chain.nonce(staker.address()), sent);

    // Restake: the owner's key from a file (a bttc dev accounts entry); others are refused.
    let key_file = tmp.path().join("owner.json");
    std::fs::write(
        &key_file,
        json!({
            "address": owner.address().to_checksum(None),
            "private_key": format!("0x{}", alloy_primitives::hex::encode(owner.to_bytes())),
        })
        .to_string(),
    )
    .unwrap();
    let key_file = key_file.to_str().unwrap();
    refused(
        c,
        &[
            "restake",
            "--dev-account",
            "1",
            "--validator-id",
            "2",
            "--amount",
            "5",
        ],
        &format!("only validator 2's owner {}", owner.address()),
    );
    assert_eq!(chain.nonce(staker.address()), sent);
    let restaked = ok(
        c,
        &[
            "restake",
            "--key-file",
            key_file,
            "--validator-id",
            "2",
            "--amount",
            "500",
        ],
    );
    assert_eq!(restaked["new_amount"], "1500", "{restaked}");
    assert_eq!(restaked["nonce"], 2);

    // A new signer, the owner's key as raw hex.
    let hex_file = tmp.path().join("owner.hex");
    std::fs::write(
        &hex_file,
        format!("{}\n", alloy_primitives::hex::encode(owner.to_bytes())),
    )
    .unwrap();
    let hex_file = hex_file.to_str().unwrap();
    let signer_args = |pk: String| {
        vec![
            "update-signer".to_owned(),
            "--key-file".to_owned(),
            hex_file.to_owned(),
            "--validator-id".to_owned(),
            "2".to_owned(),
            "--signer-pubkey".to_owned(),
            pk,
        ]
    };
    let args = signer_args(pubkey(&key(8)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let changed = ok(c, &args);
    assert_eq!(
        chain.address(changed["old_signer"].as_str().unwrap()),
        key(7).address()
    );
    assert_eq!(
        chain.address(changed["new_signer"].as_str().unwrap()),
        key(8).address()
    );
    assert_eq!(changed["nonce"], 3);
    let args = signer_args(pubkey(&key(5)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(c, &args, "already serves validator 1");

    // The epoch: only the owner (the dev deployer) sets it, and only upwards.
    refused(
        c,
        &["set-epoch", "--dev-account", "1", "--epoch", "3"],
        &format!("{} may not set the epoch", staker.address()),
    );
    let set = ok(c, &["set-epoch", "--deployer", "--epoch", "3"]);
    assert_eq!(
        (&set["previous_epoch"], &set["epoch"]),
        (&json!(1), &json!(3))
    );
    refused(
        c,
        &["set-epoch", "--deployer", "--epoch", "2"],
        "the epoch only rises: it is 3",
    );

    // Unstake at epoch 3: only the owner, only once.
    refused(
        c,
        &["unstake", "--dev-account", "1", "--validator-id", "2"],
        &format!("only validator 2's owner {}", owner.address()),
    );
    assert_eq!(chain.nonce(staker.address()), sent);
    let unstaked = ok(
        c,
        &["unstake", "--key-file", key_file, "--validator-id", "2"],
    );
    assert_eq!(unstaked["deactivation_epoch"], 3, "{unstaked}");
    assert_eq!(unstaked["claimable_epoch"], 4);
    assert_eq!(unstaked["amount"], "1500");
    assert_eq!(unstaked["nonce"], 4);
    assert_eq!(
        chain.view(
            sm,
            IStakeManager::validatorStatusCall {
                validatorId: U256::from(2)
            }
        ),
        2
    );
    refused(
        c,
        &["unstake", "--key-file", key_file, "--validator-id", "2"],
        "validator 2 is not active: its status is unstaking",
    );
    let read = ok(c, &["validator", "--validator-id", "2"]);
    assert_eq!(read["status"], "unstaking", "{read}");
    assert_eq!(read["claimable_epoch"], 4);

    // The claim waits for the withdrawal delay.
    refused(
        c,
        &["claim", "--key-file", key_file, "--validator-id", "2"],
        "validator 2's stake can be claimed from epoch 4; the current epoch is 3",
    );
    ok(c, &["set-epoch", "--deployer", "--epoch", "4"]);
    let owner_btt = chain.view(
        chain.btt(),
        IERC20::balanceOfCall {
            holder: owner.address(),
        },
    );
    let claimed = ok(c, &["claim", "--key-file", key_file, "--validator-id", "2"]);
    assert_eq!(claimed["amount"], "1500", "{claimed}");
    assert_eq!(claimed["total_staked"], "1000");
    assert_eq!(
        chain.view(
            chain.btt(),
            IERC20::balanceOfCall {
                holder: owner.address()
            }
        ),
        owner_btt + U256::from(1500)
    );
    let read = ok(c, &["validator", "--validator-id", "2"]);
    assert_eq!(read["status"], "unstaked (stake claimed)", "{read}");
    assert_eq!(read["owner"], Value::Null);
    refused(
        c,
        &[
            "restake",
            "--key-file",
            key_file,
            "--validator-id",
            "2",
            "--amount",
            "5",
        ],
        "there is no validator 2",
    );
    refused(
        c,
        &["validator", "--validator-id", "3"],
        "there is no validator 3",
    );
    // The signer is free again.
    assert_eq!(
        chain.view(
            sm,
            IStakeManager::signerToValidatorCall {
                signer: key(8).address()
            }
        ),
        U256::ZERO
    );
    chain.node.kill();
}

#[test]
fn the_rpc_comes_from_the_file_or_the_flag_and_must_be_the_files_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = start(tmp.path());
    let url = chain.node.url.clone();

    // Text output, with TRON base58 beside the hex addresses.
    let (success, stdout, stderr) = root(&chain.contracts, &["info"]);
    assert!(success, "{stderr}");
    assert!(stdout.contains("current epoch:       1"), "{stdout}");
    let base58 = chain.file.contracts.stake_manager.base58.clone().unwrap();
    assert!(stdout.contains(&base58), "{stdout}");

    // No rpc_url in the file: --rpc is needed.
    let no_url = tmp.path().join("no-url.json");
    let mut file = chain.file.clone();
    file.rpc_url = String::new();
    std::fs::write(&no_url, serde_json::to_string(&file).unwrap()).unwrap();
    refused(&no_url, &["info"], "has no rpc_url: pass --rpc");
    let (success, _, stderr) = root(&no_url, &["info", "--rpc", &url]);
    assert!(success, "{stderr}");

    // A file of another chain.
    let other = tmp.path().join("other.json");
    file.rpc_url = url;
    file.chain_id = 31_337;
    std::fs::write(&other, serde_json::to_string(&file).unwrap()).unwrap();
    refused(&other, &["info"], "is chain 728126428, but");

    // Not a root-contracts file; a node that does not answer.
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, "{\"chain_type\": 5}").unwrap();
    refused(&junk, &["info"], "is not a root-contracts file");
    refused(
        &chain.contracts,
        &["info", "--rpc", "http://127.0.0.1:1", "--timeout", "2s"],
        "eth_chainId to http://127.0.0.1:1",
    );
    // Exactly one sender.
    let (success, _, _) = root(&chain.contracts, &["unstake", "--validator-id", "1"]);
    assert!(!success);
    let (success, _, _) = root(
        &chain.contracts,
        &[
            "unstake",
            "--validator-id",
            "1",
            "--dev-account",
            "1",
            "--deployer",
        ],
    );
    assert!(!success);
    chain.node.kill();
}

#[test]
fn a_transaction_not_mined_in_time_is_reported_with_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let datadir = tmp.path().join("root");
    // The deployment is mined at start; after it, a block only every hour.
    let node = DevNode::start(common::dev_command(
        &datadir,
        "1h",
        &["--root-chain", "eth"],
    ));
    let contracts = datadir.join("root-contracts.json");
    let stderr = refused(
        &contracts,
        &["set-epoch", "--deployer", "--epoch", "2", "--timeout", "2s"],
        "was not mined within 2s",
    );
    assert!(
        stderr.contains("setCurrentEpoch: transaction 0x"),
        "{stderr}"
    );
    // It is in the pool: the deployer's pending nonce moved.
    let deployer: Address = "0xd815d256c5c4f84b2c3eaa0f8dd1b0bcb1f68a4d"
        .parse()
        .unwrap();
    let pending =
        common::quantity(&node.rpc("eth_getTransactionCount", json!([deployer, "pending"])));
    let latest =
        common::quantity(&node.rpc("eth_getTransactionCount", json!([deployer, "latest"])));
    assert_eq!(pending, latest + 1);
    node.kill();
}
