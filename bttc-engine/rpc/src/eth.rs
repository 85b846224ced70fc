//! The `eth_*`, `net_*` and `web3_*` methods.

use std::collections::BTreeSet;
use std::sync::Arc;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U128, U256, U64};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{
    Block, FeeHistory, Filter, FilterBlockOption, Log as RpcLog, Transaction, TransactionReceipt,
    TransactionRequest,
};
use bttc_engine_api::{Engine, TxCheck, TxRejectKind};
use bttc_engine_executor::{BlockSelector, InProcessEngine, QueryError};
use jsonrpsee::core::RpcResult;
use jsonrpsee::server::RegisterMethodError;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::RpcModule;

use crate::error::{self, err, invalid_params, server, LIMIT_EXCEEDED};
use crate::filters::Kind;
use crate::{convert, params, relay, Ctx, TxSink};

type Module = RpcModule<Ctx>;

fn blocking<R>(
    m: &mut Module,
    name: &'static str,
    f: fn(&Ctx, Params<'_>) -> RpcResult<R>,
) -> Result<(), RegisterMethodError>
where
    R: serde::Serialize + Clone + Send + 'static,
{
    m.register_blocking_method(name, move |p, ctx, _| f(&ctx, p))?;
    Ok(())
}

/// A method that does not touch the engine: runs on the connection's task.
fn quick<R>(
    m: &mut Module,
    name: &'static str,
    f: fn(&Ctx, Params<'_>) -> RpcResult<R>,
) -> Result<(), RegisterMethodError>
where
    R: serde::Serialize + Clone + Send + 'static,
{
    m.register_method(name, move |p, ctx, _| f(ctx, p))?;
    Ok(())
}

pub(crate) fn register(m: &mut Module) -> Result<(), RegisterMethodError> {
    quick(m, "web3_clientVersion", |_, _| {
        Ok(format!("bttc/v{}", env!("CARGO_PKG_VERSION")))
    })?;
    quick(m, "eth_chainId", |ctx, _| Ok(U64::from(ctx.chain_id)))?;
    quick(m, "net_version", |ctx, _| Ok(ctx.chain_id.to_string()))?;
    quick(m, "net_listening", |_, _| Ok(true))?;
    quick(m, "eth_syncing", |_, _| Ok(false))?;
    quick(m, "eth_accounts", |_, _| Ok(Vec::<Address>::new()))?;
    blocking(m, "eth_blockNumber", block_number)?;
    blocking(m, "eth_getBlockByNumber", get_block_by_number)?;
    blocking(m, "eth_getBlockByHash", get_block_by_hash)?;
    blocking(
        m,
        "eth_getBlockTransactionCountByNumber",
        tx_count_by_number,
    )?;
    blocking(m, "eth_getBlockTransactionCountByHash", tx_count_by_hash)?;
    blocking(
        m,
        "eth_getTransactionByBlockNumberAndIndex",
        tx_by_number_and_index,
    )?;
    blocking(
        m,
        "eth_getTransactionByBlockHashAndIndex",
        tx_by_hash_and_index,
    )?;
    blocking(m, "eth_getBlockReceipts", get_block_receipts)?;
    blocking(m, "eth_getBalance", get_balance)?;
    blocking(m, "eth_getCode", get_code)?;
    blocking(m, "eth_getStorageAt", get_storage_at)?;
    blocking(m, "eth_getTransactionCount", get_transaction_count)?;
    blocking(m, "eth_gasPrice", gas_price)?;
    quick(m, "eth_maxPriorityFeePerGas", max_priority_fee)?;
    blocking(m, "eth_feeHistory", fee_history)?;
    blocking(m, "eth_call", call)?;
    blocking(m, "eth_estimateGas", estimate_gas)?;
    blocking(m, "eth_getTransactionByHash", get_transaction_by_hash)?;
    blocking(m, "eth_getTransactionReceipt", get_transaction_receipt)?;
    blocking(m, "eth_getLogs", get_logs)?;
    blocking(m, "eth_newFilter", new_filter)?;
    blocking(m, "eth_newBlockFilter", new_block_filter)?;
    blocking(m, "eth_newPendingTransactionFilter", new_pending_tx_filter)?;
    blocking(m, "eth_getFilterChanges", get_filter_changes)?;
    blocking(m, "eth_getFilterLogs", get_filter_logs)?;
    blocking(m, "eth_uninstallFilter", uninstall_filter)?;
    m.register_async_method("eth_sendRawTransaction", |p, ctx, _| async move {
        send_raw_transaction(ctx, p).await
    })?;
    Ok(())
}

fn q<T>(r: Result<T, QueryError>) -> RpcResult<T> {
    r.map_err(error::query)
}

fn head(ctx: &Ctx) -> RpcResult<u64> {
    ctx.engine.head_number().map_err(error::engine)
}

fn block_number(ctx: &Ctx, _: Params<'_>) -> RpcResult<U64> {
    head(ctx).map(U64::from)
}

fn get_block(ctx: &Ctx, sel: BlockSelector, full: bool) -> RpcResult<Option<Block>> {
    Ok(q(ctx.engine.block(sel))?.map(|b| convert::block(b, full)))
}

fn get_block_by_number(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Block>> {
    let mut seq = p.sequence();
    let tag: BlockNumberOrTag = seq.next()?;
    let full: Option<bool> = seq.optional_next()?;
    get_block(ctx, params::tag(tag), full.unwrap_or(false))
}

fn get_block_by_hash(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Block>> {
    let mut seq = p.sequence();
    let hash: B256 = seq.next()?;
    let full: Option<bool> = seq.optional_next()?;
    get_block(ctx, BlockSelector::Hash(hash), full.unwrap_or(false))
}

fn tx_count_by_number(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<U64>> {
    let tag: BlockNumberOrTag = p.one()?;
    Ok(q(ctx.engine.block_tx_count(params::tag(tag)))?.map(U64::from))
}

fn tx_count_by_hash(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<U64>> {
    let hash: B256 = p.one()?;
    Ok(q(ctx.engine.block_tx_count(BlockSelector::Hash(hash)))?.map(U64::from))
}

fn tx_at(ctx: &Ctx, sel: BlockSelector, index: U64) -> RpcResult<Option<Transaction>> {
    let Some(block) = q(ctx.engine.block(sel))? else {
        return Ok(None);
    };
    let Ok(i) = usize::try_from(index.to::<u64>()) else {
        return Ok(None);
    };
    let Some(tx) = block.transactions.get(i) else {
        return Ok(None);
    };
    let loc = bttc_engine_executor::TxLocation {
        block_hash: block.hash,
        block_number: block.header.number,
        block_timestamp: block.header.timestamp,
        base_fee: block.header.base_fee_per_gas,
        index: index.to::<u64>(),
    };
    Ok(Some(convert::transaction(tx, Some(&loc))))
}

fn tx_by_number_and_index(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Transaction>> {
    let mut seq = p.sequence();
    let tag: BlockNumberOrTag = seq.next()?;
    let index: U64 = seq.next()?;
    tx_at(ctx, params::tag(tag), index)
}

fn tx_by_hash_and_index(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Transaction>> {
    let mut seq = p.sequence();
    let hash: B256 = seq.next()?;
    let index: U64 = seq.next()?;
    tx_at(ctx, BlockSelector::Hash(hash), index)
}

fn get_block_receipts(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Vec<TransactionReceipt>>> {
    let id: BlockId = p.one()?;
    Ok(q(ctx.engine.block_receipts(params::block_id(Some(id))))?
        .map(|rs| rs.iter().map(convert::receipt).collect()))
}

fn address_and_block(p: Params<'_>) -> RpcResult<(Address, BlockSelector)> {
    let mut seq = p.sequence();
    let address: Address = seq.next()?;
    let block: Option<BlockId> = seq.optional_next()?;
    Ok((address, params::block_id(block)))
}

fn get_balance(ctx: &Ctx, p: Params<'_>) -> RpcResult<U256> {
    let (address, sel) = address_and_block(p)?;
    Ok(q(ctx.engine.account_at(address, sel))?.0)
}

fn get_code(ctx: &Ctx, p: Params<'_>) -> RpcResult<Bytes> {
    let (address, sel) = address_and_block(p)?;
    Ok(q(ctx.engine.account_at(address, sel))?.2)
}

fn get_storage_at(ctx: &Ctx, p: Params<'_>) -> RpcResult<B256> {
    let mut seq = p.sequence();
    let address: Address = seq.next()?;
    let slot: U256 = seq.next()?;
    let block: Option<BlockId> = seq.optional_next()?;
    let v = q(ctx
        .engine
        .storage_slot(address, slot, params::block_id(block)))?;
    Ok(B256::from(v.to_be_bytes::<32>()))
}

fn get_transaction_count(ctx: &Ctx, p: Params<'_>) -> RpcResult<U64> {
    let (address, sel) = address_and_block(p)?;
    Ok(U64::from(q(ctx.engine.nonce_at(address, sel))?))
}

fn gas_price(ctx: &Ctx, _: Params<'_>) -> RpcResult<U128> {
    let base = ctx.engine.next_base_fee().map_err(error::engine)?;
    Ok(U128::from(
        u128::from(base).saturating_add(ctx.config.suggested_priority_fee),
    ))
}

fn max_priority_fee(ctx: &Ctx, _: Params<'_>) -> RpcResult<U128> {
    Ok(U128::from(ctx.config.suggested_priority_fee))
}

/// Tips paid in a block at the given percentiles of gas used (geth's method: transactions sorted
/// by tip, each weighted by its gas used).
fn rewards(
    receipts: &[bttc_engine_executor::ReceiptView],
    base_fee: u64,
    gas_used: u64,
    percentiles: &[f64],
) -> Vec<u128> {
    let mut tips: Vec<(u128, u64)> = receipts
        .iter()
        .filter(|r| r.gas_used > 0)
        .map(|r| {
            (
                r.effective_gas_price.saturating_sub(u128::from(base_fee)),
                r.gas_used,
            )
        })
        .collect();
    if tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    tips.sort_unstable();
    let mut out = Vec::with_capacity(percentiles.len());
    let mut idx = 0usize;
    let mut cumulative = tips.first().map_or(0, |t| t.1);
    for p in percentiles {
        let threshold = (gas_used as f64 * p / 100.0) as u64;
        while cumulative < threshold && idx.saturating_add(1) < tips.len() {
            idx = idx.saturating_add(1);
            cumulative = cumulative.saturating_add(tips.get(idx).map_or(0, |t| t.1));
        }
        out.push(tips.get(idx).map_or(0, |t| t.0));
    }
    out
}

fn fee_history(ctx: &Ctx, p: Params<'_>) -> RpcResult<FeeHistory> {
    let mut seq = p.sequence();
    let count: serde_json::Value = seq.next()?;
    let count = params::block_count(&count)?;
    let newest: BlockNumberOrTag = seq.next()?;
    let percentiles: Option<Vec<f64>> = seq.optional_next()?;
    if let Some(ps) = &percentiles {
        let mut prev = 0.0f64;
        for (i, p) in ps.iter().enumerate() {
            if !(0.0..=100.0).contains(p) || (i > 0 && *p < prev) {
                return Err(invalid_params(format!(
                    "reward percentiles must be increasing values in [0, 100], found {ps:?}"
                )));
            }
            prev = *p;
        }
    }
    let count = count.min(ctx.config.max_fee_history_blocks);
    let Some((newest_n, _)) = q(ctx.engine.resolve_block(params::tag(newest)))? else {
        return Err(server(format!("block {newest} not found")));
    };
    if count == 0 {
        return Ok(FeeHistory {
            oldest_block: newest_n,
            ..FeeHistory::default()
        });
    }
    let oldest = newest_n.saturating_sub(count.saturating_sub(1));
    let mut out = FeeHistory {
        oldest_block: oldest,
        reward: percentiles.as_ref().map(|_| Vec::new()),
        ..FeeHistory::default()
    };
    let mut next_base = 0u64;
    for n in oldest..=newest_n {
        let Some((_, header)) = q(ctx.engine.header(BlockSelector::Number(n)))? else {
            return Err(server(format!("block {n} not found")));
        };
        let base = header.base_fee_per_gas.unwrap_or(0);
        out.base_fee_per_gas.push(u128::from(base));
        out.gas_used_ratio.push(if header.gas_limit == 0 {
            0.0
        } else {
            header.gas_used as f64 / header.gas_limit as f64
        });
        if let (Some(ps), Some(rows)) = (&percentiles, out.reward.as_mut()) {
            let receipts =
                q(ctx.engine.block_receipts(BlockSelector::Number(n)))?.unwrap_or_else(Vec::new);
            rows.push(rewards(&receipts, base, header.gas_used, ps));
        }
        next_base = ctx
            .engine
            .base_fee_after(header.gas_used, header.gas_limit, base)
            .map_err(error::engine)?;
    }
    out.base_fee_per_gas.push(u128::from(next_base));
    Ok(out)
}

type CallParams = (
    bttc_engine_executor::CallRequest,
    BlockSelector,
    bttc_engine_executor::StateOverrides,
);

fn call_params(p: Params<'_>) -> RpcResult<CallParams> {
    let mut seq = p.sequence();
    let req: TransactionRequest = seq.next()?;
    let block: Option<BlockId> = seq.optional_next()?;
    let overrides: Option<StateOverride> = seq.optional_next()?;
    Ok((
        params::call_request(req)?,
        params::block_id(block),
        params::overrides(overrides)?,
    ))
}

fn call(ctx: &Ctx, p: Params<'_>) -> RpcResult<Bytes> {
    let (req, sel, overrides) = call_params(p)?;
    match ctx
        .engine
        .call(&req, &overrides, sel)
        .map_err(error::call)?
    {
        bttc_engine_executor::CallOutcome::Success { output, .. } => Ok(output),
        bttc_engine_executor::CallOutcome::Revert { output, .. } => Err(error::reverted(&output)),
        bttc_engine_executor::CallOutcome::Halt { reason, .. } => Err(server(reason)),
    }
}

fn estimate_gas(ctx: &Ctx, p: Params<'_>) -> RpcResult<U64> {
    let (req, sel, overrides) = call_params(p)?;
    ctx.engine
        .estimate_gas(&req, &overrides, sel)
        .map(U64::from)
        .map_err(error::call)
}

fn get_transaction_by_hash(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<Transaction>> {
    let hash: B256 = p.one()?;
    Ok(q(ctx.engine.transaction(hash))?.map(|t| convert::lookup(&t)))
}

fn get_transaction_receipt(ctx: &Ctx, p: Params<'_>) -> RpcResult<Option<TransactionReceipt>> {
    let hash: B256 = p.one()?;
    Ok(q(ctx.engine.receipt(hash))?.map(|r| convert::receipt(&r)))
}

/// The blocks a filter covers, resolved against the head.
enum Range {
    Hash(B256),
    Blocks(u64, u64),
    Empty,
}

fn resolve_number(tag: Option<&BlockNumberOrTag>, head: u64) -> u64 {
    match tag {
        Some(BlockNumberOrTag::Number(n)) => *n,
        Some(BlockNumberOrTag::Earliest) => 0,
        _ => head,
    }
}

fn resolve_range(ctx: &Ctx, f: &Filter) -> RpcResult<Range> {
    match &f.block_option {
        FilterBlockOption::AtBlockHash(h) => Ok(Range::Hash(*h)),
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            // As geth: only two explicit numbers in the wrong order are an error; a range
            // that starts past the head (e.g. `fromBlock` ahead of `latest`) is empty.
            if let (Some(BlockNumberOrTag::Number(a)), Some(BlockNumberOrTag::Number(b))) =
                (from_block, to_block)
            {
                if a > b {
                    return Err(invalid_params(format!(
                        "invalid block range params: fromBlock {a} is after toBlock {b}"
                    )));
                }
            }
            let head = head(ctx)?;
            let from = resolve_number(from_block.as_ref(), head);
            let to = resolve_number(to_block.as_ref(), head);
            if from > to || from > head {
                return Ok(Range::Empty);
            }
            let to = to.min(head);
            let span = to.saturating_sub(from).saturating_add(1);
            if span > ctx.config.max_logs_block_range {
                return Err(err(
                    LIMIT_EXCEEDED,
                    format!(
                        "block range too large: {span} blocks ({from} to {to}), the limit is {}",
                        ctx.config.max_logs_block_range
                    ),
                ));
            }
            Ok(Range::Blocks(from, to))
        }
    }
}

fn logs_for(ctx: &Ctx, f: &Filter) -> RpcResult<Vec<RpcLog>> {
    let lf = params::log_filter(f);
    let views = match resolve_range(ctx, f)? {
        Range::Empty => Vec::new(),
        Range::Hash(h) => match q(ctx.engine.logs_at(h, &lf))? {
            Some(v) => v,
            None => return Err(server(format!("unknown block {h}"))),
        },
        Range::Blocks(from, to) => {
            q(ctx
                .engine
                .logs(from, to, &lf, ctx.config.max_logs_per_query))?
        }
    };
    Ok(views.iter().map(convert::log).collect())
}

fn get_logs(ctx: &Ctx, p: Params<'_>) -> RpcResult<Vec<RpcLog>> {
    let f: Filter = p.one()?;
    logs_for(ctx, &f)
}

fn install(ctx: &Ctx, kind: Kind) -> RpcResult<String> {
    let mut filters = ctx
        .filters
        .lock()
        .map_err(|_| err(error::INTERNAL_ERROR, "filter table lock poisoned"))?;
    filters.install(kind).ok_or_else(|| {
        err(
            LIMIT_EXCEEDED,
            format!(
                "too many filters installed (limit {}); uninstall some or let them expire",
                ctx.config.max_filters
            ),
        )
    })
}

fn new_filter(ctx: &Ctx, p: Params<'_>) -> RpcResult<String> {
    let f: Filter = p.one()?;
    if let FilterBlockOption::Range {
        from_block: Some(BlockNumberOrTag::Number(a)),
        to_block: Some(BlockNumberOrTag::Number(b)),
    } = &f.block_option
    {
        if a > b {
            return Err(invalid_params(format!(
                "invalid block range params: fromBlock {a} is after toBlock {b}"
            )));
        }
    }
    let next = head(ctx)?.saturating_add(1);
    install(
        ctx,
        Kind::Logs {
            filter: Box::new(f),
            next,
        },
    )
}

fn new_block_filter(ctx: &Ctx, _: Params<'_>) -> RpcResult<String> {
    let next = head(ctx)?.saturating_add(1);
    install(ctx, Kind::Blocks { next })
}

fn new_pending_tx_filter(ctx: &Ctx, _: Params<'_>) -> RpcResult<String> {
    let seen = q(ctx.engine.pool_transaction_hashes())?
        .into_iter()
        .collect();
    install(ctx, Kind::PendingTx { seen })
}

fn filter_not_found(id: &str) -> ErrorObjectOwned {
    server(format!("filter {id} not found (expired or uninstalled)"))
}

fn poll(ctx: &Ctx, id: &str) -> RpcResult<Kind> {
    ctx.filters
        .lock()
        .map_err(|_| err(error::INTERNAL_ERROR, "filter table lock poisoned"))?
        .poll(id)
        .ok_or_else(|| filter_not_found(id))
}

fn get_filter_changes(ctx: &Ctx, p: Params<'_>) -> RpcResult<serde_json::Value> {
    let id: String = p.one()?;
    let kind = poll(ctx, &id)?;
    let head = head(ctx)?;
    let max_span = ctx.config.max_logs_block_range.max(1);
    let (value, kind) = match kind {
        Kind::Blocks { next } => {
            let to = head.min(next.saturating_add(max_span).saturating_sub(1));
            let mut hashes = Vec::new();
            let mut n = next;
            while n <= to {
                if let Some((_, h)) = q(ctx.engine.resolve_block(BlockSelector::Number(n)))? {
                    hashes.push(h);
                }
                n = n.saturating_add(1);
            }
            (
                serde_json::to_value(hashes),
                Kind::Blocks { next: n.max(next) },
            )
        }
        Kind::Logs { filter, next } => {
            let last = match filter.block_option.get_to_block() {
                Some(BlockNumberOrTag::Number(t)) => (*t).min(head),
                _ => head,
            };
            let to = last.min(next.saturating_add(max_span).saturating_sub(1));
            let logs = if next <= to {
                let lf = params::log_filter(&filter);
                q(ctx
                    .engine
                    .logs(next, to, &lf, ctx.config.max_logs_per_query))?
            } else {
                Vec::new()
            };
            let rpc: Vec<RpcLog> = logs.iter().map(convert::log).collect();
            let next = if next <= to {
                to.saturating_add(1)
            } else {
                next
            };
            (serde_json::to_value(rpc), Kind::Logs { filter, next })
        }
        Kind::PendingTx { seen } => {
            let now: BTreeSet<B256> = q(ctx.engine.pool_transaction_hashes())?
                .into_iter()
                .collect();
            let new: Vec<B256> = now.difference(&seen).copied().collect();
            (serde_json::to_value(new), Kind::PendingTx { seen: now })
        }
    };
    ctx.filters
        .lock()
        .map_err(|_| err(error::INTERNAL_ERROR, "filter table lock poisoned"))?
        .update(&id, kind);
    value.map_err(|e| err(error::INTERNAL_ERROR, e.to_string()))
}

fn get_filter_logs(ctx: &Ctx, p: Params<'_>) -> RpcResult<Vec<RpcLog>> {
    let id: String = p.one()?;
    match poll(ctx, &id)? {
        Kind::Logs { filter, .. } => logs_for(ctx, &filter),
        _ => Err(server(format!("filter {id} is not a log filter"))),
    }
}

fn uninstall_filter(ctx: &Ctx, p: Params<'_>) -> RpcResult<bool> {
    let id: String = p.one()?;
    Ok(ctx
        .filters
        .lock()
        .map_err(|_| err(error::INTERNAL_ERROR, "filter table lock poisoned"))?
        .remove(&id))
}

/// A geth-like error for a transaction `check_tx` refused.
fn rejection(
    engine: &InProcessEngine,
    raw: &[u8],
    kind: TxRejectKind,
    message: &str,
) -> ErrorObjectOwned {
    let decoded = {
        let mut buf = raw;
        TxEnvelope::decode_2718(&mut buf)
            .ok()
            .and_then(|tx| tx.recover_signer().ok().map(|s| (tx, s)))
    };
    let state_nonce = |sender: Address| engine.nonce_at(sender, BlockSelector::Latest).ok();
    match kind {
        TxRejectKind::Malformed => invalid_params(format!("invalid transaction: {message}")),
        TxRejectKind::UnsupportedType => {
            server(format!("transaction type not supported: {message}"))
        }
        TxRejectKind::WrongChainId => server(format!("invalid chain id: {message}")),
        TxRejectKind::Oversized => server(format!("oversized data: {message}")),
        TxRejectKind::NonceTooLow => match decoded
            .as_ref()
            .and_then(|(tx, s)| Some((tx.nonce(), state_nonce(*s)?)))
        {
            Some((n, next)) => server(format!("nonce too low: next nonce {next}, tx nonce {n}")),
            None => server(format!("nonce too low: {message}")),
        },
        TxRejectKind::NonceGap => match decoded.as_ref().and_then(|(tx, s)| {
            let pending = engine.nonce_at(*s, BlockSelector::Pending).ok()?;
            Some((tx.nonce(), pending))
        }) {
            Some((n, next)) => server(format!(
                "nonce too high: next nonce {next}, tx nonce {n} ({message})"
            )),
            None => server(format!("nonce too high: {message}")),
        },
        TxRejectKind::InsufficientFunds => server(format!(
            "insufficient funds for gas * price + value: {message}"
        )),
        TxRejectKind::IntrinsicGasTooLow => server(format!("intrinsic gas too low: {message}")),
        TxRejectKind::GasLimitTooHigh => server(format!("exceeds block gas limit: {message}")),
        TxRejectKind::FeeTooLow => server(format!("transaction underpriced: {message}")),
        TxRejectKind::ReplacementNotAllowed => {
            server(format!("replacement transaction underpriced: {message}"))
        }
        TxRejectKind::PoolFull => server(format!("txpool is full: {message}")),
    }
}

async fn send_raw_transaction(ctx: Arc<Ctx>, p: Params<'static>) -> RpcResult<B256> {
    let raw: Bytes = p.one().map_err(|e| {
        invalid_params(format!(
            "expected one hex string with the raw transaction: {}",
            e.message()
        ))
    })?;
    let c = Arc::clone(&ctx);
    let bytes = raw.clone();
    let checked = tokio::task::spawn_blocking(move || match c.engine.check_tx(&bytes) {
        Ok(TxCheck::Accepted(a)) => Ok(B256::from(a.hash.0)),
        Ok(TxCheck::Rejected { kind, message }) => {
            Err(rejection(&c.engine, &bytes, kind, &message))
        }
        Err(e) => Err(error::engine(e)),
    })
    .await
    .map_err(|e| err(error::INTERNAL_ERROR, format!("check_tx task failed: {e}")))?;
    let hash = checked?;
    if let TxSink::Relay { url } = &ctx.config.sink {
        relay::broadcast(&ctx.http, url, &raw).await?;
    }
    Ok(hash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bttc_engine_executor::ReceiptView;

    fn r(price: u128, gas: u64) -> ReceiptView {
        ReceiptView {
            tx_hash: B256::ZERO,
            tx_index: 0,
            block_hash: B256::ZERO,
            block_number: 1,
            tx_type: 2,
            success: true,
            cumulative_gas_used: 0,
            gas_used: gas,
            effective_gas_price: price,
            from: Address::ZERO,
            to: None,
            contract_address: None,
            logs_bloom: Default::default(),
            logs: vec![],
        }
    }

    #[test]
    fn rewards_are_gas_weighted_percentiles_of_tips() {
        // base fee 10; tips 1 (21k gas), 5 (79k gas).
        let rs = [r(15, 79_000), r(11, 21_000)];
        assert_eq!(
            rewards(&rs, 10, 100_000, &[0.0, 20.0, 50.0, 100.0]),
            vec![1, 1, 5, 5]
        );
        assert_eq!(rewards(&[], 10, 0, &[50.0]), vec![0]);
    }
}
