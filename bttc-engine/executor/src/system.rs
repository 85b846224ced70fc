//! System calls: Delivery-driven writes into system contracts, made from
//! `0xffff…fffe` with no nonce, no fee and no receipt of their own.
//!
//! The ABI is bor's, so bor-style genesis contracts fit:
//!
//! - `commitSpan(uint256 newSpan, uint256 startBlock, uint256 endBlock, bytes validatorBytes,
//!   bytes producerBytes)` on the ValidatorSet contract at `0x…1000`; each `…Bytes` is the RLP
//!   list of `[id, votingPower, signer]`;
//! - `commitState(uint256 syncTime, bytes recordBytes)` on the StateReceiver contract at
//!   `0x…1001`, once per state-sync record in id order; `recordBytes` is `rlp([id, receiver,
//!   data])` and `syncTime` is the block timestamp.

use alloy_primitives::{address, keccak256, Address, U256};
use alloy_rlp::{Encodable, Header};
use bttc_engine_api::{SpanCommit, SpanValidator, StateSyncRecord};

/// The caller of every system call.
pub const SYSTEM_ADDRESS: Address = address!("0xfffffffffffffffffffffffffffffffffffffffe");
/// The ValidatorSet system contract.
pub const VALIDATOR_SET: Address = address!("0x0000000000000000000000000000000000001000");
/// The StateReceiver system contract.
pub const STATE_RECEIVER: Address = address!("0x0000000000000000000000000000000000001001");

fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    let mut out = [0u8; 4];
    out.copy_from_slice(h.get(..4).unwrap_or(&[0; 4]));
    out
}

fn pad32(len: usize) -> usize {
    len.div_ceil(32).saturating_mul(32)
}

/// ABI-encodes a call with static `uint256` words followed by dynamic `bytes` arguments.
fn abi_call(selector: [u8; 4], words: &[U256], dynamics: &[&[u8]]) -> Vec<u8> {
    let head_len = words
        .len()
        .saturating_add(dynamics.len())
        .saturating_mul(32);
    let mut out = selector.to_vec();
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    let mut offset = head_len;
    for d in dynamics {
        out.extend_from_slice(&U256::from(offset).to_be_bytes::<32>());
        offset = offset.saturating_add(32).saturating_add(pad32(d.len()));
    }
    for d in dynamics {
        out.extend_from_slice(&U256::from(d.len()).to_be_bytes::<32>());
        out.extend_from_slice(d);
        out.resize(
            out.len()
                .saturating_add(pad32(d.len()).saturating_sub(d.len())),
            0,
        );
    }
    out
}

fn rlp_list(items: &[&dyn Encodable]) -> Vec<u8> {
    let payload_length = items.iter().map(|i| i.length()).sum();
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    for i in items {
        i.encode(&mut out);
    }
    out
}

fn validators_rlp(vals: &[SpanValidator]) -> Vec<u8> {
    let encoded: Vec<Vec<u8>> = vals
        .iter()
        .map(|v| {
            let signer = Address::from(v.signer.0);
            rlp_list(&[&v.id, &v.voting_power, &signer])
        })
        .collect();
    let payload_length = encoded.iter().map(Vec::len).sum();
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    for e in encoded {
        out.extend_from_slice(&e);
    }
    out
}

/// Calldata of `commitSpan` for a span.
pub fn commit_span_calldata(span: &SpanCommit) -> Vec<u8> {
    abi_call(
        selector("commitSpan(uint256,uint256,uint256,bytes,bytes)"),
        &[
            U256::from(span.id),
            U256::from(span.start_block),
            U256::from(span.end_block),
        ],
        &[
            &validators_rlp(&span.validators),
            &validators_rlp(&span.producers),
        ],
    )
}

/// Calldata of `commitState` for one record.
pub fn commit_state_calldata(record: &StateSyncRecord, sync_time: u64) -> Vec<u8> {
    let receiver = Address::from(record.receiver.0);
    let data = alloy_primitives::Bytes::copy_from_slice(record.data.as_slice());
    let record_bytes = rlp_list(&[&record.id, &receiver, &data]);
    abi_call(
        selector("commitState(uint256,bytes)"),
        &[U256::from(sync_time)],
        &[&record_bytes],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn commit_state_calldata_is_abi_encoded() {
        let r = StateSyncRecord {
            id: 7,
            receiver: bttc_engine_api::Address([0x11; 20]),
            data: bttc_engine_api::Bytes(vec![0xab, 0xcd]),
        };
        let cd = commit_state_calldata(&r, 100);
        assert_eq!(&cd[..4], &selector("commitState(uint256,bytes)"));
        assert_eq!(U256::from_be_slice(&cd[4..36]), U256::from(100));
        assert_eq!(U256::from_be_slice(&cd[36..68]), U256::from(64)); // offset of bytes
        let len = U256::from_be_slice(&cd[68..100]).to::<usize>();
        // rlp([7, 0x11…11, 0xabcd]) = c0+len, 07, 94 ‖ 20 bytes, 82 ab cd
        assert_eq!(len, 1 + 1 + 21 + 3);
        assert_eq!(cd.len(), 100 + 32);
        assert_eq!(cd[100], 0xc0 + 25);
    }
}
