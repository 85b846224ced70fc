//! CometBFT v0.38's JSON-RPC (the subset our CLI and tests use), over HTTP POST (JSON-RPC 2.0)
//! and the GET URI form (`/status`, `/abci_query?path="/x"&data=0x01&height=5&prove=true`),
//! with CometBFT's JSON shapes: int64 as strings, hashes as uppercase hex, byte payloads as
//! base64, RFC 3339 times with nanoseconds.

use crate::engine::{self, Shared, ABCI_VERSION, COMETBFT_VERSION, P2P_PROTOCOL};
use crate::hashing::{self, BLOCK_PROTOCOL};
use crate::node::ConnKind;
use crate::store::StoredBlock;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    request, response, Event, ExecTxResult, RequestInfo, RequestQuery, ResponseCheckTx,
    ValidatorUpdate,
};
use tendermint_proto::v0_38::types::{BlockId, Commit, ConsensusParams, Header};

/// What the RPC handlers need.
#[derive(Debug, Clone)]
pub(crate) struct RpcContext {
    pub shared: Arc<Shared>,
    pub moniker: String,
    pub listen: SocketAddr,
    pub commit_timeout: Duration,
    /// The node this endpoint speaks for.
    pub node: usize,
}

impl RpcContext {
    /// The node that answers: this endpoint's node, or while it is down the first live one.
    fn serving_node(&self) -> usize {
        if self
            .shared
            .nodes
            .get(self.node)
            .is_some_and(|n| n.status().is_live())
        {
            self.node
        } else {
            self.shared.serving_node()
        }
    }
}

/// Serve until the task is aborted.
pub(crate) fn serve(
    listener: tokio::net::TcpListener,
    ctx: RpcContext,
) -> tokio::task::JoinHandle<()> {
    let shutdown = ctx.shared.shutdown.clone();
    let app = Router::new()
        .route("/", post(json_rpc))
        .route("/", get(index))
        .route("/{method}", get(uri_call))
        .with_state(ctx);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "conductor RPC server stopped");
        }
    })
}

/// A JSON-RPC error: code, message, data.
#[derive(Debug)]
pub(crate) struct RpcError {
    code: i64,
    message: &'static str,
    data: String,
}

impl RpcError {
    fn internal(data: impl Into<String>) -> Self {
        RpcError {
            code: -32603,
            message: "Internal error",
            data: data.into(),
        }
    }
    fn invalid_params(data: impl Into<String>) -> Self {
        RpcError {
            code: -32602,
            message: "Invalid params",
            data: format!("error converting http params to arguments: {}", data.into()),
        }
    }
    fn method_not_found(method: &str) -> Self {
        RpcError {
            code: -32601,
            message: "Method not found",
            data: format!("method {method:?} is not served by the conductor"),
        }
    }
    fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message, "data": self.data})
    }
}

/// A parameter as it arrived: JSON (POST) or the raw text of a URI query value (GET).
#[derive(Debug, Clone)]
enum Param {
    Json(Value),
    Uri(String),
}

/// Named parameters.
#[derive(Debug, Default)]
pub(crate) struct Params(BTreeMap<String, Param>);

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
}

fn decode_hex(name: &str, s: &str) -> Result<Vec<u8>, RpcError> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    hex::decode(s)
        .map_err(|e| RpcError::invalid_params(format!("{name}: expected hex, found {s:?}: {e}")))
}

fn decode_b64(name: &str, s: &str) -> Result<Vec<u8>, RpcError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| RpcError::invalid_params(format!("{name}: expected base64, found {s:?}: {e}")))
}

impl Params {
    fn from_json(method: &str, params: Option<Value>) -> Result<Self, RpcError> {
        let order: &[&str] = match method {
            "abci_query" => &["path", "data", "height", "prove"],
            "broadcast_tx_sync" | "broadcast_tx_async" | "broadcast_tx_commit" => &["tx"],
            "block" | "block_results" | "commit" => &["height"],
            "validators" => &["height", "page", "per_page"],
            "tx" => &["hash", "prove"],
            _ => &[],
        };
        let mut map = BTreeMap::new();
        match params {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) => {
                for (k, v) in o {
                    map.insert(k, Param::Json(v));
                }
            }
            Some(Value::Array(a)) => {
                for (k, v) in order.iter().zip(a) {
                    map.insert((*k).to_owned(), Param::Json(v));
                }
            }
            Some(other) => {
                return Err(RpcError::invalid_params(format!(
                    "params must be an object or array, found {other}"
                )))
            }
        }
        Ok(Params(map))
    }

    fn from_query(query: Option<&str>) -> Result<Self, RpcError> {
        let mut map = BTreeMap::new();
        if let Some(q) = query {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let k = percent_decode(k)?;
                let v = percent_decode(v)?;
                map.insert(k, Param::Uri(v));
            }
        }
        Ok(Params(map))
    }

    fn present(&self, name: &str) -> Option<&Param> {
        match self.0.get(name) {
            None | Some(Param::Json(Value::Null)) => None,
            Some(Param::Uri(s)) if s.is_empty() => None,
            Some(p) => Some(p),
        }
    }

    fn i64(&self, name: &str) -> Result<Option<i64>, RpcError> {
        let bad = |found: &dyn std::fmt::Display| {
            RpcError::invalid_params(format!("{name}: expected an integer, found {found}"))
        };
        match self.present(name) {
            None => Ok(None),
            Some(Param::Json(Value::Number(n))) => n.as_i64().map(Some).ok_or_else(|| bad(n)),
            Some(Param::Json(Value::String(s))) => {
                s.parse().map(Some).map_err(|_| bad(&format!("{s:?}")))
            }
            Some(Param::Json(v)) => Err(bad(v)),
            Some(Param::Uri(s)) => {
                let t = unquote(s).unwrap_or(s);
                t.parse().map(Some).map_err(|_| bad(&format!("{s:?}")))
            }
        }
    }

    fn bool(&self, name: &str) -> Result<bool, RpcError> {
        match self.present(name) {
            None => Ok(false),
            Some(Param::Json(Value::Bool(b))) => Ok(*b),
            Some(Param::Json(Value::String(s))) | Some(Param::Uri(s)) => {
                match unquote(s).unwrap_or(s) {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    other => Err(RpcError::invalid_params(format!(
                        "{name}: expected true or false, found {other:?}"
                    ))),
                }
            }
            Some(Param::Json(v)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a bool, found {v}"
            ))),
        }
    }

    fn string(&self, name: &str) -> Result<Option<String>, RpcError> {
        match self.present(name) {
            None => Ok(None),
            Some(Param::Json(Value::String(s))) => Ok(Some(s.clone())),
            Some(Param::Json(v)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a string, found {v}"
            ))),
            Some(Param::Uri(s)) => Ok(Some(unquote(s).unwrap_or(s).to_owned())),
        }
    }

    /// `[]byte` params (tx): base64 in JSON; `0x…` hex or a `"quoted"` string in the URI form.
    fn bytes_b64(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        match self.present(name) {
            None => Ok(None),
            Some(Param::Json(Value::String(s))) => decode_b64(name, s).map(Some),
            Some(Param::Json(v)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a base64 string, found {v}"
            ))),
            Some(Param::Uri(s)) => uri_bytes(name, s).map(Some),
        }
    }

    /// `HexBytes` params (abci_query data): hex in JSON; `0x…` or `"quoted"` in the URI form.
    fn bytes_hex(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        match self.present(name) {
            None => Ok(None),
            Some(Param::Json(Value::String(s))) => decode_hex(name, s).map(Some),
            Some(Param::Json(v)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a hex string, found {v}"
            ))),
            Some(Param::Uri(s)) => uri_bytes(name, s).map(Some),
        }
    }

    /// A tx hash: hex (with or without 0x) or base64 (what tendermint-rpc sends).
    fn hash(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        let s = match self.present(name) {
            None => return Ok(None),
            Some(Param::Json(Value::String(s))) => s.clone(),
            Some(Param::Json(v)) => {
                return Err(RpcError::invalid_params(format!(
                    "{name}: expected a string, found {v}"
                )))
            }
            Some(Param::Uri(s)) => unquote(s).unwrap_or(s).to_owned(),
        };
        let stripped = s.strip_prefix("0x").unwrap_or(&s);
        if stripped.len() == 64 {
            if let Ok(b) = hex::decode(stripped) {
                return Ok(Some(b));
            }
        }
        let b = decode_b64(name, &s)?;
        if b.len() != 32 {
            return Err(RpcError::invalid_params(format!(
                "{name}: expected a 32-byte hash, found {} bytes",
                b.len()
            )));
        }
        Ok(Some(b))
    }
}

fn uri_bytes(name: &str, s: &str) -> Result<Vec<u8>, RpcError> {
    if let Some(q) = unquote(s) {
        return Ok(q.as_bytes().to_vec());
    }
    decode_hex(name, s)
}

fn percent_decode(s: &str) -> Result<String, RpcError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hexpair = bytes
                    .get(i.saturating_add(1)..i.saturating_add(3))
                    .ok_or_else(|| {
                        RpcError::invalid_params(format!("bad percent-encoding in {s:?}"))
                    })?;
                let v = hex::decode(hexpair).map_err(|_| {
                    RpcError::invalid_params(format!("bad percent-encoding in {s:?}"))
                })?;
                out.extend(v);
                i = i.saturating_add(3);
            }
            b'+' => {
                out.push(b' ');
                i = i.saturating_add(1);
            }
            other => {
                out.push(other);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| RpcError::invalid_params(format!("query value {s:?} is not UTF-8")))
}

async fn index() -> impl IntoResponse {
    let methods = [
        "abci_info",
        "abci_query",
        "block",
        "block_results",
        "broadcast_tx_async",
        "broadcast_tx_commit",
        "broadcast_tx_sync",
        "commit",
        "genesis",
        "health",
        "status",
        "tx",
        "validators",
    ];
    let links: String = methods
        .iter()
        .map(|m| format!("<a href=\"/{m}\">/{m}</a><br>"))
        .collect();
    axum::response::Html(format!("<html><body><br>Available endpoints (conductor, CometBFT v0.38 subset):<br>{links}</body></html>"))
}

async fn json_rpc(State(ctx): State<RpcContext>, body: axum::body::Bytes) -> Response {
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let err = json!({"code": -32700, "message": "Parse error", "data": format!("error unmarshaling request: {e}")});
            return Json(json!({"jsonrpc": "2.0", "id": -1, "error": err})).into_response();
        }
    };
    match req {
        Value::Array(batch) => {
            let mut out = Vec::new();
            for r in batch {
                out.push(one_call(&ctx, r).await);
            }
            Json(Value::Array(out)).into_response()
        }
        single => Json(one_call(&ctx, single).await).into_response(),
    }
}

async fn one_call(ctx: &RpcContext, req: Value) -> Value {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = req.get("method").and_then(Value::as_str) else {
        let err = json!({"code": -32600, "message": "Invalid Request", "data": "no method"});
        return json!({"jsonrpc": "2.0", "id": id, "error": err});
    };
    let result = match Params::from_json(method, req.get("params").cloned()) {
        Ok(p) => dispatch(ctx, method, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.to_json()}),
    }
}

async fn uri_call(
    State(ctx): State<RpcContext>,
    Path(method): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let result = match Params::from_query(q.as_deref()) {
        Ok(p) => dispatch(&ctx, &method, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Json(json!({"jsonrpc": "2.0", "id": -1, "result": r})).into_response(),
        Err(e) => {
            let status = if e.code == -32601 {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            (
                status,
                Json(json!({"jsonrpc": "2.0", "id": -1, "error": e.to_json()})),
            )
                .into_response()
        }
    }
}

pub(crate) async fn dispatch(
    ctx: &RpcContext,
    method: &str,
    p: &Params,
) -> Result<Value, RpcError> {
    match method {
        "health" => Ok(json!({})),
        "status" => Ok(status(ctx)),
        "genesis" => {
            let g: Value = serde_json::from_str(&ctx.shared.genesis.raw)
                .map_err(|e| RpcError::internal(e.to_string()))?;
            Ok(json!({"genesis": g}))
        }
        "abci_info" => abci_info(ctx).await,
        "abci_query" => abci_query(ctx, p).await,
        "broadcast_tx_sync" => broadcast_sync(ctx, p).await,
        "broadcast_tx_async" => broadcast_async(ctx, p),
        "broadcast_tx_commit" => broadcast_commit(ctx, p).await,
        "block" => {
            let b = block_at(ctx, p.i64("height")?)?;
            Ok(json!({"block_id": block_id_json(&b.block_id), "block": block_json(&b)}))
        }
        "block_results" => {
            let b = block_at(ctx, p.i64("height")?)?;
            Ok(block_results_json(&b))
        }
        "commit" => commit(ctx, p.i64("height")?),
        "validators" => validators(ctx, p),
        "tx" => tx(ctx, p),
        other => Err(RpcError::method_not_found(other)),
    }
}

// ---------- JSON shapes ----------

fn hex_up(b: &[u8]) -> String {
    hex::encode_upper(b)
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `[]byte` fields of ABCI results: base64, `null` when empty (Go's nil slice).
fn b64_or_null(b: &[u8]) -> Value {
    if b.is_empty() {
        Value::Null
    } else {
        Value::String(b64(b))
    }
}

/// RFC 3339 with nanoseconds, trailing zeros trimmed (Go's `RFC3339Nano`).
pub(crate) fn time_json(t: &Timestamp) -> String {
    match tendermint::Time::try_from(*t) {
        Ok(t) => t.to_rfc3339(),
        Err(_) => "0001-01-01T00:00:00Z".into(),
    }
}

fn block_id_json(id: &BlockId) -> Value {
    let psh = id.part_set_header.clone().unwrap_or_default();
    json!({"hash": hex_up(&id.hash), "parts": {"total": psh.total, "hash": hex_up(&psh.hash)}})
}

fn header_json(h: &Header) -> Value {
    let v = h.version.unwrap_or_default();
    json!({
        "version": {"block": v.block.to_string(), "app": v.app.to_string()},
        "chain_id": h.chain_id,
        "height": h.height.to_string(),
        "time": time_json(&h.time.unwrap_or_default()),
        "last_block_id": block_id_json(&h.last_block_id.clone().unwrap_or_default()),
        "last_commit_hash": hex_up(&h.last_commit_hash),
        "data_hash": hex_up(&h.data_hash),
        "validators_hash": hex_up(&h.validators_hash),
        "next_validators_hash": hex_up(&h.next_validators_hash),
        "consensus_hash": hex_up(&h.consensus_hash),
        "app_hash": hex_up(&h.app_hash),
        "last_results_hash": hex_up(&h.last_results_hash),
        "evidence_hash": hex_up(&h.evidence_hash),
        "proposer_address": hex_up(&h.proposer_address),
    })
}

fn commit_json(c: &Commit) -> Value {
    let sigs: Vec<Value> = c
        .signatures
        .iter()
        .map(|s| {
            json!({
                "block_id_flag": s.block_id_flag,
                "validator_address": hex_up(&s.validator_address),
                "timestamp": time_json(&s.timestamp.unwrap_or(hashing::ZERO_TIME)),
                "signature": b64_or_null(&s.signature),
            })
        })
        .collect();
    json!({
        "height": c.height.to_string(),
        "round": c.round,
        "block_id": block_id_json(&c.block_id.clone().unwrap_or_default()),
        "signatures": sigs,
    })
}

fn block_json(b: &StoredBlock) -> Value {
    let header = b.block.header.clone().unwrap_or_default();
    let txs: Vec<String> = b.txs().iter().map(|t| b64(t)).collect();
    json!({
        "header": header_json(&header),
        "data": {"txs": txs},
        "evidence": {"evidence": []},
        "last_commit": commit_json(&b.block.last_commit.clone().unwrap_or_default()),
    })
}

fn events_json(events: &[Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                let attrs: Vec<Value> = e
                    .attributes
                    .iter()
                    .map(|a| json!({"key": a.key, "value": a.value, "index": a.index}))
                    .collect();
                json!({"type": e.r#type, "attributes": attrs})
            })
            .collect(),
    )
}

fn exec_tx_json(r: &ExecTxResult) -> Value {
    json!({
        "code": r.code,
        "data": b64_or_null(&r.data),
        "log": r.log,
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": events_json(&r.events),
        "codespace": r.codespace,
    })
}

fn check_tx_json(r: &ResponseCheckTx) -> Value {
    json!({
        "code": r.code,
        "data": b64_or_null(&r.data),
        "log": r.log,
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": events_json(&r.events),
        "codespace": r.codespace,
    })
}

fn validator_update_json(u: &ValidatorUpdate) -> Value {
    use tendermint_proto::v0_38::crypto::public_key::Sum;
    let key = match u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
        Some(Sum::Ed25519(k)) => {
            json!({"Sum": {"type": "tendermint.crypto.PublicKey_Ed25519", "value": {"ed25519": b64(k)}}})
        }
        Some(Sum::Secp256k1(k)) => {
            json!({"Sum": {"type": "tendermint.crypto.PublicKey_Secp256K1", "value": {"secp256k1": b64(k)}}})
        }
        None => Value::Null,
    };
    json!({"pub_key": key, "power": u.power.to_string()})
}

fn params_json(p: &ConsensusParams) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(b) = &p.block {
        out.insert(
            "block".into(),
            json!({"max_bytes": b.max_bytes.to_string(), "max_gas": b.max_gas.to_string()}),
        );
    }
    if let Some(e) = &p.evidence {
        let d = e.max_age_duration.unwrap_or_default();
        let ns = i128::from(d.seconds)
            .saturating_mul(1_000_000_000)
            .saturating_add(i128::from(d.nanos));
        out.insert(
            "evidence".into(),
            json!({"max_age_num_blocks": e.max_age_num_blocks.to_string(), "max_age_duration": ns.to_string(), "max_bytes": e.max_bytes.to_string()}),
        );
    }
    if let Some(v) = &p.validator {
        out.insert(
            "validator".into(),
            json!({"pub_key_types": v.pub_key_types}),
        );
    }
    if let Some(v) = &p.version {
        out.insert("version".into(), json!({"app": v.app.to_string()}));
    }
    if let Some(a) = &p.abci {
        out.insert(
            "abci".into(),
            json!({"vote_extensions_enable_height": a.vote_extensions_enable_height.to_string()}),
        );
    }
    Value::Object(out)
}

fn null_if_empty(v: Vec<Value>) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        Value::Array(v)
    }
}

fn block_results_json(b: &StoredBlock) -> Value {
    let r = &b.finalize_response;
    json!({
        "height": b.height().to_string(),
        "txs_results": null_if_empty(r.tx_results.iter().map(exec_tx_json).collect()),
        "finalize_block_events": null_if_empty(match events_json(&r.events) { Value::Array(a) => a, _ => Vec::new() }),
        "validator_updates": null_if_empty(r.validator_updates.iter().map(validator_update_json).collect()),
        "consensus_param_updates": r.consensus_param_updates.as_ref().map(params_json).unwrap_or(Value::Null),
        "app_hash": b64(&r.app_hash),
    })
}

fn pub_key_json(k: &[u8]) -> Value {
    json!({"type": "tendermint/PubKeyEd25519", "value": b64(k)})
}

// ---------- handlers ----------

fn block_at(ctx: &RpcContext, height: Option<i64>) -> Result<StoredBlock, RpcError> {
    let store = ctx.shared.store();
    let latest = store.height();
    let base = store.earliest().map(|b| b.height()).unwrap_or(0);
    let h = match height {
        None => latest,
        Some(h) if h <= 0 => {
            return Err(RpcError::internal(format!(
                "height must be greater than 0, but got {h}"
            )))
        }
        Some(h) => h,
    };
    if h > latest {
        return Err(RpcError::internal(format!(
            "height {h} must be less than or equal to the current blockchain height {latest}"
        )));
    }
    if h < base {
        return Err(RpcError::internal(format!(
            "height {h} is not available, lowest height is {base}"
        )));
    }
    store
        .block(h)
        .cloned()
        .ok_or_else(|| RpcError::internal(format!("block at height {h} not found")))
}

fn status(ctx: &RpcContext) -> Value {
    let shared = &ctx.shared;
    let store = shared.store();
    let node = shared.nodes.get(ctx.node);
    let (pubkey, address) = match node {
        Some(n) => (
            n.key.verifying_key().to_bytes().to_vec(),
            n.address.to_vec(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let state = store.state();
    let power = state
        .and_then(|s| s.validators.get(&address))
        .map(|v| v.power)
        .unwrap_or(0);
    let app_version = state.map(|s| s.app_version).unwrap_or(0);
    let meta = |b: Option<&StoredBlock>| -> (String, String, String, String) {
        match b {
            Some(b) => {
                let h = b.block.header.clone().unwrap_or_default();
                (
                    hex_up(b.hash()),
                    hex_up(&h.app_hash),
                    b.height().to_string(),
                    time_json(&h.time.unwrap_or_default()),
                )
            }
            None => (
                String::new(),
                String::new(),
                "0".into(),
                "1970-01-01T00:00:00Z".into(),
            ),
        }
    };
    let (lh, la, lht, lt) = meta(store.latest());
    let (eh, ea, eht, et) = meta(store.earliest());
    json!({
        "node_info": {
            "protocol_version": {"p2p": P2P_PROTOCOL.to_string(), "block": BLOCK_PROTOCOL.to_string(), "app": app_version.to_string()},
            "id": hex::encode(&address),
            "listen_addr": "tcp://127.0.0.1:26656",
            "network": shared.chain_id,
            "version": COMETBFT_VERSION,
            "channels": "40202122233038606100",
            "moniker": ctx.moniker,
            "other": {"tx_index": "on", "rpc_address": format!("tcp://{}", ctx.listen)},
        },
        "sync_info": {
            "latest_block_hash": lh,
            "latest_app_hash": la,
            "latest_block_height": lht,
            "latest_block_time": lt,
            "earliest_block_hash": eh,
            "earliest_app_hash": ea,
            "earliest_block_height": eht,
            "earliest_block_time": et,
            "catching_up": false,
        },
        "validator_info": {
            "address": hex_up(&address),
            "pub_key": pub_key_json(&pubkey),
            "voting_power": power.to_string(),
        },
    })
}

async fn rpc_node_call(
    ctx: &RpcContext,
    conn: ConnKind,
    req: request::Value,
) -> Result<response::Value, RpcError> {
    let idx = ctx.serving_node();
    let node = ctx
        .shared
        .nodes
        .get(idx)
        .cloned()
        .ok_or_else(|| RpcError::internal("no RPC node"))?;
    match node.call(conn, req).await {
        Ok(r) => Ok(r),
        Err(e) => {
            ctx.shared.node_failed(idx, &e).await;
            Err(RpcError::internal(e.to_string()))
        }
    }
}

async fn abci_info(ctx: &RpcContext) -> Result<Value, RpcError> {
    let req = RequestInfo {
        version: COMETBFT_VERSION.into(),
        block_version: BLOCK_PROTOCOL,
        p2p_version: P2P_PROTOCOL,
        abci_version: ABCI_VERSION.into(),
    };
    match rpc_node_call(ctx, ConnKind::Query, request::Value::Info(req)).await? {
        response::Value::Info(i) => Ok(json!({"response": {
            "data": i.data,
            "version": i.version,
            "app_version": i.app_version.to_string(),
            "last_block_height": i.last_block_height.to_string(),
            "last_block_app_hash": b64(&i.last_block_app_hash),
        }})),
        _ => Err(RpcError::internal("unexpected ABCI response to Info")),
    }
}

async fn abci_query(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let req = RequestQuery {
        data: p.bytes_hex("data")?.unwrap_or_default().into(),
        path: p.string("path")?.unwrap_or_default(),
        height: p.i64("height")?.unwrap_or(0),
        prove: p.bool("prove")?,
    };
    match rpc_node_call(ctx, ConnKind::Query, request::Value::Query(req)).await? {
        response::Value::Query(q) => {
            let proof = q.proof_ops.as_ref().map(|ops| {
                json!({"ops": ops.ops.iter().map(|o| json!({"type": o.r#type, "key": b64(&o.key), "data": b64(&o.data)})).collect::<Vec<_>>()})
            });
            Ok(json!({"response": {
                "code": q.code,
                "log": q.log,
                "info": q.info,
                "index": q.index.to_string(),
                "key": b64_or_null(&q.key),
                "value": b64_or_null(&q.value),
                "proofOps": proof.unwrap_or(Value::Null),
                "height": q.height.to_string(),
                "codespace": q.codespace,
            }}))
        }
        _ => Err(RpcError::internal("unexpected ABCI response to Query")),
    }
}

fn tx_param(p: &Params) -> Result<Vec<u8>, RpcError> {
    p.bytes_b64("tx")?
        .ok_or_else(|| RpcError::invalid_params("missing tx"))
}

async fn broadcast_sync(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let tx = tx_param(p)?;
    let hash = hashing::tx_hash(&tx);
    let r = engine::broadcast_tx(&ctx.shared, ctx.serving_node(), tx)
        .await
        .map_err(|e| RpcError::internal(e.to_string()))?;
    Ok(
        json!({"code": r.code, "data": hex_up(&r.data), "log": r.log, "codespace": r.codespace, "hash": hex_up(&hash)}),
    )
}

fn broadcast_async(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let tx = tx_param(p)?;
    let hash = hashing::tx_hash(&tx);
    let shared = Arc::clone(&ctx.shared);
    let idx = ctx.serving_node();
    tokio::spawn(async move {
        if let Err(e) = engine::broadcast_tx(&shared, idx, tx).await {
            tracing::debug!(error = %e, "broadcast_tx_async: tx not added");
        }
    });
    Ok(json!({"code": 0, "data": "", "log": "", "codespace": "", "hash": hex_up(&hash)}))
}

async fn broadcast_commit(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let tx = tx_param(p)?;
    let hash = hashing::tx_hash(&tx);
    let mut committed = ctx.shared.committed.subscribe();
    let check = engine::broadcast_tx(&ctx.shared, ctx.serving_node(), tx)
        .await
        .map_err(|e| RpcError::internal(e.to_string()))?;
    if check.code != 0 {
        return Ok(json!({
            "check_tx": check_tx_json(&check),
            "tx_result": exec_tx_json(&ExecTxResult::default()),
            "hash": hex_up(&hash),
            "height": "0",
        }));
    }
    let wait = async {
        loop {
            if let Some((height, index)) = ctx.shared.store().tx_location(&hash) {
                return Some((height, index));
            }
            match committed.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    };
    match tokio::time::timeout(ctx.commit_timeout, wait).await {
        Ok(Some((height, index))) => {
            let result = ctx
                .shared
                .store()
                .block(height)
                .and_then(|b| {
                    b.finalize_response
                        .tx_results
                        .get(usize::try_from(index).unwrap_or(usize::MAX))
                        .cloned()
                })
                .unwrap_or_default();
            Ok(json!({
                "check_tx": check_tx_json(&check),
                "tx_result": exec_tx_json(&result),
                "hash": hex_up(&hash),
                "height": height.to_string(),
            }))
        }
        Ok(None) => Err(RpcError::internal("conductor shut down")),
        Err(_) => Err(RpcError::internal(
            "timed out waiting for tx to be included in a block",
        )),
    }
}

fn commit(ctx: &RpcContext, height: Option<i64>) -> Result<Value, RpcError> {
    let b = block_at(ctx, height)?;
    let c = engine::commit_for(&ctx.shared, &b);
    let canonical = b.canonical_commit.is_some();
    Ok(json!({
        "signed_header": {"header": header_json(&b.block.header.clone().unwrap_or_default()), "commit": commit_json(&c)},
        "canonical": canonical,
    }))
}

fn validators(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let store = ctx.shared.store();
    let latest = store.height();
    let h = p.i64("height")?.unwrap_or(latest.saturating_add(1));
    let set = if h == latest.saturating_add(1) {
        store.state().map(|s| s.validators.clone())
    } else if h > latest {
        return Err(RpcError::internal(format!(
            "height {h} must be less than or equal to the current blockchain height {}",
            latest.saturating_add(1)
        )));
    } else {
        store.block(h).map(|b| b.validators.clone())
    };
    let set = set.ok_or_else(|| {
        RpcError::internal(format!("could not find validator set for height {h}"))
    })?;
    let per_page = p.i64("per_page")?.unwrap_or(30).clamp(1, 100);
    let page = p.i64("page")?.unwrap_or(1);
    let total = i64::try_from(set.len()).unwrap_or(i64::MAX);
    let pages = (total.saturating_sub(1).checked_div(per_page).unwrap_or(0))
        .saturating_add(1)
        .max(1);
    if page < 1 || page > pages {
        return Err(RpcError::internal(format!(
            "page should be within [1, {pages}] range, given {page}"
        )));
    }
    let skip =
        usize::try_from(page.saturating_sub(1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(100);
    let vals: Vec<Value> = set
        .validators()
        .iter()
        .skip(skip)
        .take(take)
        .map(|v| {
            json!({
                "address": hex_up(&v.address),
                "pub_key": pub_key_json(&v.pub_key),
                "voting_power": v.power.to_string(),
                "proposer_priority": v.proposer_priority.to_string(),
            })
        })
        .collect();
    Ok(
        json!({"block_height": h.to_string(), "validators": vals.clone(), "count": vals.len().to_string(), "total": total.to_string()}),
    )
}

fn tx(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let hash = p
        .hash("hash")?
        .ok_or_else(|| RpcError::invalid_params("missing hash"))?;
    let store = ctx.shared.store();
    let (height, index) = store
        .tx_location(&hash)
        .ok_or_else(|| RpcError::internal(format!("tx ({}) not found", hex_up(&hash))))?;
    let b = store
        .block(height)
        .ok_or_else(|| RpcError::internal(format!("block {height} not found")))?;
    let i = usize::try_from(index).unwrap_or(usize::MAX);
    let txb = b.txs().get(i).cloned().unwrap_or_default();
    let result = b
        .finalize_response
        .tx_results
        .get(i)
        .cloned()
        .unwrap_or_default();
    Ok(json!({
        "hash": hex_up(&hash),
        "height": height.to_string(),
        "index": index,
        "tx_result": exec_tx_json(&result),
        "tx": b64(&txb),
    }))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn uri_params_decode_like_cometbft() {
        let p = Params::from_query(Some(
            "path=%22/store%22&data=0x616263&height=5&prove=true&tx=%22a=1%22",
        ))
        .unwrap();
        assert_eq!(p.string("path").unwrap().unwrap(), "/store");
        assert_eq!(p.bytes_hex("data").unwrap().unwrap(), b"abc");
        assert_eq!(p.i64("height").unwrap(), Some(5));
        assert!(p.bool("prove").unwrap());
        assert_eq!(p.bytes_b64("tx").unwrap().unwrap(), b"a=1");
        assert!(Params::from_query(Some("height=abc"))
            .unwrap()
            .i64("height")
            .is_err());
    }

    #[test]
    fn json_params_positional_and_named() {
        let p = Params::from_json("abci_query", Some(json!(["/p", "6869", "3", false]))).unwrap();
        assert_eq!(p.bytes_hex("data").unwrap().unwrap(), b"hi");
        assert_eq!(p.i64("height").unwrap(), Some(3));
        let p = Params::from_json("broadcast_tx_sync", Some(json!({"tx": "YT0x"}))).unwrap();
        assert_eq!(p.bytes_b64("tx").unwrap().unwrap(), b"a=1");
        let h = "AB".repeat(32);
        let p = Params::from_json("tx", Some(json!({"hash": h}))).unwrap();
        assert_eq!(p.hash("hash").unwrap().unwrap(), vec![0xAB; 32]);
        let p = Params::from_json("tx", Some(json!({"hash": b64(&[7u8; 32])}))).unwrap();
        assert_eq!(p.hash("hash").unwrap().unwrap(), vec![7; 32]);
    }

    #[test]
    fn times_are_rfc3339_nano() {
        assert_eq!(
            time_json(&Timestamp {
                seconds: 1_795_219_068,
                nanos: 157_657_755
            }),
            "2026-11-20T23:57:48.157657755Z"
        );
        assert_eq!(time_json(&hashing::ZERO_TIME), "0001-01-01T00:00:00Z");
    }
}
