//! What the module query subcommands share: fetching an answer, reading it into a view type,
//! and printing it as JSON (the module's answer as is) or as text.

use anyhow::{bail, Context as _};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// A module's JSON answer and the height it was read at.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The answer, as the module gave it.
    pub value: Value,
    /// The height it was read at.
    pub height: u64,
}

/// Asks `path` at `height` (0: latest); a rejection is an error naming the path, the module's
/// code and its message.
pub fn fetch(rpc: &RpcClient, path: &str, height: u64) -> anyhow::Result<Answer> {
    let r = rpc.abci_query(path, b"", height, false)?;
    if r.code != 0 {
        bail!(
            "query {path} failed ({}/{}): {}",
            r.codespace,
            r.code,
            r.log
        );
    }
    let value = serde_json::from_slice(&r.value)
        .with_context(|| format!("query {path}: the answer is not JSON"))?;
    Ok(Answer {
        value,
        height: r.height,
    })
}

/// Reads an answer into the view type the text rendering uses.
pub fn view<T: DeserializeOwned>(what: &str, value: &Value) -> anyhow::Result<T> {
    T::deserialize(value).with_context(|| {
        format!("the node's {what} answer is not in the form this deliveryd expects")
    })
}

/// Prints `value` as JSON, or the text `text` renders from it.
pub fn show(
    format: OutputFormat,
    value: &Value,
    text: impl FnOnce(&Value) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => output::emit(format, value, String::new),
        OutputFormat::Text => output::print_line(&text(value)?),
    }
}

/// Lays out rows under a header, columns left-aligned to their widest cell, two spaces apart.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                if i == last {
                    (*cell).to_string()
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut lines = vec![line(header.to_vec())];
    lines.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    lines.join("\n")
}

/// `0x` hex of `data`, cut after `max` bytes with a note of the full length.
pub fn hex_preview(data: &str, max: usize) -> String {
    let digits = data.strip_prefix("0x").unwrap_or(data);
    let bytes = digits.len() / 2;
    match digits.get(..max.saturating_mul(2)) {
        Some(head) if bytes > max => {
            format!("0x{head}… ({bytes} bytes; --output json shows all)")
        }
        _ => format!("0x{digits} ({bytes} bytes)"),
    }
}

/// Unix seconds as RFC 3339 UTC, with the number.
pub fn unix_time(seconds: i64) -> String {
    let time = u64::try_from(seconds)
        .ok()
        .and_then(|s| std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(s)));
    match time {
        Some(t) => format!("{} ({seconds})", humantime::format_rfc3339_seconds(t)),
        None => seconds.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_columns_and_leaves_the_last_unpadded() {
        let text = table(
            &["ID", "NAME", "X"],
            &[
                vec!["1".into(), "a".into(), "yes".into()],
                vec!["100".into(), "long name".into(), "no".into()],
            ],
        );
        assert_eq!(
            text,
            "ID   NAME       X\n1    a          yes\n100  long name  no"
        );
    }

    #[test]
    fn hex_previews_cut_long_data() {
        assert_eq!(hex_preview("0xabcd", 4), "0xabcd (2 bytes)");
        assert_eq!(hex_preview("0x", 4), "0x (0 bytes)");
        assert_eq!(
            hex_preview("0x0011223344", 2),
            "0x0011… (5 bytes; --output json shows all)"
        );
    }

    #[test]
    fn unix_times_show_utc() {
        assert_eq!(unix_time(0), "1970-01-01T00:00:00Z (0)");
        assert_eq!(unix_time(-5), "-5");
    }
}
