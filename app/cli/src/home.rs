//! The node home directory: where each file lives, the CometBFT key files in it, and how
//! files holding secrets are written.
//!
//! ```text
//! <home>/config/config.toml              CometBFT node config
//! <home>/config/genesis.json             CometBFT genesis with our app_state
//! <home>/config/priv_validator_key.json  CometBFT ed25519 validator key
//! <home>/config/node_key.json            CometBFT p2p key
//! <home>/config/app.toml                 deliveryd's own config
//! <home>/data/priv_validator_state.json  CometBFT's last-sign state
//! <home>/data/application/               the app's RocksDB (created by `start`)
//! <home>/keyring/                        secp256k1 account keys (see `keyring`)
//! ```
//!
//! The home is also CometBFT's home: `cometbft start --home <home>` finds its files at the
//! relative paths config.toml names.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The home directory name under `$HOME` when neither `--home` nor `DELIVERYD_HOME` is given.
pub const DEFAULT_HOME_DIR: &str = ".deliveryd";

/// The paths of one node home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// A home rooted at `root` (nothing is created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The home `--home`/`DELIVERYD_HOME` names (a leading `~` is expanded), or
    /// `$HOME/.deliveryd`.
    pub fn resolve(flag: Option<&Path>) -> anyhow::Result<Self> {
        let user_home = || {
            std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from).ok_or_else(
                || anyhow::anyhow!("cannot find your home directory ($HOME is not set): pass --home <dir> or set DELIVERYD_HOME"),
            )
        };
        let root = match flag {
            None => user_home()?.join(DEFAULT_HOME_DIR),
            Some(path) if path.as_os_str().is_empty() => {
                anyhow::bail!("--home is empty: expected a directory path")
            }
            Some(path) => match path.strip_prefix("~") {
                Ok(rest) => user_home()?.join(rest),
                Err(_) => path.to_path_buf(),
            },
        };
        Ok(Self { root })
    }

    /// The home directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` if absolute, else relative to the home (config files name paths this way).
    pub fn resolve_path(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// `<home>/config`.
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `<home>/config/config.toml`: CometBFT's node config.
    pub fn config_toml(&self) -> PathBuf {
        self.config_dir().join("config.toml")
    }

    /// `<home>/config/genesis.json`.
    pub fn genesis_json(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }

    /// `<home>/config/priv_validator_key.json`.
    pub fn priv_validator_key_json(&self) -> PathBuf {
        self.config_dir().join("priv_validator_key.json")
    }

    /// `<home>/config/node_key.json`.
    pub fn node_key_json(&self) -> PathBuf {
        self.config_dir().join("node_key.json")
    }

    /// `<home>/config/app.toml`: deliveryd's config.
    pub fn app_toml(&self) -> PathBuf {
        self.config_dir().join("app.toml")
    }

    /// `<home>/data`.
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// `<home>/data/priv_validator_state.json`.
    pub fn priv_validator_state_json(&self) -> PathBuf {
        self.data_dir().join("priv_validator_state.json")
    }

    /// `<home>/data/application`: the app's RocksDB.
    #[allow(dead_code)] // opened by `start`, which comes later
    pub fn application_db_dir(&self) -> PathBuf {
        self.data_dir().join("application")
    }

    /// `<home>/keyring`.
    pub fn keyring_dir(&self) -> PathBuf {
        self.root.join("keyring")
    }

    /// The files `init` writes that mark a home as initialized, in the order they are checked.
    pub fn marker_files(&self) -> [PathBuf; 6] {
        [
            self.config_toml(),
            self.genesis_json(),
            self.app_toml(),
            self.priv_validator_key_json(),
            self.node_key_json(),
            self.priv_validator_state_json(),
        ]
    }

    /// Creates `config/`, `data/` (0700, like CometBFT) and `keyring/` (0700).
    pub fn create_dirs(&self) -> anyhow::Result<()> {
        create_dir(&self.config_dir(), 0o755)?;
        create_dir(&self.data_dir(), 0o700)?;
        create_dir(&self.keyring_dir(), 0o700)?;
        Ok(())
    }
}

/// Creates `dir` and its parents; a directory this call creates gets `mode` (unix).
pub fn create_dir(dir: &Path, mode: u32) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    #[cfg(not(unix))]
    let _ = mode;
    builder
        .create(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))
}

/// Whether an existing file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail if the file exists.
    Refuse,
    /// Replace it.
    Replace,
}

/// Writes `contents` to `path` with permissions `mode` (unix). With [`Overwrite::Refuse`] the
/// file is created exclusively, so an existing file is never touched; with
/// [`Overwrite::Replace`] it is written beside the target and renamed over it.
pub fn write_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    overwrite: Overwrite,
) -> anyhow::Result<()> {
    let target = match overwrite {
        Overwrite::Refuse => path.to_path_buf(),
        Overwrite::Replace => {
            let mut name = path
                .file_name()
                .ok_or_else(|| anyhow::anyhow!("{} is not a file path", path.display()))?
                .to_os_string();
            name.push(".tmp");
            path.with_file_name(name)
        }
    };
    let mut options = fs::OpenOptions::new();
    options.write(true);
    match overwrite {
        Overwrite::Refuse => options.create_new(true),
        Overwrite::Replace => options.create(true).truncate(true),
    };
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists: refusing to overwrite it",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", target.display()))
        }
    })?;
    // A file that existed before keeps its old mode through `create`; set it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions of {}", target.display()))?;
    }
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", target.display()))?;
    drop(file);
    if overwrite == Overwrite::Replace {
        fs::rename(&target, path)
            .with_context(|| format!("cannot move {} to {}", target.display(), path.display()))?;
    }
    Ok(())
}

/// Reads a file of at most `limit` bytes as UTF-8 (inputs are untrusted: a huge file is an
/// error, not an allocation).
pub fn read_text(path: &Path, limit: u64) -> anyhow::Result<String> {
    use std::io::Read as _;
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    file.take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > limit {
        anyhow::bail!(
            "{} is larger than the {limit} bytes expected",
            path.display()
        );
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// CometBFT key files

const PUB_KEY_TYPE: &str = "tendermint/PubKeyEd25519";
const PRIV_KEY_TYPE: &str = "tendermint/PrivKeyEd25519";

/// An amino-JSON typed value: `{"type": ..., "value": base64}`.
#[derive(Debug, Serialize, Deserialize)]
struct TypedKey {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Serialize)]
struct PrivValidatorKeyFile {
    address: String,
    pub_key: TypedKey,
    priv_key: TypedKey,
}

#[derive(Serialize)]
struct NodeKeyFile {
    priv_key: TypedKey,
}

#[derive(Deserialize)]
struct AnyKeyFile {
    priv_key: TypedKey,
}

/// `sha256(pubkey)[:20]`: CometBFT's address of an ed25519 key (validator address, node id).
fn key_hash(key: &VerifyingKey) -> [u8; 20] {
    let digest: [u8; 32] = sha2::Sha256::digest(key.as_bytes()).into();
    let mut out = [0u8; 20];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// The validator address CometBFT shows: uppercase hex of `sha256(pubkey)[:20]`.
pub fn validator_address(key: &VerifyingKey) -> String {
    hex::encode_upper(key_hash(key))
}

/// The p2p node id: lowercase hex of `sha256(pubkey)[:20]`.
pub fn node_id(key: &VerifyingKey) -> String {
    hex::encode(key_hash(key))
}

/// A public key as genesis and key files carry it: base64 of the 32 bytes.
pub fn pub_key_base64(key: &VerifyingKey) -> String {
    BASE64.encode(key.as_bytes())
}

fn priv_key_value(key: &SigningKey) -> TypedKey {
    TypedKey {
        kind: PRIV_KEY_TYPE.to_owned(),
        value: BASE64.encode(key.to_keypair_bytes()),
    }
}

/// `priv_validator_key.json` as CometBFT writes it.
pub fn priv_validator_key_json(key: &SigningKey) -> anyhow::Result<String> {
    let public = key.verifying_key();
    let file = PrivValidatorKeyFile {
        address: validator_address(&public),
        pub_key: TypedKey {
            kind: PUB_KEY_TYPE.to_owned(),
            value: pub_key_base64(&public),
        },
        priv_key: priv_key_value(key),
    };
    Ok(serde_json::to_string_pretty(&file)?)
}

/// `node_key.json` as CometBFT writes it.
pub fn node_key_json(key: &SigningKey) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&NodeKeyFile {
        priv_key: priv_key_value(key),
    })?)
}

/// The sign state of a validator that never signed: `{"height":"0","round":0,"step":0}`.
pub fn initial_priv_validator_state_json() -> String {
    "{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}".to_owned()
}

/// Reads the ed25519 key from a `priv_validator_key.json` or `node_key.json`, checking that the
/// stored public half belongs to the seed.
pub fn read_ed25519_key_file(path: &Path) -> anyhow::Result<SigningKey> {
    let text = read_text(path, 64 * 1024)?;
    let file: AnyKeyFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a CometBFT key file", path.display()))?;
    if file.priv_key.kind != PRIV_KEY_TYPE {
        anyhow::bail!(
            "{}: key type {:?} is not supported: expected {PRIV_KEY_TYPE:?}",
            path.display(),
            file.priv_key.kind
        );
    }
    let bytes = BASE64
        .decode(file.priv_key.value.as_bytes())
        .with_context(|| format!("{}: priv_key.value is not base64", path.display()))?;
    let pair: [u8; 64] = bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "{}: priv_key.value is {} bytes: expected 64 (seed and public key)",
            path.display(),
            bytes.len()
        )
    })?;
    SigningKey::from_keypair_bytes(&pair).map_err(|_| {
        anyhow::anyhow!(
            "{}: the public key does not belong to the private key",
            path.display()
        )
    })
}

/// Generates an ed25519 key from the OS RNG.
pub fn generate_ed25519() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn key_files_round_trip_and_carry_cometbft_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_ed25519();
        let path = dir.path().join("priv_validator_key.json");
        write_file(
            &path,
            priv_validator_key_json(&key).unwrap().as_bytes(),
            0o600,
            Overwrite::Refuse,
        )
        .unwrap();
        let back = read_ed25519_key_file(&path).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let public = key.verifying_key();
        let digest = sha2::Sha256::digest(public.as_bytes());
        assert_eq!(validator_address(&public), hex::encode_upper(&digest[..20]));
        assert_eq!(node_id(&public), hex::encode(&digest[..20]));
    }

    #[test]
    fn a_key_file_whose_halves_disagree_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let a = generate_ed25519();
        let b = generate_ed25519();
        let mut pair = a.to_keypair_bytes();
        pair[32..].copy_from_slice(b.verifying_key().as_bytes());
        let json = format!(
            r#"{{"priv_key":{{"type":"tendermint/PrivKeyEd25519","value":"{}"}}}}"#,
            BASE64.encode(pair)
        );
        let path = dir.path().join("node_key.json");
        fs::write(&path, json).unwrap();
        let err = read_ed25519_key_file(&path).unwrap_err().to_string();
        assert!(err.contains("does not belong"), "{err}");
    }

    #[test]
    fn write_file_refuses_to_overwrite_unless_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_file(&path, b"one", 0o600, Overwrite::Refuse).unwrap();
        let err = write_file(&path, b"two", 0o600, Overwrite::Refuse).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_file(&path, b"three", 0o600, Overwrite::Replace).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn read_text_rejects_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![b'a'; 11]).unwrap();
        assert!(read_text(&path, 10).is_err());
        assert_eq!(read_text(&path, 11).unwrap().len(), 11);
    }

    #[test]
    fn home_resolution_expands_tilde_and_defaults_under_home() {
        let home = Home::resolve(Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(home.genesis_json(), Path::new("/tmp/x/config/genesis.json"));
        assert!(Home::resolve(Some(Path::new(""))).is_err());
        if let Some(user) = std::env::var_os("HOME") {
            let expanded = Home::resolve(Some(Path::new("~/n"))).unwrap();
            assert_eq!(expanded.root(), Path::new(&user).join("n"));
            let default = Home::resolve(None).unwrap();
            assert_eq!(default.root(), Path::new(&user).join(DEFAULT_HOME_DIR));
        }
    }
}
