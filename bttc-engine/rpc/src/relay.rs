//! Relaying a raw transaction to CometBFT (`broadcast_tx_sync`), where Delivery's CheckTx has
//! the engine validate it again and admits it to the mempool.

use base64::Engine as _;
use jsonrpsee::types::ErrorObjectOwned;
use serde::Deserialize;

use crate::error::server;

#[derive(Deserialize)]
struct RpcResponse {
    result: Option<BroadcastResult>,
    error: Option<RpcErrorBody>,
}

#[derive(Deserialize)]
struct BroadcastResult {
    code: u32,
    #[serde(default)]
    log: String,
    #[serde(default)]
    codespace: String,
}

#[derive(Deserialize)]
struct RpcErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// Sends `raw` to CometBFT at `url`; Ok when CheckTx accepted it (or the mempool already has it).
pub(crate) async fn broadcast(
    client: &reqwest::Client,
    url: &str,
    raw: &[u8],
) -> Result<(), ErrorObjectOwned> {
    let tx = base64::engine::general_purpose::STANDARD.encode(raw);
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "broadcast_tx_sync",
        "params": { "tx": tx },
    });
    let resp = client.post(url).json(&body).send().await.map_err(|e| {
        server(format!(
            "cannot relay the transaction to CometBFT at {url}: {e}"
        ))
    })?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| server(format!("reading CometBFT's answer from {url}: {e}")))?;
    let parsed: RpcResponse = serde_json::from_str(&text).map_err(|e| {
        server(format!(
            "CometBFT at {url} answered HTTP {status} with an unexpected body ({e}): {}",
            text.chars().take(200).collect::<String>()
        ))
    })?;
    if let Some(err) = parsed.error {
        let data = err
            .data
            .map(|d| match d {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .unwrap_or_else(String::new);
        if data.contains("tx already exists in cache") {
            return Ok(());
        }
        return Err(server(format!(
            "CometBFT refused the transaction: {} {data}",
            err.message
        )));
    }
    match parsed.result {
        Some(r) if r.code == 0 => Ok(()),
        Some(r) => Err(server(format!(
            "transaction rejected by Delivery CheckTx (codespace {:?}, code {}): {}",
            r.codespace, r.code, r.log
        ))),
        None => Err(server(format!(
            "CometBFT at {url} answered without a result: {}",
            text.chars().take(200).collect::<String>()
        ))),
    }
}
