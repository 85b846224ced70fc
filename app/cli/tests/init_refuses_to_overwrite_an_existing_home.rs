//! `deliveryd init` never clobbers a home: `--overwrite` rewrites config and genesis, keeps keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::Sandbox;

#[test]
fn init_refuses_to_overwrite_and_overwrite_keeps_the_keys() {
    let sandbox = Sandbox::new();
    let home = sandbox.path("home");
    let h = home.to_str().unwrap();
    let first = sandbox.json(&["init", "n", "--chain-id", "one", "--home", h]);
    let genesis = std::fs::read(home.join("config/genesis.json")).unwrap();
    let pv_key = std::fs::read(home.join("config/priv_validator_key.json")).unwrap();

    let args = ["init", "n", "--chain-id", "two", "--home", h];
    let line = common::fails(sandbox.run(&args), &args);
    assert!(
        line.contains("already initialized") && line.contains("--overwrite"),
        "{line}"
    );
    assert_eq!(
        std::fs::read(home.join("config/genesis.json")).unwrap(),
        genesis
    );

    let second = sandbox.json(&["init", "n", "--chain-id", "two", "--overwrite", "--home", h]);
    let genesis2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("config/genesis.json")).unwrap()).unwrap();
    assert_eq!(genesis2["chain_id"], "two");
    assert_eq!(
        std::fs::read(home.join("config/priv_validator_key.json")).unwrap(),
        pv_key
    );
    assert_eq!(second["node_id"], first["node_id"]);
    assert_eq!(second["validator_address"], first["validator_address"]);
    assert_eq!(second["signer_address"], first["signer_address"]);
    assert_eq!(second["signer_created"], false);

    // Chain data in data/ blocks --overwrite.
    std::fs::create_dir(home.join("data/blockstore.db")).unwrap();
    let args = [
        "init",
        "n",
        "--chain-id",
        "three",
        "--overwrite",
        "--home",
        h,
    ];
    let line = common::fails(sandbox.run(&args), &args);
    assert!(
        line.contains("chain data") && line.contains("blockstore.db"),
        "{line}"
    );
}

#[test]
fn init_reuses_a_signer_key_added_beforehand() {
    let sandbox = Sandbox::new();
    let home = sandbox.path("home");
    let h = home.to_str().unwrap();
    let added = sandbox.json(&["keys", "add", "validator", "--home", h]);
    let report = sandbox.json(&["init", "n", "--chain-id", "c", "--home", h]);
    assert_eq!(report["signer_address"], added["address"]);
    assert_eq!(report["signer_created"], false);
}
