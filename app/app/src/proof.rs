//! Wire form of store proofs: the ICS23 `CommitmentProof` protobuf carried in a CometBFT
//! `ProofOp` of type [`crate::query::PROOF_OP_TYPE`]. ics23 uses prost 0.13, so this is the one
//! place that encodes and decodes it.

use delivery_store::CommitmentProof;
use prost013::Message as _;

/// Encodes a proof for a `ProofOp.data`.
pub fn encode(proof: &CommitmentProof) -> Vec<u8> {
    proof.encode_to_vec()
}

/// Decodes `proof` and checks that `key` holds `value` (or is absent, for `None`) under the app
/// hash `root`.
pub fn verify_encoded(
    root: &[u8],
    key: &[u8],
    value: Option<&[u8]>,
    proof: &[u8],
) -> Result<(), String> {
    let root: [u8; 32] = root
        .try_into()
        .map_err(|_| format!("app hash must be 32 bytes, got {}", root.len()))?;
    let proof =
        CommitmentProof::decode(proof).map_err(|e| format!("proof does not decode: {e}"))?;
    if delivery_store::verify_proof(&root, key, value, &proof) {
        Ok(())
    } else {
        Err("proof does not verify".into())
    }
}
