//! `bttc-loadgen`: sustained EVM load against a BTTC network, with progress output.
//!
//! 1. Derives `--senders` keys (`keccak256("bttc loadgen <i>")`) and funds them from
//!    `--faucet-key` (one transfer each, waited for).
//! 2. Sends signed EIP-1559 transfers at `--tps` for `--duration`, round-robin over senders
//!    and over the `--rpc` endpoints (each relays to Delivery's mempool), at most
//!    `--in-flight` requests at a time. A sender whose tx is refused (pool full, nonce gap)
//!    takes its next nonce from its endpoint's `eth_getTransactionCount(…, "pending")`, as a
//!    wallet does, instead of building on a nonce that never entered the pool.
//! 3. Watches the first endpoint's head: every new block's arrival time and transaction count.
//!
//! Prints progress every 5 s and, at the end, the included transactions per second over the
//! measured window (after `--warmup`), BTTC block intervals (p50, p99, max) and send errors.
// A load generator, not consensus code: wall clock and hash maps are fine.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Counters, timings and percentiles over its own measurements: plain arithmetic is fine here.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::indexing_slicing // windows(2) slices always have two elements
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{keccak256, Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context as _};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(
    name = "bttc-loadgen",
    about = "Sustained EVM transfer load with progress output"
)]
struct Args {
    /// Ethereum JSON-RPC endpoints, comma-separated (the first is also watched for blocks).
    #[arg(long, value_delimiter = ',', required = true)]
    rpc: Vec<String>,
    /// A funded private key (0x hex) that pays the senders.
    #[arg(long)]
    faucet_key: String,
    /// Chain id.
    #[arg(long, default_value_t = 1337)]
    chain_id: u64,
    /// Number of sending accounts.
    #[arg(long, default_value_t = 200)]
    senders: u32,
    /// Target transactions per second.
    #[arg(long, default_value_t = 1000)]
    tps: u32,
    /// How long to send.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Excluded from the figures at the start.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Most requests in flight.
    #[arg(long, default_value_t = 128)]
    in_flight: usize,
}

const GWEI: u128 = 1_000_000_000;

fn sign(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
) -> anyhow::Result<String> {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 200 * GWEI,
        max_priority_fee_per_gas: 2 * GWEI,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    };
    // libsecp256k1 (a few times faster than k256): the load generator shares the machine with
    // the network it measures.
    let secret = secp256k1::SecretKey::from_byte_array(key.to_bytes().0).context("signing key")?;
    let rec = secp256k1::SECP256K1.sign_ecdsa_recoverable(
        secp256k1::Message::from_digest(tx.signature_hash().0),
        &secret,
    );
    let (id, rs) = rec.serialize_compact();
    let sig = alloy_primitives::Signature::from_bytes_and_parity(&rs, i32::from(id) == 1);
    Ok(format!(
        "0x{}",
        alloy_primitives::hex::encode(TxEnvelope::from(tx.into_signed(sig)).encoded_2718())
    ))
}

async fn call(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    let body: Value = client
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .with_context(|| format!("{url} {method}"))?
        .json()
        .await
        .with_context(|| format!("{url} {method}: not JSON"))?;
    if let Some(e) = body.get("error") {
        bail!(
            "{}",
            e.get("message").and_then(Value::as_str).unwrap_or("error")
        );
    }
    body.get("result").cloned().context("no result")
}

fn quantity(v: &Value) -> anyhow::Result<u64> {
    let s = v.as_str().context("not a string")?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).context("not a hex quantity")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or(0.0)
}

#[derive(Default)]
struct Blocks {
    /// (arrival, number, tx count)
    seen: Vec<(Instant, u64, u64)>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(args.in_flight)
        .build()?;
    let faucet: PrivateKeySigner = args.faucet_key.parse().context("--faucet-key")?;
    let senders: Vec<PrivateKeySigner> = (0..args.senders)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(format!("bttc loadgen {i}"))))
        .collect::<Result<_, _>>()
        .context("deriving sender keys")?;
    let rpc0 = args.rpc.first().context("--rpc is empty")?.clone();

    // 1. Fund the senders (10 BTT each), in batches under the pool's per-sender limit.
    eprintln!(
        "funding {} senders from {:?} …",
        senders.len(),
        faucet.address()
    );
    let ten_btt = U256::from(10u128 * 10u128.pow(18));
    let faucet_addr = format!("{:?}", faucet.address());
    for batch in senders.chunks(48) {
        let nonce = quantity(
            &call(
                &client,
                &rpc0,
                "eth_getTransactionCount",
                json!([faucet_addr, "pending"]),
            )
            .await?,
        )?;
        for (k, s) in (0u64..).zip(batch) {
            let raw = sign(&faucet, args.chain_id, nonce + k, s.address(), ten_btt)?;
            call(&client, &rpc0, "eth_sendRawTransaction", json!([raw])).await?;
        }
        let want = nonce + batch.len() as u64;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let n = quantity(
                &call(
                    &client,
                    &rpc0,
                    "eth_getTransactionCount",
                    json!([faucet_addr, "latest"]),
                )
                .await?,
            )?;
            if n >= want {
                break;
            }
            if Instant::now() > deadline {
                bail!("funding txs not included after 120 s ({n} of {want})");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let mut nonces = Vec::with_capacity(senders.len());
    for s in &senders {
        nonces.push(quantity(
            &call(
                &client,
                &rpc0,
                "eth_getTransactionCount",
                json!([format!("{:?}", s.address()), "pending"]),
            )
            .await?,
        )?);
    }
    eprintln!(
        "funded; sending {} tx/s for {} over {} endpoint(s)",
        args.tps,
        humantime::format_duration(args.duration),
        args.rpc.len()
    );

    // 3. Block watcher.
    let blocks = Arc::new(Mutex::new(Blocks::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (client, blocks, stop, rpc0) = (
            client.clone(),
            Arc::clone(&blocks),
            Arc::clone(&stop),
            rpc0.clone(),
        );
        tokio::spawn(async move {
            let mut last = quantity(
                &call(&client, &rpc0, "eth_blockNumber", json!([]))
                    .await
                    .unwrap_or(json!("0x0")),
            )
            .unwrap_or(0);
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(25)).await;
                let Ok(head) = call(&client, &rpc0, "eth_blockNumber", json!([]))
                    .await
                    .and_then(|v| quantity(&v))
                else {
                    continue;
                };
                while last < head {
                    last += 1;
                    let count = call(
                        &client,
                        &rpc0,
                        "eth_getBlockTransactionCountByNumber",
                        json!([format!("0x{last:x}")]),
                    )
                    .await
                    .and_then(|v| quantity(&v))
                    .unwrap_or(0);
                    if let Ok(mut b) = blocks.lock() {
                        b.seen.push((Instant::now(), last, count));
                    }
                }
            }
        })
    };

    // 2. Send.
    let sent = Arc::new(AtomicU64::new(0));
    let errors: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(args.in_flight));
    let begin = Instant::now();
    let tick = Duration::from_millis(10);
    let per_tick = f64::from(args.tps) / 100.0;
    let mut owed = 0.0f64;
    let mut next_sender = 0usize;
    let mut next_rpc = 0usize;
    // Per sender: a nonce fetched after a refusal, taken before its next tx.
    let resync: Arc<Mutex<Vec<Option<u64>>>> = Arc::new(Mutex::new(vec![None; senders.len()]));
    let mut next_report = begin + Duration::from_secs(5);
    let recipient = Address::repeat_byte(0xee);
    let mut interval = tokio::time::interval(tick);
    while begin.elapsed() < args.duration {
        interval.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let i = next_sender % senders.len();
            next_sender += 1;
            let (Some(key), Some(nonce)) = (senders.get(i), nonces.get_mut(i)) else {
                continue;
            };
            if let Some(fresh) = resync
                .lock()
                .ok()
                .and_then(|mut r| r.get_mut(i).and_then(Option::take))
            {
                *nonce = fresh;
            }
            let raw = sign(key, args.chain_id, *nonce, recipient, U256::from(1u64))?;
            *nonce += 1;
            let url = args
                .rpc
                .get(next_rpc % args.rpc.len())
                .cloned()
                .unwrap_or_else(|| rpc0.clone());
            next_rpc += 1;
            let permit = Arc::clone(&permits).acquire_owned().await?;
            let (client, sent, errors) = (client.clone(), Arc::clone(&sent), Arc::clone(&errors));
            let (resync, address) = (Arc::clone(&resync), key.address());
            tokio::spawn(async move {
                match call(&client, &url, "eth_sendRawTransaction", json!([raw])).await {
                    Ok(_) => {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        let key: String = e.to_string().chars().take(80).collect();
                        if let Ok(mut m) = errors.lock() {
                            *m.entry(key).or_default() += 1;
                        }
                        let pending = call(
                            &client,
                            &url,
                            "eth_getTransactionCount",
                            json!([format!("{address:?}"), "pending"]),
                        )
                        .await
                        .and_then(|v| quantity(&v));
                        if let (Ok(n), Ok(mut r)) = (pending, resync.lock()) {
                            if let Some(slot) = r.get_mut(i) {
                                *slot = Some(n);
                            }
                        }
                    }
                }
                drop(permit);
            });
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(5);
            let t = begin.elapsed().as_secs_f64();
            let (nblocks, included, last_gap) = blocks
                .lock()
                .map(|b| {
                    let inc: u64 = b
                        .seen
                        .iter()
                        .filter(|(at, _, _)| *at >= begin)
                        .map(|(_, _, c)| c)
                        .sum();
                    let gap = b
                        .seen
                        .windows(2)
                        .last()
                        .map_or(0.0, |w| w[1].0.duration_since(w[0].0).as_secs_f64());
                    (b.seen.len(), inc, gap)
                })
                .unwrap_or((0, 0, 0.0));
            let errs: u64 = errors.lock().map(|m| m.values().sum()).unwrap_or(0);
            eprintln!(
                "t={t:>5.0}s  accepted {:>7} ({:>6.0}/s)  included {:>7} ({:>6.0}/s)  blocks {nblocks:>4}  last interval {last_gap:.2}s  errors {errs}",
                sent.load(Ordering::Relaxed),
                sent.load(Ordering::Relaxed) as f64 / t,
                included,
                included as f64 / t,
            );
        }
    }
    // Let the last blocks land.
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.await;

    let end = begin + args.duration;
    let from = begin + args.warmup;
    let b = blocks.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let window: Vec<&(Instant, u64, u64)> = b
        .seen
        .iter()
        .filter(|(at, _, _)| *at >= from && *at <= end)
        .collect();
    let included: u64 = window.iter().map(|(_, _, c)| c).sum();
    let secs = end.duration_since(from).as_secs_f64();
    let mut gaps: Vec<f64> = window
        .windows(2)
        .map(|w| w[1].0.duration_since(w[0].0).as_secs_f64())
        .collect();
    gaps.sort_by(f64::total_cmp);
    let errs = errors.lock().map(|m| m.clone()).unwrap_or_default();
    println!(
        "window: {secs:.0} s after a {} warm-up",
        humantime::format_duration(args.warmup)
    );
    println!(
        "target rate: {} tx/s; accepted by RPC: {}",
        args.tps,
        sent.load(Ordering::Relaxed)
    );
    println!(
        "included: {included} txs in {} blocks = {:.0} tx/s",
        window.len(),
        included as f64 / secs
    );
    println!(
        "BTTC block interval: p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        percentile(&gaps, 0.50),
        percentile(&gaps, 0.99),
        gaps.last().copied().unwrap_or(0.0)
    );
    for (e, n) in &errs {
        println!("send error ×{n}: {e}");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_consensus::transaction::SignerRecoverable as _;
    use alloy_eips::eip2718::Decodable2718 as _;

    #[test]
    fn signed_transfers_recover_to_their_sender() {
        for i in 0..20u32 {
            let key = PrivateKeySigner::from_bytes(&keccak256(format!("k{i}"))).unwrap();
            let raw = sign(
                &key,
                1337,
                u64::from(i),
                Address::repeat_byte(0xee),
                U256::from(1u64),
            )
            .unwrap();
            let bytes = alloy_primitives::hex::decode(raw.trim_start_matches("0x")).unwrap();
            let tx = TxEnvelope::decode_2718(&mut bytes.as_slice()).unwrap();
            assert_eq!(tx.recover_signer().unwrap(), key.address());
        }
    }
}
