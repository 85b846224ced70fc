//! How receipts and logs are stored, and the one code path that lists a block's logs.
//!
//! A block's receipts record holds the system-call entry (the logs of every system call of the
//! block, in execution order, under a synthetic hash) and one receipt per transaction. System
//! calls have no receipt in the consensus receipts root (as in bor), but their logs are stored
//! beside the transaction receipts and [`StoredReceipts::block_logs`] lists both in execution
//! order (system calls run first), assigning block-wide log indexes. Every RPC method that
//! returns logs or receipts is to be built on `block_logs`, so a state-sync log looks the same in
//! `eth_getLogs`, `eth_getBlockReceipts` and `eth_getTransactionReceipt`.

use alloy_consensus::ReceiptEnvelope;
use alloy_primitives::{keccak256, Log, B256};
use serde::{Deserialize, Serialize};

/// The system calls' pseudo-transaction entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemEntry {
    /// `keccak("bttc-system-tx" ‖ number ‖ block hash)`.
    pub hash: B256,
    /// Logs of all system calls, in execution order.
    pub logs: Vec<Log>,
}

impl SystemEntry {
    /// The synthetic hash of the system entry of a block.
    pub fn hash_for(number: u64, block_hash: &B256) -> B256 {
        let mut pre = b"bttc-system-tx".to_vec();
        pre.extend_from_slice(&number.to_be_bytes());
        pre.extend_from_slice(block_hash.as_slice());
        keccak256(pre)
    }
}

/// The stored receipts of one block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipts {
    /// Present when the block made system calls.
    pub system: Option<SystemEntry>,
    /// Transaction hashes, in block order.
    pub tx_hashes: Vec<B256>,
    /// One receipt per transaction.
    pub receipts: Vec<ReceiptEnvelope>,
}

/// Where a log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLocation {
    /// The block's system calls.
    System,
    /// The transaction at this index.
    Tx(usize),
}

impl StoredReceipts {
    /// Every log of the block in execution order:
    /// (origin, origin's hash, block-wide log index, log).
    pub fn block_logs(&self) -> Vec<(LogLocation, B256, u64, &Log)> {
        let mut out = Vec::new();
        let mut index = 0u64;
        if let Some(sys) = &self.system {
            for log in &sys.logs {
                out.push((LogLocation::System, sys.hash, index, log));
                index = index.saturating_add(1);
            }
        }
        for (i, (receipt, hash)) in self.receipts.iter().zip(&self.tx_hashes).enumerate() {
            for log in receipt.logs() {
                out.push((LogLocation::Tx(i), *hash, index, log));
                index = index.saturating_add(1);
            }
        }
        out
    }
}
