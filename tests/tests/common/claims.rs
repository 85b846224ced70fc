//! Helpers for tests that send and inspect side-transaction claims (root-chain events) on a
//! [`super::BttcNet`] with dev root chains: Delivery queries through the conductor's
//! `abci_query`, side messages signed as a validator's signer and broadcast with
//! `broadcast_tx_sync`, the NO votes the nodes log, and root-chain transactions (deposits,
//! raw sends, fast receipt polling).

use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall as _;
use base64::Engine as _;
use bttc_engine_contracts::abi::{IRootChainManager, IERC20};
use delivery_tests::comet_rpc;
use serde_json::{json, Value};

use super::{dev_account, eth, quantity, send_call, try_eth, BttcNet, RootChain};

/// The StateSender's event.
pub const STATE_SYNCED: &str = "StateSynced(uint256,address,bytes)";
/// The chain id `BttcNet` gives Delivery.
pub const DELIVERY_CHAIN_ID: &str = "bttc-e2e-1";

// ---------------------------------------------------------------------------------------------
// Delivery state

/// `custom/<path>` through the conductor's abci_query: the JSON answer, or `None` on an error
/// code (e.g. "no such record").
pub fn abci(net: &BttcNet, path: &str) -> Option<Value> {
    let r = tokio::task::block_in_place(|| {
        comet_rpc(
            &net.conductor_url,
            "abci_query",
            &format!("path=%22{path}%22"),
        )
    })
    .unwrap();
    let resp = &r["response"];
    if resp["code"].as_u64().unwrap_or(0) != 0 {
        return None;
    }
    let value = base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap_or(""))
        .unwrap();
    Some(serde_json::from_slice(&value).unwrap())
}

/// `0x` hex in a JSON answer, as bytes.
pub fn hex_field(v: &Value) -> Vec<u8> {
    alloy_primitives::hex::decode(
        v.as_str()
            .unwrap_or_else(|| panic!("not a hex string: {v}")),
    )
    .unwrap()
}

/// A `0x` address in a JSON answer.
pub fn addr(v: &Value) -> Address {
    v.as_str()
        .unwrap_or_else(|| panic!("not an address: {v}"))
        .parse()
        .unwrap()
}

/// A JSON number, or a decimal string.
pub fn num(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The last root id recorded for `chain` (0 before any).
pub fn last_root_id(net: &BttcNet, chain: &str) -> u64 {
    abci(net, &format!("custom/clerk/last-root/{chain}"))
        .map(|v| v["last_root_id"].as_u64().unwrap())
        .unwrap_or(0)
}

/// The latest global clerk id.
pub fn latest_id(net: &BttcNet) -> u64 {
    abci(net, "custom/clerk/latest-id").unwrap()["latest_id"]
        .as_u64()
        .unwrap()
}

/// The clerk record of `chain`'s StateSynced `root_id`, if recorded.
pub fn record_by_root(net: &BttcNet, chain: &str, root_id: u64) -> Option<Value> {
    abci(net, &format!("custom/clerk/by-root/{chain}/{root_id}"))
}

/// Waits for the clerk record of `chain`'s StateSynced `root_id`.
pub async fn wait_record(net: &BttcNet, chain: &str, root_id: u64, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(r) = record_by_root(net, chain, root_id) {
            return r;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!(
                "no clerk record of {chain} StateSynced {root_id} after {} Delivery blocks (last \
                 root id {})",
                net.conductor.height(),
                last_root_id(net, chain)
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `custom/staking/validator/<id>`.
pub fn validator(net: &BttcNet, id: u64) -> Value {
    abci(net, &format!("custom/staking/validator/{id}"))
        .unwrap_or_else(|| panic!("no validator {id}"))
}

/// Whether Delivery applied the root event (`custom/rootchain/applied/...`).
pub fn is_applied(net: &BttcNet, event: &delivery_rootchain::RootEvent) -> bool {
    let v = abci(
        net,
        &format!(
            "custom/rootchain/applied/{}/{}/{}",
            event.root_chain, event.block_number, event.log_index
        ),
    )
    .unwrap_or_else(|| panic!("no answer on whether {event:?} is applied"));
    v["applied"].as_bool().unwrap()
}

/// Waits until the conductor has committed `blocks` more Delivery blocks.
pub async fn wait_blocks(net: &BttcNet, blocks: u64) {
    let target = net.conductor.height() + blocks;
    let deadline = Instant::now() + Duration::from_secs(30);
    while net.conductor.height() < target {
        assert!(
            Instant::now() < deadline,
            "Delivery stuck at height {} (waiting for {target})",
            net.conductor.height()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Side messages

/// A `broadcast_tx_sync` answer: the CheckTx result of the serving node.
#[derive(Debug, Clone)]
pub struct CheckTx {
    pub code: u64,
    pub codespace: String,
    pub log: String,
    /// The transaction hash, upper-case hex (as deliveryd logs it).
    pub hash: String,
}

impl CheckTx {
    /// Accepted into the mempool.
    pub fn accepted(&self) -> bool {
        self.code == 0
    }
}

/// Signs side messages as validator `i`'s signer (the key its bridge signs with) and
/// broadcasts them; keeps the account's next sequence, corrected from a sequence-mismatch
/// refusal (that node's relay signs with the same account).
pub struct SideSender {
    key: delivery_module::SecretKey,
    account_number: u64,
    sequence: u64,
    fee: u128,
}

impl SideSender {
    /// Reads the account and the fee once (CLI queries: do this before a time-critical send).
    pub fn new(net: &BttcNet, i: usize) -> Self {
        let key = delivery_module::SecretKey::from_hex(&net.signer_keys[i]).unwrap();
        let account = net.query(&["account", &key.address().to_string()]);
        let params = net.query(&["params", "auth"]);
        let fee: u128 = params["min_fee"]
            .as_str()
            .map(|s| s.parse().unwrap())
            .or_else(|| params["min_fee"].as_u64().map(u128::from))
            .unwrap_or_else(|| panic!("no min_fee in {params}"));
        Self {
            account_number: num(&account["account_number"]),
            sequence: num(&account["sequence"]),
            key,
            fee,
        }
    }

    /// The signer's `0x` address (a message's `from`).
    pub fn from(&self) -> String {
        self.key.address().to_string()
    }

    /// Signs `msg` and broadcasts it: the CheckTx answer (with a wrong sequence, retried with
    /// the one the mempool expects).
    pub fn send(&mut self, net: &BttcNet, msg: delivery_auth::AnyMsg) -> CheckTx {
        for _ in 0..5 {
            let tx = delivery_auth::build_signed_tx(
                &self.key,
                &delivery_auth::SignerData {
                    chain_id: DELIVERY_CHAIN_ID.into(),
                    account_number: self.account_number,
                    sequence: self.sequence,
                },
                std::slice::from_ref(&msg),
                self.fee,
                200_000,
                "e2e claim",
            );
            let r = tokio::task::block_in_place(|| {
                comet_rpc(
                    &net.conductor_url,
                    "broadcast_tx_sync",
                    &format!("tx=0x{}", hex::encode(&tx)),
                )
            })
            .unwrap();
            let out = CheckTx {
                code: r["code"].as_u64().unwrap_or(0),
                codespace: r["codespace"].as_str().unwrap_or("").to_string(),
                log: r["log"].as_str().unwrap_or("").to_string(),
                hash: r["hash"].as_str().unwrap().to_uppercase(),
            };
            let sdk = delivery_module::error::sdk::CODESPACE;
            let wrong_sequence = u64::from(delivery_module::error::sdk::WRONG_SEQUENCE);
            if out.codespace == sdk && out.code == wrong_sequence {
                // "account sequence mismatch for X: expected N, got M"
                self.sequence = out
                    .log
                    .split("expected ")
                    .nth(1)
                    .and_then(|r| {
                        r.chars()
                            .take_while(char::is_ascii_digit)
                            .collect::<String>()
                            .parse()
                            .ok()
                    })
                    .unwrap_or_else(|| panic!("no expected sequence in {out:?}"));
                continue;
            }
            if out.accepted() {
                self.sequence += 1;
            }
            return out;
        }
        panic!("the account sequence of {} never matched", self.from());
    }
}

/// Signs and broadcasts `msg` as validator `i`'s signer.
pub fn send_side_msg(net: &BttcNet, i: usize, msg: delivery_auth::AnyMsg) -> CheckTx {
    SideSender::new(net, i).send(net, msg)
}

/// How many nodes logged a NO vote on the side transaction `hash` (upper-case hex) whose
/// reason contains `reason` ("" for any reason).
pub fn nodes_voting_no_because(net: &BttcNet, hash: &str, reason: &str) -> usize {
    net.homes
        .iter()
        .filter(|h| {
            std::fs::read_to_string(h.join("deliveryd.log"))
                .unwrap_or_default()
                .lines()
                .any(|l| {
                    l.contains("side tx claim is false: NO")
                        && l.contains(hash)
                        && l.contains(reason)
                })
        })
        .count()
}

/// The reasons the nodes logged for their NO votes on `hash` (upper-case hex), one per node
/// that voted NO.
pub fn no_vote_reasons(net: &BttcNet, hash: &str) -> Vec<String> {
    net.homes
        .iter()
        .filter_map(|h| {
            std::fs::read_to_string(h.join("deliveryd.log"))
                .unwrap_or_default()
                .lines()
                .find(|l| l.contains("side tx claim is false: NO") && l.contains(hash))
                .and_then(|l| l.split("side tx claim is false: NO: ").nth(1))
                .map(str::to_owned)
        })
        .collect()
}

/// How many nodes logged a NO vote on the side transaction `hash` (upper-case hex).
pub fn nodes_voting_no(net: &BttcNet, hash: &str) -> usize {
    nodes_voting_no_because(net, hash, "")
}

/// How many nodes logged a YES vote on the side transaction `hash` (upper-case hex).
pub fn nodes_voting_yes(net: &BttcNet, hash: &str) -> usize {
    net.homes
        .iter()
        .filter(|h| {
            std::fs::read_to_string(h.join("deliveryd.log"))
                .unwrap_or_default()
                .lines()
                .any(|l| l.contains("side tx verified: YES") && l.contains(hash))
        })
        .count()
}

/// Waits until at least `min` nodes voted NO on `hash` for `reason`.
pub async fn wait_no_votes(net: &BttcNet, what: &str, hash: &str, reason: &str, min: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = nodes_voting_no_because(net, hash, reason);
        if n >= min {
            return;
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!(
                "{what}: {n} node(s) voted NO on {hash} with a reason naming {reason:?}, \
                 expected {min} (YES from {})",
                nodes_voting_yes(net, hash)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Root chains

/// The dev root chain of `kind` (`tron` or `eth`).
pub fn root_chain<'a>(net: &'a BttcNet, kind: &str) -> &'a RootChain {
    net.root_chains
        .iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} root chain"))
}

/// A contract address in a root chain's root-contracts.json.
pub fn contract(chain: &RootChain, name: &str) -> Address {
    addr(&chain.contracts["contracts"][name]["address"])
}

/// The root chain's head block.
pub fn head(url: &str) -> u64 {
    quantity(&eth(url, "eth_blockNumber", json!([])))
}

/// The next nonce of `address` (pending transactions included).
pub fn next_nonce(url: &str, address: Address) -> u64 {
    quantity(&eth(
        url,
        "eth_getTransactionCount",
        json!([format!("{address:#x}"), "pending"]),
    ))
}

/// Signs and sends an EIP-1559 transaction with an explicit nonce; returns its hash (not
/// waiting for it to be mined).
pub fn send_tx(
    chain: &RootChain,
    key: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Vec<u8>,
    gas_limit: u64,
) -> String {
    let tx = TxEip1559 {
        chain_id: chain.chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value,
        input: input.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = format!(
        "0x{}",
        alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    );
    eth(&chain.url, "eth_sendRawTransaction", json!([raw]))
        .as_str()
        .unwrap()
        .to_string()
}

/// Polls for the receipt of `hash` every `every` (which must succeed).
pub async fn wait_receipt(chain: &RootChain, hash: &str, every: Duration) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = try_eth(&chain.url, "eth_getTransactionReceipt", json!([hash])) {
            if !r.is_null() {
                assert_eq!(r["status"], "0x1", "transaction {hash} failed: {r}");
                return r;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no receipt for {hash} on {}",
            chain.kind
        );
        tokio::time::sleep(every).await;
    }
}

/// Waits until the root chain's head is at least `block`.
pub async fn wait_head(chain: &RootChain, block: u64, every: Duration) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = head(&chain.url);
        if h >= block {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "{} head {h}, waiting for {block}",
            chain.kind
        );
        tokio::time::sleep(every).await;
    }
}

/// The receipt's logs whose topic 0 is `signature`'s hash.
pub fn logs_of<'a>(receipt: &'a Value, signature: &str) -> Vec<&'a Value> {
    let topic0 = format!("{:#x}", alloy_primitives::keccak256(signature));
    receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["topics"][0] == topic0.as_str())
        .collect()
}

/// The receipt's one StateSynced log.
pub fn state_synced_log(receipt: &Value) -> Value {
    let logs = logs_of(receipt, STATE_SYNCED);
    assert_eq!(logs.len(), 1, "one StateSynced expected in {receipt}");
    logs[0].clone()
}

/// The root event a receipt log is.
pub fn root_event(chain: &str, log: &Value) -> delivery_rootchain::RootEvent {
    delivery_rootchain::RootEvent {
        root_chain: chain.into(),
        tx_hash: hex_field(&log["transactionHash"]),
        block_number: quantity(&log["blockNumber"]),
        log_index: quantity(&log["logIndex"]),
    }
}

/// The `MsgEventRecord` that truly claims a StateSynced `log` of root chain `chain`: id and
/// contract from the topics, the synced bytes from the ABI-encoded data.
pub fn event_record(from: &str, chain: &str, log: &Value) -> delivery_clerk::MsgEventRecord {
    let id = U256::from_be_slice(&hex_field(&log["topics"][1]));
    let contract = hex_field(&log["topics"][2])[12..].to_vec();
    let abi = hex_field(&log["data"]);
    let len = U256::from_be_slice(&abi[32..64]).to::<usize>();
    delivery_clerk::MsgEventRecord {
        from: from.into(),
        event: Some(root_event(chain, log)),
        id: id.to::<u64>(),
        contract,
        data: abi[64..64 + len].to_vec(),
    }
}

/// Approves the eth chain's ERC20Predicate for `amount` of the TestToken from dev account 1
/// (waits for it) and sends `RootChainManager.depositFor(receiver)` (does not wait); returns
/// the deposit's transaction hash.
pub async fn send_deposit(net: &BttcNet, receiver: Address, amount: u64) -> String {
    let eth_chain = root_chain(net, "eth");
    let (token, predicate, manager) = (
        contract(eth_chain, "test_token"),
        contract(eth_chain, "erc20_predicate"),
        contract(eth_chain, "root_chain_manager"),
    );
    let depositor = dev_account(1);
    let amount = U256::from(amount);
    send_call(
        &eth_chain.url,
        eth_chain.chain_id,
        &depositor,
        token,
        IERC20::approveCall {
            spender: predicate,
            value: amount,
        }
        .abi_encode(),
    )
    .await;
    let nonce = next_nonce(&eth_chain.url, depositor.address());
    send_tx(
        eth_chain,
        &depositor,
        nonce,
        TxKind::Call(manager),
        U256::ZERO,
        IRootChainManager::depositForCall {
            user: receiver,
            rootToken: token,
            depositData: amount.to_be_bytes::<32>().to_vec().into(),
        }
        .abi_encode(),
        1_000_000,
    )
}

/// A deposit on the eth chain (approve, then `depositFor(receiver)`); returns the StateSynced
/// log, whose synced bytes are checked to be the deposit payload.
pub async fn deposit(net: &BttcNet, receiver: Address, amount: u64) -> Value {
    let hash = send_deposit(net, receiver, amount).await;
    let eth_chain = root_chain(net, "eth");
    let receipt = wait_receipt(eth_chain, &hash, Duration::from_millis(200)).await;
    let log = state_synced_log(&receipt);
    let data = event_record("", "eth", &log).data;
    let expected = bttc_engine_contracts::deposit_payload(
        eth_chain.chain_id,
        receiver,
        contract(eth_chain, "test_token"),
        U256::from(amount),
    );
    assert_eq!(data, expected.to_vec(), "the deposit's StateSynced data");
    log
}

/// What became of the side transaction `hash` (upper-case hex) once in a block: the type of its
/// `side_tx.*` event (`side_tx.rejected`: not more than 2/3 YES; `side_tx.applied`;
/// `side_tx.failed`: the post-handler refused it), or `refused in block: <codespace>/<code>`
/// when the block's checks refused it (nothing pending then).
pub async fn side_tx_outcome(net: &BttcNet, hash: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let lower = hash.to_lowercase();
    let height = loop {
        let found = tokio::task::block_in_place(|| {
            comet_rpc(&net.conductor_url, "tx", &format!("hash=0x{hash}"))
        });
        if let Ok(v) = found {
            let result = &v["tx_result"];
            let code = result["code"].as_u64().unwrap_or(0);
            if code != 0 {
                return format!(
                    "refused in block: {}/{code}: {}",
                    result["codespace"].as_str().unwrap_or(""),
                    result["log"].as_str().unwrap_or("")
                );
            }
            break num(&v["height"]);
        }
        if Instant::now() >= deadline {
            net.dump_logs();
            panic!("side tx {hash} not in a block within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for h in height..=height + 3 {
        while net.conductor.height() < h {
            assert!(Instant::now() < deadline, "Delivery stuck below {h}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let results = tokio::task::block_in_place(|| {
            comet_rpc(&net.conductor_url, "block_results", &format!("height={h}"))
        })
        .unwrap();
        let events = results["finalize_block_events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for e in events {
            let kind = e["type"].as_str().unwrap_or("");
            let ours = e["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["key"] == "tx_hash" && a["value"] == lower.as_str());
            if ours && kind.starts_with("side_tx.") {
                return kind.to_string();
            }
        }
    }
    panic!("side tx {hash} (block {height}) was never resolved in the 3 blocks after it");
}
