//! Shared helpers for the engine tests: all of them live in `bttc-engine-testkit` (a genesis,
//! keys, signed transactions, block building); this module re-exports them under `common::`.

pub use bttc_engine_testkit::*;
