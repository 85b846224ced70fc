//! Transaction decoding, sender recovery, stateless and stateful validation, and conversion to
//! revm's `TxEnv`.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_eips::Typed2718;
use alloy_primitives::{Address, B256, U256};
use bttc_engine_api::TxRejectKind;
use bttc_engine_chainspec::ChainSpec;
use revm::context::TxEnv;
use revm::primitives::hardfork::SpecId;

/// Default largest nonce distance above the sender's account nonce accepted into the pool
/// (`PoolConfig::max_nonce_gap`).
pub const MAX_NONCE_GAP: u64 = 64;
/// EIP-7825 per-transaction gas cap (Osaka).
pub const OSAKA_TX_GAS_CAP: u64 = 1 << 24;

/// A transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct TxError {
    /// The rule that failed.
    pub kind: TxRejectKind,
    /// Detail.
    pub message: String,
}

fn reject(kind: TxRejectKind, message: impl Into<String>) -> TxError {
    TxError {
        kind,
        message: message.into(),
    }
}

/// A decoded transaction with its recovered sender.
#[derive(Debug, Clone)]
pub struct RecoveredTx {
    /// The transaction.
    pub envelope: TxEnvelope,
    /// The signer.
    pub sender: Address,
    /// The transaction hash.
    pub hash: B256,
    /// Encoded length.
    pub size: usize,
}

impl RecoveredTx {
    /// The raw EIP-2718 bytes.
    pub fn encoded(&self) -> Vec<u8> {
        self.envelope.encoded_2718()
    }

    /// revm's view of the transaction.
    pub fn tx_env(&self) -> TxEnv {
        let tx = &self.envelope;
        let mut env = TxEnv {
            tx_type: tx.ty(),
            caller: self.sender,
            gas_limit: tx.gas_limit(),
            gas_price: tx.max_fee_per_gas(),
            kind: tx.kind(),
            value: tx.value(),
            data: tx.input().clone(),
            nonce: tx.nonce(),
            chain_id: tx.chain_id(),
            access_list: match tx.access_list() {
                Some(list) => list.clone(),
                None => alloy_eips::eip2930::AccessList::default(),
            },
            gas_priority_fee: tx.max_priority_fee_per_gas(),
            ..Default::default()
        };
        if let Some(auths) = tx.authorization_list() {
            env.set_signed_authorization(auths.to_vec());
        }
        env
    }

    /// The fee cap: `max_fee_per_gas`, or the gas price of a legacy / EIP-2930 transaction.
    pub fn fee_cap(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }

    /// What the block producer earns per gas at `base_fee`: `min(max_priority_fee, fee_cap -
    /// base_fee)`, or `gas_price - base_fee` for a transaction without a priority fee; zero when
    /// the fee cap is below the base fee.
    pub fn effective_tip(&self, base_fee: u64) -> u128 {
        let room = self.fee_cap().saturating_sub(u128::from(base_fee));
        match self.envelope.max_priority_fee_per_gas() {
            Some(tip) => tip.min(room),
            None => room,
        }
    }

    /// Upper bound of what the sender must hold: `gas_limit * max_fee + value`.
    pub fn max_cost(&self) -> Option<U256> {
        let tx = &self.envelope;
        U256::from(tx.gas_limit())
            .checked_mul(U256::from(tx.max_fee_per_gas()))?
            .checked_add(tx.value())
    }
}

/// Decodes a raw transaction and checks everything that does not need state: size, type, chain
/// id, signature, fee fields, intrinsic gas and gas limit.
pub fn decode_and_check(raw: &[u8], spec: &ChainSpec) -> Result<RecoveredTx, TxError> {
    if raw.len() > spec.max_tx_size {
        return Err(reject(
            TxRejectKind::Oversized,
            format!(
                "transaction is {} bytes, limit {}",
                raw.len(),
                spec.max_tx_size
            ),
        ));
    }
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| {
        reject(
            TxRejectKind::Malformed,
            format!("cannot decode transaction: {e}"),
        )
    })?;
    if !buf.is_empty() {
        return Err(reject(
            TxRejectKind::Malformed,
            format!("{} trailing bytes after the transaction", buf.len()),
        ));
    }
    match &envelope {
        TxEnvelope::Eip4844(_) => {
            return Err(reject(
                TxRejectKind::UnsupportedType,
                "blob transactions are not accepted",
            ))
        }
        TxEnvelope::Eip1559(_) | TxEnvelope::Eip7702(_) if !spec.hardfork.is_london() => {
            return Err(reject(
                TxRejectKind::UnsupportedType,
                format!(
                    "transaction type {} is not active under {:?}",
                    envelope.ty(),
                    spec.hardfork
                ),
            ))
        }
        TxEnvelope::Eip7702(_) if spec.spec_id() < SpecId::PRAGUE => {
            return Err(reject(
                TxRejectKind::UnsupportedType,
                "EIP-7702 needs prague or later",
            ))
        }
        _ => {}
    }
    match envelope.chain_id() {
        Some(id) if id == spec.chain_id => {}
        Some(id) => {
            return Err(reject(
                TxRejectKind::WrongChainId,
                format!("chain id {id}, expected {}", spec.chain_id),
            ))
        }
        None => {
            return Err(reject(
                TxRejectKind::WrongChainId,
                format!(
                    "transaction without chain id (pre-EIP-155), expected {}",
                    spec.chain_id
                ),
            ))
        }
    }
    let sender = envelope
        .recover_signer()
        .map_err(|e| reject(TxRejectKind::Malformed, format!("bad signature: {e}")))?;
    if let Some(tip) = envelope.max_priority_fee_per_gas() {
        if tip > envelope.max_fee_per_gas() {
            return Err(reject(
                TxRejectKind::FeeTooLow,
                format!(
                    "priority fee {tip} exceeds max fee {}",
                    envelope.max_fee_per_gas()
                ),
            ));
        }
    }
    let gas_limit = envelope.gas_limit();
    if gas_limit > spec.gas_limit {
        return Err(reject(
            TxRejectKind::GasLimitTooHigh,
            format!(
                "gas limit {gas_limit} exceeds the block gas limit {}",
                spec.gas_limit
            ),
        ));
    }
    if spec.spec_id() >= SpecId::OSAKA && gas_limit > OSAKA_TX_GAS_CAP {
        return Err(reject(
            TxRejectKind::GasLimitTooHigh,
            format!("gas limit {gas_limit} exceeds the per-transaction cap {OSAKA_TX_GAS_CAP}"),
        ));
    }
    let hash = *envelope.tx_hash();
    let tx = RecoveredTx {
        envelope,
        sender,
        hash,
        size: raw.len(),
    };
    let env = tx.tx_env();
    revm::handler::validation::validate_initial_tx_gas(
        &env,
        spec.spec_id(),
        false,
        false,
        u64::MAX,
        None,
    )
    .map_err(|e| reject(TxRejectKind::IntrinsicGasTooLow, e.to_string()))?;
    Ok(tx)
}

/// Checks a transaction against the sender's account (`nonce`, `balance`) and the base fee of
/// the next block, for pool admission. A nonce more than `max_nonce_gap` above the account nonce
/// is a [`TxRejectKind::NonceGap`].
pub fn check_against_account(
    tx: &RecoveredTx,
    account_nonce: u64,
    balance: U256,
    next_base_fee: u64,
    max_nonce_gap: u64,
) -> Result<(), TxError> {
    let nonce = tx.envelope.nonce();
    if nonce < account_nonce {
        return Err(reject(
            TxRejectKind::NonceTooLow,
            format!("nonce {nonce} is below the account nonce {account_nonce}"),
        ));
    }
    if nonce.saturating_sub(account_nonce) > max_nonce_gap {
        return Err(reject(
            TxRejectKind::NonceGap,
            format!(
                "nonce {nonce} is more than {max_nonce_gap} above the account nonce {account_nonce}"
            ),
        ));
    }
    let cost = tx.max_cost().ok_or_else(|| {
        reject(
            TxRejectKind::InsufficientFunds,
            "gas_limit * max_fee + value overflows",
        )
    })?;
    if cost > balance {
        return Err(reject(
            TxRejectKind::InsufficientFunds,
            format!("sender {} has {balance} wei, needs {cost}", tx.sender),
        ));
    }
    if tx.envelope.max_fee_per_gas() < u128::from(next_base_fee) {
        return Err(reject(
            TxRejectKind::FeeTooLow,
            format!(
                "max fee {} is below the base fee {next_base_fee}",
                tx.envelope.max_fee_per_gas()
            ),
        ));
    }
    Ok(())
}
