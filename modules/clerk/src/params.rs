//! Clerk parameters (changeable by governance; stored as JSON under `clerk/params`).

use serde::{Deserialize, Serialize};

use crate::error::{ClerkError, Result};

/// The largest `max_data_bytes` accepted (1 MiB).
pub const MAX_DATA_BYTES_LIMIT: u64 = 1 << 20;
/// The widest `inclusion_window` accepted.
pub const MAX_INCLUSION_WINDOW: u64 = 1024;

/// Limits of state-sync records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The most data bytes a record keeps. A StateSynced event with more is still recorded (its
    /// id is used, so ids stay contiguous and the receiver still gets a call) but with empty
    /// data and `data_dropped = true`.
    pub max_data_bytes: u64,
    /// How far ahead of a root chain's last recorded id a message may be when it enters a
    /// block: ids `last + 1 ..= last + inclusion_window` are admitted. Whatever the window, a
    /// record is only written for exactly `last + 1` (the post-vote check); 1 admits only the
    /// next id, so at most one record per root chain waits for its vote at a time.
    pub inclusion_window: u64,
}

impl Default for Params {
    /// Mainnet values. 30,000 data bytes is heimdall's `MaxStateSyncSize` (since its v0.2.8
    /// hard fork; 100,000 before): a record, its message and the transaction envelope then fit
    /// in auth's default 64 KiB transaction with room to spare, and a BTTC block that executes a
    /// full batch of records stays small. The bridge's own payloads (MAP_TOKEN, DEPOSIT) are a
    /// few hundred bytes. A window of 1 is the strict rule (only the next id enters a block);
    /// raise it to pipeline bursts once the app resolves side transactions in inclusion order.
    fn default() -> Self {
        Self {
            max_data_bytes: 30_000,
            inclusion_window: 1,
        }
    }
}

impl Params {
    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_DATA_BYTES_LIMIT).contains(&self.max_data_bytes) {
            return Err(ClerkError::InvalidParams(format!(
                "max_data_bytes {} is outside 1..={MAX_DATA_BYTES_LIMIT}",
                self.max_data_bytes
            )));
        }
        if !(1..=MAX_INCLUSION_WINDOW).contains(&self.inclusion_window) {
            return Err(ClerkError::InvalidParams(format!(
                "inclusion_window {} is outside 1..={MAX_INCLUSION_WINDOW}",
                self.inclusion_window
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        Params::default().validate().unwrap();
        for (max, window) in [
            (0, 1),
            (MAX_DATA_BYTES_LIMIT + 1, 1),
            (30_000, 0),
            (30_000, MAX_INCLUSION_WINDOW + 1),
        ] {
            let p = Params {
                max_data_bytes: max,
                inclusion_window: window,
            };
            assert!(matches!(p.validate(), Err(ClerkError::InvalidParams(_))));
        }
        let mut v = serde_json::to_value(Params::default()).unwrap();
        v["max_bytes"] = 3.into();
        assert!(serde_json::from_value::<Params>(v).is_err());
    }
}
