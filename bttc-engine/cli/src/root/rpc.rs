//! A small Ethereum JSON-RPC client over HTTP(S) for the `bttc root` commands: requests with a
//! timeout, node errors kept apart from transport errors (a revert's data stays decodable), and
//! replies capped in size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy_primitives::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// The largest reply read (a receipt with many logs fits easily).
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// A failed JSON-RPC request.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The node could not be reached or did not answer in time.
    #[error("{method} to {endpoint}: {reason}")]
    Transport {
        /// `scheme://host:port` of the node.
        endpoint: String,
        /// The method.
        method: String,
        /// What went wrong.
        reason: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error("{method}: the node answered error {code}: {message}")]
    Node {
        /// The method.
        method: String,
        /// The error code (3: execution reverted).
        code: i64,
        /// The error message.
        message: String,
        /// The error data (a revert's bytes, as `0x` hex, on geth-style nodes).
        data: Option<Value>,
    },
    /// The node answered something that is not what the method returns.
    #[error("{method} to {endpoint}: unexpected answer: {reason}")]
    Malformed {
        /// `scheme://host:port` of the node.
        endpoint: String,
        /// The method.
        method: String,
        /// Expected versus found.
        reason: String,
    },
}

impl RpcError {
    /// The revert bytes of a call or estimate that reverted (`code` 3 or a message that says
    /// "revert", with `0x` hex data), if that is what this error is.
    pub fn revert_data(&self) -> Option<Bytes> {
        let Self::Node {
            code,
            message,
            data,
            ..
        } = self
        else {
            return None;
        };
        if *code != 3 && !message.to_ascii_lowercase().contains("revert") {
            return None;
        }
        let text = match data.as_ref()? {
            Value::String(s) => s.as_str(),
            // Some nodes nest it: {"data": "0x…"}.
            Value::Object(o) => o.get("data")?.as_str()?,
            _ => return None,
        };
        text.parse().ok()
    }
}

/// A JSON-RPC endpoint.
pub struct Rpc {
    http: reqwest013::Client,
    url: reqwest013::Url,
    endpoint: String,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rpc")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl Rpc {
    /// A client of `url` (`http` or `https`); each request gives up after `timeout`. Makes no
    /// request.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let parsed = reqwest013::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("the RPC URL {url:?} is not a URL: {e}"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https"),
            "the RPC URL {url:?} has scheme {:?}: expected http or https",
            parsed.scheme()
        );
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the RPC URL {url:?} has no host"))?;
        // The path and query often hold an API key: keep them out of messages.
        let endpoint = match parsed.port() {
            Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
            None => format!("{}://{host}", parsed.scheme()),
        };
        anyhow::ensure!(!timeout.is_zero(), "the RPC timeout must be more than zero");
        // reqwest 0.13 is built without a TLS provider of its own and panics building a
        // client (even for http) in a process without one.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err: another thread installed one in between, which is then used.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest013::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
        Ok(Self {
            http,
            url: parsed,
            endpoint,
            next_id: AtomicU64::new(1),
        })
    }

    /// `scheme://host[:port]` of the endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls `method` with `params` and decodes its result as `T`.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let transport = |reason: String| RpcError::Transport {
            endpoint: self.endpoint.clone(),
            method: method.to_owned(),
            reason,
        };
        let malformed = |reason: String| RpcError::Malformed {
            endpoint: self.endpoint.clone(),
            method: method.to_owned(),
            reason,
        };
        let mut response = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| transport(without_url(e)))?;
        let status = response.status();
        let mut reply = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport(without_url(e)))?
        {
            if reply.len().saturating_add(chunk.len()) > MAX_REPLY_BYTES {
                return Err(malformed(format!(
                    "the reply is larger than {MAX_REPLY_BYTES} bytes"
                )));
            }
            reply.extend_from_slice(&chunk);
        }
        let value: Value = match serde_json::from_slice(&reply) {
            Ok(v) => v,
            Err(_) if !status.is_success() => {
                return Err(transport(format!("HTTP status {status}")));
            }
            Err(e) => return Err(malformed(format!("not JSON: {e}"))),
        };
        if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
            return Err(RpcError::Node {
                method: method.to_owned(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
                    .to_owned(),
                data: error.get("data").cloned(),
            });
        }
        let result = value
            .get("result")
            .ok_or_else(|| malformed("neither a result nor an error".to_owned()))?;
        T::deserialize(result).map_err(|e| malformed(format!("{e}: {}", clip(result))))
    }
}

/// A reqwest error's text and causes, without the URL (which may hold an API key).
fn without_url(e: reqwest013::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// A short rendering of a JSON value for messages.
fn clip(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn node(code: i64, message: &str, data: Value) -> RpcError {
        RpcError::Node {
            method: "eth_call".into(),
            code,
            message: message.into(),
            data: Some(data),
        }
    }

    #[test]
    fn revert_data_is_found_where_nodes_put_it() {
        let want: Bytes = "0x1234abcd".parse().unwrap();
        assert_eq!(
            node(3, "execution reverted", json!("0x1234abcd")).revert_data(),
            Some(want.clone())
        );
        assert_eq!(
            node(
                -32000,
                "VM Exception: revert",
                json!({"data": "0x1234abcd"})
            )
            .revert_data(),
            Some(want)
        );
        assert_eq!(
            node(-32000, "insufficient funds", json!("0x12")).revert_data(),
            None
        );
        assert_eq!(node(3, "execution reverted", json!(7)).revert_data(), None);
    }

    #[test]
    fn urls_are_checked_and_their_path_kept_out_of_messages() {
        let rpc = Rpc::new(
            "https://node.example:8443/v1/SECRET",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(rpc.endpoint(), "https://node.example:8443");
        assert!(Rpc::new("ws://x", Duration::from_secs(1)).is_err());
        assert!(Rpc::new("not a url", Duration::from_secs(1)).is_err());
        assert!(Rpc::new("http://x", Duration::ZERO).is_err());
    }

    #[test]
    fn long_values_are_clipped() {
        assert_eq!(clip(&json!("ab")), "\"ab\"");
        assert!(clip(&json!("x".repeat(500))).ends_with('…'));
    }
}
