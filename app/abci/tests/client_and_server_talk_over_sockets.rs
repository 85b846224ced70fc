//! The client's typed calls against the server: a block's life, app errors and panics as
//! exceptions, connections that do not wait for each other, connect retries and shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod support;

use std::sync::{mpsc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use delivery_abci::types::*;
use delivery_abci::{
    AbciClient, AbciError, AppError, AppResult, Application, ClientConfig, ListenAddr, Server,
};
use support::KvStore;

async fn tcp_server<A: Application>(app: A) -> (delivery_abci::ServerHandle, String) {
    let server = Server::bind("tcp://127.0.0.1:0", app).await.unwrap();
    let addr = server.local_addr().to_string();
    (server.spawn(), addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_goes_through_check_finalize_commit_and_query() {
    let (handle, addr) = tcp_server(KvStore::default()).await;
    let mut query = AbciClient::connect(&addr).await.unwrap();
    let mut mempool = AbciClient::connect(&addr).await.unwrap();
    let mut consensus = AbciClient::connect(&addr).await.unwrap();

    let info = query.info(RequestInfo::default()).await.unwrap();
    assert_eq!(info.last_block_height, 0);
    consensus
        .init_chain(RequestInitChain::default())
        .await
        .unwrap();

    let tx = Bytes::from_static(b"alice=1");
    let checked = mempool
        .check_tx(RequestCheckTx {
            tx: tx.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(checked.code, 0);
    let bad = mempool
        .check_tx(RequestCheckTx {
            tx: Bytes::from_static(b"nonsense"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bad.code, 1);

    let prepared = consensus
        .prepare_proposal(RequestPrepareProposal {
            max_tx_bytes: 1024,
            txs: vec![tx.clone()],
            height: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(prepared.txs, vec![tx.clone()]);
    let processed = consensus
        .process_proposal(RequestProcessProposal {
            txs: prepared.txs.clone(),
            height: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        processed.status(),
        response_process_proposal::ProposalStatus::Accept
    );
    let ext = consensus
        .extend_vote(RequestExtendVote {
            height: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(ext.vote_extension.is_empty());
    let verified = consensus
        .verify_vote_extension(RequestVerifyVoteExtension::default())
        .await
        .unwrap();
    assert_eq!(
        verified.status(),
        response_verify_vote_extension::VerifyStatus::Accept
    );
    let finalized = consensus
        .finalize_block(RequestFinalizeBlock {
            txs: prepared.txs,
            height: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(finalized.tx_results.len(), 1);
    consensus.commit(RequestCommit {}).await.unwrap();

    let found = query
        .query(RequestQuery {
            data: Bytes::from_static(b"alice"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.value, Bytes::from_static(b"1"));
    assert_eq!(
        query
            .info(RequestInfo::default())
            .await
            .unwrap()
            .last_block_height,
        1
    );

    // The snapshot defaults: nothing offered, offers rejected.
    let mut snapshot = AbciClient::connect(&addr).await.unwrap();
    assert!(snapshot
        .list_snapshots(RequestListSnapshots {})
        .await
        .unwrap()
        .snapshots
        .is_empty());
    let offer = snapshot
        .offer_snapshot(RequestOfferSnapshot::default())
        .await
        .unwrap();
    assert_eq!(offer.result(), response_offer_snapshot::Result::Reject);
    snapshot.flush().await.unwrap();

    handle.shutdown().await.unwrap();
    // After shutdown the connections are closed.
    let err = query.info(RequestInfo::default()).await.unwrap_err();
    assert!(
        matches!(err, AbciError::ConnectionClosed { .. } | AbciError::Io(_)),
        "{err}"
    );
}

/// An app whose `query` fails, panics or blocks, depending on the path.
struct Troublesome {
    release: Mutex<mpsc::Receiver<()>>,
}

impl Application for Troublesome {
    fn info(&self, _: RequestInfo) -> AppResult<ResponseInfo> {
        Ok(ResponseInfo {
            data: "fine".into(),
            ..Default::default()
        })
    }
    fn query(&self, req: RequestQuery) -> AppResult<ResponseQuery> {
        match req.path.as_str() {
            "fail" => Err(AppError::new("storage is gone")),
            "panic" => panic!("query went wrong"),
            "slow" => {
                let rx = self.release.lock().map_err(|_| AppError::new("poisoned"))?;
                rx.recv_timeout(Duration::from_secs(20))
                    .map_err(|e| AppError::new(format!("never released: {e}")))?;
                Ok(ResponseQuery {
                    log: "released".into(),
                    ..Default::default()
                })
            }
            _ => Ok(ResponseQuery::default()),
        }
    }
    fn check_tx(&self, _: RequestCheckTx) -> AppResult<ResponseCheckTx> {
        Ok(ResponseCheckTx::default())
    }
    fn finalize_block(&self, _: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
        Ok(ResponseFinalizeBlock::default())
    }
    fn commit(&self, _: RequestCommit) -> AppResult<ResponseCommit> {
        Ok(ResponseCommit::default())
    }
}

fn query_path(path: &str) -> RequestQuery {
    RequestQuery {
        path: path.into(),
        ..Default::default()
    }
}

fn troublesome() -> (Troublesome, mpsc::Sender<()>) {
    let (tx, rx) = mpsc::channel();
    (
        Troublesome {
            release: Mutex::new(rx),
        },
        tx,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_errors_and_panics_become_exceptions_on_that_connection_only() {
    let (app, _release) = troublesome();
    let (handle, addr) = tcp_server(app).await;
    let mut other = AbciClient::connect(&addr).await.unwrap();

    let mut client = AbciClient::connect(&addr).await.unwrap();
    let err = client.query(query_path("fail")).await.unwrap_err();
    let AbciError::Exception(text) = &err else {
        panic!("{err}")
    };
    assert_eq!(text, "query: storage is gone");
    // The server closed the connection; the client knows it is out of step.
    let err = client.info(RequestInfo::default()).await.unwrap_err();
    assert!(matches!(err, AbciError::Poisoned(_)), "{err}");

    let mut client = AbciClient::connect(&addr).await.unwrap();
    let err = client.query(query_path("panic")).await.unwrap_err();
    let AbciError::Exception(text) = &err else {
        panic!("{err}")
    };
    assert!(
        text.contains("panicked") && text.contains("query went wrong"),
        "{text}"
    );

    assert_eq!(
        other.info(RequestInfo::default()).await.unwrap().data,
        "fine"
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_connection_does_not_stall_the_others() {
    let (app, release) = troublesome();
    let (handle, addr) = tcp_server(app).await;
    let mut slow = AbciClient::connect(&addr).await.unwrap();
    let mut fast = AbciClient::connect(&addr).await.unwrap();
    let blocked = tokio::spawn(async move { slow.query(query_path("slow")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!blocked.is_finished());
    for _ in 0..5 {
        let info = tokio::time::timeout(Duration::from_secs(5), fast.info(RequestInfo::default()))
            .await
            .expect("the fast connection waited for the slow one")
            .unwrap();
        assert_eq!(info.data, "fine");
    }
    release.send(()).unwrap();
    let res = blocked.await.unwrap().unwrap();
    assert_eq!(res.log, "released");
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_waits_for_a_unix_server_that_starts_late_and_shutdown_removes_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.sock");
    let addr = format!("unix://{}", path.display());
    let connecting = {
        let addr = addr.clone();
        tokio::spawn(async move { AbciClient::connect(&addr).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let handle = Server::bind(&addr, KvStore::default())
        .await
        .unwrap()
        .spawn();
    let mut client = connecting.await.unwrap().unwrap();
    let echo = client
        .echo(RequestEcho {
            message: "late".into(),
        })
        .await
        .unwrap();
    assert_eq!(echo.message, "late");
    assert_eq!(client.addr(), &ListenAddr::Unix(path.clone()));
    handle.shutdown().await.unwrap();
    assert!(!path.exists());
}

#[tokio::test]
async fn connect_gives_up_after_its_timeout_with_the_last_error() {
    let dir = tempfile::tempdir().unwrap();
    let addr = ListenAddr::Unix(dir.path().join("nobody.sock"));
    let config = ClientConfig {
        connect_timeout: Duration::from_millis(300),
        retry_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let err = AbciClient::connect_with(&addr, &config).await.unwrap_err();
    let AbciError::ConnectTimeout { last_error, .. } = &err else {
        panic!("{err}")
    };
    assert!(last_error.contains("No such file"), "{err}");
}

#[tokio::test]
async fn a_stale_unix_socket_is_replaced_but_a_live_one_or_a_regular_file_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    // A socket file left behind by a dead process.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let addr = format!("unix://{}", path.display());
    let handle = Server::bind(&addr, KvStore::default())
        .await
        .unwrap()
        .spawn();
    // Now someone listens there: a second server must not steal the path.
    let err = Server::bind(&addr, KvStore::default()).await.unwrap_err();
    assert!(err.to_string().contains("another server"), "{err}");
    handle.shutdown().await.unwrap();

    let file = dir.path().join("plain");
    std::fs::write(&file, b"data").unwrap();
    let err = Server::bind(&format!("unix://{}", file.display()), KvStore::default())
        .await
        .unwrap_err();
    assert!(matches!(err, AbciError::PathNotASocket(_)), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"data");
}

#[tokio::test]
async fn a_request_over_the_limit_fails_without_breaking_the_client() {
    let (handle, addr) = tcp_server(KvStore::default()).await;
    let config = ClientConfig {
        max_message_size: 64,
        ..Default::default()
    };
    let mut client = AbciClient::connect_with(&ListenAddr::parse(&addr).unwrap(), &config)
        .await
        .unwrap();
    let err = client
        .echo(RequestEcho {
            message: "x".repeat(100),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, AbciError::FrameTooLarge { max: 64, .. }),
        "{err}"
    );
    let echo = client
        .echo(RequestEcho {
            message: "small".into(),
        })
        .await
        .unwrap();
    assert_eq!(echo.message, "small");
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_check_txs_are_answered_in_order_after_one_flush() {
    let (handle, addr) = tcp_server(KvStore::default()).await;
    let mut mempool = AbciClient::connect(&addr).await.unwrap();
    // Every third tx is malformed (no `=`): its refusal must come back in its own slot.
    let txs: Vec<Vec<u8>> = (0..300)
        .map(|i| {
            if i % 3 == 2 {
                format!("bad{i}").into_bytes()
            } else {
                format!("k{i}=v").into_bytes()
            }
        })
        .collect();
    let reqs = txs
        .iter()
        .map(|tx| {
            request::Value::CheckTx(RequestCheckTx {
                tx: tx.clone().into(),
                ..Default::default()
            })
        })
        .collect();
    let responses = mempool.call_pipelined(reqs).await.unwrap();
    assert_eq!(responses.len(), txs.len());
    for (i, res) in responses.iter().enumerate() {
        let response::Value::CheckTx(r) = res else {
            panic!("response {i} is not CheckTx: {res:?}");
        };
        assert_eq!(r.code == 0, i % 3 != 2, "response {i} out of place: {r:?}");
    }
    // The connection is still in step afterwards.
    let after = mempool
        .check_tx(RequestCheckTx {
            tx: Bytes::from_static(b"z=1"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(after.code, 0);
    handle.shutdown().await.unwrap();
}

/// Records the size of every CheckTx batch the server hands over.
#[derive(Default)]
struct BatchRecorder {
    batches: Mutex<Vec<usize>>,
}

impl Application for BatchRecorder {
    fn info(&self, _: RequestInfo) -> AppResult<ResponseInfo> {
        Ok(ResponseInfo::default())
    }
    fn query(&self, _: RequestQuery) -> AppResult<ResponseQuery> {
        Ok(ResponseQuery::default())
    }
    fn check_tx(&self, req: RequestCheckTx) -> AppResult<ResponseCheckTx> {
        Ok(ResponseCheckTx {
            gas_wanted: i64::try_from(req.tx.len()).unwrap(),
            ..Default::default()
        })
    }
    fn check_tx_batch(&self, reqs: Vec<RequestCheckTx>) -> AppResult<Vec<ResponseCheckTx>> {
        self.batches.lock().unwrap().push(reqs.len());
        reqs.into_iter().map(|r| self.check_tx(r)).collect()
    }
    fn finalize_block(&self, _: RequestFinalizeBlock) -> AppResult<ResponseFinalizeBlock> {
        Ok(ResponseFinalizeBlock::default())
    }
    fn commit(&self, _: RequestCommit) -> AppResult<ResponseCommit> {
        Ok(ResponseCommit::default())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_check_txs_reach_the_app_in_batches_and_answers_keep_their_order() {
    let app = std::sync::Arc::new(BatchRecorder::default());
    let server = Server::<BatchRecorder>::bind("tcp://127.0.0.1:0", std::sync::Arc::clone(&app))
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let handle = server.spawn();
    let mut mempool = AbciClient::connect(&addr).await.unwrap();
    // Distinct lengths, so each answer (gas_wanted = length) names its request.
    let reqs = (1..=400)
        .map(|n| {
            request::Value::CheckTx(RequestCheckTx {
                tx: vec![7u8; n].into(),
                ..Default::default()
            })
        })
        .collect();
    let responses = mempool.call_pipelined(reqs).await.unwrap();
    for (i, res) in responses.iter().enumerate() {
        let response::Value::CheckTx(r) = res else {
            panic!("response {i} is not CheckTx: {res:?}");
        };
        assert_eq!(r.gas_wanted, i as i64 + 1, "answer {i} out of order");
    }
    let batches = app.batches.lock().unwrap().clone();
    assert_eq!(batches.iter().sum::<usize>(), 400);
    assert!(
        batches.iter().any(|b| *b > 1),
        "pipelined requests were never batched: {batches:?}"
    );
    // A lone CheckTx is a batch of one.
    let single = mempool
        .check_tx(RequestCheckTx {
            tx: Bytes::from_static(b"x"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(single.gas_wanted, 1);
    assert_eq!(app.batches.lock().unwrap().last(), Some(&1));
    handle.shutdown().await.unwrap();
}
