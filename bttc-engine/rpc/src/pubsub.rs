//! `eth_subscribe` / `eth_unsubscribe` (WebSocket): `newHeads` and `logs`.
//!
//! Each subscription follows the engine's new-head notifications and delivers every block from
//! the one after the head at subscription time, in order: a notification missed because the
//! subscriber was slow (the channel lagged) is made up from the store, so no block or log is
//! skipped. Logs come from the same `block_logs` path as `eth_getLogs` (state-sync logs
//! included, under the block's synthetic receipt).

use std::sync::Arc;

use alloy_rpc_types_eth::Filter;
use bttc_engine_executor::{BlockSelector, LogFilter};
use jsonrpsee::core::server::{PendingSubscriptionSink, SubscriptionSink};
use jsonrpsee::server::RegisterMethodError;
use jsonrpsee::types::Params;
use jsonrpsee::RpcModule;
use tokio::sync::broadcast::error::RecvError;

use crate::error::invalid_params;
use crate::{convert, params, Ctx};

enum Topic {
    NewHeads,
    Logs(LogFilter),
}

pub(crate) fn register(m: &mut RpcModule<Ctx>) -> Result<(), RegisterMethodError> {
    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |p, pending, ctx, _| async move { subscribe(p, pending, ctx).await },
    )?;
    Ok(())
}

fn parse(p: &Params<'static>) -> Result<Topic, String> {
    let mut seq = p.sequence();
    let kind: String = seq.next().map_err(|e| e.message().to_string())?;
    match kind.as_str() {
        "newHeads" => Ok(Topic::NewHeads),
        "logs" => {
            let f: Option<Filter> = seq.optional_next().map_err(|e| e.message().to_string())?;
            Ok(Topic::Logs(match f {
                Some(f) => params::log_filter(&f),
                None => LogFilter::default(),
            }))
        }
        other => Err(format!(
            "unsupported subscription {other:?}; supported: \"newHeads\", \"logs\""
        )),
    }
}

async fn subscribe(p: Params<'static>, pending: PendingSubscriptionSink, ctx: Arc<Ctx>) {
    let topic = match parse(&p) {
        Ok(t) => t,
        Err(m) => {
            pending.reject(invalid_params(m)).await;
            return;
        }
    };
    // Subscribe to heads before reading the head, so no block falls in between.
    let mut heads = ctx.heads.subscribe();
    let start = match ctx.engine.head_number() {
        Ok(n) => n.saturating_add(1),
        Err(e) => {
            pending.reject(crate::error::engine(e)).await;
            return;
        }
    };
    let Ok(sink) = pending.accept().await else {
        return;
    };
    let mut next = start;
    loop {
        let target = tokio::select! {
            _ = sink.closed() => return,
            r = heads.recv() => match r {
                Ok(h) => h.number,
                Err(RecvError::Lagged(_)) => match ctx.engine.head_number() {
                    Ok(n) => n,
                    Err(_) => return,
                },
                Err(RecvError::Closed) => return,
            },
        };
        while next <= target {
            if deliver(&ctx, &sink, &topic, next).await.is_err() {
                return;
            }
            next = next.saturating_add(1);
        }
    }
}

/// Sends what block `n` holds for the topic; Err when the subscriber is gone or the engine
/// failed (the subscription then ends).
async fn deliver(ctx: &Arc<Ctx>, sink: &SubscriptionSink, topic: &Topic, n: u64) -> Result<(), ()> {
    let c = Arc::clone(ctx);
    let messages: Vec<Box<serde_json::value::RawValue>> = match topic {
        Topic::NewHeads => {
            let header =
                tokio::task::spawn_blocking(move || c.engine.header(BlockSelector::Number(n)))
                    .await
                    .map_err(|_| ())?
                    .map_err(|_| ())?;
            let Some((hash, header)) = header else {
                return Ok(());
            };
            let h = convert::header(hash, header, None);
            vec![serde_json::value::to_raw_value(&h).map_err(|_| ())?]
        }
        Topic::Logs(filter) => {
            let f = filter.clone();
            let logs = tokio::task::spawn_blocking(move || {
                let hash = c.engine.resolve_block(BlockSelector::Number(n))?;
                match hash {
                    Some((_, h)) => c.engine.logs_at(h, &f),
                    None => Ok(None),
                }
            })
            .await
            .map_err(|_| ())?
            .map_err(|_| ())?;
            let mut out = Vec::new();
            for l in logs.iter().flatten() {
                out.push(serde_json::value::to_raw_value(&convert::log(l)).map_err(|_| ())?);
            }
            out
        }
    };
    for m in messages {
        sink.send(m).await.map_err(|_| ())?;
    }
    Ok(())
}
