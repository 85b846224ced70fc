//! Serde helper: bytes as lowercase hex strings (store files only; RPC JSON is shaped by hand).

use serde::{Deserialize, Deserializer, Serializer};

/// Serialize bytes as hex.
pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// Deserialize bytes from hex.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    hex::decode(&s).map_err(serde::de::Error::custom)
}
