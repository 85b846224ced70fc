//! [`CommittedState`]: what the bridge reads of Delivery's state (rootchain params, applied
//! events, the signer's account), always the latest committed version.

use delivery_store::{Snapshot, StateRead, Storage};

/// The latest committed Delivery state.
pub trait CommittedState: Send + Sync + 'static {
    /// A read view of one version.
    type View: StateRead;

    /// The latest committed height (0 before the first commit) and its state.
    fn latest(&self) -> (u64, Self::View);
}

impl CommittedState for Storage {
    type View = Snapshot;

    fn latest(&self) -> (u64, Snapshot) {
        let snapshot = self.latest_snapshot();
        (Storage::latest(self).map_or(0, |(h, _)| h), snapshot)
    }
}
