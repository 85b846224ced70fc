//! Serde for integers as `0x`-prefixed hex quantities (the Engine API's encoding): no leading
//! zeros, `0x0` for zero. Use with `#[serde(with = "bttc_engine_api::quantity")]`.

use serde::{de, Deserialize, Deserializer, Serializer};

/// An integer type that can be written as a hex quantity.
pub trait Quantity: Sized + Copy {
    /// The value as u128 (every implementor fits).
    fn to_u128(self) -> u128;
    /// The value from u128, `None` if it does not fit.
    fn from_u128(v: u128) -> Option<Self>;
}

impl Quantity for u64 {
    fn to_u128(self) -> u128 {
        u128::from(self)
    }
    fn from_u128(v: u128) -> Option<Self> {
        u64::try_from(v).ok()
    }
}

impl Quantity for u128 {
    fn to_u128(self) -> u128 {
        self
    }
    fn from_u128(v: u128) -> Option<Self> {
        Some(v)
    }
}

/// Serializes as `0x…` hex without leading zeros.
pub fn serialize<T: Quantity, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{:#x}", value.to_u128()))
}

/// Parses a `0x…` hex quantity (at most 32 digits, no leading zeros except `0x0`).
pub fn parse<T: Quantity>(s: &str) -> Result<T, String> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("quantity must start with 0x, found {s:?}"))?;
    if digits.is_empty() || digits.len() > 32 {
        return Err(format!(
            "quantity must have 1 to 32 hex digits, found {}",
            digits.len()
        ));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(format!("quantity has leading zeros: {s:?}"));
    }
    let v = u128::from_str_radix(digits, 16).map_err(|e| format!("bad quantity {s:?}: {e}"))?;
    T::from_u128(v).ok_or_else(|| format!("quantity {s} does not fit the field"))
}

/// Deserializes a `0x…` hex quantity.
pub fn deserialize<'de, T: Quantity, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse(&s).map_err(de::Error::custom)
}

/// `Option<integer>` as a hex quantity or `null`: `#[serde(with = "…quantity::option")]`.
pub mod option {
    use super::{parse, Quantity};
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Serializes `Some(v)` as a quantity, `None` as `null`.
    pub fn serialize<T: Quantity, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Parses a quantity or `null`.
    pub fn deserialize<'de, T: Quantity, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        s.map(|s| parse(&s).map_err(de::Error::custom)).transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn optional_quantities_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(default, with = "super::option")]
            v: Option<u64>,
        }
        let some = serde_json::to_string(&T { v: Some(26) }).unwrap();
        assert_eq!(some, r#"{"v":"0x1a"}"#);
        assert_eq!(serde_json::from_str::<T>(&some).unwrap(), T { v: Some(26) });
        assert_eq!(
            serde_json::from_str::<T>(r#"{"v":null}"#).unwrap(),
            T { v: None }
        );
        assert_eq!(serde_json::from_str::<T>("{}").unwrap(), T { v: None });
        assert!(serde_json::from_str::<T>(r#"{"v":"0x01"}"#).is_err());
    }

    #[test]
    fn parses_engine_api_quantities() {
        assert_eq!(parse::<u64>("0x0").unwrap(), 0);
        assert_eq!(parse::<u64>("0x1a").unwrap(), 26);
        assert!(parse::<u64>("0x01").is_err());
        assert!(parse::<u64>("1a").is_err());
        assert!(parse::<u64>("0x").is_err());
        assert!(parse::<u64>("0x10000000000000000").is_err());
        assert_eq!(parse::<u128>("0x10000000000000000").unwrap(), 1u128 << 64);
    }
}
