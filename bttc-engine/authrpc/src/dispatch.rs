//! JSON-RPC 2.0 request handling, independent of HTTP: a body in, a response (or nothing, for
//! notifications) out. Synchronous: the server runs it on tokio's blocking pool, because the
//! engine may block (RocksDB fsync).

use std::panic::{catch_unwind, AssertUnwindSafe};

use bttc_engine_api::{
    Bytes, Engine, EngineError, ExecutablePayload, ForkchoiceState, PayloadAttributes, PayloadId,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::wire::{code, engine_error_to_rpc, kind_of, method, RpcError, CAPABILITIES};

/// A response object.
pub(crate) fn response(id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error }),
    }
}

/// Handles one HTTP body: a request or a batch. `None` when nothing is to be answered (only
/// notifications).
pub(crate) fn handle_body(engine: &dyn Engine, body: &[u8], max_batch_len: usize) -> Option<Value> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Some(response(
                Value::Null,
                Err(RpcError::new(
                    code::PARSE_ERROR,
                    format!("parse error: body is not JSON: {e}"),
                )),
            ))
        }
    };
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Some(response(
                    Value::Null,
                    Err(RpcError::new(
                        code::INVALID_REQUEST,
                        "invalid request: empty batch",
                    )),
                ));
            }
            if items.len() > max_batch_len {
                return Some(response(
                    Value::Null,
                    Err(RpcError::new(
                        code::INVALID_REQUEST,
                        format!(
                            "invalid request: batch of {} requests exceeds the limit of {max_batch_len}",
                            items.len()
                        ),
                    )),
                ));
            }
            // In order, one after the other: a batch may be newPayload then forkchoiceUpdated.
            let answers: Vec<Value> = items
                .into_iter()
                .filter_map(|item| handle_request(engine, item))
                .collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        other => handle_request(engine, other),
    }
}

/// Handles one request object. Invalid requests are always answered (with id null when the id
/// is unusable); valid notifications (no `id`) are executed and not answered.
fn handle_request(engine: &dyn Engine, request: Value) -> Option<Value> {
    let invalid = |id: Value, why: String| {
        Some(response(
            id,
            Err(RpcError::new(
                code::INVALID_REQUEST,
                format!("invalid request: {why}"),
            )),
        ))
    };
    let Value::Object(mut obj) = request else {
        return invalid(
            Value::Null,
            format!("expected a request object, found {}", kind_of(&request)),
        );
    };
    let id = match obj.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(other) => {
            return invalid(
                Value::Null,
                format!(
                    "id must be a string, number or null, found {}",
                    kind_of(&other)
                ),
            )
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    match obj.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        Some(other) => return invalid(reply_id, format!("jsonrpc must be \"2.0\", found {other}")),
        None => return invalid(reply_id, "jsonrpc must be \"2.0\", found none".into()),
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(other) => {
            return invalid(
                reply_id,
                format!("method must be a string, found {}", kind_of(&other)),
            )
        }
        None => return invalid(reply_id, "method is missing".into()),
    };
    let outcome = match obj.remove("params") {
        None | Some(Value::Null) => call(engine, &method, Vec::new()),
        Some(Value::Array(params)) => call(engine, &method, params),
        Some(Value::Object(_)) => Err(RpcError::new(
            code::INVALID_PARAMS,
            format!("invalid params for {method}: params must be an array (by position); named params are not supported"),
        )),
        Some(other) => {
            return invalid(
                reply_id,
                format!("params must be an array, found {}", kind_of(&other)),
            )
        }
    };
    if let Err(e) = &outcome {
        tracing::debug!(%method, code = e.code, message = %e.message, "engine API call failed");
    }
    id.map(|id| response(id, outcome))
}

/// Positional params of one call, with their names for error messages.
struct Params<'a> {
    method: &'a str,
    names: &'a [&'a str],
    values: Vec<Value>,
}

impl<'a> Params<'a> {
    /// Checks the count: at least `required`, at most `names.len()`.
    fn new(
        method: &'a str,
        names: &'a [&'a str],
        required: usize,
        values: Vec<Value>,
    ) -> Result<Self, RpcError> {
        if values.len() < required || values.len() > names.len() {
            let expected = if required == names.len() {
                format!("{required}")
            } else {
                format!("{required} to {}", names.len())
            };
            return Err(RpcError::new(
                code::INVALID_PARAMS,
                format!(
                    "invalid params for {method}: expected {expected} params [{}], found {}",
                    names.join(", "),
                    values.len()
                ),
            ));
        }
        Ok(Self {
            method,
            names,
            values,
        })
    }

    /// Param `index`, deserialized; a missing optional param reads as JSON null.
    fn get<T: DeserializeOwned>(&mut self, index: usize) -> Result<T, RpcError> {
        let value = self.values.get_mut(index).map_or(Value::Null, Value::take);
        serde_json::from_value(value).map_err(|e| {
            RpcError::new(
                code::INVALID_PARAMS,
                format!(
                    "invalid params for {}: param {index} ({}): {e}",
                    self.method,
                    self.names.get(index).copied().unwrap_or("?")
                ),
            )
        })
    }
}

fn engine_call<T: Serialize>(
    method: &str,
    f: impl FnOnce() -> Result<T, EngineError>,
) -> Result<Value, RpcError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => serde_json::to_value(value).map_err(|e| {
            RpcError::new(
                code::INTERNAL_ERROR,
                format!("{method}: the engine's answer does not serialize: {e}"),
            )
        }),
        Ok(Err(e)) => Err(engine_error_to_rpc(&e)),
        Err(_) => {
            tracing::error!(%method, "the engine panicked");
            Err(engine_error_to_rpc(&EngineError::Internal(format!(
                "the engine panicked while handling {method}"
            ))))
        }
    }
}

fn call(engine: &dyn Engine, name: &str, params: Vec<Value>) -> Result<Value, RpcError> {
    tracing::trace!(method = %name, "engine API call");
    match name {
        method::FORKCHOICE_UPDATED => {
            let mut p = Params::new(name, &["forkchoiceState", "payloadAttributes"], 1, params)?;
            let state: ForkchoiceState = p.get(0)?;
            let attributes: Option<PayloadAttributes> = p.get(1)?;
            engine_call(name, || engine.forkchoice_updated(state, attributes))
        }
        method::GET_PAYLOAD => {
            let mut p = Params::new(name, &["payloadId"], 1, params)?;
            let id: PayloadId = p.get(0)?;
            engine_call(name, || engine.get_payload(id))
        }
        method::NEW_PAYLOAD => {
            let mut p = Params::new(name, &["executablePayload"], 1, params)?;
            let payload: ExecutablePayload = p.get(0)?;
            engine_call(name, || engine.new_payload(payload))
        }
        method::EXCHANGE_CAPABILITIES => {
            let mut p = Params::new(name, &["capabilities"], 1, params)?;
            let _theirs: Vec<String> = p.get(0)?;
            Ok(json!(CAPABILITIES))
        }
        method::CHECK_TX => {
            let mut p = Params::new(name, &["rawTransaction"], 1, params)?;
            let raw: Bytes = p.get(0)?;
            engine_call(name, || engine.check_tx(raw.as_slice()))
        }
        method::HEAD => {
            Params::new(name, &[], 0, params)?;
            engine_call(name, || engine.head())
        }
        method::CHECK_TXS => {
            let mut p = Params::new(name, &["rawTransactions"], 1, params)?;
            let raws: Vec<Bytes> = p.get(0)?;
            let raws: Vec<Vec<u8>> = raws.into_iter().map(|b| b.as_slice().to_vec()).collect();
            engine_call(name, || engine.check_txs(&raws))
        }
        method::POOLED_HASHES => {
            Params::new(name, &[], 0, params)?;
            engine_call(name, || engine.pooled_hashes())
        }
        other => Err(RpcError::new(
            code::METHOD_NOT_FOUND,
            format!(
                "method {:?} not found; this server has engine_exchangeCapabilities, {}",
                other.chars().take(64).collect::<String>(),
                CAPABILITIES.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use bttc_engine_api::{
        BlockRef, BuiltPayload, ForkchoiceUpdated, PayloadStatus, TxCheck, H256,
    };

    /// A test double whose `head` panics and whose other methods fail with a storage error.
    struct Faulty;

    impl Engine for Faulty {
        fn forkchoice_updated(
            &self,
            _: ForkchoiceState,
            _: Option<PayloadAttributes>,
        ) -> Result<ForkchoiceUpdated, EngineError> {
            Err(EngineError::Storage("disk gone".into()))
        }
        fn get_payload(&self, id: PayloadId) -> Result<BuiltPayload, EngineError> {
            Err(EngineError::UnknownPayload(id))
        }
        fn new_payload(&self, _: ExecutablePayload) -> Result<PayloadStatus, EngineError> {
            Ok(PayloadStatus::Syncing)
        }
        fn check_tx(&self, _: &[u8]) -> Result<TxCheck, EngineError> {
            Err(EngineError::Internal("nope".into()))
        }
        fn head(&self) -> Result<BlockRef, EngineError> {
            panic!("head exploded")
        }
        fn pooled_hashes(&self) -> Result<Vec<bttc_engine_api::H256>, EngineError> {
            Err(EngineError::Storage("disk gone".into()))
        }
    }

    fn one(body: &str) -> Value {
        handle_body(&Faulty, body.as_bytes(), 4).unwrap()
    }

    #[test]
    fn a_panicking_engine_becomes_an_internal_error() {
        let r = one(r#"{"jsonrpc":"2.0","id":7,"method":"bttc_head","params":[]}"#);
        assert_eq!(r["id"], 7);
        assert_eq!(r["error"]["code"], code::INTERNAL_ERROR);
        assert!(r["error"]["message"].as_str().unwrap().contains("panicked"));
    }

    #[test]
    fn framing_errors_get_their_codes() {
        assert_eq!(one("{").get("error").unwrap()["code"], code::PARSE_ERROR);
        assert_eq!(one("[]")["error"]["code"], code::INVALID_REQUEST);
        assert_eq!(one("5")["error"]["code"], code::INVALID_REQUEST);
        assert_eq!(
            one(r#"{"jsonrpc":"1.0","id":1,"method":"bttc_head"}"#)["error"]["code"],
            code::INVALID_REQUEST
        );
        assert_eq!(
            one(r#"{"jsonrpc":"2.0","id":{},"method":"bttc_head"}"#)["error"]["code"],
            code::INVALID_REQUEST
        );
        assert_eq!(
            one(r#"{"jsonrpc":"2.0","id":1,"method":3}"#)["error"]["code"],
            code::INVALID_REQUEST
        );
        assert_eq!(
            one(r#"{"jsonrpc":"2.0","id":1,"method":"bttc_head","params":{}}"#)["error"]["code"],
            code::INVALID_PARAMS
        );
        let too_many = one(r#"[1,2,3,4,5]"#);
        assert!(too_many["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 4"));
    }

    #[test]
    fn params_are_checked_by_position_with_names() {
        let r = one(r#"{"jsonrpc":"2.0","id":"a","method":"engine_getPayload","params":[]}"#);
        assert_eq!(r["id"], "a");
        assert_eq!(r["error"]["code"], code::INVALID_PARAMS);
        assert!(r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("payloadId"));
        let r = one(r#"{"jsonrpc":"2.0","id":1,"method":"engine_getPayload","params":["0x01"]}"#);
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("param 0 (payloadId)") && msg.contains("8 bytes"),
            "{msg}"
        );
        let r = one(
            r#"{"jsonrpc":"2.0","id":1,"method":"engine_forkchoiceUpdated","params":[{"headBlockHash":"0x00"}]}"#,
        );
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(msg.contains("param 0 (forkchoiceState)"), "{msg}");
    }

    #[test]
    fn engine_errors_keep_their_codes_and_notifications_get_no_answer() {
        let zero = H256::ZERO;
        let fcu = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"engine_forkchoiceUpdated","params":[{{"headBlockHash":"{zero}","safeBlockHash":"{zero}","finalizedBlockHash":"{zero}"}},null]}}"#
        );
        let r = one(&fcu);
        assert_eq!(r["error"]["code"], code::INTERNAL_ERROR);
        assert_eq!(r["error"]["data"]["kind"], "storage");
        let r = one(
            r#"{"jsonrpc":"2.0","id":1,"method":"engine_getPayload","params":["0x0102030405060708"]}"#,
        );
        assert_eq!(r["error"]["code"], code::UNKNOWN_PAYLOAD);
        assert!(handle_body(
            &Faulty,
            br#"{"jsonrpc":"2.0","method":"bttc_checkTx","params":["0x00"]}"#,
            4
        )
        .is_none());
        let batch = one(
            r#"[{"jsonrpc":"2.0","method":"bttc_checkTx","params":["0x00"]},
                {"jsonrpc":"2.0","id":2,"method":"engine_exchangeCapabilities","params":[[]]},
                {"jsonrpc":"2.0","id":3,"method":"nope"}]"#,
        );
        let arr = batch.as_array().unwrap();
        assert_eq!(arr.len(), 2);
        assert_eq!(arr[0]["id"], 2);
        assert_eq!(
            arr[0]["result"].as_array().unwrap().len(),
            CAPABILITIES.len()
        );
        assert_eq!(arr[1]["error"]["code"], code::METHOD_NOT_FOUND);
    }
}
