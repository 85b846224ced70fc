//! The bytes CometBFT signs for a vote extension.
//!
//! CometBFT v0.38 (`types/vote.go`, `VoteExtensionSignBytes`) signs the protobuf encoding of
//!
//! ```text
//! message CanonicalVoteExtension {
//!   bytes    extension = 1;
//!   sfixed64 height    = 2;
//!   sfixed64 round     = 3;
//!   string   chain_id  = 4;
//! }
//! ```
//!
//! prefixed by its length as an unsigned varint (`protoio.MarshalDelimited`, kept for
//! compatibility with the Amino encoding). As in any proto3 encoding, zero and empty fields are
//! left out. The validator's consensus key (ed25519 by default) signs these bytes; the app sees
//! the extension and its signature in `ExtendedVoteInfo` of `PrepareProposal`'s
//! `local_last_commit`, and must check them itself if it relies on them.

use prost::Message;
use tendermint_proto::v0_38::types::CanonicalVoteExtension;

/// The bytes a validator signs for its vote `extension` at `height` and `round` on `chain_id`
/// (CometBFT v0.38 `VoteExtensionSignBytes`).
///
/// `round` is an `int32` in CometBFT's `Vote` and widened to `sfixed64` here, as CometBFT does;
/// pass `ExtendedCommitInfo.round` as is.
pub fn vote_extension_sign_bytes(
    chain_id: &str,
    height: i64,
    round: i64,
    extension: &[u8],
) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height,
        round,
        chain_id: chain_id.to_owned(),
    }
    .encode_length_delimited_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_hand_encoded_canonical_vote_extension() {
        let expected: Vec<u8> = [
            &[0x23][..],                     // length prefix: 35 bytes follow
            &[0x0a, 0x03, b'e', b'x', b't'], // 1: extension, bytes, len 3
            &[0x11, 5, 0, 0, 0, 0, 0, 0, 0], // 2: height, sfixed64 LE = 5
            &[0x19, 1, 0, 0, 0, 0, 0, 0, 0], // 3: round, sfixed64 LE = 1
            &[0x22, 0x0a],                   // 4: chain_id, len 10
            b"test-chain",
        ]
        .concat();
        assert_eq!(
            vote_extension_sign_bytes("test-chain", 5, 1, b"ext"),
            expected
        );
    }

    #[test]
    fn zero_round_and_empty_extension_are_left_out() {
        let expected: Vec<u8> = [
            &[0x12][..],                           // 18 bytes follow
            &[0x11, 0x02, 0x01, 0, 0, 0, 0, 0, 0], // height 258
            &[0x22, 0x07],
            b"trace-1",
        ]
        .concat();
        assert_eq!(vote_extension_sign_bytes("trace-1", 258, 0, b""), expected);
    }

    #[test]
    fn negative_values_are_twos_complement_fixed64() {
        let bytes = vote_extension_sign_bytes("", -1, 0, b"");
        assert_eq!(
            bytes,
            vec![0x09, 0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }
}
