//! [`verify_claim`]: checks a [`RootEvent`] claim against this node's own root-chain RPC.
//!
//! The checks, in order (the first that decides gives the verdict):
//!
//! | check | fails as |
//! |---|---|
//! | `tx_hash` is 32 bytes | No |
//! | the receipt of `tx_hash` can be fetched | Unknown (RPC error) |
//! | the receipt exists | No, once the claimed block is `confirmations` deep here; Unknown before (this node may lag) |
//! | the receipt is mined | Unknown |
//! | the receipt's block is the claimed `block_number` | No |
//! | the transaction succeeded (`status` 1) | No (`status` 0); Unknown (no status) |
//! | the head can be fetched | Unknown |
//! | the block is `confirmations` deep at this node's head | No ("block B has k of N confirmations") |
//! | a log with `logIndex == log_index` is in the receipt | No |
//! | that log's emitter is `emitter` | No |
//! | that log decodes as a root-contract event ([`crate::events::decode`]) | No |
//!
//! **Depth rule.** A block `b` has `head - b + 1` confirmations (the head block itself has
//! one). A claim is deep enough when `head >= b` and `head - b + 1 >= confirmations`, i.e.
//! `b + confirmations - 1 <= head`. `confirmations` 0 counts as 1.
//!
//! **Not yet confirmed is NO.** A receipt found at the claimed block that is not yet
//! `confirmations` deep here (also when this node's head is below it: k is then 0) makes the
//! claim false *now*: an honest bridge only sends events once they are confirmed, and a claim
//! voted down is sent again later by the relay (its verdict is final for that transaction, the
//! new transaction is checked afresh), so liveness holds while an early, possibly reorganised
//! claim never passes. Without a receipt, a claimed block that is not deep here stays Unknown:
//! this node may lag behind the chain the claimer saw.
//!
//! Then the verdict is [`Verdict::Confirmed`] with the decoded event: comparing it with every
//! field of the Delivery message is the caller's job.

use delivery_rootchain::RootEvent;

use crate::client::{Receipt, RootChainClient};
use crate::events::{decode, RootLog};

/// The outcome of checking one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The log exists as claimed, deep enough, from the expected emitter; here it is decoded.
    Confirmed(RootLog),
    /// The claim is false (the reason says how).
    No(String),
    /// Cannot tell now (RPC unavailable, no receipt while this node may lag, timed out).
    Unknown(String),
}

impl Verdict {
    /// The validator's vote: YES for [`Verdict::Confirmed`], NO, or UNKNOWN.
    ///
    /// A caller that compares the decoded event with a message turns a mismatch into
    /// [`Verdict::No`] before voting.
    pub fn vote(&self) -> delivery_module::Vote {
        match self {
            Verdict::Confirmed(_) => delivery_module::Vote::Yes,
            Verdict::No(_) => delivery_module::Vote::No,
            Verdict::Unknown(_) => delivery_module::Vote::Unknown,
        }
    }

    /// Whether this is [`Verdict::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown(_))
    }
}

/// Whether block `block` is `confirmations` deep under `head` (see the module docs).
pub fn is_deep_enough(head: u64, block: u64, confirmations: u64) -> bool {
    // head - block + 1 >= max(confirmations, 1), without overflow.
    let extra_needed = confirmations.max(1).saturating_sub(1);
    head.checked_sub(block).is_some_and(|d| d >= extra_needed)
}

/// Checks `claim` against `client`'s root chain: the log it names must exist, be
/// `confirmations` deep and come from `emitter`. See the module docs for each check.
pub async fn verify_claim(
    client: &RootChainClient,
    claim: &RootEvent,
    emitter: [u8; 20],
    confirmations: u64,
) -> Verdict {
    let Ok(tx_hash) = <[u8; 32]>::try_from(claim.tx_hash.as_slice()) else {
        return Verdict::No(format!(
            "tx hash is {} bytes, expected 32",
            claim.tx_hash.len()
        ));
    };
    let receipt = match client.receipt(tx_hash).await {
        Ok(Some(r)) => r,
        Ok(None) => return missing_receipt(client, claim, confirmations).await,
        Err(e) => return Verdict::Unknown(e.to_string()),
    };
    check_receipt(client, claim, &receipt, emitter, confirmations).await
}

/// No receipt: false if the claimed block is deep enough here (this node has had every chance
/// to see it), else this node may just lag.
async fn missing_receipt(
    client: &RootChainClient,
    claim: &RootEvent,
    confirmations: u64,
) -> Verdict {
    match client.head().await {
        Ok(head) if is_deep_enough(head, claim.block_number, confirmations) => {
            Verdict::No(format!(
                "no transaction 0x{} on {}",
                hex::encode(&claim.tx_hash),
                client.root_chain()
            ))
        }
        Ok(head) => Verdict::Unknown(format!(
            "no transaction 0x{} yet and block {} is not {} deep at head {head}",
            hex::encode(&claim.tx_hash),
            claim.block_number,
            confirmations.max(1)
        )),
        Err(e) => Verdict::Unknown(e.to_string()),
    }
}

async fn check_receipt(
    client: &RootChainClient,
    claim: &RootEvent,
    receipt: &Receipt,
    emitter: [u8; 20],
    confirmations: u64,
) -> Verdict {
    let Some(block) = receipt.block_number else {
        return Verdict::Unknown("the transaction is not mined yet".into());
    };
    if block != claim.block_number {
        return Verdict::No(format!(
            "the transaction is in block {block}, not the claimed block {}",
            claim.block_number
        ));
    }
    match receipt.success {
        Some(true) => {}
        Some(false) => return Verdict::No("the transaction failed (status 0)".into()),
        None => return Verdict::Unknown("the receipt has no status".into()),
    }
    match client.head().await {
        Ok(head) if is_deep_enough(head, block, confirmations) => {}
        Ok(head) => {
            return Verdict::No(format!(
                "block {block} has {} of {} confirmations (head {head})",
                head.checked_sub(block)
                    .and_then(|d| d.checked_add(1))
                    .unwrap_or(0),
                confirmations.max(1)
            ))
        }
        Err(e) => return Verdict::Unknown(e.to_string()),
    }
    let Some(log) = receipt
        .logs
        .iter()
        .find(|l| l.log_index == Some(claim.log_index))
    else {
        return Verdict::No(format!(
            "the transaction has no log with log index {}",
            claim.log_index
        ));
    };
    if log.removed {
        return Verdict::Unknown("the log was removed by a reorganisation".into());
    }
    if log.address != emitter {
        return Verdict::No(format!(
            "log {} was emitted by 0x{}, not 0x{}",
            claim.log_index,
            hex::encode(log.address),
            hex::encode(emitter)
        ));
    }
    match decode(log) {
        Ok(event) => Verdict::Confirmed(event),
        Err(e) => Verdict::No(format!("log {}: {e}", claim.log_index)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_the_head_as_one_confirmation() {
        assert!(is_deep_enough(10, 10, 1));
        assert!(!is_deep_enough(10, 10, 2));
        assert!(is_deep_enough(11, 10, 2));
        assert!(is_deep_enough(10, 10, 0));
        assert!(!is_deep_enough(9, 10, 1));
        assert!(!is_deep_enough(9, 10, 0));
        assert!(is_deep_enough(u64::MAX, 0, u64::MAX));
        assert!(is_deep_enough(u64::MAX - 1, 0, u64::MAX));
        assert!(!is_deep_enough(u64::MAX - 2, 0, u64::MAX));
        assert!(is_deep_enough(u64::MAX, u64::MAX, 1));
    }
}
