//! `MsgValidatorJoin`: a new validator from a `Staked` event.
//!
//! Stateful checks: the root event is not applied; no validator has the id
//! ([`StakingError::ValidatorExists`]); no other validator (unstaked ones included) has the signer
//! or the consensus key; fewer than `max_validators` validators are active, pending or unstaking.
//! Effect: a validator `{stake: amount, start_epoch: activation_epoch, end_epoch: 0, nonce: 1}`
//! indexed by signer and consensus key; it enters the set at the end of the first block whose
//! epoch is ≥ its start epoch.

use delivery_module::{Context, ExecError, SideMsgHandler};
use delivery_store::{StateRead, StateWrite};

use crate::error::StakingError;
use crate::event;
use crate::msg::{JoinParts, MsgValidatorJoin};
use crate::state;
use crate::types::Validator;

impl MsgValidatorJoin {
    fn check_state<S: StateRead + ?Sized>(&self, state: &S) -> Result<JoinParts, ExecError> {
        let parts = self.parts()?;
        if let Some(event) = &self.event {
            event.check_not_applied(state)?;
        }
        if state::validator(state, self.validator_id)?.is_some() {
            return Err(StakingError::ValidatorExists(self.validator_id).into());
        }
        if let Some(holder) = state::validator_by_signer(state, &parts.signer)? {
            return Err(StakingError::SignerInUse {
                signer: parts.signer,
                holder: holder.id,
            }
            .into());
        }
        if let Some(holder) = state::validator_by_consensus_key(state, &parts.consensus_pubkey)? {
            return Err(StakingError::ConsensusKeyInUse {
                key: hex::encode(parts.consensus_pubkey),
                holder: holder.id,
            }
            .into());
        }
        let params = state::params(state)?;
        let epoch = state::current_epoch(state)?;
        let count = state::validators(state)?
            .iter()
            .filter(|v| v.counts_toward_limit(epoch))
            .count();
        let count = u64::try_from(count).map_err(|_| StakingError::Overflow("validator count"))?;
        if count >= u64::from(params.max_validators) {
            return Err(StakingError::TooManyValidators {
                count,
                max: params.max_validators,
            }
            .into());
        }
        Ok(parts)
    }
}

impl SideMsgHandler for MsgValidatorJoin {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        self.check_state(state).map(|_| ())
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let parts = self.check_state(state)?;
        let Some(root) = &self.event else {
            return Err(StakingError::InvalidMsg("event is missing".into()).into());
        };
        let v = Validator {
            id: self.validator_id,
            signer: parts.signer,
            signer_pubkey: parts.signer_pubkey,
            consensus_pubkey: parts.consensus_pubkey,
            stake: parts.amount,
            start_epoch: self.activation_epoch,
            end_epoch: 0,
            nonce: self.nonce,
        };
        state::insert_validator(state, &v);
        root.mark_applied(state);
        ctx.emit(event::join(
            v.id,
            v.signer,
            &v.consensus_pubkey,
            v.stake,
            v.start_epoch,
            v.nonce,
            &root.describe(),
        ));
        Ok(())
    }
}
