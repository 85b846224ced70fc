//! The engine API between Delivery and the BTTC execution engine.
//!
//! This crate is what the Delivery side codes against. It holds plain data types (hex strings in
//! JSON, like the Ethereum Engine API) and the [`Engine`] trait; it does not depend on revm and
//! exposes no alloy type. Two transports implement the trait: the in-process engine in
//! `bttc-engine-executor` (embedded mode, tests) and, later, a JSON-RPC client for
//! `engine_*` on 127.0.0.1:8551 with a JWT secret.
//!
//! The flow of one BTTC block (see `docs/engine.md`):
//!
//! 1. the scheduled producer calls [`Engine::forkchoice_updated`] with [`PayloadAttributes`] and
//!    gets a [`PayloadId`];
//! 2. [`Engine::get_payload`] returns a [`BuiltPayload`]: an unsealed [`ExecutablePayload`] and
//!    its seal hash; the producer signs the seal hash and calls [`ExecutablePayload::seal`];
//! 3. every validator calls [`Engine::new_payload`] and gets a [`PayloadStatus`];
//! 4. on commit, [`Engine::forkchoice_updated`] with the block's hash as head makes it canonical
//!    and durable.
//!
//! [`Engine::check_tx`] validates a raw Ethereum transaction for Delivery's mempool and adds it
//! to the engine's pool.

mod engine;
mod hex_types;
mod payload;
pub mod quantity;
mod seal;

pub use engine::{
    BlockRef, Engine, EngineError, ForkchoiceState, ForkchoiceUpdated, PayloadStatus, TxAccepted,
    TxCheck, TxRejectKind,
};
pub use hex_types::{Address, Bloom, Bytes, HexError, PayloadId, H256};
pub use payload::{
    BuiltPayload, ExecutablePayload, PayloadAttributes, SpanCommit, SpanValidator, StateSyncRecord,
    EXTRA_SEAL_LEN, EXTRA_VANITY_LEN,
};
pub use seal::SealError;
