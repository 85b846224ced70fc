//! Typed access to state: protobuf values under module-owned keys.
//!
//! Values are encoded with prost, whose output is deterministic for our message types (no maps).
//! A value that fails to decode means the store is corrupt: that is fatal, not a rejection.

use delivery_store::{StateRead, StateWrite, StoreError};

/// Reads and decodes a protobuf value.
pub fn get<M: prost::Message + Default, S: StateRead + ?Sized>(
    state: &S,
    key: &[u8],
) -> Result<Option<M>, StoreError> {
    match state.get_raw(key)? {
        None => Ok(None),
        Some(bytes) => M::decode(bytes.as_slice()).map(Some).map_err(|e| {
            StoreError::Backend(format!("corrupt value under key {}: {e}", hex::encode(key)))
        }),
    }
}

/// Encodes and writes a protobuf value.
pub fn put<M: prost::Message, S: StateWrite + ?Sized>(state: &mut S, key: Vec<u8>, value: &M) {
    state.put_raw(key, value.encode_to_vec());
}

/// Reads a JSON value (params and other small, rarely-written records).
pub fn get_json<T: serde::de::DeserializeOwned, S: StateRead + ?Sized>(
    state: &S,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    match state.get_raw(key)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            StoreError::Backend(format!("corrupt JSON under key {}: {e}", hex::encode(key)))
        }),
    }
}

/// Writes a JSON value. Serialization of our own plain structs cannot fail; if it ever did, the
/// write is skipped and reported as a store error on the next read.
pub fn put_json<T: serde::Serialize, S: StateWrite + ?Sized>(
    state: &mut S,
    key: Vec<u8>,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode value: {e}")))?;
    state.put_raw(key, bytes);
    Ok(())
}

/// Big-endian `u64`, so numeric keys sort in numeric order.
pub fn be_u64(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// Reads a big-endian u64 stored under `key` ([`put_u64`]); a value that is not 8 bytes is a
/// corrupt store.
pub fn get_u64<S: StateRead + ?Sized>(state: &S, key: &[u8]) -> Result<Option<u64>, StoreError> {
    match state.get_raw(key)? {
        None => Ok(None),
        Some(bytes) => {
            let arr: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                StoreError::Backend(format!(
                    "corrupt u64 under key {}: {} bytes, expected 8",
                    hex::encode(key),
                    bytes.len()
                ))
            })?;
            Ok(Some(u64::from_be_bytes(arr)))
        }
    }
}

/// Stores `value` big-endian under `key`.
pub fn put_u64<S: StateWrite + ?Sized>(state: &mut S, key: Vec<u8>, value: u64) {
    state.put_raw(key, value.to_be_bytes().to_vec());
}

/// Builds a key from parts.
pub fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}
