//! `deliveryd query clerk …`: the clerk module's `custom/clerk/<path>` queries (state-sync
//! event records).

use delivery_clerk::query::MAX_QUERY_RECORDS;
use serde::Deserialize;

use super::render::{self, show, table, view};
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// How many bytes of a record's data the text output shows.
const DATA_PREVIEW_BYTES: usize = 64;

/// `query clerk` subcommands. The params are `query params clerk`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ClerkQuery {
    /// An event record by its global id.
    Record {
        /// Global record id (BTTC's `stateId`), from 1.
        id: u64,
    },
    /// The latest global record id (0: none yet).
    LatestId,
    /// Records `from-id, from-id + 1, …`, stopping at the latest.
    Records {
        /// The first id.
        from_id: u64,
        /// How many at most (the module allows 1 to 100).
        #[arg(default_value_t = MAX_QUERY_RECORDS as u64)]
        count: u64,
    },
    /// The record of a root chain's StateSynced event, by the id the root chain gave it.
    ByRoot {
        /// Root chain name (`tron`, `eth`, …).
        root_chain: String,
        /// The StateSynced `id` on that root chain.
        root_id: u64,
    },
    /// A root chain's last recorded StateSynced id and the next one Delivery accepts.
    LastRoot {
        /// Root chain name.
        root_chain: String,
    },
}

/// Checks a root chain name before it goes into a path.
pub fn chain_name(name: &str) -> anyhow::Result<&str> {
    delivery_rootchain::check_chain_name(name).map_err(|_| {
        anyhow::anyhow!(
            "root chain {:?}: expected a chain name of 1-{} lowercase letters or digits \
             (`deliveryd query rootchain chains` lists them)",
            name.chars().take(32).collect::<String>(),
            delivery_rootchain::MAX_CHAIN_NAME
        )
    })?;
    Ok(name)
}

impl ClerkQuery {
    /// The `custom/clerk/…` path this command asks, its arguments checked.
    pub fn path(&self) -> anyhow::Result<String> {
        Ok(match self {
            ClerkQuery::Record { id } => format!("custom/clerk/record/{id}"),
            ClerkQuery::LatestId => "custom/clerk/latest-id".into(),
            // The count goes as given: the module checks it against its limit and says so.
            ClerkQuery::Records { from_id, count } => {
                format!("custom/clerk/records/{from_id}/{count}")
            }
            ClerkQuery::ByRoot {
                root_chain,
                root_id,
            } => format!("custom/clerk/by-root/{}/{root_id}", chain_name(root_chain)?),
            ClerkQuery::LastRoot { root_chain } => {
                format!("custom/clerk/last-root/{}", chain_name(root_chain)?)
            }
        })
    }
}

/// Runs a `query clerk` subcommand.
pub fn run(rpc: &RpcClient, format: OutputFormat, query: &ClerkQuery) -> anyhow::Result<()> {
    let path = query.path()?;
    let answer = render::fetch(rpc, &path, 0)?;
    show(format, &answer.value, |v| text(query, &path, v))
}

/// The text form of `query`'s answer `v`.
pub fn text(query: &ClerkQuery, path: &str, v: &serde_json::Value) -> anyhow::Result<String> {
    Ok(match query {
        ClerkQuery::Record { .. } | ClerkQuery::ByRoot { .. } => record_text(&view(path, v)?),
        ClerkQuery::LatestId => {
            let a: LatestIdView = view(path, v)?;
            output::fields(&[(
                "latest_id",
                if a.latest_id == 0 {
                    "0 (no records yet)".into()
                } else {
                    a.latest_id.to_string()
                },
            )])
        }
        ClerkQuery::Records { from_id, .. } => records_text(*from_id, &view(path, v)?),
        ClerkQuery::LastRoot { .. } => {
            let a: LastRootView = view(path, v)?;
            output::fields(&[
                ("root_chain", a.root_chain),
                ("last_root_id", a.last_root_id.to_string()),
                ("next_root_id", a.next_root_id.to_string()),
            ])
        }
    })
}

/// An event record.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordView {
    id: u64,
    root_chain: String,
    root_id: u64,
    contract: String,
    data: String,
    #[serde(default)]
    data_dropped: bool,
    tx_hash: String,
    log_index: u64,
    block_number: u64,
    record_time: i64,
    delivery_height: u64,
}

/// A `records` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordsView {
    records: Vec<RecordView>,
}

/// A `latest-id` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct LatestIdView {
    latest_id: u64,
}

/// A `last-root` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct LastRootView {
    root_chain: String,
    last_root_id: u64,
    next_root_id: u64,
}

fn data_bytes(r: &RecordView) -> usize {
    r.data.strip_prefix("0x").unwrap_or(&r.data).len() / 2
}

fn record_text(r: &RecordView) -> String {
    output::fields(&[
        ("id", r.id.to_string()),
        ("root_chain", r.root_chain.clone()),
        ("root_id", r.root_id.to_string()),
        ("contract", r.contract.clone()),
        (
            "data",
            if r.data_dropped {
                "(dropped: larger than max_data_bytes)".into()
            } else {
                render::hex_preview(&r.data, DATA_PREVIEW_BYTES)
            },
        ),
        ("tx_hash", r.tx_hash.clone()),
        ("block_number", r.block_number.to_string()),
        ("log_index", r.log_index.to_string()),
        ("record_time", render::unix_time(r.record_time)),
        ("delivery_height", r.delivery_height.to_string()),
    ])
}

fn records_text(from_id: u64, a: &RecordsView) -> String {
    if a.records.is_empty() {
        return format!("no records from id {from_id} on");
    }
    let rows: Vec<Vec<String>> = a
        .records
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.root_chain.clone(),
                r.root_id.to_string(),
                r.block_number.to_string(),
                r.log_index.to_string(),
                r.contract.clone(),
                if r.data_dropped {
                    "dropped".into()
                } else {
                    data_bytes(r).to_string()
                },
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "ROOT_CHAIN",
            "ROOT_ID",
            "BLOCK",
            "LOG",
            "CONTRACT",
            "DATA_BYTES",
        ],
        &rows,
    )
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use delivery_clerk::query::{LastRootAnswer, LatestIdAnswer, RecordsAnswer};
    use delivery_clerk::EventRecord;

    fn record(id: u64, data: Vec<u8>, dropped: bool) -> EventRecord {
        EventRecord {
            id,
            root_chain: "tron".into(),
            root_id: id + 10,
            contract: [0xcc; 20],
            data,
            data_dropped: dropped,
            tx_hash: [0xab; 32],
            log_index: 2,
            block_number: 900,
            record_time: 1_700_000_000,
            delivery_height: 55,
        }
    }

    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn a_record_reads_as_labelled_lines() {
        let q = ClerkQuery::Record { id: 1 };
        let text = text(&q, "p", &json(&record(1, vec![1, 2, 3], false))).unwrap();
        assert_eq!(
            text,
            format!(
                "id:               1\n\
                 root_chain:       tron\n\
                 root_id:          11\n\
                 contract:         0x{}\n\
                 data:             0x010203 (3 bytes)\n\
                 tx_hash:          0x{}\n\
                 block_number:     900\n\
                 log_index:        2\n\
                 record_time:      2023-11-14T22:13:20Z (1700000000)\n\
                 delivery_height:  55",
                hex::encode([0xcc; 20]),
                hex::encode([0xab; 32])
            )
        );
        let dropped = text_of_by_root(&record(2, vec![], true));
        assert!(
            dropped.contains("data:             (dropped: larger than max_data_bytes)"),
            "{dropped}"
        );
        let long = text_of_by_root(&record(3, vec![7; 300], false));
        assert!(
            long.contains("(300 bytes; --output json shows all)"),
            "{long}"
        );
    }

    fn text_of_by_root(r: &EventRecord) -> String {
        let q = ClerkQuery::ByRoot {
            root_chain: "tron".into(),
            root_id: r.root_id,
        };
        text(&q, "p", &json(r)).unwrap()
    }

    #[test]
    fn records_read_as_a_table() {
        let q = ClerkQuery::Records {
            from_id: 4,
            count: 2,
        };
        let a = RecordsAnswer {
            records: vec![record(4, vec![0; 36], false), record(5, vec![], true)],
        };
        let contract = format!("0x{}", hex::encode([0xcc; 20]));
        assert_eq!(
            text(&q, "p", &json(&a)).unwrap(),
            format!(
                "ID  ROOT_CHAIN  ROOT_ID  BLOCK  LOG  CONTRACT                                    DATA_BYTES\n\
                 4   tron        14       900    2    {contract}  36\n\
                 5   tron        15       900    2    {contract}  dropped"
            )
        );
        let none = RecordsAnswer { records: vec![] };
        assert_eq!(
            text(&q, "p", &json(&none)).unwrap(),
            "no records from id 4 on"
        );
    }

    #[test]
    fn ids_read_as_fields() {
        let latest = text(
            &ClerkQuery::LatestId,
            "p",
            &json(&LatestIdAnswer { latest_id: 0 }),
        )
        .unwrap();
        assert_eq!(latest, "latest_id:  0 (no records yet)");
        let q = ClerkQuery::LastRoot {
            root_chain: "eth".into(),
        };
        let a = LastRootAnswer {
            root_chain: "eth".into(),
            last_root_id: 7,
            next_root_id: 8,
        };
        assert_eq!(
            text(&q, "p", &json(&a)).unwrap(),
            "root_chain:    eth\nlast_root_id:  7\nnext_root_id:  8"
        );
    }

    #[test]
    fn paths_carry_checked_arguments() {
        let records = ClerkQuery::Records {
            from_id: 1,
            count: 500,
        };
        // Past the module's limit: the module answers the error (clerk/8), not the CLI.
        assert_eq!(records.path().unwrap(), "custom/clerk/records/1/500");
        assert_eq!(
            ClerkQuery::ByRoot {
                root_chain: "tron".into(),
                root_id: 9
            }
            .path()
            .unwrap(),
            "custom/clerk/by-root/tron/9"
        );
        for bad in ["TRON", "a/b", "", "averyveryverylongname"] {
            let err = ClerkQuery::LastRoot {
                root_chain: bad.into(),
            }
            .path()
            .unwrap_err()
            .to_string();
            assert!(err.contains("lowercase letters or digits"), "{bad}: {err}");
        }
    }
}
