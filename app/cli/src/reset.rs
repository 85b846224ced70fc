//! `deliveryd reset --yes`: delete this home's app data, the app side of
//! `cometbft unsafe-reset-all`, so that the node starts again from its genesis.json.
//!
//! Deleted (what the app writes under `data/`):
//! - `data/application/`: the app's RocksDB (every committed state);
//! - `data/bridge/`: the bridge's root-chain cursors (re-scanning is safe: a root event already
//!   in the state is not applied twice);
//! - `data/upgrade-info.json`: the upgrade plan a halted binary wrote.
//!
//! Kept: `config/` (genesis.json, app.toml, the CometBFT keys), `keyring/`, and CometBFT's own
//! files in `data/` (`cometbft unsafe-reset-all` resets those, including
//! `priv_validator_state.json`). The BTTC engine's data lives elsewhere and is not touched.
//! Without `--yes` nothing is deleted: the command lists what it would delete and fails.

use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;

use crate::home::Home;
use crate::output;
use crate::Globals;

/// `reset` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Delete the listed app data (without it, the command only lists it).
    #[arg(long)]
    pub yes: bool,
}

/// What `reset` did (or, without `--yes`, would do).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// The home.
    pub home: PathBuf,
    /// The app data present, deleted with `--yes`.
    pub deleted: Vec<PathBuf>,
    /// Whether they were deleted.
    pub done: bool,
}

/// The app-owned paths under `data/`, in the order they are deleted.
pub fn app_data(home: &Home) -> [PathBuf; 3] {
    [
        home.application_db_dir(),
        home.data_dir().join("bridge"),
        home.data_dir().join("upgrade-info.json"),
    ]
}

/// Deletes the app data of `home` if `yes`; refuses while `deliveryd` runs on it.
pub fn reset(home: &Home, yes: bool) -> anyhow::Result<Report> {
    if !home.root().is_dir() {
        anyhow::bail!("{} is not a directory", home.root().display());
    }
    let present: Vec<PathBuf> = app_data(home)
        .into_iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    let db = home.application_db_dir();
    if yes && db.is_dir() {
        // Taking the RocksDB lock proves no deliveryd holds it (a store this build cannot
        // read is still deleted: that may be why the node is reset).
        if let Err(e) = delivery_store::Storage::open(&db, delivery_store::StorageConfig::default())
        {
            let text = e.to_string();
            if crate::export::is_lock_error(&text) {
                anyhow::bail!(
                    "deliveryd is running on this home: stop it first ({} is locked)",
                    db.join("LOCK").display()
                );
            }
        }
    }
    if yes {
        for path in &present {
            let meta = path.symlink_metadata()?;
            if meta.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            }
            .with_context(|| format!("deleting {}", path.display()))?;
        }
    }
    Ok(Report {
        home: home.root().to_path_buf(),
        deleted: present,
        done: yes,
    })
}

/// Runs `reset`.
pub fn run(args: Args, globals: &Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let report = reset(&home, args.yes)?;
    let list = || {
        if report.deleted.is_empty() {
            "  (none: the home has no app data)".to_owned()
        } else {
            report
                .deleted
                .iter()
                .map(|p| format!("  {}", p.display()))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    if !args.yes {
        // The listing goes to stdout (JSON with --output json); the refusal is the error.
        output::emit(globals.output, &report, || {
            format!(
                "deliveryd reset would delete this app data of {}:\n{}\nand keep config/, \
                 keyring/ and CometBFT's files in data/.",
                report.home.display(),
                list()
            )
        })?;
        anyhow::bail!("nothing deleted: run `deliveryd reset --yes` to delete it");
    }
    output::emit(globals.output, &report, || {
        format!(
            "Deleted the app data of {}:\n{}\nNext: `cometbft unsafe-reset-all --home {}` (the \
             consensus side), then start from config/genesis.json.",
            report.home.display(),
            list(),
            report.home.display()
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reset_deletes_only_app_data_and_only_with_yes() {
        let dir = tempfile::tempdir().unwrap();
        let (home, _) = crate::export::tests::home_with_blocks(dir.path(), 1);
        std::fs::create_dir_all(home.data_dir().join("bridge")).unwrap();
        std::fs::write(home.data_dir().join("bridge/tron.cursor"), "5").unwrap();
        std::fs::write(home.data_dir().join("upgrade-info.json"), "{}").unwrap();
        let kept = [
            home.genesis_json(),
            home.app_toml(),
            home.priv_validator_key_json(),
            home.node_key_json(),
            home.priv_validator_state_json(),
            home.keyring_dir(),
        ];

        let listed = reset(&home, false).unwrap();
        assert!(!listed.done);
        assert_eq!(listed.deleted.len(), 3, "{listed:?}");
        assert!(
            home.application_db_dir().is_dir(),
            "nothing deleted without --yes"
        );

        {
            let config = crate::config::AppConfig::load(&home.app_toml()).unwrap();
            let _running = crate::start::open_storage(&home, &config).unwrap();
            let err = reset(&home, true).unwrap_err().to_string();
            assert!(err.contains("deliveryd is running"), "{err}");
            assert!(home.application_db_dir().is_dir());
        }

        let done = reset(&home, true).unwrap();
        assert!(done.done);
        for path in app_data(&home) {
            assert!(!path.exists(), "{} still exists", path.display());
        }
        for path in kept {
            assert!(path.exists(), "{} was deleted", path.display());
        }
        // A second reset has nothing to delete.
        assert!(reset(&home, true).unwrap().deleted.is_empty());
    }
}
