//! Parameters: alloy's RPC request types to the engine's query types.

use std::collections::{BTreeMap, BTreeSet};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Bytes, TxKind, B256};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use bttc_engine_executor::{
    AccountOverride, BlockSelector, CallRequest, LogFilter, StateOverrides,
};
use jsonrpsee::types::ErrorObjectOwned;

use crate::error::invalid_params;

/// A block number or tag.
pub fn tag(b: BlockNumberOrTag) -> BlockSelector {
    match b {
        BlockNumberOrTag::Latest => BlockSelector::Latest,
        BlockNumberOrTag::Pending => BlockSelector::Pending,
        BlockNumberOrTag::Earliest => BlockSelector::Earliest,
        BlockNumberOrTag::Safe => BlockSelector::Safe,
        BlockNumberOrTag::Finalized => BlockSelector::Finalized,
        BlockNumberOrTag::Number(n) => BlockSelector::Number(n),
    }
}

/// A block id (number, tag, hash or EIP-1898 object); absent means `latest`.
pub fn block_id(b: Option<BlockId>) -> BlockSelector {
    match b {
        None => BlockSelector::Latest,
        Some(BlockId::Number(n)) => tag(n),
        Some(BlockId::Hash(h)) => BlockSelector::Hash(h.block_hash),
    }
}

/// `blockCount` of `eth_feeHistory`: a JSON integer or a hex (or decimal) string.
pub fn block_count(v: &serde_json::Value) -> Result<u64, ErrorObjectOwned> {
    let parsed = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) if !hex.is_empty() => u64::from_str_radix(hex, 16).ok(),
            Some(_) => None,
            None => s.parse::<u64>().ok(),
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        invalid_params(format!(
            "blockCount must be a non-negative integer or a hex string, found {v}"
        ))
    })
}

/// Call arguments.
pub fn call_request(req: TransactionRequest) -> Result<CallRequest, ErrorObjectOwned> {
    let input = req
        .input
        .try_into_unique_input()
        .map_err(|e| invalid_params(format!("call arguments: {e}")))?;
    let to = match req.to {
        None | Some(TxKind::Create) => None,
        Some(TxKind::Call(a)) => Some(a),
    };
    if req.gas_price.is_some()
        && (req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some())
    {
        return Err(invalid_params(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ));
    }
    Ok(CallRequest {
        from: req.from,
        to,
        gas: req.gas,
        gas_price: req.gas_price,
        max_fee_per_gas: req.max_fee_per_gas,
        max_priority_fee_per_gas: req.max_priority_fee_per_gas,
        value: req.value,
        input: input.unwrap_or_else(Bytes::new),
        access_list: req.access_list,
    })
}

/// State overrides.
pub fn overrides(o: Option<StateOverride>) -> Result<StateOverrides, ErrorObjectOwned> {
    let mut out = BTreeMap::new();
    for (address, a) in o.into_iter().flatten() {
        if a.move_precompile_to.is_some() {
            return Err(invalid_params(format!(
                "account {address}: movePrecompileToAddress is not supported"
            )));
        }
        out.insert(
            address,
            AccountOverride {
                balance: a.balance,
                nonce: a.nonce,
                code: a.code,
                state: a.state.map(|m| m.into_iter().collect()),
                state_diff: a.state_diff.map(|m| m.into_iter().collect()),
            },
        );
    }
    Ok(out)
}

/// The address and topic part of a log filter.
pub fn log_filter(f: &Filter) -> LogFilter {
    let addresses: BTreeSet<_> = f.address.iter().copied().collect();
    let mut topics: Vec<BTreeSet<B256>> = f
        .topics
        .iter()
        .map(|t| t.iter().copied().collect())
        .collect();
    while topics.last().is_some_and(BTreeSet::is_empty) {
        topics.pop();
    }
    LogFilter { addresses, topics }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn block_count_accepts_integers_and_hex() {
        assert_eq!(block_count(&serde_json::json!(4)).unwrap(), 4);
        assert_eq!(block_count(&serde_json::json!("0x4")).unwrap(), 4);
        assert_eq!(block_count(&serde_json::json!("10")).unwrap(), 10);
        assert!(block_count(&serde_json::json!("0x")).is_err());
        assert!(block_count(&serde_json::json!(-1)).is_err());
        assert!(block_count(&serde_json::json!("0xzz")).is_err());
        assert!(block_count(&serde_json::json!(null)).is_err());
    }

    #[test]
    fn filters_parse_one_or_many_addresses_and_null_topics() {
        let f: Filter = serde_json::from_value(serde_json::json!({
            "address": "0x0000000000000000000000000000000000001001",
            "topics": [null, ["0x0000000000000000000000000000000000000000000000000000000000000001",
                              "0x0000000000000000000000000000000000000000000000000000000000000002"]]
        }))
        .unwrap();
        let lf = log_filter(&f);
        assert_eq!(lf.addresses.len(), 1);
        assert_eq!(lf.topics.len(), 2);
        assert!(lf.topics[0].is_empty());
        assert_eq!(lf.topics[1].len(), 2);
    }
}
