//! The auth module: accounts, sequences, secp256k1 transaction signatures and the fee floor.
//!
//! State: an [`state::Account`] per address (account number, sequence, public key), the next
//! account number, and [`params::Params`]. Transactions are Cosmos SDK `TxRaw` with
//! SIGN_MODE_DIRECT; an account's address is the Ethereum address of its key ([`tx`]).
//! Invariants: account numbers are unique and never reused; a sequence only grows, by exactly
//! one per included transaction whose envelope checks passed.

pub mod ante;
pub mod genesis;
pub mod params;
pub mod state;
pub mod tx;

pub use genesis::{Auth, Genesis};
pub use params::Params;
pub use tx::{build_signed_tx, decode_tx, AnyMsg, DecodedTx, SignerData};

use delivery_module::crypto::Address;
use delivery_module::error::sdk;
use delivery_module::TxError;

/// Parses a query argument: a `0x` address as UTF-8 text, or 20 raw bytes.
pub fn parse_address_arg(data: &[u8]) -> Result<Address, TxError> {
    if data.len() == 20 {
        return Address::from_slice(data)
            .map_err(|e| TxError::new(sdk::CODESPACE, sdk::INVALID_ADDRESS, e.to_string()));
    }
    let text = std::str::from_utf8(data)
        .map_err(|_| TxError::new(sdk::CODESPACE, sdk::INVALID_ADDRESS, "address is not UTF-8"))?;
    text.trim()
        .parse()
        .map_err(|e: delivery_module::crypto::CryptoError| {
            TxError::new(sdk::CODESPACE, sdk::INVALID_ADDRESS, e.to_string())
        })
}

/// Serde helper: `u128` as a decimal string (JSON numbers lose precision above 2^53).
pub mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as a decimal string.
    pub fn serialize<S: Serializer>(value: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    /// Deserializes from a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a whole number")))
    }
}
