//! Software upgrades planned by governance (`delivery_gov::upgrade`): at the start of the block
//! at the plan's height, a binary that does not know the plan's name halts before executing
//! anything (FinalizeBlock fails, so CometBFT stops at that height and nothing is committed);
//! the binary that knows it runs the upgrade's migration and clears the plan, and the chain
//! goes on from the same height. A binary that knows a plan whose height has not come yet
//! refuses to run early (it would execute blocks with rules the chain has not switched to).
//!
//! On a halt the app can also write the plan to an `upgrade-info.json` file
//! ([`DeliveryApp::with_upgrade_info_file`](crate::DeliveryApp::with_upgrade_info_file)) in the
//! shape Cosmovisor watches for (`{"name", "height", "info"}`), so a supervisor can swap the
//! binary without reading logs.

use std::path::Path;

use delivery_abci::AppError;
use delivery_gov::{Plan, UpgradeAction};
use delivery_module::{BlockInfo, Context, Event, ExecMode};
use delivery_store::StateWrite;

/// The upgrades this release carries, by plan name. Each one is a migration run at its height
/// (none so far changes state beyond clearing the plan). Append a name when a release handles
/// a plan; never remove one a chain has run.
pub const KNOWN_UPGRADES: &[&str] = &[];

/// The upgrade check at the start of FinalizeBlock with the names this binary knows: `Err`
/// halts the node with the plan's message; `Ok` carries the events of an upgrade run now.
pub fn at_block_start_with<S: StateWrite>(
    state: &mut S,
    block: &BlockInfo,
    known: &[&str],
) -> Result<Vec<Event>, AppError> {
    at_block_start_recording(state, block, known, None, true)
}

/// [`at_block_start_with`], writing the plan to `info_file` when this binary halts for it.
/// `announce`: log the halt as an error and write the file (false when this app already
/// halted at this height: a consensus engine retrying the block hears the same error, the log
/// does not repeat it).
pub fn at_block_start_recording<S: StateWrite>(
    state: &mut S,
    block: &BlockInfo,
    known: &[&str],
    info_file: Option<&Path>,
    announce: bool,
) -> Result<Vec<Event>, AppError> {
    let height = block.height;
    let action = delivery_gov::check_upgrade(&*state, height, known)
        .map_err(|e| AppError::from(format!("reading the upgrade plan: {e}")))?;
    match action {
        UpgradeAction::None => Ok(Vec::new()),
        UpgradeAction::Halt { message, .. } if !announce => {
            tracing::debug!("{message}");
            Err(AppError::from(message))
        }
        UpgradeAction::Halt { plan, message } => {
            tracing::error!("{message}");
            if let Some(path) = info_file {
                match write_upgrade_info(path, &plan) {
                    Ok(()) => tracing::error!(
                        file = %path.display(),
                        "wrote the plan for the upgrade supervisor"
                    ),
                    Err(e) => tracing::error!(
                        file = %path.display(),
                        error = %e,
                        "cannot write the upgrade plan file"
                    ),
                }
            }
            Err(AppError::from(message))
        }
        UpgradeAction::TooEarly { message, .. } => {
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

/// Writes `{"name", "height", "info"}` (Cosmovisor's `upgrade-info.json`) to `path`: to a
/// temporary file first, then renamed over it, so a reader never sees half a file.
pub fn write_upgrade_info(path: &Path, plan: &Plan) -> std::io::Result<()> {
    let doc = serde_json::json!({
        "name": plan.name,
        "height": plan.height,
        "info": plan.info,
    });
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, format!("{doc:#}\n"))?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upgrade_info_file_has_cosmovisors_shape() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("upgrade-info.json");
        let plan = Plan {
            name: "v2".into(),
            height: 120,
            info: "https://example.invalid/v2".into(),
        };
        write_upgrade_info(&path, &plan)?;
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        assert_eq!(
            doc,
            serde_json::json!({"name": "v2", "height": 120, "info": "https://example.invalid/v2"})
        );
        assert!(!dir.path().join("upgrade-info.json.tmp").exists());
        Ok(())
    }
}
