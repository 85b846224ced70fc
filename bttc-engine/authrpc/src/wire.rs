//! The wire protocol shared by the server and the client: method names, error codes, the
//! JSON-RPC error object and the mapping between [`EngineError`] and it.
//!
//! An [`EngineError`] travels as `{"code": e.code(), "message": e.to_string(), "data": {"kind":
//! …, "detail": …}}`; `kind` and `detail` let the client rebuild exactly the same variant, so
//! calling through the client is indistinguishable from calling the engine in-process.

use bttc_engine_api::{EngineError, PayloadId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Method names.
pub mod method {
    /// `[forkchoiceState, payloadAttributes | null]` → `ForkchoiceUpdated`.
    pub const FORKCHOICE_UPDATED: &str = "engine_forkchoiceUpdated";
    /// `[payloadId]` → `BuiltPayload`.
    pub const GET_PAYLOAD: &str = "engine_getPayload";
    /// `[executablePayload]` → `PayloadStatus`.
    pub const NEW_PAYLOAD: &str = "engine_newPayload";
    /// `[[method, …]]` → the methods this server supports.
    pub const EXCHANGE_CAPABILITIES: &str = "engine_exchangeCapabilities";
    /// `[rawTxHex]` → `TxCheck` (BTTC extension).
    pub const CHECK_TX: &str = "bttc_checkTx";
    /// `[]` → `BlockRef` (BTTC extension).
    pub const HEAD: &str = "bttc_head";
    /// `[]` → the hashes of every pooled transaction (BTTC extension).
    pub const POOLED_HASHES: &str = "bttc_pooledHashes";
    /// `[[rawTxHex, …]]` → `[TxCheck, …]` (BTTC extension).
    pub const CHECK_TXS: &str = "bttc_checkTxs";
}

/// What `engine_exchangeCapabilities` answers: every method served except itself (as the Engine
/// API specifies).
pub const CAPABILITIES: [&str; 7] = [
    method::FORKCHOICE_UPDATED,
    method::GET_PAYLOAD,
    method::NEW_PAYLOAD,
    method::CHECK_TX,
    method::CHECK_TXS,
    method::HEAD,
    method::POOLED_HASHES,
];

/// JSON-RPC and Engine API error codes.
pub mod code {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON is not a valid request object (or the body is too large, or the batch empty).
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong number or shape of params; the message names the param and says why.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The engine failed (storage, internal, a panic) or its answer did not serialize.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// `engine_getPayload` with an unknown id.
    pub const UNKNOWN_PAYLOAD: i64 = -38001;
    /// Inconsistent forkchoice state.
    pub const INVALID_FORKCHOICE_STATE: i64 = -38002;
    /// Unusable payload attributes.
    pub const INVALID_PAYLOAD_ATTRIBUTES: i64 = -38003;
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    /// The error code (see [`code`]).
    pub code: i64,
    /// A human-readable message.
    pub message: String,
    /// For engine errors: `{"kind": …, "detail": …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error without data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

/// `data.kind` values, one per [`EngineError`] variant.
mod kind {
    pub const UNKNOWN_PAYLOAD: &str = "unknown_payload";
    pub const INVALID_FORKCHOICE_STATE: &str = "invalid_forkchoice_state";
    pub const INVALID_PAYLOAD_ATTRIBUTES: &str = "invalid_payload_attributes";
    pub const STORAGE: &str = "storage";
    pub const TRANSPORT: &str = "transport";
    pub const INTERNAL: &str = "internal";
}

/// The JSON-RPC error for an engine error.
pub fn engine_error_to_rpc(e: &EngineError) -> RpcError {
    let (kind, detail) = match e {
        EngineError::UnknownPayload(id) => (kind::UNKNOWN_PAYLOAD, id.to_string()),
        EngineError::InvalidForkchoiceState(s) => (kind::INVALID_FORKCHOICE_STATE, s.clone()),
        EngineError::InvalidPayloadAttributes(s) => (kind::INVALID_PAYLOAD_ATTRIBUTES, s.clone()),
        EngineError::Storage(s) => (kind::STORAGE, s.clone()),
        EngineError::Transport(s) => (kind::TRANSPORT, s.clone()),
        EngineError::Internal(s) => (kind::INTERNAL, s.clone()),
    };
    RpcError {
        code: e.code(),
        message: e.to_string(),
        data: Some(json!({ "kind": kind, "detail": detail })),
    }
}

/// The engine error for a JSON-RPC error answered by a server at `url` to `method`.
///
/// Engine codes map back to their variant (the detail from `data`, or the message when another
/// server sent no data); `requested` is the payload id of a `getPayload` call, used when the
/// server's `data` lacks it. Protocol errors (-32700, -32600, -32601, -32602 and unknown codes)
/// mean the two ends disagree about the protocol and become [`EngineError::Transport`].
pub fn rpc_to_engine_error(
    url: &str,
    method: &str,
    err: RpcError,
    requested: Option<PayloadId>,
) -> EngineError {
    let data_kind = err
        .data
        .as_ref()
        .and_then(|d| d.get("kind"))
        .and_then(Value::as_str);
    let detail = err
        .data
        .as_ref()
        .and_then(|d| d.get("detail"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let detail_or_message = || detail.clone().unwrap_or_else(|| err.message.clone());
    match err.code {
        code::UNKNOWN_PAYLOAD => {
            let from_data = detail.as_deref().and_then(|d| d.parse::<PayloadId>().ok());
            match from_data.or(requested) {
                Some(id) => EngineError::UnknownPayload(id),
                None => EngineError::Transport(format!(
                    "{url}: {method}: unknown-payload error {} without a payload id",
                    err.message
                )),
            }
        }
        code::INVALID_FORKCHOICE_STATE => EngineError::InvalidForkchoiceState(detail_or_message()),
        code::INVALID_PAYLOAD_ATTRIBUTES => {
            EngineError::InvalidPayloadAttributes(detail_or_message())
        }
        code::INTERNAL_ERROR => match data_kind {
            Some(kind::STORAGE) => EngineError::Storage(detail_or_message()),
            Some(kind::TRANSPORT) => EngineError::Transport(detail_or_message()),
            Some(kind::INTERNAL) => EngineError::Internal(detail_or_message()),
            _ => EngineError::Internal(format!("{url}: {method}: {}", err.message)),
        },
        other => EngineError::Transport(format!(
            "{url}: {method}: server answered JSON-RPC error {other}: {}",
            err.message
        )),
    }
}

/// What a JSON value is, for error messages ("expected …, found a string").
pub(crate) fn kind_of(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_error_round_trips_through_json() {
        let id = PayloadId([1, 2, 3, 4, 5, 6, 7, 8]);
        for e in [
            EngineError::UnknownPayload(id),
            EngineError::InvalidForkchoiceState("head behind".into()),
            EngineError::InvalidPayloadAttributes("timestamp".into()),
            EngineError::Storage("disk full".into()),
            EngineError::Transport("peer gone".into()),
            EngineError::Internal("bug".into()),
        ] {
            let rpc = engine_error_to_rpc(&e);
            assert_eq!(rpc.code, e.code());
            assert_eq!(rpc.message, e.to_string());
            let json = serde_json::to_string(&rpc).unwrap();
            let back: RpcError = serde_json::from_str(&json).unwrap();
            assert_eq!(rpc_to_engine_error("u", "m", back, None), e);
        }
    }

    #[test]
    fn foreign_errors_map_by_code() {
        let id = PayloadId([9; 8]);
        assert_eq!(
            rpc_to_engine_error("u", "m", RpcError::new(-38001, "Unknown payload"), Some(id)),
            EngineError::UnknownPayload(id)
        );
        assert_eq!(
            rpc_to_engine_error("u", "m", RpcError::new(-38002, "bad fcs"), None),
            EngineError::InvalidForkchoiceState("bad fcs".into())
        );
        assert!(matches!(
            rpc_to_engine_error("u", "m", RpcError::new(-32603, "boom"), None),
            EngineError::Internal(m) if m.contains("boom")
        ));
        let e = rpc_to_engine_error("http://x", "bttc_head", RpcError::new(-32601, "nope"), None);
        assert!(
            matches!(&e, EngineError::Transport(m) if m.contains("http://x") && m.contains("-32601")),
            "{e}"
        );
    }
}
