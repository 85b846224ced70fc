//! Header hashing and the producer's seal (bor/clique style).
//!
//! The header is Ethereum's (London shape: base fee, no withdrawals or blob fields) with
//! `ommers_hash` = hash of an empty list, `difficulty` = 0 and `nonce` = 0. The seal is a
//! secp256k1 signature `r ‖ s ‖ v` (`v` ∈ {0, 1}, low `s`) over the *seal hash*: keccak of the
//! RLP header whose `extra_data` lacks its last 65 bytes.

use alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH;
use alloy_consensus::Header;
use alloy_primitives::{self as ap, B64, U256};

use crate::hex_types::{Address, H256};
use crate::payload::{ExecutablePayload, EXTRA_SEAL_LEN, EXTRA_VANITY_LEN};

/// The payload's seal is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// `extra_data` is not vanity + seal.
    #[error("extra data must be {expected} bytes (32 vanity + 65 seal), found {found}")]
    ExtraDataLength {
        /// Required length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// The signature does not parse or does not recover to a key.
    #[error("invalid seal signature: {0}")]
    BadSignature(String),
    /// The recovery byte is not 0 or 1.
    #[error("seal recovery id must be 0 or 1, found {0}")]
    BadRecoveryId(u8),
    /// `s` is in the upper half of the curve order (a malleated signature).
    #[error("seal signature has a high s value")]
    HighS,
}

const EXTRA_LEN: usize = EXTRA_VANITY_LEN + EXTRA_SEAL_LEN;

impl ExecutablePayload {
    /// Root of the transactions trie over the raw transactions.
    pub fn transactions_root(&self) -> H256 {
        H256(
            alloy_trie::root::ordered_trie_root_with_encoder(&self.transactions, |tx, buf| {
                buf.extend_from_slice(tx.as_slice())
            })
            .0,
        )
    }

    /// The alloy header for this payload with the given extra data. Engine-internal: Delivery
    /// code uses [`Self::seal_hash`] and [`Self::compute_block_hash`].
    #[doc(hidden)]
    pub fn to_alloy_header_with_extra(&self, extra: &[u8]) -> Header {
        Header {
            parent_hash: ap::B256::from(self.parent_hash.0),
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: ap::Address::from(self.fee_recipient.0),
            state_root: ap::B256::from(self.state_root.0),
            transactions_root: ap::B256::from(self.transactions_root().0),
            receipts_root: ap::B256::from(self.receipts_root.0),
            logs_bloom: ap::Bloom::from(self.logs_bloom.0),
            difficulty: U256::ZERO,
            number: self.block_number,
            gas_limit: self.gas_limit,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            extra_data: ap::Bytes::copy_from_slice(extra),
            mix_hash: ap::B256::from(self.prev_randao.0),
            nonce: B64::ZERO,
            base_fee_per_gas: Some(self.base_fee_per_gas),
            withdrawals_root: None,
            blob_gas_used: None,
            excess_blob_gas: None,
            parent_beacon_block_root: None,
            requests_hash: None,
            block_access_list_hash: None,
            slot_number: None,
        }
    }

    /// The full alloy header (engine-internal).
    #[doc(hidden)]
    pub fn to_alloy_header(&self) -> Header {
        self.to_alloy_header_with_extra(self.extra_data.as_slice())
    }

    fn check_extra_len(&self) -> Result<(), SealError> {
        let found = self.extra_data.0.len();
        if found != EXTRA_LEN {
            return Err(SealError::ExtraDataLength {
                expected: EXTRA_LEN,
                found,
            });
        }
        Ok(())
    }

    /// The hash the producer signs: keccak of the RLP header without the 65-byte seal.
    pub fn seal_hash(&self) -> Result<H256, SealError> {
        self.check_extra_len()?;
        let unsealed = self.extra_data.0.get(..EXTRA_VANITY_LEN).unwrap_or(&[]);
        let header = self.to_alloy_header_with_extra(unsealed);
        Ok(H256(header.hash_slow().0))
    }

    /// Keccak of the RLP of the full (sealed) header.
    pub fn compute_block_hash(&self) -> H256 {
        H256(self.to_alloy_header().hash_slow().0)
    }

    /// Writes the producer's signature into `extra_data` and sets `block_hash`.
    pub fn seal(&mut self, signature: [u8; EXTRA_SEAL_LEN]) -> Result<(), SealError> {
        self.check_extra_len()?;
        self.extra_data.0.truncate(EXTRA_VANITY_LEN);
        self.extra_data.0.extend_from_slice(&signature);
        self.block_hash = self.compute_block_hash();
        Ok(())
    }

    /// The seal bytes at the end of `extra_data`.
    pub fn seal_signature(&self) -> Result<[u8; EXTRA_SEAL_LEN], SealError> {
        self.check_extra_len()?;
        let tail = self.extra_data.0.get(EXTRA_VANITY_LEN..).unwrap_or(&[]);
        tail.try_into().map_err(|_| SealError::ExtraDataLength {
            expected: EXTRA_LEN,
            found: tail.len(),
        })
    }

    /// The address that sealed the block, recovered from the seal.
    pub fn recover_author(&self) -> Result<Address, SealError> {
        let sig_bytes = self.seal_signature()?;
        let v = sig_bytes[EXTRA_SEAL_LEN - 1];
        if v > 1 {
            return Err(SealError::BadRecoveryId(v));
        }
        let sig = ap::Signature::from_raw_array(&sig_bytes)
            .map_err(|e| SealError::BadSignature(e.to_string()))?;
        if sig.normalize_s().is_some() {
            return Err(SealError::HighS);
        }
        let hash = self.seal_hash()?;
        let author = sig
            .recover_address_from_prehash(&keccak_fixed(hash))
            .map_err(|e| SealError::BadSignature(e.to_string()))?;
        Ok(Address(author.0 .0))
    }
}

fn keccak_fixed(h: H256) -> ap::B256 {
    ap::B256::from(h.0)
}
