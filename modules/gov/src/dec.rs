//! Exact decimal fractions in `[0, 1]` for the tally params (`"0.334"`), and the comparisons
//! the tally makes, by integer cross-multiplication (no floats).
//!
//! A [`Dec`] holds `value × 10^18` (at most 18 fractional digits). `n / d ≥ q` is decided as
//! `n × 10^18 ≥ q_atto × d` in `u128`: with counts below 2^64 neither side overflows
//! (`2^64 × 10^18 < 2^128`).

use std::fmt;
use std::str::FromStr;

/// `10^18`: one, in atto units.
pub const ONE_ATTO: u64 = 1_000_000_000_000_000_000;
const FRACTION_DIGITS: usize = 18;

/// A decimal fraction in `[0, 1]` with up to 18 fractional digits. Serialized as its canonical
/// decimal string (`"0.334"`, `"0.5"`, `"1"`, `"0"`: no trailing zeros).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec {
    atto: u64,
}

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec { atto: 0 };
    /// One.
    pub const ONE: Dec = Dec { atto: ONE_ATTO };

    /// The value × 10^18, if at most one.
    pub fn from_atto(atto: u64) -> Option<Dec> {
        (atto <= ONE_ATTO).then_some(Dec { atto })
    }

    /// The value × 10^18.
    pub fn atto(self) -> u64 {
        self.atto
    }

    fn sides(self, num: u64, den: u64) -> (u128, u128) {
        let left = u128::from(num).saturating_mul(u128::from(ONE_ATTO));
        let right = u128::from(self.atto).saturating_mul(u128::from(den));
        (left, right)
    }

    /// `num / den ≥ self`. False when `den` is 0.
    pub fn le_ratio(self, num: u64, den: u64) -> bool {
        if den == 0 {
            return false;
        }
        let (left, right) = self.sides(num, den);
        left >= right
    }

    /// `num / den > self`. False when `den` is 0.
    pub fn lt_ratio(self, num: u64, den: u64) -> bool {
        if den == 0 {
            return false;
        }
        let (left, right) = self.sides(num, den);
        left > right
    }
}

/// A string that is not a decimal in `[0, 1]` with at most 18 fractional digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decimal in [0, 1] with at most 18 fractional digits (e.g. \"0.334\")")]
pub struct DecError(pub String);

impl FromStr for Dec {
    type Err = DecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DecError(s.chars().take(64).collect());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let int_value: u64 = match int {
            "0" => 0,
            "1" => 1,
            _ => return Err(bad()),
        };
        let mut frac_atto: u64 = 0;
        if let Some(f) = frac {
            if f.is_empty() || f.len() > FRACTION_DIGITS || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let padded = format!("{f:0<FRACTION_DIGITS$}");
            frac_atto = padded.parse().map_err(|_| bad())?;
        }
        let atto = int_value
            .checked_mul(ONE_ATTO)
            .and_then(|i| i.checked_add(frac_atto))
            .ok_or_else(bad)?;
        Dec::from_atto(atto).ok_or_else(bad)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.atto / ONE_ATTO;
        let frac = self.atto % ONE_ATTO;
        if frac == 0 {
            return write!(f, "{int}");
        }
        let digits = format!("{frac:018}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dec({self})")
    }
}

impl serde::Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Dec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_canonically() {
        for (text, canonical) in [
            ("0.334", "0.334"),
            ("0.5", "0.5"),
            ("0.50", "0.5"),
            ("1", "1"),
            ("1.000", "1"),
            ("0", "0"),
            ("0.000000000000000001", "0.000000000000000001"),
        ] {
            assert_eq!(text.parse::<Dec>().unwrap().to_string(), canonical);
        }
        for bad in [
            "",
            ".5",
            "0.",
            "1.1",
            "2",
            "-0.5",
            "0.5x",
            "00.5",
            "0.1234567890123456789",
            "+0.5",
            "0,5",
            " 0.5",
        ] {
            assert!(bad.parse::<Dec>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn boundaries_are_exact() {
        let half: Dec = "0.5".parse().unwrap();
        assert!(!half.lt_ratio(2, 4), "0.5 is not > 0.5");
        assert!(half.lt_ratio(3, 5));
        assert!(half.le_ratio(2, 4));
        let q: Dec = "0.334".parse().unwrap();
        assert!(!q.le_ratio(1, 3), "1/3 < 0.334");
        assert!(q.le_ratio(334, 1000));
        assert!(!q.le_ratio(333, 1000));
        assert!(!q.lt_ratio(334, 1000));
        assert!(!Dec::ZERO.lt_ratio(0, 0));
        assert!(!Dec::ZERO.le_ratio(0, 0));
    }

    proptest! {
        #[test]
        fn comparisons_match_exact_rationals(num in 0u64..=u64::MAX, den in 1u64..=u64::MAX, atto in 0u64..=ONE_ATTO) {
            let d = Dec::from_atto(atto).unwrap();
            let left = u128::from(num) * u128::from(ONE_ATTO);
            let right = u128::from(atto) * u128::from(den);
            prop_assert_eq!(d.lt_ratio(num, den), left > right);
            prop_assert_eq!(d.le_ratio(num, den), left >= right);
        }

        #[test]
        fn display_round_trips(atto in 0u64..=ONE_ATTO) {
            let d = Dec::from_atto(atto).unwrap();
            prop_assert_eq!(d.to_string().parse::<Dec>().unwrap(), d);
        }
    }
}
