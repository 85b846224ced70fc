//! Root-chain transactions (contract calls and deployments, no value) built and signed one way
//! for every sender: the dev root chain's deployment and `bttc root` (with an alloy signer) and
//! deliveryd's bridge (with its signer key). The caller signs the hash; this builds the
//! EIP-1559 or legacy (EIP-155) transaction around it.

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Bytes, Signature, TxKind, B256, U256};

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
    /// `None` when that overflows.
    pub fn eip1559(base_fee: u128, tip: u128) -> Option<Self> {
        let max_fee = base_fee.checked_mul(2)?.checked_add(tip)?;
        Some(Self::Eip1559 { max_fee, tip })
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

/// Builds `tx`, has `signer` sign its signature hash, and returns the transaction's hash and
/// its EIP-2718 encoding (what `eth_sendRawTransaction` takes).
pub fn sign_with<E>(
    tx: Unsigned,
    signer: impl FnOnce(B256) -> Result<Signature, E>,
) -> Result<(B256, Vec<u8>), E> {
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
            let sig = signer(tx.signature_hash())?;
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
            let sig = signer(tx.signature_hash())?;
            TxEnvelope::from(tx.into_signed(sig))
        }
    };
    Ok((*envelope.tx_hash(), envelope.encoded_2718()))
}
