//! The conductor drives real ABCI apps over sockets in CometBFT v0.38's call order (checked
//! against the recorded traces), rotates proposers by power, survives nodes dying and coming
//! back, and continues from its block store after a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs
)]

mod common;

use common::*;
use delivery_conductor::valset::{Validator, ValidatorSet};
use delivery_conductor::{Conductor, NodeStatus};
use ed25519_dalek::{Signature, Verifier};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn strings(v: Vec<&'static str>) -> Vec<String> {
    v.into_iter().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_validator_calls_follow_the_cometbft_trace() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(KvApp::default());
    let _server = AppServer::start(dir.path().join("app.sock"), Arc::clone(&app)).await;
    let proxy = Proxy::start(dir.path().join("proxy.sock"), dir.path().join("app.sock")).await;
    let k = key(1);
    let g = genesis("trace-1", &[(k.clone(), 10)], 2);
    let app_state = g.app_state_bytes.clone();
    let h = Conductor::start(config(
        g,
        &[("node0".into(), proxy.listen.clone(), k.clone())],
    ))
    .await
    .unwrap();
    h.wait_for_height(5, WAIT).await.unwrap();
    let r = h.broadcast_tx("node0", b"alice=1".to_vec()).await.unwrap();
    assert_eq!(r.code, 0);
    let bad = h
        .broadcast_tx("node0", b"no-equals-sign".to_vec())
        .await
        .unwrap();
    assert_eq!(bad.code, 1, "CheckTx result is returned as is");
    wait_until("alice committed", || {
        app.get("alice").as_deref() == Some("1")
    })
    .await;
    assert_eq!(
        h.broadcast_tx("node0", b"bob=2".to_vec())
            .await
            .unwrap()
            .code,
        0
    );
    wait_until("bob committed", || app.get("bob").as_deref() == Some("2")).await;
    let target = h.height() + 2;
    h.wait_for_height(target, WAIT).await.unwrap();
    h.shutdown().await;

    // Connections in CometBFT's order: query, snapshot, mempool, consensus.
    assert_eq!(proxy.conn(1), ["info"]);
    assert!(proxy.conn(2).is_empty());
    assert!(
        proxy.conn(3).iter().all(|k| *k == "check_tx"),
        "{:?}",
        proxy.conn(3)
    );
    assert!(
        proxy.conn(3).len() >= 3,
        "alice, the bad tx and bob (plus any recheck)"
    );
    let ours = strings(proxy.conn(4));
    let trace = trace_conn("single-validator.txt", 4);
    let n = ours.iter().filter(|k| *k == "commit").count().min(11);
    assert!(n >= 7);
    assert_eq!(through_commits(&ours, n), through_commits(&trace, n));

    // What the requests carried.
    let seen = app.seen();
    let init = seen
        .iter()
        .find_map(|s| match s {
            Seen::InitChain(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(init.chain_id, "trace-1");
    assert_eq!(init.initial_height, 1);
    assert_eq!(init.app_state_bytes.as_ref(), app_state.as_slice());
    assert_eq!(
        init.consensus_params
            .unwrap()
            .abci
            .unwrap()
            .vote_extensions_enable_height,
        2
    );
    assert_eq!(init.validators.len(), 1);
    let prepares: Vec<_> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Prepare(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        prepares[0].max_tx_bytes, 22_019_254,
        "the trace's max_tx_bytes"
    );
    assert_eq!(
        prepares[0].local_last_commit.as_ref().unwrap().votes.len(),
        0
    );
    // Height 2: the last commit has the vote, without an extension (not enabled at height 1).
    let v2 = &prepares[1].local_last_commit.as_ref().unwrap().votes[0];
    assert_eq!(v2.block_id_flag, 2);
    assert!(v2.vote_extension.is_empty() && v2.extension_signature.is_empty());
    // Height 3: the extension of height 2 with a valid signature over CometBFT's sign bytes.
    let v3 = &prepares[2].local_last_commit.as_ref().unwrap().votes[0];
    assert_eq!(v3.vote_extension.as_ref(), b"ext-2");
    let sign_bytes =
        delivery_abci::sign_bytes::vote_extension_sign_bytes("trace-1", 2, 0, b"ext-2");
    let sig = Signature::from_slice(&v3.extension_signature).unwrap();
    k.verifying_key().verify(&sign_bytes, &sig).unwrap();
    assert_eq!(v3.validator.as_ref().unwrap().power, 10);
    // ProcessProposal carried the real header hash of the stored block, and times increase.
    let processes: Vec<_> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Process(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    let stored = h_blocks(&processes);
    assert!(
        stored.windows(2).all(|w| w[0] < w[1]),
        "block times strictly increase"
    );
    // Checktx types: New for submitted txs.
    for s in &seen {
        if let Seen::CheckTx(r) = s {
            assert_eq!(r.r#type, 0);
        }
    }
    proxy.stop();
}

fn h_blocks(processes: &[delivery_abci::types::RequestProcessProposal]) -> Vec<i128> {
    processes
        .iter()
        .map(|p| {
            let t = p.time.unwrap();
            i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_validators_calls_follow_the_cometbft_trace() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(2);
    let app0 = Arc::new(KvApp::default());
    let app1 = Arc::new(KvApp::default());
    let _s0 = AppServer::start(dir.path().join("a0.sock"), Arc::clone(&app0)).await;
    let _s1 = AppServer::start(dir.path().join("a1.sock"), Arc::clone(&app1)).await;
    let proxy = Proxy::start(dir.path().join("p0.sock"), dir.path().join("a0.sock")).await;
    let g = genesis("trace-2", &[(keys[0].clone(), 1), (keys[1].clone(), 1)], 2);
    let cfg = config(
        g,
        &[
            ("node0".into(), proxy.listen.clone(), keys[0].clone()),
            ("node1".into(), dir.path().join("a1.sock"), keys[1].clone()),
        ],
    );
    let h = Conductor::start(cfg).await.unwrap();
    h.wait_for_height(4, WAIT).await.unwrap();
    // A tx sent to node1 is gossiped to node0 (CheckTx there too).
    assert_eq!(
        h.broadcast_tx("node1", b"k=v".to_vec()).await.unwrap().code,
        0
    );
    wait_until("k committed on node0", || app0.get("k").is_some()).await;
    let target = h.height() + 2;
    h.wait_for_height(target, WAIT).await.unwrap();
    let hashes = h.app_hashes(target);
    assert!(
        hashes[0].1.is_some() && hashes[0].1 == hashes[1].1,
        "{hashes:?}"
    );
    h.shutdown().await;

    let ours = strings(proxy.conn(4));
    let trace = trace_conn("two-validators-node0.txt", 4);
    let n = ours.iter().filter(|k| *k == "commit").count().min(11);
    assert!(n >= 6);
    assert_eq!(through_commits(&ours, n), through_commits(&trace, n));
    assert!(proxy.conn(3).contains(&"check_tx"));
    // Each node verifies only its peer's extension, never its own.
    let a1 = address(&keys[1]);
    let verifies: Vec<_> = app0
        .seen()
        .into_iter()
        .filter_map(|s| match s {
            Seen::Verify(r) => Some(r),
            _ => None,
        })
        .collect();
    assert!(!verifies.is_empty());
    assert!(verifies.iter().all(|v| v.validator_address.as_ref() == a1));
    // PrepareProposal's max_tx_bytes for two validators, as in the trace.
    let prep = app0
        .seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Prepare(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(prep.max_tx_bytes, 22_019_143);
    proxy.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_app_gets_the_handshake_replay() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(KvApp::default());
    let mut server = AppServer::start(dir.path().join("app.sock"), Arc::clone(&app)).await;
    let proxy = Proxy::start(dir.path().join("proxy.sock"), dir.path().join("app.sock")).await;
    let k = key(3);
    let g = genesis("replay", &[(k.clone(), 10)], 2);
    let h = Conductor::start(config(g, &[("node0".into(), proxy.listen.clone(), k)]))
        .await
        .unwrap();
    h.wait_for_height(3, WAIT).await.unwrap();
    assert_eq!(
        h.broadcast_tx("node0", b"x=1".to_vec()).await.unwrap().code,
        0
    );
    wait_until("x committed", || app.get("x").is_some()).await;
    server.kill().await;
    wait_until("node absent", || {
        matches!(h.node_status("node0").unwrap(), NodeStatus::Absent { .. })
    })
    .await;
    let stopped_at = h.height();
    // Production waits while the only validator is absent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.height(), stopped_at);
    // A fresh app (state lost: Info says height 0) on the same socket.
    let fresh = Arc::new(KvApp::default());
    let _server2 = AppServer::start(dir.path().join("app.sock"), Arc::clone(&fresh)).await;
    h.wait_for_height(stopped_at + 2, WAIT).await.unwrap();
    assert_eq!(h.node_status("node0").unwrap(), NodeStatus::Live);
    assert_eq!(
        fresh.get("x").as_deref(),
        Some("1"),
        "the replay re-executed the stored blocks"
    );
    h.shutdown().await;

    // The new connections are 5..8: Info on query; InitChain, then FinalizeBlock + Commit for
    // each stored block (no Prepare/Process/ExtendVote), then consensus again.
    let records = proxy.records();
    let new_conns: Vec<usize> = records.iter().map(|(c, _)| *c).filter(|c| *c > 4).collect();
    let first = *new_conns.iter().min().unwrap();
    let query = (first - 1) / 4 * 4 + 1;
    let consensus = query + 3;
    assert_eq!(proxy.conn(query)[0], "info");
    let seq = strings(proxy.conn(consensus));
    let replay = usize::try_from(stopped_at).unwrap();
    let mut expected = vec!["init_chain".to_owned()];
    for _ in 0..replay {
        expected.push("finalize_block".into());
        expected.push("commit".into());
    }
    assert_eq!(seq[..expected.len()], expected[..]);
    assert_eq!(seq[expected.len()], "prepare_proposal");
    // The trace's replay has the same shape.
    let trace = trace_conn("handshake-replay.txt", 4);
    assert_eq!(trace[0], "init_chain");
    assert!(trace[1..]
        .chunks(2)
        .all(|c| c == ["finalize_block", "commit"]));
    proxy.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_validator_catches_up_after_restart() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(2);
    let app0 = Arc::new(KvApp::default());
    let app1 = Arc::new(KvApp::default());
    let _s0 = AppServer::start(dir.path().join("a0.sock"), Arc::clone(&app0)).await;
    let mut s1 = AppServer::start(dir.path().join("a1.sock"), Arc::clone(&app1)).await;
    // Power 3 and 1: the chain goes on without node1.
    let g = genesis("catchup", &[(keys[0].clone(), 3), (keys[1].clone(), 1)], 2);
    let h = Conductor::start(config(
        g,
        &[
            ("node0".into(), dir.path().join("a0.sock"), keys[0].clone()),
            ("node1".into(), dir.path().join("a1.sock"), keys[1].clone()),
        ],
    ))
    .await
    .unwrap();
    h.wait_for_height(3, WAIT).await.unwrap();
    s1.kill().await;
    wait_until("node1 absent", || {
        matches!(h.node_status("node1").unwrap(), NodeStatus::Absent { .. })
    })
    .await;
    let down_at = h.height();
    assert_eq!(
        h.broadcast_tx("node0", b"while=down".to_vec())
            .await
            .unwrap()
            .code,
        0
    );
    h.wait_for_height(down_at + 3, WAIT).await.unwrap();
    // node1's precommits are absent from the blocks made while it was down.
    let b = h.block(down_at + 2).unwrap();
    let sigs = &b.block.last_commit.as_ref().unwrap().signatures;
    assert_eq!(
        sigs.iter().filter(|s| s.block_id_flag == 1).count(),
        1,
        "one absent signature"
    );
    let fresh = Arc::new(KvApp::default());
    let _s1b = AppServer::start(dir.path().join("a1.sock"), Arc::clone(&fresh)).await;
    wait_until("node1 live", || {
        h.node_status("node1").unwrap() == NodeStatus::Live
    })
    .await;
    let back = h.height();
    h.wait_for_height(back + 2, WAIT).await.unwrap();
    let hashes = h.app_hashes(back + 2);
    assert!(hashes[1].1.is_some(), "node1 executed a new height");
    assert_eq!(hashes[0].1, hashes[1].1);
    assert_eq!(fresh.get("while").as_deref(), Some("down"));
    // It votes again.
    let b = h.block(back + 2).unwrap();
    assert!(b.votes.iter().any(|v| v.address == address(&keys[1])));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposers_rotate_by_voting_power() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(3);
    let powers = [3i64, 2, 1];
    let mut servers = Vec::new();
    let mut nodes = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let sock = dir.path().join(format!("a{i}.sock"));
        servers.push(AppServer::start(sock.clone(), Arc::new(KvApp::default())).await);
        nodes.push((format!("node{i}"), sock, k.clone()));
    }
    let g = genesis(
        "rotation",
        &keys.iter().cloned().zip(powers).collect::<Vec<_>>(),
        0,
    );
    let h = Conductor::start(config(g, &nodes)).await.unwrap();
    h.wait_for_height(12, WAIT).await.unwrap();
    let mut set = ValidatorSet::new(
        keys.iter()
            .zip(powers)
            .map(|(k, p)| Validator::new(k.verifying_key().to_bytes().to_vec(), p))
            .collect(),
    )
    .unwrap();
    let mut counts = [0usize; 3];
    for height in 1..=12u64 {
        let b = h.block(height).unwrap();
        assert_eq!(b.round, 0);
        let got = b.block.header.as_ref().unwrap().proposer_address.clone();
        assert_eq!(
            got,
            set.proposer().unwrap().address,
            "proposer of height {height}"
        );
        counts[keys
            .iter()
            .position(|k| address(k).as_slice() == got)
            .unwrap()] += 1;
        set.increment_proposer_priority(1);
    }
    assert_eq!(counts, [6, 4, 2], "proportional to power 3:2:1");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_proposals_fail_the_round_and_the_next_proposer_tries() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(2);
    let app0 = Arc::new(KvApp::default());
    let app1 = Arc::new(KvApp::default());
    app1.reject_proposals.store(true, Ordering::SeqCst);
    let _s0 = AppServer::start(dir.path().join("a0.sock"), Arc::clone(&app0)).await;
    let _s1 = AppServer::start(dir.path().join("a1.sock"), Arc::clone(&app1)).await;
    let g = genesis("reject", &[(keys[0].clone(), 1), (keys[1].clone(), 1)], 0);
    let h = Conductor::start(config(
        g,
        &[
            ("node0".into(), dir.path().join("a0.sock"), keys[0].clone()),
            ("node1".into(), dir.path().join("a1.sock"), keys[1].clone()),
        ],
    ))
    .await
    .unwrap();
    // Half the power rejects: no block.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(h.height(), 0);
    let rounds_tried = app0
        .seen()
        .iter()
        .filter(|s| matches!(s, Seen::Process(_)))
        .count();
    assert!(
        rounds_tried >= 2,
        "several rounds were tried: {rounds_tried}"
    );
    app1.reject_proposals.store(false, Ordering::SeqCst);
    h.wait_for_height(1, WAIT).await.unwrap();
    let b = h.block(1).unwrap();
    assert!(b.round >= 1);
    let expected = b.validators.copy_increment(u32::try_from(b.round).unwrap());
    assert_eq!(
        b.block.header.as_ref().unwrap().proposer_address,
        expected.proposer().unwrap().address
    );
    // Both proposers had their turn.
    assert!(app0.seen().iter().any(|s| matches!(s, Seen::Prepare(_))));
    assert!(app1.seen().iter().any(|s| matches!(s, Seen::Prepare(_))));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_a_different_app_hash_is_marked_diverged() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(3);
    let apps: Vec<Arc<KvApp>> = (0..3).map(|_| Arc::new(KvApp::default())).collect();
    let mut nodes = Vec::new();
    let mut servers = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let sock = dir.path().join(format!("a{i}.sock"));
        servers.push(AppServer::start(sock.clone(), Arc::clone(&apps[i])).await);
        nodes.push((format!("node{i}"), sock, k.clone()));
    }
    let g = genesis(
        "diverge",
        &[
            (keys[0].clone(), 2),
            (keys[1].clone(), 2),
            (keys[2].clone(), 1),
        ],
        0,
    );
    let h = Conductor::start(config(g, &nodes)).await.unwrap();
    h.wait_for_height(2, WAIT).await.unwrap();
    apps[2].hash_salt.store(7, Ordering::SeqCst);
    wait_until("node2 diverged", || {
        matches!(h.node_status("node2").unwrap(), NodeStatus::Diverged { .. })
    })
    .await;
    let at = h.height();
    h.wait_for_height(at + 2, WAIT).await.unwrap();
    // The height where it diverged shows the different hash.
    let mut found = false;
    for height in 3..=at + 1 {
        let hs = h.app_hashes(height);
        if hs[2].1.is_some() && hs[2].1 != hs[0].1 {
            found = true;
        }
    }
    assert!(found, "a height where node2's app hash differs");
    assert_eq!(h.node_status("node0").unwrap(), NodeStatus::Live);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_conductor_continues_from_its_store() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(KvApp::default());
    let _server = AppServer::start(dir.path().join("app.sock"), Arc::clone(&app)).await;
    let k = key(9);
    let g = genesis("restart", &[(k.clone(), 10)], 2);
    let mut cfg = config(g, &[("node0".into(), dir.path().join("app.sock"), k)]);
    cfg.store_dir = Some(dir.path().join("store"));
    let h = Conductor::start(cfg.clone()).await.unwrap();
    h.wait_for_height(3, WAIT).await.unwrap();
    h.shutdown().await;
    let stopped = app.height();
    let inits = app
        .seen()
        .iter()
        .filter(|s| matches!(s, Seen::InitChain(_)))
        .count();
    assert_eq!(inits, 1);

    let h = Conductor::start(cfg).await.unwrap();
    assert_eq!(h.height(), u64::try_from(stopped).unwrap());
    h.wait_for_height(u64::try_from(stopped).unwrap() + 2, WAIT)
        .await
        .unwrap();
    assert_eq!(
        app.seen()
            .iter()
            .filter(|s| matches!(s, Seen::InitChain(_)))
            .count(),
        1,
        "no second InitChain"
    );
    let prev = h.block(u64::try_from(stopped).unwrap()).unwrap();
    let next = h.block(u64::try_from(stopped).unwrap() + 1).unwrap();
    assert_eq!(
        next.block
            .header
            .as_ref()
            .unwrap()
            .last_block_id
            .as_ref()
            .unwrap()
            .hash,
        prev.block_id.hash
    );
    assert_eq!(
        next.block.header.as_ref().unwrap().app_hash,
        prev.finalize_response.app_hash.to_vec()
    );
    // The extension of the last block before the restart reached the next proposer.
    let after: Vec<_> = app
        .seen()
        .into_iter()
        .filter_map(|s| match s {
            Seen::Prepare(r) if r.height == next.height() => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(
        after[0].local_last_commit.as_ref().unwrap().votes[0]
            .vote_extension
            .as_ref(),
        format!("ext-{}", stopped).as_bytes()
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_updates_take_effect_two_heights_later() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_by_address(2);
    let app0 = Arc::new(KvApp::default());
    let app1 = Arc::new(KvApp::default());
    let _s0 = AppServer::start(dir.path().join("a0.sock"), Arc::clone(&app0)).await;
    let _s1 = AppServer::start(dir.path().join("a1.sock"), Arc::clone(&app1)).await;
    // Only node0 is in genesis; node1 runs as a full node.
    let g = genesis("valupdate", &[(keys[0].clone(), 10)], 2);
    let h = Conductor::start(config(
        g,
        &[
            ("node0".into(), dir.path().join("a0.sock"), keys[0].clone()),
            ("node1".into(), dir.path().join("a1.sock"), keys[1].clone()),
        ],
    ))
    .await
    .unwrap();
    h.wait_for_height(2, WAIT).await.unwrap();
    // A full node executes blocks but does not vote or extend.
    assert!(app1.seen().iter().any(|s| matches!(s, Seen::Finalize(_))));
    assert!(!app1.seen().iter().any(|s| matches!(s, Seen::Extend(_))));
    let tx = format!("val:{}:10", hex::encode(keys[1].verifying_key().as_bytes()));
    assert_eq!(
        h.broadcast_tx("node0", tx.into_bytes()).await.unwrap().code,
        0
    );
    let a1 = address(&keys[1]);
    wait_until("update committed", || {
        (1..=h.height()).any(|x| {
            h.block(x)
                .is_some_and(|b| !b.finalize_response.validator_updates.is_empty())
        })
    })
    .await;
    let at = (1..=h.height())
        .find(|x| {
            !h.block(*x)
                .unwrap()
                .finalize_response
                .validator_updates
                .is_empty()
        })
        .unwrap();
    h.wait_for_height(at + 3, WAIT).await.unwrap();
    assert!(
        h.block(at + 1).unwrap().validators.get(&a1).is_none(),
        "not yet at H+1"
    );
    assert!(
        h.block(at + 2).unwrap().validators.get(&a1).is_some(),
        "in the set at H+2"
    );
    assert_eq!(
        h.block(at)
            .unwrap()
            .block
            .header
            .as_ref()
            .unwrap()
            .next_validators_hash,
        h.block(at + 1).unwrap().validators.hash()
    );
    assert_eq!(
        h.block(at + 1)
            .unwrap()
            .block
            .header
            .as_ref()
            .unwrap()
            .next_validators_hash,
        h.block(at + 2).unwrap().validators.hash()
    );
    // From H+2 on node1 extends and signs: both powers are needed for more than 2/3.
    let b = h.block(at + 2).unwrap();
    assert_eq!(b.votes.len(), 2);
    assert!(app1
        .seen()
        .iter()
        .any(|s| matches!(s, Seen::Extend(r) if r.height == i64::try_from(at + 2).unwrap())));
    h.shutdown().await;
}
