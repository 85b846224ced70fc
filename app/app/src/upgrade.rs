//! Software upgrades planned by governance (`delivery_gov::upgrade`): at the start of the block
//! at the plan's height, a binary that does not know the plan's name halts before executing
//! anything (FinalizeBlock fails, so CometBFT stops at that height and nothing is committed);
//! the binary that knows it runs the upgrade's migration and clears the plan, and the chain
//! goes on from the same height. A binary that knows a plan whose height has not come yet
//! refuses to run early (it would execute blocks with rules the chain has not switched to).

use delivery_abci::AppError;
use delivery_gov::UpgradeAction;
use delivery_module::{BlockInfo, Context, Event, ExecMode};
use delivery_store::StateWrite;

/// The upgrades this binary carries, by plan name. Each one is a migration run at its height
/// (none so far changes state beyond clearing the plan). Append a name when a release handles
/// a plan; never remove one a chain has run.
pub const KNOWN_UPGRADES: &[&str] = &[];

/// The upgrade check at the start of FinalizeBlock: `Err` halts the node with the plan's
/// message; `Ok` carries the events of an upgrade run now.
pub fn at_block_start<S: StateWrite>(
    state: &mut S,
    block: &BlockInfo,
) -> Result<Vec<Event>, AppError> {
    at_block_start_with(state, block, KNOWN_UPGRADES)
}

/// [`at_block_start`] with the list of known names given (tests, and a binary built with more).
pub fn at_block_start_with<S: StateWrite>(
    state: &mut S,
    block: &BlockInfo,
    known: &[&str],
) -> Result<Vec<Event>, AppError> {
    let height = block.height;
    let action = delivery_gov::check_upgrade(&*state, height, known)
        .map_err(|e| AppError::from(format!("reading the upgrade plan: {e}")))?;
    match action {
        UpgradeAction::None => Ok(Vec::new()),
        UpgradeAction::Halt { message, .. } | UpgradeAction::TooEarly { message, .. } => {
            tracing::error!("{message}");
            Err(AppError::from(message))
        }
        UpgradeAction::Run(plan) => {
            let mut ctx = Context::new(block, ExecMode::Deliver);
            delivery_gov::clear_done_upgrade(state, &mut ctx, &plan.name).map_err(|e| {
                AppError::from(format!("upgrade {:?} at height {height}: {e}", plan.name))
            })?;
            tracing::info!(name = %plan.name, height, "ran the planned upgrade");
            Ok(ctx.take_events())
        }
    }
}
