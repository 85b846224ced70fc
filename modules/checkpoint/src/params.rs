//! Checkpoint parameters (changeable by governance; stored as JSON under `checkpoint/params`).

use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result};

/// The largest `max_checkpoint_length` accepted: a checkpoint's leaves are computed in one end
/// of block, so its size is bounded (heimdall's mainnet maximum is 1024).
pub const MAX_CHECKPOINT_LENGTH_LIMIT: u64 = 1 << 16;
/// The longest `checkpoint_buffer_time` accepted (seven days, in seconds).
pub const MAX_BUFFER_TIME: u64 = 7 * 24 * 3600;

/// When checkpoints are made and how long one waits for its ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A checkpoint is made once this many final BTTC blocks follow the last checkpoint.
    pub avg_checkpoint_length: u64,
    /// The most BTTC blocks one checkpoint covers (when Delivery is behind, the next
    /// checkpoint takes this many and the rest follows).
    pub max_checkpoint_length: u64,
    /// Seconds of Delivery block time after a checkpoint was buffered from which a no-ack is
    /// accepted (it clears the buffer and rotates the proposer).
    pub checkpoint_buffer_time: u64,
    /// The BTTC chain id, signed into every checkpoint (the root contracts check it).
    pub bttc_chain_id: u64,
}

impl Default for Params {
    /// Mainnet values: 256 blocks per checkpoint (about 8.5 minutes of 2-second blocks), at
    /// most 1024, a 1000-second buffer (heimdall's mainnet values), BTTC mainnet's chain id 199.
    fn default() -> Self {
        Self {
            avg_checkpoint_length: 256,
            max_checkpoint_length: 1024,
            checkpoint_buffer_time: 1000,
            bttc_chain_id: 199,
        }
    }
}

impl Params {
    /// Small values for localnets and tests: a checkpoint every 16 blocks, at most 64, a
    /// 60-second buffer, the donau test chain id 1029 (the dev chain's).
    pub fn localnet() -> Self {
        Self {
            avg_checkpoint_length: 16,
            max_checkpoint_length: 64,
            checkpoint_buffer_time: 60,
            bttc_chain_id: 1029,
        }
    }

    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CheckpointError::InvalidParams(m));
        if !(1..=MAX_CHECKPOINT_LENGTH_LIMIT).contains(&self.max_checkpoint_length) {
            return bad(format!(
                "max_checkpoint_length {} is outside 1..={MAX_CHECKPOINT_LENGTH_LIMIT}",
                self.max_checkpoint_length
            ));
        }
        if !(1..=self.max_checkpoint_length).contains(&self.avg_checkpoint_length) {
            return bad(format!(
                "avg_checkpoint_length {} is outside 1..=max_checkpoint_length ({})",
                self.avg_checkpoint_length, self.max_checkpoint_length
            ));
        }
        if !(1..=MAX_BUFFER_TIME).contains(&self.checkpoint_buffer_time) {
            return bad(format!(
                "checkpoint_buffer_time {} s is outside 1..={MAX_BUFFER_TIME}",
                self.checkpoint_buffer_time
            ));
        }
        if self.bttc_chain_id == 0 {
            return bad("bttc_chain_id must not be 0".into());
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
        Params::localnet().validate().unwrap();
        let cases: [fn(&mut Params); 7] = [
            |p| p.max_checkpoint_length = 0,
            |p| p.max_checkpoint_length = MAX_CHECKPOINT_LENGTH_LIMIT + 1,
            |p| p.avg_checkpoint_length = 0,
            |p| p.avg_checkpoint_length = p.max_checkpoint_length + 1,
            |p| p.checkpoint_buffer_time = 0,
            |p| p.checkpoint_buffer_time = MAX_BUFFER_TIME + 1,
            |p| p.bttc_chain_id = 0,
        ];
        for change in cases {
            let mut p = Params::default();
            change(&mut p);
            assert!(
                matches!(p.validate(), Err(CheckpointError::InvalidParams(_))),
                "{p:?}"
            );
        }
        let mut v = serde_json::to_value(Params::default()).unwrap();
        v["avg_length"] = 3.into();
        assert!(serde_json::from_value::<Params>(v).is_err());
    }
}
