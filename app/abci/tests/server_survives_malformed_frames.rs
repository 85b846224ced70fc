//! A bad frame (garbage, truncated, oversized, an unknown request kind) on one connection is
//! answered with an Exception after the responses already queued, that connection is closed,
//! and the server and its other connections keep working.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod support;

use std::time::Duration;

use bytes::BytesMut;
use delivery_abci::codec::{decode_frame, put_length_prefix, DEFAULT_MAX_MESSAGE_SIZE};
use delivery_abci::types::{request, response, Request, RequestEcho, Response};
use delivery_abci::{AbciClient, ListenAddr, Server, ServerConfig, ServerHandle};
use prost::Message;
use support::KvStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(max_message_size: usize) -> (ServerHandle, String) {
    let server = Server::bind_with(
        &ListenAddr::parse("tcp://127.0.0.1:0").unwrap(),
        KvStore::default(),
        ServerConfig { max_message_size },
    )
    .await
    .unwrap();
    let ListenAddr::Tcp(hostport) = server.local_addr().clone() else {
        panic!("not tcp")
    };
    (server.spawn(), hostport)
}

/// Sends `bytes` on a fresh connection (closing our write side if `close_write`), reads until
/// the server closes the connection, and returns the responses it sent.
async fn exchange(hostport: &str, bytes: &[u8], close_write: bool) -> Vec<response::Value> {
    let mut stream = TcpStream::connect(hostport).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    if close_write {
        stream.shutdown().await.unwrap();
    }
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received))
        .await
        .expect("the server did not close the connection")
        .unwrap();
    let mut buf = BytesMut::from(&received[..]);
    let mut out = Vec::new();
    while let Some(res) = decode_frame::<Response>(&mut buf, DEFAULT_MAX_MESSAGE_SIZE).unwrap() {
        out.push(res.value.unwrap());
    }
    assert!(buf.is_empty(), "partial response frame");
    out
}

fn echo_frame(msg: &str) -> Vec<u8> {
    Request {
        value: Some(request::Value::Echo(RequestEcho {
            message: msg.into(),
        })),
    }
    .encode_length_delimited_to_vec()
}

fn exception_text(res: &response::Value) -> &str {
    match res {
        response::Value::Exception(e) => &e.error,
        other => panic!("expected an exception, got {other:?}"),
    }
}

async fn assert_echoes(client: &mut AbciClient, msg: &str) {
    let res = client
        .echo(RequestEcho {
            message: msg.into(),
        })
        .await
        .unwrap();
    assert_eq!(res.message, msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets_an_exception_after_queued_responses_and_the_server_lives_on() {
    let (handle, hostport) = start(DEFAULT_MAX_MESSAGE_SIZE).await;
    let mut bystander = AbciClient::connect(&hostport).await.unwrap();
    assert_echoes(&mut bystander, "before").await;

    // An Echo without a Flush is queued, not written; the garbage that follows must not lose it.
    let mut bytes = echo_frame("queued");
    bytes.extend_from_slice(&[0x04, 0xff, 0xff, 0xff, 0xff]);
    let res = exchange(&hostport, &bytes, false).await;
    assert_eq!(res.len(), 2, "{res:?}");
    assert!(matches!(&res[0], response::Value::Echo(e) if e.message == "queued"));
    let text = exception_text(&res[1]);
    assert!(text.contains("not a valid protobuf Request"), "{text}");

    assert_echoes(&mut bystander, "after").await;
    let mut fresh = AbciClient::connect(&hostport).await.unwrap();
    assert_echoes(&mut fresh, "fresh").await;
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_cut_short_by_the_peer_gets_a_truncation_exception() {
    let (handle, hostport) = start(DEFAULT_MAX_MESSAGE_SIZE).await;
    let mut bystander = AbciClient::connect(&hostport).await.unwrap();
    let mut bytes = Vec::new();
    put_length_prefix(&mut bytes, 100);
    bytes.extend_from_slice(&[0x0a; 10]);
    let res = exchange(&hostport, &bytes, true).await;
    assert_eq!(res.len(), 1, "{res:?}");
    let text = exception_text(&res[0]);
    assert!(
        text.contains("middle of a frame") && text.contains("got 11 bytes"),
        "{text}"
    );
    // A prefix cut in the middle is truncated too.
    let res = exchange(&hostport, &[0x80, 0x80], true).await;
    assert!(exception_text(&res[0]).contains("middle of a frame"));
    assert_echoes(&mut bystander, "still here").await;
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_is_refused_from_its_prefix_alone() {
    let (handle, hostport) = start(1024).await;
    let mut bystander = AbciClient::connect(&hostport).await.unwrap();
    let mut bytes = Vec::new();
    put_length_prefix(&mut bytes, 2000);
    // No body is sent: the server must not wait for 2000 bytes it will refuse anyway.
    let res = exchange(&hostport, &bytes, false).await;
    let text = exception_text(&res[0]);
    assert!(text.contains("2000") && text.contains("1024"), "{text}");
    // A prefix that overflows 64 bits.
    let res = exchange(&hostport, &[0xff; 11], false).await;
    assert!(exception_text(&res[0]).contains("varint"));
    assert_echoes(&mut bystander, "still here").await;
    handle.shutdown().await.unwrap();

    // The default limit is CometBFT's 100 MiB.
    let (handle, hostport) = start(DEFAULT_MAX_MESSAGE_SIZE).await;
    let mut bytes = Vec::new();
    put_length_prefix(&mut bytes, 104_857_601);
    let res = exchange(&hostport, &bytes, false).await;
    assert!(exception_text(&res[0]).contains("104857601"));
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_request_kind_gets_an_exception() {
    let (handle, hostport) = start(DEFAULT_MAX_MESSAGE_SIZE).await;
    // Field 7 was BeginBlock in ABCI 1.0 (CometBFT v0.37); v0.38 has no such request. An empty
    // Request (length 0) carries no kind either.
    for bytes in [&[0x02, 0x3a, 0x00][..], &[0x00][..]] {
        let res = exchange(&hostport, bytes, false).await;
        assert_eq!(res.len(), 1, "{res:?}");
        assert!(exception_text(&res[0]).contains("no known message kind"));
    }
    let mut fresh = AbciClient::connect(&hostport).await.unwrap();
    assert_echoes(&mut fresh, "ok").await;
    handle.shutdown().await.unwrap();
}
