//! The shared module API of Delivery: keys and addresses, errors with stable ABCI codes,
//! events, the execution context, the message and side-message handler traits, typed state
//! access, and the genesis/query surface every module implements.
//!
//! Modules depend on this crate and on `delivery-store`'s state traits only; the app crate
//! composes them. Other modules are reached only through their public read functions.

pub mod codec;
pub mod context;
pub mod crypto;
pub mod error;
pub mod event;
pub mod module;
pub mod msg;

pub use context::{BlockInfo, Context, ExecMode};
pub use crypto::{Address, PublicKey, SecretKey};
pub use error::{ErrorCode, ExecError, TxError};
pub use event::Event;
pub use module::Module;
pub use msg::{Msg, MsgHandler, SideMsgHandler, Vote};
