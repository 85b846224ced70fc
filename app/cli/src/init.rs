//! `deliveryd init <moniker> --chain-id <id>`: a complete single-validator node home.
//!
//! Writes the CometBFT keys and config, app.toml, a signer key named `validator` in the keyring
//! (an existing one is reused, so `keys add validator` may come first) and a genesis with this
//! node as the only validator and the signer funded. An initialized home is left alone unless
//! `--overwrite` is given; `--overwrite` rewrites the configuration and genesis but keeps the
//! node's keys, and refuses while `data/` holds chain data.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use delivery_module::{Address, SecretKey};
use ed25519_dalek::SigningKey;
use serde::Serialize;

use crate::config::{self, AppConfig, CometConfig, ConsensusTimeouts, GenesisValidator};
use crate::home::{self, Home, Overwrite};
use crate::keyring::{BackendKind, Keyring, KeyringArgs};
use crate::output;
use crate::Globals;

/// The signer key name `init` and `testnet` create in each node's keyring.
pub const SIGNER_KEY_NAME: &str = "validator";

/// The default genesis balance: 10^27 smallest units (10^9 BTT at 18 decimals).
pub const DEFAULT_AMOUNT: &str = "1000000000000000000000000000";

/// `init` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The node's human-readable name (1 to 70 characters).
    moniker: String,
    /// The chain id: 1 to 50 characters from A-Z a-z 0-9 . _ -.
    #[arg(long)]
    chain_id: String,
    /// Rewrite the configuration and genesis of an initialized home (keys are kept; refused
    /// while data/ holds chain data).
    #[arg(long)]
    overwrite: bool,
    /// Genesis balance of the signer account, in the smallest unit.
    #[arg(long, default_value = DEFAULT_AMOUNT)]
    amount: u128,
    /// Target block interval, e.g. 1s or 500ms; CometBFT's timeout_commit is set to 90 % of it.
    #[arg(long, default_value = "1s", value_parser = config::parse_duration)]
    block_time: Duration,
    #[command(flatten)]
    keyring: KeyringArgs,
}

/// What a node home is written from.
pub struct NodeFiles<'a> {
    /// CometBFT's config.toml values.
    pub comet: &'a CometConfig,
    /// app.toml.
    pub app: &'a AppConfig,
    /// genesis.json text.
    pub genesis: &'a str,
    /// The p2p key to write, or `None` to keep the one the home has.
    pub node_key: Option<&'a SigningKey>,
    /// The validator key to write, or `None` to keep the one the home has.
    pub validator_key: Option<&'a SigningKey>,
}

/// Writes a node home's config, genesis, CometBFT keys and initial sign state.
pub fn write_node_files(
    home: &Home,
    files: &NodeFiles<'_>,
    overwrite: Overwrite,
) -> anyhow::Result<()> {
    home.create_dirs()?;
    home::write_file(
        &home.config_toml(),
        files.comet.render()?.as_bytes(),
        0o644,
        overwrite,
    )?;
    home::write_file(
        &home.app_toml(),
        files.app.render()?.as_bytes(),
        0o644,
        overwrite,
    )?;
    home::write_file(
        &home.genesis_json(),
        files.genesis.as_bytes(),
        0o644,
        overwrite,
    )?;
    if let Some(key) = files.validator_key {
        let json = home::priv_validator_key_json(key)?;
        home::write_file(
            &home.priv_validator_key_json(),
            json.as_bytes(),
            0o600,
            overwrite,
        )?;
    }
    if let Some(key) = files.node_key {
        let json = home::node_key_json(key)?;
        home::write_file(&home.node_key_json(), json.as_bytes(), 0o600, overwrite)?;
    }
    let state = home::initial_priv_validator_state_json();
    home::write_file(
        &home.priv_validator_state_json(),
        state.as_bytes(),
        0o600,
        overwrite,
    )?;
    Ok(())
}

/// Fails unless `home` is new, or `overwrite` is set and `data/` holds no chain data.
fn check_home_is_free(home: &Home, overwrite: bool) -> anyhow::Result<()> {
    let existing = home.marker_files().into_iter().find(|p| p.exists());
    let Some(existing) = existing else {
        return Ok(());
    };
    if !overwrite {
        anyhow::bail!(
            "{} is already initialized ({} exists): pass --overwrite to rewrite its config and genesis (keys are kept)",
            home.root().display(),
            existing.display()
        );
    }
    let data = home.data_dir();
    if data.exists() {
        let entries =
            std::fs::read_dir(&data).with_context(|| format!("cannot list {}", data.display()))?;
        let mut chain_data = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            if name != "priv_validator_state.json" {
                chain_data.push(name.to_string_lossy().into_owned());
            }
        }
        if !chain_data.is_empty() {
            chain_data.sort();
            anyhow::bail!(
                "{} holds chain data ({}): a new genesis needs an empty data directory; move or remove it first",
                data.display(),
                chain_data.join(", ")
            );
        }
    }
    Ok(())
}

fn load_or_generate(path: &std::path::Path) -> anyhow::Result<(SigningKey, bool)> {
    if path.exists() {
        Ok((home::read_ed25519_key_file(path)?, false))
    } else {
        Ok((home::generate_ed25519(), true))
    }
}

/// What `init` reports.
#[derive(Debug, Serialize)]
struct InitReport {
    home: PathBuf,
    chain_id: String,
    moniker: String,
    node_id: String,
    validator_address: String,
    validator_pub_key: String,
    signer_name: &'static str,
    signer_address: Address,
    signer_backend: &'static str,
    signer_created: bool,
    genesis_time: String,
}

/// Runs `init`.
pub fn run(args: Args, globals: &Globals) -> anyhow::Result<()> {
    config::validate_moniker(&args.moniker)?;
    config::validate_chain_id(&args.chain_id)?;
    if args.amount == 0 {
        anyhow::bail!("--amount must be positive: the signer needs funds to send transactions");
    }
    let timeouts = ConsensusTimeouts::for_block_time(args.block_time)?;
    let home = Home::resolve(globals.home.as_deref())?;
    check_home_is_free(&home, args.overwrite)?;

    let (validator_key, new_validator_key) = load_or_generate(&home.priv_validator_key_json())?;
    let (node_key, new_node_key) = load_or_generate(&home.node_key_json())?;
    let kind = args.keyring.keyring_backend.unwrap_or(BackendKind::Test);
    let keyring = Keyring::open(&home, args.keyring.backend_of_kind(kind));
    let (signer, signer_created) = if keyring.contains(SIGNER_KEY_NAME)? {
        (
            keyring
                .load(SIGNER_KEY_NAME)
                .context("cannot reuse the existing signer key")?,
            false,
        )
    } else {
        (SecretKey::generate(), true)
    };

    let comet = CometConfig::single_node(&args.moniker, timeouts);
    let app = AppConfig::new(
        &args.chain_id,
        config::DEFAULT_ABCI_PORT,
        config::DEFAULT_RPC_PORT,
        kind,
    );
    let genesis_time = config::now_rfc3339();
    // Staking is the source of the validator set: CometBFT's genesis validator carries the power
    // staking gives it.
    let staking_params = delivery_app::genesis::StakingParams::default();
    let power = u64::try_from(delivery_app::genesis::staking_power(&staking_params))
        .context("staking gives the genesis validator no power")?;
    let validator = GenesisValidator {
        name: args.moniker.clone(),
        pub_key: validator_key.verifying_key(),
        power,
    };
    let mut app_state =
        delivery_app::genesis::default_app_state(&[(signer.address(), args.amount)]);
    let staking = delivery_app::genesis::staking_section(
        &[delivery_app::genesis::GeneratedValidator {
            signer: &signer.public_key(),
            consensus_pubkey: validator_key.verifying_key().to_bytes(),
        }],
        staking_params,
    );
    app_state
        .as_object_mut()
        .context("the default app state is not an object")?
        .insert("staking".into(), serde_json::to_value(&staking)?);
    let genesis = config::genesis_json(&args.chain_id, &genesis_time, &[validator], app_state)?;

    let overwrite = if args.overwrite {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    let files = NodeFiles {
        comet: &comet,
        app: &app,
        genesis: &genesis,
        node_key: new_node_key.then_some(&node_key),
        validator_key: new_validator_key.then_some(&validator_key),
    };
    // The signer first: if writing the rest fails, a second `init` reuses it.
    if signer_created {
        keyring.add(SIGNER_KEY_NAME, &signer)?;
    }
    write_node_files(&home, &files, overwrite)?;

    let report = InitReport {
        home: home.root().to_path_buf(),
        chain_id: args.chain_id,
        moniker: args.moniker,
        node_id: home::node_id(&node_key.verifying_key()),
        validator_address: home::validator_address(&validator_key.verifying_key()),
        validator_pub_key: home::pub_key_base64(&validator_key.verifying_key()),
        signer_name: SIGNER_KEY_NAME,
        signer_address: signer.address(),
        signer_backend: kind.name(),
        signer_created,
        genesis_time,
    };
    output::emit(globals.output, &report, || {
        format!(
            "Initialized {} for chain {}\n{}",
            report.home.display(),
            report.chain_id,
            output::fields(&[
                ("node id", report.node_id.clone()),
                ("validator address", report.validator_address.clone()),
                (
                    "signer address",
                    format!(
                        "{} (key {:?}, {} keyring{})",
                        report.signer_address,
                        SIGNER_KEY_NAME,
                        report.signer_backend,
                        if report.signer_created {
                            ""
                        } else {
                            ", existing key"
                        }
                    ),
                ),
            ])
        )
    })
}
