//! Ethereum keystore v3 ("Web3 Secret Storage"): the format geth, MetaMask and ethers read.
//!
//! A 32-byte secp256k1 key is encrypted with AES-128-CTR under the first 16 bytes of a key
//! derived from the passphrase (scrypt, or PBKDF2-HMAC-SHA256 when reading); the MAC is
//! `keccak256(derived[16..32] || ciphertext)`. We write scrypt with geth's standard parameters
//! (n = 2^18, r = 8, p = 1) or its "light" ones (n = 2^12, r = 8, p = 6), and read any
//! parameters within bounds that keep a hostile file from exhausting memory or CPU.

use aes::cipher::{KeyIvInit as _, StreamCipher as _};
use delivery_module::crypto::keccak256;
use delivery_module::SecretKey;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// A keystore that cannot be decrypted, and why.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The MAC does not match: almost always a wrong passphrase.
    #[error("wrong passphrase (the keystore MAC does not match)")]
    WrongPassphrase,
    /// Not keystore v3 JSON.
    #[error("not an Ethereum keystore v3 file: {0}")]
    Json(#[from] serde_json::Error),
    /// A field with a value we do not accept.
    #[error("keystore {field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Expected versus found.
        reason: String,
    },
    /// The key decrypted but belongs to another address than the file names.
    #[error("keystore names address 0x{named} but holds the key of {actual}")]
    AddressMismatch {
        /// The `address` field.
        named: String,
        /// The decrypted key's address.
        actual: String,
    },
}

fn field(field: &'static str, reason: impl Into<String>) -> KeystoreError {
    KeystoreError::Field {
        field,
        reason: reason.into(),
    }
}

/// A keystore v3 document. `pub_key` is our addition (compressed secp256k1, hex) so listing
/// keys needs no passphrase; other readers ignore it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keystore {
    /// The key's address: 40 lowercase hex digits without `0x` (optional when reading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Cipher, KDF and MAC.
    #[serde(alias = "Crypto")]
    pub crypto: CryptoJson,
    /// A random UUID.
    #[serde(default)]
    pub id: String,
    /// Always 3.
    pub version: u64,
    /// Compressed public key, hex (deliveryd's addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<String>,
}

/// The `crypto` object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CryptoJson {
    /// `aes-128-ctr`.
    pub cipher: String,
    /// The encrypted key, hex.
    pub ciphertext: String,
    /// `{"iv": hex}`.
    pub cipherparams: CipherParams,
    /// `scrypt` or `pbkdf2`.
    pub kdf: String,
    /// The KDF's parameters (their shape depends on `kdf`).
    pub kdfparams: serde_json::Value,
    /// `keccak256(derived[16..32] || ciphertext)`, hex.
    pub mac: String,
}

/// `cipherparams`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CipherParams {
    /// 16-byte AES-CTR initial counter, hex.
    pub iv: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ScryptJson {
    dklen: u64,
    n: u64,
    r: u64,
    p: u64,
    salt: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Pbkdf2Json {
    c: u64,
    dklen: u64,
    prf: String,
    salt: String,
}

/// scrypt cost parameters for new keystores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptCost {
    /// log2 of n.
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptCost {
    /// geth's standard parameters: n = 2^18, r = 8, p = 1 (256 MiB, about a second).
    pub const STANDARD: Self = Self {
        log_n: 18,
        r: 8,
        p: 1,
    };
    /// geth's `--lightkdf` parameters: n = 2^12, r = 8, p = 6 (4 MiB, a few milliseconds).
    pub const LIGHT: Self = Self {
        log_n: 12,
        r: 8,
        p: 6,
    };
}

// Bounds on parameters read from a file: generous for real keystores (geth's standard uses
// 256 MiB), fatal for a file crafted to exhaust the machine.
const MAX_SCRYPT_LOG_N: u32 = 20;
const MAX_SCRYPT_R: u64 = 32;
const MAX_SCRYPT_P: u64 = 16;
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
const MAX_PBKDF2_ROUNDS: u64 = 10_000_000;
const DKLEN: usize = 32;

fn decode_hex(name: &'static str, value: &str) -> Result<Vec<u8>, KeystoreError> {
    let digits = value.strip_prefix("0x").unwrap_or(value);
    hex::decode(digits).map_err(|e| field(name, format!("expected hex, found {value:?}: {e}")))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// A random (version 4) UUID, as keystores name themselves.
fn uuid_v4() -> String {
    let mut b: [u8; 16] = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let (a, rest) = b.split_at(4);
    let (c, rest) = rest.split_at(2);
    let (d, rest) = rest.split_at(2);
    let (e, f) = rest.split_at(2);
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(a),
        hex::encode(c),
        hex::encode(d),
        hex::encode(e),
        hex::encode(f)
    )
}

fn scrypt_derive(
    passphrase: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<[u8; DKLEN], KeystoreError> {
    let params = scrypt::Params::new(log_n, r, p, DKLEN).map_err(|e| {
        field(
            "crypto.kdfparams",
            format!("scrypt rejects n=2^{log_n} r={r} p={p}: {e}"),
        )
    })?;
    let mut out = [0u8; DKLEN];
    scrypt::scrypt(passphrase, salt, &params, &mut out)
        .map_err(|e| field("crypto.kdfparams", format!("scrypt failed: {e}")))?;
    Ok(out)
}

fn mac_of(derived: &[u8; DKLEN], ciphertext: &[u8]) -> [u8; 32] {
    let (_, mac_key) = derived.split_at(16);
    let mut body = Vec::with_capacity(mac_key.len().saturating_add(ciphertext.len()));
    body.extend_from_slice(mac_key);
    body.extend_from_slice(ciphertext);
    keccak256(&body)
}

fn aes_ctr(derived: &[u8; DKLEN], iv: &[u8], data: &mut [u8]) -> Result<(), KeystoreError> {
    let (key, _) = derived.split_at(16);
    let mut cipher = Aes128Ctr::new_from_slices(key, iv).map_err(|_| {
        field(
            "crypto.cipherparams.iv",
            format!("expected 16 bytes, found {}", iv.len()),
        )
    })?;
    cipher.apply_keystream(data);
    Ok(())
}

/// Encrypts `key` under `passphrase` as a keystore v3 document.
pub fn encrypt(
    key: &SecretKey,
    passphrase: &[u8],
    cost: ScryptCost,
) -> Result<Keystore, KeystoreError> {
    let salt: [u8; 32] = random_bytes();
    let iv: [u8; 16] = random_bytes();
    let derived = scrypt_derive(passphrase, &salt, cost.log_n, cost.r, cost.p)?;
    let mut ciphertext = key.to_bytes();
    aes_ctr(&derived, &iv, &mut ciphertext)?;
    let mac = mac_of(&derived, &ciphertext);
    let n = 1u64
        .checked_shl(u32::from(cost.log_n))
        .ok_or_else(|| field("kdfparams.n", "too large"))?;
    let kdfparams = serde_json::to_value(ScryptJson {
        dklen: 32,
        n,
        r: u64::from(cost.r),
        p: u64::from(cost.p),
        salt: hex::encode(salt),
    })?;
    Ok(Keystore {
        address: Some(hex::encode(key.address().as_bytes())),
        crypto: CryptoJson {
            cipher: "aes-128-ctr".to_owned(),
            ciphertext: hex::encode(ciphertext),
            cipherparams: CipherParams {
                iv: hex::encode(iv),
            },
            kdf: "scrypt".to_owned(),
            kdfparams,
            mac: hex::encode(mac),
        },
        id: uuid_v4(),
        version: 3,
        pub_key: Some(hex::encode(key.public_key().to_compressed())),
    })
}

fn derive(crypto: &CryptoJson, passphrase: &[u8]) -> Result<[u8; DKLEN], KeystoreError> {
    match crypto.kdf.as_str() {
        "scrypt" => {
            let params: ScryptJson = serde_json::from_value(crypto.kdfparams.clone())?;
            if params.dklen != 32 {
                return Err(field(
                    "crypto.kdfparams.dklen",
                    format!("expected 32, found {}", params.dklen),
                ));
            }
            if params.n < 2 || !params.n.is_power_of_two() {
                return Err(field(
                    "crypto.kdfparams.n",
                    format!("expected a power of two, found {}", params.n),
                ));
            }
            let log_n = params.n.trailing_zeros();
            if log_n > MAX_SCRYPT_LOG_N {
                return Err(field(
                    "crypto.kdfparams.n",
                    format!("{} is above the limit 2^{MAX_SCRYPT_LOG_N}", params.n),
                ));
            }
            if params.r == 0 || params.r > MAX_SCRYPT_R {
                return Err(field(
                    "crypto.kdfparams.r",
                    format!("expected 1..={MAX_SCRYPT_R}, found {}", params.r),
                ));
            }
            if params.p == 0 || params.p > MAX_SCRYPT_P {
                return Err(field(
                    "crypto.kdfparams.p",
                    format!("expected 1..={MAX_SCRYPT_P}, found {}", params.p),
                ));
            }
            let memory = params
                .n
                .checked_mul(params.r)
                .and_then(|v| v.checked_mul(128));
            if memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY) {
                return Err(field(
                    "crypto.kdfparams",
                    format!(
                        "n={} r={} needs more than the 1 GiB limit",
                        params.n, params.r
                    ),
                ));
            }
            // RFC 7914 requires n < 2^(16 r); the scrypt crate enforces it (Go's x/crypto
            // does not, so geth reads such files, e.g. the spec's own r = 1 example).
            if u64::from(log_n) >= params.r.saturating_mul(16) {
                return Err(field(
                    "crypto.kdfparams",
                    format!(
                        "n={} with r={} breaks RFC 7914's bound n < 2^(16 r) and cannot be read here (geth, MetaMask and ethers write r=8)",
                        params.n, params.r
                    ),
                ));
            }
            let salt = decode_hex("crypto.kdfparams.salt", &params.salt)?;
            let log_n =
                u8::try_from(log_n).map_err(|_| field("crypto.kdfparams.n", "too large"))?;
            let r =
                u32::try_from(params.r).map_err(|_| field("crypto.kdfparams.r", "too large"))?;
            let p =
                u32::try_from(params.p).map_err(|_| field("crypto.kdfparams.p", "too large"))?;
            scrypt_derive(passphrase, &salt, log_n, r, p)
        }
        "pbkdf2" => {
            let params: Pbkdf2Json = serde_json::from_value(crypto.kdfparams.clone())?;
            if params.prf != "hmac-sha256" {
                return Err(field(
                    "crypto.kdfparams.prf",
                    format!("expected \"hmac-sha256\", found {:?}", params.prf),
                ));
            }
            if params.dklen != 32 {
                return Err(field(
                    "crypto.kdfparams.dklen",
                    format!("expected 32, found {}", params.dklen),
                ));
            }
            if params.c == 0 || params.c > MAX_PBKDF2_ROUNDS {
                return Err(field(
                    "crypto.kdfparams.c",
                    format!("expected 1..={MAX_PBKDF2_ROUNDS}, found {}", params.c),
                ));
            }
            let rounds =
                u32::try_from(params.c).map_err(|_| field("crypto.kdfparams.c", "too large"))?;
            let salt = decode_hex("crypto.kdfparams.salt", &params.salt)?;
            let mut out = [0u8; DKLEN];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase, &salt, rounds, &mut out);
            Ok(out)
        }
        other => Err(field(
            "crypto.kdf",
            format!("expected \"scrypt\" or \"pbkdf2\", found {other:?}"),
        )),
    }
}

/// Decrypts a keystore v3 document, checking the MAC and (when the file names one) the address.
pub fn decrypt(keystore: &Keystore, passphrase: &[u8]) -> Result<SecretKey, KeystoreError> {
    if keystore.version != 3 {
        return Err(field(
            "version",
            format!("expected 3, found {}", keystore.version),
        ));
    }
    let crypto = &keystore.crypto;
    if crypto.cipher != "aes-128-ctr" {
        return Err(field(
            "crypto.cipher",
            format!("expected \"aes-128-ctr\", found {:?}", crypto.cipher),
        ));
    }
    let mut plaintext = decode_hex("crypto.ciphertext", &crypto.ciphertext)?;
    if plaintext.len() != 32 {
        return Err(field(
            "crypto.ciphertext",
            format!(
                "expected 32 bytes (a secp256k1 key), found {}",
                plaintext.len()
            ),
        ));
    }
    let iv = decode_hex("crypto.cipherparams.iv", &crypto.cipherparams.iv)?;
    let mac = decode_hex("crypto.mac", &crypto.mac)?;
    let derived = derive(crypto, passphrase)?;
    let expected = mac_of(&derived, &plaintext);
    // Compare without an early exit.
    let differs = mac.len() != expected.len()
        || mac
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0;
    if differs {
        return Err(KeystoreError::WrongPassphrase);
    }
    aes_ctr(&derived, &iv, &mut plaintext)?;
    let key = SecretKey::from_bytes(&plaintext).map_err(|e| {
        field(
            "crypto.ciphertext",
            format!("does not decrypt to a valid key: {e}"),
        )
    })?;
    if let Some(named) = &keystore.address {
        let named = named.trim_start_matches("0x").to_ascii_lowercase();
        let actual = hex::encode(key.address().as_bytes());
        if named != actual {
            return Err(KeystoreError::AddressMismatch {
                named,
                actual: key.address().to_string(),
            });
        }
    }
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    // The test vectors of the Web3 Secret Storage Definition (ethereum.org), also in geth's
    // accounts/keystore/testdata/v3_test_vector.json: passphrase "testpassword".
    const SCRYPT_VECTOR: &str = r#"{
        "crypto" : {
            "cipher" : "aes-128-ctr",
            "cipherparams" : { "iv" : "83dbcc02d8ccb40e466191a123791e0e" },
            "ciphertext" : "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
            "kdf" : "scrypt",
            "kdfparams" : {
                "dklen" : 32, "n" : 262144, "p" : 8, "r" : 1,
                "salt" : "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"
            },
            "mac" : "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
        },
        "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
        "version" : 3
    }"#;
    const PBKDF2_VECTOR: &str = r#"{
        "crypto" : {
            "cipher" : "aes-128-ctr",
            "cipherparams" : { "iv" : "6087dab2f9fdbbfaddc31a909735c1e6" },
            "ciphertext" : "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
            "kdf" : "pbkdf2",
            "kdfparams" : {
                "c" : 262144, "dklen" : 32, "prf" : "hmac-sha256",
                "salt" : "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
            },
            "mac" : "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
        },
        "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
        "version" : 3
    }"#;
    const VECTOR_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

    #[test]
    fn the_published_scrypt_vector_is_refused_with_a_clear_reason() {
        // Its r = 1 with n = 2^18 breaks RFC 7914's bound, which the scrypt crate enforces.
        let keystore: Keystore = serde_json::from_str(SCRYPT_VECTOR).unwrap();
        let err = decrypt(&keystore, b"testpassword").unwrap_err().to_string();
        assert!(err.contains("RFC 7914"), "{err}");
    }

    #[test]
    fn the_scrypt_path_matches_rfc_7914() {
        // RFC 7914 section 12, the second vector: P="password", S="NaCl", N=1024, r=8, p=16.
        let derived = scrypt_derive(b"password", b"NaCl", 10, 8, 16).unwrap();
        assert_eq!(
            hex::encode(derived),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        );
    }

    #[test]
    fn the_published_pbkdf2_vector_decrypts() {
        let keystore: Keystore = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        let key = decrypt(&keystore, b"testpassword").unwrap();
        assert_eq!(hex::encode(key.to_bytes()), VECTOR_KEY);
    }

    #[test]
    fn a_wrong_passphrase_is_reported_as_such() {
        let keystore: Keystore = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        assert!(matches!(
            decrypt(&keystore, b"testpassworD"),
            Err(KeystoreError::WrongPassphrase)
        ));
    }

    #[test]
    fn encryption_round_trips_with_geth_shaped_output() {
        let key = SecretKey::generate();
        let keystore = encrypt(&key, b"pw", ScryptCost::LIGHT).unwrap();
        let json = serde_json::to_value(&keystore).unwrap();
        assert_eq!(json["version"], 3);
        assert_eq!(json["crypto"]["cipher"], "aes-128-ctr");
        assert_eq!(json["crypto"]["kdf"], "scrypt");
        assert_eq!(json["crypto"]["kdfparams"]["n"], 4096);
        assert_eq!(json["crypto"]["kdfparams"]["dklen"], 32);
        assert_eq!(json["address"].as_str().unwrap().len(), 40);
        let id = json["id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        let back: Keystore = serde_json::from_value(json).unwrap();
        assert_eq!(decrypt(&back, b"pw").unwrap().to_bytes(), key.to_bytes());
        assert!(matches!(
            decrypt(&back, b"pW"),
            Err(KeystoreError::WrongPassphrase)
        ));
    }

    #[test]
    fn hostile_parameters_are_refused_before_any_work() {
        let mut keystore: Keystore = serde_json::from_str(SCRYPT_VECTOR).unwrap();
        keystore.crypto.kdfparams["n"] = serde_json::json!(1u64 << 40);
        let err = decrypt(&keystore, b"x").unwrap_err().to_string();
        assert!(err.contains("above the limit"), "{err}");
        keystore.crypto.kdfparams["n"] = serde_json::json!(1000);
        assert!(decrypt(&keystore, b"x")
            .unwrap_err()
            .to_string()
            .contains("power of two"));
        keystore.crypto.kdfparams["n"] = serde_json::json!(1u64 << 20);
        keystore.crypto.kdfparams["r"] = serde_json::json!(16);
        assert!(decrypt(&keystore, b"x")
            .unwrap_err()
            .to_string()
            .contains("1 GiB"));

        let mut keystore: Keystore = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        keystore.crypto.kdfparams["c"] = serde_json::json!(u64::MAX);
        assert!(decrypt(&keystore, b"x")
            .unwrap_err()
            .to_string()
            .contains("kdfparams.c"));
        let mut keystore: Keystore = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        keystore.crypto.cipher = "aes-128-cbc".into();
        assert!(decrypt(&keystore, b"x")
            .unwrap_err()
            .to_string()
            .contains("crypto.cipher"));
        let mut keystore: Keystore = serde_json::from_str(PBKDF2_VECTOR).unwrap();
        keystore.version = 1;
        assert!(decrypt(&keystore, b"x")
            .unwrap_err()
            .to_string()
            .contains("version"));
    }

    #[test]
    fn a_keystore_naming_another_address_is_refused() {
        let key = SecretKey::generate();
        let mut keystore = encrypt(&key, b"pw", ScryptCost::LIGHT).unwrap();
        keystore.address = Some("00".repeat(20));
        assert!(matches!(
            decrypt(&keystore, b"pw"),
            Err(KeystoreError::AddressMismatch { .. })
        ));
    }
}
