//! `MsgSignerUpdate`: a validator's new signer key from a `SignerChange` event.
//!
//! Stateful checks: the root event is not applied; the validator exists and the nonce is its
//! next one; no other validator (unstaked ones included) has the new
//! signer (the validator's own current
//! signer is allowed: a no-op apart from the nonce). Effect: signer and signer key replaced,
//! the signer index moved; the consensus key stays, so CometBFT sees no change.

use delivery_module::crypto::Address;
use delivery_module::{Context, ExecError, SideMsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::StakingError;
use crate::event;
use crate::handler::check_update;
use crate::msg::MsgSignerUpdate;
use crate::state;
use crate::types::Validator;

impl MsgSignerUpdate {
    fn check_state<S: StateRead + ?Sized>(
        &self,
        state: &S,
    ) -> Result<(Validator, Address, [u8; 65]), ExecError> {
        let (signer, pubkey) = self.parts()?;
        let v = check_update(state, self.event.as_ref(), self.validator_id, self.nonce)?;
        if let Some(holder) = state::validator_by_signer(state, &signer)? {
            if holder.id != v.id {
                return Err(StakingError::SignerInUse {
                    signer,
                    holder: holder.id,
                }
                .into());
            }
        }
        Ok((v, signer, pubkey))
    }
}

impl SideMsgHandler for MsgSignerUpdate {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        self.check_state(state).map(|_| ())
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let (mut v, signer, pubkey) = self.check_state(state)?;
        let Some(root) = &self.event else {
            return Err(StakingError::InvalidMsg("event is missing".into()).into());
        };
        let old = v.signer;
        v.nonce = self.nonce;
        state::change_signer(state, &mut v, signer, pubkey);
        root.mark_applied(state);
        ctx.emit(event::signer_update(
            v.id,
            old,
            signer,
            v.nonce,
            &root.describe(),
        ));
        Ok(())
    }
}
