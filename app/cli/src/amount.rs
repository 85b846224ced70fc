//! BTT amounts on the command line: `1000abtt` (atto-BTT) or `1.5btt` (BTT, 18 decimals).

use anyhow::{bail, Context as _};

/// Atto-BTT per BTT.
pub const ATTO_PER_BTT: u128 = 1_000_000_000_000_000_000;

/// Parses `<integer>abtt`, `<decimal>btt` or a bare integer (atto-BTT).
pub fn parse(s: &str) -> anyhow::Result<u128> {
    let s = s.trim();
    if let Some(n) = s.strip_suffix("abtt") {
        return n
            .parse::<u128>()
            .with_context(|| format!("{s:?}: expected a whole number of abtt"));
    }
    if let Some(n) = s.strip_suffix("btt") {
        let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
        if frac.len() > 18 || whole.is_empty() && frac.is_empty() {
            bail!("{s:?}: expected at most 18 decimals of BTT");
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .with_context(|| format!("{s:?}: bad number"))?
        };
        let frac_padded = format!("{frac:0<18}");
        let frac: u128 = frac_padded
            .parse()
            .with_context(|| format!("{s:?}: bad decimals"))?;
        return whole
            .checked_mul(ATTO_PER_BTT)
            .and_then(|w| w.checked_add(frac))
            .with_context(|| format!("{s:?} is too large"));
    }
    s.parse::<u128>()
        .with_context(|| format!("{s:?}: expected an amount like 1000abtt or 1.5btt"))
}

/// Formats atto-BTT as BTT with trailing zeros trimmed.
pub fn format_btt(atto: u128) -> String {
    let whole = atto / ATTO_PER_BTT;
    let frac = atto % ATTO_PER_BTT;
    if frac == 0 {
        return format!("{whole}btt");
    }
    let frac = format!("{frac:018}");
    format!("{whole}.{}btt", frac.trim_end_matches('0'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_format() {
        assert_eq!(parse("1000abtt").unwrap(), 1000);
        assert_eq!(parse("1.5btt").unwrap(), 1_500_000_000_000_000_000);
        assert_eq!(parse("0.000000000000000001btt").unwrap(), 1);
        assert_eq!(parse("42").unwrap(), 42);
        assert!(parse("1.0000000000000000001btt").is_err());
        assert!(parse("-1abtt").is_err());
        assert!(parse("abc").is_err());
        assert_eq!(format_btt(1_500_000_000_000_000_000), "1.5btt");
        assert_eq!(format_btt(3 * ATTO_PER_BTT), "3btt");
    }
}
