//! The side-message handlers: `check_stateful` when a msg enters a block, `post_execute` after
//! more than 2/3 of the power voted YES on it.
//!
//! `post_execute` runs a block or more after `check_stateful`, so it re-checks everything
//! (stateless checks included): another msg may have applied the same root event or the same
//! nonce, taken the signer or consensus key, or filled the validator limit in between. Only
//! when every check passes does it write, then record the root event as applied
//! ([`delivery_rootchain::RootEvent::mark_applied`]). A rejected msg writes nothing and leaves
//! its root event unapplied, so a corrected or later msg can still claim it.
//!
//! # Nonces
//!
//! Each validator's root-chain events carry nonces 1, 2, 3, … (the join is 1). A msg applies
//! only with nonce = last applied + 1:
//! - a join for an id that has a validator: [`StakingError::ValidatorExists`] (drop);
//! - nonce ≤ last: [`StakingError::StaleNonce`] (replayed or superseded; drop);
//! - nonce > last + 1, or an update for an id with no validator yet (its join is missing):
//!   [`StakingError::NonceAhead`], code [`crate::error::CODE_NONCE_AHEAD`]: the msg waits for
//!   its predecessor; the bridge submits it again once the predecessor is applied.

mod exit;
mod join;
mod signer_update;
mod stake_update;

use delivery_rootchain::RootEvent;
use delivery_store::StateRead;

use crate::error::{Result, StakingError};
use crate::state;
use crate::types::Validator;

/// The checks every update (stake, signer, exit) shares: the root event is not applied, the
/// validator exists and the nonce is the next one. Returns the validator.
fn check_update<S: StateRead + ?Sized>(
    state: &S,
    event: Option<&RootEvent>,
    id: u64,
    nonce: u64,
) -> Result<Validator, delivery_module::ExecError> {
    if let Some(event) = event {
        event.check_not_applied(state)?;
    }
    let Some(v) = state::validator(state, id)? else {
        return Err(StakingError::NonceAhead {
            id,
            nonce,
            expected: 1,
        }
        .into());
    };
    check_next_nonce(&v, nonce)?;
    Ok(v)
}

/// `nonce` must be the validator's last nonce plus one.
pub(crate) fn check_next_nonce(v: &Validator, nonce: u64) -> Result<()> {
    if nonce <= v.nonce {
        return Err(StakingError::StaleNonce {
            id: v.id,
            nonce,
            last: v.nonce,
        });
    }
    let expected = v
        .nonce
        .checked_add(1)
        .ok_or(StakingError::Overflow("next nonce"))?;
    if nonce > expected {
        return Err(StakingError::NonceAhead {
            id: v.id,
            nonce,
            expected,
        });
    }
    Ok(())
}
