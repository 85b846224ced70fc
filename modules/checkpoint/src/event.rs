//! The checkpoint module's events. Hashes and addresses are `0x` hex.
//!
//! - `checkpoint.created {root_chain, number, proposer, start, end, root_hash,
//!   account_root_hash, sign_hash}`: a checkpoint was buffered (end of block).
//! - `checkpoint.final {root_chain, number, signatures, signed_power, total_power}`: signers
//!   of more than 2/3 of the power signed it; the proposer's bridge submits it now.
//! - `checkpoint.ack {root_chain, number, proposer, start, end, root_hash, ack_count,
//!   matched_buffer, next_proposer}`: the root chain accepted it; it is committed.
//!   `next_proposer` is empty when the ack did not rotate the proposer (not the staking chain).
//! - `checkpoint.noack {root_chain, number, from, next_proposer}`: the buffer was dropped after
//!   `checkpoint_buffer_time` without an ack and the proposer rotated.

use delivery_module::crypto::Address;
use delivery_module::Event;

use crate::types::{BufferedCheckpoint, Checkpoint, CommittedCheckpoint};

fn hex32(h: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(h))
}

fn maybe(a: Option<Address>) -> String {
    a.map_or_else(String::new, |a| a.to_string())
}

/// `checkpoint.created`.
pub fn created(c: &Checkpoint) -> Event {
    Event::new("checkpoint.created")
        .attr("root_chain", &c.root_chain)
        .attr("number", c.number)
        .attr("proposer", c.proposer)
        .attr("start", c.start)
        .attr("end", c.end)
        .attr("root_hash", hex32(&c.root_hash))
        .attr("account_root_hash", hex32(&c.account_root_hash))
        .attr("sign_hash", hex32(&c.sign_hash()))
}

/// `checkpoint.final`.
pub fn final_(b: &BufferedCheckpoint, signed_power: u64, total_power: u64) -> Event {
    Event::new("checkpoint.final")
        .attr("root_chain", &b.checkpoint.root_chain)
        .attr("number", b.checkpoint.number)
        .attr("signatures", b.signatures.len())
        .attr("signed_power", signed_power)
        .attr("total_power", total_power)
}

/// `checkpoint.signatures_rejected`: signatures that did not recover to their signer.
pub fn signatures_rejected(c: &Checkpoint, count: usize) -> Event {
    Event::new("checkpoint.signatures_rejected")
        .attr("root_chain", &c.root_chain)
        .attr("number", c.number)
        .attr("count", count)
}

/// `checkpoint.ack`.
pub fn ack(c: &CommittedCheckpoint, ack_count: u64, next_proposer: Option<Address>) -> Event {
    Event::new("checkpoint.ack")
        .attr("root_chain", &c.checkpoint.root_chain)
        .attr("number", c.checkpoint.number)
        .attr("proposer", c.checkpoint.proposer)
        .attr("start", c.checkpoint.start)
        .attr("end", c.checkpoint.end)
        .attr("root_hash", hex32(&c.checkpoint.root_hash))
        .attr("ack_count", ack_count)
        .attr("matched_buffer", c.matched_buffer)
        .attr("next_proposer", maybe(next_proposer))
}

/// `checkpoint.noack`.
pub fn noack(
    root_chain: &str,
    number: u64,
    from: Address,
    next_proposer: Option<Address>,
) -> Event {
    Event::new("checkpoint.noack")
        .attr("root_chain", root_chain)
        .attr("number", number)
        .attr("from", from)
        .attr("next_proposer", maybe(next_proposer))
}
