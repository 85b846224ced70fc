//! Fixed-size and variable-size byte types that serialize as `0x`-prefixed hex strings.

use core::fmt;
use core::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A hex string could not be decoded into the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The string does not start with `0x`.
    #[error("hex string must start with 0x, found {0:?}")]
    MissingPrefix(String),
    /// A character is not a hex digit, or the digit count is odd.
    #[error("invalid hex: {0}")]
    Invalid(String),
    /// The decoded length is not the type's length.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// The type's length in bytes.
        expected: usize,
        /// The decoded length in bytes.
        found: usize,
    },
}

fn decode_prefixed(s: &str) -> Result<Vec<u8>, HexError> {
    let body = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| HexError::MissingPrefix(s.chars().take(16).collect()))?;
    hex::decode(body).map_err(|e| HexError::Invalid(e.to_string()))
}

macro_rules! fixed_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The length in bytes.
            pub const LEN: usize = $len;
            /// All bytes zero.
            pub const ZERO: Self = Self([0u8; $len]);

            /// Copies from a slice of exactly [`Self::LEN`] bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, HexError> {
                let arr: [u8; $len] = bytes.try_into().map_err(|_| HexError::Length {
                    expected: $len,
                    found: bytes.len(),
                })?;
                Ok(Self(arr))
            }

            /// The bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::ZERO
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(value: [u8; $len]) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "0x{}", hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_slice(&decode_prefixed(s)?)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(de::Error::custom)
            }
        }
    };
}

fixed_bytes!(
    /// A 32-byte hash (block hash, state root, transaction hash).
    H256,
    32
);
fixed_bytes!(
    /// A 20-byte account address.
    Address,
    20
);
fixed_bytes!(
    /// A 256-byte logs bloom filter.
    Bloom,
    256
);
fixed_bytes!(
    /// An 8-byte payload id returned by `forkchoice_updated`.
    PayloadId,
    8
);

/// Variable-length bytes, `0x`-hex in JSON.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

impl From<&[u8]> for Bytes {
    fn from(value: &[u8]) -> Self {
        Self(value.to_vec())
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(&self.0))
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Bytes {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_prefixed(s).map(Self)
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bytes_round_trip_and_reject_bad_input() {
        let a: Address = "0x00000000000000000000000000000000000010aa"
            .parse()
            .unwrap();
        assert_eq!(a.0[19], 0xaa);
        assert_eq!(a.to_string(), "0x00000000000000000000000000000000000010aa");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
        assert!(matches!(
            "0x0011".parse::<Address>(),
            Err(HexError::Length {
                expected: 20,
                found: 2
            })
        ));
        assert!(matches!(
            "0011".parse::<H256>(),
            Err(HexError::MissingPrefix(_))
        ));
        assert!(matches!("0xzz".parse::<Bytes>(), Err(HexError::Invalid(_))));
        assert_eq!("0x".parse::<Bytes>().unwrap(), Bytes(vec![]));
    }
}
