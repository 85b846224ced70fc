//! How a param-change proposal reaches other modules' params: through a [`ParamSpace`] the app
//! implements (gov never touches another module's keys).
//!
//! The same checks run twice: when the proposal is submitted (a refused change refuses the
//! proposal, `gov/3`) and again when it executes at the end of its voting period (a refused
//! change fails the execution: status `failed`, event `gov.proposal_failed`, nothing written).
//! A proposal's changes apply all or nothing: they are written to an overlay, and only when
//! every one validated and applied are the overlay's writes copied into the block's state.

use delivery_store::{StateDelta, StateRead, StateWrite, StoreError};

use crate::types::ParamChange;

/// Why a module refused new params, or why it could not tell.
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    /// The module refuses the params (unknown module, unknown field, value out of range): a
    /// deterministic refusal.
    #[error("{0}")]
    Invalid(String),
    /// Storage failed (fatal for the node).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The app's gateway to every module's params. Object safe: gov takes `&dyn ParamSpace`.
pub trait ParamSpace {
    /// Checks `params` as the complete new params object of `module` (the module's own
    /// `validate()`, plus any check against the current state). Writes nothing.
    fn validate(
        &self,
        state: &dyn StateRead,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError>;

    /// Writes `params` as `module`'s params (gov called [`ParamSpace::validate`] on the same
    /// state just before). An error here also fails the execution without effect.
    fn apply(
        &self,
        state: &mut dyn StateWrite,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError>;
}

fn parsed(change: &ParamChange) -> Result<serde_json::Value, ParamError> {
    change.params().map_err(ParamError::Invalid)
}

/// Validates every change against `state` (submission), naming the module that refused.
pub fn validate_changes<S: StateRead + ?Sized>(
    space: &dyn ParamSpace,
    state: &S,
    changes: &[ParamChange],
) -> Result<(), ParamError> {
    let view = StateDelta::new(state);
    for change in changes {
        space
            .validate(&view, &change.module, &parsed(change)?)
            .map_err(|e| name_module(&change.module, e))?;
    }
    Ok(())
}

fn name_module(module: &str, e: ParamError) -> ParamError {
    match e {
        ParamError::Invalid(m) => ParamError::Invalid(format!("module {module}: {m}")),
        store => store,
    }
}

/// Validates then applies every change, in order, each seeing the earlier ones; writes to
/// `state` only when all succeeded (execution).
pub fn apply_changes<S: StateWrite + ?Sized>(
    space: &dyn ParamSpace,
    state: &mut S,
    changes: &[ParamChange],
) -> Result<(), ParamError> {
    let mut overlay = StateDelta::new(&*state);
    for change in changes {
        let value = parsed(change)?;
        space
            .validate(&overlay, &change.module, &value)
            .map_err(|e| name_module(&change.module, e))?;
        space
            .apply(&mut overlay, &change.module, &value)
            .map_err(|e| name_module(&change.module, e))?;
    }
    let writes = overlay.into_changes();
    for (key, value) in writes {
        match value {
            Some(v) => state.put_raw(key, v),
            None => state.delete_raw(key),
        }
    }
    Ok(())
}
