//! Our server, serving a kvstore-like app, answers the exact request stream a real CometBFT
//! v0.38.25 sent over its four connections (the single-validator trace over TCP and over a unix
//! socket; the two-validator and handshake-replay traces over TCP): a response for every
//! request, in order, of the recorded kind and outcome.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod support;

use std::collections::VecDeque;
use std::time::Duration;

use delivery_abci::codec::{put_length_prefix, ClientCodec};
use delivery_abci::kind::response_name;
use delivery_abci::types::{request, response, Request, Response};
use delivery_abci::{ListenAddr, Server};
use futures::StreamExt;
use prost::Message;
use support::{load_trace, Dir, KvStore};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpStream, UnixStream};
use tokio_util::codec::FramedRead;

struct Conn<S> {
    writer: WriteHalf<S>,
    reader: FramedRead<ReadHalf<S>, ClientCodec>,
    expected: VecDeque<(usize, Response)>,
}

/// Checks the outcome fields the kvstore and our app must agree on.
fn assert_same_outcome(at: &str, got: &response::Value, want: &response::Value) {
    use response::Value as R;
    assert_eq!(response_name(got), response_name(want), "{at}: wrong kind");
    match (got, want) {
        (R::CheckTx(g), R::CheckTx(w)) => assert_eq!(g.code, w.code, "{at}: check_tx code"),
        (R::ProcessProposal(g), R::ProcessProposal(w)) => {
            assert_eq!(g.status, w.status, "{at}: process_proposal status")
        }
        (R::VerifyVoteExtension(g), R::VerifyVoteExtension(w)) => {
            assert_eq!(g.status, w.status, "{at}: verify_vote_extension status")
        }
        (R::FinalizeBlock(g), R::FinalizeBlock(w)) => {
            let codes = |r: &delivery_abci::types::ResponseFinalizeBlock| {
                r.tx_results.iter().map(|t| t.code).collect::<Vec<_>>()
            };
            assert_eq!(codes(g), codes(w), "{at}: finalize_block tx codes");
        }
        (R::Query(g), R::Query(w)) => {
            assert_eq!(g.key, w.key, "{at}: query key");
            assert_eq!(g.value, w.value, "{at}: query value");
        }
        (R::PrepareProposal(g), R::PrepareProposal(w)) => {
            assert_eq!(g.txs, w.txs, "{at}: prepare_proposal txs")
        }
        _ => {}
    }
}

async fn replay<S: AsyncRead + AsyncWrite + Send + 'static>(name: &str, streams: Vec<S>) {
    let trace = load_trace(name);
    let mut conns: Vec<Conn<S>> = streams
        .into_iter()
        .map(|s| {
            let (r, w) = tokio::io::split(s);
            Conn {
                writer: w,
                reader: FramedRead::new(r, ClientCodec::default()),
                expected: VecDeque::new(),
            }
        })
        .collect();
    for line in trace.iter().filter(|l| l.dir == Dir::Res) {
        let res = Response::decode(line.bytes.as_slice()).unwrap();
        conns[line.conn - 1].expected.push_back((line.line, res));
    }
    let mut requests = 0;
    for line in trace.iter().filter(|l| l.dir == Dir::Req) {
        let conn = &mut conns[line.conn - 1];
        // Write the recorded bytes as they were on the wire.
        let mut frame = Vec::new();
        put_length_prefix(&mut frame, line.bytes.len() as u64);
        frame.extend_from_slice(&line.bytes);
        conn.writer.write_all(&frame).await.unwrap();
        requests += 1;
        let req = Request::decode(line.bytes.as_slice()).unwrap();
        if !matches!(req.value, Some(request::Value::Flush(_))) {
            continue;
        }
        conn.writer.flush().await.unwrap();
        // The server writes its socket on Flush: every response up to the flush's must arrive.
        loop {
            let got = tokio::time::timeout(Duration::from_secs(10), conn.reader.next())
                .await
                .unwrap_or_else(|_| panic!("line {}: no response within 10 s", line.line))
                .unwrap_or_else(|| panic!("line {}: connection closed", line.line))
                .unwrap();
            let (res_line, want) = conn
                .expected
                .pop_front()
                .unwrap_or_else(|| panic!("line {}: more responses than recorded", line.line));
            let at = format!("{name} conn {} response line {res_line}", line.conn);
            let got = got.value.unwrap();
            assert_same_outcome(&at, &got, want.value.as_ref().unwrap());
            if matches!(got, response::Value::Flush(_)) {
                break;
            }
        }
    }
    for (i, c) in conns.iter().enumerate() {
        assert!(
            c.expected.is_empty(),
            "conn {}: {} responses never came",
            i + 1,
            c.expected.len()
        );
    }
    assert!(requests >= 40, "{name}: replayed only {requests} requests");
    // The snapshot connection (2) carried nothing in the trace; every connection still echoes.
    for (i, c) in conns.iter_mut().enumerate() {
        let echo = format!("conn {}", i + 1);
        let mut frame = Vec::new();
        for value in [
            request::Value::Echo(delivery_abci::types::RequestEcho {
                message: echo.clone(),
            }),
            request::Value::Flush(Default::default()),
        ] {
            frame.extend(Request { value: Some(value) }.encode_length_delimited_to_vec());
        }
        c.writer.write_all(&frame).await.unwrap();
        let got = c.reader.next().await.unwrap().unwrap().value.unwrap();
        assert_eq!(
            got,
            response::Value::Echo(delivery_abci::types::ResponseEcho { message: echo })
        );
        let got = c.reader.next().await.unwrap().unwrap().value.unwrap();
        assert!(matches!(got, response::Value::Flush(_)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_every_recorded_trace_over_tcp() {
    for name in support::TRACES {
        replay_over_tcp(name).await;
    }
}

async fn replay_over_tcp(name: &str) {
    let server = Server::bind("tcp://127.0.0.1:0", KvStore::default())
        .await
        .unwrap();
    let ListenAddr::Tcp(hostport) = server.local_addr().clone() else {
        panic!("not tcp")
    };
    let handle = server.spawn();
    let mut streams = Vec::new();
    for _ in 0..4 {
        let stream = TcpStream::connect(&hostport).await.unwrap();
        stream.set_nodelay(true).unwrap();
        streams.push(stream);
    }
    replay(name, streams).await;
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_the_single_validator_trace_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    let server = Server::bind(&format!("unix://{}", path.display()), KvStore::default())
        .await
        .unwrap();
    let handle = server.spawn();
    let mut streams = Vec::new();
    for _ in 0..4 {
        streams.push(UnixStream::connect(&path).await.unwrap());
    }
    replay("single-validator.jsonl", streams).await;
    handle.shutdown().await.unwrap();
    assert!(!path.exists(), "socket file left behind after shutdown");
}
