//! Golden test: every message CometBFT v0.38.25 and its kvstore exchanged decodes with our types
//! and re-encodes to the identical bytes, framed or not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod support;

use bytes::BytesMut;
use delivery_abci::codec::{
    decode_frame, encode_frame, put_length_prefix, DEFAULT_MAX_MESSAGE_SIZE,
};
use delivery_abci::kind::{request_name, response_name};
use delivery_abci::types::{Request, Response};
use prost::Message;
use support::{load_trace, Dir, TRACES};

#[test]
fn every_traced_message_decodes_and_reencodes_to_the_same_bytes() {
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0;
    for name in TRACES {
        let trace = load_trace(name);
        assert!(trace.len() > 50, "{name} looks empty");
        for line in trace {
            let at = format!("{name}:{}", line.line);
            let reencoded = match line.dir {
                Dir::Req => {
                    let req = Request::decode(line.bytes.as_slice()).expect(&at);
                    let value = req
                        .value
                        .as_ref()
                        .unwrap_or_else(|| panic!("{at}: no kind"));
                    seen.insert(format!("req {}", request_name(value)));
                    req.encode_to_vec()
                }
                Dir::Res => {
                    let res = Response::decode(line.bytes.as_slice()).expect(&at);
                    let value = res
                        .value
                        .as_ref()
                        .unwrap_or_else(|| panic!("{at}: no kind"));
                    seen.insert(format!("res {}", response_name(value)));
                    res.encode_to_vec()
                }
            };
            assert_eq!(
                hex(&reencoded),
                hex(&line.bytes),
                "{at}: re-encoding differs"
            );
            count += 1;
        }
    }
    // The traces cover the whole ABCI 2.0 consensus flow; make sure we really looked at it.
    for kind in [
        "req info",
        "req init_chain",
        "req query",
        "req check_tx",
        "req prepare_proposal",
        "req process_proposal",
        "req extend_vote",
        "req verify_vote_extension",
        "req finalize_block",
        "req commit",
        "req flush",
        "res finalize_block",
        "res flush",
    ] {
        assert!(seen.contains(kind), "no {kind} in the traces; saw {seen:?}");
    }
    assert!(count > 500, "only {count} messages");
}

#[test]
fn every_traced_message_goes_through_the_frame_codec_unchanged() {
    for name in TRACES {
        // Build the whole stream of one direction as CometBFT would put it on the wire.
        for dir in [Dir::Req, Dir::Res] {
            let lines: Vec<_> = load_trace(name)
                .into_iter()
                .filter(|l| l.dir == dir)
                .collect();
            let mut wire = BytesMut::new();
            for l in &lines {
                put_length_prefix(&mut wire, l.bytes.len() as u64);
                wire.extend_from_slice(&l.bytes);
            }
            let mut reframed = BytesMut::new();
            for l in &lines {
                let at = format!("{name}:{}", l.line);
                match dir {
                    Dir::Req => {
                        let m: Request = decode_frame(&mut wire, DEFAULT_MAX_MESSAGE_SIZE)
                            .expect(&at)
                            .expect(&at);
                        encode_frame(&m, &mut reframed, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
                    }
                    Dir::Res => {
                        let m: Response = decode_frame(&mut wire, DEFAULT_MAX_MESSAGE_SIZE)
                            .expect(&at)
                            .expect(&at);
                        encode_frame(&m, &mut reframed, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
                    }
                }
            }
            assert!(wire.is_empty(), "{name}: bytes left over");
            let mut expected = BytesMut::new();
            for l in &lines {
                put_length_prefix(&mut expected, l.bytes.len() as u64);
                expected.extend_from_slice(&l.bytes);
            }
            assert_eq!(reframed, expected, "{name} {dir:?}");
        }
    }
}

fn hex(b: &[u8]) -> String {
    hex::encode(b)
}
