//! The client, `verify_claim` and the verdict cache against a real root chain
//! (InProcessEngine + bttc-engine's JSON-RPC server over HTTP).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use bttc_engine_rpc::RpcConfig;
use bttc_engine_testkit::CHAIN_ID;
use common::{closed_port_url, transfer_topic, Chain};
use delivery_bridge::events::abi;
use delivery_bridge::{
    verify_claim, CacheConfig, ClientConfig, ClientError, RootChainClient, RootEvent, RootLog,
    Verdict, VerdictCache,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn claim(tx_hash: [u8; 32], block_number: u64, log_index: u64) -> RootEvent {
    RootEvent {
        root_chain: "eth".into(),
        tx_hash: tx_hash.to_vec(),
        block_number,
        log_index,
    }
}

fn state_synced(id: u64) -> abi::StateSynced {
    abi::StateSynced {
        id: U256::from(id),
        contractAddress: Address::repeat_byte(0x42),
        data: Bytes::from(vec![0xde, 0xad, 0xbe, 0xef]),
    }
}

fn expect_no(v: &Verdict, mentions: &str) {
    match v {
        Verdict::No(reason) => assert!(reason.contains(mentions), "{reason:?} lacks {mentions:?}"),
        other => panic!("expected No mentioning {mentions:?}, got {other:?}"),
    }
}

fn expect_unknown(v: &Verdict, mentions: &str) {
    match v {
        Verdict::Unknown(reason) => {
            assert!(reason.contains(mentions), "{reason:?} lacks {mentions:?}")
        }
        other => panic!("expected Unknown mentioning {mentions:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reads_chain_id_head_receipts_and_logs() {
    let chain = Chain::start().await;
    let client = chain.client();
    assert_eq!(client.chain_id().await.unwrap(), CHAIN_ID);
    assert_eq!(client.head().await.unwrap(), 0);

    let (token, deployed) = chain.deploy_token().await;
    assert_eq!(deployed, 1);
    let to = Address::repeat_byte(7);
    let first = chain.transfer(token, to, 5).await;
    let second = chain.transfer(token, to, 6).await;
    let block = chain.mine().await;
    assert_eq!(client.head().await.unwrap(), block);

    let r = client.receipt(second).await.unwrap().unwrap();
    assert_eq!(r.tx_hash, second);
    assert_eq!(r.block_number, Some(block));
    assert_eq!(r.success, Some(true));
    assert_eq!(r.logs.len(), 1);
    let log = &r.logs[0];
    assert_eq!(log.address, token.into_array());
    assert_eq!(log.topics[0], transfer_topic());
    // logIndex counts the block's logs: the first transfer's log is 0.
    assert_eq!(log.log_index, Some(1));
    assert_eq!(U256::from_be_slice(&log.data), U256::from(6));

    assert_eq!(client.receipt([0x99; 32]).await.unwrap(), None);

    let logs = client
        .logs(0, block, &[token.into_array()], &[transfer_topic()])
        .await
        .unwrap();
    // The mint in the constructor, then both transfers.
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[1].tx_hash, Some(first));
    assert_eq!(logs[2].tx_hash, Some(second));
    assert!(client
        .logs(0, block, &[[0x55; 20]], &[])
        .await
        .unwrap()
        .is_empty());
    assert!(client
        .logs(0, block, &[token.into_array()], &[[0x66; 32]])
        .await
        .unwrap()
        .is_empty());
    // No address is a usage error, not a scan of every contract.
    assert!(matches!(
        client.logs(0, block, &[], &[]).await,
        Err(ClientError::Config { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rpc_errors_are_rejections_and_transport_failures_are_unavailable() {
    let chain = Chain::start_with(RpcConfig {
        max_logs_block_range: 2,
        ..RpcConfig::default()
    })
    .await;
    for _ in 0..5 {
        chain.mine().await;
    }
    let err = chain
        .client()
        .logs(0, 4, &[[1; 20]], &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                method: "eth_getLogs",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_unavailable());

    // Nobody listening.
    let down = RootChainClient::new(&ClientConfig::new("eth", closed_port_url())).unwrap();
    let err = down.head().await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    // https goes through rustls (a TLS handshake with a closed port fails the same way).
    let tls = closed_port_url().replace("http://", "https://");
    let err = RootChainClient::new(&ClientConfig::new("eth", tls))
        .unwrap()
        .head()
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err}");
}

/// An HTTP server that answers every request with `response` (or, with `None`, accepts and
/// never answers): the faults a real endpoint shows.
async fn fake_http(response: Option<String>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = sock.read(&mut buf).await;
                match response {
                    Some(r) => {
                        let _ = sock.write_all(r.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    format!("http://{addr}")
}

fn http(status: &str, body: &str) -> Option<String> {
    Some(format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

async fn head_error(response: Option<String>, timeout: Duration) -> ClientError {
    let mut config = ClientConfig::new("eth", fake_http(response).await);
    config.timeout = timeout;
    RootChainClient::new(&config)
        .unwrap()
        .head()
        .await
        .unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_server_errors_and_garbage_are_unavailable() {
    let start = tokio::time::Instant::now();
    let err = head_error(None, Duration::from_millis(300)).await;
    assert!(err.is_unavailable(), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    let second = Duration::from_secs(5);
    let err = head_error(http("503 Service Unavailable", "busy"), second).await;
    assert!(err.is_unavailable(), "{err}");
    assert!(err.to_string().contains("503"), "{err}");

    let err = head_error(http("200 OK", "not json"), second).await;
    assert!(err.is_unavailable(), "{err}");

    // Well-formed JSON-RPC, but the result is not a quantity.
    let err = head_error(
        http("200 OK", r#"{"jsonrpc":"2.0","id":0,"result":true}"#),
        second,
    )
    .await;
    assert!(err.is_unavailable(), "{err}");

    // A JSON-RPC error in a 200 answer (TRON answers every error so) is a rejection.
    let err = head_error(
        http("200 OK", r#"{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"TAG pending not supported"}}"#),
        second,
    )
    .await;
    assert!(
        matches!(err, ClientError::Rejected { code: -32602, .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_claim_confirms_only_the_exact_deep_enough_log() {
    let chain = Chain::start().await;
    let client = chain.client();
    let (token, _) = chain.deploy_token().await;
    let (emitter, _) = chain.deploy_emitter().await;
    let e = emitter.into_array();

    // A token transfer first, so the claimed log is the block's second (logIndex 1).
    let transfer = chain.transfer(token, Address::repeat_byte(3), 1).await;
    let tx = chain.emit(emitter, &state_synced(7)).await;
    let block = chain.mine().await;
    let good = claim(tx, block, 1);
    let confirmed = Verdict::Confirmed(RootLog::StateSynced {
        id: 7,
        contract_address: [0x42; 20],
        data: vec![0xde, 0xad, 0xbe, 0xef],
    });

    // Head is the block itself: 1 confirmation. A claim whose receipt is there but not yet
    // deep enough is false as made (an honest bridge waits): No, naming the depth.
    assert_eq!(verify_claim(&client, &good, e, 1).await, confirmed);
    let early = verify_claim(&client, &good, e, 3).await;
    expect_no(&early, "1 of 3 confirmations");
    assert_eq!(early.vote(), delivery_module::Vote::No);
    chain.mine().await;
    expect_no(
        &verify_claim(&client, &good, e, 3).await,
        "2 of 3 confirmations",
    );
    chain.mine().await;
    assert_eq!(verify_claim(&client, &good, e, 3).await, confirmed);
    assert_eq!(confirmed.vote(), delivery_module::Vote::Yes);

    // Wrong log index: none, or another log of the block that is not in this transaction.
    expect_no(
        &verify_claim(&client, &claim(tx, block, 2), e, 1).await,
        "no log with log index 2",
    );
    expect_no(
        &verify_claim(&client, &claim(tx, block, 0), e, 1).await,
        "no log with log index 0",
    );
    // Wrong emitter.
    expect_no(
        &verify_claim(&client, &good, token.into_array(), 1).await,
        "was emitted by",
    );
    // Wrong block, either side.
    expect_no(
        &verify_claim(&client, &claim(tx, block - 1, 1), e, 1).await,
        "not the claimed block",
    );
    expect_no(
        &verify_claim(&client, &claim(tx, block + 1, 1), e, 1).await,
        "not the claimed block",
    );
    // The right place, but not a root-contract event (ERC-20 Transfer).
    let v = verify_claim(&client, &claim(transfer, block, 0), token.into_array(), 1).await;
    expect_no(&v, "is not one of the root contracts' events");
    assert_eq!(v.vote(), delivery_module::Vote::No);
    // Malformed hash.
    let mut short = good.clone();
    short.tx_hash.pop();
    expect_no(&verify_claim(&client, &short, e, 1).await, "31 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_failed_transactions_are_no_and_a_lagging_view_is_unknown() {
    let chain = Chain::start().await;
    let client = chain.client();
    let (emitter, _) = chain.deploy_emitter().await;
    let e = emitter.into_array();
    let failed = chain.failing_call(emitter).await;
    let block = chain.mine().await;
    chain.mine().await;

    let r = client.receipt(failed).await.unwrap().unwrap();
    assert_eq!(r.success, Some(false));
    expect_no(
        &verify_claim(&client, &claim(failed, block, 0), e, 1).await,
        "failed",
    );

    // No such transaction, in a block deep enough here: No.
    expect_no(
        &verify_claim(&client, &claim([0x77; 32], block, 0), e, 2).await,
        "no transaction",
    );
    // No such transaction yet, in a block this node has not seen deep enough: Unknown.
    let v = verify_claim(&client, &claim([0x77; 32], block + 5, 0), e, 1).await;
    expect_unknown(&v, "not 1 deep");
    assert_eq!(v.vote(), delivery_module::Vote::Unknown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_root_chain_gives_unknown() {
    let chain = Chain::start().await;
    let (emitter, _) = chain.deploy_emitter().await;
    let tx = chain.emit(emitter, &state_synced(1)).await;
    let block = chain.mine().await;
    let client = chain.client();
    let good = claim(tx, block, 0);
    assert!(matches!(
        verify_claim(&client, &good, emitter.into_array(), 1).await,
        Verdict::Confirmed(_)
    ));
    chain.rpc.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let v = verify_claim(&client, &good, emitter.into_array(), 1).await;
    expect_unknown(&v, "unavailable");

    let down = RootChainClient::new(&ClientConfig::new("eth", closed_port_url())).unwrap();
    expect_unknown(
        &verify_claim(&down, &good, emitter.into_array(), 1).await,
        "unavailable",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_runs_a_real_check_in_the_background() {
    let chain = Chain::start().await;
    let (emitter, deployed) = chain.deploy_emitter().await;
    // Sent, not mined yet: the claim names the next block, which this node has not seen.
    let tx = chain.emit(emitter, &state_synced(3)).await;
    let block = deployed + 1;

    let config = CacheConfig {
        retry_unknown_after: Duration::from_millis(300),
        ..CacheConfig::default()
    };
    let cache = VerdictCache::new(tokio::runtime::Handle::current(), config);
    let key = tx;
    let make_job = || {
        let client = chain.client();
        let c = claim(tx, block, 0);
        async move { verify_claim(&client, &c, emitter.into_array(), 1).await }
    };
    assert!(cache.request(key, make_job()));
    assert!(
        !cache.request(key, make_job()),
        "a running check is not started twice"
    );
    let verdict = wait_for(&cache, &key).await;
    // No receipt yet, and the claimed block is not there: Unknown (this node may lag), and
    // retried only after the back-off.
    expect_unknown(&verdict, "not 1 deep");
    assert!(
        !cache.request(key, make_job()),
        "retried before the back-off"
    );
    assert_eq!(chain.mine().await, block);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(
        cache.request(key, make_job()),
        "not retried after the back-off"
    );
    let mut verdict = None;
    for _ in 0..500 {
        match cache.verdict(&key) {
            Some(Verdict::Unknown(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            Some(v) => {
                verdict = Some(v);
                break;
            }
            None => panic!("the previous verdict is served while the retry runs"),
        }
    }
    let verdict = verdict.expect("the retry decided within 5 s");
    assert!(
        matches!(
            verdict,
            Verdict::Confirmed(RootLog::StateSynced { id: 3, .. })
        ),
        "{verdict:?}"
    );
    assert_eq!(cache.vote(&key), delivery_module::Vote::Yes);
    assert!(!cache.request(key, make_job()), "a decided check is final");
}

async fn wait_for(cache: &VerdictCache, key: &[u8; 32]) -> Verdict {
    for _ in 0..500 {
        if let Some(v) = cache.verdict(key) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no verdict within 5 s");
}
