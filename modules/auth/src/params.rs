//! Auth parameters (changeable by governance).

use serde::{Deserialize, Serialize};

/// Limits and fees for transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The largest transaction accepted, in bytes.
    pub max_tx_bytes: u64,
    /// The flat fee every transaction pays, in atto-BTT (decimal string in JSON).
    #[serde(with = "crate::u128_string")]
    pub min_fee: u128,
    /// The most messages one transaction may carry.
    pub max_msgs_per_tx: u32,
    /// The longest memo, in characters.
    pub max_memo_chars: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_tx_bytes: 64 * 1024,
            // 0.001 BTT.
            min_fee: 1_000_000_000_000_000,
            max_msgs_per_tx: 8,
            max_memo_chars: 256,
        }
    }
}

impl Params {
    /// Checks that the parameters make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_tx_bytes < 256 {
            return Err(format!("max_tx_bytes {} is below 256", self.max_tx_bytes));
        }
        if self.max_tx_bytes > 4 * 1024 * 1024 {
            return Err(format!("max_tx_bytes {} is above 4 MiB", self.max_tx_bytes));
        }
        if self.max_msgs_per_tx == 0 {
            return Err("max_msgs_per_tx must be at least 1".into());
        }
        Ok(())
    }
}
