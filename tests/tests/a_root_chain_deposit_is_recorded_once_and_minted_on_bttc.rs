//! Four validators (conductor) with two dev root chains (`bttc dev --root-chain tron`, staking,
//! and `--root-chain eth`), every node running the bridge:
//!
//! 1. the eth chain's MAP_TOKEN sync (made at deployment) and a `RootChainManager.depositFor`
//!    of the TestToken each become exactly one clerk record, with the root chain's data;
//! 2. a forged `MsgEventRecord` (the deposit's transaction, but a log that is no StateSynced,
//!    and altered data) sent by a validator account is voted NO and changes nothing: the next
//!    real sync still gets the next id;
//! 3. with one node's deliveryd (and so its bridge) killed, a deposit is still recorded, and
//!    once the node is back (its poller re-scans from its cursor) nothing is recorded twice;
//! 4. one validator loses its eth RPC (its app.toml points at a dead port): it votes UNKNOWN,
//!    the other three vote YES, and the next deposit is still recorded;
//! 5. the records reach BTTC blocks: every node's engine has the mapped child token with every
//!    deposit minted to the receiver, and the root chain's predicate holds the same total.
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
use alloy_sol_types::SolCall as _;
use bttc_engine_contracts::abi::IERC20;
use common::claims::{
    abci, addr, deposit, event_record, hex_field, last_root_id, nodes_voting_no, wait_record,
    SideSender,
};
use common::BttcNet;
use delivery_tests::NodeProcess;
use serde_json::Value;

/// Every clerk record, by global id.
fn all_records(net: &BttcNet) -> Vec<Value> {
    let latest = abci(net, "custom/clerk/latest-id").unwrap()["latest_id"]
        .as_u64()
        .unwrap();
    if latest == 0 {
        return vec![];
    }
    let v = abci(net, &format!("custom/clerk/records/1/{}", latest.min(100))).unwrap();
    let records = v["records"].as_array().unwrap().clone();
    assert_eq!(records.len() as u64, latest, "records 1..={latest}: {v}");
    records
}

/// Each (root chain, root id) is recorded once, and the eth ones are exactly 1..=n.
fn assert_once(net: &BttcNet, eth_ids: u64) {
    let records = all_records(net);
    let mut keys: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["root_chain"].as_str().unwrap().to_string(),
                r["root_id"].as_u64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(
        keys.len(),
        before,
        "a root event recorded twice: {records:?}"
    );
    let eth: Vec<u64> = keys
        .iter()
        .filter(|(c, _)| c == "eth")
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(eth, (1..=eth_ids).collect::<Vec<_>>(), "{records:?}");
    assert_eq!(last_root_id(net, "eth"), eth_ids);
}

/// Points `home`'s bridge RPC for root chain `name` at `url` (app.toml's
/// `[[bridge.root_chain]]` entry with that name).
fn set_bridge_rpc(home: &std::path::Path, name: &str, url: &str) {
    let path = home.join("config/app.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    let mut in_entry = false;
    let mut found = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_entry = false;
        }
        if t == format!("name = \"{name}\"") {
            in_entry = true;
        }
        if in_entry && t.starts_with("rpc_url = ") {
            out.push(format!("rpc_url = \"{url}\""));
            found = true;
            continue;
        }
        out.push(line.to_string());
    }
    assert!(
        found,
        "no [[bridge.root_chain]] {name} with an rpc_url in {}",
        path.display()
    );
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
}

fn check_record(record: &Value, log: &Value, root_id: u64) {
    assert_eq!(record["root_chain"], "eth");
    assert_eq!(record["root_id"].as_u64().unwrap(), root_id);
    let data = hex_field(&log["data"]);
    let len = U256::from_be_slice(&data[32..64]).to::<usize>();
    assert_eq!(
        hex_field(&record["data"]),
        data[64..64 + len].to_vec(),
        "{record}"
    );
    assert_eq!(
        hex_field(&record["contract"]),
        bttc_engine_contracts::CHILD_CHAIN_MANAGER_ADDRESS.to_vec()
    );
    assert_eq!(
        record["block_number"].as_u64().unwrap(),
        common::quantity(&log["blockNumber"])
    );
    assert_eq!(
        record["log_index"].as_u64().unwrap(),
        common::quantity(&log["logIndex"])
    );
}

/// Sends a `MsgEventRecord` that claims the deposit's LockedERC20 log (no StateSynced: the
/// claim is false) as StateSynced `root_id` with altered data, signed by validator 0; returns
/// the transaction hash (upper-case hex).
fn send_forged(net: &BttcNet, log: &Value, root_id: u64) -> String {
    let mut sender = SideSender::new(net, 0);
    let mut msg = event_record(&sender.from(), "eth", log);
    let last = msg.data.len() - 1;
    msg.data[last] ^= 0xff;
    msg.id = root_id;
    if let Some(event) = msg.event.as_mut() {
        event.log_index -= 1;
    }
    let r = sender.send(net, delivery_auth::AnyMsg::pack(&msg));
    assert!(r.accepted(), "forged claim refused at CheckTx: {r:?}");
    r.hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_root_chain_deposit_is_recorded_once_and_minted_on_bttc() {
    let mut net = BttcNet::start_with_root_chains(4, 500).await;
    let receiver = Address::repeat_byte(0x5a);

    // The MAP_TOKEN sync of the deployment (eth StateSynced 1) comes through the bridge.
    wait_record(&net, "eth", 1, Duration::from_secs(120)).await;

    // 1. A deposit: exactly one record, with the root chain's data.
    let log_a = deposit(&net, receiver, 1_000).await;
    let record = wait_record(&net, "eth", 2, Duration::from_secs(60)).await;
    check_record(&record, &log_a, 2);
    // Give every bridge time to see it again: still once.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_once(&net, 2);

    // 2. A forged claim: voted NO, nothing changes.
    let latest = abci(&net, "custom/clerk/latest-id").unwrap();
    let hash = send_forged(&net, &log_a, 3);
    let deadline = Instant::now() + Duration::from_secs(60);
    while nodes_voting_no(&net, &hash) < 3 {
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("the forged claim {hash} was not voted NO by 3 validators");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(abci(&net, "custom/clerk/latest-id").unwrap(), latest);
    assert!(abci(&net, "custom/clerk/by-root/eth/3").is_none());
    assert_once(&net, 2);

    // 3. One node's bridge down (its deliveryd killed): the next deposit is still recorded
    // once, with the id the forged claim did not take.
    net.apps[3].take().unwrap().kill_hard().unwrap();
    let log_b = deposit(&net, receiver, 2_000).await;
    let record = wait_record(&net, "eth", 3, Duration::from_secs(60)).await;
    check_record(&record, &log_b, 3);
    net.apps[3] = Some(NodeProcess::start(&net.homes[3]).unwrap());
    // Back, node 3's poller scans the range it missed: nothing is applied twice, and a deposit
    // made now is recorded once too.
    let log_c = deposit(&net, receiver, 3_000).await;
    let record = wait_record(&net, "eth", 4, Duration::from_secs(60)).await;
    check_record(&record, &log_c, 4);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_once(&net, 4);

    // 4. Node 3 loses its eth RPC (name before rpc_url in the entry: checked above). It votes
    // UNKNOWN on the next claim; the other three vote YES (3 of 4 > 2/3) and it is recorded.
    let undecided = |net: &BttcNet| {
        std::fs::read_to_string(net.homes[3].join("deliveryd.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("side tx undecided: UNKNOWN"))
            .count()
    };
    net.apps[3].take().unwrap().kill_hard().unwrap();
    let undecided_before = undecided(&net);
    set_bridge_rpc(&net.homes[3], "eth", "http://127.0.0.1:9");
    net.apps[3] = Some(NodeProcess::start(&net.homes[3]).unwrap());
    let log_d = deposit(&net, receiver, 4_000).await;
    let record = wait_record(&net, "eth", 5, Duration::from_secs(60)).await;
    check_record(&record, &log_d, 5);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_once(&net, 5);
    assert!(
        undecided(&net) > undecided_before,
        "node 3, without its eth RPC, never voted UNKNOWN"
    );

    // 5. The records reached BTTC: the ChildChainManager mapped the TestToken (record 1) and
    // minted every deposit to the receiver, on every node's engine; the root chain's predicate
    // holds exactly what was minted (totals conserved).
    let eth = &net.root_chains[1];
    let token = addr(&eth.contracts["contracts"]["test_token"]["address"]);
    let predicate = addr(&eth.contracts["contracts"]["erc20_predicate"]["address"]);
    let locked = common::eth(
        &eth.url,
        "eth_call",
        serde_json::json!([{"to": format!("{token:#x}"), "data": format!("0x{}", hex::encode(IERC20::balanceOfCall { holder: predicate }.abi_encode()))}, "latest"]),
    );
    assert_eq!(
        U256::from_str_radix(locked.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        U256::from(10_000u64),
        "locked on the root chain"
    );
    let child = bttc_engine_contracts::child_token_address(eth.chain_id, token).unwrap();
    let call = IERC20::balanceOfCall { holder: receiver }.abi_encode();
    for (i, url) in net.evm_urls.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let balance = common::try_eth(
                url,
                "eth_call",
                serde_json::json!([{"to": format!("{child:#x}"), "data": format!("0x{}", hex::encode(&call))}, "latest"]),
            )
            .and_then(|v| v.as_str().map(str::to_owned))
            .and_then(|h| U256::from_str_radix(h.trim_start_matches("0x"), 16).ok());
            if balance == Some(U256::from(10_000u64)) {
                break;
            }
            if Instant::now() >= deadline {
                net.dump_logs();
                panic!("node {i}: child token {child:#x} balance of the receiver is {balance:?}, expected 10000");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}
