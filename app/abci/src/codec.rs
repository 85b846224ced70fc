//! CometBFT's ABCI socket framing.
//!
//! Every message on an ABCI socket is one protobuf `Request` (CometBFT → app) or `Response`
//! (app → CometBFT) prefixed by its length in bytes as an unsigned LEB128 varint: CometBFT's
//! `abci/types.WriteMessage`/`ReadMessage` use `libs/protoio`'s delimited writer and reader
//! (`binary.PutUvarint` / `binary.ReadUvarint`), which is exactly prost's
//! `encode_length_delimited`. CometBFT refuses frames longer than 100 MiB (`maxMsgSize =
//! 104857600`, a frame of exactly that size is allowed); so do we by default
//! ([`DEFAULT_MAX_MESSAGE_SIZE`]), and the limit is configurable.
//!
//! The decoder never panics: an over-long prefix, an announced size over the limit, a payload that
//! is not valid protobuf, and a stream that ends inside a frame are each a distinct
//! [`AbciError`].

use std::marker::PhantomData;

use bytes::{Buf, BufMut, BytesMut};
use prost::Message;
use tendermint_proto::v0_38::abci::{Request, Response};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::AbciError;

/// CometBFT v0.38's limit on one ABCI message (100 MiB), used unless configured otherwise.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 104_857_600;

/// The most bytes an unsigned 64-bit varint can take.
const MAX_VARINT_LEN: usize = 10;

/// A message type that travels in ABCI frames (`Request` or `Response`).
pub trait Frame: Message + Default {
    /// `"Request"` or `"Response"`, for error messages.
    const NAME: &'static str;
}

impl Frame for Request {
    const NAME: &'static str = "Request";
}

impl Frame for Response {
    const NAME: &'static str = "Response";
}

/// A [`tokio_util::codec`] codec that decodes frames of `D` and encodes frames of `E`.
///
/// Use [`ServerCodec`] on the app side and [`ClientCodec`] on the CometBFT side.
#[derive(Debug)]
pub struct Codec<D, E> {
    max_message_size: usize,
    _types: PhantomData<fn(E) -> D>,
}

/// The app side of a connection: reads `Request`s, writes `Response`s.
pub type ServerCodec = Codec<Request, Response>;

/// The CometBFT side of a connection: reads `Response`s, writes `Request`s.
pub type ClientCodec = Codec<Response, Request>;

impl<D, E> Codec<D, E> {
    /// A codec that rejects frames longer than `max_message_size` bytes (prefix excluded).
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            _types: PhantomData,
        }
    }

    /// The configured limit in bytes.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }
}

impl<D, E> Default for Codec<D, E> {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl<D, E> Clone for Codec<D, E> {
    fn clone(&self) -> Self {
        Self::new(self.max_message_size)
    }
}

/// The result of looking for a length prefix at the start of a buffer.
enum Prefix {
    /// The buffer ends inside the prefix.
    Incomplete,
    /// The prefix is `len` bytes long and announces `value` bytes of payload.
    Complete { len: usize, value: u64 },
}

/// Reads an unsigned varint the way Go's `binary.ReadUvarint` does: at most 10 bytes, and the
/// 10th byte may only be 0 or 1.
fn read_prefix(src: &[u8]) -> Result<Prefix, AbciError> {
    let mut value: u64 = 0;
    for (i, &byte) in src.iter().take(MAX_VARINT_LEN).enumerate() {
        if i == MAX_VARINT_LEN - 1 && byte > 1 {
            return Err(AbciError::VarintOverflow);
        }
        // i < 10, so the shift is at most 63.
        let shift = u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(7);
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte < 0x80 {
            return Ok(Prefix::Complete {
                len: i.saturating_add(1),
                value,
            });
        }
    }
    if src.len() >= MAX_VARINT_LEN {
        Err(AbciError::VarintOverflow)
    } else {
        Ok(Prefix::Incomplete)
    }
}

/// Decodes one frame from the front of `src`, consuming it; `Ok(None)` if `src` does not hold
/// a whole frame yet (nothing is consumed then).
pub fn decode_frame<M: Frame>(
    src: &mut BytesMut,
    max_message_size: usize,
) -> Result<Option<M>, AbciError> {
    let (prefix_len, size) = match read_prefix(src)? {
        Prefix::Incomplete => return Ok(None),
        Prefix::Complete { len, value } => (len, value),
    };
    let max = max_message_size;
    let too_large = || AbciError::FrameTooLarge { size, max };
    let body_len = usize::try_from(size).map_err(|_| too_large())?;
    if body_len > max {
        return Err(too_large());
    }
    let frame_len = prefix_len.checked_add(body_len).ok_or_else(too_large)?;
    if src.len() < frame_len {
        src.reserve(frame_len.saturating_sub(src.len()));
        return Ok(None);
    }
    src.advance(prefix_len);
    let body = src.split_to(body_len).freeze();
    M::decode(body)
        .map(Some)
        .map_err(|source| AbciError::Decode {
            what: M::NAME,
            source,
        })
}

/// Appends `msg` to `dst` as one frame (length prefix, then the protobuf bytes).
///
/// Fails with [`AbciError::FrameTooLarge`] if the encoded message is over `max_message_size`:
/// CometBFT would refuse it.
pub fn encode_frame<M: Message>(
    msg: &M,
    dst: &mut BytesMut,
    max_message_size: usize,
) -> Result<(), AbciError> {
    let len = msg.encoded_len();
    if len > max_message_size {
        return Err(AbciError::FrameTooLarge {
            size: u64::try_from(len).unwrap_or(u64::MAX),
            max: max_message_size,
        });
    }
    dst.reserve(len.saturating_add(MAX_VARINT_LEN));
    prost::encoding::encode_varint(len as u64, dst);
    // `BytesMut` grows on demand, so encoding into it cannot run out of space.
    msg.encode_raw(dst);
    Ok(())
}

/// `msg` as one frame (length prefix, then the protobuf bytes), without a size limit.
pub fn frame_to_vec<M: Message>(msg: &M) -> Vec<u8> {
    msg.encode_length_delimited_to_vec()
}

impl<D: Frame, E> Decoder for Codec<D, E> {
    type Item = D;
    type Error = AbciError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<D>, AbciError> {
        decode_frame(src, self.max_message_size)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<D>, AbciError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let got = src.len();
        let expected = match read_prefix(src)? {
            // The prefix itself was cut: at least one more byte was needed.
            Prefix::Incomplete => got.saturating_add(1),
            Prefix::Complete { len, value } => {
                len.saturating_add(usize::try_from(value).unwrap_or(usize::MAX))
            }
        };
        src.clear();
        Err(AbciError::Truncated { got, expected })
    }
}

impl<D, E: Message> Encoder<E> for Codec<D, E> {
    type Error = AbciError;

    fn encode(&mut self, item: E, dst: &mut BytesMut) -> Result<(), AbciError> {
        encode_frame(&item, dst, self.max_message_size)
    }
}

/// Writes `value` as an unsigned varint (the frame prefix), for tests that build frames by hand.
pub fn put_length_prefix(dst: &mut impl BufMut, value: u64) {
    prost::encoding::encode_varint(value, dst);
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;
    use tendermint_proto::v0_38::abci::{request, response, RequestEcho, ResponseEcho};

    fn echo_request(msg: &str) -> Request {
        Request {
            value: Some(request::Value::Echo(RequestEcho {
                message: msg.to_owned(),
            })),
        }
    }

    #[test]
    fn flush_request_is_two_bytes_after_a_one_byte_prefix() {
        // The traces show a Flush request as `1200`; framed, it is `02 12 00`.
        let req = Request {
            value: Some(request::Value::Flush(Default::default())),
        };
        let mut buf = BytesMut::new();
        encode_frame(&req, &mut buf, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        assert_eq!(&buf[..], &[0x02, 0x12, 0x00]);
        let back: Request = decode_frame(&mut buf, DEFAULT_MAX_MESSAGE_SIZE)
            .unwrap()
            .unwrap();
        assert_eq!(back, req);
        assert!(buf.is_empty());
    }

    #[test]
    fn long_messages_use_a_multi_byte_unsigned_prefix() {
        let req = echo_request(&"x".repeat(300));
        let mut buf = BytesMut::new();
        encode_frame(&req, &mut buf, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        // RequestEcho = 0a ac02 + 300 bytes = 303; Request = 0a af02 + 303 bytes = 306, whose
        // unsigned varint is b2 02 (a zigzag-signed prefix, as in Tendermint 0.33, would be e4 04).
        assert_eq!(&buf[..2], &[0xb2, 0x02]);
        assert_eq!(buf.len(), 2 + 306);
    }

    #[test]
    fn every_split_point_waits_for_the_rest() {
        let mut whole = BytesMut::new();
        encode_frame(&echo_request("hello"), &mut whole, 1024).unwrap();
        encode_frame(&echo_request(&"y".repeat(200)), &mut whole, 1024).unwrap();
        for cut in 0..whole.len() {
            let mut codec = ServerCodec::new(1024);
            let mut buf = BytesMut::from(&whole[..cut]);
            let mut got = Vec::new();
            while let Some(m) = codec.decode(&mut buf).unwrap() {
                got.push(m);
            }
            buf.extend_from_slice(&whole[cut..]);
            while let Some(m) = codec.decode(&mut buf).unwrap() {
                got.push(m);
            }
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(got[0], echo_request("hello"));
        }
    }

    #[test]
    fn oversized_prefix_is_rejected_before_the_body_arrives() {
        let mut buf = BytesMut::new();
        put_length_prefix(&mut buf, 2000);
        let err = decode_frame::<Request>(&mut buf, 1000).unwrap_err();
        assert!(
            matches!(
                err,
                AbciError::FrameTooLarge {
                    size: 2000,
                    max: 1000
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("2000"));
    }

    #[test]
    fn a_frame_of_exactly_the_limit_is_accepted() {
        let req = echo_request("abc");
        let len = req.encoded_len();
        let mut buf = BytesMut::new();
        encode_frame(&req, &mut buf, len).unwrap();
        assert!(decode_frame::<Request>(&mut buf, len).unwrap().is_some());
        assert!(encode_frame(&req, &mut buf, len - 1).is_err());
    }

    #[test]
    fn an_eleven_byte_prefix_is_an_overflow() {
        let mut buf = BytesMut::from(&[0xffu8; 11][..]);
        assert!(matches!(
            decode_frame::<Request>(&mut buf, DEFAULT_MAX_MESSAGE_SIZE),
            Err(AbciError::VarintOverflow)
        ));
        // Ten bytes whose last one is over 1 overflow 64 bits too.
        let mut buf =
            BytesMut::from(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02][..]);
        assert!(matches!(
            decode_frame::<Request>(&mut buf, DEFAULT_MAX_MESSAGE_SIZE),
            Err(AbciError::VarintOverflow)
        ));
        // The largest 64-bit value is over any limit, but is a valid prefix.
        let mut buf =
            BytesMut::from(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01][..]);
        assert!(matches!(
            decode_frame::<Request>(&mut buf, DEFAULT_MAX_MESSAGE_SIZE),
            Err(AbciError::FrameTooLarge { size: u64::MAX, .. })
        ));
    }

    #[test]
    fn garbage_payload_is_a_decode_error() {
        let mut buf = BytesMut::new();
        put_length_prefix(&mut buf, 4);
        buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        let err = decode_frame::<Request>(&mut buf, 1024).unwrap_err();
        assert!(
            matches!(
                err,
                AbciError::Decode {
                    what: "Request",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn stream_ending_inside_a_frame_is_truncated() {
        let mut whole = BytesMut::new();
        encode_frame(&echo_request("hello"), &mut whole, 1024).unwrap();
        let mut codec = ServerCodec::new(1024);
        let mut buf = BytesMut::from(&whole[..4]);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(
            matches!(err, AbciError::Truncated { got: 4, expected } if expected == whole.len()),
            "{err}"
        );
        let mut buf = BytesMut::from(&[0x80u8][..]);
        assert!(matches!(
            codec.decode_eof(&mut buf),
            Err(AbciError::Truncated {
                got: 1,
                expected: 2
            })
        ));
        let mut empty = BytesMut::new();
        assert!(codec.decode_eof(&mut empty).unwrap().is_none());
    }

    #[test]
    fn client_codec_reads_responses() {
        let res = Response {
            value: Some(response::Value::Echo(ResponseEcho {
                message: "hi".into(),
            })),
        };
        let mut server = ServerCodec::default();
        let mut buf = BytesMut::new();
        server.encode(res.clone(), &mut buf).unwrap();
        let mut client = ClientCodec::default();
        assert_eq!(client.decode(&mut buf).unwrap(), Some(res));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut codec = ServerCodec::new(256);
            let mut buf = BytesMut::from(&data[..]);
            while let Ok(Some(_)) = codec.decode(&mut buf) {}
            let mut buf = BytesMut::from(&data[..]);
            let _ = codec.decode_eof(&mut buf);
        }
    }
}
