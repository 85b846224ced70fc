//! Checkpoints in end-to-end tests: a network whose genesis has a short
//! `checkpoint_buffer_time`, and reads of each root chain's RootChain and of Delivery's
//! checkpoint state.

use alloy_primitives::{Address, Bytes, U256};
use bttc_engine_contracts::checkpoint::IRootChain;
use serde_json::{json, Value};

use super::claims::abci;
use super::{eth, BttcNet, RootChain};

impl BttcNet {
    /// Like `start_with_root_chains`, with the genesis checkpoint param
    /// `checkpoint_buffer_time` = `buffer_time` seconds (`deliveryd testnet
    /// --checkpoint-buffer-time`).
    pub async fn start_with_root_chains_and_buffer_time(
        producers: u32,
        block_ms: u64,
        buffer_time: u64,
    ) -> Self {
        let t = buffer_time.to_string();
        Self::start_inner(
            producers,
            block_ms,
            true,
            0,
            &["--checkpoint-buffer-time", t.as_str()],
        )
        .await
    }
}

/// A root chain's RootChain address.
pub fn root_chain_contract(chain: &RootChain) -> Address {
    chain.contracts["contracts"]["root_chain"]["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn call<C: alloy_sol_types::SolCall>(chain: &RootChain, call: &C) -> C::Return {
    let to = root_chain_contract(chain);
    let out = eth(
        &chain.url,
        "eth_call",
        json!([{"to": to, "data": Bytes::from(call.abi_encode())}, "latest"]),
    );
    let bytes: Bytes = out.as_str().unwrap().parse().unwrap();
    C::abi_decode_returns(&bytes).unwrap()
}

/// `currentHeaderBlock()`.
pub fn current_header_block(chain: &RootChain) -> u64 {
    u64::try_from(call(chain, &IRootChain::currentHeaderBlockCall {})).unwrap()
}

/// A header block as the RootChain stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub start: u64,
    pub end: u64,
    pub root: [u8; 32],
    pub proposer: Address,
}

/// `headerBlocks(id)`.
pub fn header_block(chain: &RootChain, id: u64) -> Header {
    let h = call(
        chain,
        &IRootChain::headerBlocksCall {
            headerBlockId: U256::from(id),
        },
    );
    Header {
        start: u64::try_from(h.start).unwrap(),
        end: u64::try_from(h.end).unwrap(),
        root: h.root.0,
        proposer: h.proposer,
    }
}

/// Delivery's checkpoint ack count on `chain` (`custom/checkpoint/count/<chain>`).
pub fn ack_count(net: &BttcNet, chain: &str) -> u64 {
    abci(net, &format!("custom/checkpoint/count/{chain}"))
        .map(|v| v["ack_count"].as_u64().unwrap())
        .unwrap_or(0)
}

/// The buffered checkpoint of `chain` (`null` when none).
pub fn buffer(net: &BttcNet, chain: &str) -> Value {
    abci(net, &format!("custom/checkpoint/buffer/{chain}")).unwrap_or(Value::Null)
}

/// Delivery's committed checkpoint `n` of `chain`.
pub fn committed(net: &BttcNet, chain: &str, n: u64) -> Option<Value> {
    abci(net, &format!("custom/checkpoint/checkpoint/{chain}/{n}"))
}

/// The current checkpoint proposer's signer (lowercase `0x` hex).
pub fn current_proposer(net: &BttcNet) -> String {
    abci(net, "custom/checkpoint/proposer").unwrap()["proposer"]["signer"]
        .as_str()
        .unwrap()
        .to_lowercase()
}
