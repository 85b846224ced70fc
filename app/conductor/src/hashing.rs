//! CometBFT's hashes: merkle roots, the header hash, data / results / consensus-params hashes,
//! part-set headers and the canonical precommit sign bytes.

use prost::Message;
use sha2::{Digest, Sha256};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::ExecTxResult;
use tendermint_proto::v0_38::types::{
    BlockId, CanonicalBlockId, CanonicalPartSetHeader, CanonicalVote, HashedParams, PartSetHeader,
    SignedMsgType,
};
use tendermint_proto::v0_38::version::Consensus;

/// CometBFT's block part size (`BlockPartSizeBytes`).
pub const BLOCK_PART_SIZE: usize = 65536;

/// Block protocol version of CometBFT v0.38.
pub const BLOCK_PROTOCOL: u64 = 11;

/// The timestamp Go's zero `time.Time` encodes to (absent commit signatures carry it).
pub const ZERO_TIME: Timestamp = Timestamp {
    seconds: -62_135_596_800,
    nanos: 0,
};

/// Go's zero `BlockID{}` as protobuf: its non-nullable part-set header is always encoded.
pub fn empty_block_id() -> BlockId {
    BlockId {
        hash: Vec::new(),
        part_set_header: Some(PartSetHeader::default()),
    }
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

/// `merkle.HashFromByteSlices` (RFC 6962 with CometBFT's split rule).
pub fn merkle_root(leaves: &[impl AsRef<[u8]>]) -> Vec<u8> {
    tendermint::merkle::simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(leaves)
        .to_vec()
}

/// The merkle root of no leaves (SHA-256 of nothing).
pub fn empty_hash() -> Vec<u8> {
    sha256(&[])
}

/// A tx's hash (`tx.Hash()`): SHA-256 of its bytes.
pub fn tx_hash(tx: &[u8]) -> Vec<u8> {
    sha256(tx)
}

/// `Data.Hash()`: the merkle root of the tx hashes.
pub fn data_hash(txs: &[Vec<u8>]) -> Vec<u8> {
    let leaves: Vec<Vec<u8>> = txs.iter().map(|t| tx_hash(t)).collect();
    merkle_root(&leaves)
}

/// `ABCIResults.Hash()`: the merkle root of each result's deterministic part
/// (code, data, gas_wanted, gas_used).
pub fn results_hash(results: &[ExecTxResult]) -> Vec<u8> {
    let leaves: Vec<Vec<u8>> = results
        .iter()
        .map(|r| {
            ExecTxResult {
                code: r.code,
                data: r.data.clone(),
                gas_wanted: r.gas_wanted,
                gas_used: r.gas_used,
                ..Default::default()
            }
            .encode_to_vec()
        })
        .collect();
    merkle_root(&leaves)
}

/// `ConsensusParams.Hash()`: SHA-256 of `HashedParams{block_max_bytes, block_max_gas}`.
pub fn consensus_params_hash(max_bytes: i64, max_gas: i64) -> Vec<u8> {
    sha256(
        &HashedParams {
            block_max_bytes: max_bytes,
            block_max_gas: max_gas,
        }
        .encode_to_vec(),
    )
}

/// A protobuf wrapper (`gogotypes.BytesValue` / `StringValue`) of field 1, as `cdcEncode` does.
fn cdc_bytes(b: &[u8]) -> Vec<u8> {
    if b.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(b.len().saturating_add(11));
    out.push(0x0a);
    prost::encoding::encode_varint(b.len() as u64, &mut out);
    out.extend_from_slice(b);
    out
}

fn cdc_i64(v: i64) -> Vec<u8> {
    if v == 0 {
        return Vec::new();
    }
    let mut out = vec![0x08];
    prost::encoding::encode_varint(v as u64, &mut out);
    out
}

/// The fields of a header, in CometBFT's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderFields<'a> {
    /// Block protocol version.
    pub version_block: u64,
    /// App protocol version.
    pub version_app: u64,
    /// Chain id.
    pub chain_id: &'a str,
    /// Height.
    pub height: i64,
    /// Block time.
    pub time: Timestamp,
    /// Previous block's id (empty at the initial height).
    pub last_block_id: BlockId,
    /// Hash of the previous block's commit.
    pub last_commit_hash: &'a [u8],
    /// Hash of the txs.
    pub data_hash: &'a [u8],
    /// Hash of this height's validators.
    pub validators_hash: &'a [u8],
    /// Hash of the next height's validators.
    pub next_validators_hash: &'a [u8],
    /// Consensus params hash.
    pub consensus_hash: &'a [u8],
    /// App hash after the previous block.
    pub app_hash: &'a [u8],
    /// Results hash of the previous block.
    pub last_results_hash: &'a [u8],
    /// Evidence hash.
    pub evidence_hash: &'a [u8],
    /// Proposer address.
    pub proposer_address: &'a [u8],
}

/// `Header.Hash()`: the merkle root of the cdc-encoded fields.
pub fn header_hash(h: &HeaderFields<'_>) -> Vec<u8> {
    let leaves: Vec<Vec<u8>> = vec![
        Consensus {
            block: h.version_block,
            app: h.version_app,
        }
        .encode_to_vec(),
        cdc_bytes(h.chain_id.as_bytes()),
        cdc_i64(h.height),
        h.time.encode_to_vec(),
        h.last_block_id.encode_to_vec(),
        cdc_bytes(h.last_commit_hash),
        cdc_bytes(h.data_hash),
        cdc_bytes(h.validators_hash),
        cdc_bytes(h.next_validators_hash),
        cdc_bytes(h.consensus_hash),
        cdc_bytes(h.app_hash),
        cdc_bytes(h.last_results_hash),
        cdc_bytes(h.evidence_hash),
        cdc_bytes(h.proposer_address),
    ];
    merkle_root(&leaves)
}

/// `PartSetHeader` of a block's protobuf encoding cut into 64 KiB parts.
pub fn part_set_header(block_bytes: &[u8]) -> PartSetHeader {
    let parts: Vec<&[u8]> = block_bytes.chunks(BLOCK_PART_SIZE).collect();
    let total = u32::try_from(parts.len().max(1)).unwrap_or(u32::MAX);
    let parts: Vec<&[u8]> = if parts.is_empty() {
        vec![&[][..]]
    } else {
        parts
    };
    PartSetHeader {
        total,
        hash: merkle_root(&parts),
    }
}

/// The sign bytes of a precommit for `block_id` (`VoteSignBytes`): a length-delimited
/// `CanonicalVote`.
pub fn precommit_sign_bytes(
    chain_id: &str,
    height: i64,
    round: i64,
    block_id: &BlockId,
    timestamp: Timestamp,
) -> Vec<u8> {
    let psh = block_id.part_set_header.clone().unwrap_or_default();
    CanonicalVote {
        r#type: SignedMsgType::Precommit as i32,
        height,
        round,
        block_id: Some(CanonicalBlockId {
            hash: block_id.hash.clone(),
            part_set_header: Some(CanonicalPartSetHeader {
                total: psh.total,
                hash: psh.hash,
            }),
        }),
        timestamp: Some(timestamp),
        chain_id: chain_id.to_owned(),
    }
    .encode_length_delimited_to_vec()
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
    use crate::valset::{Validator, ValidatorSet};

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// The height-1 block hash CometBFT v0.38.25 sent in ProcessProposal in
    /// single-validator.jsonl, recomputed from the inputs in the same trace.
    #[test]
    fn header_hash_matches_single_validator_trace_height_1() {
        let set = ValidatorSet::new(vec![Validator::new(
            h("151492dbfaed7a5c3a0088eb0e0799edee9c012c8b16220c5aa06e1f7938ed3c"),
            10,
        )])
        .unwrap();
        let next = set.copy_increment(1);
        assert_eq!(
            next.hash(),
            h("4038787444331282941a68621f29935bc49554fe17a42ceb90764f52b2f8cdab")
        );
        let proposer = set.proposer().unwrap().address.clone();
        assert_eq!(proposer, h("8c2068d40f5373762b18a19b645887d149c9d55e"));
        let empty = h(EMPTY);
        let fields = HeaderFields {
            version_block: BLOCK_PROTOCOL,
            version_app: 1,
            chain_id: "trace-1",
            height: 1,
            time: Timestamp {
                seconds: 1_795_219_068,
                nanos: 157_657_755,
            },
            last_block_id: empty_block_id(),
            last_commit_hash: &empty,
            data_hash: &data_hash(&[]),
            validators_hash: &set.hash(),
            next_validators_hash: &next.hash(),
            consensus_hash: &consensus_params_hash(22_020_096, -1),
            app_hash: &[0u8; 8],
            last_results_hash: &results_hash(&[]),
            evidence_hash: &empty_hash(),
            proposer_address: &proposer,
        };
        assert_eq!(
            header_hash(&fields),
            h("a64c7631b6e98916281a1e82ae6fb412e86ca51bc015d76b70cc9e3e162b0a2a")
        );
    }

    /// The same for the two-validator trace (node0 proposes height 1).
    #[test]
    fn header_hash_matches_two_validator_trace_height_1() {
        let set = ValidatorSet::new(vec![
            Validator::new(
                h("4d1e25ec9b5e89d1f098e66add3f631f6c904a08f115e668d6e0c4fe4bb0cb72"),
                1,
            ),
            Validator::new(
                h("c8194c6c354fccde5b7372d75a899d50a1a2f35aa147e77b2e723621491c2aac"),
                1,
            ),
        ])
        .unwrap();
        let next = set.copy_increment(1);
        assert_eq!(
            next.hash(),
            h("87b5351fe35a09ca8115f79e5023f147cdcdd7a5907f5dffc9acb374c6c729a3")
        );
        let proposer = set.proposer().unwrap().address.clone();
        assert_eq!(proposer, h("990aa159ba8f2c57f6500852aa057aaed003839a"));
        // Height 2 is proposed by the other validator, as in the trace.
        assert_eq!(
            next.proposer().unwrap().address,
            h("c404e0e456205401e5ba92f66be88e8ff7fc6f71")
        );
        let empty = h(EMPTY);
        let fields = HeaderFields {
            version_block: BLOCK_PROTOCOL,
            version_app: 1,
            chain_id: "trace-2",
            height: 1,
            time: Timestamp {
                seconds: 1_795_219_095,
                nanos: 529_800_497,
            },
            last_block_id: empty_block_id(),
            last_commit_hash: &empty,
            data_hash: &empty,
            validators_hash: &set.hash(),
            next_validators_hash: &next.hash(),
            consensus_hash: &consensus_params_hash(22_020_096, -1),
            app_hash: &[0u8; 8],
            last_results_hash: &empty,
            evidence_hash: &empty,
            proposer_address: &proposer,
        };
        assert_eq!(
            header_hash(&fields),
            h("1d8e9edd6faa6a196b364811b31cd120a76e104925a7b6c81101154448885e72")
        );
    }

    #[test]
    fn empty_hashes_are_sha256_of_nothing() {
        assert_eq!(data_hash(&[]), h(EMPTY));
        assert_eq!(results_hash(&[]), h(EMPTY));
        assert_ne!(data_hash(&[b"a".to_vec()]), h(EMPTY));
    }
}
