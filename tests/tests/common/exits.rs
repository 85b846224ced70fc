//! Helpers for withdrawal tests on a [`super::BttcNet`] with dev root chains: ERC-20 balances
//! and reverts through `eth_call`, transactions whose failure is expected, checkpoints brought
//! to a root chain's RootChain (submitted by the test when nobody else does), and the layout
//! of an exit payload.

use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall as _;
use bttc_engine_contracts::abi::IERC20;
use bttc_engine_contracts::checkpoint::IRootChain;
use serde_json::{json, Value};

use super::claims::{abci, contract, hex_field, root_chain};
use super::{dev_account, eth, quantity, try_eth, BttcNet, RootChain};

/// An `eth_call`: `Ok(return data)`, or `Err(revert data)` (empty when the node gave none).
pub fn call(url: &str, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let body: Value = tokio::task::block_in_place(|| {
        reqwest::blocking::Client::new()
            .post(url)
            .json(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [
                    {"to": format!("{to:#x}"), "data": format!("0x{}", hex::encode(data))},
                    "latest"
                ]}),
            )
            .timeout(Duration::from_secs(10))
            .send()
            .unwrap()
            .json()
            .unwrap()
    });
    match (body.get("result"), body.get("error")) {
        (Some(r), _) => Ok(hex_field(r)),
        (None, Some(e)) => Err(e
            .get("data")
            .and_then(Value::as_str)
            .map(|d| hex::decode(d.trim_start_matches("0x")).unwrap())
            .unwrap_or_default()),
        _ => panic!("eth_call to {to:#x} on {url}: neither result nor error: {body}"),
    }
}

/// `token.balanceOf(holder)` on the chain at `url`.
pub fn balance(url: &str, token: Address, holder: Address) -> U256 {
    let out = call(url, token, &IERC20::balanceOfCall { holder }.abi_encode())
        .unwrap_or_else(|e| panic!("balanceOf reverted: 0x{}", hex::encode(e)));
    U256::from_be_slice(&out)
}

/// Waits until `token.balanceOf(holder)` is `amount` on the chain at `url`.
pub async fn wait_balance(net: &BttcNet, url: &str, token: Address, holder: Address, amount: U256) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let b = try_eth(
            url,
            "eth_call",
            json!([{"to": format!("{token:#x}"), "data": format!("0x{}", hex::encode(IERC20::balanceOfCall { holder }.abi_encode()))}, "latest"]),
        )
        .map(|v| U256::from_be_slice(&hex_field(&v)));
        if b == Some(amount) {
            return;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("{token:#x}.balanceOf({holder:#x}) is {b:?} on {url}, expected {amount}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Signs and sends an EIP-1559 transaction from `key` and waits for its receipt, whatever its
/// status.
pub async fn send(
    url: &str,
    chain_id: u64,
    key: &PrivateKeySigner,
    to: Address,
    value: U256,
    input: Vec<u8>,
) -> Value {
    let nonce = quantity(&eth(
        url,
        "eth_getTransactionCount",
        json!([format!("{:#x}", key.address()), "pending"]),
    ));
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 1_000_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value,
        input: input.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = format!(
        "0x{}",
        hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    );
    let hash = eth(url, "eth_sendRawTransaction", json!([raw]));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = try_eth(url, "eth_getTransactionReceipt", json!([hash])) {
            if !r.is_null() {
                return r;
            }
        }
        assert!(Instant::now() < deadline, "no receipt for {hash} on {url}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The RootChain's `currentHeaderBlock()` (checkpoints accepted) on `chain`.
pub fn accepted_checkpoints(chain: &RootChain) -> u64 {
    let out = call(
        &chain.url,
        contract(chain, "root_chain"),
        &IRootChain::currentHeaderBlockCall {}.abi_encode(),
    )
    .unwrap();
    U256::from_be_slice(&out).to::<u64>()
}

/// The RootChain's `headerBlocks(id)`: (root, start, end).
pub fn accepted_checkpoint(chain: &RootChain, id: u64) -> ([u8; 32], u64, u64) {
    let out = call(
        &chain.url,
        contract(chain, "root_chain"),
        &IRootChain::headerBlocksCall {
            headerBlockId: U256::from(id),
        }
        .abi_encode(),
    )
    .unwrap();
    let r = IRootChain::headerBlocksCall::abi_decode_returns(&out).unwrap();
    (r.root.0, r.start.to::<u64>(), r.end.to::<u64>())
}

/// Submits Delivery's final buffered checkpoint of `chain_name` to that root chain's
/// RootChain (`submitCheckpoint(sign_data, sigs)`) from dev account 3, unless the root chain
/// already has it (someone else submitted it). Returns whether this call submitted it.
pub async fn submit_buffer(net: &BttcNet, chain_name: &str, buffer: &Value) -> bool {
    let chain = root_chain(net, chain_name);
    let number = buffer["checkpoint"]["number"].as_u64().unwrap();
    if accepted_checkpoints(chain) >= number {
        return false;
    }
    let sigs = abci(net, &format!("custom/checkpoint/signatures/{chain_name}")).unwrap();
    assert_eq!(sigs["number"].as_u64(), Some(number), "{sigs}");
    let raw: Vec<[u8; 65]> = sigs["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| hex_field(&s["signature"]).try_into().unwrap())
        .collect();
    let hash = alloy_primitives::B256::from_slice(&hex_field(&sigs["sign_hash"]));
    let sigs: Vec<[U256; 3]> = bttc_engine_contracts::checkpoint::submission_sigs(hash, &raw)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let input = IRootChain::submitCheckpointCall {
        data: hex_field(&buffer["sign_data"]).into(),
        sigs,
    }
    .abi_encode();
    let r = send(
        &chain.url,
        chain.chain_id,
        &dev_account(3),
        contract(chain, "root_chain"),
        U256::ZERO,
        input,
    )
    .await;
    // A submitter may have raced us: then the root chain has it all the same.
    assert!(
        accepted_checkpoints(chain) >= number,
        "{chain_name}'s RootChain refused checkpoint {number}: {r}"
    );
    r["status"] == "0x1"
}

/// Brings a checkpoint covering BTTC block `block` to root chain `chain_name`: waits for
/// Delivery to make and finalize checkpoints, submitting each final one the root chain lacks
/// (so checkpoints advance even when no bridge submits them; Delivery must ack each from the
/// root chain's `NewHeaderBlock` before it makes the next). Returns Delivery's
/// `block-proof/<chain>/<block>` answer, whose checkpoint the root chain has accepted.
pub async fn checkpoint_covering(
    net: &BttcNet,
    chain_name: &str,
    block: u64,
    timeout: Duration,
) -> Value {
    let chain = root_chain(net, chain_name);
    let deadline = Instant::now() + timeout;
    let mut submitted: Vec<u64> = Vec::new();
    loop {
        let proof = abci(
            net,
            &format!("custom/checkpoint/block-proof/{chain_name}/{block}"),
        );
        if let Some(p) = &proof {
            let number = p["checkpoint_number"].as_u64().unwrap();
            if accepted_checkpoints(chain) >= number {
                let (root, start, end) = accepted_checkpoint(chain, number);
                assert_eq!(
                    (root.to_vec(), start, end),
                    (
                        hex_field(&p["root_hash"]),
                        p["start"].as_u64().unwrap(),
                        p["end"].as_u64().unwrap()
                    ),
                    "{chain_name}'s checkpoint {number} is not Delivery's"
                );
                eprintln!(
                    "checkpoint {number} ({start}..={end}) covers block {block}; submitted by \
                     this test: {submitted:?}"
                );
                return p.clone();
            }
        }
        let buffer = abci(net, &format!("custom/checkpoint/buffer/{chain_name}"));
        if let Some(b) = buffer.filter(|b| b["is_final"] == true) {
            let number = b["checkpoint"]["number"].as_u64().unwrap();
            if submit_buffer(net, chain_name, &b).await {
                submitted.push(number);
            }
        }
        if Instant::now() >= deadline {
            let count = abci(net, &format!("custom/checkpoint/count/{chain_name}"));
            let buffer = abci(net, &format!("custom/checkpoint/buffer/{chain_name}"));
            net.dump_logs();
            panic!(
                "no checkpoint on {chain_name} covers BTTC block {block} after {timeout:?}: \
                 Delivery's count {count:?}, buffer {buffer:?}; the RootChain accepted {} \
                 (submitted by this test: {submitted:?}). When the root chain holds checkpoints \
                 Delivery has not acked, NewHeaderBlock is not relayed as MsgCheckpointAck.",
                accepted_checkpoints(chain)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The byte range of the payload's receipt proof (field 7: the list of trie nodes), inside
/// the RLP list an exit payload is.
pub fn receipt_proof_range(payload: &[u8]) -> std::ops::Range<usize> {
    /// (offset of the payload, payload length) of the RLP item at `at`.
    fn item(b: &[u8], at: usize) -> (usize, usize) {
        let first = b[at];
        match first {
            0x00..=0x7f => (at, 1),
            0x80..=0xb7 => (at + 1, usize::from(first - 0x80)),
            0xb8..=0xbf => {
                let n = usize::from(first - 0xb7);
                let len = b[at + 1..at + 1 + n]
                    .iter()
                    .fold(0usize, |l, x| (l << 8) | usize::from(*x));
                (at + 1 + n, len)
            }
            0xc0..=0xf7 => (at + 1, usize::from(first - 0xc0)),
            0xf8..=0xff => {
                let n = usize::from(first - 0xf7);
                let len = b[at + 1..at + 1 + n]
                    .iter()
                    .fold(0usize, |l, x| (l << 8) | usize::from(*x));
                (at + 1 + n, len)
            }
        }
    }
    let (mut at, _) = item(payload, 0);
    for _ in 0..7 {
        let (start, len) = item(payload, at);
        at = start + len;
    }
    let (start, len) = item(payload, at);
    start..start + len
}
