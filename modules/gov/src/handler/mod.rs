//! The message handlers, one per message: check (against state, no writes) then execute
//! (re-checks what an earlier transaction in the block could have changed, then writes).
//!
//! - [`submit`]: needs the app's [`crate::ParamSpace`], so the app calls [`submit::check`] and
//!   [`submit::execute`] (not a [`delivery_module::MsgHandler`]).
//! - [`deposit`]: a [`delivery_module::MsgHandler`].
//! - [`vote`]: needs the active validators, so the app calls [`vote::check`] and
//!   [`vote::execute`] with them.

pub mod deposit;
pub mod submit;
pub mod vote;
