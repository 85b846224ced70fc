//! Verification of the ICS23 proofs returned by [`Storage::prove`](crate::Storage::prove).
//!
//! The tree commits to `0x01 ‖ value` (see the crate docs); these functions take the raw value
//! and apply that encoding, so a caller never sees it.

use ics23::{CommitmentProof, HostFunctionsManager, ProofSpec};

use crate::layout::encode_leaf_value;
use crate::RootHash;

/// The ICS23 proof spec of the store's tree (jmt's SHA-256 spec).
pub fn proof_spec() -> ProofSpec {
    jmt::ics23_spec()
}

/// True if `proof` shows that `key` holds `value` under `root`.
pub fn verify_membership(
    root: &RootHash,
    key: &[u8],
    value: &[u8],
    proof: &CommitmentProof,
) -> bool {
    ics23::verify_membership::<HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.to_vec(),
        key,
        &encode_leaf_value(value),
    )
}

/// True if `proof` shows that `key` is absent under `root`.
pub fn verify_non_membership(root: &RootHash, key: &[u8], proof: &CommitmentProof) -> bool {
    ics23::verify_non_membership::<HostFunctionsManager>(proof, &proof_spec(), &root.to_vec(), key)
}

/// True if `proof` shows that `key` holds `value` (`Some`) or is absent (`None`) under `root`.
pub fn verify_proof(
    root: &RootHash,
    key: &[u8],
    value: Option<&[u8]>,
    proof: &CommitmentProof,
) -> bool {
    match value {
        Some(value) => verify_membership(root, key, value, proof),
        None => verify_non_membership(root, key, proof),
    }
}
