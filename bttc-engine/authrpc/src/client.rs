//! [`AuthRpcClient`]: an [`Engine`] that calls an engine API server.
//!
//! Synchronous all the way down (ureq over `std::net`, no async runtime of its own), so it may be
//! called from sync code running on a tokio worker thread, as Delivery's ABCI handlers are.
//! Each request carries a token with a fresh `iat`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bttc_engine_api::{
    BlockRef, BuiltPayload, Bytes, Engine, EngineError, ExecutablePayload, ForkchoiceState,
    ForkchoiceUpdated, PayloadAttributes, PayloadId, PayloadStatus, TxCheck,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::jwt::JwtSecret;
use crate::wire::{method, rpc_to_engine_error, RpcError};

/// Timeouts and limits of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Time allowed to open the TCP connection (default 5 s).
    pub connect_timeout: Duration,
    /// Time allowed for a whole call, connect to last response byte (default 60 s: a
    /// `newPayload` executes a full block and fsyncs).
    pub request_timeout: Duration,
    /// Largest response body accepted (default 64 MiB).
    pub max_response_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The client could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The URL is unusable.
    #[error("engine API URL {url:?} is invalid: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// An engine API client: an [`Engine`] whose every call is one authenticated JSON-RPC request.
pub struct AuthRpcClient {
    url: String,
    secret: JwtSecret,
    agent: ureq::Agent,
    next_id: AtomicU64,
    config: ClientConfig,
}

impl std::fmt::Debug for AuthRpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRpcClient")
            .field("url", &self.url)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct RpcResponse {
    jsonrpc: String,
    #[serde(default)]
    id: Value,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct Unauthorized {
    reason: String,
}

impl AuthRpcClient {
    /// A client for the server at `url` (`http://host:port`, e.g. `http://127.0.0.1:8551`) with
    /// the default [`ClientConfig`]. Does not contact the server: the engine may start later;
    /// each call connects (reusing idle connections) and reports failures as
    /// [`EngineError::Transport`].
    pub fn connect(url: &str, secret: JwtSecret) -> Result<Self, ClientError> {
        Self::with_config(url, secret, ClientConfig::default())
    }

    /// [`Self::connect`] with explicit timeouts and limits.
    pub fn with_config(
        url: &str,
        secret: JwtSecret,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let bad = |reason: &str| ClientError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e: ureq::http::uri::InvalidUri| bad(&format!("not a URI: {e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https is not supported: the engine API is plain HTTP on a local or private link, authenticated by JWT",
                ))
            }
            Some(other) => return Err(bad(&format!("scheme must be http, found {other:?}"))),
            None => return Err(bad("missing scheme; expected http://host:port")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("missing host; expected http://host:port"));
        }
        if config.connect_timeout.is_zero() || config.request_timeout.is_zero() {
            return Err(bad("timeouts must be greater than zero"));
        }
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .user_agent(concat!("bttc-engine-authrpc/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .build();
        Ok(Self {
            url: url.to_owned(),
            secret,
            agent: ureq::Agent::new_with_config(agent_config),
            next_id: AtomicU64::new(1),
            config,
        })
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `engine_exchangeCapabilities` with our methods; returns the server's. Also a cheap way
    /// to check that the server is up and the secret matches.
    pub fn exchange_capabilities(&self) -> Result<Vec<String>, EngineError> {
        self.call(
            method::EXCHANGE_CAPABILITIES,
            vec![json!(crate::wire::CAPABILITIES)],
            None,
        )
    }

    fn transport(&self, method: &str, cause: impl std::fmt::Display) -> EngineError {
        EngineError::Transport(format!("engine API {} {method}: {cause}", self.url))
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Vec<Value>,
        payload_id: Option<PayloadId>,
    ) -> Result<T, EngineError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::to_vec(&json!({
            "jsonrpc": "2.0",
            "id": id,
            "method": method,
            "params": params,
        }))
        .map_err(|e| EngineError::Internal(format!("{method}: request does not serialize: {e}")))?;
        let token = self.secret.token_now();
        let mut response = self
            .agent
            .post(&self.url)
            .header("Authorization", format!("Bearer {token}"))
            .content_type("application/json")
            .send(&body[..])
            .map_err(|e| match e {
                ureq::Error::Timeout(_) => self.transport(
                    method,
                    format!(
                        "{e} (connect timeout {:?}, request timeout {:?})",
                        self.config.connect_timeout, self.config.request_timeout
                    ),
                ),
                other => self.transport(method, other),
            })?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.config.max_response_bytes)
            .read_to_vec()
            .map_err(|e| self.transport(method, format!("reading the response: {e}")))?;
        if status == ureq::http::StatusCode::UNAUTHORIZED {
            let reason = serde_json::from_slice::<Unauthorized>(&bytes)
                .map(|u| u.reason)
                .unwrap_or_else(|_| snippet(&bytes));
            return Err(self.transport(
                method,
                format!("HTTP 401: the server refused our JWT: {reason}"),
            ));
        }
        if status != ureq::http::StatusCode::OK {
            let detail = serde_json::from_slice::<RpcResponse>(&bytes)
                .ok()
                .and_then(|r| r.error)
                .map_or_else(|| snippet(&bytes), |e| e.message);
            return Err(self.transport(method, format!("HTTP {status}: {detail}")));
        }
        let reply: RpcResponse = serde_json::from_slice(&bytes).map_err(|e| {
            self.transport(
                method,
                format!(
                    "response is not a JSON-RPC object: {e}: {}",
                    snippet(&bytes)
                ),
            )
        })?;
        if reply.jsonrpc != "2.0" {
            return Err(self.transport(
                method,
                format!(
                    "response jsonrpc must be \"2.0\", found {:?}",
                    reply.jsonrpc
                ),
            ));
        }
        if reply.id != json!(id) {
            return Err(self.transport(
                method,
                format!("response id {} does not match request id {id}", reply.id),
            ));
        }
        match (reply.result, reply.error) {
            (_, Some(err)) => Err(rpc_to_engine_error(&self.url, method, err, payload_id)),
            (Some(result), None) => serde_json::from_value(result)
                .map_err(|e| self.transport(method, format!("malformed result: {e}"))),
            (None, None) => Err(self.transport(method, "response has neither result nor error")),
        }
    }
}

/// The start of a body for an error message.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().nth(200).is_some() {
        s.push('…');
    }
    s
}

fn to_param<T: serde::Serialize>(method: &str, v: &T) -> Result<Value, EngineError> {
    serde_json::to_value(v)
        .map_err(|e| EngineError::Internal(format!("{method}: param does not serialize: {e}")))
}

impl Engine for AuthRpcClient {
    fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<PayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let m = method::FORKCHOICE_UPDATED;
        let params = vec![to_param(m, &state)?, to_param(m, &attributes)?];
        self.call(m, params, None)
    }

    fn get_payload(&self, id: PayloadId) -> Result<BuiltPayload, EngineError> {
        let m = method::GET_PAYLOAD;
        self.call(m, vec![to_param(m, &id)?], Some(id))
    }

    fn new_payload(&self, payload: ExecutablePayload) -> Result<PayloadStatus, EngineError> {
        let m = method::NEW_PAYLOAD;
        self.call(m, vec![to_param(m, &payload)?], None)
    }

    fn check_tx(&self, raw: &[u8]) -> Result<TxCheck, EngineError> {
        let m = method::CHECK_TX;
        self.call(m, vec![to_param(m, &Bytes::from(raw))?], None)
    }

    fn head(&self) -> Result<BlockRef, EngineError> {
        self.call(method::HEAD, Vec::new(), None)
    }

    fn check_txs(&self, raws: &[Vec<u8>]) -> Result<Vec<TxCheck>, EngineError> {
        let m = method::CHECK_TXS;
        let raws: Vec<Bytes> = raws.iter().map(|r| Bytes::from(r.as_slice())).collect();
        self.call(m, vec![to_param(m, &raws)?], None)
    }

    fn pooled_hashes(&self) -> Result<Vec<bttc_engine_api::H256>, EngineError> {
        self.call(method::POOLED_HASHES, Vec::new(), None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_up_front() {
        let s = JwtSecret::from_bytes([1; 32]);
        assert!(AuthRpcClient::connect("http://127.0.0.1:8551", s.clone()).is_ok());
        for bad in [
            "",
            "127.0.0.1:8551",
            "https://127.0.0.1:8551",
            "ftp://x",
            "http://",
            "not a url",
        ] {
            let err = AuthRpcClient::connect(bad, s.clone()).unwrap_err();
            assert!(err.to_string().contains("invalid"), "{bad}: {err}");
        }
        let zero = ClientConfig {
            request_timeout: Duration::ZERO,
            ..ClientConfig::default()
        };
        assert!(AuthRpcClient::with_config("http://127.0.0.1:1", s, zero).is_err());
    }
}
