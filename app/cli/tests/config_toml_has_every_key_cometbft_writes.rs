//! The generated config.toml has every key of what `cometbft testnet` v0.38.25 writes, with the
//! same types, and the reference's values wherever we do not substitute our own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;

use common::{read_toml, Sandbox};

/// Every leaf of a TOML table as `section.key -> value`.
fn leaves(table: &toml::Table, prefix: &str, out: &mut BTreeMap<String, toml::Value>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => leaves(inner, &path, out),
            other => {
                out.insert(path, other.clone());
            }
        }
    }
}

/// Keys whose values we set; everything else must equal the reference.
const SUBSTITUTED: &[&str] = &[
    "proxy_app",
    "moniker",
    "log_level",
    "rpc.laddr",
    "p2p.laddr",
    "p2p.external_address",
    "p2p.persistent_peers",
    "p2p.addr_book_strict",
    "p2p.allow_duplicate_ip",
    "consensus.timeout_propose",
    "consensus.timeout_propose_delta",
    "consensus.timeout_prevote",
    "consensus.timeout_prevote_delta",
    "consensus.timeout_precommit",
    "consensus.timeout_precommit_delta",
    "consensus.timeout_commit",
    "consensus.create_empty_blocks",
    "consensus.create_empty_blocks_interval",
    "instrumentation.prometheus_listen_addr",
];

fn check_against_reference(generated: &toml::Table) {
    let reference: toml::Table =
        toml::from_str(include_str!("fixtures/cometbft-v0.38.25-config.toml")).unwrap();
    let mut want = BTreeMap::new();
    leaves(&reference, "", &mut want);
    let mut got = BTreeMap::new();
    leaves(generated, "", &mut got);
    assert!(want.len() > 100, "the reference has {} keys", want.len());
    for (key, value) in &want {
        let ours = got
            .get(key)
            .unwrap_or_else(|| panic!("config.toml lacks {key}"));
        assert_eq!(ours.type_str(), value.type_str(), "{key} has another type");
        if !SUBSTITUTED.contains(&key.as_str()) {
            assert_eq!(ours, value, "{key} differs from CometBFT's");
        }
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "no keys beyond CometBFT's"
    );
}

#[test]
fn init_and_testnet_config_toml_have_every_reference_key() {
    let sandbox = Sandbox::new();
    let home = sandbox.path("single");
    sandbox.ok(&[
        "init",
        "n0",
        "--chain-id",
        "c",
        "--home",
        home.to_str().unwrap(),
    ]);
    let single = read_toml(&home.join("config/config.toml"));
    check_against_reference(&single);
    assert_eq!(single["p2p"]["addr_book_strict"].as_bool(), Some(true));
    assert_eq!(single["p2p"]["allow_duplicate_ip"].as_bool(), Some(false));

    let net = sandbox.path("net");
    sandbox.ok(&[
        "testnet",
        "--validators",
        "2",
        "--output-dir",
        net.to_str().unwrap(),
    ]);
    let node = read_toml(&net.join("node1/config/config.toml"));
    check_against_reference(&node);
    assert_eq!(node["p2p"]["addr_book_strict"].as_bool(), Some(false));
    assert_eq!(node["p2p"]["allow_duplicate_ip"].as_bool(), Some(true));
}
