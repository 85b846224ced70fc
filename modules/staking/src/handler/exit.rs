//! `MsgValidatorExit`: a validator leaves from an `UnstakeInit` event.
//!
//! Stateful checks: the root event is not applied; the validator exists and the nonce is its
//! next one; no exit is recorded for it yet ([`StakingError::AlreadyExiting`]). Effect:
//! `end_epoch = deactivation_epoch`. The validator leaves the set at the end of the first block
//! whose epoch is ≥ that epoch (at once if it has already come), unless it is among the last
//! active validators: then its exit is deferred until another validator is active (see
//! [`crate::set`]).

use delivery_module::{Context, ExecError, SideMsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::StakingError;
use crate::event;
use crate::handler::check_update;
use crate::msg::MsgValidatorExit;
use crate::state;
use crate::types::Validator;

impl MsgValidatorExit {
    fn check_state<S: StateRead + ?Sized>(&self, state: &S) -> Result<Validator, ExecError> {
        self.parts()?;
        let v = check_update(state, self.event.as_ref(), self.validator_id, self.nonce)?;
        if v.end_epoch != 0 {
            return Err(StakingError::AlreadyExiting {
                id: v.id,
                end_epoch: v.end_epoch,
            }
            .into());
        }
        Ok(v)
    }
}

impl SideMsgHandler for MsgValidatorExit {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        self.check_state(state).map(|_| ())
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let mut v = self.check_state(state)?;
        let Some(root) = &self.event else {
            return Err(StakingError::InvalidMsg("event is missing".into()).into());
        };
        v.end_epoch = self.deactivation_epoch;
        v.nonce = self.nonce;
        state::put_validator(state, &v);
        root.mark_applied(state);
        ctx.emit(event::exit(v.id, v.end_epoch, v.nonce, &root.describe()));
        Ok(())
    }
}
