//! `deliveryd init` writes a complete home whose files have CometBFT's exact JSON shapes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{keys_of, read_json, read_toml, Sandbox};
use sha2::Digest as _;

/// A balance amount, whether the app state writes it as a string or a number.
fn amount(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn b64(value: &serde_json::Value) -> Vec<u8> {
    BASE64.decode(value.as_str().unwrap()).unwrap()
}

#[test]
fn init_creates_a_complete_home_with_cometbft_shapes() {
    let sandbox = Sandbox::new();
    let home = sandbox.path("home");
    let home_arg = home.to_str().unwrap();
    let report = sandbox.json(&[
        "init",
        "alpha",
        "--chain-id",
        "delivery-test-1",
        "--home",
        home_arg,
    ]);

    // Every file of the layout, and no app database yet.
    for rel in [
        "config/config.toml",
        "config/genesis.json",
        "config/priv_validator_key.json",
        "config/node_key.json",
        "config/app.toml",
        "data/priv_validator_state.json",
        "keyring/test/validator.json",
    ] {
        assert!(home.join(rel).is_file(), "{rel} missing");
    }
    assert!(!home.join("data/application").exists());

    // priv_validator_key.json: exactly CometBFT's fields; address = sha256(pubkey)[:20].
    let pv = read_json(&home.join("config/priv_validator_key.json"));
    assert_eq!(keys_of(&pv), ["address", "priv_key", "pub_key"]);
    assert_eq!(keys_of(&pv["pub_key"]), ["type", "value"]);
    assert_eq!(pv["pub_key"]["type"], "tendermint/PubKeyEd25519");
    assert_eq!(pv["priv_key"]["type"], "tendermint/PrivKeyEd25519");
    let public = b64(&pv["pub_key"]["value"]);
    let private = b64(&pv["priv_key"]["value"]);
    assert_eq!(public.len(), 32);
    assert_eq!(private.len(), 64);
    assert_eq!(&private[32..], &public[..], "priv_key is seed || pubkey");
    let seed: [u8; 32] = private[..32].try_into().unwrap();
    let derived = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    assert_eq!(
        derived.as_bytes(),
        &public[..],
        "the seed yields the stored public key"
    );
    let address = hex::encode_upper(&sha2::Sha256::digest(&public)[..20]);
    assert_eq!(pv["address"], address.as_str());
    assert_eq!(report["validator_address"], address.as_str());
    // The conductor (our stand-in for CometBFT) reads it too.
    delivery_conductor::key::load_priv_validator_key(&home.join("config/priv_validator_key.json"))
        .unwrap();

    // node_key.json: only priv_key; node id = lowercase hex of sha256(pubkey)[:20].
    let node_key = read_json(&home.join("config/node_key.json"));
    assert_eq!(keys_of(&node_key), ["priv_key"]);
    assert_eq!(keys_of(&node_key["priv_key"]), ["type", "value"]);
    assert_eq!(node_key["priv_key"]["type"], "tendermint/PrivKeyEd25519");
    let node_private = b64(&node_key["priv_key"]["value"]);
    assert_eq!(node_private.len(), 64);
    let node_id = hex::encode(&sha2::Sha256::digest(&node_private[32..])[..20]);
    assert_eq!(report["node_id"], node_id.as_str());

    // priv_validator_state.json: a validator that never signed.
    let state = read_json(&home.join("data/priv_validator_state.json"));
    assert_eq!(
        state,
        serde_json::json!({"height": "0", "round": 0, "step": 0})
    );

    // genesis.json: the reference's fields plus app_state, our consensus params, one validator.
    let genesis = read_json(&home.join("config/genesis.json"));
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/cometbft-v0.38.25-genesis.json")).unwrap();
    let mut expected_keys = keys_of(&reference);
    expected_keys.push("app_state".into());
    expected_keys.sort();
    assert_eq!(keys_of(&genesis), expected_keys);
    for section in ["block", "evidence", "validator", "version", "abci"] {
        assert_eq!(
            keys_of(&genesis["consensus_params"][section]),
            keys_of(&reference["consensus_params"][section]),
            "consensus_params.{section}"
        );
    }
    assert_eq!(genesis["chain_id"], "delivery-test-1");
    assert_eq!(genesis["initial_height"], "1");
    assert_eq!(genesis["app_hash"], "");
    assert_eq!(
        genesis["consensus_params"]["block"]["max_bytes"],
        "22020096"
    );
    assert_eq!(genesis["consensus_params"]["block"]["max_gas"], "-1");
    assert_eq!(
        genesis["consensus_params"]["evidence"],
        reference["consensus_params"]["evidence"]
    );
    assert_eq!(
        genesis["consensus_params"]["validator"]["pub_key_types"],
        serde_json::json!(["ed25519"])
    );
    assert_eq!(genesis["consensus_params"]["version"]["app"], "0");
    assert_eq!(
        genesis["consensus_params"]["abci"]["vote_extensions_enable_height"],
        "1"
    );
    let time = genesis["genesis_time"].as_str().unwrap();
    assert_eq!(
        time.len(),
        "2026-11-20T23:58:15.529800497Z".len(),
        "RFC 3339 with nanos: {time}"
    );
    assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T' && time.as_bytes()[19] == b'.');
    let validators = genesis["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 1);
    assert_eq!(
        keys_of(&validators[0]),
        keys_of(&reference["validators"][0])
    );
    assert_eq!(validators[0]["address"], address.as_str());
    assert_eq!(validators[0]["pub_key"], pv["pub_key"]);
    // Staking is the source of the set: equal power, 1 each.
    assert_eq!(validators[0]["power"], "1");
    assert_eq!(validators[0]["name"], "alpha");
    let signer = report["signer_address"].as_str().unwrap();
    let staking = &genesis["app_state"]["staking"]["validators"];
    assert_eq!(staking.as_array().unwrap().len(), 1, "{staking}");
    assert_eq!(staking[0]["id"], 1);
    assert_eq!(staking[0]["signer"], signer);
    assert_eq!(staking[0]["start_epoch"], 1);
    let consensus = BASE64
        .decode(pv["pub_key"]["value"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        staking[0]["consensus_pubkey"],
        format!("0x{}", hex::encode(consensus))
    );
    let signer_pubkey = staking[0]["signer_pubkey"].as_str().unwrap();
    assert!(
        signer_pubkey.starts_with("0x04") && signer_pubkey.len() == 2 + 130,
        "{signer_pubkey}"
    );
    let balances = genesis["app_state"]["bank"]["balances"].as_array().unwrap();
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0]["address"], signer);
    assert_eq!(
        amount(&balances[0]["amount"]),
        "1000000000000000000000000000"
    );
    let parsed =
        delivery_conductor::genesis::Genesis::load(&home.join("config/genesis.json")).unwrap();
    assert_eq!(parsed.initial_height, 1);
    assert_eq!(parsed.validators.len(), 1);

    // config.toml points CometBFT at the ABCI address app.toml listens on.
    let config = read_toml(&home.join("config/config.toml"));
    let app = read_toml(&home.join("config/app.toml"));
    assert_eq!(config["moniker"].as_str(), Some("alpha"));
    assert_eq!(config["proxy_app"].as_str(), Some("tcp://127.0.0.1:26658"));
    assert_eq!(
        app["abci"]["listen_address"].as_str(),
        Some("tcp://127.0.0.1:26658")
    );
    assert_eq!(
        app["client"]["rpc_url"].as_str(),
        Some("http://127.0.0.1:26657")
    );
    assert_eq!(app["client"]["chain_id"].as_str(), Some("delivery-test-1"));
    assert_eq!(
        app["store"]["pruning_keep_recent"].as_integer(),
        Some(100_000)
    );
    assert_eq!(
        config["rpc"]["laddr"].as_str(),
        Some("tcp://127.0.0.1:26657")
    );
    assert_eq!(
        config["consensus"]["timeout_commit"].as_str(),
        Some("900ms")
    );
    assert_eq!(
        config["consensus"]["create_empty_blocks"].as_bool(),
        Some(true)
    );
    assert_eq!(config["abci"].as_str(), Some("socket"));

    // The signer is in the keyring under "validator".
    let shown = sandbox.json(&["keys", "show", "validator", "--address", "--home", home_arg]);
    assert_eq!(shown["address"], signer);

    #[cfg(unix)]
    for rel in [
        "config/priv_validator_key.json",
        "config/node_key.json",
        "keyring/test/validator.json",
    ] {
        assert_eq!(common::mode_of(&home.join(rel)), 0o600, "{rel}");
    }
}

#[test]
fn init_prints_node_id_and_addresses_as_text() {
    let sandbox = Sandbox::new();
    // DELIVERYD_HOME selects the home when --home is absent.
    let home = sandbox.path("env-home");
    let output = sandbox.run_with(
        &[
            "init",
            "beta",
            "--chain-id",
            "c-2",
            "--block-time",
            "250ms",
            "--amount",
            "5",
        ],
        &[("DELIVERYD_HOME", home.to_str().unwrap())],
        None,
    );
    let text = common::ok(output, &["init"]);
    for label in ["node id:", "validator address:", "signer address:"] {
        assert!(text.contains(label), "{label} in {text}");
    }
    let config = read_toml(&home.join("config/config.toml"));
    assert_eq!(
        config["consensus"]["timeout_commit"].as_str(),
        Some("225ms")
    );
    let genesis = read_json(&home.join("config/genesis.json"));
    assert_eq!(
        amount(&genesis["app_state"]["bank"]["balances"][0]["amount"]),
        "5"
    );
}

#[test]
fn init_rejects_bad_arguments_with_one_line() {
    let sandbox = Sandbox::new();
    let home = sandbox.path("h");
    let h = home.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["init", "m", "--chain-id", "bad id", "--home", h],
            "chain id",
        ),
        (
            vec![
                "init",
                "m",
                "--chain-id",
                "ok",
                "--amount",
                "0",
                "--home",
                h,
            ],
            "--amount",
        ),
        (
            vec![
                "init",
                "m",
                "--chain-id",
                "ok",
                "--block-time",
                "1ms",
                "--home",
                h,
            ],
            "block time",
        ),
        (vec!["init", "", "--chain-id", "ok", "--home", h], "moniker"),
    ] {
        let line = common::fails(sandbox.run(&args), &args);
        assert!(line.contains(needle), "{args:?}: {line}");
    }
    assert!(
        !home.join("config").exists(),
        "nothing is written on bad arguments"
    );
}
