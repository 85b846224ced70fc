//! `deliveryd query checkpoint …`: the checkpoint module's `custom/checkpoint/<path>` queries
//! (per root chain: the last acked checkpoint, one by number, the one in flight with its
//! signatures, the counts; the proposer; a summary of every chain). The params are
//! `query params checkpoint`; the proof of a BTTC block is `query exit-payload`.

use serde_json::Value;

use super::clerk::chain_name;
use super::render::{self, show, table};
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// `query checkpoint` subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum CheckpointQuery {
    /// A root chain's last acked checkpoint.
    Latest {
        /// Root chain name (`tron`, `eth`, …).
        root_chain: String,
    },
    /// An acked checkpoint by its number on a root chain (the RootChain's header block id).
    Number {
        /// Root chain name.
        root_chain: String,
        /// Checkpoint number, from 1.
        number: u64,
    },
    /// The checkpoint in flight on a root chain: its fields, signatures so far, finality, and
    /// the data `submitCheckpoint` takes.
    Buffer {
        /// Root chain name.
        root_chain: String,
    },
    /// A root chain's ack count, last checkpointed BTTC block and next checkpoint.
    Count {
        /// Root chain name.
        root_chain: String,
    },
    /// The signatures on the checkpoint in flight, sorted by signer (as submitted).
    Signatures {
        /// Root chain name.
        root_chain: String,
    },
    /// The checkpoint proposer and the proposer priorities.
    Proposer,
    /// Every root chain's checkpoint counts and buffer, one line each.
    Chains,
}

impl CheckpointQuery {
    /// The `custom/checkpoint/…` path this command asks, its arguments checked.
    pub fn path(&self) -> anyhow::Result<String> {
        Ok(match self {
            CheckpointQuery::Latest { root_chain } => {
                format!("custom/checkpoint/latest/{}", chain_name(root_chain)?)
            }
            CheckpointQuery::Number { root_chain, number } => format!(
                "custom/checkpoint/checkpoint/{}/{number}",
                chain_name(root_chain)?
            ),
            CheckpointQuery::Buffer { root_chain } => {
                format!("custom/checkpoint/buffer/{}", chain_name(root_chain)?)
            }
            CheckpointQuery::Count { root_chain } => {
                format!("custom/checkpoint/count/{}", chain_name(root_chain)?)
            }
            CheckpointQuery::Signatures { root_chain } => {
                format!("custom/checkpoint/signatures/{}", chain_name(root_chain)?)
            }
            CheckpointQuery::Proposer => "custom/checkpoint/proposer".into(),
            CheckpointQuery::Chains => "custom/checkpoint/chains".into(),
        })
    }
}

/// Runs a `query checkpoint` subcommand.
pub fn run(rpc: &RpcClient, format: OutputFormat, query: &CheckpointQuery) -> anyhow::Result<()> {
    let path = query.path()?;
    let answer = render::fetch(rpc, &path, 0)?;
    show(format, &answer.value, |v| Ok(text(query, v)))
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The fields of one checkpoint (`{number, root_chain, proposer, start, end, root_hash, …}`).
fn checkpoint_fields(c: &Value) -> Vec<(&'static str, String)> {
    vec![
        ("number", s(&c["number"])),
        ("root_chain", s(&c["root_chain"])),
        (
            "bttc_blocks",
            format!("{}..={}", s(&c["start"]), s(&c["end"])),
        ),
        ("proposer", s(&c["proposer"])),
        ("root_hash", s(&c["root_hash"])),
        ("account_root_hash", s(&c["account_root_hash"])),
        ("bttc_chain_id", s(&c["bttc_chain_id"])),
    ]
}

/// The text form of `query`'s answer `v`.
pub fn text(query: &CheckpointQuery, v: &Value) -> String {
    let none = |what: &str| format!("no {what} yet");
    match query {
        CheckpointQuery::Latest { root_chain } | CheckpointQuery::Number { root_chain, .. } => {
            if v.is_null() {
                return none(&format!("acked checkpoint on {root_chain}"));
            }
            let mut fields = checkpoint_fields(&v["checkpoint"]);
            fields.push(("acked_at_height", s(&v["acked_height"])));
            fields.push((
                "acked_at",
                v["acked_time"]
                    .as_i64()
                    .map_or_else(|| "-".into(), render::unix_time),
            ));
            output::fields(&fields)
        }
        CheckpointQuery::Buffer { root_chain } => {
            if v.is_null() {
                return none(&format!("checkpoint in flight on {root_chain}"));
            }
            let mut fields = checkpoint_fields(&v["checkpoint"]);
            let signatures = v["signatures"].as_array().map_or(0, Vec::len);
            fields.push((
                "status",
                if v["is_final"].as_bool() == Some(true) {
                    format!(
                        "final at height {} ({signatures} signatures)",
                        s(&v["final_height"])
                    )
                } else {
                    format!("collecting signatures ({signatures} so far)")
                },
            ));
            fields.push(("created_at_height", s(&v["created_height"])));
            fields.push(("sign_hash", s(&v["sign_hash"])));
            fields.push(("sign_data", s(&v["sign_data"])));
            output::fields(&fields)
        }
        CheckpointQuery::Count { .. } => output::fields(&[
            ("root_chain", s(&v["root_chain"])),
            ("ack_count", s(&v["ack_count"])),
            ("last_checkpointed_block", s(&v["last_end"])),
            ("next_start", s(&v["next_start"])),
            ("next_number", s(&v["next_number"])),
        ]),
        CheckpointQuery::Signatures { root_chain } => {
            if v.is_null() {
                return none(&format!("checkpoint in flight on {root_chain}"));
            }
            let rows: Vec<Vec<String>> = v["signatures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|sig| vec![s(&sig["signer"]), s(&sig["signature"])])
                .collect();
            format!(
                "checkpoint {} on {} ({}), sign hash {}\n{}",
                s(&v["number"]),
                s(&v["root_chain"]),
                if v["is_final"].as_bool() == Some(true) {
                    "final"
                } else {
                    "not final"
                },
                s(&v["sign_hash"]),
                table(&["SIGNER", "SIGNATURE"], &rows)
            )
        }
        CheckpointQuery::Proposer => {
            let rows: Vec<Vec<String>> = v["validators"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    vec![
                        s(&p["id"]),
                        s(&p["signer"]),
                        s(&p["power"]),
                        s(&p["priority"]),
                    ]
                })
                .collect();
            format!(
                "proposer: {}\n{}",
                s(&v["proposer"]["signer"]),
                table(&["ID", "SIGNER", "POWER", "PRIORITY"], &rows)
            )
        }
        CheckpointQuery::Chains => {
            let rows: Vec<Vec<String>> = v
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let buffer = &c["buffer"];
                    vec![
                        s(&c["root_chain"]),
                        s(&c["ack_count"]),
                        s(&c["last_end"]),
                        if buffer.is_null() {
                            "-".into()
                        } else {
                            format!(
                                "#{} {}..={}{}",
                                s(&buffer["number"]),
                                s(&buffer["start"]),
                                s(&buffer["end"]),
                                if buffer["is_final"].as_bool() == Some(true) {
                                    " final"
                                } else {
                                    ""
                                }
                            )
                        },
                    ]
                })
                .collect();
            table(&["ROOT_CHAIN", "ACKED", "LAST_BLOCK", "IN_FLIGHT"], &rows)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn paths_check_their_arguments() {
        let q = CheckpointQuery::Number {
            root_chain: "eth".into(),
            number: 3,
        };
        assert_eq!(q.path().unwrap(), "custom/checkpoint/checkpoint/eth/3");
        let bad = CheckpointQuery::Buffer {
            root_chain: "../x".into(),
        };
        assert!(bad.path().is_err());
        assert_eq!(
            CheckpointQuery::Chains.path().unwrap(),
            "custom/checkpoint/chains"
        );
    }

    #[test]
    fn text_renders_a_buffer_and_says_when_there_is_none() {
        let q = CheckpointQuery::Buffer {
            root_chain: "eth".into(),
        };
        assert_eq!(text(&q, &Value::Null), "no checkpoint in flight on eth yet");
        let v = serde_json::json!({
            "checkpoint": {"number": 2, "root_chain": "eth", "proposer": "0xab", "start": 16,
                "end": 31, "root_hash": "0x01", "account_root_hash": "0x02", "bttc_chain_id": 1337},
            "signatures": [{"signer": "0xab", "signature": "0x99"}],
            "is_final": false, "final_height": null, "created_height": 40,
            "sign_hash": "0x03", "sign_data": "0x04"
        });
        let t = text(&q, &v);
        assert!(t.contains("16..=31"), "{t}");
        assert!(t.contains("collecting signatures (1 so far)"), "{t}");
    }
}
