//! Four validators and one full node (node4, `deliveryd testnet --full-nodes 1`) under the
//! conductor, with the two dev root chains (tron holds staking) and every node's bridge on:
//!
//! 1. node4's signer is staked on the tron StakeManager (`stakeFor`, validator id 5); node4's own
//!    bridge sends the join (only the staked signer can: the join binds node4's ed25519 key);
//! 2. the block `H` that applies the join reports node4 to CometBFT (`validator_updates`), and
//!    the validator set has it from `H + 2` on, not before; node4 then signs commits;
//! 3. a later span draws it as a producer and gives it a turn, and node4's engine seals it;
//! 4. the root epoch is set three epochs past Delivery's, then node4's owner unstakes: every bridge relays
//!    the `UnstakeInit`; node4 stays in the set until Delivery reaches its deactivation epoch,
//!    and leaves CometBFT's set two blocks after the block that starts that epoch.
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

use alloy_primitives::{Address, U256};
use common::BttcNet;
use delivery_tests::comet_rpc;
use serde_json::Value;

/// The validator id the StakeManager gives the fifth staker.
const NEW_ID: u64 = 5;
/// The full node's index.
const NODE: usize = 4;

fn rpc(net: &BttcNet, method: &str, query: &str) -> Value {
    tokio::task::block_in_place(|| comet_rpc(&net.conductor_url, method, query)).unwrap()
}

/// The consensus addresses (uppercase hex) in CometBFT's validator set at `height`.
fn set_at(net: &BttcNet, height: u64) -> Vec<String> {
    rpc(net, "validators", &format!("height={height}&per_page=100"))["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["address"].as_str().unwrap().to_uppercase())
        .collect()
}

/// `custom/staking/<path>` as JSON, or `None` on an error answer.
fn staking(net: &BttcNet, path: &str) -> Option<Value> {
    let r = rpc(
        net,
        "abci_query",
        &format!("path=%22custom/staking/{path}%22"),
    );
    let resp = &r["response"];
    if resp["code"].as_u64().unwrap_or(0) != 0 {
        return None;
    }
    let value = base64_decode(resp["value"].as_str().unwrap_or(""));
    Some(serde_json::from_slice(&value).unwrap())
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn current_epoch(net: &BttcNet) -> u64 {
    staking(net, "epoch").unwrap()["current_epoch"]
        .as_u64()
        .unwrap()
}

/// Waits for `done` (checked every 300 ms), dumping the logs and failing with `what` after
/// `timeout`.
async fn wait_for<T>(
    net: &BttcNet,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = done() {
            return v;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!(
                "{what}: not after {timeout:?} (Delivery height {})",
                net.conductor.height()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The first height after `from` whose FinalizeBlock reported a validator update for the key
/// `pub_key` (base64), with that update's power.
async fn wait_update(net: &BttcNet, from: u64, pub_key: &str, what: &str) -> (u64, i64) {
    let mut h = from;
    wait_for(net, Duration::from_secs(90), what, || {
        while h < net.conductor.height() {
            h += 1;
            let r = rpc(net, "block_results", &format!("height={h}"));
            for u in r["validator_updates"].as_array().into_iter().flatten() {
                let key = u["pub_key"]["value"]
                    .as_str()
                    .or_else(|| u["pub_key"]["Sum"]["value"]["ed25519"].as_str());
                if key == Some(pub_key) {
                    let power = u["power"]
                        .as_str()
                        .and_then(|p| p.parse().ok())
                        .or_else(|| u["power"].as_i64())
                        .unwrap();
                    return Some((h, power));
                }
            }
        }
        None
    })
    .await
}

/// `bttc root <args> --output json` against the tron (staking) dev root chain.
fn bttc_root(net: &BttcNet, args: &[&str]) -> Value {
    let tron = &net.root_chains[0];
    let contracts = net.dir.path().join("root-tron/root-contracts.json");
    let out = std::process::Command::new(&net.bttc)
        .arg("root")
        .args(args)
        .args([
            "--contracts",
            contracts.to_str().unwrap(),
            "--rpc",
            &tron.url,
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bttc root {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bttc root {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fifth_validator_stakes_on_tron_joins_and_leaves_at_its_epoch() {
    // Producers per span: all five once node4 is in.
    let mut net = BttcNet::start_with_full_nodes(5, 400, 1).await;
    let node = net.nodes[NODE].clone();
    assert_eq!(node["validator"], false, "{node}");
    let address = node["validator_address"].as_str().unwrap().to_uppercase();
    let pub_key = node["validator_pub_key"].as_str().unwrap().to_string();
    let signer: Address = node["signer_address"].as_str().unwrap().parse().unwrap();
    let signer_pubkey = node["signer_pubkey"].as_str().unwrap().to_string();
    assert!(
        !set_at(&net, 1).contains(&address),
        "node4 is not a genesis validator"
    );

    // 1. Stake node4's signer on the tron chain, owned by dev account 2, the way the operator
    // guide does it: `bttc root stake`.
    let tron = &net.root_chains[0];
    assert_eq!(tron.kind, "tron");
    let min_stake: U256 = tron.contracts["min_stake"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let amount = min_stake * U256::from(3u8);
    let staked_from = net.conductor.height();
    let staked = bttc_root(
        &net,
        &[
            "stake",
            "--dev-account",
            "2",
            "--signer-pubkey",
            &signer_pubkey,
            "--amount",
            &amount.to_string(),
        ],
    );
    assert_eq!(staked["validator_id"], NEW_ID, "{staked}");
    let staked_at = Instant::now();

    // 2. node4's bridge joins; the joining block reports it; CometBFT's set has it at H + 2.
    let joined = wait_for(&net, Duration::from_secs(90), "validator 5 joined", || {
        staking(&net, &format!("validator/{NEW_ID}"))
    })
    .await;
    let join_latency = staked_at.elapsed();
    assert_eq!(
        joined["signer"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        signer,
        "{joined}"
    );
    assert_eq!(joined["stake"], amount.to_string(), "{joined}");
    // What an operator sees: `deliveryd query staking signer <node4's signer>`.
    let shown = net.query(&["staking", "signer", &format!("{signer:#x}")]);
    assert_eq!(shown["id"], NEW_ID, "{shown}");
    let (h, power) = wait_update(&net, staked_from, &pub_key, "node4 reported to CometBFT").await;
    assert!(power > 0, "node4 joined with power {power}");
    wait_for(&net, Duration::from_secs(30), "height H + 2", || {
        (net.conductor.height() >= h + 3).then_some(())
    })
    .await;
    assert!(!set_at(&net, h).contains(&address), "in the set at H = {h}");
    assert!(
        !set_at(&net, h + 1).contains(&address),
        "in the set at H + 1"
    );
    assert!(
        set_at(&net, h + 2).contains(&address),
        "not in the set at H + 2"
    );
    let signed = wait_for(
        &net,
        Duration::from_secs(30),
        "node4 signs a commit",
        || {
            let top = net.conductor.height();
            (h + 2..top).find(|k| {
                rpc(&net, "commit", &format!("height={k}"))["signed_header"]["commit"]["signatures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| {
                        s["validator_address"]
                            .as_str()
                            .unwrap_or("")
                            .eq_ignore_ascii_case(&address)
                    })
            })
        },
    )
    .await;
    eprintln!(
        "validator 5 joined at Delivery height {h}, {join_latency:?} after its Staked receipt; in \
         the set from {}; first signed {signed}",
        h + 2
    );

    // 3. A span draws node4 and gives it a turn; node4's engine seals it.
    let signer_lc = format!("{signer:#x}");
    // A span with more producers than sprints leaves the last drawn without a turn: wait for a
    // span that draws node4 and gives it one (each span is looked at once).
    let mut seen_spans = std::collections::BTreeSet::new();
    let (span, turn) = wait_for(
        &net,
        Duration::from_secs(180),
        "a span drawing node4 and giving it a turn",
        || {
            let span = net.query(&["span", "latest"])["span"].clone();
            if !seen_spans.insert(span["id"].as_u64().unwrap()) {
                return None;
            }
            let drawn = span["producers"].as_array().unwrap().iter().any(|p| {
                p["signer"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(&signer_lc)
            });
            if !drawn {
                return None;
            }
            let (start, end) = (
                span["start_block"].as_u64().unwrap(),
                span["end_block"].as_u64().unwrap(),
            );
            (start..=end)
                .find(|b| net.scheduled(*b) == signer_lc)
                .map(|turn| (span.clone(), turn))
        },
    )
    .await;
    net.wait_bttc(&[0, NODE], turn, Duration::from_secs(120))
        .await;
    let block = net.block(NODE, turn);
    assert_eq!(
        block["miner"].as_str().unwrap().to_lowercase(),
        signer_lc,
        "BTTC block {turn} (node4's turn in span {}) was not sealed by node4: {block}",
        span["id"]
    );
    assert_eq!(
        block["hash"],
        net.block(0, turn)["hash"],
        "node0 has another block {turn}"
    );

    // 4. Unstake with a deactivation epoch three epochs ahead of Delivery's (so the exit is
    // applied before it comes).
    let epoch = current_epoch(&net);
    let deactivation = epoch + 3;
    bttc_root(
        &net,
        &[
            "set-epoch",
            "--deployer",
            "--epoch",
            &deactivation.to_string(),
        ],
    );
    let exit_from = net.conductor.height();
    let unstaked = bttc_root(
        &net,
        &[
            "unstake",
            "--dev-account",
            "2",
            "--validator-id",
            &NEW_ID.to_string(),
        ],
    );
    assert_eq!(unstaked["deactivation_epoch"], deactivation, "{unstaked}");
    wait_for(
        &net,
        Duration::from_secs(60),
        "the exit of validator 5 applied",
        || {
            let v = staking(&net, &format!("validator/{NEW_ID}"))?;
            (v["end_epoch"].as_u64() == Some(deactivation)).then_some(())
        },
    )
    .await;
    if current_epoch(&net) < deactivation {
        let v = staking(&net, &format!("validator/{NEW_ID}")).unwrap();
        assert_eq!(v["in_set"], true, "left before its deactivation epoch: {v}");
    }
    let (left, power) = wait_update(
        &net,
        exit_from,
        &pub_key,
        "node4 removed from CometBFT's set",
    )
    .await;
    assert_eq!(power, 0, "the exit update of node4 has power {power}");
    // The block that removes node4 is the one that starts the deactivation epoch.
    let results = rpc(&net, "block_results", &format!("height={left}"));
    let started: Vec<u64> = results["finalize_block_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "staking.epoch")
        .flat_map(|e| e["attributes"].as_array().unwrap().clone())
        .filter(|a| a["key"] == "epoch")
        .map(|a| a["value"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        started,
        vec![deactivation],
        "node4 left at height {left}, which does not start epoch {deactivation}: {results}"
    );
    wait_for(&net, Duration::from_secs(30), "height left + 2", || {
        (net.conductor.height() >= left + 3).then_some(())
    })
    .await;
    assert!(
        set_at(&net, left + 1).contains(&address),
        "left before H + 2"
    );
    assert!(
        !set_at(&net, left + 2).contains(&address),
        "still in the set at H + 2"
    );
    let v = staking(&net, &format!("validator/{NEW_ID}")).unwrap();
    assert_eq!(v["in_set"], false, "{v}");
    eprintln!("validator 5 left at Delivery height {left} (epoch {deactivation})");
    net.apps.iter_mut().for_each(|a| drop(a.take()));
}
