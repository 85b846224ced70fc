//! A withdrawal, end to end, on four validators (conductor) with the dev root chains:
//!
//! 1. a deposit of 10,000 TestToken on the eth root chain for the holder (the BTTC-funded
//!    user key) is minted on BTTC as the mapped ChildERC20;
//! 2. the holder sends 4,000 of them (and some BTT for gas) to a second key, which burns
//!    2,500 (`ChildERC20.withdraw`);
//! 3. a Delivery checkpoint covering the burn's block becomes final and reaches eth's
//!    RootChain (the test submits final checkpoints the root chain lacks: nobody else may);
//! 4. `deliveryd query exit-payload <burn> --root-chain eth --bttc-rpc …` (the CLI, as a user
//!    runs it) gives the payload; with one byte of its receipt proof changed,
//!    `RootChainManager.exit` refuses it (`MPTNodeHashMismatch`); as given, a third party's
//!    `exit` releases 2,500 TestToken to the burner from the predicate; the same payload again
//!    is `ExitAlreadyProcessed(exitKey)`, and the mutated one is refused too.
//!
//! Prints the time from the burn to the exit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall as _, SolError as _, SolEvent as _};
use bttc_engine_contracts::abi::{IChildERC20, IERC20};
use bttc_engine_contracts::exit::IRootChainManagerExit as Exit;
use common::claims::{contract, deposit, hex_field, root_chain, wait_record};
use common::exits::{balance, call, checkpoint_covering, receipt_proof_range, send, wait_balance};
use common::{dev_account, quantity, send_call, BttcNet, EVM_CHAIN_ID};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_withdrawal_exits_on_the_root_chain_once() {
    let net = BttcNet::start_with_root_chains(4, 500).await;
    let eth = root_chain(&net, "eth");
    let bttc = net.evm_urls[0].clone();
    let (token, predicate, manager) = (
        contract(eth, "test_token"),
        contract(eth, "erc20_predicate"),
        contract(eth, "root_chain_manager"),
    );
    let child = bttc_engine_contracts::child_token_address(eth.chain_id, token).unwrap();
    let holder = net.user.clone();
    let burner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x78)).unwrap();

    // 1. Deposit: the token's mapping (eth StateSynced 1), then the deposit (2), minted on BTTC.
    wait_record(&net, "eth", 1, Duration::from_secs(120)).await;
    deposit(&net, holder.address(), 10_000).await;
    wait_record(&net, "eth", 2, Duration::from_secs(60)).await;
    wait_balance(&net, &bttc, child, holder.address(), U256::from(10_000)).await;

    // 2. A transfer on BTTC to the burner (with BTT for its gas), and the burn.
    send(
        &bttc,
        EVM_CHAIN_ID,
        &holder,
        burner.address(),
        U256::from(10u128.pow(18)),
        vec![],
    )
    .await;
    send_call(
        &bttc,
        EVM_CHAIN_ID,
        &holder,
        child,
        IERC20::transferCall {
            to: burner.address(),
            value: U256::from(4_000),
        }
        .abi_encode(),
    )
    .await;
    assert_eq!(balance(&bttc, child, burner.address()), U256::from(4_000));
    let burn = send_call(
        &bttc,
        EVM_CHAIN_ID,
        &burner,
        child,
        IChildERC20::withdrawCall {
            amount: U256::from(2_500),
        }
        .abi_encode(),
    )
    .await;
    let burnt_at = Instant::now();
    let burn_hash = burn["transactionHash"].as_str().unwrap().to_string();
    let burn_block = quantity(&burn["blockNumber"]);
    assert_eq!(balance(&bttc, child, burner.address()), U256::from(1_500));
    eprintln!("burn {burn_hash} in BTTC block {burn_block}");

    // Before a checkpoint covers it, the CLI says how far checkpoints are (when it is not
    // covered already: a checkpoint may have been made in the meantime).
    let home = net.homes[0].display().to_string();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "--home",
            home.as_str(),
            "query",
            "--node",
            net.conductor_url.as_str(),
            "exit-payload",
            burn_hash.as_str(),
            "--root-chain",
            "eth",
            "--bttc-rpc",
            bttc.as_str(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: &[String]| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        tokio::task::block_in_place(|| delivery_tests::cli(&a))
    };
    match run(&args(&[])) {
        Err(e) => {
            eprintln!("before a checkpoint: {e}");
            assert!(
                e.to_string().contains("is not checkpointed on eth yet"),
                "{e}"
            );
        }
        Ok(out) => eprintln!("already checkpointed:\n{out}"),
    }
    // The CLI's own refusals: no BTTC RPC, an unknown transaction.
    let mut no_rpc = args(&[]);
    no_rpc.truncate(no_rpc.len() - 2);
    let e = run(&no_rpc).unwrap_err().to_string();
    assert!(e.contains("--bttc-rpc"), "{e}");
    let mut unknown = args(&[]);
    unknown[6] = format!("{:#x}", B256::repeat_byte(0x42));
    let e = run(&unknown).unwrap_err().to_string();
    assert!(e.contains("is unknown to the BTTC node"), "{e}");

    // 3. A checkpoint covering the burn, accepted by eth's RootChain.
    let proof = checkpoint_covering(&net, "eth", burn_block, Duration::from_secs(300)).await;
    let checkpointed_at = Instant::now();

    // 4. The payload, from the CLI.
    let text = run(&args(&[])).unwrap();
    println!("deliveryd query exit-payload {burn_hash} --root-chain eth:\n{text}");
    let mut json_args = vec!["--output".to_string(), "json".to_string()];
    json_args.extend(args(&[]));
    let report: serde_json::Value = serde_json::from_str(&run(&json_args).unwrap()).unwrap();
    assert_eq!(report["checkpoint_number"], proof["checkpoint_number"]);
    assert_eq!(report["block_number"].as_u64(), Some(burn_block));
    assert_eq!(report["amount"], "2500");
    assert_eq!(
        report["burner"].as_str().unwrap().to_lowercase(),
        format!("{:#x}", burner.address())
    );
    let log_index = report["log_index"].as_u64().unwrap();
    let tx_index = report["tx_index"].as_u64().unwrap();
    let exit_key = bttc_engine_contracts::exit::exit_key(burn_block, tx_index, log_index);
    assert_eq!(report["exit_key"], format!("{exit_key:#x}"));
    let payload = hex_field(&report["payload"]);

    let exitor = dev_account(2);
    let exit = |p: &[u8]| {
        Exit::exitCall {
            inputData: p.to_vec().into(),
        }
        .abi_encode()
    };
    let predicate_before = balance(&eth.url, token, predicate);
    let burner_before = balance(&eth.url, token, burner.address());
    assert_eq!(burner_before, U256::ZERO);

    // One byte of the receipt proof changed: refused, as a call and as a transaction.
    let range = receipt_proof_range(&payload);
    let mut mutated = payload.clone();
    mutated[range.end - 1] ^= 0x01;
    let err = call(&eth.url, manager, &exit(&mutated)).unwrap_err();
    let mismatch = Exit::MPTNodeHashMismatch::abi_decode(&err)
        .unwrap_or_else(|_| panic!("expected MPTNodeHashMismatch, got 0x{}", hex::encode(&err)));
    eprintln!(
        "mutated proof: MPTNodeHashMismatch(index {})",
        mismatch.index
    );
    let r = send(
        &eth.url,
        eth.chain_id,
        &exitor,
        manager,
        U256::ZERO,
        exit(&mutated),
    )
    .await;
    assert_eq!(r["status"], "0x0", "the mutated exit went through: {r}");

    // The exit, sent by a third party (dev account 2) with `bttc root exit`, as docs/exits.md
    // tells users: the burner gets the tokens, from the predicate.
    let payload_hex = report["payload"].as_str().unwrap().to_string();
    let exited = bttc_root_exit(&net, &payload_hex).unwrap_or_else(|e| panic!("{e}"));
    let exited_at = Instant::now();
    assert_eq!(exited["amount"], "2500", "{exited}");
    assert_eq!(
        exited["exit_key"].as_str().unwrap(),
        format!("{exit_key:#x}"),
        "{exited}"
    );
    let r = common::eth(
        &eth.url,
        "eth_getTransactionReceipt",
        serde_json::json!([exited["tx_hash"]]),
    );
    assert_eq!(
        balance(&eth.url, token, burner.address()),
        U256::from(2_500)
    );
    assert_eq!(
        balance(&eth.url, token, predicate),
        predicate_before - U256::from(2_500)
    );
    let processed = call(
        &eth.url,
        manager,
        &Exit::processedExitsCall { exitKey: exit_key }.abi_encode(),
    )
    .unwrap();
    assert_eq!(U256::from_be_slice(&processed), U256::from(1));
    let topic = format!("{:#x}", Exit::ExitProcessed::SIGNATURE_HASH);
    assert!(
        r["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["topics"][0] == topic.as_str()
                && l["topics"][1] == format!("{exit_key:#x}").as_str()),
        "no ExitProcessed({exit_key:#x}) in {r}"
    );

    // Once: the same payload again, and the mutated one, are refused; nothing moves.
    let refused = bttc_root_exit(&net, &payload_hex).unwrap_err();
    assert!(refused.contains("ExitAlreadyProcessed"), "{refused}");
    let err = call(&eth.url, manager, &exit(&payload)).unwrap_err();
    let again = Exit::ExitAlreadyProcessed::abi_decode(&err)
        .unwrap_or_else(|_| panic!("expected ExitAlreadyProcessed, got 0x{}", hex::encode(&err)));
    assert_eq!(again.exitKey, exit_key);
    for p in [&payload, &mutated] {
        let r = send(
            &eth.url,
            eth.chain_id,
            &exitor,
            manager,
            U256::ZERO,
            exit(p),
        )
        .await;
        assert_eq!(r["status"], "0x0", "a second exit went through: {r}");
    }
    assert_eq!(
        balance(&eth.url, token, burner.address()),
        U256::from(2_500)
    );
    assert_eq!(
        balance(&eth.url, token, predicate),
        predicate_before - U256::from(2_500)
    );

    println!(
        "burn (BTTC block {burn_block}) to exit: {:.1} s ({:.1} s until a checkpoint covering \
         it was on eth, checkpoint {})",
        (exited_at - burnt_at).as_secs_f64(),
        (checkpointed_at - burnt_at).as_secs_f64(),
        proof["checkpoint_number"]
    );
}

/// `bttc root exit --payload HEX` on the eth dev root chain from dev account 2: the JSON it
/// prints, or its error output.
fn bttc_root_exit(net: &BttcNet, payload: &str) -> Result<serde_json::Value, String> {
    let eth = &net.root_chains[1];
    let contracts = net.dir.path().join("root-eth/root-contracts.json");
    let out = std::process::Command::new(&net.bttc)
        .args(["root", "exit", "--dev-account", "2", "--payload", payload])
        .args([
            "--contracts",
            contracts.to_str().unwrap(),
            "--rpc",
            &eth.url,
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
