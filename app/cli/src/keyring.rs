//! The keyring: named secp256k1 account keys under `<home>/keyring/`.
//!
//! Two backends, named as in the Cosmos SDK:
//! - `test`: `<home>/keyring/test/<name>.json`, the key in plaintext JSON (mode 0600). For
//!   local networks and tests only.
//! - `file`: `<home>/keyring/file/<name>.json`, an Ethereum keystore v3 file (geth and
//!   MetaMask import it) encrypted with the passphrase from `--passphrase-file` or
//!   `DELIVERYD_KEYRING_PASSPHRASE`. A passphrase is never taken as a command-line argument.
//!
//! Names match `[a-zA-Z0-9_-]{1,64}`; an existing key is never overwritten.

pub mod keystore;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use delivery_module::{Address, SecretKey};
use serde::{Deserialize, Serialize};

use crate::home::{self, Home, Overwrite};
use keystore::{Keystore, ScryptCost};

/// The environment variable holding the `file` backend's passphrase.
pub const PASSPHRASE_ENV: &str = "DELIVERYD_KEYRING_PASSPHRASE";

/// The largest key, keystore or passphrase file read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Which backend stores the keys.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Plaintext key files (local networks and tests only).
    #[default]
    Test,
    /// Ethereum keystore v3 files encrypted with a passphrase.
    File,
}

impl BackendKind {
    /// The name on the command line and in app.toml.
    pub fn name(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::File => "file",
        }
    }
}

/// Where the `file` backend's passphrase comes from, and how hard its KDF works.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassphraseSource {
    /// `--passphrase-file`: the first line of this file. Otherwise `DELIVERYD_KEYRING_PASSPHRASE`.
    pub file: Option<PathBuf>,
    /// Use geth's light scrypt parameters for keys written (fast, weaker).
    pub light_kdf: bool,
}

impl PassphraseSource {
    /// Reads the passphrase: the first line of `--passphrase-file`, else the environment.
    pub fn read(&self) -> anyhow::Result<Passphrase> {
        if let Some(path) = &self.file {
            let text = home::read_text(path, MAX_FILE_BYTES)
                .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
            let line = text.lines().next().unwrap_or("");
            return Ok(Passphrase(line.to_owned()));
        }
        match std::env::var(PASSPHRASE_ENV) {
            Ok(value) => Ok(Passphrase(value)),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("{PASSPHRASE_ENV} is not valid UTF-8")
            }
            Err(std::env::VarError::NotPresent) => anyhow::bail!(
                "a passphrase is needed: pass --passphrase-file <file> or set {PASSPHRASE_ENV}"
            ),
        }
    }

    /// Reads a passphrase to encrypt with: it must not be empty.
    pub fn read_for_encryption(&self) -> anyhow::Result<Passphrase> {
        let passphrase = self.read()?;
        if passphrase.0.is_empty() {
            anyhow::bail!("the passphrase is empty: a keystore needs a non-empty passphrase");
        }
        Ok(passphrase)
    }

    fn cost(&self) -> ScryptCost {
        if self.light_kdf {
            ScryptCost::LIGHT
        } else {
            ScryptCost::STANDARD
        }
    }
}

/// A passphrase. Its `Debug` does not print it.
pub struct Passphrase(String);

impl Passphrase {
    /// The bytes the KDF takes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// A backend with what it needs to open keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// Plaintext key files.
    Test,
    /// Keystore v3 files.
    File(PassphraseSource),
}

impl Backend {
    /// Its kind.
    pub fn kind(&self) -> BackendKind {
        match self {
            Self::Test => BackendKind::Test,
            Self::File(_) => BackendKind::File,
        }
    }
}

/// The keyring flags every command that uses keys flattens into its arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KeyringArgs {
    /// Keyring backend: `test` (plaintext, local networks only) or `file` (encrypted keystore).
    /// Default: app.toml's `client.keyring_backend`, else `test`.
    #[arg(long, global = true, value_enum, env = "DELIVERYD_KEYRING_BACKEND")]
    pub keyring_backend: Option<BackendKind>,
    /// A file whose first line is the `file` backend's passphrase (otherwise the
    /// DELIVERYD_KEYRING_PASSPHRASE environment variable is read).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Encrypt new `file` keys with geth's light scrypt parameters (n=2^12, p=6): fast but
    /// weaker; for throwaway keys.
    #[arg(long, global = true)]
    pub light_kdf: bool,
}

impl KeyringArgs {
    /// The backend to use for `home`: the flag (or its environment variable), else app.toml's
    /// `client.keyring_backend` when the home has one, else `test`.
    pub fn backend(&self, home: &Home) -> anyhow::Result<Backend> {
        let kind = match self.keyring_backend {
            Some(kind) => kind,
            None if home.app_toml().exists() => {
                crate::config::AppConfig::load(&home.app_toml())?
                    .client
                    .keyring_backend
            }
            None => BackendKind::Test,
        };
        Ok(self.backend_of_kind(kind))
    }

    /// The backend of the given kind with these flags' passphrase source.
    pub fn backend_of_kind(&self, kind: BackendKind) -> Backend {
        match kind {
            BackendKind::Test => Backend::Test,
            BackendKind::File => Backend::File(PassphraseSource {
                file: self.passphrase_file.clone(),
                light_kdf: self.light_kdf,
            }),
        }
    }
}

/// Checks a key name against `[a-zA-Z0-9_-]{1,64}`.
pub fn validate_name(name: &str) -> anyhow::Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || name.len() > 64 || !name.chars().all(ok) {
        anyhow::bail!(
            "key name {name:?} is invalid: expected 1 to 64 characters from a-z A-Z 0-9 _ -"
        );
    }
    Ok(())
}

/// What is known about a stored key without decrypting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its account address.
    pub address: Address,
    /// Its compressed public key, hex (absent for a `file` key written by another tool).
    pub pub_key: Option<String>,
    /// The backend holding it.
    pub backend: BackendKind,
}

/// A `test` backend key file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestKeyFile {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    address: Address,
    pub_key: String,
    priv_key: String,
}

/// The keys of one backend in one home.
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

impl Keyring {
    /// The keyring of `home` with `backend` (nothing is created until a key is added).
    pub fn open(home: &Home, backend: Backend) -> Self {
        let dir = home.keyring_dir().join(backend.kind().name());
        Self { dir, backend }
    }

    /// The directory holding this backend's key files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of key `name`.
    pub fn path_of(&self, name: &str) -> anyhow::Result<PathBuf> {
        validate_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Whether key `name` exists.
    pub fn contains(&self, name: &str) -> anyhow::Result<bool> {
        Ok(self.path_of(name)?.exists())
    }

    /// Stores `key` as `name`; fails if that name is taken.
    pub fn add(&self, name: &str, key: &SecretKey) -> anyhow::Result<KeyInfo> {
        let path = self.path_of(name)?;
        if path.exists() {
            anyhow::bail!(
                "key {name:?} already exists in the {} keyring ({}): refusing to overwrite it",
                self.backend.kind().name(),
                path.display()
            );
        }
        let contents = match &self.backend {
            Backend::Test => serde_json::to_string_pretty(&TestKeyFile {
                name: name.to_owned(),
                kind: "secp256k1".to_owned(),
                address: key.address(),
                pub_key: hex::encode(key.public_key().to_compressed()),
                priv_key: hex::encode(key.to_bytes()),
            })?,
            Backend::File(source) => {
                let passphrase = source.read_for_encryption()?;
                let keystore = keystore::encrypt(key, passphrase.as_bytes(), source.cost())?;
                serde_json::to_string_pretty(&keystore)?
            }
        };
        home::create_dir(&self.dir, 0o700)?;
        home::write_file(&path, contents.as_bytes(), 0o600, Overwrite::Refuse)?;
        Ok(self.info_of(name, key))
    }

    fn info_of(&self, name: &str, key: &SecretKey) -> KeyInfo {
        KeyInfo {
            name: name.to_owned(),
            address: key.address(),
            pub_key: Some(hex::encode(key.public_key().to_compressed())),
            backend: self.backend.kind(),
        }
    }

    fn read(&self, name: &str) -> anyhow::Result<(PathBuf, String)> {
        let path = self.path_of(name)?;
        if !path.exists() {
            anyhow::bail!(
                "no key named {name:?} in the {} keyring at {}",
                self.backend.kind().name(),
                self.dir.display()
            );
        }
        let text = home::read_text(&path, MAX_FILE_BYTES)?;
        Ok((path, text))
    }

    fn parse_test(path: &Path, text: &str) -> anyhow::Result<(TestKeyFile, SecretKey)> {
        let file: TestKeyFile = serde_json::from_str(text)
            .with_context(|| format!("{} is not a test keyring key file", path.display()))?;
        let key = SecretKey::from_hex(&file.priv_key)
            .with_context(|| format!("{}: priv_key", path.display()))?;
        if key.address() != file.address {
            anyhow::bail!(
                "{} is inconsistent: it names address {} but holds the key of {}",
                path.display(),
                file.address,
                key.address()
            );
        }
        Ok((file, key))
    }

    fn parse_keystore(path: &Path, text: &str) -> anyhow::Result<Keystore> {
        serde_json::from_str(text)
            .with_context(|| format!("{} is not an Ethereum keystore v3 file", path.display()))
    }

    /// What is known about key `name` without decrypting it.
    pub fn info(&self, name: &str) -> anyhow::Result<KeyInfo> {
        let (path, text) = self.read(name)?;
        match &self.backend {
            Backend::Test => {
                let (_, key) = Self::parse_test(&path, &text)?;
                Ok(self.info_of(name, &key))
            }
            Backend::File(_) => {
                let keystore = Self::parse_keystore(&path, &text)?;
                let address = keystore
                    .address
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("{} has no address field", path.display()))
                    .and_then(|a| {
                        format!("0x{}", a.trim_start_matches("0x"))
                            .parse::<Address>()
                            .with_context(|| format!("{}: address", path.display()))
                    })?;
                Ok(KeyInfo {
                    name: name.to_owned(),
                    address,
                    pub_key: keystore.pub_key,
                    backend: BackendKind::File,
                })
            }
        }
    }

    /// Every key, sorted by name. Files that are not keys are skipped; a key file that does not
    /// parse is an error naming it.
    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot list {}", self.dir.display()))
                )
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", self.dir.display()))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if validate_name(name).is_ok() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        names.iter().map(|name| self.info(name)).collect()
    }

    /// Decrypts (`file`) or reads (`test`) key `name`.
    pub fn load(&self, name: &str) -> anyhow::Result<SecretKey> {
        let (path, text) = self.read(name)?;
        match &self.backend {
            Backend::Test => Ok(Self::parse_test(&path, &text)?.1),
            Backend::File(source) => {
                let keystore = Self::parse_keystore(&path, &text)?;
                let passphrase = source.read()?;
                keystore::decrypt(&keystore, passphrase.as_bytes())
                    .with_context(|| format!("cannot decrypt key {name:?} ({})", path.display()))
            }
        }
    }

    /// Key `name` as a keystore v3 document encrypted with the passphrase source `source`: a
    /// `file` key is checked against the passphrase and returned as stored (minus our
    /// `pub_key` field); a `test` key is encrypted.
    pub fn export(&self, name: &str, source: &PassphraseSource) -> anyhow::Result<Keystore> {
        match &self.backend {
            Backend::Test => {
                let key = self.load(name)?;
                let passphrase = source.read_for_encryption()?;
                let mut keystore = keystore::encrypt(&key, passphrase.as_bytes(), source.cost())?;
                keystore.pub_key = None;
                Ok(keystore)
            }
            Backend::File(_) => {
                self.load(name)?;
                let (path, text) = self.read(name)?;
                let mut keystore = Self::parse_keystore(&path, &text)?;
                keystore.pub_key = None;
                Ok(keystore)
            }
        }
    }

    /// Removes key `name` and returns what it was.
    pub fn delete(&self, name: &str) -> anyhow::Result<KeyInfo> {
        let info = self.info(name)?;
        let path = self.path_of(name)?;
        fs::remove_file(&path).with_context(|| format!("cannot delete {}", path.display()))?;
        Ok(info)
    }
}

/// Parses what `keys import` and `keys add --recover` read: a keystore v3 JSON document
/// (decrypted with `source`'s passphrase) or a hex private key (optional `0x`).
pub fn parse_secret(text: &str, source: &PassphraseSource) -> anyhow::Result<SecretKey> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let keystore: Keystore = serde_json::from_str(trimmed)
            .context("the input looks like JSON but is not an Ethereum keystore v3 file")?;
        let passphrase = source.read()?;
        return Ok(keystore::decrypt(&keystore, passphrase.as_bytes())?);
    }
    let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        anyhow::bail!(
            "expected a private key as 64 hex digits (optional 0x) or a keystore v3 JSON file, found {} characters",
            trimmed.chars().count()
        );
    }
    Ok(SecretKey::from_hex(digits)?)
}

/// The signer key `name` of `home`: what `tx` and `start` sign with.
#[allow(dead_code)] // called by `tx` and `start`, which come later
pub fn load_signer(home: &Home, name: &str, backend: &Backend) -> anyhow::Result<SecretKey> {
    Keyring::open(home, backend.clone()).load(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn file_backend(dir: &Path, passphrase: &str) -> Backend {
        let path = dir.join(format!("pass-{}", passphrase.len()));
        fs::write(&path, format!("{passphrase}\nsecond line ignored\n")).unwrap();
        Backend::File(PassphraseSource {
            file: Some(path),
            light_kdf: true,
        })
    }

    #[test]
    fn names_are_checked() {
        for good in ["a", "validator", "acc_1-2", &"x".repeat(64)] {
            validate_name(good).unwrap();
        }
        for bad in ["", "a b", "../x", "a.json", "ä", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn both_backends_store_load_list_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        for backend in [Backend::Test, file_backend(dir.path(), "correct horse")] {
            let keyring = Keyring::open(&home, backend.clone());
            let key = SecretKey::generate();
            let info = keyring.add("alice", &key).unwrap();
            assert_eq!(info.address, key.address());
            assert!(keyring.add("alice", &SecretKey::generate()).is_err());
            keyring.add("bob", &SecretKey::generate()).unwrap();
            let listed = keyring.list().unwrap();
            assert_eq!(
                listed.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
                ["alice", "bob"]
            );
            assert_eq!(listed[0], info);
            assert_eq!(
                load_signer(&home, "alice", &backend).unwrap().to_bytes(),
                key.to_bytes()
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = fs::metadata(keyring.path_of("alice").unwrap())
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            keyring.delete("alice").unwrap();
            assert!(keyring
                .load("alice")
                .unwrap_err()
                .to_string()
                .contains("no key named"));
        }
    }

    #[test]
    fn a_wrong_passphrase_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        Keyring::open(&home, file_backend(dir.path(), "right"))
            .add("k", &SecretKey::generate())
            .unwrap();
        let err = Keyring::open(&home, file_backend(dir.path(), "wrong!"))
            .load("k")
            .unwrap_err();
        assert!(format!("{err:#}").contains("wrong passphrase"), "{err:#}");
    }

    #[test]
    fn secrets_parse_from_hex_or_keystore() {
        let key = SecretKey::generate();
        let none = PassphraseSource::default();
        let hex_key = hex::encode(key.to_bytes());
        assert_eq!(
            parse_secret(&format!("0x{hex_key}\n"), &none)
                .unwrap()
                .to_bytes(),
            key.to_bytes()
        );
        assert!(parse_secret("abcd", &none).is_err());
        assert!(parse_secret(&"g".repeat(64), &none).is_err());
        let dir = tempfile::tempdir().unwrap();
        let Backend::File(source) = file_backend(dir.path(), "pw") else {
            unreachable!()
        };
        let keystore = keystore::encrypt(&key, b"pw", ScryptCost::LIGHT).unwrap();
        let json = serde_json::to_string(&keystore).unwrap();
        assert_eq!(
            parse_secret(&json, &source).unwrap().to_bytes(),
            key.to_bytes()
        );
    }
}
