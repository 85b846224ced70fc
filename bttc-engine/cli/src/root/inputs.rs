//! What the `bttc root` commands read from their flags: keys, addresses (0x hex or TRON
//! base58check), amounts.

use std::io::Read as _;
use std::path::Path;

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context as _};
use serde::Deserialize;

/// The largest key file read.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Parses an address: `0x` and 40 hex digits, or a TRON base58check address (`T…`).
pub fn parse_address(text: &str) -> anyhow::Result<Address> {
    let text = text.trim();
    if text.starts_with("0x") || text.starts_with("0X") {
        return text
            .parse::<Address>()
            .map_err(|_| anyhow::anyhow!("address {text:?} is not 0x and 40 hex digits"));
    }
    if text.starts_with('T') {
        return delivery_rootchain::tron::from_base58(text)
            .map(Address::from)
            .map_err(|e| anyhow::anyhow!("address {text:?} is not a TRON address: {e}"));
    }
    bail!("address {text:?}: expected 0x and 40 hex digits, or a TRON base58 address (T…)")
}

/// Parses an amount in atto units: a decimal integer, at most 2^256 - 1.
pub fn parse_amount(text: &str) -> anyhow::Result<U256> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("amount {text:?} is not a decimal integer (atto units, e.g. 1000000000000000000 for one token)");
    }
    U256::from_str_radix(text, 10)
        .map_err(|_| anyhow::anyhow!("amount {text:?} does not fit in 256 bits"))
}

/// A key file: a `deliveryd` test-keyring key file or a `bttc dev` accounts entry.
#[derive(Deserialize)]
struct KeyJson {
    #[serde(default, alias = "private_key")]
    priv_key: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    crypto: Option<serde_json::Value>,
    #[serde(default, rename = "Crypto")]
    crypto_upper: Option<serde_json::Value>,
}

/// Reads a secp256k1 key from `path` ([`parse_key`]).
pub fn read_key_file(path: &Path) -> anyhow::Result<PrivateKeySigner> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_KEY_FILE_BYTES.saturating_add(1))
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_KEY_FILE_BYTES {
        bail!(
            "{} is larger than {MAX_KEY_FILE_BYTES} bytes: not a key file",
            path.display()
        );
    }
    parse_key(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses a secp256k1 private key: 64 hex digits (optional `0x`), or JSON with a `priv_key`
/// (a `deliveryd` test-keyring file) or `private_key` (a `bttc dev` accounts entry) and an
/// optional `address` that must match. An encrypted keystore is refused with what to do.
pub fn parse_key(text: &str) -> anyhow::Result<PrivateKeySigner> {
    let text = text.trim();
    if text.starts_with('{') {
        let json: KeyJson = serde_json::from_str(text)
            .context("the key file looks like JSON but is not a key file")?;
        if json.crypto.is_some() || json.crypto_upper.is_some() {
            bail!(
                "the key file is an encrypted keystore: give the key as 64 hex digits (or a \
                 deliveryd test-keyring file) instead"
            );
        }
        let hex = json
            .priv_key
            .context("the key file has no \"priv_key\" or \"private_key\" field")?;
        let key = parse_hex_key(&hex)?;
        if let Some(named) = json.address {
            let named = parse_address(&named).context("the key file's \"address\"")?;
            if named != key.address() {
                bail!(
                    "the key file names address {named} but holds the key of {}",
                    key.address()
                );
            }
        }
        return Ok(key);
    }
    parse_hex_key(text)
}

fn parse_hex_key(text: &str) -> anyhow::Result<PrivateKeySigner> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "expected a private key as 64 hex digits (optional 0x), found {} characters",
            text.chars().count()
        );
    }
    digits.parse::<PrivateKeySigner>().map_err(|_| {
        anyhow::anyhow!(
            "the private key is not a valid secp256k1 key (zero or above the curve order)"
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    #[test]
    fn addresses_in_hex_and_tron_base58() {
        let a = Address::repeat_byte(0x41);
        assert_eq!(parse_address(&format!("{a:#x}")).unwrap(), a);
        assert_eq!(parse_address(&a.to_checksum(None)).unwrap(), a);
        let base58 = delivery_rootchain::tron::to_base58(&a.0 .0);
        assert_eq!(parse_address(&base58).unwrap(), a);
        // One character changed: the checksum fails.
        let mut bad = base58.clone().into_bytes();
        let last = bad.last_mut().unwrap();
        *last = if *last == b'a' { b'b' } else { b'a' };
        assert!(parse_address(&String::from_utf8(bad).unwrap())
            .unwrap_err()
            .to_string()
            .contains("TRON"));
        assert!(parse_address("0x1234").is_err());
        assert!(parse_address("41414141").is_err());
    }

    #[test]
    fn amounts_are_decimal_integers() {
        assert_eq!(parse_amount("1000").unwrap(), U256::from(1000));
        assert_eq!(parse_amount(&U256::MAX.to_string()).unwrap(), U256::MAX);
        for bad in ["", "-1", "1e18", "0x10", "1.5", &format!("{}0", U256::MAX)] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_in_hex_and_json() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let hex = alloy_primitives::hex::encode(key.to_bytes());
        for text in [hex.clone(), format!("0x{hex}\n")] {
            assert_eq!(parse_key(&text).unwrap().address(), key.address());
        }
        let keyring = format!(
            r#"{{"name":"validator","type":"secp256k1","address":"{}","pub_key":"02","priv_key":"{hex}"}}"#,
            key.address()
        );
        assert_eq!(parse_key(&keyring).unwrap().address(), key.address());
        let dev = format!(
            r#"{{"address":"{}","private_key":"0x{hex}"}}"#,
            key.address()
        );
        assert_eq!(parse_key(&dev).unwrap().address(), key.address());

        let wrong = format!(r#"{{"address":"{}","priv_key":"{hex}"}}"#, Address::ZERO);
        assert!(parse_key(&wrong)
            .unwrap_err()
            .to_string()
            .contains("names address"));
        let keystore = r#"{"crypto":{"cipher":"aes-128-ctr"},"version":3}"#;
        assert!(parse_key(keystore)
            .unwrap_err()
            .to_string()
            .contains("encrypted"));
        assert!(parse_key("abc")
            .unwrap_err()
            .to_string()
            .contains("64 hex digits"));
        assert!(parse_key(&"00".repeat(32)).is_err());
        assert!(parse_key(&"ff".repeat(32)).is_err());
    }
}
