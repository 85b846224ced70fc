//! JSON-RPC errors, with geth's codes and messages.
//!
//! | code | when |
//! |---|---|
//! | -32602 | undecodable parameters or raw transaction, bad percentiles, contradictory overrides |
//! | -32000 | a refused transaction (geth's messages), a missing block or historical state, a call that halts |
//! | -32005 | a log query over too many blocks or matching too many logs |
//! | 3 | `execution reverted: <reason>` from `eth_call` / `eth_estimateGas`, `data` = the revert bytes |
//! | -32603 | the engine or its store failed |

use alloy_primitives::{Bytes, U256};
use bttc_engine_api::EngineError;
use bttc_engine_executor::{CallError, QueryError};
use jsonrpsee::types::ErrorObjectOwned;

/// Invalid params.
pub const INVALID_PARAMS: i32 = -32602;
/// Server error (geth's code for refused transactions and failed calls).
pub const SERVER_ERROR: i32 = -32000;
/// Limit exceeded (EIP-1474).
pub const LIMIT_EXCEEDED: i32 = -32005;
/// Internal error.
pub const INTERNAL_ERROR: i32 = -32603;
/// Execution reverted (geth).
pub const EXECUTION_REVERTED: i32 = 3;

/// An error object without data.
pub fn err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned::<()>(code, message.into(), None)
}

/// Invalid params.
pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    err(INVALID_PARAMS, message)
}

/// Server error.
pub fn server(message: impl Into<String>) -> ErrorObjectOwned {
    err(SERVER_ERROR, message)
}

/// The engine failed.
pub fn engine(e: EngineError) -> ErrorObjectOwned {
    match e {
        EngineError::Storage(_) | EngineError::Internal(_) | EngineError::Transport(_) => {
            err(INTERNAL_ERROR, e.to_string())
        }
        other => server(other.to_string()),
    }
}

/// A read query failed.
pub fn query(e: QueryError) -> ErrorObjectOwned {
    match e {
        QueryError::Engine(e) => engine(e),
        QueryError::TooManyLogs(_) => err(LIMIT_EXCEEDED, e.to_string()),
        QueryError::HistoricalState(_) | QueryError::UnknownBlock(_) => server(e.to_string()),
    }
}

/// `execution reverted[: reason]` with code 3 and the revert bytes as data.
pub fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let message = match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(output.to_string()))
}

/// A call or estimate failed.
pub fn call(e: CallError) -> ErrorObjectOwned {
    match e {
        CallError::Reverted { output } => reverted(&output),
        CallError::InvalidOverride(m) => invalid_params(m),
        CallError::InvalidTransaction(m) | CallError::Halted(m) => server(m),
        CallError::Query(q) => query(q),
    }
}

const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

fn word(data: &[u8], at: usize) -> Option<U256> {
    let end = at.checked_add(32)?;
    data.get(at..end).map(U256::from_be_slice)
}

/// The reason of a Solidity `Error(string)` or `Panic(uint256)` revert, as geth words it.
pub fn decode_revert_reason(output: &[u8]) -> Option<String> {
    let selector = output.get(..4)?;
    let body = output.get(4..)?;
    if selector == ERROR_SELECTOR {
        let offset: usize = word(body, 0)?.try_into().ok()?;
        let len: usize = word(body, offset)?.try_into().ok()?;
        let start = offset.checked_add(32)?;
        let bytes = body.get(start..start.checked_add(len)?)?;
        return String::from_utf8(bytes.to_vec()).ok();
    }
    if selector == PANIC_SELECTOR {
        let code = word(body, 0)?;
        let text = match code.try_into().unwrap_or(u64::MAX) {
            0x00 => "generic panic",
            0x01 => "assert(false)",
            0x11 => "arithmetic underflow or overflow",
            0x12 => "division or modulo by zero",
            0x21 => "enum overflow",
            0x22 => "invalid encoded storage byte array accessed",
            0x31 => "out-of-bounds array access; popping on an empty array",
            0x32 => "out-of-bounds access of an array or bytesN",
            0x41 => "out of memory",
            0x51 => "uninitialized function",
            _ => return Some(format!("unknown panic code: {code:#x}")),
        };
        return Some(text.to_string());
    }
    None
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    fn error_string(s: &str) -> Vec<u8> {
        let mut v = ERROR_SELECTOR.to_vec();
        v.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        v.extend_from_slice(&U256::from(s.len()).to_be_bytes::<32>());
        let mut data = s.as_bytes().to_vec();
        data.resize(s.len().div_ceil(32) * 32, 0);
        v.extend_from_slice(&data);
        v
    }

    #[test]
    fn decodes_error_string_and_panic() {
        assert_eq!(
            decode_revert_reason(&error_string("boom")).as_deref(),
            Some("boom")
        );
        let mut panic = PANIC_SELECTOR.to_vec();
        panic.extend_from_slice(&U256::from(0x11).to_be_bytes::<32>());
        assert_eq!(
            decode_revert_reason(&panic).as_deref(),
            Some("arithmetic underflow or overflow")
        );
        assert_eq!(decode_revert_reason(&[]), None);
        assert_eq!(decode_revert_reason(&[1, 2, 3, 4, 5]), None);
        // Truncated: the length points past the end.
        let mut bad = error_string("boom");
        bad.truncate(4 + 64 + 2);
        bad[4 + 63] = 200;
        assert_eq!(decode_revert_reason(&bad), None);
    }

    #[test]
    fn reverted_carries_code_3_and_data() {
        let out = Bytes::from(error_string("boom"));
        let e = reverted(&out);
        assert_eq!(e.code(), 3);
        assert_eq!(e.message(), "execution reverted: boom");
        let data = e.data().unwrap().get();
        assert_eq!(data, format!("\"{out}\""));
    }
}
