//! `deliveryd testnet --validators 4` writes four homes on distinct loopback ports, each
//! peering with the other three, one shared genesis, funded accounts and testnet.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;

use common::{read_json, read_toml, Sandbox};
use sha2::Digest as _;

#[test]
fn testnet_of_four_writes_distinct_ports_peers_and_one_genesis() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path("net");
    let report = sandbox.json(&[
        "testnet",
        "--validators",
        "4",
        "--output-dir",
        dir.to_str().unwrap(),
        "--chain-id",
        "tn-1",
        "--starting-port",
        "36656",
        "--block-time",
        "1s",
        "--accounts",
        "3",
    ]);
    let described = read_json(&dir.join("testnet.json"));
    assert_eq!(described, report, "stdout JSON is testnet.json");
    assert_eq!(described["chain_id"], "tn-1");
    let nodes = described["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);

    let mut ports = BTreeSet::new();
    let genesis_bytes = std::fs::read(dir.join("node0/config/genesis.json")).unwrap();
    let genesis: serde_json::Value = serde_json::from_slice(&genesis_bytes).unwrap();
    let validators = genesis["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4);

    for (i, node) in nodes.iter().enumerate() {
        let name = format!("node{i}");
        assert_eq!(node["name"], name.as_str());
        let home = std::path::PathBuf::from(node["home"].as_str().unwrap());
        assert_eq!(home, dir.canonicalize().unwrap().join(&name));
        for key in ["p2p", "rpc", "abci", "prometheus"] {
            assert!(
                ports.insert(node["ports"][key].as_u64().unwrap()),
                "port reused: {node}"
            );
        }
        let base = 36656 + 10 * i as u64;
        assert_eq!(node["ports"]["p2p"], base);
        assert_eq!(node["ports"]["rpc"], base + 1);
        assert_eq!(node["ports"]["abci"], base + 2);

        // Files agree with the description.
        let config = read_toml(&home.join("config/config.toml"));
        let app = read_toml(&home.join("config/app.toml"));
        assert_eq!(config["moniker"].as_str(), Some(name.as_str()));
        assert_eq!(config["proxy_app"].as_str(), node["abci_address"].as_str());
        assert_eq!(
            app["abci"]["listen_address"].as_str(),
            node["abci_address"].as_str()
        );
        assert_eq!(config["p2p"]["laddr"].as_str(), node["p2p_laddr"].as_str());
        assert_eq!(config["rpc"]["laddr"].as_str(), node["rpc_laddr"].as_str());
        assert_eq!(app["client"]["rpc_url"].as_str(), node["rpc_url"].as_str());
        assert_eq!(
            config["consensus"]["timeout_commit"].as_str(),
            Some("900ms")
        );
        let node_key = read_json(&home.join("config/node_key.json"));
        let node_private = base64_decode(node_key["priv_key"]["value"].as_str().unwrap());
        let node_id = hex::encode(&sha2::Sha256::digest(&node_private[32..])[..20]);
        assert_eq!(node["node_id"], node_id.as_str());
        assert_eq!(
            node["peer_address"],
            format!("{node_id}@127.0.0.1:{base}").as_str()
        );

        // Peers: every other node, never itself.
        let peers: BTreeSet<String> = config["p2p"]["persistent_peers"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        let others: BTreeSet<String> = nodes
            .iter()
            .filter(|other| other["name"] != node["name"])
            .map(|other| other["peer_address"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(peers, others);

        // One genesis; this node is a validator with equal power.
        assert_eq!(
            std::fs::read(home.join("config/genesis.json")).unwrap(),
            genesis_bytes
        );
        let pv = read_json(&home.join("config/priv_validator_key.json"));
        assert_eq!(pv["address"], node["validator_address"]);
        let listed = validators
            .iter()
            .find(|v| v["address"] == pv["address"])
            .unwrap();
        assert_eq!(listed["pub_key"], pv["pub_key"]);
        // Staking is the source of the set (equal power: 1 each), listing the same keys.
        assert_eq!(listed["power"], "1");
        let staked = genesis["app_state"]["staking"]["validators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["signer"] == node["signer_address"])
            .unwrap();
        assert_eq!(
            staked["consensus_pubkey"],
            format!(
                "0x{}",
                hex::encode(base64_decode(pv["pub_key"]["value"].as_str().unwrap()))
            )
        );
        assert_eq!(listed["name"], name.as_str());

        // The signer key is in the node's keyring and funded.
        let shown = sandbox.json(&[
            "keys",
            "show",
            "validator",
            "--home",
            home.to_str().unwrap(),
        ]);
        assert_eq!(shown["address"], node["signer_address"]);
        assert!(home.join("data/priv_validator_state.json").is_file());
    }

    let balances = genesis["app_state"]["bank"]["balances"].as_array().unwrap();
    assert_eq!(balances.len(), 4 + 3);
    let funded: BTreeSet<&str> = balances
        .iter()
        .map(|b| b["address"].as_str().unwrap())
        .collect();
    for node in nodes {
        assert!(funded.contains(node["signer_address"].as_str().unwrap()));
    }

    // The extra accounts live in a client home's test keyring.
    let accounts_home = described["accounts_home"].as_str().unwrap();
    let listed = sandbox.json(&["keys", "list", "--home", accounts_home]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for (account, key) in described["accounts"].as_array().unwrap().iter().zip(listed) {
        assert_eq!(account["address"], key["address"]);
        assert!(funded.contains(account["address"].as_str().unwrap()));
        assert!(std::path::Path::new(account["key_file"].as_str().unwrap()).is_file());
    }

    // A second run into the same directory is refused.
    let args = ["testnet", "--output-dir", dir.to_str().unwrap()];
    let line = common::fails(sandbox.run(&args), &args);
    assert!(line.contains("not empty"), "{line}");
}

#[test]
fn full_nodes_are_funded_peers_but_neither_staked_nor_in_the_validator_set() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path("net");
    let report = sandbox.json(&[
        "testnet",
        "--validators",
        "2",
        "--full-nodes",
        "1",
        "--output-dir",
        dir.to_str().unwrap(),
        "--starting-port",
        "37656",
    ]);
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    let flags: Vec<bool> = nodes
        .iter()
        .map(|n| n["validator"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, true, false]);
    let full = &nodes[2];
    assert_eq!(full["name"], "node2");
    assert_eq!(full["ports"]["p2p"], 37656 + 20);
    let genesis = read_json(&dir.join("node2/config/genesis.json"));
    let listed: BTreeSet<&str> = genesis["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["address"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(!listed.contains(full["validator_address"].as_str().unwrap()));
    let staked: Vec<&str> = genesis["app_state"]["staking"]["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["signer"].as_str().unwrap())
        .collect();
    assert_eq!(staked.len(), 2);
    assert!(!staked.contains(&full["signer_address"].as_str().unwrap()));
    // Funded (its bridge pays for its join), with the key a StakeManager stakes.
    let funded: BTreeSet<&str> = genesis["app_state"]["bank"]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["address"].as_str().unwrap())
        .collect();
    assert!(funded.contains(full["signer_address"].as_str().unwrap()));
    let pubkey = full["signer_pubkey"].as_str().unwrap();
    assert!(
        pubkey.starts_with("0x04") && pubkey.len() == 2 + 130,
        "{pubkey}"
    );
    // It peers with the validators, and they with it.
    let config = read_toml(&dir.join("node0/config/config.toml"));
    assert!(config["p2p"]["persistent_peers"]
        .as_str()
        .unwrap()
        .contains(full["peer_address"].as_str().unwrap()));

    let too_many = sandbox.path("too-many");
    let args = [
        "testnet",
        "--validators",
        "99",
        "--full-nodes",
        "2",
        "--output-dir",
        too_many.to_str().unwrap(),
    ];
    let line = common::fails(sandbox.run(&args), &args);
    assert!(line.contains("more than 100 nodes"), "{line}");
}

#[test]
fn testnet_refuses_ports_past_65535() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path("net");
    let args = [
        "testnet",
        "--validators",
        "4",
        "--starting-port",
        "65500",
        "--output-dir",
        dir.to_str().unwrap(),
    ];
    let line = common::fails(sandbox.run(&args), &args);
    assert!(line.contains("65535"), "{line}");
    assert!(!dir.exists());
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
