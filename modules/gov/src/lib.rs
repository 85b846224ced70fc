//! The gov module: proposals (text, param change, software upgrade, cancel upgrade), deposits
//! held in escrow, and a tally of **one validator, one vote** (the BTTC white paper's rule:
//! stake does not weigh, delegators do not vote). See `docs/modules/gov.md` for the messages,
//! keys, params, events and how it differs from heimdall-v2.
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! Params (JSON), the next proposal id, proposals by id (JSON; finished ones stay with their
//! final tally), the deposits and votes of open proposals, two queues (deposit end height,
//! voting end height → id) that the end block reads one height at a time, the scheduled
//! upgrade plan, and the names of upgrades done with their heights. Every deposit of an open
//! proposal is held by the escrow module account [`state::escrow_address`] (bank balance).
//!
//! # Rules
//!
//! - **Submit** ([`MsgSubmitProposal`], [`handler::submit`]): anyone; title and description
//!   bounded by params; initial deposit ≥ `min_initial_deposit`; a param change is validated
//!   by the app's [`ParamSpace`] now (refused → the proposal is refused, naming the module),
//!   an upgrade plan must be above `height + voting_period` and not done before. The deposit
//!   moves to the escrow; at `min_deposit` the proposal enters voting at once.
//! - **Deposit** ([`MsgDeposit`], a [`delivery_module::MsgHandler`]): on an open proposal;
//!   reaching `min_deposit` in the deposit period starts voting at that height, ending at
//!   `height + voting_period`.
//! - **Vote** ([`MsgVote`], [`handler::vote`]): only the signer of an active validator
//!   (`gov/7` otherwise); stored by validator id; changeable until the voting period ends.
//! - **End block** ([`end_block`], every height H): expires deposit periods ending at H
//!   (deleted; deposits burned or refunded per `burn_on_deposit_expiry`), tallies voting
//!   periods ending at H with the active set at H (a validator that left the set does not
//!   count), executes passed proposals (**a change takes effect at height H: written in the
//!   end block of H, visible from H + 1**), refunds deposits, burns them on veto and (per
//!   `burn_on_no_quorum`) on a missed quorum. Tally rules in [`lifecycle`]; exact rationals in
//!   [`dec`].
//! - **Param changes** carry each module's whole new params object as JSON; they are checked
//!   again at execution and apply all or nothing ([`param_space`]); a refused execution leaves
//!   state untouched, marks the proposal `failed` and emits `gov.proposal_failed`.
//! - **Upgrades** ([`upgrade`]): one plan at a time (a later one replaces it); at its height an
//!   old binary halts naming the plan, the new binary migrates and clears it.
//!
//! Invariants: the escrow holds at least the sum of open deposits ([`genesis::check_escrow`]);
//! each open proposal's deposits sum to its `total_deposit`; an open proposal has exactly one
//! queue entry, at its current end height; ids are below the next id and never reused.
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `gov: delivery_gov::Genesis` (`#[serde(default)]`) to the app genesis and
//!   call [`GovModule`]'s `validate_genesis` / `init_genesis` / `export_genesis` after bank's
//!   (the escrow's balance is in bank's section). Localnets: [`Params::localnet`].
//! - **Voters**: `delivery_staking::active_validators(state)` mapped to [`Voter`]
//!   `{validator_id: id, signer}`.
//! - **ParamSpace**: implement [`ParamSpace`] once in the app: `validate` parses the JSON into
//!   the module's `Params` (`deny_unknown_fields`) and calls its `validate()` (for `gov`:
//!   [`Params::from_json`]); `apply` calls the module's `set_params`. Unknown module names are
//!   [`ParamError::Invalid`]; store errors [`ParamError::Store`].
//! - **Routing**: `UserMsg::GovSubmit(MsgSubmitProposal)` → [`handler::submit::execute`]`(m,
//!   ctx, state, &param_space)` (CheckTx: [`handler::submit::check`]);
//!   `UserMsg::GovDeposit(MsgDeposit)` → its `MsgHandler`; `UserMsg::GovVote(MsgVote)` →
//!   [`handler::vote::execute`]`(m, ctx, state, &voters)` (CheckTx: [`handler::vote::check`]).
//!   Type URLs `/delivery.gov.v1.MsgSubmitProposal`, `.../MsgDeposit`, `.../MsgVote`.
//! - **Start of FinalizeBlock** (before the side txs and txs): [`upgrade::check_upgrade`]`(state,
//!   height, KNOWN_UPGRADES)`: `Halt`/`TooEarly` → log the message and stop the node without
//!   committing (an error from FinalizeBlock); `Run(plan)` → run that upgrade's migration, then
//!   [`upgrade::clear_done_upgrade`].
//! - **End of FinalizeBlock**: [`end_block`]`(state, ctx, &voters, &param_space)` before
//!   staking's end block (so a param change to staking or span made at H is read by their end
//!   blocks from H + 1, and the tally uses the set that was active during H); put
//!   `ctx.take_events()` in the block events; any error is fatal.
//! - **Queries**: route `custom/gov/<path>` to [`query::handle`] with `Some(&voters)` (so
//!   `tally/<id>` counts the active set), or to [`GovModule`]'s `query`.
//!
//! Errors: [`GovError::Store`] and [`GovError::Escrow`] are fatal; every other variant is a
//! deterministic rejection with a stable code in codespace `gov` ([`error::codes`]).

pub mod dec;
pub mod error;
pub mod event;
pub mod genesis;
pub mod handler;
pub mod lifecycle;
pub mod msg;
pub mod param_space;
pub mod params;
pub mod query;
pub mod state;
pub mod state_key;
pub mod types;
pub mod upgrade;

#[cfg(test)]
mod tests;

pub use dec::Dec;
pub use error::GovError;
pub use genesis::{Genesis, GovModule};
pub use lifecycle::{end_block, tally, EndBlockOutcome};
pub use msg::{MsgDeposit, MsgSubmitProposal, MsgVote};
pub use param_space::{ParamError, ParamSpace};
pub use params::Params;
pub use state::{escrow_address, proposal, upgrade_plan};
pub use types::{
    Content, Deposit, ParamChange, Plan, Proposal, Status, Tally, TallyOutcome, Vote, VoteOption,
    Voter,
};
pub use upgrade::{check_upgrade, clear_done_upgrade, upgrade_due, UpgradeAction};
