//! What validators sign, and how a signature is checked.
//!
//! - **Sign data**: `abi.encode(address proposer, uint256 start, uint256 end, bytes32 root,
//!   bytes32 accountRoot, uint256 bttcChainId)`: six 32-byte words, the address left-padded
//!   ([`Checkpoint::sign_data`]).
//! - **Sign hash**: `keccak256(0x01 ‖ data)` ([`Checkpoint::sign_hash`]), signed as it is (no
//!   Ethereum message prefix).
//! - **Signature**: 65 bytes `r ‖ s ‖ v`, `v` in {27, 28}, `s` in the lower half of the curve
//!   order ([`sign`], [`recover`]). The root contracts take it as `[r, s, v]`.

use delivery_module::crypto::{keccak256, Address, PublicKey, SecretKey};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::Message;

use crate::error::{CheckpointError, Result};
use crate::merkle::{pad32, pad_address, Hash};
use crate::types::Checkpoint;

/// The byte before the sign data in the sign hash.
pub const SIGN_PREFIX: u8 = 0x01;

/// The length of the sign data: six ABI words.
pub const SIGN_DATA_LEN: usize = 192;

impl Checkpoint {
    /// `abi.encode(proposer, start, end, root_hash, account_root_hash, bttc_chain_id)`.
    pub fn sign_data(&self) -> [u8; SIGN_DATA_LEN] {
        let words: [Hash; 6] = [
            pad_address(&self.proposer),
            pad32(self.start),
            pad32(self.end),
            self.root_hash,
            self.account_root_hash,
            pad32(self.bttc_chain_id),
        ];
        let mut out = [0u8; SIGN_DATA_LEN];
        for (chunk, word) in out.chunks_exact_mut(32).zip(words.iter()) {
            chunk.copy_from_slice(word);
        }
        out
    }

    /// `keccak256(0x01 ‖ sign_data)`: what each validator signs.
    pub fn sign_hash(&self) -> Hash {
        let mut buf = Vec::with_capacity(SIGN_DATA_LEN + 1);
        buf.push(SIGN_PREFIX);
        buf.extend_from_slice(&self.sign_data());
        keccak256(&buf)
    }
}

/// Signs a sign hash with a signer key: `r ‖ s ‖ v`, `v` in {27, 28}, low `s`.
pub fn sign(key: &SecretKey, sign_hash: &Hash) -> [u8; 65] {
    let mut sig = key.sign_recoverable(sign_hash);
    // sign_recoverable gives v in {0, 1}; libsecp256k1 signs with low s.
    sig[64] = sig[64].saturating_add(27);
    sig
}

/// The secp256k1 group order `n`, big-endian, halved (rounded down): a signature's `s` must not
/// be above it.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The address whose key made `signature` over `sign_hash`. Rejects a signature that is not 65
/// bytes, whose `v` is not 27 or 28, whose `s` is above half the group order, whose `r` or `s`
/// is zero or out of range, or from which no key recovers.
pub fn recover(sign_hash: &Hash, signature: &[u8]) -> Result<Address> {
    let bad = |detail: String| CheckpointError::InvalidSignature(detail);
    let sig: &[u8; 65] = signature
        .try_into()
        .map_err(|_| bad(format!("expected 65 bytes, got {}", signature.len())))?;
    let (rs, v) = sig.split_at(64);
    let v = v.first().copied().unwrap_or(0);
    let id = match v {
        27 => RecoveryId::Zero,
        28 => RecoveryId::One,
        other => return Err(bad(format!("v is {other}, expected 27 or 28"))),
    };
    let s = rs.get(32..).unwrap_or(&[]);
    if s > HALF_ORDER.as_slice() {
        return Err(bad(format!(
            "s 0x{} is above half the curve order (high-s signatures are malleable)",
            hex::encode(s)
        )));
    }
    let parsed = RecoverableSignature::from_compact(rs, id)
        .map_err(|e| bad(format!("r or s out of range: {e}")))?;
    let key = secp256k1::SECP256K1
        .recover_ecdsa(Message::from_digest(*sign_hash), &parsed)
        .map_err(|e| bad(format!("no key recovers: {e}")))?;
    let key =
        PublicKey::from_sec1(&key.serialize()).map_err(|e| bad(format!("recovered key: {e}")))?;
    Ok(key.address())
}

/// Checks that `signature` over `sign_hash` recovers to `signer`.
pub fn check(sign_hash: &Hash, signer: &Address, signature: &[u8]) -> Result<()> {
    let recovered = recover(sign_hash, signature)?;
    if recovered != *signer {
        return Err(CheckpointError::SignerMismatch {
            claimed: signer.to_string(),
            recovered: recovered.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;
    use alloy_primitives::{Address as AlloyAddress, FixedBytes, Signature, B256, U256};
    use alloy_sol_types::SolValue;
    use proptest::prelude::*;
    use sha3::{Digest, Keccak256};

    fn key(n: u8) -> SecretKey {
        let mut raw = [0u8; 32];
        raw[31] = n;
        raw[0] = 0x11;
        SecretKey::from_bytes(&raw).unwrap()
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            number: 3,
            root_chain: "tron".into(),
            proposer: key(1).address(),
            start: 512,
            end: 767,
            root_hash: [0xab; 32],
            account_root_hash: [0xcd; 32],
            bttc_chain_id: 199,
        }
    }

    #[test]
    fn sign_data_is_the_abi_encoding_of_the_six_fields() {
        let c = checkpoint();
        let expected = (
            AlloyAddress::from(c.proposer.0),
            U256::from(c.start),
            U256::from(c.end),
            FixedBytes::<32>::from(c.root_hash),
            FixedBytes::<32>::from(c.account_root_hash),
            U256::from(c.bttc_chain_id),
        )
            .abi_encode_params();
        assert_eq!(c.sign_data().to_vec(), expected);
        let mut prefixed = vec![0x01];
        prefixed.extend_from_slice(&expected);
        let hash: [u8; 32] = Keccak256::digest(&prefixed).into();
        assert_eq!(c.sign_hash(), hash);
    }

    #[test]
    fn signatures_recover_with_an_independent_implementation() {
        let c = checkpoint();
        let hash = c.sign_hash();
        for n in 1..=5 {
            let k = key(n);
            let sig = sign(&k, &hash);
            assert!(sig[64] == 27 || sig[64] == 28);
            assert_eq!(recover(&hash, &sig).unwrap(), k.address());
            check(&hash, &k.address(), &sig).unwrap();
            // alloy (k256) recovers the same address from the same bytes.
            let alloy_sig = Signature::from_raw(&sig).unwrap();
            let recovered = alloy_sig
                .recover_address_from_prehash(&B256::from(hash))
                .unwrap();
            assert_eq!(recovered.0 .0, k.address().0);
        }
    }

    #[test]
    fn a_signature_by_another_key_or_over_another_hash_is_refused() {
        let c = checkpoint();
        let hash = c.sign_hash();
        let sig = sign(&key(1), &hash);
        assert!(matches!(
            check(&hash, &key(2).address(), &sig),
            Err(CheckpointError::SignerMismatch { .. })
        ));
        let mut other = c.clone();
        other.end += 1;
        assert!(matches!(
            check(&other.sign_hash(), &key(1).address(), &sig),
            Err(CheckpointError::SignerMismatch { .. }) | Err(CheckpointError::InvalidSignature(_))
        ));
    }

    #[test]
    fn malformed_signatures_are_rejected_with_clear_errors() {
        let hash = checkpoint().sign_hash();
        let sig = sign(&key(1), &hash);
        let err = |bytes: &[u8]| match recover(&hash, bytes) {
            Err(CheckpointError::InvalidSignature(m)) => m,
            other => panic!("expected InvalidSignature, got {other:?}"),
        };
        assert!(err(&sig[..64]).contains("65 bytes"));
        assert!(err(&[sig.as_slice(), &[0]].concat()).contains("65 bytes"));
        for v in [0u8, 1, 26, 29, 35] {
            let mut bad = sig;
            bad[64] = v;
            assert!(err(&bad).contains("expected 27 or 28"), "v={v}");
        }
        // High s: s' = n - s with the parity flipped recovers the same key in a lax verifier;
        // here it is refused.
        let n = U256::from_be_bytes(
            <[u8; 32]>::try_from(
                hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                    .unwrap(),
            )
            .unwrap(),
        );
        let s = U256::from_be_slice(&sig[32..64]);
        let mut high = sig;
        high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        high[64] = if sig[64] == 27 { 28 } else { 27 };
        assert!(err(&high).contains("half the curve order"));
        // alloy accepts the malleated form and gets the same signer: the check is ours.
        let lax = Signature::from_raw(&high)
            .unwrap()
            .recover_address_from_prehash(&B256::from(hash))
            .unwrap();
        assert_eq!(lax.0 .0, key(1).address().0);
        // Zero r.
        let mut zero_r = sig;
        zero_r[..32].fill(0);
        assert!(recover(&hash, &zero_r).is_err());
    }

    proptest! {
        #[test]
        fn any_key_and_checkpoint_round_trip(
            seed in 1u64..u64::MAX,
            start in 0u64..1_000_000,
            len in 1u64..2048,
            root in any::<[u8; 32]>(),
        ) {
            let mut raw = [0x22u8; 32];
            raw[24..].copy_from_slice(&seed.to_be_bytes());
            let k = SecretKey::from_bytes(&raw).unwrap();
            let c = Checkpoint { start, end: start + len - 1, root_hash: root, ..checkpoint() };
            let sig = sign(&k, &c.sign_hash());
            prop_assert_eq!(recover(&c.sign_hash(), &sig).unwrap(), k.address());
        }
    }
}
