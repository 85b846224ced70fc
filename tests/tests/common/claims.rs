//! Helpers for tests that send and inspect side-transaction claims (root-chain events) on a
//! [`super::BttcNet`] with dev root chains.
