//! [`RootChainClient`]: one root chain's Ethereum JSON-RPC over HTTP(S).
//!
//! Four reads, each under its own time limit: [`chain_id`](RootChainClient::chain_id),
//! [`head`](RootChainClient::head), [`receipt`](RootChainClient::receipt) and
//! [`logs`](RootChainClient::logs). Every failure is a [`ClientError`] that says whether the
//! endpoint could not be asked ([`ClientError::Unavailable`]: network, time limit, HTTP error
//! status, a response that does not parse) or answered with a JSON-RPC error
//! ([`ClientError::Rejected`]). A missing receipt is not an error: it is `Ok(None)`, the
//! node's definite "no such transaction".
//!
//! Only the block tags every root chain supports are used: explicit numbers and `latest` (TRON
//! has no `pending`). Addresses go out as `0x` + 40 hex digits, which TRON's JSON-RPC accepts.

use std::fmt;
use std::time::Duration;

use alloy_json_rpc::{RpcRecv, RpcSend};
use alloy_primitives::{Address, B256, U64};
use alloy_rpc_client::{NoParams, RpcClient};
use alloy_rpc_types_eth::Filter;
use alloy_transport::{RpcError, TransportError, TransportErrorKind};
use serde::Deserialize;

/// Longest error text kept from a response body (bodies can be megabytes).
const MAX_ERROR_TEXT: usize = 300;

/// Settings of one root chain's client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The root chain's name (`tron`, `eth`, `bsc`, ...), used in errors and logs.
    pub root_chain: String,
    /// The JSON-RPC endpoint: `http://` or `https://` (TRON: `https://<host>/jsonrpc`).
    pub url: String,
    /// Time limit of one call, connection included.
    pub timeout: Duration,
}

impl ClientConfig {
    /// A config with the default time limit ([`DEFAULT_TIMEOUT`]).
    pub fn new(root_chain: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            root_chain: root_chain.into(),
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Default time limit of one call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The client cannot be built (a bad URL, a TLS setup failure).
    #[error("root chain {root_chain}: {reason}")]
    Config {
        /// The root chain.
        root_chain: String,
        /// What is wrong.
        reason: String,
    },
    /// No usable answer: network failure, time limit, an HTTP error status, or a response that
    /// is not what the method returns. Worth retrying later.
    #[error("root chain {root_chain} unavailable ({method}): {reason}")]
    Unavailable {
        /// The root chain.
        root_chain: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// What happened.
        reason: String,
    },
    /// The node answered with a JSON-RPC error (e.g. a block range over its limit, a rate
    /// limit, an unsupported method). A definite answer to this request, but not evidence
    /// about any root-chain event.
    #[error("root chain {root_chain} rejected {method}: code {code}: {message}")]
    Rejected {
        /// The root chain.
        root_chain: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// The JSON-RPC error code.
        code: i64,
        /// The JSON-RPC error message.
        message: String,
    },
}

impl ClientError {
    /// Whether the endpoint could not be asked (as opposed to having answered with an error).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ClientError::Unavailable { .. })
    }
}

/// Why a call that executes contract code (`eth_call`, `eth_estimateGas`) gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No usable answer, or a JSON-RPC error that is not a revert.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The code reverted (JSON-RPC error code 3, or a message that says "revert"); `data` is
    /// the revert's bytes when the node returned them (geth style).
    #[error("root chain {root_chain}: {method} reverted: {message}")]
    Reverted {
        /// The root chain.
        root_chain: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// The node's message.
        message: String,
        /// The revert data (a custom error's selector and arguments), empty when not given.
        data: Vec<u8>,
    },
}

/// One log as a root chain reports it (Ethereum JSON-RPC log object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootChainLog {
    /// The emitting contract.
    pub address: [u8; 20],
    /// The topics (topic 0 is the event signature hash for non-anonymous events).
    pub topics: Vec<[u8; 32]>,
    /// The non-indexed data.
    pub data: Vec<u8>,
    /// The block number (absent on pending logs).
    pub block_number: Option<u64>,
    /// The block hash (absent on pending logs).
    pub block_hash: Option<[u8; 32]>,
    /// The transaction hash.
    pub tx_hash: Option<[u8; 32]>,
    /// `logIndex`: the position among the block's logs.
    pub log_index: Option<u64>,
    /// Whether a reorganisation removed it.
    pub removed: bool,
}

impl From<alloy_rpc_types_eth::Log> for RootChainLog {
    fn from(log: alloy_rpc_types_eth::Log) -> Self {
        Self {
            address: log.inner.address.into_array(),
            topics: log.inner.data.topics().iter().map(|t| t.0).collect(),
            data: log.inner.data.data.to_vec(),
            block_number: log.block_number,
            block_hash: log.block_hash.map(|h| h.0),
            tx_hash: log.transaction_hash.map(|h| h.0),
            log_index: log.log_index,
            removed: log.removed,
        }
    }
}

/// The parts of a transaction receipt the bridge reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction hash.
    pub tx_hash: [u8; 32],
    /// The block the transaction is in (absent while pending).
    pub block_number: Option<u64>,
    /// The block hash (absent while pending).
    pub block_hash: Option<[u8; 32]>,
    /// `Some(true)` for a successful transaction, `Some(false)` for a reverted one; `None` when
    /// the receipt has no `status` (pre-Byzantium).
    pub success: Option<bool>,
    /// The logs, in block order.
    pub logs: Vec<RootChainLog>,
}

/// A receipt as JSON, read leniently: only the fields the bridge uses, so chains that add or
/// omit other fields (TRON's receipts differ from geth's) parse all the same.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReceipt {
    transaction_hash: B256,
    #[serde(default)]
    block_number: Option<U64>,
    #[serde(default)]
    block_hash: Option<B256>,
    #[serde(default)]
    status: Option<U64>,
    logs: Vec<alloy_rpc_types_eth::Log>,
}

/// One root chain's JSON-RPC client. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct RootChainClient {
    root_chain: String,
    endpoint: String,
    rpc: RpcClient,
    timeout: Duration,
}

impl fmt::Debug for RootChainClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootChainClient")
            .field("root_chain", &self.root_chain)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Installs rustls's ring provider as the process's default TLS crypto provider, unless one is
/// installed already (then that one is kept). reqwest 0.13 (alloy's HTTP transport) is built
/// here without a provider of its own and panics when it builds a client in a process without
/// one: [`RootChainClient::new`] calls this, and so must any other code of the process that
/// builds a reqwest 0.13 client first.
pub fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err means another thread installed one in between: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl RootChainClient {
    /// Builds a client for `config.url` (`http` or `https`). Makes no network call.
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::Config {
            root_chain: config.root_chain.clone(),
            reason,
        };
        let url = reqwest013::Url::parse(&config.url)
            .map_err(|e| bad(format!("RPC URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!(
                "RPC URL scheme {:?}: expected http or https",
                url.scheme()
            )));
        }
        let Some(host) = url.host_str() else {
            return Err(bad("RPC URL has no host".into()));
        };
        // The path and query often hold an API key: keep them out of logs and errors.
        let endpoint = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        if config.timeout.is_zero() {
            return Err(bad("RPC timeout must be more than zero".into()));
        }
        install_tls_provider();
        let http = reqwest013::Client::builder()
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| bad(format!("building the HTTP client: {e}")))?;
        let rpc = RpcClient::new_http_with_client(http, url);
        Ok(Self {
            root_chain: config.root_chain.clone(),
            endpoint,
            rpc,
            timeout: config.timeout,
        })
    }

    /// The root chain's name.
    pub fn root_chain(&self) -> &str {
        &self.root_chain
    }

    /// `scheme://host[:port]` of the endpoint (path and query left out: they may hold a key).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, ClientError> {
        let id: U64 = self.call("eth_chainId", NoParams::default()).await?;
        Ok(id.to::<u64>())
    }

    /// `eth_blockNumber`: the latest block number.
    pub async fn head(&self) -> Result<u64, ClientError> {
        let n: U64 = self.call("eth_blockNumber", NoParams::default()).await?;
        Ok(n.to::<u64>())
    }

    /// `eth_getTransactionReceipt`; `Ok(None)` when the node knows no such transaction.
    pub async fn receipt(&self, tx_hash: [u8; 32]) -> Result<Option<Receipt>, ClientError> {
        const METHOD: &str = "eth_getTransactionReceipt";
        let raw: Option<RawReceipt> = self.call(METHOD, (B256::from(tx_hash),)).await?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        if raw.transaction_hash.0 != tx_hash {
            return Err(self.malformed(
                METHOD,
                format!(
                    "asked for the receipt of 0x{}, got the receipt of {}",
                    hex::encode(tx_hash),
                    raw.transaction_hash
                ),
            ));
        }
        let success = match raw.status.map(|s| s.to::<u64>()) {
            None => None,
            Some(0) => Some(false),
            Some(1) => Some(true),
            Some(other) => {
                return Err(self.malformed(METHOD, format!("status {other}: expected 0 or 1")))
            }
        };
        Ok(Some(Receipt {
            tx_hash,
            block_number: raw.block_number.map(|n| n.to::<u64>()),
            block_hash: raw.block_hash.map(|h| h.0),
            success,
            logs: raw.logs.into_iter().map(RootChainLog::from).collect(),
        }))
    }

    /// `eth_getLogs` over blocks `from_block..=to_block`, emitted by one of `addresses` (at
    /// least one) with topic 0 in `topic0s` (empty: any topic).
    ///
    /// Checks what the node returns: every log must be mined, in the range, from one of the
    /// addresses and with one of the topics, and carry its transaction hash and log index.
    pub async fn logs(
        &self,
        from_block: u64,
        to_block: u64,
        addresses: &[[u8; 20]],
        topic0s: &[[u8; 32]],
    ) -> Result<Vec<RootChainLog>, ClientError> {
        const METHOD: &str = "eth_getLogs";
        if addresses.is_empty() || from_block > to_block {
            return Err(ClientError::Config {
                root_chain: self.root_chain.clone(),
                reason: format!(
                    "eth_getLogs needs at least one address and from <= to (got {} addresses, \
                     blocks {from_block}..={to_block})",
                    addresses.len()
                ),
            });
        }
        let mut filter = Filter::new()
            .from_block(from_block)
            .to_block(to_block)
            .address(
                addresses
                    .iter()
                    .map(|a| Address::from(*a))
                    .collect::<Vec<_>>(),
            );
        if !topic0s.is_empty() {
            filter =
                filter.event_signature(topic0s.iter().map(|t| B256::from(*t)).collect::<Vec<_>>());
        }
        let raw: Vec<alloy_rpc_types_eth::Log> = self.call(METHOD, (filter,)).await?;
        let mut logs = Vec::with_capacity(raw.len());
        for log in raw {
            let log = RootChainLog::from(log);
            let problem = match (log.block_number, log.tx_hash, log.log_index) {
                (None, _, _) | (_, None, _) | (_, _, None) => {
                    Some("a log without block number, transaction hash or log index".to_string())
                }
                (Some(b), _, _) if b < from_block || b > to_block => Some(format!(
                    "a log of block {b}, outside the asked range {from_block}..={to_block}"
                )),
                _ if !addresses.contains(&log.address) => Some(format!(
                    "a log of 0x{}, not one of the asked addresses",
                    hex::encode(log.address)
                )),
                _ if !topic0s.is_empty()
                    && !log.topics.first().is_some_and(|t| topic0s.contains(t)) =>
                {
                    Some("a log whose topic 0 is not one of the asked topics".to_string())
                }
                _ if log.removed => Some("a removed log".to_string()),
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(self.malformed(METHOD, format!("the node returned {problem}")));
            }
            logs.push(log);
        }
        Ok(logs)
    }

    fn malformed(&self, method: &'static str, reason: String) -> ClientError {
        ClientError::Unavailable {
            root_chain: self.root_chain.clone(),
            method,
            reason: format!("malformed response: {reason}"),
        }
    }

    /// Any JSON-RPC call under this client's time limit.
    pub(crate) async fn call<P, R>(&self, method: &'static str, params: P) -> Result<R, ClientError>
    where
        P: RpcSend,
        R: RpcRecv,
    {
        self.call_or_revert(method, params)
            .await
            .map_err(|e| match e {
                CallError::Client(c) => c,
                CallError::Reverted {
                    root_chain,
                    method,
                    message,
                    ..
                } => ClientError::Rejected {
                    root_chain,
                    method,
                    code: 3,
                    message,
                },
            })
    }

    /// A call that runs contract code: a revert is [`CallError::Reverted`] with its data.
    pub(crate) async fn call_or_revert<P, R>(
        &self,
        method: &'static str,
        params: P,
    ) -> Result<R, CallError>
    where
        P: RpcSend,
        R: RpcRecv,
    {
        let call = self.rpc.request::<P, R>(method, params);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(RpcError::ErrorResp(payload)))
                if payload.code == 3 || payload.message.to_ascii_lowercase().contains("revert") =>
            {
                Err(CallError::Reverted {
                    root_chain: self.root_chain.clone(),
                    method,
                    message: clip(&payload.message),
                    data: payload
                        .data
                        .as_ref()
                        .and_then(|raw| revert_data(raw.get()))
                        .unwrap_or_else(Vec::new),
                })
            }
            Ok(Err(e)) => Err(self.classify(method, e).into()),
            Err(_) => Err(ClientError::Unavailable {
                root_chain: self.root_chain.clone(),
                method,
                reason: format!("no answer within {:?}", self.timeout),
            }
            .into()),
        }
    }

    fn classify(&self, method: &'static str, e: TransportError) -> ClientError {
        let unavailable = |reason: String| ClientError::Unavailable {
            root_chain: self.root_chain.clone(),
            method,
            reason: clip(&reason),
        };
        match e {
            RpcError::ErrorResp(payload) => ClientError::Rejected {
                root_chain: self.root_chain.clone(),
                method,
                code: payload.code,
                message: clip(&payload.message),
            },
            RpcError::NullResp => unavailable("malformed response: null result".into()),
            RpcError::DeserError { err, .. } => unavailable(format!("malformed response: {err}")),
            RpcError::Transport(TransportErrorKind::HttpError(h)) => {
                unavailable(format!("HTTP status {}: {}", h.status, h.body))
            }
            RpcError::Transport(TransportErrorKind::HttpErrorWithRetryAfter { error, .. }) => {
                unavailable(format!("HTTP status {}: {}", error.status, error.body))
            }
            RpcError::Transport(kind) => unavailable(format!("{kind}")),
            other => unavailable(other.to_string()),
        }
    }
}

/// The revert bytes in a JSON-RPC error's `data`: `"0x…"`, or `{"data": "0x…"}` (some nodes
/// nest it).
fn revert_data(json: &str) -> Option<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let text = match &value {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(o) => o.get("data")?.as_str()?,
        _ => return None,
    };
    hex::decode(text.strip_prefix("0x")?).ok()
}

/// The first [`MAX_ERROR_TEXT`] characters of `s`.
fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR_TEXT) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_keys_kept_out_of_the_endpoint() {
        let c = RootChainClient::new(&ClientConfig::new(
            "eth",
            "https://mainnet.example.org/v3/secretkey?x=1",
        ))
        .unwrap();
        assert_eq!(c.endpoint(), "https://mainnet.example.org");
        assert!(!format!("{c:?}").contains("secretkey"));
        let c = RootChainClient::new(&ClientConfig::new("tron", "http://127.0.0.1:8545/jsonrpc"))
            .unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:8545");
        for bad in ["", "localhost:8545", "ws://127.0.0.1:8546", "file:///tmp/x"] {
            let e = RootChainClient::new(&ClientConfig::new("eth", bad)).unwrap_err();
            assert!(matches!(e, ClientError::Config { .. }), "{bad}: {e}");
        }
        let mut zero = ClientConfig::new("eth", "http://127.0.0.1:1");
        zero.timeout = Duration::ZERO;
        assert!(RootChainClient::new(&zero).is_err());
    }

    #[test]
    fn revert_data_is_read_where_nodes_put_it() {
        assert_eq!(
            revert_data("\"0x1234abcd\""),
            Some(vec![0x12, 0x34, 0xab, 0xcd])
        );
        assert_eq!(revert_data("{\"data\": \"0x12\"}"), Some(vec![0x12]));
        assert_eq!(revert_data("\"0x\""), Some(vec![]));
        assert_eq!(revert_data("\"1234\""), None);
        assert_eq!(revert_data("7"), None);
        assert_eq!(revert_data("\"0xzz\""), None);
    }

    #[test]
    fn long_error_texts_are_clipped() {
        let long = "x".repeat(10_000);
        assert_eq!(clip(&long).chars().count(), MAX_ERROR_TEXT + 1);
        assert_eq!(clip("short"), "short");
    }
}
