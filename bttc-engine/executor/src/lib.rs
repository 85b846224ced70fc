//! BTTC engine execution: transaction validation, revm block execution with system calls,
//! payload building and import, and [`InProcessEngine`], the in-process implementation of
//! [`bttc_engine_api::Engine`].
//!
//! revm and alloy types stay inside this crate and the other `bttc-engine-*` crates; the engine
//! API speaks only `bttc-engine-api`'s plain types.

mod block;
mod call;
mod engine;
mod pool;
mod query;
mod receipts;
pub mod system;
pub mod tx;

pub use block::{execute_block, BlockInput, ExecError, ExecutedBlock, Mode, SystemCallOutcome};
pub use call::{AccountOverride, CallError, CallOutcome, CallRequest, StateOverrides};
pub use engine::{EngineOpenError, InProcessEngine};
pub use pool::{BestTxs, InsertOutcome, PoolConfig, PoolContent, TxPool};
pub use query::{
    BlockSelector, BlockView, HeadListener, LogFilter, LogView, NewHead, QueryError, ReceiptView,
    StoredTx, TxLocation, TxLookup,
};
pub use receipts::{LogLocation, StoredReceipts, SystemEntry};
