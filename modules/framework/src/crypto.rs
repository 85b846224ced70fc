//! Keys and addresses. One secp256k1 key serves the root chains, Delivery and BTTC: a Delivery
//! account address is the Ethereum address of its key (`keccak256(uncompressed_pubkey[1..])[12..]`).
//!
//! Delivery transaction signatures follow the Cosmos SDK's secp256k1 convention: ECDSA over
//! `sha256(sign_bytes)`, 64 bytes `r || s`, with `s` in the lower half of the curve order.

use std::fmt;
use std::str::FromStr;

use secp256k1::ecdsa::Signature;
use secp256k1::{Message, PublicKey as Secp256k1PublicKey, SecretKey as Secp256k1SecretKey};
use sha2::Digest as _;
use sha3::Keccak256;

/// A 20-byte account address: the Ethereum address of a secp256k1 key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

/// Errors parsing or checking keys, addresses and signatures.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// An address string is not `0x` followed by 40 hex digits.
    #[error("invalid address {0:?}: expected 0x followed by 40 hex digits")]
    BadAddress(String),
    /// A public key is not a valid compressed secp256k1 point.
    #[error("invalid secp256k1 public key: {0}")]
    BadPublicKey(String),
    /// A secret key is not 32 bytes in the curve's range.
    #[error("invalid secp256k1 secret key: {0}")]
    BadSecretKey(String),
    /// A signature is malformed, not low-s, or does not verify.
    #[error("invalid signature: {0}")]
    BadSignature(String),
}

impl Address {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Builds an address from a 20-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 20] = bytes
            .try_into()
            .map_err(|_| CryptoError::BadAddress(hex::encode(bytes)))?;
        Ok(Self(arr))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Address {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| CryptoError::BadAddress(s.to_string()))?;
        if digits.len() != 40 {
            return Err(CryptoError::BadAddress(s.to_string()));
        }
        let bytes = hex::decode(digits).map_err(|_| CryptoError::BadAddress(s.to_string()))?;
        Self::from_slice(&bytes)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A secp256k1 public key (33-byte compressed form on the wire).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(Secp256k1PublicKey);

impl PublicKey {
    /// Parses a compressed (33-byte) or uncompressed (65-byte) SEC1 key.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, CryptoError> {
        Secp256k1PublicKey::from_slice(bytes)
            .map(Self)
            .map_err(|e| CryptoError::BadPublicKey(e.to_string()))
    }

    /// The 33-byte compressed encoding (what transactions carry).
    pub fn to_compressed(&self) -> [u8; 33] {
        self.0.serialize()
    }

    /// The 65-byte uncompressed encoding (what root-chain staking events carry).
    pub fn to_uncompressed(&self) -> [u8; 65] {
        self.0.serialize_uncompressed()
    }

    /// The account address of this key.
    pub fn address(&self) -> Address {
        let uncompressed = self.0.serialize_uncompressed();
        let hash = Keccak256::digest(uncompressed.get(1..).unwrap_or(&[]));
        let mut out = [0u8; 20];
        out.copy_from_slice(hash.get(12..).unwrap_or(&[0u8; 20]));
        Address(out)
    }

    /// Verifies a Cosmos-style signature (`r || s` over `sha256(msg)`, low-s only).
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let sig = Signature::from_compact(signature)
            .map_err(|e| CryptoError::BadSignature(format!("malformed: {e}")))?;
        let mut normalized = sig;
        normalized.normalize_s();
        if normalized != sig {
            return Err(CryptoError::BadSignature(
                "s is not in the lower half order".into(),
            ));
        }
        let digest: [u8; 32] = sha2::Sha256::digest(msg).into();
        secp256k1::SECP256K1
            .verify_ecdsa(Message::from_digest(digest), &sig, &self.0)
            .map_err(|_| CryptoError::BadSignature("does not verify".into()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_compressed()))
    }
}

/// A secp256k1 secret key. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct SecretKey(Secp256k1SecretKey);

impl SecretKey {
    /// A fresh random key from the OS RNG.
    pub fn generate() -> Self {
        use rand::RngCore as _;
        loop {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            // Out-of-range values (zero or >= the curve order) are astronomically rare; draw again.
            if let Ok(key) = Secp256k1SecretKey::from_byte_array(bytes) {
                return Self(key);
            }
        }
    }

    /// Parses 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            CryptoError::BadSecretKey(format!("expected 32 bytes, got {}", bytes.len()))
        })?;
        Secp256k1SecretKey::from_byte_array(arr)
            .map(Self)
            .map_err(|e| CryptoError::BadSecretKey(e.to_string()))
    }

    /// Parses 64 hex digits (an optional `0x` prefix is accepted).
    pub fn from_hex(s: &str) -> Result<Self, CryptoError> {
        let digits = s.trim().trim_start_matches("0x");
        let bytes =
            hex::decode(digits).map_err(|e| CryptoError::BadSecretKey(format!("not hex: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// The raw 32 bytes (handle with care).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.secret_bytes()
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key(secp256k1::SECP256K1))
    }

    /// The account address.
    pub fn address(&self) -> Address {
        self.public_key().address()
    }

    /// Cosmos-style signature: `r || s` over `sha256(msg)`, low-s.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let digest: [u8; 32] = sha2::Sha256::digest(msg).into();
        let sig = secp256k1::SECP256K1.sign_ecdsa(Message::from_digest(digest), &self.0);
        sig.serialize_compact()
    }

    /// Ethereum-style recoverable signature over a 32-byte digest: `r || s || v` with `v` in
    /// {0, 1} (root-chain contracts add 27 where they expect it).
    pub fn sign_recoverable(&self, digest: &[u8; 32]) -> [u8; 65] {
        let sig =
            secp256k1::SECP256K1.sign_ecdsa_recoverable(Message::from_digest(*digest), &self.0);
        let (id, rs) = sig.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&rs);
        out[64] = u8::try_from(i32::from(id)).unwrap_or(0);
        out
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.address())
    }
}

/// `keccak256(data)`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// `sha256(data)`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn address_matches_a_known_ethereum_vector() {
        // Private key 1 has the well-known address 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf.
        let mut raw = [0u8; 32];
        raw[31] = 1;
        let key = SecretKey::from_bytes(&raw).unwrap();
        assert_eq!(
            key.address().to_string(),
            "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        );
    }

    #[test]
    fn signatures_verify_and_reject_tampering() {
        let key = SecretKey::generate();
        let sig = key.sign(b"hello");
        key.public_key().verify(b"hello", &sig).unwrap();
        assert!(key.public_key().verify(b"hellp", &sig).is_err());
        let other = SecretKey::generate();
        assert!(other.public_key().verify(b"hello", &sig).is_err());
        assert!(key.public_key().verify(b"hello", &sig[..63]).is_err());
    }

    #[test]
    fn high_s_signatures_are_rejected() {
        let key = SecretKey::generate();
        let sig = key.sign(b"msg");
        // Negate s: n - s. Build it through the library to stay exact.
        let parsed = Signature::from_compact(&sig).unwrap();
        let mut high = parsed.serialize_compact();
        // s' = n - s
        let n: [u8; 32] =
            hex::decode("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")
                .unwrap()
                .try_into()
                .unwrap();
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let v = i16::from(n[i]) - i16::from(high[32 + i]) - borrow;
            borrow = i16::from(v < 0);
            high[32 + i] = (v.rem_euclid(256)) as u8;
        }
        assert!(key.public_key().verify(b"msg", &high).is_err());
    }

    #[test]
    fn addresses_parse_and_print() {
        let a: Address = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
            .parse()
            .unwrap();
        assert_eq!(a.to_string(), "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
        assert!("7e5f4552091a69125d5dfcb7b8c2659029395bdf"
            .parse::<Address>()
            .is_err());
        assert!("0x7e5f".parse::<Address>().is_err());
        assert!("0xzz5f4552091a69125d5dfcb7b8c2659029395bdf"
            .parse::<Address>()
            .is_err());
    }
}
