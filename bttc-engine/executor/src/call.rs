//! `eth_call` and `eth_estimateGas`: a transaction executed on the head state without
//! committing anything, with optional state overrides (balance, nonce, code, full storage or a
//! storage diff per account).
//!
//! As in geth: a call without any fee field runs at gas price 0 (the block's base fee is then
//! taken as 0 for the call, so `BASEFEE` reads 0), the nonce is not checked, the balance must
//! still cover `value` (and `gas * price` when a price is given), and the gas defaults to (and is
//! capped at) the most a real transaction may use: the block gas limit, and EIP-7825's 2^24 under
//! Osaka. Only the head state exists: any other block fails with
//! [`QueryError::HistoricalState`].
//!
//! The engine lock is held for the whole call (for an estimate, the whole binary search), so the
//! state cannot change under it.

use std::collections::BTreeMap;

use alloy_eips::eip2930::AccessList;
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use bttc_engine_storage::{Store, StoreError};
use revm::context::result::{
    EVMError, ExecutionResult, HaltReason, InvalidTransaction, OutOfGasError, Output,
};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{StorageKey, StorageValue};
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, Database, ExecuteEvm, MainBuilder, MainContext};

use crate::engine::{InProcessEngine, Inner};
use crate::query::{BlockSelector, QueryError};
use crate::tx::OSAKA_TX_GAS_CAP;

/// The transaction of a call (`eth_call` / `eth_estimateGas` arguments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Sender (zero address when absent).
    pub from: Option<Address>,
    /// Recipient; `None` is a contract creation.
    pub to: Option<Address>,
    /// Gas limit (defaults to the cap).
    pub gas: Option<u64>,
    /// Legacy gas price.
    pub gas_price: Option<u128>,
    /// EIP-1559 fee cap.
    pub max_fee_per_gas: Option<u128>,
    /// EIP-1559 tip cap.
    pub max_priority_fee_per_gas: Option<u128>,
    /// Value in wei.
    pub value: Option<U256>,
    /// Call data or init code.
    pub input: Bytes,
    /// Access list.
    pub access_list: Option<AccessList>,
}

/// Overrides of one account for a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountOverride {
    /// Balance.
    pub balance: Option<U256>,
    /// Nonce.
    pub nonce: Option<u64>,
    /// Runtime code.
    pub code: Option<Bytes>,
    /// The complete storage (every other slot reads zero).
    pub state: Option<BTreeMap<B256, B256>>,
    /// Slots to change, the rest as stored.
    pub state_diff: Option<BTreeMap<B256, B256>>,
}

/// Overrides by account.
pub type StateOverrides = BTreeMap<Address, AccountOverride>;

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Returned normally.
    Success {
        /// Return data (runtime code for a creation).
        output: Bytes,
        /// Gas used (after refunds).
        gas_used: u64,
    },
    /// `REVERT`.
    Revert {
        /// Revert data.
        output: Bytes,
        /// Gas used.
        gas_used: u64,
    },
    /// Exceptional halt (out of gas, invalid opcode, …).
    Halt {
        /// Why, in geth's words where it has them.
        reason: String,
        /// Gas used.
        gas_used: u64,
    },
}

/// A call or an estimate could not produce a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The transaction is invalid against the state (funds, fee below base fee, intrinsic gas…).
    #[error("{0}")]
    InvalidTransaction(String),
    /// The overrides are contradictory.
    #[error("{0}")]
    InvalidOverride(String),
    /// The estimate's transaction reverts at the highest gas allowed.
    #[error("execution reverted")]
    Reverted {
        /// Revert data.
        output: Bytes,
    },
    /// The estimate's transaction halts at the highest gas allowed.
    #[error("{0}")]
    Halted(String),
    /// The block, the state or the engine.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// revm's view of the head state with the overrides applied.
struct CallDb<'a> {
    store: &'a Store,
    overrides: &'a StateOverrides,
}

fn slot_key(k: &B256) -> U256 {
    U256::from_be_bytes(k.0)
}

impl Database for CallDb<'_> {
    type Error = StoreError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let stored = self.store.account(&address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        });
        let Some(o) = self.overrides.get(&address) else {
            return Ok(stored);
        };
        let mut info = stored.unwrap_or(AccountInfo {
            code_hash: Store::EMPTY_CODE_HASH,
            ..Default::default()
        });
        if let Some(b) = o.balance {
            info.balance = b;
        }
        if let Some(n) = o.nonce {
            info.nonce = n;
        }
        if let Some(code) = &o.code {
            if code.is_empty() {
                info.code_hash = Store::EMPTY_CODE_HASH;
                info.code = Some(Bytecode::default());
            } else {
                info.code_hash = keccak256(code);
                info.code = Some(Bytecode::new_raw_checked(code.clone()).map_err(|e| {
                    StoreError::Corrupt {
                        what: "code override",
                        detail: format!("{e:?}"),
                    }
                })?);
            }
        }
        Ok(Some(info))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == Store::EMPTY_CODE_HASH {
            return Ok(Bytecode::default());
        }
        for o in self.overrides.values() {
            if let Some(code) = o.code.as_ref().filter(|c| keccak256(c) == code_hash) {
                return Bytecode::new_raw_checked(code.clone()).map_err(|e| StoreError::Corrupt {
                    what: "code override",
                    detail: format!("{e:?}"),
                });
            }
        }
        self.store.bytecode(&code_hash)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        if let Some(o) = self.overrides.get(&address) {
            let key = B256::from(index.to_be_bytes::<32>());
            if let Some(state) = &o.state {
                return Ok(state.get(&key).map_or(U256::ZERO, slot_key));
            }
            if let Some(v) = o.state_diff.as_ref().and_then(|d| d.get(&key)) {
                return Ok(slot_key(v));
            }
        }
        self.store.storage(&address, &index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.store.canonical_hash(number)?.unwrap_or(B256::ZERO))
    }
}

fn halt_text(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic)
        | HaltReason::OutOfGas(OutOfGasError::Memory)
        | HaltReason::OutOfGas(OutOfGasError::MemoryLimit)
        | HaltReason::OutOfGas(OutOfGasError::Precompile)
        | HaltReason::OutOfGas(OutOfGasError::InvalidOperand)
        | HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack limit reached 1024".into(),
        HaltReason::OutOfOffset => "return data out of bounds".into(),
        HaltReason::CreateCollision => "contract address collision".into(),
        HaltReason::NonceOverflow => "nonce uint64 overflow".into(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".into(),
        HaltReason::CreateContractStartingWithEF => "invalid code: must not begin with 0xef".into(),
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded".into(),
        HaltReason::CallTooDeep => "max call depth exceeded".into(),
        HaltReason::StateChangeDuringStaticCall => "write protection".into(),
        other => format!("{other:?}"),
    }
}

fn invalid_text(e: &InvalidTransaction) -> String {
    match e {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit {
            initial_gas,
            gas_limit,
        } => format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}"),
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".into()
        }
        InvalidTransaction::PriorityFeeGreaterThanMaxFee => {
            "max priority fee per gas higher than max fee per gas".into()
        }
        other => other.to_string(),
    }
}

impl Inner {
    /// The most gas a call may use.
    fn call_gas_cap(&self) -> u64 {
        if self.spec.spec_id() >= SpecId::OSAKA {
            self.spec.gas_limit.min(OSAKA_TX_GAS_CAP)
        } else {
            self.spec.gas_limit
        }
    }

    fn run_call(
        &self,
        req: &CallRequest,
        overrides: &StateOverrides,
        gas_limit: u64,
    ) -> Result<CallOutcome, CallError> {
        let head = self.head;
        let beneficiary = match self.store.header_rlp(&head.hash) {
            Ok(Some(bytes)) => {
                let mut s = bytes.as_slice();
                <alloy_consensus::Header as alloy_rlp::Decodable>::decode(&mut s)
                    .map(|h| h.beneficiary)
                    .unwrap_or(Address::ZERO)
            }
            _ => Address::ZERO,
        };
        let priced = req.gas_price.is_some()
            || req.max_fee_per_gas.is_some()
            || req.max_priority_fee_per_gas.is_some();
        let base_fee = if priced { head.base_fee } else { 0 };
        let mut cfg = CfgEnv::new_with_spec(self.spec.spec_id());
        cfg.chain_id = self.spec.chain_id;
        cfg.disable_nonce_check = true;
        let block = BlockEnv {
            number: U256::from(head.number),
            beneficiary,
            timestamp: U256::from(head.timestamp),
            gas_limit: self.spec.gas_limit,
            basefee: base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(B256::ZERO),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new_with_spec(
                0,
                self.spec.spec_id(),
            )),
            ..Default::default()
        };
        let eip1559 = req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some();
        let (tx_type, gas_price, priority) = if eip1559 {
            let tip = req.max_priority_fee_per_gas.unwrap_or(0);
            let cap = match req.max_fee_per_gas {
                Some(c) => c,
                None => u128::from(base_fee).saturating_add(tip),
            };
            (2u8, cap, Some(tip))
        } else {
            let ty = if req.access_list.is_some() { 1 } else { 0 };
            (ty, req.gas_price.unwrap_or(0), None)
        };
        let tx = TxEnv {
            tx_type,
            caller: req.from.unwrap_or(Address::ZERO),
            gas_limit,
            gas_price,
            kind: match req.to {
                Some(to) => TxKind::Call(to),
                None => TxKind::Create,
            },
            value: req.value.unwrap_or(U256::ZERO),
            data: req.input.clone(),
            nonce: 0,
            chain_id: Some(self.spec.chain_id),
            access_list: match &req.access_list {
                Some(l) => l.clone(),
                None => AccessList::default(),
            },
            gas_priority_fee: priority,
            ..Default::default()
        };
        let db = CallDb {
            store: &self.store,
            overrides,
        };
        let mut evm = Context::mainnet()
            .with_db(db)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        let result = match evm.transact(tx) {
            Ok(r) => r.result,
            Err(EVMError::Database(e)) => {
                return Err(CallError::Query(QueryError::Engine(
                    bttc_engine_api::EngineError::Storage(e.to_string()),
                )))
            }
            Err(EVMError::Transaction(e)) => {
                return Err(CallError::InvalidTransaction(invalid_text(&e)))
            }
            Err(other) => return Err(CallError::InvalidTransaction(other.to_string())),
        };
        let gas_used = result.tx_gas_used();
        Ok(match result {
            ExecutionResult::Success { output, .. } => CallOutcome::Success {
                output: match output {
                    Output::Call(b) => b,
                    Output::Create(b, _) => b,
                },
                gas_used,
            },
            ExecutionResult::Revert { output, .. } => CallOutcome::Revert { output, gas_used },
            ExecutionResult::Halt { reason, .. } => CallOutcome::Halt {
                reason: halt_text(&reason),
                gas_used,
            },
        })
    }
}

fn check_overrides(overrides: &StateOverrides) -> Result<(), CallError> {
    for (address, o) in overrides {
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(CallError::InvalidOverride(format!(
                "account {address} has both 'state' and 'stateDiff'"
            )));
        }
    }
    Ok(())
}

impl InProcessEngine {
    /// Executes `req` on the state of `sel` (the head only) with `overrides`, committing nothing.
    pub fn call(
        &self,
        req: &CallRequest,
        overrides: &StateOverrides,
        sel: BlockSelector,
    ) -> Result<CallOutcome, CallError> {
        check_overrides(overrides)?;
        let inner = self.lock().map_err(QueryError::from)?;
        inner.check_head_state_for_call(sel)?;
        let cap = inner.call_gas_cap();
        let gas = req.gas.map_or(cap, |g| g.min(cap));
        inner.run_call(req, overrides, gas)
    }

    /// The least gas limit with which `req` succeeds on the state of `sel` (the head only): a
    /// binary search between the gas the transaction used and the highest limit allowed (the
    /// request's gas, the cap, and what the sender's balance can pay at the given price).
    pub fn estimate_gas(
        &self,
        req: &CallRequest,
        overrides: &StateOverrides,
        sel: BlockSelector,
    ) -> Result<u64, CallError> {
        check_overrides(overrides)?;
        let inner = self.lock().map_err(QueryError::from)?;
        inner.check_head_state_for_call(sel)?;
        let cap = inner.call_gas_cap();
        let mut hi = req.gas.map_or(cap, |g| g.min(cap));
        let fee_cap = req.max_fee_per_gas.or(req.gas_price).unwrap_or(0);
        if fee_cap > 0 {
            let from = req.from.unwrap_or(Address::ZERO);
            let mut db = CallDb {
                store: &inner.store,
                overrides,
            };
            let balance = db
                .basic(from)
                .map_err(|e| {
                    QueryError::Engine(bttc_engine_api::EngineError::Storage(e.to_string()))
                })?
                .map_or(U256::ZERO, |a| a.balance);
            let value = req.value.unwrap_or(U256::ZERO);
            let available = balance.checked_sub(value).ok_or_else(|| {
                CallError::InvalidTransaction(format!(
                    "insufficient funds for transfer: have {balance} want {value}"
                ))
            })?;
            let affordable = available
                .checked_div(U256::from(fee_cap))
                .unwrap_or(U256::ZERO);
            if affordable < U256::from(hi) {
                hi = affordable.to::<u64>();
            }
        }
        let used = match inner.run_call(req, overrides, hi)? {
            CallOutcome::Success { gas_used, .. } => gas_used,
            CallOutcome::Revert { output, .. } => return Err(CallError::Reverted { output }),
            CallOutcome::Halt { reason, .. } if reason == "out of gas" => {
                return Err(CallError::Halted(format!(
                    "gas required exceeds allowance ({hi})"
                )))
            }
            CallOutcome::Halt { reason, .. } => return Err(CallError::Halted(reason)),
        };
        let succeeds = |gas: u64| -> Result<bool, CallError> {
            match inner.run_call(req, overrides, gas) {
                Ok(CallOutcome::Success { .. }) => Ok(true),
                Ok(_) | Err(CallError::InvalidTransaction(_)) => Ok(false),
                Err(e) => Err(e),
            }
        };
        // A limit below the gas used cannot succeed (gas used after refunds <= gas spent).
        let mut lo = used.saturating_sub(1);
        // Most calls need the gas used plus what the 63/64 rule and a stipend hold back.
        let optimistic = used
            .saturating_add(2_300)
            .saturating_mul(64)
            .checked_div(63)
            .unwrap_or(u64::MAX);
        if optimistic < hi {
            if succeeds(optimistic)? {
                hi = optimistic;
            } else {
                lo = optimistic;
            }
        }
        while lo.saturating_add(1) < hi {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            if succeeds(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }
}

impl Inner {
    fn check_head_state_for_call(&self, sel: BlockSelector) -> Result<(), CallError> {
        self.check_head_state(sel).map_err(CallError::from)
    }
}
