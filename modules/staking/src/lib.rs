//! The staking module: validators from the root chains' staking events, epochs, voting power,
//! and the validator-set updates Delivery hands to CometBFT. See `docs/modules/staking.md` for
//! the full rules.
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! Params (JSON), the current epoch and the height it started at, every validator by id
//! ([`Validator`]: id, signer address and 65-byte secp256k1 key, 32-byte ed25519 consensus key,
//! stake in atto-BTT as u128, start and end epoch, last applied nonce), indexes by signer and
//! by consensus key (both unique among all validators, unstaked ones included), the set last reported to CometBFT, and a
//! marker while an exit is deferred.
//!
//! # Rules
//!
//! - **Msgs** ([`msg`], handled in [`handler`]): [`MsgValidatorJoin`], [`MsgStakeUpdate`],
//!   [`MsgSignerUpdate`], [`MsgValidatorExit`]: side msgs claiming StakeManager events
//!   (`Staked`, `StakeUpdate`, `SignerChange`, `UnstakeInit`). Each root event applies once;
//!   each validator's nonces rise by exactly 1 from the join's 1 (a stale nonce is dropped, a
//!   nonce ahead waits for its predecessor: distinct codes, [`error`]).
//! - **Status** is derived, never stored: pending before `start_epoch`, unstaked from
//!   `end_epoch` (0 = none), active (or unstaking, once an exit is recorded) in between.
//! - **Active set**: validators active or unstaking at the current epoch with stake > 0, by id.
//!   Power ([`voting_power`]) is 1 each under the default `voting_power = "equal"` (one node,
//!   one vote) or whole BTT of stake (≥ 1, ≤ [`MAX_VALIDATOR_POWER`]) under `"stake"`.
//! - **Epochs**: `current_epoch` in state. Until the checkpoint module drives it (one epoch per
//!   checkpoint ack, through [`set_current_epoch`]), [`end_block`] advances it every
//!   `epoch_length` Delivery blocks while `advance_epochs_by_blocks` is on.
//! - **Updates**: [`end_block`] returns the changes since the set last reported (power 0
//!   removes; consensus-key order) and records the new set. The set never becomes empty: the
//!   last validators' exits are deferred until another validator is active ([`set`]).
//!
//! Events: [`event`]. Queries: [`query`]. Genesis: [`genesis`].
//!
//! # Read API for other modules
//!
//! [`validator`], [`validator_by_signer`], [`validator_by_consensus_key`], [`validators`],
//! [`active_validators`] (id order, with signer and power: the span module's producer pool),
//! [`active_set`], [`current_epoch`]; the checkpoint module's hook [`set_current_epoch`].
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `staking: delivery_staking::Genesis` (`#[serde(default)]`) to the app
//!   genesis and call [`StakingModule`]'s `validate_genesis` / `init_genesis` /
//!   `export_genesis` like the other modules. In InitChain, when
//!   [`genesis_validator_updates`]`(state)?` is non-empty, return it as
//!   `ResponseInitChain.validators` (each `ValidatorUpdate { pub_key: ed25519(consensus_pubkey),
//!   power }`) and record it as the app's validator set; when empty (dormant module: no
//!   validators in the section), keep CometBFT's genesis validators as today.
//! - **Routing**: four `SideMsg` variants with type URLs `MsgValidatorJoin::TYPE_URL` etc.
//!   (`/delivery.staking.v1.Msg…`); they implement [`delivery_module::Msg`] and
//!   [`delivery_module::SideMsgHandler`] like `MsgTopup`.
//! - **FinalizeBlock**: after the side-tx post-handlers and every tx of the block, call
//!   `let updates = delivery_staking::end_block(&mut state, &mut ctx)?` with a
//!   [`delivery_module::Context`] on the block, put `ctx.take_events()` into the block events,
//!   and return `updates` as `ResponseFinalizeBlock.validator_updates` (also record them in the
//!   app's own validator sets, which CometBFT applies at `height + 2`). A
//!   [`StakingError::Store`] is fatal; any other error from `end_block` cannot happen with a
//!   validated genesis (it is an invariant breach: halt rather than diverge).
//! - **Span**: pass [`active_validators`] (`{id, signer, power}`) as the span validators instead
//!   of the span genesis list, once staking is the source of truth.
//! - **Queries**: route `custom/staking/<path>` to [`StakingModule`]'s `query`.
//!
//! Errors: [`StakingError::Store`] is fatal; every other variant is a deterministic rejection
//! with a stable code in codespace `staking` (`From<StakingError> for ExecError` does that
//! split).

pub mod error;
pub mod event;
pub mod genesis;
pub mod handler;
pub mod msg;
pub mod params;
pub mod query;
pub mod set;
pub mod state;
pub mod state_key;
pub mod types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use error::{StakingError, CODE_NONCE_AHEAD, CODE_STALE_NONCE};
pub use genesis::{Genesis, StakingModule};
pub use msg::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};
pub use params::{Params, PowerMode, MAX_VALIDATORS_LIMIT};
pub use set::{active_set, active_validators, end_block, genesis_validator_updates, ActiveSet};
pub use state::{
    current_epoch, set_current_epoch, validator, validator_by_consensus_key, validator_by_signer,
    validators, ReportedValidator,
};
pub use types::{
    voting_power, ActiveValidator, PowerUpdate, Status, Validator, ATTO_PER_BTT,
    MAX_TOTAL_VOTING_POWER, MAX_VALIDATOR_POWER,
};
