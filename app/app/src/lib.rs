//! The Delivery ABCI application: composes the modules (auth, bank, …), the authenticated store
//! and the vote-extension machinery behind CometBFT v0.38's ABCI 2.0.
//!
//! - [`app::DeliveryApp`] implements `delivery_abci::Application`.
//! - [`pipeline`] is the one transaction pipeline CheckTx, ProcessProposal and FinalizeBlock share.
//! - [`router`] routes every message type by one exhaustive `match`.
//! - [`vote_ext`] and [`side`] carry side-transaction votes in vote extensions.
//! - [`checkpoints`] signs, verifies and tallies checkpoint signatures in vote extensions and
//!   makes checkpoints at the end of block (the checkpoint module's wiring).
//! - [`valset`] keeps the validator sets needed to check extended commits (staking's updates
//!   applied from `H + 2`, as CometBFT does).
//! - [`param_space`] is how governance reads, checks and writes the modules' params.
//! - [`upgrade`] halts a binary at a governance upgrade plan it does not know.
//! - [`genesis`] imports and exports the `app_state`.
//! - [`chain`] is the BTTC chain as Delivery sees it: payload txs, block records, checks; the
//!   app drives an [`bttc_engine_api::Engine`] with them (see [`app::DeliveryApp::with_engine`]).

pub mod app;
pub mod chain;
pub mod checkpoints;
pub mod genesis;
pub mod param_space;
pub mod pipeline;
pub mod producer;
pub mod proof;
pub mod query;
pub mod router;
pub mod side;
pub mod upgrade;
pub mod valset;
pub mod vote_ext;

pub use app::{CommittedBlockTime, DeliveryApp};
