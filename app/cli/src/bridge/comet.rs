//! [`CometRpc`]: CometBFT's `broadcast_tx_sync` and `status` over its JSON-RPC (async).

use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::bridge::relay::{Broadcast, CheckTxOutcome};

/// A CometBFT RPC endpoint (`http://127.0.0.1:26657`).
#[derive(Debug, Clone)]
pub struct CometRpc {
    url: String,
    http: reqwest::Client,
}

impl CometRpc {
    /// A client for `url`, each call limited to `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "CometBFT RPC URL {url:?}: expected http:// or https://"
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            http,
        })
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("{method}: cannot reach CometBFT at {}: {e}", self.url))?;
        let status = response.status();
        let value: Value = response
            .json()
            .await
            .map_err(|e| format!("{method}: CometBFT answered {status} without JSON: {e}"))?;
        if let Some(err) = value.get("error") {
            return Err(format!("{method}: CometBFT error {err}"));
        }
        value
            .get("result")
            .cloned()
            .ok_or_else(|| format!("{method}: the answer has no result"))
    }
}

/// Reads `(latest_block_height, latest_block_time as Unix seconds)` of a `status` result.
pub fn parse_status(result: &Value) -> Result<(u64, i64), String> {
    let sync = result
        .get("sync_info")
        .ok_or_else(|| "status has no sync_info".to_string())?;
    let height = sync
        .get("latest_block_height")
        .and_then(|h| match h {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .ok_or_else(|| format!("status latest_block_height is not a number: {sync}"))?;
    let time = sync
        .get("latest_block_time")
        .and_then(Value::as_str)
        .ok_or_else(|| "status has no latest_block_time".to_string())?;
    Ok((height, unix_seconds(time)?))
}

/// Unix seconds of an RFC 3339 time (`2024-05-01T10:00:00.123456789Z`).
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // parsing a given time, not reading the clock
fn unix_seconds(text: &str) -> Result<i64, String> {
    let t = humantime::parse_rfc3339(text)
        .map_err(|e| format!("block time {text:?} is not an RFC 3339 time: {e}"))?;
    let since = t
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_err(|_| format!("block time {text:?} is before 1970"))?;
    i64::try_from(since.as_secs()).map_err(|_| format!("block time {text:?} is too far ahead"))
}

/// Reads the CheckTx outcome of a `broadcast_tx_sync` result.
pub fn parse_check_tx(result: &Value) -> Result<CheckTxOutcome, String> {
    let code = match result.get("code") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| format!("CheckTx code {n} is not a u32"))?,
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| format!("CheckTx code {s:?} is not a u32"))?,
        Some(other) => return Err(format!("CheckTx code {other} is not a number")),
    };
    let text = |k: &str| {
        result
            .get(k)
            .and_then(Value::as_str)
            .map_or_else(String::new, str::to_string)
    };
    Ok(CheckTxOutcome {
        code,
        codespace: text("codespace"),
        log: text("log"),
    })
}

impl Broadcast for CometRpc {
    async fn broadcast(&self, tx: Vec<u8>) -> Result<CheckTxOutcome, String> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(tx);
        let result = self
            .call("broadcast_tx_sync", json!({ "tx": encoded }))
            .await?;
        parse_check_tx(&result)
    }

    async fn latest_block(&self) -> Result<(u64, i64), String> {
        parse_status(&self.call("status", json!({})).await?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn check_tx_results_parse_in_both_code_forms() {
        let ok = parse_check_tx(&json!({"code": 0, "log": "", "hash": "AB"})).unwrap();
        assert_eq!(ok.code, 0);
        let bad =
            parse_check_tx(&json!({"code": "11", "codespace": "staking", "log": "nonce ahead"}))
                .unwrap();
        assert_eq!(
            (bad.code, bad.codespace.as_str(), bad.log.as_str()),
            (11, "staking", "nonce ahead")
        );
        assert!(parse_check_tx(&json!({"code": -1})).is_err());
        assert!(parse_check_tx(&json!({"code": [1]})).is_err());
        assert!(CometRpc::new("localhost:26657", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn status_gives_the_latest_height_and_time() {
        let status = json!({"sync_info": {"latest_block_height": "42", "latest_block_time": "2024-05-01T10:00:07.123456789Z"}});
        assert_eq!(parse_status(&status).unwrap(), (42, 1_714_557_607));
        let plain = json!({"sync_info": {"latest_block_height": 7, "latest_block_time": "1970-01-01T00:00:09Z"}});
        assert_eq!(parse_status(&plain).unwrap(), (7, 9));
        assert!(parse_status(&json!({})).is_err());
        assert!(parse_status(&json!({"sync_info": {"latest_block_height": "x", "latest_block_time": "1970-01-01T00:00:09Z"}})).is_err());
        assert!(parse_status(
            &json!({"sync_info": {"latest_block_height": "1", "latest_block_time": "yesterday"}})
        )
        .is_err());
    }
}
