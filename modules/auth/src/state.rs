//! Account records and their keys.
//!
//! Keys (changing one is a migration):
//! - `auth/acc/<address 20 bytes>` → [`Account`] (protobuf)
//! - `auth/next_account_number` → big-endian u64
//! - `auth/params` → [`Params`] (JSON)

use delivery_module::codec;
use delivery_module::crypto::Address;
use delivery_store::{StateRead, StateWrite, StoreError};

use crate::params::Params;

const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_account_number";
const PARAMS: &[u8] = b"auth/params";

/// An account: its number (part of what it signs), its next sequence and, once it has signed,
/// its public key.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Account {
    /// The 20-byte address.
    #[prost(bytes = "vec", tag = "1")]
    pub address: Vec<u8>,
    /// Assigned at creation, never reused.
    #[prost(uint64, tag = "2")]
    pub account_number: u64,
    /// The sequence the next transaction must carry.
    #[prost(uint64, tag = "3")]
    pub sequence: u64,
    /// The compressed secp256k1 key, set by the first transaction.
    #[prost(bytes = "vec", tag = "4")]
    pub pub_key: Vec<u8>,
}

/// The state key of an account.
pub fn account_key(address: &Address) -> Vec<u8> {
    codec::key(&[ACCOUNT_PREFIX, address.as_bytes()])
}

/// Reads an account.
pub fn account<S: StateRead + ?Sized>(
    state: &S,
    address: &Address,
) -> Result<Option<Account>, StoreError> {
    codec::get(state, &account_key(address))
}

/// Writes an account.
pub fn set_account<S: StateWrite + ?Sized>(
    state: &mut S,
    account: &Account,
) -> Result<(), StoreError> {
    let address = Address::from_slice(&account.address)
        .map_err(|e| StoreError::Backend(format!("account with bad address: {e}")))?;
    codec::put(state, account_key(&address), account);
    Ok(())
}

/// Every account, in address order.
pub fn accounts<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Account>, StoreError> {
    state
        .prefix_raw(ACCOUNT_PREFIX)?
        .into_iter()
        .map(|(key, value)| {
            prost::Message::decode(value.as_slice()).map_err(|e| {
                StoreError::Backend(format!("corrupt account under {}: {e}", hex::encode(key)))
            })
        })
        .collect()
}

/// The next account number to assign.
pub fn next_account_number<S: StateRead + ?Sized>(state: &S) -> Result<u64, StoreError> {
    match state.get_raw(NEXT_ACCOUNT_NUMBER)? {
        None => Ok(0),
        Some(bytes) => {
            let arr: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                StoreError::Backend(format!(
                    "corrupt next account number: {}",
                    hex::encode(&bytes)
                ))
            })?;
            Ok(u64::from_be_bytes(arr))
        }
    }
}

/// Sets the next account number.
pub fn set_next_account_number<S: StateWrite + ?Sized>(state: &mut S, next: u64) {
    state.put_raw(NEXT_ACCOUNT_NUMBER.to_vec(), codec::be_u64(next).to_vec());
}

/// Returns the account, creating it with the next account number if it does not exist.
pub fn ensure_account<S: StateWrite + ?Sized>(
    state: &mut S,
    address: &Address,
) -> Result<Account, StoreError> {
    if let Some(existing) = account(state, address)? {
        return Ok(existing);
    }
    let number = next_account_number(state)?;
    let next = number
        .checked_add(1)
        .ok_or_else(|| StoreError::Backend("account numbers exhausted".into()))?;
    let created = Account {
        address: address.as_bytes().to_vec(),
        account_number: number,
        sequence: 0,
        pub_key: Vec::new(),
    };
    set_account(state, &created)?;
    set_next_account_number(state, next);
    Ok(created)
}

/// The auth params (defaults if never written: genesis always writes them).
pub fn params<S: StateRead + ?Sized>(state: &S) -> Result<Params, StoreError> {
    codec::get_json(state, PARAMS)?
        .ok_or_else(|| StoreError::Backend("auth params missing from state".into()))
}

/// Writes the auth params.
pub fn set_params<S: StateWrite + ?Sized>(
    state: &mut S,
    params: &Params,
) -> Result<(), StoreError> {
    codec::put_json(state, PARAMS.to_vec(), params)
}
