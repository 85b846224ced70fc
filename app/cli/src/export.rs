//! `deliveryd export [--height H] [--output-document FILE]`: the CometBFT genesis document that
//! restarts the chain from the state this (stopped) node committed last.
//!
//! The document is the home's genesis.json with:
//! - `initial_height` = H + 1, `genesis_time` = the time of block H (CometBFT makes it the time
//!   of block H + 1; the app records block times in whole seconds, so the document has those);
//! - `app_hash` = the app hash of H (uppercase hex, as CometBFT writes it);
//! - `validators` = the set the staking module reports to CometBFT (the set InitChain returns),
//!   named as in the home's genesis.json where the key is there, else `validator-<id>`;
//! - `app_state` = [`delivery_app::genesis::export`] of H: every module's state, open
//!   proposals with their deposits and votes, the BTTC block records, pending side txs.
//!
//! `chain_id` and `consensus_params` are copied from the home's genesis.json. Before printing,
//! the document is checked by running InitChain on it in a scratch store: the app hash it
//! returns must be H's (`--skip-verify` skips this on a very large state).
//!
//! Only the latest committed height can be exported: the store keeps older versions for
//! queries but reads a whole state (prefix iteration) at its latest version only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use delivery_abci::Application as _;
use delivery_app::genesis::AppGenesis;
use delivery_app::side::NoRootChain;
use delivery_app::DeliveryApp;
use delivery_store::{Storage, StorageConfig};
use serde::Serialize;

use crate::config::AppConfig;
use crate::home::{self, Home, Overwrite};
use crate::output;
use crate::Globals;

/// The largest genesis.json read (an export of a long chain carries every BTTC block record).
const GENESIS_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// `export` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The height to export [default: the latest committed height, the only one this store
    /// can export].
    #[arg(long, value_name = "H")]
    pub height: Option<u64>,
    /// Write the genesis document to FILE (created with mode 0644, replaced if it exists)
    /// instead of stdout; stdout then gets a summary.
    #[arg(long, value_name = "FILE")]
    pub output_document: Option<PathBuf>,
    /// The genesis time (RFC 3339) when the store has no record of block H's time (a store
    /// last committed by an older deliveryd).
    #[arg(long, value_name = "TIME")]
    pub genesis_time: Option<String>,
    /// Do not check that InitChain on the document reproduces the app hash of H (the check
    /// imports the whole state into a scratch store under the system temp dir).
    #[arg(long)]
    pub skip_verify: bool,
}

/// What a finished export says (the summary `--output-document` prints).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// The exported height H.
    pub height: u64,
    /// H + 1: the new chain's first height.
    pub initial_height: u64,
    /// The chain id.
    pub chain_id: String,
    /// The app hash of H (uppercase hex).
    pub app_hash: String,
    /// The genesis time (the time of block H).
    pub genesis_time: String,
    /// The validators of the document.
    pub validators: usize,
    /// Whether InitChain on the document was run and reproduced `app_hash`.
    pub verified: bool,
    /// Where the document went (`None`: stdout).
    pub document: Option<PathBuf>,
}

/// A CometBFT v0.38 genesis document, fields in CometBFT's order.
#[derive(Serialize)]
struct GenesisDoc<'a> {
    genesis_time: &'a str,
    chain_id: &'a str,
    initial_height: String,
    consensus_params: &'a serde_json::Value,
    validators: Vec<ValidatorJson>,
    app_hash: &'a str,
    app_state: &'a AppGenesis,
}

#[derive(Serialize)]
struct ValidatorJson {
    address: String,
    pub_key: serde_json::Value,
    power: String,
    name: String,
}

/// Opens the app store of a stopped node: a store that does not exist is an error (nothing to
/// export), and one whose RocksDB lock is held belongs to a running `deliveryd`.
pub fn open_stopped_storage(home: &Home, keep_recent: u64) -> anyhow::Result<Storage> {
    let db = home.application_db_dir();
    if !db.is_dir() {
        anyhow::bail!(
            "{} does not exist: this home has no app state (has `deliveryd start` run here?)",
            db.display()
        );
    }
    Storage::open(&db, StorageConfig { keep_recent }).map_err(|e| {
        let text = e.to_string();
        if is_lock_error(&text) {
            anyhow::anyhow!(
                "deliveryd is running on this home: stop it first ({} is locked)",
                db.join("LOCK").display()
            )
        } else {
            anyhow::anyhow!("opening the app store at {}: {text}", db.display())
        }
    })
}

/// Whether a RocksDB open failed because another process (or handle) holds the database.
pub fn is_lock_error(text: &str) -> bool {
    text.contains("/LOCK") && (text.contains("lock") || text.contains("Lock"))
}

/// The export of `home`'s store as a genesis document (text) and its summary.
pub fn export(home: &Home, args: &Args) -> anyhow::Result<(String, Summary)> {
    let config = AppConfig::load(&home.app_toml()).with_context(|| {
        format!(
            "reading {} (is {} a node home?)",
            home.app_toml().display(),
            home.root().display()
        )
    })?;
    let original_text = home::read_text(&home.genesis_json(), GENESIS_LIMIT)?;
    let original: serde_json::Value = serde_json::from_str(&original_text)
        .with_context(|| format!("{} is not JSON", home.genesis_json().display()))?;
    let chain_id = original
        .get("chain_id")
        .and_then(serde_json::Value::as_str)
        .with_context(|| format!("{} has no chain_id", home.genesis_json().display()))?
        .to_owned();
    let consensus_params = original
        .get("consensus_params")
        .filter(|p| p.is_object())
        .cloned()
        .with_context(|| {
            format!(
                "{} has no consensus_params object",
                home.genesis_json().display()
            )
        })?;

    progress(&format!(
        "opening the app store at {}",
        home.application_db_dir().display()
    ));
    let storage = open_stopped_storage(home, config.store.pruning_keep_recent)?;
    let (latest, root) = storage
        .latest()
        .context("the app store has no committed block: nothing to export")?;
    if let Some(h) = args.height {
        check_height(h, latest, storage.earliest())?;
    }
    let app = DeliveryApp::new(storage, Arc::new(NoRootChain)).map_err(|e| anyhow::anyhow!(e))?;
    let snapshot = app.storage().latest_snapshot();
    let state_chain_id = delivery_app::genesis::chain_id(&snapshot)?;
    if state_chain_id != chain_id {
        anyhow::bail!(
            "the app state is of chain {state_chain_id:?} but {} names {chain_id:?}: is this the \
             home the store belongs to?",
            home.genesis_json().display()
        );
    }
    let genesis_time = match &args.genesis_time {
        Some(t) => {
            delivery_conductor::genesis::parse_time(t).map_err(|e| anyhow::anyhow!(e))?;
            t.clone()
        }
        None => block_time(&app, latest)?,
    };
    progress(&format!("exporting the state of height {latest}"));
    let (height, app_state) = app.export_genesis().map_err(|e| anyhow::anyhow!(e))?;
    if height != latest {
        anyhow::bail!("the store moved from height {latest} to {height} during the export");
    }
    let validators = genesis_validators(&snapshot, &app_state, &original, latest)?;
    let app_hash = hex::encode_upper(root);
    let initial_height = height
        .checked_add(1)
        .context("height overflow: the chain cannot continue past u64::MAX")?;
    let doc = GenesisDoc {
        genesis_time: &genesis_time,
        chain_id: &chain_id,
        initial_height: initial_height.to_string(),
        consensus_params: &consensus_params,
        validators,
        app_hash: &app_hash,
        app_state: &app_state,
    };
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    let validators = doc.validators.len();
    let summary = Summary {
        height,
        initial_height,
        chain_id,
        app_hash,
        genesis_time,
        validators,
        verified: !args.skip_verify,
        document: args.output_document.clone(),
    };
    drop(app);
    if !args.skip_verify {
        progress("checking that InitChain on the document reproduces the app hash");
        let got = verify(&text)?;
        if got != root {
            anyhow::bail!(
                "InitChain on the exported document returns app hash {} but height {height} has \
                 {}: the export does not reproduce the state (a bug: please report it)",
                hex::encode_upper(got),
                summary.app_hash
            );
        }
    }
    Ok((text, summary))
}

fn check_height(h: u64, latest: u64, earliest: Option<u64>) -> anyhow::Result<()> {
    if h == latest {
        return Ok(());
    }
    if h > latest {
        anyhow::bail!("height {h} is not committed: the store's latest height is {latest}");
    }
    match earliest {
        Some(e) if h < e => anyhow::bail!(
            "height {h} is pruned: the store keeps heights {e}..={latest}, and exports only the \
             latest, {latest}"
        ),
        _ => anyhow::bail!(
            "height {h} is kept for queries, but the store reads a whole state only at its latest \
             height: export without --height (height {latest}), or stop the chain at {h} and \
             export then"
        ),
    }
}

/// The time of block `height` as RFC 3339, from what Commit recorded.
fn block_time(app: &DeliveryApp, height: u64) -> anyhow::Result<String> {
    let recorded = app
        .committed_block_time()
        .map_err(|e| anyhow::anyhow!(e))?
        .filter(|t| t.height == height)
        .with_context(|| {
            format!(
                "the store has no record of the time of block {height} (it was committed by an \
                 older deliveryd): pass --genesis-time with that block's time (CometBFT: \
                 `curl <rpc>/block?height={height}`, result.block.header.time)"
            )
        })?;
    let time = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(recorded.time_seconds))
        .with_context(|| format!("block time {} s is out of range", recorded.time_seconds))?;
    Ok(humantime::format_rfc3339_seconds(time).to_string())
}

/// The document's validators: the set staking reports to CometBFT (what InitChain returns), or
/// with a dormant staking module the app's latest validator set; either must be the export's
/// latest set, which InitChain checks. CometBFT starts the new chain with one set for H + 1 and
/// H + 2, so a change reported at H − 1 or H (not yet in force at H + 1) is refused.
fn genesis_validators(
    snapshot: &delivery_store::Snapshot,
    app_state: &AppGenesis,
    original: &serde_json::Value,
    height: u64,
) -> anyhow::Result<Vec<ValidatorJson>> {
    let sets = app_state
        .app
        .as_ref()
        .map_or(&[][..], |a| a.validator_sets.as_slice());
    let exported = sets
        .iter()
        .max_by_key(|s| s.from_height)
        .context("the export has no validator set")?;
    let next = height.saturating_add(1);
    let in_force_next = sets
        .iter()
        .filter(|s| s.from_height <= next)
        .max_by_key(|s| s.from_height);
    let key_power = |s: &delivery_app::genesis::GenesisValidatorSet| {
        let mut kp: Vec<(String, i64)> = s
            .validators
            .iter()
            .map(|v| (v.pub_key.to_lowercase(), v.power))
            .collect();
        kp.sort();
        kp
    };
    if in_force_next.map(key_power) != Some(key_power(exported)) {
        anyhow::bail!(
            "a validator-set change is in flight: the set in force at height {next} differs from \
             the one in force from height {} on, and a genesis starts with one set: start the \
             chain again and export once height {} is committed",
            exported.from_height,
            exported.from_height.saturating_sub(1)
        );
    }
    let mut set: Vec<([u8; 32], i64, Option<u64>)> = Vec::new();
    for v in &exported.validators {
        let key: [u8; 32] = hex::decode(&v.pub_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .with_context(|| format!("exported validator key {:?} is not 32 bytes", v.pub_key))?;
        set.push((key, v.power, None));
    }
    let reported = delivery_staking::state::reported(snapshot)
        .map_err(|e| anyhow::anyhow!("reading the staking module's reported set: {e}"))?;
    if !reported.is_empty() {
        let mut from_staking: Vec<([u8; 32], i64, Option<u64>)> = reported
            .iter()
            .map(|r| (r.consensus_pubkey, r.power, Some(r.id)))
            .collect();
        let key_power = |v: &Vec<([u8; 32], i64, Option<u64>)>| {
            let mut kp: Vec<([u8; 32], i64)> = v.iter().map(|(k, p, _)| (*k, *p)).collect();
            kp.sort();
            kp
        };
        if key_power(&from_staking) != key_power(&set) {
            anyhow::bail!(
                "the staking module reports {} validators that differ from the app's latest \
                 validator set ({} validators): a validator-set change is in flight; export \
                 again after a few more blocks",
                from_staking.len(),
                set.len()
            );
        }
        set = std::mem::take(&mut from_staking);
    }
    // Names from the home's genesis.json, by key.
    let names: std::collections::BTreeMap<String, String> = original
        .get("validators")
        .and_then(serde_json::Value::as_array)
        .map(|vals| {
            vals.iter()
                .filter_map(|v| {
                    let key = v.get("pub_key")?.get("value")?.as_str()?.to_owned();
                    let name = v.get("name")?.as_str()?.to_owned();
                    Some((key, name))
                })
                .collect()
        })
        .unwrap_or_default();
    // CometBFT's order: power descending, then address.
    let mut out: Vec<(i64, String, ValidatorJson)> = Vec::with_capacity(set.len());
    for (key, power, id) in set {
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key).with_context(|| {
            format!("validator key {} is not an ed25519 point", hex::encode(key))
        })?;
        if power <= 0 {
            anyhow::bail!("validator {} has power {power}", hex::encode(key));
        }
        let b64 = home::pub_key_base64(&verifying);
        let address = home::validator_address(&verifying);
        let name = names.get(&b64).cloned().unwrap_or_else(|| match id {
            Some(id) => format!("validator-{id}"),
            None => format!("validator-{}", address.get(..8).unwrap_or(&address)),
        });
        out.push((
            power,
            address.clone(),
            ValidatorJson {
                address,
                pub_key: serde_json::json!({ "type": "tendermint/PubKeyEd25519", "value": b64 }),
                power: power.to_string(),
                name,
            },
        ));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(out.into_iter().map(|(_, _, v)| v).collect())
}

/// The InitChain request CometBFT sends for `genesis` (its handshake on an empty app).
pub fn init_chain_request(
    genesis: &delivery_conductor::Genesis,
) -> delivery_abci::types::RequestInitChain {
    use tendermint_proto::v0_38::crypto::{public_key, PublicKey};
    delivery_abci::types::RequestInitChain {
        time: Some(genesis.genesis_time),
        chain_id: genesis.chain_id.clone(),
        consensus_params: Some(genesis.consensus_params.clone()),
        validators: genesis
            .validators
            .iter()
            .map(|v| delivery_abci::types::ValidatorUpdate {
                pub_key: Some(PublicKey {
                    sum: Some(public_key::Sum::Ed25519(v.pub_key.clone())),
                }),
                power: v.power,
            })
            .collect(),
        app_state_bytes: genesis.app_state_bytes.clone().into(),
        initial_height: genesis.initial_height,
    }
}

/// Runs InitChain on the document in a scratch store; returns the app hash it answers.
fn verify(document: &str) -> anyhow::Result<[u8; 32]> {
    let genesis = delivery_conductor::Genesis::from_json(document)
        .map_err(|e| anyhow::anyhow!("the exported document is not a valid genesis: {e}"))?;
    let scratch = tempfile::Builder::new()
        .prefix("deliveryd-export-check")
        .tempdir()
        .context("creating a scratch directory for the import check")?;
    let storage = Storage::open(scratch.path(), StorageConfig { keep_recent: 0 })
        .map_err(|e| anyhow::anyhow!("opening the scratch store: {e}"))?;
    let app = DeliveryApp::new(storage, Arc::new(NoRootChain)).map_err(|e| anyhow::anyhow!(e))?;
    let res = app
        .init_chain(init_chain_request(&genesis))
        .map_err(|e| anyhow::anyhow!("InitChain on the exported document failed: {e}"))?;
    let mut returned: Vec<(Vec<u8>, i64)> = res
        .validators
        .iter()
        .filter_map(|u| match u.pub_key.as_ref()?.sum.as_ref()? {
            tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(k) => {
                Some((k.to_vec(), u.power))
            }
            tendermint_proto::v0_38::crypto::public_key::Sum::Secp256k1(_) => None,
        })
        .collect();
    let mut listed: Vec<(Vec<u8>, i64)> = genesis
        .validators
        .iter()
        .map(|v| (v.pub_key.clone(), v.power))
        .collect();
    returned.sort();
    listed.sort();
    if !returned.is_empty() && returned != listed {
        anyhow::bail!(
            "InitChain on the exported document returns {} validators that differ from the \
             document's {}",
            returned.len(),
            listed.len()
        );
    }
    res.app_hash
        .as_ref()
        .try_into()
        .map_err(|_| anyhow::anyhow!("InitChain returned a {}-byte app hash", res.app_hash.len()))
}

fn progress(line: &str) {
    eprintln!("export: {line}");
}

/// Runs `export`.
pub fn run(args: Args, globals: &Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let (text, summary) = export(&home, &args)?;
    progress(&format!(
        "height {}, app hash {}, {} validators, genesis time {}{}",
        summary.height,
        summary.app_hash,
        summary.validators,
        summary.genesis_time,
        if summary.verified {
            "; InitChain on it reproduces the app hash"
        } else {
            "; not verified (--skip-verify)"
        }
    ));
    match &args.output_document {
        None => {
            // The document itself is the output (JSON in either format).
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => Ok(other.context("writing the document to stdout")?),
            }
        }
        Some(path) => {
            write_document(path, &text)?;
            output::emit(globals.output, &summary, || {
                format!(
                    "Exported height {} to {}\n{}",
                    summary.height,
                    path.display(),
                    output::fields(&[
                        ("chain id", summary.chain_id.clone()),
                        ("initial height", summary.initial_height.to_string()),
                        ("app hash", summary.app_hash.clone()),
                        ("genesis time", summary.genesis_time.clone()),
                        ("validators", summary.validators.to_string()),
                        (
                            "verified",
                            if summary.verified {
                                "InitChain on it reproduces the app hash".to_owned()
                            } else {
                                "no (--skip-verify)".to_owned()
                            },
                        ),
                    ])
                )
            })
        }
    }
}

fn write_document(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.as_os_str().is_empty() {
        anyhow::bail!("--output-document is empty: expected a file path");
    }
    home::write_file(path, text.as_bytes(), 0o644, Overwrite::Replace)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser as _;

    /// `deliveryd --home <dir> init node0 --chain-id export-1`, then InitChain and `blocks`
    /// empty blocks (block h at time 1_700_000_000 + h s) committed by the app; the home's
    /// latest app hash.
    pub(crate) fn home_with_blocks(dir: &Path, blocks: u64) -> (Home, [u8; 32]) {
        let d = dir.display().to_string();
        let cli = crate::Cli::try_parse_from([
            "deliveryd",
            "--home",
            &d,
            "--output",
            "json",
            "init",
            "node0",
            "--chain-id",
            "export-1",
        ])
        .unwrap();
        crate::dispatch(cli.command, &cli.globals).unwrap();
        let home = Home::new(dir);
        let config = AppConfig::load(&home.app_toml()).unwrap();
        let app = crate::start::open_app(&home, &config, &crate::Release::current()).unwrap();
        let genesis = delivery_conductor::Genesis::load(&home.genesis_json()).unwrap();
        app.init_chain(init_chain_request(&genesis)).unwrap();
        for h in 1..=blocks {
            app.finalize_block(delivery_abci::types::RequestFinalizeBlock {
                height: i64::try_from(h).unwrap(),
                hash: vec![u8::try_from(h).unwrap(); 32].into(),
                time: Some(tendermint_proto::google::protobuf::Timestamp {
                    seconds: 1_700_000_000 + i64::try_from(h).unwrap(),
                    nanos: 250,
                }),
                ..Default::default()
            })
            .unwrap();
            app.commit(Default::default()).unwrap();
        }
        let root = app.storage().latest().unwrap().1;
        (home, root)
    }

    fn args() -> Args {
        Args {
            height: None,
            output_document: None,
            genesis_time: None,
            skip_verify: false,
        }
    }

    #[test]
    fn an_export_restarts_at_the_next_height_with_the_same_app_hash() {
        let dir = tempfile::tempdir().unwrap();
        let (home, root) = home_with_blocks(dir.path(), 3);
        let (text, summary) = export(&home, &args()).unwrap();
        assert!(summary.verified);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["initial_height"], "4");
        assert_eq!(doc["chain_id"], "export-1");
        assert_eq!(doc["app_hash"], hex::encode_upper(root));
        // Block 3's time, to the second.
        assert_eq!(doc["genesis_time"], "2023-11-14T22:13:23Z");
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(home.genesis_json()).unwrap()).unwrap();
        assert_eq!(doc["consensus_params"], original["consensus_params"]);
        assert_eq!(
            doc["validators"], original["validators"],
            "same set, same name"
        );
        assert_eq!(doc["app_state"]["app"]["last_block"]["height"], 3);
        // The conductor (CometBFT's rules) reads it, and InitChain on it gives H's hash.
        let g = delivery_conductor::Genesis::from_json(&text).unwrap();
        assert_eq!(g.initial_height, 4);
        assert_eq!(verify(&text).unwrap(), root);
        // Field order as CometBFT writes it.
        let keys: Vec<usize> = [
            "\"genesis_time\"",
            "\"chain_id\"",
            "\"initial_height\"",
            "\"consensus_params\"",
            "\"validators\"",
            "\"app_hash\"",
            "\"app_state\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn a_running_node_an_empty_home_and_other_heights_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (home, _) = home_with_blocks(dir.path(), 2);
        {
            let config = AppConfig::load(&home.app_toml()).unwrap();
            let _running = crate::start::open_storage(&home, &config).unwrap();
            let err = format!("{:#}", export(&home, &args()).unwrap_err());
            assert!(
                err.contains("deliveryd is running on this home: stop it first"),
                "{err}"
            );
        }
        for (height, says) in [
            (3, "not committed"),
            (1, "only at its latest height"),
            (2, ""),
        ] {
            let r = export(
                &home,
                &Args {
                    height: Some(height),
                    ..args()
                },
            );
            if says.is_empty() {
                assert_eq!(r.unwrap().1.height, 2);
            } else {
                let err = format!("{:#}", r.unwrap_err());
                assert!(err.contains(says), "{height}: {err}");
            }
        }
        let empty = tempfile::tempdir().unwrap();
        let err = format!(
            "{:#}",
            export(&Home::new(empty.path()), &args()).unwrap_err()
        );
        assert!(err.contains("app.toml"), "{err}");
    }

    #[test]
    fn the_genesis_time_flag_is_checked_and_used() {
        let dir = tempfile::tempdir().unwrap();
        let (home, _) = home_with_blocks(dir.path(), 1);
        let with = |t: &str| {
            export(
                &home,
                &Args {
                    genesis_time: Some(t.to_owned()),
                    skip_verify: true,
                    ..args()
                },
            )
        };
        let (text, summary) = with("2030-01-02T03:04:05.5Z").unwrap();
        assert!(!summary.verified);
        assert!(text.contains("\"genesis_time\": \"2030-01-02T03:04:05.5Z\""));
        assert!(with("yesterday").is_err());
    }

    #[test]
    fn a_validator_set_change_in_flight_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (home, _) = home_with_blocks(dir.path(), 2);
        let storage = open_stopped_storage(&home, 0).unwrap();
        let app = DeliveryApp::new(storage, Arc::new(NoRootChain)).unwrap();
        let snapshot = app.storage().latest_snapshot();
        let (h, state) = app.export_genesis().unwrap();
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(home.genesis_json()).unwrap()).unwrap();
        assert_eq!(
            genesis_validators(&snapshot, &state, &original, h)
                .unwrap()
                .len(),
            1
        );
        // A set reported at H, in force from H + 2: the genesis would start with it at H + 1.
        let mut changed = state.clone();
        let sets = &mut changed.app.as_mut().unwrap().validator_sets;
        let mut next = sets.last().unwrap().clone();
        next.from_height = h + 2;
        next.validators[0].power += 1;
        sets.push(next);
        let err = genesis_validators(&snapshot, &changed, &original, h)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("validator-set change is in flight"), "{err}");
        // In force at H + 1 already, but not what staking reports.
        changed
            .app
            .as_mut()
            .unwrap()
            .validator_sets
            .last_mut()
            .unwrap()
            .from_height = h + 1;
        let err = genesis_validators(&snapshot, &changed, &original, h)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("differ"), "{err}");
    }

    #[test]
    fn lock_errors_are_recognised() {
        assert!(is_lock_error(
            "rocksdb open of /h/data/application: IO error: While lock file: /h/data/application/LOCK: Resource temporarily unavailable"
        ));
        assert!(is_lock_error(
            "IO error: lock hold by current process, acquire time 1 acquiring thread 2: /x/LOCK: No locks available"
        ));
        assert!(!is_lock_error("rocksdb open of /h: Corruption: bad block"));
    }
}
