//! `MsgStakeUpdate`: a validator's total stake from a `StakeUpdate` event.
//!
//! Stateful checks: the root event is not applied; the validator exists and the nonce is its
//! next one. Effect: `stake = new_amount` (0 takes it out of the set), `nonce` recorded. Its
//! power follows at the end of the block (in `stake` mode).

use delivery_module::{Context, ExecError, SideMsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::StakingError;
use crate::event;
use crate::handler::check_update;
use crate::msg::MsgStakeUpdate;
use crate::state;
use crate::types::Validator;

impl MsgStakeUpdate {
    fn check_state<S: StateRead + ?Sized>(
        &self,
        state: &S,
    ) -> Result<(Validator, u128), ExecError> {
        let amount = self.parts()?;
        let v = check_update(state, self.event.as_ref(), self.validator_id, self.nonce)?;
        Ok((v, amount))
    }
}

impl SideMsgHandler for MsgStakeUpdate {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        self.check_state(state).map(|_| ())
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let (mut v, amount) = self.check_state(state)?;
        let Some(root) = &self.event else {
            return Err(StakingError::InvalidMsg("event is missing".into()).into());
        };
        let old = v.stake;
        v.stake = amount;
        v.nonce = self.nonce;
        state::put_validator(state, &v);
        root.mark_applied(state);
        ctx.emit(event::stake_update(
            v.id,
            old,
            amount,
            v.nonce,
            &root.describe(),
        ));
        Ok(())
    }
}
