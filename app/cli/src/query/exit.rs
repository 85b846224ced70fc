//! `deliveryd query exit-payload <burn tx hash> --root-chain <name>`: the exit payload of a
//! `ChildERC20.withdraw` burn on BTTC, for `RootChainManager.exit(bytes)` on that root chain
//! (`docs/exits.md`).
//!
//! From the BTTC engine's Ethereum JSON-RPC (`--bttc-rpc`): the burn's receipt, its block and
//! every receipt of the block (the block's synthetic state-sync receipt, which is not in the
//! receipts trie, left out). From Delivery: its record of the block (the receipts root the
//! receipts must give: otherwise the RPC serves another chain), the registry entry of the root
//! chain, and the checkpoint covering the block with the block's Merkle proof
//! (`custom/checkpoint/block-proof/<chain>/<block>`). The receipt proof is built here
//! ([`bttc_engine_contracts::exit`]), and the block proof is checked again against the
//! checkpoint's root with the root contracts' rules before anything is printed.

use alloy_consensus::ReceiptEnvelope;
use alloy_primitives::{keccak256, Log, B256, U256};
use alloy_rpc_types_eth::TransactionReceipt;
use anyhow::{bail, Context as _};
use bttc_engine_contracts::exit::{self, Burn, ExitPayload};
use delivery_app::chain::BttcBlock;
use delivery_app::query::BlockProofAnswer;
use delivery_rootchain::RootChainConfig;
use serde::Serialize;
use serde_json::json;

use super::clerk::chain_name;
use super::render::{self, view};
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// `query exit-payload` arguments.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ExitPayloadArgs {
    /// The burn transaction's hash on BTTC (`0x` + 64 hex digits): a `ChildERC20.withdraw`.
    pub tx_hash: String,
    /// The root chain to exit on (its registry name: `eth`, `tron`, …): the chain of the root
    /// token whose child token was burnt.
    #[arg(long)]
    pub root_chain: String,
    /// The BTTC engine's Ethereum JSON-RPC (`bttc start --http-addr`), e.g.
    /// `http://127.0.0.1:8545`. app.toml has no such address, so it must be given.
    #[arg(long)]
    pub bttc_rpc: Option<String>,
    /// Which burn of the transaction: its position among the receipt's logs (not the
    /// block-wide log index). Needed only when the transaction burns more than once.
    #[arg(long)]
    pub log_index: Option<u64>,
}

/// What the command prints (`--output json` prints it as is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitReport {
    /// `exit(bytes inputData)`'s argument, `0x` hex.
    pub payload: String,
    /// The key `exit` records the burn under (`processedExits(exit_key)`), `0x` hex.
    pub exit_key: String,
    /// The root chain.
    pub root_chain: String,
    /// Its RootChainManager (the chain's own address form), which `exit` is sent to.
    pub root_chain_manager: String,
    /// The checkpoint covering the block (the payload's `headerBlockId`).
    pub checkpoint_number: u64,
    /// Its first block.
    pub checkpoint_start: u64,
    /// Its last block.
    pub checkpoint_end: u64,
    /// True when the checkpoint is Delivery's final buffered one, not acked yet: the exit
    /// works once the root chain has accepted it.
    pub from_buffer: bool,
    /// The burn's BTTC block.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: String,
    /// The burn transaction.
    pub tx_hash: String,
    /// Its index in the block.
    pub tx_index: u64,
    /// The burn's position among the receipt's logs.
    pub log_index: u64,
    /// The child token burnt.
    pub token: String,
    /// The burner (who receives the root tokens).
    pub burner: String,
    /// The amount burnt (decimal, the token's base units).
    pub amount: String,
}

/// Everything the payload is built from, fetched (see [`run`]) and then checked by [`build`].
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The transaction hash asked for.
    pub tx_hash: B256,
    /// Its receipt, from the BTTC RPC.
    pub receipt: TransactionReceipt,
    /// The block's hash and number of signed transactions, from the BTTC RPC.
    pub block_hash: B256,
    /// How many signed transactions the block has.
    pub tx_count: u64,
    /// Every receipt of the block, from the BTTC RPC (a synthetic state-sync one included).
    pub block_receipts: Vec<TransactionReceipt>,
    /// Delivery's record of the block.
    pub record: BttcBlock,
    /// The registry's entry of the root chain.
    pub root_chain: RootChainConfig,
    /// The checkpoint proof Delivery answered.
    pub proof: BlockProofAnswer,
    /// `--log-index`.
    pub log_index: Option<u64>,
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses a transaction hash.
pub fn parse_tx_hash(text: &str) -> anyhow::Result<B256> {
    let digits = text.trim().strip_prefix("0x").unwrap_or(text.trim());
    let bytes = hex::decode(digits).ok().filter(|b| b.len() == 32);
    match bytes {
        Some(b) => Ok(B256::from_slice(&b)),
        None => bail!(
            "transaction hash {:?}: expected 0x + 64 hex digits",
            text.chars().take(80).collect::<String>()
        ),
    }
}

fn primitive(receipt: &TransactionReceipt) -> ReceiptEnvelope<Log> {
    receipt.inner.clone().into_primitives_receipt()
}

/// The burn the payload is for: the only one, or the one at `--log-index`.
pub fn pick_burn(burns: &[Burn], log_index: Option<u64>, tx: &B256) -> anyhow::Result<Burn> {
    let list = || {
        burns
            .iter()
            .map(|b| format!("{} ({} of {})", b.log_index, b.amount, b.token))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (burns, log_index) {
        ([], _) => bail!(
            "transaction {tx} burnt nothing: its receipt has no Transfer(from, 0x0, amount) log \
             with a non-zero amount (a burn is ChildERC20.withdraw(amount))"
        ),
        ([only], None) => Ok(*only),
        (_, None) => bail!(
            "transaction {tx} burns {} times (logs {}): say which with --log-index",
            burns.len(),
            list()
        ),
        (_, Some(i)) => burns
            .iter()
            .find(|b| b.log_index == i)
            .copied()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "log {i} of transaction {tx} is not a burn; its burns are at logs {}",
                    list()
                )
            }),
    }
}

/// Checks the inputs against each other and builds the payload.
pub fn build(inputs: &Inputs) -> anyhow::Result<ExitReport> {
    let tx = inputs.tx_hash;
    let receipt = &inputs.receipt;
    if receipt.transaction_hash != tx {
        bail!(
            "the BTTC RPC answered the receipt of {} when asked for {tx}",
            receipt.transaction_hash
        );
    }
    if !receipt.status() {
        bail!("transaction {tx} failed on BTTC (status 0): it burnt nothing, there is nothing to exit");
    }
    let burn = pick_burn(
        &exit::receipt_burns(&primitive(receipt)),
        inputs.log_index,
        &tx,
    )?;
    let number = receipt
        .block_number
        .context("the receipt has no block number (pending?)")?;
    let record = &inputs.record;
    if record.number != number {
        bail!(
            "Delivery's record is of block {}, not of the burn's block {number}",
            record.number
        );
    }
    if record.hash.0 != inputs.block_hash.0 || receipt.block_hash != Some(inputs.block_hash) {
        bail!(
            "the BTTC RPC serves another chain: its block {number} is {} (the receipt says {}), \
             Delivery's final block {number} is {}",
            inputs.block_hash,
            receipt
                .block_hash
                .map_or_else(|| "none".to_string(), |h| h.to_string()),
            hex0x(&record.hash.0)
        );
    }
    let tx_index = receipt
        .transaction_index
        .context("the receipt has no transaction index")?;
    if tx_index >= inputs.tx_count {
        bail!(
            "{tx} is block {number}'s state-sync entry (index {tx_index} of {} transactions), \
             not a transaction: it cannot be exited",
            inputs.tx_count
        );
    }
    // The receipts trie holds the signed transactions' receipts, in order; the synthetic
    // state-sync receipt (index = the transaction count) is not in it.
    let mut receipts: Vec<&TransactionReceipt> = inputs
        .block_receipts
        .iter()
        .filter(|r| r.transaction_index.is_some_and(|i| i < inputs.tx_count))
        .collect();
    receipts.sort_by_key(|r| r.transaction_index);
    let indexes: Vec<u64> = receipts
        .iter()
        .filter_map(|r| r.transaction_index)
        .collect();
    let expected: Vec<u64> = (0..inputs.tx_count).collect();
    if indexes != expected {
        bail!(
            "the BTTC RPC gave {} receipts for block {number} (indexes {indexes:?}); its {} \
             transactions need one each",
            indexes.len(),
            inputs.tx_count
        );
    }
    let ours = receipts
        .iter()
        .find(|r| r.transaction_index == Some(tx_index))
        .map(|r| r.transaction_hash);
    if ours != Some(tx) {
        bail!(
            "the BTTC RPC's receipts of block {number} put another transaction at index {tx_index}"
        );
    }
    let envelopes: Vec<ReceiptEnvelope<Log>> = receipts.iter().map(|r| primitive(r)).collect();
    let receipt_proof = exit::receipt_proof(&envelopes, tx_index)?;
    receipt_proof
        .check_root(B256::from(record.receipts_root.0))
        .map_err(|e| {
            anyhow::anyhow!(
                "receipts root mismatch for block {number}: {e}: the BTTC RPC serves another \
                 chain (or a node that disagrees with Delivery)"
            )
        })?;
    let p = &inputs.proof;
    if p.block.number != number
        || p.block.timestamp != record.timestamp
        || p.block.transactions_root != record.transactions_root.0
        || p.block.receipts_root != record.receipts_root.0
    {
        bail!(
            "the block proof is for block {} with other fields than Delivery's record of block \
             {number}",
            p.block.number
        );
    }
    // The root contracts' rule (RootChain.verifyBlock), independently of Delivery's.
    let leaf = bttc_engine_contracts::checkpoint::block_leaf(
        number,
        record.timestamp,
        B256::from(record.transactions_root.0),
        B256::from(record.receipts_root.0),
    );
    let block_proof: Vec<B256> = p.proof.iter().map(|w| B256::from(w.0)).collect();
    let index = number
        .checked_sub(p.start)
        .context("the checkpoint starts after the block")?;
    if number > p.end
        || !bttc_engine_contracts::checkpoint::verify_proof(
            leaf,
            index,
            B256::from(p.root_hash),
            &block_proof,
        )
    {
        bail!(
            "the block proof Delivery gave does not show block {number} in checkpoint {} \
             ({}..={}, root {})",
            p.checkpoint_number,
            p.start,
            p.end,
            hex0x(&p.root_hash)
        );
    }
    let payload = ExitPayload::new(
        p.checkpoint_number,
        block_proof,
        number,
        record.timestamp,
        B256::from(record.transactions_root.0),
        &receipt_proof,
        burn.log_index,
    );
    let exit_key = payload
        .exit_key()
        .context("the payload's branch mask is not canonical")?;
    Ok(ExitReport {
        payload: hex0x(&payload.encode()),
        exit_key: hex0x(exit_key.as_slice()),
        root_chain: inputs.root_chain.name.clone(),
        root_chain_manager: inputs
            .root_chain
            .display_address(&inputs.root_chain.root_chain_manager),
        checkpoint_number: p.checkpoint_number,
        checkpoint_start: p.start,
        checkpoint_end: p.end,
        from_buffer: p.from_buffer,
        block_number: number,
        block_hash: inputs.block_hash.to_string(),
        tx_hash: tx.to_string(),
        tx_index,
        log_index: burn.log_index,
        token: burn.token.to_string(),
        burner: burn.from.to_string(),
        amount: burn.amount.to_string(),
    })
}

/// The report as labelled lines.
pub fn text(r: &ExitReport) -> String {
    let state = if r.from_buffer {
        "final on Delivery, not acked yet: the exit works once the root chain accepted it"
    } else {
        "acked by the root chain"
    };
    output::fields(&[
        ("root_chain", r.root_chain.clone()),
        ("root_chain_manager", r.root_chain_manager.clone()),
        (
            "checkpoint",
            format!(
                "{} (blocks {}..={}, {state})",
                r.checkpoint_number, r.checkpoint_start, r.checkpoint_end
            ),
        ),
        ("block", format!("{} ({})", r.block_number, r.block_hash)),
        ("tx", format!("{} (index {})", r.tx_hash, r.tx_index)),
        ("log_index", r.log_index.to_string()),
        (
            "burn",
            format!("{} of token {} by {}", r.amount, r.token, r.burner),
        ),
        ("exit_key", r.exit_key.clone()),
        ("payload", r.payload.clone()),
    ])
}

/// Checks that `token` on BTTC is the child of a token of the root chain with `chain_id`
/// (`ChildERC20.rootChainId()`).
fn check_token_chain(
    bttc: &RpcClient,
    token: &str,
    root_chain: &RootChainConfig,
) -> anyhow::Result<()> {
    let selector = keccak256("rootChainId()");
    let data = hex0x(selector.get(..4).unwrap_or_default());
    let answer = bttc
        .call("eth_call", json!([{"to": token, "data": data}, "latest"]))
        .with_context(|| {
            format!("token {token} does not answer rootChainId(): it is not a BTTC child token")
        })?;
    let word = answer
        .as_str()
        .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
        .filter(|b| b.len() == 32)
        .with_context(|| format!("token {token}: rootChainId() answered {answer}"))?;
    let chain_id = U256::from_be_slice(&word);
    if chain_id != U256::from(root_chain.chain_id) {
        bail!(
            "token {token} is the child of a token of root chain id {chain_id}, but {} is chain \
             id {}: exit on the root chain with id {chain_id}",
            root_chain.name,
            root_chain.chain_id
        );
    }
    Ok(())
}

/// Runs `query exit-payload`.
pub fn run(rpc: &RpcClient, format: OutputFormat, args: &ExitPayloadArgs) -> anyhow::Result<()> {
    let tx_hash = parse_tx_hash(&args.tx_hash)?;
    let chain = chain_name(&args.root_chain)?;
    let Some(url) = args.bttc_rpc.as_deref() else {
        bail!(
            "no BTTC RPC: give --bttc-rpc <URL>, the Ethereum JSON-RPC of a BTTC engine (`bttc \
             start --http-addr`, e.g. http://127.0.0.1:8545); app.toml does not name one"
        );
    };
    let bttc = RpcClient::new(url)?;
    let root_path = format!("custom/rootchain/chain/{chain}");
    let root_chain: RootChainConfig = view(&root_path, &render::fetch(rpc, &root_path, 0)?.value)?;

    let receipt = bttc.call("eth_getTransactionReceipt", json!([tx_hash]))?;
    if receipt.is_null() {
        bail!(
            "transaction {tx_hash} is unknown to the BTTC node at {url}: not mined yet, or not a \
             BTTC transaction"
        );
    }
    let receipt: TransactionReceipt = serde_json::from_value(receipt)
        .with_context(|| format!("the receipt of {tx_hash} from {url} is malformed"))?;
    let number = receipt
        .block_number
        .context("the receipt has no block number (pending?)")?;
    if receipt.status() {
        // Say early when the token belongs to another root chain.
        if let Some(burn) = exit::receipt_burns(&primitive(&receipt))
            .into_iter()
            .find(|b| args.log_index.is_none_or(|i| b.log_index == i))
        {
            check_token_chain(&bttc, &burn.token.to_string(), &root_chain)?;
        }
    }

    let answer = rpc.abci_query("custom/bttc/block", number.to_string().as_bytes(), 0, false)?;
    if answer.code != 0 {
        let head = rpc
            .query_json("custom/bttc/head", b"")
            .ok()
            .and_then(|h| h["number"].as_u64())
            .map_or_else(String::new, |h| {
                format!(" (Delivery's final BTTC head is {h})")
            });
        bail!(
            "BTTC block {number} is not final on Delivery yet{head}: {}",
            answer.log
        );
    }
    let record: BttcBlock = serde_json::from_slice(&answer.value)
        .context("Delivery's record of the block is not in the form this deliveryd expects")?;

    let block = bttc.call(
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    )?;
    if block.is_null() {
        bail!("the BTTC node at {url} has no block {number}");
    }
    let block_hash: B256 = serde_json::from_value(block["hash"].clone())
        .with_context(|| format!("block {number} from {url} has no hash"))?;
    let tx_count = block["transactions"]
        .as_array()
        .map(|t| t.len() as u64)
        .with_context(|| format!("block {number} from {url} has no transaction list"))?;
    let receipts = bttc.call("eth_getBlockReceipts", json!([format!("{number:#x}")]))?;
    let block_receipts: Vec<TransactionReceipt> = serde_json::from_value(receipts)
        .with_context(|| format!("the receipts of block {number} from {url} are malformed"))?;

    let proof_path = format!("custom/checkpoint/block-proof/{chain}/{number}");
    let proof: BlockProofAnswer = view(&proof_path, &render::fetch(rpc, &proof_path, 0)?.value)?;

    let report = build(&Inputs {
        tx_hash,
        receipt,
        block_hash,
        tx_count,
        block_receipts,
        record,
        root_chain,
        proof,
        log_index: args.log_index,
    })?;
    output::emit(format, &report, || text(&report))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
    use alloy_primitives::{Address, Bloom, LogData};
    use bttc_engine_api::H256;
    use delivery_app::query::Word;
    use delivery_checkpoint::merkle::{self, Header};

    const BLOCK: u64 = 7;
    const TOKEN: Address = Address::repeat_byte(0xc1);
    const BURNER: Address = Address::repeat_byte(0xb0);

    fn word(a: Address) -> B256 {
        B256::left_padding_from(a.as_slice())
    }

    fn transfer(from: Address, to: Address, amount: u64) -> Log {
        Log {
            address: TOKEN,
            data: LogData::new_unchecked(
                vec![exit::TRANSFER_TOPIC, word(from), word(to)],
                U256::from(amount).to_be_bytes::<32>().to_vec().into(),
            ),
        }
    }

    fn tx_hash(i: u64) -> B256 {
        keccak256(format!("tx {i}"))
    }

    fn block_hash() -> B256 {
        keccak256("block 7")
    }

    /// The receipt of transaction `i` as the RPC serves it (through JSON, like the node's).
    fn rpc_receipt(i: u64, ok: bool, logs: Vec<Log>) -> TransactionReceipt {
        let rpc_logs = logs
            .into_iter()
            .enumerate()
            .map(|(k, inner)| alloy_rpc_types_eth::Log {
                inner,
                block_hash: Some(block_hash()),
                block_number: Some(BLOCK),
                block_timestamp: None,
                transaction_hash: Some(tx_hash(i)),
                transaction_index: Some(i),
                log_index: Some(100 + k as u64),
                removed: false,
            })
            .collect();
        let inner = ReceiptEnvelope::Eip1559(ReceiptWithBloom {
            receipt: Receipt {
                status: Eip658Value::Eip658(ok),
                cumulative_gas_used: 21_000 * (i + 1),
                logs: rpc_logs,
            },
            logs_bloom: Bloom::default(),
        });
        let r = TransactionReceipt {
            inner,
            transaction_hash: tx_hash(i),
            transaction_index: Some(i),
            block_hash: Some(block_hash()),
            block_number: Some(BLOCK),
            gas_used: 21_000,
            effective_gas_price: 1,
            blob_gas_used: None,
            blob_gas_price: None,
            from: BURNER,
            to: Some(TOKEN),
            contract_address: None,
        };
        serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap()
    }

    fn headers(receipts_root: B256) -> Vec<Header> {
        (5..=9u64)
            .map(|n| Header {
                number: n,
                timestamp: 1_000 + n,
                transactions_root: keccak256(format!("txs {n}")).0,
                receipts_root: if n == BLOCK {
                    receipts_root.0
                } else {
                    keccak256(format!("receipts {n}")).0
                },
            })
            .collect()
    }

    /// A block of four transactions; the burn (of 500, log 1 after a plain transfer) is
    /// transaction 2; checkpoint 3 covers blocks 5..=9.
    fn inputs(block_receipts: Vec<TransactionReceipt>) -> Inputs {
        let envelopes: Vec<ReceiptEnvelope<Log>> = block_receipts
            .iter()
            .filter(|r| r.transaction_index.unwrap() < 4)
            .map(primitive)
            .collect();
        let root = exit::receipt_proof(&envelopes, 0).unwrap().receipts_root;
        let headers = headers(root);
        let leaves = merkle::block_leaves(&headers);
        let index = (BLOCK - 5) as usize;
        let h = headers[index];
        Inputs {
            tx_hash: tx_hash(2),
            receipt: block_receipts[2].clone(),
            block_hash: block_hash(),
            tx_count: 4,
            record: BttcBlock {
                number: BLOCK,
                hash: H256(block_hash().0),
                parent_hash: H256([1; 32]),
                timestamp: h.timestamp,
                transactions_root: H256(h.transactions_root),
                receipts_root: H256(h.receipts_root),
                state_root: H256([2; 32]),
                producer: delivery_module::Address([3; 20]),
                delivery_height: 40,
            },
            block_receipts,
            root_chain: RootChainConfig {
                name: "eth".into(),
                kind: delivery_rootchain::RootChainKind::Eth,
                chain_id: 31337,
                stake_manager: None,
                state_sender: [0x11; 20],
                root_chain_manager: [0x12; 20],
                root_chain_contract: Some([0x13; 20]),
                confirmations: 2,
            },
            proof: BlockProofAnswer {
                root_chain: "eth".into(),
                checkpoint_number: 3,
                start: 5,
                end: 9,
                root_hash: merkle::root(&leaves),
                block: h,
                leaf: leaves[index],
                leaf_index: index as u64,
                proof: merkle::proof(&leaves, index)
                    .unwrap()
                    .into_iter()
                    .map(Word)
                    .collect(),
                from_buffer: false,
            },
            log_index: None,
        }
    }

    fn block(burn_logs: Vec<Log>) -> Vec<TransactionReceipt> {
        vec![
            rpc_receipt(0, true, vec![]),
            rpc_receipt(1, true, vec![transfer(BURNER, Address::repeat_byte(9), 3)]),
            rpc_receipt(2, true, burn_logs),
            rpc_receipt(3, false, vec![]),
        ]
    }

    fn standard() -> Inputs {
        inputs(block(vec![
            transfer(BURNER, Address::repeat_byte(9), 1),
            transfer(BURNER, Address::ZERO, 500),
        ]))
    }

    fn error(inputs: &Inputs) -> String {
        build(inputs).unwrap_err().to_string()
    }

    #[test]
    fn a_burn_gets_the_payload_the_contract_reads() {
        let inputs = standard();
        let r = build(&inputs).unwrap();
        assert_eq!((r.block_number, r.tx_index, r.log_index), (BLOCK, 2, 1));
        assert_eq!(r.exit_key, hex0x(exit::exit_key(BLOCK, 2, 1).as_slice()));
        assert_eq!(
            (r.checkpoint_number, r.checkpoint_start, r.checkpoint_end),
            (3, 5, 9)
        );
        assert_eq!(r.amount, "500");
        assert_eq!(r.burner, BURNER.to_string());
        assert_eq!(r.token, TOKEN.to_string());
        assert_eq!(r.root_chain_manager, hex0x(&[0x12; 20]));
        assert!(!r.from_buffer);
        // The payload, field by field (the same encoder, from independently gathered parts).
        let envelopes: Vec<ReceiptEnvelope<Log>> =
            inputs.block_receipts.iter().map(primitive).collect();
        let proof = exit::receipt_proof(&envelopes, 2).unwrap();
        let expected = exit::exit_payload(
            3,
            &inputs
                .proof
                .proof
                .iter()
                .map(|w| B256::from(w.0))
                .collect::<Vec<_>>(),
            BLOCK,
            inputs.record.timestamp,
            B256::from(inputs.record.transactions_root.0),
            B256::from(inputs.record.receipts_root.0),
            &proof.receipt,
            &proof.nodes,
            2,
            1,
        );
        assert_eq!(r.payload, hex0x(&expected));
        let t = text(&r);
        assert!(
            t.contains("checkpoint:") && t.contains("3 (blocks 5..=9, acked"),
            "{t}"
        );
        assert!(t.contains(&r.payload));
    }

    #[test]
    fn the_synthetic_state_sync_receipt_is_left_out_and_cannot_be_exited() {
        let mut receipts = block(vec![transfer(BURNER, Address::ZERO, 500)]);
        receipts.push(rpc_receipt(
            4,
            true,
            vec![transfer(BURNER, Address::ZERO, 9)],
        ));
        let mut inputs = inputs(receipts);
        assert_eq!(build(&inputs).unwrap().log_index, 0);
        inputs.tx_hash = tx_hash(4);
        inputs.receipt = inputs.block_receipts[4].clone();
        assert!(
            error(&inputs).contains("state-sync entry"),
            "{}",
            error(&inputs)
        );
    }

    #[test]
    fn several_burns_need_a_log_index() {
        let mut inputs = inputs(block(vec![
            transfer(BURNER, Address::ZERO, 500),
            transfer(BURNER, Address::repeat_byte(9), 1),
            transfer(BURNER, Address::ZERO, 7),
        ]));
        assert!(
            error(&inputs).contains("burns 2 times (logs 0 (500"),
            "{}",
            error(&inputs)
        );
        inputs.log_index = Some(2);
        let r = build(&inputs).unwrap();
        assert_eq!((r.log_index, r.amount.as_str()), (2, "7"));
        inputs.log_index = Some(1);
        assert!(
            error(&inputs).contains("log 1 of transaction"),
            "{}",
            error(&inputs)
        );
    }

    #[test]
    fn failed_transactions_and_plain_transfers_burn_nothing() {
        let mut inputs = standard();
        inputs.tx_hash = tx_hash(1);
        inputs.receipt = inputs.block_receipts[1].clone();
        assert!(
            error(&inputs).contains("burnt nothing"),
            "{}",
            error(&inputs)
        );
        inputs.tx_hash = tx_hash(3);
        inputs.receipt = inputs.block_receipts[3].clone();
        assert!(
            error(&inputs).contains("failed on BTTC"),
            "{}",
            error(&inputs)
        );
        // A receipt answered for another hash.
        inputs.tx_hash = tx_hash(2);
        assert!(
            error(&inputs).contains("when asked for"),
            "{}",
            error(&inputs)
        );
    }

    #[test]
    fn an_rpc_of_another_chain_is_caught() {
        // Other receipts: their root is not Delivery's.
        let mut inputs = standard();
        let other = block(vec![transfer(BURNER, Address::ZERO, 501)]);
        inputs.block_receipts = other.clone();
        inputs.receipt = other[2].clone();
        let e = error(&inputs);
        assert!(
            e.contains("receipts root mismatch") && e.contains("another chain"),
            "{e}"
        );
        // Another block hash.
        let mut inputs = standard();
        inputs.block_hash = B256::repeat_byte(7);
        assert!(
            error(&inputs).contains("serves another chain"),
            "{}",
            error(&inputs)
        );
        // A receipt missing from the block's.
        let mut inputs = standard();
        inputs.block_receipts.remove(0);
        assert!(
            error(&inputs).contains("need one each"),
            "{}",
            error(&inputs)
        );
    }

    #[test]
    fn a_block_proof_that_does_not_verify_is_refused() {
        let mut inputs = standard();
        inputs.proof.proof[1].0[0] ^= 1;
        assert!(
            error(&inputs).contains("does not show block 7"),
            "{}",
            error(&inputs)
        );
        let mut inputs = standard();
        inputs.proof.block.timestamp += 1;
        assert!(
            error(&inputs).contains("other fields"),
            "{}",
            error(&inputs)
        );
        let mut inputs = standard();
        inputs.proof.start = 8;
        assert!(
            error(&inputs).contains("starts after the block"),
            "{}",
            error(&inputs)
        );
    }

    #[test]
    fn tx_hashes_are_32_bytes_of_hex() {
        let h = tx_hash(1);
        assert_eq!(parse_tx_hash(&h.to_string()).unwrap(), h);
        assert_eq!(parse_tx_hash(&hex::encode(h)).unwrap(), h);
        for bad in ["", "0x", "0x12", "zz", &format!("{h}00")] {
            assert!(parse_tx_hash(bad).is_err(), "{bad}");
        }
    }
}
