//! The proposal file of `deliveryd tx gov submit-proposal <file.json>`: a JSON document written
//! by hand, checked strictly (unknown fields, JSON syntax with line and column, a param change
//! whose `params` is not an object, the module's absolute size ceilings) and mapped onto the gov
//! module's [`MsgSubmitProposal`].
//!
//! ```json
//! {
//!   "title": "Five producers per span",
//!   "description": "Raise span.producer_count from 4 to 5.",
//!   "deposit": "1btt",
//!   "content": {
//!     "type": "param_change",
//!     "changes": [
//!       { "module": "span", "params": { "sprint_length": 4, "producer_count": 5, "...": "..." } }
//!     ]
//!   }
//! }
//! ```
//!
//! `content.type` is `text`, `param_change` (`changes: [{module, params}]`, each `params` the
//! module's **whole** new params object), `software_upgrade` (`name`, `height`, optional `info`)
//! or `cancel_upgrade`. `deposit` is optional (default 0) and takes the amounts `tx bank send`
//! takes (`"10btt"`, `"1000abtt"`, `"1000"` abtt), as a string.

use anyhow::{bail, Context as _};
use delivery_gov::msg::{
    msg_submit_proposal, CancelUpgradeContent, ParamChangeContent, ParamChangeProto,
    SoftwareUpgradeContent, TextContent,
};
use delivery_gov::MsgSubmitProposal;
use delivery_module::{Address, Msg as _};
use serde::Deserialize;

use crate::amount;

/// The largest proposal file read (64 changes of 64 KiB each fit well below it).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A proposal file, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalFile {
    /// Title (non-empty; the chain's `max_title_bytes` bounds it).
    pub title: String,
    /// Description (the chain's `max_description_bytes` bounds it).
    #[serde(default)]
    pub description: String,
    /// Initial deposit: `"10btt"`, `"1000abtt"` or `"1000"` (abtt). Default 0.
    #[serde(default)]
    pub deposit: Option<String>,
    /// What the proposal does.
    pub content: ContentFile,
}

/// The `content` of a proposal file, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContentFile {
    /// A signal recorded on chain; nothing executes.
    Text {},
    /// Replace whole params objects of one or more modules.
    ParamChange {
        /// The changes, applied in order, all or nothing (distinct modules).
        changes: Vec<ParamChangeFile>,
    },
    /// Schedule an upgrade plan.
    SoftwareUpgrade {
        /// The upgrade name the new binary registers.
        name: String,
        /// The first height the new binary executes.
        height: u64,
        /// Free text for operators (where to get the binary, checksums).
        #[serde(default)]
        info: String,
    },
    /// Drop the scheduled upgrade plan.
    CancelUpgrade {},
}

/// One module's new params in a proposal file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamChangeFile {
    /// The module (`span`, `checkpoint`, `gov`, …).
    pub module: String,
    /// The module's complete new params object (not a patch).
    pub params: serde_json::Value,
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl ProposalFile {
    /// Parses a proposal file's text; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> anyhow::Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "proposal file {source}: {e} (expected {{\"title\", \"description\", \"deposit\", \
                 \"content\": {{\"type\": \"text\" | \"param_change\" | \"software_upgrade\" | \
                 \"cancel_upgrade\", …}}}}; see docs/guides/governance.md)"
            )
        })
    }

    /// Reads and parses a proposal file.
    pub fn read(path: &std::path::Path) -> anyhow::Result<Self> {
        let shown = path.display();
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read the proposal file {shown}"))?
            .len();
        if size > MAX_FILE_BYTES {
            bail!("proposal file {shown} is {size} bytes, above the {MAX_FILE_BYTES} this reads");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the proposal file {shown} as UTF-8 text"))?;
        Self::parse(&shown.to_string(), &text)
    }

    /// The initial deposit in abtt.
    pub fn deposit_abtt(&self) -> anyhow::Result<u128> {
        match &self.deposit {
            None => Ok(0),
            Some(text) => amount::parse(text).context("proposal file: deposit"),
        }
    }

    /// The gov message this file proposes, from `proposer`, checked by the module's own
    /// stateless checks (names, distinct modules, JSON objects, absolute size ceilings). What
    /// depends on the chain (the params' limits, the minimum deposit, whether each module
    /// accepts its params) is checked by the chain when the transaction arrives.
    pub fn to_msg(&self, proposer: &Address) -> anyhow::Result<MsgSubmitProposal> {
        let content = match &self.content {
            ContentFile::Text {} => msg_submit_proposal::Content::Text(TextContent {}),
            ContentFile::CancelUpgrade {} => {
                msg_submit_proposal::Content::CancelUpgrade(CancelUpgradeContent {})
            }
            ContentFile::SoftwareUpgrade { name, height, info } => {
                msg_submit_proposal::Content::SoftwareUpgrade(SoftwareUpgradeContent {
                    name: name.clone(),
                    height: *height,
                    info: info.clone(),
                })
            }
            ContentFile::ParamChange { changes } => {
                let mut out = Vec::with_capacity(changes.len());
                for (i, change) in changes.iter().enumerate() {
                    if !change.params.is_object() {
                        bail!(
                            "content.changes[{i}] (module {:?}): params must be a JSON object \
                             holding the module's whole params (as `deliveryd query params {}` \
                             prints them), got {}",
                            change.module,
                            change.module,
                            kind_of(&change.params)
                        );
                    }
                    out.push(ParamChangeProto {
                        module: change.module.clone(),
                        params_json: serde_json::to_string(&change.params)
                            .context("encoding params")?,
                    });
                }
                msg_submit_proposal::Content::ParamChange(ParamChangeContent { changes: out })
            }
        };
        let msg = MsgSubmitProposal {
            proposer: proposer.to_string(),
            title: self.title.clone(),
            description: self.description.clone(),
            initial_deposit: self.deposit_abtt()?.to_string(),
            content: Some(content),
        };
        msg.check_stateless()
            .map_err(|e| anyhow::anyhow!("proposal refused before sending: {}", e.log))?;
        Ok(msg)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use delivery_gov::types::Content;
    use serde_json::json;

    fn proposer() -> Address {
        "0x00000000000000000000000000000000000000aa"
            .parse()
            .unwrap()
    }

    fn parse(v: &serde_json::Value) -> anyhow::Result<MsgSubmitProposal> {
        ProposalFile::parse("p.json", &v.to_string())?.to_msg(&proposer())
    }

    fn err(v: &serde_json::Value) -> String {
        format!("{:#}", parse(v).unwrap_err())
    }

    #[test]
    fn a_text_proposal_maps_onto_the_message() {
        let msg = parse(&json!({
            "title": "Signal", "description": "Hello", "deposit": "1.5btt",
            "content": {"type": "text"}
        }))
        .unwrap();
        assert_eq!(msg.proposer, proposer().to_string());
        assert_eq!(msg.title, "Signal");
        assert_eq!(msg.description, "Hello");
        assert_eq!(msg.initial_deposit, "1500000000000000000");
        assert_eq!(msg.content().unwrap(), Content::Text);
    }

    #[test]
    fn the_deposit_is_optional_and_takes_the_bank_amounts() {
        let base = |deposit: Option<&str>| {
            let mut v = json!({"title": "t", "content": {"type": "text"}});
            if let Some(d) = deposit {
                v["deposit"] = json!(d);
            }
            parse(&v).map(|m| m.initial_deposit)
        };
        assert_eq!(base(None).unwrap(), "0");
        assert_eq!(base(Some("1000abtt")).unwrap(), "1000");
        assert_eq!(base(Some("42")).unwrap(), "42");
        assert_eq!(base(Some("10btt")).unwrap(), "10000000000000000000");
        let e = format!("{:#}", base(Some("ten")).unwrap_err());
        assert_eq!(
            e,
            "proposal file: deposit: \"ten\": expected an amount like 1000abtt or 1.5btt: \
             invalid digit found in string"
        );
        let e = err(&json!({"title": "t", "deposit": 5, "content": {"type": "text"}}));
        assert!(
            e.contains("invalid type: integer `5`, expected a string"),
            "{e}"
        );
    }

    #[test]
    fn a_param_change_carries_each_whole_params_object_as_json() {
        let msg = parse(&json!({
            "title": "Five producers", "description": "d",
            "content": {"type": "param_change", "changes": [
                {"module": "span", "params": {"producer_count": 5, "sprint_length": 4}},
                {"module": "gov", "params": {"quorum": "0.4"}}
            ]}
        }))
        .unwrap();
        match msg.content.as_ref().unwrap() {
            msg_submit_proposal::Content::ParamChange(p) => {
                assert_eq!(p.changes.len(), 2);
                assert_eq!(p.changes[0].module, "span");
                let v: serde_json::Value = serde_json::from_str(&p.changes[0].params_json).unwrap();
                assert_eq!(v, json!({"producer_count": 5, "sprint_length": 4}));
                assert_eq!(p.changes[1].module, "gov");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(msg.content().unwrap().kind(), "param_change");
    }

    #[test]
    fn upgrade_and_cancel_map_onto_the_message() {
        let msg = parse(&json!({
            "title": "v2", "content": {"type": "software_upgrade", "name": "v2", "height": 1200,
                "info": "https://example.org/deliveryd-v2 sha256:ab"}
        }))
        .unwrap();
        assert_eq!(
            msg.content,
            Some(msg_submit_proposal::Content::SoftwareUpgrade(
                SoftwareUpgradeContent {
                    name: "v2".into(),
                    height: 1200,
                    info: "https://example.org/deliveryd-v2 sha256:ab".into()
                }
            ))
        );
        let no_info = parse(&json!({
            "title": "v2", "content": {"type": "software_upgrade", "name": "v2", "height": 9}
        }))
        .unwrap();
        assert!(matches!(
            no_info.content,
            Some(msg_submit_proposal::Content::SoftwareUpgrade(ref u)) if u.info.is_empty()
        ));
        let cancel =
            parse(&json!({"title": "stop", "content": {"type": "cancel_upgrade"}})).unwrap();
        assert_eq!(cancel.content().unwrap(), Content::CancelUpgrade);
    }

    #[test]
    fn malformed_files_are_refused_with_their_reason() {
        let cases: Vec<(serde_json::Value, &str)> =
            vec![
            (
                json!({"title": "t", "content": {"type": "text"}, "deposti": "1btt"}),
                "unknown field `deposti`",
            ),
            (
                json!({"title": "t", "content": {"type": "text", "note": 1}}),
                "unknown field `note`",
            ),
            (
                json!({"title": "t", "content": {"type": "cancel_upgrade", "name": "v2"}}),
                "unknown field `name`",
            ),
            (
                json!({"title": "t", "content": {"type": "vote"}}),
                "unknown variant `vote`",
            ),
            (json!({"title": "t", "content": {}}), "missing field `type`"),
            (json!({"title": "t"}), "missing field `content`"),
            (json!({"content": {"type": "text"}}), "missing field `title`"),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "span", "params": "{\"producer_count\": 5}"}]}}),
                "content.changes[0] (module \"span\"): params must be a JSON object holding the \
                 module's whole params (as `deliveryd query params span` prints them), got a \
                 string",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "span", "params": [1]}]}}),
                "got an array",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "span", "parameters": {}}]}}),
                "unknown field `parameters`",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": []}}),
                "a param change needs at least one change",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "span", "params": {}}, {"module": "span", "params": {}}]}}),
                "module \"span\" is changed twice in one proposal",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "sp/an", "params": {}}]}}),
                "may hold only ASCII letters",
            ),
            (
                json!({"title": "t", "content": {"type": "software_upgrade", "name": "v2"}}),
                "missing field `height`",
            ),
            (
                json!({"title": "t", "content": {"type": "software_upgrade", "name": "v2",
                    "height": -1}}),
                "invalid value: integer `-1`, expected u64",
            ),
            (
                json!({"title": "t", "content": {"type": "software_upgrade", "name": "v2",
                    "height": 0}}),
                "upgrade height must be > 0",
            ),
            (
                json!({"title": "t", "content": {"type": "software_upgrade", "name": "",
                    "height": 5}}),
                "upgrade name must be 1..=64 bytes, got 0",
            ),
            (
                json!({"title": "  ", "content": {"type": "text"}}),
                "title must not be empty",
            ),
            (
                json!({"title": "x".repeat(1025), "content": {"type": "text"}}),
                "title is 1025 bytes, above 1024",
            ),
            (
                json!({"title": "t", "description": "d".repeat(65_537),
                    "content": {"type": "text"}}),
                "description is 65537 bytes, above 65536",
            ),
            (
                json!({"title": "t", "content": {"type": "param_change", "changes": [
                    {"module": "span", "params": {"k": "v".repeat(70_000)}}]}}),
                "above 65536",
            ),
        ];
        for (file, expected) in cases {
            let e = err(&file);
            assert!(e.contains(expected), "{file}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn bad_json_names_the_line_and_column() {
        let text = "{\n  \"title\": \"t\",\n  \"content\": {\"type\": \"text\"},\n}\n";
        let e = format!("{:#}", ProposalFile::parse("p.json", text).unwrap_err());
        assert!(
            e.starts_with("proposal file p.json: trailing comma at line 4 column 1"),
            "{e}"
        );
        let e = format!("{:#}", ProposalFile::parse("p.json", "").unwrap_err());
        assert!(
            e.contains("EOF while parsing a value at line 1 column 0"),
            "{e}"
        );
    }

    #[test]
    fn reading_a_file_reports_missing_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.json");
        let e = format!("{:#}", ProposalFile::read(&missing).unwrap_err());
        assert!(e.contains("cannot read the proposal file"), "{e}");
        let ok = dir.path().join("ok.json");
        std::fs::write(&ok, r#"{"title": "t", "content": {"type": "text"}}"#).unwrap();
        assert_eq!(ProposalFile::read(&ok).unwrap().title, "t");
        let big = dir.path().join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = format!("{:#}", ProposalFile::read(&big).unwrap_err());
        assert!(e.contains("above the 8388608 this reads"), "{e}");
    }
}
