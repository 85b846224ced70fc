//! Executing a block on revm: system calls, then transactions, then the base-fee transfer, then
//! the state root.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, Transaction, TxType};
use alloy_eips::Typed2718;
use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
use bttc_engine_api::{SpanCommit, StateSyncRecord};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_storage::{BlockState, StateWrites, Store, StoreError};
use revm::context::result::{EVMError, ExecutionResult};
use revm::context::{BlockEnv, CfgEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext, SystemCallCommitEvm};

use crate::system::{self, STATE_RECEIVER, SYSTEM_ADDRESS, VALIDATOR_SET};
use crate::tx::RecoveredTx;

/// The block-level values execution needs.
#[derive(Debug, Clone, Copy)]
pub struct BlockInput {
    /// Block number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Coinbase (the producer).
    pub beneficiary: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee.
    pub base_fee: u64,
    /// Mix hash / prevrandao.
    pub prev_randao: B256,
}

/// Whether a bad transaction fails the block (import) or is left out (build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Building a payload: skip transactions that do not fit or fail validation.
    Build,
    /// Importing a payload: any such transaction makes the block invalid.
    Import,
}

/// The outcome of one system call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemCallOutcome {
    /// The system contract called.
    pub target: Address,
    /// Whether it succeeded (a revert is recorded, not fatal, as in bor).
    pub success: bool,
    /// Gas it used (not counted in the block's gas).
    pub gas_used: u64,
}

/// A block executed on top of its parent state.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// The transactions included, in order.
    pub transactions: Vec<RecoveredTx>,
    /// Transactions left out while building, with the reason.
    pub skipped: Vec<(B256, String)>,
    /// One receipt per transaction.
    pub receipts: Vec<ReceiptEnvelope>,
    /// System call outcomes, in execution order.
    pub system_calls: Vec<SystemCallOutcome>,
    /// Logs emitted by system calls, in execution order.
    pub system_logs: Vec<Log>,
    /// Gas used by the transactions.
    pub gas_used: u64,
    /// Bloom of transaction logs.
    pub logs_bloom: Bloom,
    /// Receipts root.
    pub receipts_root: B256,
    /// State root after the block.
    pub state_root: B256,
    /// The state writes.
    pub writes: StateWrites,
    /// Priority fees paid to the coinbase.
    pub block_value: u128,
}

/// Why a block could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A transaction is invalid in this block (import mode).
    #[error("transaction {index} ({hash}) is invalid: {reason}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// Hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// revm failed in a way that is not the transaction's fault.
    #[error("evm: {0}")]
    Evm(String),
}

fn tip_per_gas(tx: &RecoveredTx, base_fee: u64, london: bool) -> u128 {
    if !london {
        return tx.envelope.max_fee_per_gas();
    }
    let base = u128::from(base_fee);
    let max_fee = tx.envelope.max_fee_per_gas();
    let room = max_fee.saturating_sub(base);
    match tx.envelope.max_priority_fee_per_gas() {
        Some(p) => p.min(room),
        None => room,
    }
}

/// Executes system calls and transactions on top of the store's head state (whose root is
/// `parent_root`) and computes the new state root. Nothing is written to the store.
#[allow(clippy::too_many_arguments)]
pub fn execute_block(
    store: &Store,
    spec: &ChainSpec,
    parent_root: B256,
    input: BlockInput,
    span: Option<&SpanCommit>,
    records: &[StateSyncRecord],
    txs: Vec<RecoveredTx>,
    mode: Mode,
) -> Result<ExecutedBlock, ExecError> {
    let mut state = BlockState::new(store);
    let mut cfg = CfgEnv::new_with_spec(spec.spec_id());
    cfg.chain_id = spec.chain_id;
    let block = BlockEnv {
        number: U256::from(input.number),
        beneficiary: input.beneficiary,
        timestamp: U256::from(input.timestamp),
        gas_limit: input.gas_limit,
        basefee: input.base_fee,
        difficulty: U256::ZERO,
        prevrandao: Some(input.prev_randao),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new_with_spec(0, spec.spec_id())),
        ..Default::default()
    };
    let london = spec.hardfork.is_london();

    let mut out = ExecutedBlock {
        transactions: Vec::new(),
        skipped: Vec::new(),
        receipts: Vec::new(),
        system_calls: Vec::new(),
        system_logs: Vec::new(),
        gas_used: 0,
        logs_bloom: Bloom::ZERO,
        receipts_root: B256::ZERO,
        state_root: B256::ZERO,
        writes: StateWrites::default(),
        block_value: 0,
    };
    {
        let mut evm = Context::mainnet()
            .with_db(&mut state)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();

        // 1. System calls: span first, then state-sync records in id order.
        let mut calls: Vec<(Address, Vec<u8>)> = Vec::new();
        if let Some(span) = span {
            calls.push((VALIDATOR_SET, system::commit_span_calldata(span)));
        }
        for r in records {
            calls.push((
                STATE_RECEIVER,
                system::commit_state_calldata(r, input.timestamp),
            ));
        }
        for (target, data) in calls {
            let res = evm
                .system_call_with_caller_commit(SYSTEM_ADDRESS, target, Bytes::from(data))
                .map_err(|e| match e {
                    EVMError::Database(db) => ExecError::Store(db),
                    other => ExecError::Evm(format!("system call to {target}: {other}")),
                })?;
            out.system_calls.push(SystemCallOutcome {
                target,
                success: res.is_success(),
                gas_used: res.tx_gas_used(),
            });
            out.system_logs.extend(res.into_logs());
        }

        // 2. Transactions.
        for (index, tx) in txs.into_iter().enumerate() {
            let remaining = input.gas_limit.saturating_sub(out.gas_used);
            let gas_limit = tx.envelope.gas_limit();
            if gas_limit > remaining {
                let reason =
                    format!("gas limit {gas_limit} exceeds the block's remaining gas {remaining}");
                match mode {
                    Mode::Import => {
                        return Err(ExecError::InvalidTx {
                            index,
                            hash: tx.hash,
                            reason,
                        })
                    }
                    Mode::Build => {
                        out.skipped.push((tx.hash, reason));
                        continue;
                    }
                }
            }
            let result = match evm.transact_commit(tx.tx_env()) {
                Ok(r) => r,
                Err(EVMError::Database(db)) => return Err(ExecError::Store(db)),
                Err(EVMError::Transaction(e)) => {
                    let reason = e.to_string();
                    match mode {
                        Mode::Import => {
                            return Err(ExecError::InvalidTx {
                                index,
                                hash: tx.hash,
                                reason,
                            })
                        }
                        Mode::Build => {
                            out.skipped.push((tx.hash, reason));
                            continue;
                        }
                    }
                }
                Err(other) => return Err(ExecError::Evm(other.to_string())),
            };
            let used = result.tx_gas_used();
            out.gas_used = out.gas_used.saturating_add(used);
            let tip = tip_per_gas(&tx, input.base_fee, london);
            out.block_value = out
                .block_value
                .saturating_add(tip.saturating_mul(u128::from(used)));
            let success = matches!(result, ExecutionResult::Success { .. });
            let receipt = Receipt {
                status: Eip658Value::Eip658(success),
                cumulative_gas_used: out.gas_used,
                logs: result.into_logs(),
            };
            let ty = TxType::try_from(tx.envelope.ty())
                .map_err(|e| ExecError::Evm(format!("transaction type: {e}")))?;
            let receipt = ReceiptEnvelope::from_typed(ty, receipt.with_bloom());
            out.logs_bloom.accrue_bloom(receipt.logs_bloom());
            out.receipts.push(receipt);
            out.transactions.push(tx);
        }
    }
    if let Some(e) = state.take_error() {
        return Err(ExecError::Store(e));
    }

    // 3. The base fee goes to its recipient, or is burned (revm burns it by default).
    if let (true, Some(recipient)) = (london, spec.base_fee.recipient) {
        let amount = U256::from(out.gas_used).saturating_mul(U256::from(input.base_fee));
        state.credit(recipient, amount)?;
    }

    out.receipts_root = alloy_consensus::proofs::calculate_receipt_root(&out.receipts);
    let (root, writes) = store.prepare_state(parent_root, &state)?;
    out.state_root = root;
    out.writes = writes;
    Ok(out)
}
