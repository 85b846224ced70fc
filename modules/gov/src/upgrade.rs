//! Software upgrades: the plan a passed proposal scheduled, and what the app does with it.
//!
//! One plan at a time: a later passed `SoftwareUpgrade` replaces the scheduled one, and a
//! passed `CancelUpgrade` drops it. At the **start of FinalizeBlock** of every height (before
//! any transaction), the app calls [`check_upgrade`] with the upgrade names its binary knows:
//!
//! - [`UpgradeAction::Halt`]: the plan is due (`height >= plan.height`) and this binary does not
//!   know it: stop the node with [`UpgradeAction::Halt`]'s message (it names the plan), before
//!   executing the block, without committing anything. Operators install the binary that
//!   knows the plan and restart; CometBFT replays the block to it.
//! - [`UpgradeAction::Run`]: the plan is due and this binary knows it: run its migration, then
//!   [`clear_done_upgrade`] (drops the plan, records the name as done at this height), then
//!   execute the block as usual.
//! - [`UpgradeAction::TooEarly`]: this binary knows a plan that is not due yet: it was
//!   installed before the upgrade height; stop with the message (the Cosmos SDK's "binary
//!   updated before trigger"), so the new logic cannot run before the chain agreed on it.
//! - [`UpgradeAction::None`]: nothing to do.

use delivery_module::Context;
use delivery_store::{StateRead, StateWrite};

use crate::error::{GovError, Result};
use crate::event;
use crate::state;
use crate::types::Plan;

/// The scheduled plan when it is due at `height` (`height >= plan.height`).
pub fn upgrade_due<S: StateRead + ?Sized>(state: &S, height: u64) -> Result<Option<Plan>> {
    Ok(state::upgrade_plan(state)?.filter(|p| height >= p.height))
}

/// What the app does at the start of a block (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeAction {
    /// No plan, or a plan this binary does not know that is not due yet.
    None,
    /// Due and unknown to this binary: stop with `message`.
    Halt {
        /// The plan.
        plan: Plan,
        /// The message to log and exit with (names the plan).
        message: String,
    },
    /// Due and known: migrate, then [`clear_done_upgrade`].
    Run(Plan),
    /// Known but not due: this binary started too early; stop with `message`.
    TooEarly {
        /// The plan.
        plan: Plan,
        /// The message to log and exit with.
        message: String,
    },
}

/// The message an old binary halts with.
pub fn halt_message(plan: &Plan, height: u64) -> String {
    format!(
        "UPGRADE {:?} NEEDED at height {} (this block: {height}): this binary does not know \
         upgrade {:?}; install the binary that does and restart. Plan info: {}",
        plan.name, plan.height, plan.name, plan.info
    )
}

/// Decides what the app does at the start of block `height`, given the upgrade names this
/// binary knows.
pub fn check_upgrade<S: StateRead + ?Sized>(
    state: &S,
    height: u64,
    known: &[&str],
) -> Result<UpgradeAction> {
    let Some(plan) = state::upgrade_plan(state)? else {
        return Ok(UpgradeAction::None);
    };
    let knows = known.contains(&plan.name.as_str());
    Ok(match (height >= plan.height, knows) {
        (true, true) => UpgradeAction::Run(plan),
        (true, false) => {
            let message = halt_message(&plan, height);
            UpgradeAction::Halt { plan, message }
        }
        (false, true) => {
            let message = format!(
                "this binary runs upgrade {:?}, which is scheduled for height {} (this block: \
                 {height}): it was started too early; run the previous binary until height {}",
                plan.name, plan.height, plan.height
            );
            UpgradeAction::TooEarly { plan, message }
        }
        (false, false) => UpgradeAction::None,
    })
}

/// The new binary's step after its migration: drops the plan named `name` (which must be due
/// at this block), records it as done at this height, emits `gov.upgrade_done`. Returns the
/// plan.
pub fn clear_done_upgrade<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &mut Context<'_>,
    name: &str,
) -> Result<Plan> {
    let height = ctx.block.height;
    let plan = upgrade_due(state, height)?
        .filter(|p| p.name == name)
        .ok_or_else(|| {
            GovError::InvalidProposal(format!(
                "no upgrade {name:?} is due at height {height} (the plan is cleared only by the \
                 binary that runs it, at its height)"
            ))
        })?;
    state::delete_upgrade_plan(state);
    state::set_upgrade_done(state, &plan.name, height);
    ctx.emit(event::upgrade_done(&plan, height));
    Ok(plan)
}
