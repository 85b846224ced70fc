//! A small client for CometBFT's JSON-RPC (the subset the CLI uses). It speaks to a real
//! CometBFT node or to the conductor alike.

use anyhow::{anyhow, bail, Context as _};
use base64::Engine as _;
use serde_json::{json, Value};

/// A JSON-RPC client for one node.
pub struct RpcClient {
    url: String,
    http: reqwest::blocking::Client,
}

/// The answer to an `abci_query`.
#[derive(Debug, Clone)]
pub struct QueryResponse {
    /// 0 on success.
    pub code: u32,
    /// Why it failed.
    pub log: String,
    /// The codespace of `code`.
    pub codespace: String,
    /// The value.
    pub value: Vec<u8>,
    /// The height answered.
    pub height: u64,
    /// Proof ops: `(type, key, data)`.
    pub proof_ops: Vec<(String, Vec<u8>, Vec<u8>)>,
}

fn b64(v: &Value) -> anyhow::Result<Vec<u8>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .with_context(|| format!("not base64: {s:?}")),
        other => bail!("expected a base64 string, got {other}"),
    }
}

/// Reads an int64 that CometBFT encodes as a string (or, leniently, a number).
pub fn int(v: &Value) -> anyhow::Result<u64> {
    match v {
        Value::String(s) => s.parse().with_context(|| format!("not an integer: {s:?}")),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| anyhow!("not an unsigned integer: {n}")),
        Value::Null => Ok(0),
        other => bail!("expected an integer, got {other}"),
    }
}

impl RpcClient {
    /// A client for `url` (e.g. `http://127.0.0.1:26657`).
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// Calls `method` and returns its `result`.
    pub fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .with_context(|| format!("cannot reach the node at {} (is it running?)", self.url))?;
        let status = response.status();
        let value: Value = response.json().with_context(|| {
            format!(
                "{method}: the node at {} answered {status} with no JSON",
                self.url
            )
        })?;
        if let Some(err) = value.get("error") {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            let data = err.get("data").and_then(Value::as_str).unwrap_or("");
            bail!("{method}: {message} {data}");
        }
        value
            .get("result")
            .cloned()
            .ok_or_else(|| anyhow!("{method}: response has no result"))
    }

    /// `abci_query`.
    pub fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> anyhow::Result<QueryResponse> {
        let result = self.call(
            "abci_query",
            json!({ "path": path, "data": hex::encode_upper(data), "height": height.to_string(), "prove": prove }),
        )?;
        let r = result
            .get("response")
            .ok_or_else(|| anyhow!("abci_query: no response"))?;
        let mut proof_ops = Vec::new();
        if let Some(ops) = r
            .get("proofOps")
            .and_then(|p| p.get("ops"))
            .and_then(Value::as_array)
        {
            for op in ops {
                proof_ops.push((
                    op.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    b64(op.get("key").unwrap_or(&Value::Null))?,
                    b64(op.get("data").unwrap_or(&Value::Null))?,
                ));
            }
        }
        Ok(QueryResponse {
            code: u32::try_from(int(r.get("code").unwrap_or(&Value::Null))?).unwrap_or(u32::MAX),
            log: r
                .get("log")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            codespace: r
                .get("codespace")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            value: b64(r.get("value").unwrap_or(&Value::Null))?,
            height: int(r.get("height").unwrap_or(&Value::Null))?,
            proof_ops,
        })
    }

    /// `abci_query` of a `custom/...` path that answers JSON; a non-zero code is an error.
    pub fn query_json(&self, path: &str, data: &[u8]) -> anyhow::Result<Value> {
        let r = self.abci_query(path, data, 0, false)?;
        if r.code != 0 {
            bail!(
                "query {path} failed ({}/{}): {}",
                r.codespace,
                r.code,
                r.log
            );
        }
        serde_json::from_slice(&r.value)
            .with_context(|| format!("query {path}: the answer is not JSON"))
    }

    /// `broadcast_tx_sync`: the CheckTx result and the tx hash.
    pub fn broadcast_tx_sync(&self, tx: &[u8]) -> anyhow::Result<Value> {
        self.call(
            "broadcast_tx_sync",
            json!({ "tx": base64::engine::general_purpose::STANDARD.encode(tx) }),
        )
    }

    /// `tx` by hash (32 bytes); `Ok(None)` if the node does not know it (yet).
    pub fn tx(&self, hash: &[u8]) -> anyhow::Result<Option<Value>> {
        match self.call("tx", json!({ "hash": base64::engine::general_purpose::STANDARD.encode(hash), "prove": false })) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `block` at a height (latest if `None`).
    pub fn block(&self, height: Option<u64>) -> anyhow::Result<Value> {
        match height {
            Some(h) => self.call("block", json!({ "height": h.to_string() })),
            None => self.call("block", json!({})),
        }
    }

    /// `status`.
    pub fn status(&self) -> anyhow::Result<Value> {
        self.call("status", json!({}))
    }

    /// The app hash in block `height`'s header (the state after `height - 1`).
    pub fn header_app_hash(&self, height: u64) -> anyhow::Result<Vec<u8>> {
        let block = self.block(Some(height))?;
        let hash = block
            .pointer("/block/header/app_hash")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("block {height} has no header app_hash"))?;
        hex::decode(hash).with_context(|| format!("app_hash {hash:?} is not hex"))
    }
}
