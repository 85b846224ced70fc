//! The data directory of a `bttc` node:
//!
//! ```text
//! <datadir>/genesis.json        the chain spec the node was initialised with
//! <datadir>/chaindata/          the engine's RocksDB (state, blocks, receipts, indexes)
//! <datadir>/jwt.hex             the engine API's JWT secret (0600)
//! <datadir>/dev-accounts.json   `bttc dev` only: the funded dev keys (never use them for value)
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `dir`, else `~/.bttc`.
    pub fn resolve(dir: Option<&Path>) -> anyhow::Result<Self> {
        let root = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".bttc"))
                .context("no --datadir given and $HOME is not set")?,
        };
        Ok(Self { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `genesis.json`.
    pub fn genesis(&self) -> PathBuf {
        self.root.join("genesis.json")
    }

    /// `chaindata/`.
    pub fn chaindata(&self) -> PathBuf {
        self.root.join("chaindata")
    }

    /// `jwt.hex`.
    pub fn jwt_secret(&self) -> PathBuf {
        self.root.join("jwt.hex")
    }

    /// `dev-accounts.json`.
    pub fn dev_accounts(&self) -> PathBuf {
        self.root.join("dev-accounts.json")
    }

    /// Creates the directory (0700 on unix).
    pub fn create(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("creating {}", self.root.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("setting permissions of {}", self.root.display()))?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
