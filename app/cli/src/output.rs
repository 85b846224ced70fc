//! Printing results: human text or one JSON document on stdout (`--output text|json`).
//!
//! Errors never go through here: `main` prints them as one line on stderr.

use std::io::Write as _;

use serde::Serialize;

/// How a command prints its result.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One pretty-printed JSON document for scripts.
    Json,
}

/// Prints `value` as JSON, or the text `text()` builds, to stdout.
///
/// A closed pipe (`deliveryd keys list | head -1`) is not an error.
pub fn emit<T: Serialize>(
    format: OutputFormat,
    value: &T,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    let rendered = match format {
        OutputFormat::Json => serde_json::to_string_pretty(value)?,
        OutputFormat::Text => text(),
    };
    print_line(&rendered)
}

/// Writes `line` and a newline to stdout, ignoring a closed pipe.
pub fn print_line(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let result = writeln!(out, "{line}").and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Lays out `(label, value)` pairs as aligned `label:  value` lines.
pub fn fields(rows: &[(&str, String)]) -> String {
    let width = rows
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    rows.iter()
        .map(|(label, value)| format!("{label:<width$}  {value}", label = format!("{label}:")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_align_on_the_longest_label() {
        let text = fields(&[("a", "1".into()), ("long", "2".into())]);
        assert_eq!(text, "a:     1\nlong:  2");
    }
}
