//! Shared test helpers: the recorded CometBFT traces and a kvstore-like app.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    dead_code
)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use bytes::Bytes;
use delivery_abci::types::*;
use delivery_abci::{AppError, AppResult, Application};

/// Direction of one recorded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// CometBFT → app.
    Req,
    /// App → CometBFT.
    Res,
}

/// One line of a `*.jsonl` trace.
#[derive(Debug, Clone)]
pub struct TraceLine {
    /// Line number (1-based), for messages.
    pub line: usize,
    /// Connection number in CometBFT's opening order (1 query, 2 snapshot, 3 mempool, 4 consensus).
    pub conn: usize,
    /// Direction.
    pub dir: Dir,
    /// The protobuf bytes, without the length prefix.
    pub bytes: Vec<u8>,
}

/// The trace files copied from a real CometBFT v0.38.25 run (see tests/data/README.md).
pub const TRACES: [&str; 3] = [
    "single-validator.jsonl",
    "two-validators-node0.jsonl",
    "handshake-replay.jsonl",
];

/// Loads `tests/data/<name>`.
pub fn load_trace(name: &str) -> Vec<TraceLine> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            TraceLine {
                line: i + 1,
                conn: usize::try_from(v["conn"].as_u64().unwrap()).unwrap(),
                dir: match v["dir"].as_str().unwrap() {
                    "req" => Dir::Req,
                    "res" => Dir::Res,
                    other => panic!("{name}:{}: bad dir {other}", i + 1),
                },
                bytes: hex::decode(v["hex"].as_str().unwrap()).unwrap(),
            }
        })
        .collect()
}

#[derive(Default)]
struct KvState {
    committed: BTreeMap<Vec<u8>, Vec<u8>>,
    staged: Vec<(Vec<u8>, Vec<u8>)>,
    height: i64,
    pending_height: i64,
}

/// An in-memory key/value app that answers like CometBFT's example kvstore (`key=value` txs).
#[derive(Default)]
pub struct KvStore {
    state: Mutex<KvState>,
}

fn parse_tx(tx: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let text = std::str::from_utf8(tx).ok()?;
    let (k, v) = text.split_once('=')?;
    if k.is_empty() || v.is_empty() || v.contains('=') {
        return None;
    }
    Some((k.as_bytes().to_vec(), v.as_bytes().to_vec()))
}

fn app_hash(size: usize) -> Bytes {
    Bytes::copy_from_slice(&(size as u64).to_be_bytes())
}

impl Application for KvStore {
    fn info(&self, _req: RequestInfo) -> AppResult<ResponseInfo> {
        let st = self.state.lock().map_err(|_| AppError::new("poisoned"))?;
        Ok(ResponseInfo {
            data: format!("{{\"size\":{}}}", st.committed.len()),
            version: "2.0.0".into(),
            app_version: 1,
            last_block_height: st.height,
            last_block_app_hash: app_hash(st.committed.len()),
        })
    }

    fn init_chain(&self, _req: RequestInitChain) -> AppResult<ResponseInitChain> {
        Ok(ResponseInitChain {
            app_hash: app_hash(0),
            ..Default::default()
        })
    }

    fn query(&self, req: RequestQuery) -> AppResult<ResponseQuery> {
        let st = self.state.lock().map_err(|_| AppError::new("poisoned"))?;
        let value = st.committed.get(req.data.as_ref()).cloned();
        Ok(ResponseQuery {
            log: if value.is_some() {
                "exists"
            } else {
                "does not exist"
            }
            .into(),
            key: req.data,
            value: value.map_or_else(Bytes::new, Bytes::from),
            height: st.height,
            ..Default::default()
        })
    }

    fn check_tx(&self, req: RequestCheckTx) -> AppResult<ResponseCheckTx> {
        Ok(match parse_tx(&req.tx) {
            Some(_) => ResponseCheckTx {
                gas_wanted: 1,
                ..Default::default()
            },
            None => ResponseCheckTx {
                code: 1,
                log: "expected key=value".into(),
                ..Default::default()
            },
        })
    }

    fn process_proposal(&self, req: RequestProcessProposal) -> AppResult<ResponseProcessProposal> {
        let ok = req.txs.iter().all(|tx| parse_tx(tx).is_some());
        let status = if ok {
            response_process_proposal::ProposalStatus::Accept
        } else {
            response_process_proposal::ProposalStatus::Reject
        };
        Ok(ResponseProcessProposal {
            status: status.into(),
        })
    }

    fn finalize_block(&self, req: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
        let mut st = self.state.lock().map_err(|_| AppError::new("poisoned"))?;
        st.staged.clear();
        let mut tx_results = Vec::new();
        for tx in &req.txs {
            match parse_tx(tx) {
                Some(kv) => {
                    st.staged.push(kv);
                    tx_results.push(ExecTxResult::default());
                }
                None => tx_results.push(ExecTxResult {
                    code: 1,
                    ..Default::default()
                }),
            }
        }
        st.pending_height = req.height;
        let mut size = st.committed.len();
        for (k, _) in &st.staged {
            if !st.committed.contains_key(k) {
                size += 1;
            }
        }
        Ok(ResponseFinalizeBlock {
            tx_results,
            app_hash: app_hash(size),
            ..Default::default()
        })
    }

    fn commit(&self, _req: RequestCommit) -> AppResult<ResponseCommit> {
        let mut st = self.state.lock().map_err(|_| AppError::new("poisoned"))?;
        let staged = std::mem::take(&mut st.staged);
        st.committed.extend(staged);
        st.height = st.pending_height;
        Ok(ResponseCommit::default())
    }
}
