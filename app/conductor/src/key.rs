//! Validator keys: CometBFT `priv_validator_key.json` files and addresses.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use std::path::Path;

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read validator key file {path}: {source}")]
    Read {
        /// Path.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
    /// Not the JSON CometBFT writes.
    #[error("validator key file is not CometBFT priv_validator_key.json JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A key type other than ed25519.
    #[error("validator key type {found:?} is not supported: expected {expected:?}")]
    KeyType {
        /// What we accept.
        expected: &'static str,
        /// What the file says.
        found: String,
    },
    /// Bad base64 or length.
    #[error("validator {what} is malformed: {reason}")]
    Malformed {
        /// `priv_key` or `pub_key`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The public key or address in the file does not belong to the private key.
    #[error("validator key file is inconsistent: {0}")]
    Mismatch(String),
}

#[derive(Deserialize)]
struct TypedValue {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct PrivValidatorKeyFile {
    address: String,
    pub_key: TypedValue,
    priv_key: TypedValue,
}

/// CometBFT's address of an ed25519 key: the first 20 bytes of SHA-256 of the public key.
pub fn address_of(pub_key: &[u8]) -> [u8; 20] {
    let digest = crate::hashing::sha256(pub_key);
    let mut out = [0u8; 20];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// Parse the contents of a CometBFT `priv_validator_key.json`
/// (`{"address","pub_key":{"type":"tendermint/PubKeyEd25519","value"},"priv_key":{"type":
/// "tendermint/PrivKeyEd25519","value": base64 of 64 bytes}}`), checking that the public key
/// and address match the private key.
pub fn parse_priv_validator_key(json: &str) -> Result<SigningKey, KeyError> {
    let file: PrivValidatorKeyFile = serde_json::from_str(json)?;
    if file.priv_key.kind != "tendermint/PrivKeyEd25519" {
        return Err(KeyError::KeyType {
            expected: "tendermint/PrivKeyEd25519",
            found: file.priv_key.kind,
        });
    }
    if file.pub_key.kind != "tendermint/PubKeyEd25519" {
        return Err(KeyError::KeyType {
            expected: "tendermint/PubKeyEd25519",
            found: file.pub_key.kind,
        });
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let priv_bytes = b64
        .decode(file.priv_key.value.trim())
        .map_err(|e| KeyError::Malformed {
            what: "priv_key",
            reason: e.to_string(),
        })?;
    let keypair: [u8; 64] = priv_bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::Malformed {
            what: "priv_key",
            reason: format!(
                "expected 64 bytes (seed || public key), found {}",
                priv_bytes.len()
            ),
        })?;
    let key = SigningKey::from_keypair_bytes(&keypair)
        .map_err(|e| KeyError::Mismatch(format!("private key and its public half differ: {e}")))?;
    let pub_bytes = b64
        .decode(file.pub_key.value.trim())
        .map_err(|e| KeyError::Malformed {
            what: "pub_key",
            reason: e.to_string(),
        })?;
    if pub_bytes != key.verifying_key().as_bytes() {
        return Err(KeyError::Mismatch(
            "pub_key is not the public key of priv_key".into(),
        ));
    }
    let address = hex::encode_upper(address_of(&pub_bytes));
    if !file.address.eq_ignore_ascii_case(&address) {
        return Err(KeyError::Mismatch(format!(
            "address {} is not the address {address} of the key",
            file.address
        )));
    }
    Ok(key)
}

/// Load a CometBFT `priv_validator_key.json` file.
pub fn load_priv_validator_key(path: &Path) -> Result<SigningKey, KeyError> {
    let json = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_priv_validator_key(&json)
}

/// The `priv_validator_key.json` text CometBFT would write for this key.
pub fn priv_validator_key_json(key: &SigningKey) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let public = key.verifying_key().to_bytes();
    serde_json::json!({
        "address": hex::encode_upper(address_of(&public)),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64.encode(public)},
        "priv_key": {"type": "tendermint/PrivKeyEd25519", "value": b64.encode(key.to_keypair_bytes())},
    })
    .to_string()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_inconsistent_files() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let json = priv_validator_key_json(&key);
        assert_eq!(
            parse_priv_validator_key(&json).unwrap().to_bytes(),
            key.to_bytes()
        );
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["address"] = serde_json::Value::String(hex::encode_upper(address_of(
            other.verifying_key().as_bytes(),
        )));
        assert!(matches!(
            parse_priv_validator_key(&v.to_string()),
            Err(KeyError::Mismatch(_))
        ));
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["priv_key"]["type"] = "tendermint/PrivKeySecp256k1".into();
        assert!(matches!(
            parse_priv_validator_key(&v.to_string()),
            Err(KeyError::KeyType { .. })
        ));
        assert!(parse_priv_validator_key("{").is_err());
    }

    /// The address in the trace genesis is SHA-256(pubkey)[..20].
    #[test]
    fn address_matches_trace_genesis() {
        let pk = base64::engine::general_purpose::STANDARD
            .decode("TR4l7JteidHwmOZq3T9jH2yQSgjxFeZo1uDE/kuwy3I=")
            .unwrap();
        assert_eq!(
            hex::encode_upper(address_of(&pk)),
            "990AA159BA8F2C57F6500852AA057AAED003839A"
        );
    }
}
