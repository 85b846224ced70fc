//! Signing a root-chain transaction with an alloy key: the dev root chain's deployment
//! ([`crate::rootchain`]) and the `bttc root` commands ([`crate::root`]). The transaction
//! itself is built by [`bttc_engine_contracts::tx`], which deliveryd's bridge shares.

use alloy_primitives::B256;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context as _;
pub use bttc_engine_contracts::tx::{Fees, Unsigned};

/// EIP-1559 fees that survive the base fee doubling: `2 * base_fee + tip`.
pub fn eip1559(base_fee: u128, tip: u128) -> anyhow::Result<Fees> {
    Fees::eip1559(base_fee, tip)
        .with_context(|| format!("max fee overflows (base fee {base_fee}, tip {tip})"))
}

/// Signs `tx` with `key`: returns its hash and its EIP-2718 encoding (what
/// `eth_sendRawTransaction` takes).
pub fn sign(key: &PrivateKeySigner, tx: Unsigned) -> anyhow::Result<(B256, Vec<u8>)> {
    bttc_engine_contracts::tx::sign_with(tx, |hash| {
        key.sign_hash_sync(&hash).context("signing a transaction")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_consensus::transaction::SignerRecoverable as _;
    use alloy_consensus::Transaction as _;
    use alloy_consensus::TxEnvelope;
    use alloy_eips::eip2718::Decodable2718 as _;
    use alloy_primitives::{Address, Bytes, TxKind};

    #[test]
    fn both_kinds_decode_back_with_their_sender_fees_and_hash() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
        for fees in [eip1559(7, 2).unwrap(), Fees::Legacy { gas_price: 11 }] {
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
        assert_eq!(eip1559(7, 2).unwrap().max_per_gas(), 16);
        assert!(eip1559(u128::MAX, 1).is_err());
    }
}
