//! The log poller against a real root chain (InProcessEngine + bttc-engine's JSON-RPC server):
//! every Transfer of a TestToken is handed over in order across ticks, the cursor is
//! persisted, a restart resumes without missing or repeating, a consumer error rescans.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::Address;
use common::{transfer_topic, Chain};
use delivery_bridge::{LogConsumer, PollError, PolledLog, Poller, PollerConfig, Tick};

/// Collects what it is handed; refuses the next `fail` ranges.
#[derive(Clone, Default)]
struct Collect {
    seen: Arc<Mutex<Vec<PolledLog>>>,
    ranges: Arc<Mutex<Vec<(u64, u64)>>>,
    fail: Arc<AtomicUsize>,
}

impl Collect {
    fn seen(&self) -> Vec<PolledLog> {
        self.seen.lock().unwrap().clone()
    }
    fn tx_hashes(&self) -> Vec<[u8; 32]> {
        self.seen()
            .iter()
            .map(|l| l.event.tx_hash.clone().try_into().unwrap())
            .collect()
    }
}

impl LogConsumer for Collect {
    type Error = String;

    async fn consume(
        &mut self,
        from_block: u64,
        to_block: u64,
        logs: Vec<PolledLog>,
    ) -> Result<(), String> {
        if self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err("broadcast failed".into());
        }
        assert!(!logs.is_empty());
        for l in &logs {
            assert!((from_block..=to_block).contains(&l.event.block_number));
        }
        self.ranges.lock().unwrap().push((from_block, to_block));
        self.seen.lock().unwrap().extend(logs);
        Ok(())
    }
}

fn config(token: Address, start_block: u64, cursor: PathBuf) -> PollerConfig {
    PollerConfig {
        root_chain: "eth".into(),
        addresses: vec![token.into_array()],
        topics: vec![transfer_topic()],
        start_block,
        confirmations: 2,
        max_range: 2,
        cursor_path: cursor,
        interval: Duration::from_millis(50),
    }
}

async fn tick_until_caught_up(p: &mut Poller<Collect>) -> Vec<Tick> {
    let mut ticks = Vec::new();
    for _ in 0..100 {
        let t = p.tick().await.unwrap();
        ticks.push(t);
        match t {
            Tick::Idle { .. }
            | Tick::Scanned {
                caught_up: true, ..
            } => return ticks,
            Tick::Scanned { .. } => {}
        }
    }
    panic!("never caught up: {ticks:?}");
}

fn cursor_file(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transfer_is_handed_over_in_order_and_a_restart_resumes() {
    let chain = Chain::start().await;
    let (token, deployed) = chain.deploy_token().await;
    let to = Address::repeat_byte(9);
    // Blocks with 2, 0, 1, 3 and 1 transfers.
    let mut sent = Vec::new();
    for per_block in [2, 0, 1, 3, 1] {
        for _ in 0..per_block {
            sent.push(chain.transfer(token, to, 1).await);
        }
        chain.mine().await;
    }
    let head = chain.mine().await; // head: the last transfer block is 2 deep.
    let cursor = chain.dir.path().join("bridge/eth.cursor");
    let consumer = Collect::default();
    let mut poller = Poller::open(
        chain.client(),
        config(token, deployed, cursor.clone()),
        consumer.clone(),
    )
    .await
    .unwrap();
    assert_eq!(poller.next_block(), deployed);
    let ticks = tick_until_caught_up(&mut poller).await;
    assert!(
        ticks.len() >= 3,
        "max_range 2 over {} blocks: {ticks:?}",
        head - deployed
    );

    // The deploy block's mint, then every transfer, in (block, logIndex) order.
    let seen = consumer.seen();
    assert_eq!(seen.len(), sent.len() + 1);
    assert_eq!(&consumer.tx_hashes()[1..], &sent[..]);
    let keys: Vec<(u64, u64)> = seen
        .iter()
        .map(|l| (l.event.block_number, l.event.log_index))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(keys, sorted, "in order, no duplicates");
    for l in &seen {
        assert_eq!(l.event.root_chain, "eth");
        assert_eq!(l.emitter, token.into_array());
        assert!(l.block_hash.is_some());
        // A Transfer is not a root-contract event.
        assert!(l.decode().is_err());
    }
    // The claimed places are real: each names its own log.
    let client = chain.client();
    for l in &seen {
        let r = client
            .receipt(l.event.tx_hash.clone().try_into().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.block_number, Some(l.event.block_number));
        assert!(r
            .logs
            .iter()
            .any(|x| x.log_index == Some(l.event.log_index)));
    }
    // Ranges are contiguous and never longer than max_range.
    for (from, to) in consumer.ranges.lock().unwrap().iter() {
        assert!(to - from < 2);
    }
    // The cursor is past the last confirmed block (head - 2 + 1), and on disk.
    assert_eq!(poller.next_block(), head);
    assert_eq!(
        cursor_file(&cursor),
        serde_json::json!({"root_chain": "eth", "next_block": head})
    );
    assert_eq!(
        poller.tick().await.unwrap(),
        Tick::Idle {
            head,
            next_block: head
        }
    );
    drop(poller);

    // More transfers while "down"; a new poller resumes from the file.
    let mut later = Vec::new();
    for _ in 0..2 {
        later.push(chain.transfer(token, to, 2).await);
        chain.mine().await;
    }
    chain.mine().await;
    let resumed = Collect::default();
    let mut poller = Poller::open(
        chain.client(),
        config(token, deployed, cursor.clone()),
        resumed.clone(),
    )
    .await
    .unwrap();
    assert_eq!(poller.next_block(), head);
    tick_until_caught_up(&mut poller).await;
    assert_eq!(
        resumed.tx_hashes(),
        later,
        "only the new transfers, each once"
    );

    // A start block above the cursor skips ahead; below it changes nothing.
    let ahead = Poller::open(
        chain.client(),
        config(token, head + 100, cursor.clone()),
        Collect::default(),
    )
    .await
    .unwrap();
    assert_eq!(ahead.next_block(), head + 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_wait_for_confirmations_and_a_refused_range_is_scanned_again() {
    let chain = Chain::start().await;
    let (token, deployed) = chain.deploy_token().await;
    let cursor = chain.dir.path().join("eth.cursor");
    let consumer = Collect::default();
    let mut cfg = config(token, deployed + 1, cursor.clone());
    cfg.max_range = 100;
    let mut poller = Poller::open(chain.client(), cfg, consumer.clone())
        .await
        .unwrap();

    let tx = chain.transfer(token, Address::repeat_byte(1), 1).await;
    let block = chain.mine().await;
    // One confirmation of two: not yet.
    assert!(matches!(poller.tick().await.unwrap(), Tick::Idle { .. }));
    assert!(consumer.seen().is_empty());
    chain.mine().await;

    // The consumer refuses twice: the cursor stays, the file is not written.
    consumer.fail.store(2, Ordering::SeqCst);
    for _ in 0..2 {
        let err = poller.tick().await.unwrap_err();
        assert!(
            matches!(err, PollError::Consumer { from_block, to_block, .. } if from_block == block && to_block == block),
            "{err}"
        );
        assert_eq!(poller.next_block(), block);
        assert!(!cursor.exists());
    }
    assert_eq!(
        poller.tick().await.unwrap(),
        Tick::Scanned {
            from_block: block,
            to_block: block,
            logs: 1,
            caught_up: true
        }
    );
    assert_eq!(consumer.tx_hashes(), vec![tx]);
    assert_eq!(cursor_file(&cursor)["next_block"], block + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_polls_until_shutdown_and_survives_an_unreachable_rpc() {
    let chain = Chain::start().await;
    let (token, deployed) = chain.deploy_token().await;
    let cursor = chain.dir.path().join("eth.cursor");
    let consumer = Collect::default();
    let poller = Poller::open(
        chain.client(),
        config(token, deployed + 1, cursor.clone()),
        consumer.clone(),
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(poller.run(async move {
        let _ = stopped.await;
    }));
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.push(chain.transfer(token, Address::repeat_byte(2), 1).await);
        chain.mine().await;
    }
    chain.mine().await;
    for _ in 0..200 {
        if consumer.seen().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(consumer.tx_hashes(), sent);

    // The RPC goes away: ticks fail, the task keeps running and stops on request.
    chain.rpc.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished());
    stop.send(()).unwrap();
    let back = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("run stops on shutdown")
        .unwrap();
    assert_eq!(back.seen().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poller_refuses_a_bad_config_or_another_chains_cursor() {
    let chain = Chain::start().await;
    let dir = chain.dir.path();
    let mut cfg = config(Address::repeat_byte(1), 0, dir.join("c"));
    cfg.addresses.clear();
    assert!(matches!(
        Poller::open(chain.client(), cfg, Collect::default()).await,
        Err(PollError::Config(_))
    ));
    let mut cfg = config(Address::repeat_byte(1), 0, dir.join("c"));
    cfg.root_chain = "tron".into();
    assert!(matches!(
        Poller::open(chain.client(), cfg, Collect::default()).await,
        Err(PollError::Config(_))
    ));
    std::fs::write(dir.join("c"), r#"{"root_chain":"tron","next_block":5}"#).unwrap();
    let cfg = config(Address::repeat_byte(1), 0, dir.join("c"));
    let err = Poller::open(chain.client(), cfg, Collect::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PollError::Cursor { .. }), "{err}");
}
