//! TRON addresses: `0x41 ‖ 20-byte address`, shown in base58check (Bitcoin alphabet, checksum =
//! the first 4 bytes of sha256(sha256(payload))). Every TRON mainnet address starts with `T`.

use sha2::{Digest, Sha256};

/// The TRON address prefix byte.
pub const PREFIX: u8 = 0x41;

/// Why a string is not a TRON address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TronAddressError {
    /// Not base58.
    #[error("not base58: {0}")]
    NotBase58(String),
    /// Wrong decoded length.
    #[error("decoded to {0} bytes, expected 25 (0x41, 20 address bytes, 4 checksum bytes)")]
    Length(usize),
    /// First byte is not 0x41.
    #[error("prefix byte 0x{0:02x}, expected 0x41")]
    Prefix(u8),
    /// Checksum mismatch.
    #[error("checksum mismatch")]
    Checksum,
}

fn checksum(payload: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(payload));
    let mut out = [0u8; 4];
    out.copy_from_slice(twice.get(..4).unwrap_or(&[0; 4]));
    out
}

/// The base58check form of a 20-byte address (`T...`).
pub fn to_base58(address: &[u8; 20]) -> String {
    let mut bytes = Vec::with_capacity(25);
    bytes.push(PREFIX);
    bytes.extend_from_slice(address);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum);
    bs58::encode(bytes).into_string()
}

/// Parses a base58check TRON address into its 20 address bytes.
pub fn from_base58(s: &str) -> Result<[u8; 20], TronAddressError> {
    let bytes = bs58::decode(s)
        .into_vec()
        .map_err(|e| TronAddressError::NotBase58(e.to_string()))?;
    if bytes.len() != 25 {
        return Err(TronAddressError::Length(bytes.len()));
    }
    let (payload, sum) = bytes.split_at(21);
    let (prefix, address) = payload.split_at(1);
    if prefix != [PREFIX] {
        return Err(TronAddressError::Prefix(
            prefix.first().copied().unwrap_or(0),
        ));
    }
    if sum != checksum(payload) {
        return Err(TronAddressError::Checksum);
    }
    let mut out = [0u8; 20];
    out.copy_from_slice(address);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_tron_addresses_round_trip() {
        // USDT-TRC20's contract: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t = 41a614f803b6fd780986a42c78ec9c7f77e6ded13c.
        let hex = hex::decode("a614f803b6fd780986a42c78ec9c7f77e6ded13c").unwrap();
        let addr: [u8; 20] = hex.try_into().unwrap();
        assert_eq!(to_base58(&addr), "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
        assert_eq!(
            from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap(),
            addr
        );
    }

    #[test]
    fn corrupted_addresses_are_refused() {
        assert_eq!(
            from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
            Err(TronAddressError::Checksum)
        );
        assert!(matches!(
            from_base58("0OIl"),
            Err(TronAddressError::NotBase58(_))
        ));
        assert!(matches!(
            from_base58("1111"),
            Err(TronAddressError::Length(_))
        ));
        // A Bitcoin address has the right shape but the wrong prefix.
        assert!(from_base58("1BoatSLRHtKNngkdXEeobR76b53LETtpyT").is_err());
    }

    proptest::proptest! {
        #[test]
        fn every_address_round_trips(bytes in proptest::array::uniform20(proptest::num::u8::ANY)) {
            proptest::prop_assert_eq!(from_base58(&to_base58(&bytes)).unwrap(), bytes);
        }
    }
}
