//! Building and signing a transaction: one place for the dev root chain's deployment
//! ([`crate::rootchain`]) and the `bttc root` commands ([`crate::root`]).

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context as _;

/// What a transaction pays for gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fees {
    /// EIP-1559: at most `max_fee` per gas, of which at most `tip` goes to the producer.
    Eip1559 {
        /// `maxFeePerGas`.
        max_fee: u128,
        /// `maxPriorityFeePerGas`.
        tip: u128,
    },
    /// A legacy (EIP-155) transaction at `gas_price`, for chains without a base fee.
    Legacy {
        /// `gasPrice`.
        gas_price: u128,
    },
}

impl Fees {
    /// EIP-1559 fees that survive the base fee doubling: `2 * base_fee + tip`.
    pub fn eip1559(base_fee: u128, tip: u128) -> anyhow::Result<Self> {
        let max_fee = base_fee
            .checked_mul(2)
            .and_then(|f| f.checked_add(tip))
            .with_context(|| format!("max fee overflows (base fee {base_fee}, tip {tip})"))?;
        Ok(Self::Eip1559 { max_fee, tip })
    }

    /// The most one gas unit may cost.
    pub fn max_per_gas(self) -> u128 {
        match self {
            Self::Eip1559 { max_fee, .. } => max_fee,
            Self::Legacy { gas_price } => gas_price,
        }
    }
}

/// A transaction to sign (no value: contract calls and deployments).
#[derive(Debug, Clone)]
pub struct Unsigned {
    /// The chain id (EIP-155 / EIP-1559).
    pub chain_id: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// The gas limit.
    pub gas_limit: u64,
    /// The fees.
    pub fees: Fees,
    /// A call or a deployment.
    pub to: TxKind,
    /// Call data or init code.
    pub input: Bytes,
}

/// Signs `tx` with `key`: returns its hash and its EIP-2718 encoding (what
/// `eth_sendRawTransaction` takes).
pub fn sign(key: &PrivateKeySigner, tx: Unsigned) -> anyhow::Result<(B256, Vec<u8>)> {
    let envelope = match tx.fees {
        Fees::Eip1559 { max_fee, tip } => {
            let tx = TxEip1559 {
                chain_id: tx.chain_id,
                nonce: tx.nonce,
                gas_limit: tx.gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: tx.to,
                value: U256::ZERO,
                input: tx.input,
                ..Default::default()
            };
            let sig = key
                .sign_hash_sync(&tx.signature_hash())
                .context("signing a transaction")?;
            TxEnvelope::from(tx.into_signed(sig))
        }
        Fees::Legacy { gas_price } => {
            let tx = TxLegacy {
                chain_id: Some(tx.chain_id),
                nonce: tx.nonce,
                gas_price,
                gas_limit: tx.gas_limit,
                to: tx.to,
                value: U256::ZERO,
                input: tx.input,
            };
            let sig = key
                .sign_hash_sync(&tx.signature_hash())
                .context("signing a transaction")?;
            TxEnvelope::from(tx.into_signed(sig))
        }
    };
    Ok((*envelope.tx_hash(), envelope.encoded_2718()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_consensus::transaction::SignerRecoverable as _;
    use alloy_consensus::Transaction as _;
    use alloy_eips::eip2718::Decodable2718 as _;
    use alloy_primitives::Address;

    #[test]
    fn both_kinds_decode_back_with_their_sender_fees_and_hash() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
        for fees in [Fees::eip1559(7, 2).unwrap(), Fees::Legacy { gas_price: 11 }] {
            let (hash, raw) = sign(
                &key,
                Unsigned {
                    chain_id: 31_337,
                    nonce: 4,
                    gas_limit: 50_000,
                    fees,
                    to: TxKind::Call(Address::repeat_byte(1)),
                    input: Bytes::from_static(&[1, 2, 3]),
                },
            )
            .unwrap();
            let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
            assert_eq!(*tx.tx_hash(), hash);
            assert_eq!(tx.recover_signer().unwrap(), key.address());
            assert_eq!(tx.chain_id(), Some(31_337));
            assert_eq!((tx.nonce(), tx.gas_limit()), (4, 50_000));
            assert_eq!(tx.max_fee_per_gas(), fees.max_per_gas());
            assert_eq!(tx.is_legacy(), matches!(fees, Fees::Legacy { .. }));
        }
        assert_eq!(Fees::eip1559(7, 2).unwrap().max_per_gas(), 16);
        assert!(Fees::eip1559(u128::MAX, 1).is_err());
    }
}
