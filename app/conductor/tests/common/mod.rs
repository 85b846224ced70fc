//! Test harness: a small kvstore-like app served by delivery-abci over real sockets, a logging
//! proxy that records each connection's requests like the CometBFT trace recorder did, and
//! helpers to build a conductor around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::disallowed_types,
    clippy::disallowed_methods,
    dead_code,
    missing_docs
)]

use delivery_abci::types::*;
use delivery_abci::{AppResult, Application, Server, ServerHandle};
use delivery_conductor::{ConductorConfig, Genesis, ValidatorNode};
use ed25519_dalek::SigningKey;
use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// What the kv app keeps.
#[derive(Debug, Default, Clone)]
pub struct KvState {
    pub committed: BTreeMap<String, String>,
    pub pending: BTreeMap<String, String>,
    pub height: i64,
    pub app_hash: Vec<u8>,
    pub pending_hash: Vec<u8>,
    pub pending_updates: Vec<ValidatorUpdate>,
}

/// Every request the app saw, in order.
#[derive(Debug, Clone)]
pub enum Seen {
    Prepare(RequestPrepareProposal),
    Process(RequestProcessProposal),
    Extend(RequestExtendVote),
    Verify(RequestVerifyVoteExtension),
    Finalize(RequestFinalizeBlock),
    InitChain(RequestInitChain),
    CheckTx(RequestCheckTx),
}

/// A kvstore-like app: txs `key=value` (CheckTx rejects anything else), `val:<hex pubkey>:<power>`
/// returns a validator update, app hash = SHA-256 over the sorted pairs and the height.
#[derive(Debug, Default)]
pub struct KvApp {
    pub state: Mutex<KvState>,
    pub seen: Mutex<Vec<Seen>>,
    /// ProcessProposal answers Reject while set.
    pub reject_proposals: std::sync::atomic::AtomicBool,
    /// Extra byte mixed into the app hash (to make a node diverge).
    pub hash_salt: std::sync::atomic::AtomicU8,
}

fn hash_of(map: &BTreeMap<String, String>, height: i64, salt: u8) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in map {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    h.update(height.to_be_bytes());
    if salt != 0 {
        h.update([salt]);
    }
    h.finalize().to_vec()
}

impl KvApp {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn log(&self, s: Seen) {
        self.seen.lock().unwrap().push(s);
    }
    pub fn height(&self) -> i64 {
        self.state.lock().unwrap().height
    }
    pub fn get(&self, k: &str) -> Option<String> {
        self.state.lock().unwrap().committed.get(k).cloned()
    }
}

fn parse_tx(tx: &[u8]) -> Option<(String, String)> {
    let s = std::str::from_utf8(tx).ok()?;
    let (k, v) = s.split_once('=')?;
    if k.is_empty() {
        return None;
    }
    Some((k.to_owned(), v.to_owned()))
}

impl Application for KvApp {
    fn info(&self, _req: RequestInfo) -> AppResult<ResponseInfo> {
        let s = self.state.lock().unwrap();
        Ok(ResponseInfo {
            data: "{\"size\":0}".into(),
            version: "2.0.0".into(),
            app_version: 1,
            last_block_height: s.height,
            last_block_app_hash: s.app_hash.clone().into(),
        })
    }
    fn init_chain(&self, req: RequestInitChain) -> AppResult<ResponseInitChain> {
        self.log(Seen::InitChain(req));
        Ok(ResponseInitChain {
            app_hash: vec![0u8; 8].into(),
            ..Default::default()
        })
    }
    fn query(&self, req: RequestQuery) -> AppResult<ResponseQuery> {
        let s = self.state.lock().unwrap();
        let key = String::from_utf8_lossy(&req.data).to_string();
        match s.committed.get(&key) {
            Some(v) => Ok(ResponseQuery {
                log: "exists".into(),
                key: req.data.clone(),
                value: v.clone().into_bytes().into(),
                height: s.height,
                ..Default::default()
            }),
            None => Ok(ResponseQuery {
                log: "does not exist".into(),
                key: req.data.clone(),
                height: s.height,
                ..Default::default()
            }),
        }
    }
    fn check_tx(&self, req: RequestCheckTx) -> AppResult<ResponseCheckTx> {
        self.log(Seen::CheckTx(req.clone()));
        let ok = parse_tx(&req.tx).is_some() || req.tx.starts_with(b"val:");
        Ok(ResponseCheckTx {
            code: if ok { 0 } else { 1 },
            log: if ok {
                String::new()
            } else {
                "expected key=value".into()
            },
            gas_wanted: 1,
            ..Default::default()
        })
    }
    fn prepare_proposal(&self, req: RequestPrepareProposal) -> AppResult<ResponsePrepareProposal> {
        self.log(Seen::Prepare(req.clone()));
        Ok(ResponsePrepareProposal { txs: req.txs })
    }
    fn process_proposal(&self, req: RequestProcessProposal) -> AppResult<ResponseProcessProposal> {
        self.log(Seen::Process(req));
        let reject = self
            .reject_proposals
            .load(std::sync::atomic::Ordering::SeqCst);
        Ok(ResponseProcessProposal {
            status: if reject {
                response_process_proposal::ProposalStatus::Reject
            } else {
                response_process_proposal::ProposalStatus::Accept
            }
            .into(),
        })
    }
    fn extend_vote(&self, req: RequestExtendVote) -> AppResult<ResponseExtendVote> {
        let h = req.height;
        self.log(Seen::Extend(req));
        Ok(ResponseExtendVote {
            vote_extension: format!("ext-{h}").into_bytes().into(),
        })
    }
    fn verify_vote_extension(
        &self,
        req: RequestVerifyVoteExtension,
    ) -> AppResult<ResponseVerifyVoteExtension> {
        let ok = req.vote_extension.as_ref() == format!("ext-{}", req.height).as_bytes();
        self.log(Seen::Verify(req));
        Ok(ResponseVerifyVoteExtension {
            status: if ok {
                response_verify_vote_extension::VerifyStatus::Accept
            } else {
                response_verify_vote_extension::VerifyStatus::Reject
            }
            .into(),
        })
    }
    fn finalize_block(&self, req: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
        self.log(Seen::Finalize(req.clone()));
        let mut s = self.state.lock().unwrap();
        let mut pending = s.committed.clone();
        let mut results = Vec::new();
        let mut updates = Vec::new();
        for tx in &req.txs {
            let text = String::from_utf8_lossy(tx).to_string();
            if let Some(rest) = text.strip_prefix("val:") {
                let (pk, power) = rest.split_once(':').unwrap_or((rest, "0"));
                updates.push(ValidatorUpdate {
                    pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey {
                        sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(
                            hex::decode(pk).unwrap_or_default(),
                        )),
                    }),
                    power: power.parse().unwrap_or(0),
                });
                results.push(ExecTxResult::default());
                continue;
            }
            match parse_tx(tx) {
                Some((k, v)) => {
                    pending.insert(k.clone(), v.clone());
                    results.push(ExecTxResult {
                        code: 0,
                        events: vec![Event {
                            r#type: "app".into(),
                            attributes: vec![
                                EventAttribute {
                                    key: "key".into(),
                                    value: k,
                                    index: true,
                                },
                                EventAttribute {
                                    key: "value".into(),
                                    value: v,
                                    index: false,
                                },
                            ],
                        }],
                        ..Default::default()
                    });
                }
                None => results.push(ExecTxResult {
                    code: 1,
                    log: "bad tx".into(),
                    ..Default::default()
                }),
            }
        }
        let salt = self.hash_salt.load(std::sync::atomic::Ordering::SeqCst);
        let hash = hash_of(&pending, req.height, salt);
        s.pending = pending;
        s.pending_hash = hash.clone();
        s.pending_updates = updates.clone();
        Ok(ResponseFinalizeBlock {
            tx_results: results,
            validator_updates: updates,
            app_hash: hash.into(),
            ..Default::default()
        })
    }
    fn commit(&self, _req: RequestCommit) -> AppResult<ResponseCommit> {
        let mut s = self.state.lock().unwrap();
        s.committed = s.pending.clone();
        s.app_hash = s.pending_hash.clone();
        s.height += 1;
        Ok(ResponseCommit::default())
    }
}

/// One recorded request: connection number (in accept order, from 1) and kind.
pub type Record = (usize, &'static str);

/// A proxy in front of an app socket that logs, per accepted connection, each request kind
/// (flushes and echoes left out), as the trace recorder did.
pub struct Proxy {
    pub listen: PathBuf,
    pub log: Arc<Mutex<Vec<Record>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(listen: PathBuf, upstream: PathBuf) -> Proxy {
        let _ = std::fs::remove_file(&listen);
        let listener = UnixListener::bind(&listen).unwrap();
        let log: Arc<Mutex<Vec<Record>>> = Arc::default();
        let log2 = Arc::clone(&log);
        let task = tokio::spawn(async move {
            let mut conn_no = 0usize;
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    break;
                };
                conn_no += 1;
                let Ok(server) = UnixStream::connect(&upstream).await else {
                    continue;
                };
                let log = Arc::clone(&log2);
                let n = conn_no;
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let down = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                        let _ = cw.shutdown().await;
                    });
                    let mut buf: Vec<u8> = Vec::new();
                    let mut chunk = vec![0u8; 65536];
                    while let Ok(k) = cr.read(&mut chunk).await {
                        if k == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..k]);
                        // Log every complete frame before forwarding, so the log order is the
                        // order the app receives requests in.
                        loop {
                            let mut slice = buf.as_slice();
                            let Ok(len) = prost::encoding::decode_varint(&mut slice) else {
                                break;
                            };
                            let prefix = buf.len() - slice.len();
                            if slice.len() < len as usize {
                                break;
                            }
                            let frame = &slice[..len as usize];
                            if let Ok(req) = Request::decode(frame) {
                                if let Some(v) = req.value.as_ref() {
                                    let name = delivery_abci::kind::request_name(v);
                                    if name != "flush" && name != "echo" {
                                        log.lock().unwrap().push((n, name));
                                    }
                                }
                            }
                            buf.drain(..prefix + len as usize);
                        }
                        if sw.write_all(&chunk[..k]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                    let _ = down.await;
                });
            }
        });
        Proxy { listen, log, task }
    }

    pub fn records(&self) -> Vec<Record> {
        self.log.lock().unwrap().clone()
    }

    /// Kinds seen on connection `n` (1-based, accept order).
    pub fn conn(&self, n: usize) -> Vec<&'static str> {
        self.records()
            .into_iter()
            .filter(|(c, _)| *c == n)
            .map(|(_, k)| k)
            .collect()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// An app served on a unix socket.
pub struct AppServer {
    pub app: Arc<KvApp>,
    pub socket: PathBuf,
    handle: Option<ServerHandle>,
}

impl AppServer {
    pub async fn start(socket: PathBuf, app: Arc<KvApp>) -> AppServer {
        let server =
            Server::<KvApp>::bind(&format!("unix://{}", socket.display()), Arc::clone(&app))
                .await
                .unwrap();
        AppServer {
            app,
            socket,
            handle: Some(server.spawn()),
        }
    }

    /// Kill the app server (its connections close).
    pub async fn kill(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await.unwrap();
        }
    }
}

/// The trace's request kinds on one connection.
pub fn trace_conn(file: &str, conn: usize) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let _t = it.next()?;
            let c = it.next()?;
            let kind = it.next()?;
            (c == format!("conn{conn}")).then(|| kind.to_owned())
        })
        .collect()
}

/// Cut a consensus-connection sequence after the `n`-th commit.
pub fn through_commits(seq: &[String], n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut commits = 0;
    for k in seq {
        if commits == n {
            break;
        }
        out.push(k.clone());
        if k == "commit" {
            commits += 1;
        }
    }
    out
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn address(k: &SigningKey) -> [u8; 20] {
    delivery_conductor::key::address_of(k.verifying_key().as_bytes())
}

/// Keys sorted by address (so `keys[0]` is the first proposer among equal powers).
pub fn keys_by_address(n: usize) -> Vec<SigningKey> {
    let mut keys: Vec<SigningKey> = (1..=n as u8).map(key).collect();
    keys.sort_by_key(address);
    keys
}

/// A genesis for these keys and powers (vote extensions from `ext_height`).
pub fn genesis(chain_id: &str, keys: &[(SigningKey, i64)], ext_height: i64) -> Genesis {
    use base64::Engine as _;
    let vals: Vec<serde_json::Value> = keys
        .iter()
        .enumerate()
        .map(|(i, (k, p))| {
            serde_json::json!({
                "address": hex::encode_upper(address(k)),
                "pub_key": {"type": "tendermint/PubKeyEd25519", "value": base64::engine::general_purpose::STANDARD.encode(k.verifying_key().as_bytes())},
                "power": p.to_string(),
                "name": format!("node{i}"),
            })
        })
        .collect();
    let g = serde_json::json!({
        "genesis_time": "2026-11-20T23:58:15.529800497Z",
        "chain_id": chain_id,
        "initial_height": "0",
        "consensus_params": {
            "block": {"max_bytes": "22020096", "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"},
            "abci": {"vote_extensions_enable_height": ext_height.to_string()},
        },
        "validators": vals,
        "app_hash": "",
        "app_state": {"greeting": "hello"},
    });
    Genesis::from_json(&serde_json::to_string_pretty(&g).unwrap()).unwrap()
}

/// A config driving these sockets with these keys.
pub fn config(genesis: Genesis, nodes: &[(String, PathBuf, SigningKey)]) -> ConductorConfig {
    let mut c = ConductorConfig::new(
        genesis,
        nodes
            .iter()
            .map(|(name, sock, key)| ValidatorNode {
                name: name.clone(),
                abci_addr: format!("unix://{}", sock.display()),
                key: key.clone(),
            })
            .collect(),
    );
    c.block_interval = Duration::from_millis(30);
    c.connect_timeout = Duration::from_millis(500);
    c
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
