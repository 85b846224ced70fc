//! The modules' params as governance changes them ([`delivery_gov::ParamSpace`]): a param-change
//! proposal carries a module's whole new params object; it is parsed strictly into that
//! module's `Params` (unknown fields refused), checked by the module's own `validate()` (and
//! the cross-state rules below), at submission and again at execution, and written with the
//! module's `set_params`.
//!
//! Modules: `auth`, `span`, `staking`, `clerk`, `checkpoint`, `gov`. Not `rootchain` (the
//! registry names contracts on other chains: changing it is a coordinated upgrade, not a
//! param) and not `bank` (no params). Cross-state rule: the checkpoint's `bttc_chain_id` is
//! fixed (the root chains' RootChain contracts check it).

use delivery_gov::{ParamError, ParamSpace};
use delivery_store::{StateRead, StateWrite};
use serde::de::DeserializeOwned;

/// The app's [`ParamSpace`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AppParamSpace;

/// The modules a param change may name.
pub const MODULES: &[&str] = &["auth", "span", "staking", "clerk", "checkpoint", "gov"];

fn parse<T: DeserializeOwned>(module: &str, params: &serde_json::Value) -> Result<T, ParamError> {
    serde_json::from_value(params.clone())
        .map_err(|e| ParamError::Invalid(format!("{module} params: {e}")))
}

fn invalid(module: &str, e: impl std::fmt::Display) -> ParamError {
    ParamError::Invalid(format!("{module} params: {e}"))
}

impl ParamSpace for AppParamSpace {
    fn validate(
        &self,
        state: &dyn StateRead,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError> {
        match module {
            "auth" => parse::<delivery_auth::Params>(module, params)?
                .validate()
                .map_err(|e| invalid(module, e)),
            "span" => parse::<delivery_span::Params>(module, params)?
                .validate()
                .map_err(|e| invalid(module, e)),
            "staking" => parse::<delivery_staking::Params>(module, params)?
                .validate()
                .map_err(|e| invalid(module, e)),
            "clerk" => parse::<delivery_clerk::Params>(module, params)?
                .validate()
                .map_err(|e| invalid(module, e)),
            "checkpoint" => {
                let new = parse::<delivery_checkpoint::Params>(module, params)?;
                new.validate().map_err(|e| invalid(module, e))?;
                let current = delivery_checkpoint::state::params(state).map_err(|e| match e {
                    delivery_checkpoint::CheckpointError::Store(s) => ParamError::Store(s),
                    other => invalid(module, other),
                })?;
                if new.bttc_chain_id != current.bttc_chain_id {
                    return Err(invalid(
                        module,
                        format!(
                            "bttc_chain_id is fixed at {} (the root chains' RootChain contracts \
                             check it), not {}",
                            current.bttc_chain_id, new.bttc_chain_id
                        ),
                    ));
                }
                Ok(())
            }
            "gov" => delivery_gov::Params::from_json(params)
                .map(|_| ())
                .map_err(|e| invalid(module, e)),
            other => Err(ParamError::Invalid(format!(
                "no module {other:?} takes param changes: expected one of {}",
                MODULES.join(", ")
            ))),
        }
    }

    fn apply(
        &self,
        state: &mut dyn StateWrite,
        module: &str,
        params: &serde_json::Value,
    ) -> Result<(), ParamError> {
        match module {
            "auth" => delivery_auth::state::set_params(state, &parse(module, params)?)
                .map_err(ParamError::Store),
            "span" => delivery_span::state::set_params(state, &parse(module, params)?).map_err(
                |e| match e {
                    delivery_span::SpanError::Store(s) => ParamError::Store(s),
                    other => invalid(module, other),
                },
            ),
            "staking" => delivery_staking::state::set_params(state, &parse(module, params)?)
                .map_err(|e| match e {
                    delivery_staking::StakingError::Store(s) => ParamError::Store(s),
                    other => invalid(module, other),
                }),
            "clerk" => {
                delivery_clerk::state::set_params(state, &parse(module, params)?).map_err(|e| {
                    match e {
                        delivery_clerk::ClerkError::Store(s) => ParamError::Store(s),
                        other => invalid(module, other),
                    }
                })
            }
            "checkpoint" => delivery_checkpoint::state::set_params(state, &parse(module, params)?)
                .map_err(|e| match e {
                    delivery_checkpoint::CheckpointError::Store(s) => ParamError::Store(s),
                    other => invalid(module, other),
                }),
            "gov" => {
                let p = delivery_gov::Params::from_json(params).map_err(|e| invalid(module, e))?;
                delivery_gov::state::set_params(state, &p).map_err(|e| match e {
                    delivery_gov::GovError::Store(s) => ParamError::Store(s),
                    other => invalid(module, other),
                })
            }
            other => Err(ParamError::Invalid(format!(
                "no module {other:?} takes param changes"
            ))),
        }
    }
}
