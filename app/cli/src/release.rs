//! What a build of `deliveryd` is: the governance upgrade plans it runs.
//!
//! The `deliveryd` binary (`src/main.rs`) runs [`Release::current`]: the plans in
//! [`delivery_app::upgrade::KNOWN_UPGRADES`]. The `deliveryd-upgrade-rehearsal` example
//! (`examples/deliveryd-upgrade-rehearsal.rs`) runs [`Release::rehearsal`], which also knows
//! [`REHEARSAL_UPGRADE`]: it is the "next release" of an upgrade rehearsal on a localnet
//! (docs/guides/governance.md, and the e2e test
//! `tests/tests/an_upgrade_plan_halts_the_old_binary_and_the_new_one_continues.rs`): a plan
//! with that name halts `deliveryd` at its height, and the chain goes on under the rehearsal
//! build. It is an example target so that `cargo install` never ships it.

/// The plan name only the rehearsal build knows.
pub const REHEARSAL_UPGRADE: &str = "upgrade-rehearsal";

/// A build of deliveryd: the upgrade plans it runs, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    upgrades: Vec<&'static str>,
}

impl Release {
    /// This release: the plans in [`delivery_app::upgrade::KNOWN_UPGRADES`].
    pub fn current() -> Self {
        Self {
            upgrades: delivery_app::upgrade::KNOWN_UPGRADES.to_vec(),
        }
    }

    /// This release plus [`REHEARSAL_UPGRADE`] (an upgrade that changes nothing but clearing
    /// its plan): the new binary of an upgrade rehearsal.
    pub fn rehearsal() -> Self {
        let mut release = Self::current();
        release.upgrades.push(REHEARSAL_UPGRADE);
        release
    }

    /// The plans this build runs.
    pub fn upgrades(&self) -> &[&'static str] {
        &self.upgrades
    }
}

impl Default for Release {
    fn default() -> Self {
        Self::current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_rehearsal_build_runs_the_rehearsal_plan() {
        assert!(!Release::current().upgrades().contains(&REHEARSAL_UPGRADE));
        assert!(Release::default() == Release::current());
        let rehearsal = Release::rehearsal();
        assert!(rehearsal.upgrades().contains(&REHEARSAL_UPGRADE));
        assert!(Release::current()
            .upgrades()
            .iter()
            .all(|u| rehearsal.upgrades().contains(u)));
    }
}
