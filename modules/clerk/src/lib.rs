//! The clerk module: state-sync event records. Every `StateSynced(id, contractAddress, data)`
//! a registered root chain's StateSender emits becomes one [`EventRecord`] with a **global id**
//! (one sequence across all root chains, from 1, contiguous), which block production hands to
//! BTTC's StateReceiver as `onStateReceive(stateId, data)` on the record's contract. See
//! `docs/modules/clerk.md` for the full rules.
//!
//! # State (keys in [`state_key`]; changing one is a migration)
//!
//! Params (JSON), the latest global id, records by global id, the map (root chain, root id) →
//! global id, and per root chain the last recorded StateSynced id.
//!
//! # Rules
//!
//! - [`MsgEventRecord`] is a side message. At block inclusion ([`handler::Stage::Inclusion`])
//!   and again after the vote ([`handler::Stage::Apply`]): the root chain is in the rootchain
//!   registry, the root event was not applied, and the StateSynced id is the chain's next one
//!   (`last + 1`; at inclusion up to `last + inclusion_window`). A lower id is a replay
//!   (`clerk/4`); a higher one waits for its predecessor (`clerk/5`, retry later).
//! - After the vote the record takes the next global id; data longer than `max_data_bytes` is
//!   dropped (empty data, `data_dropped`, a `clerk.data_dropped` event) but the record and its
//!   id are still written, so ids stay contiguous and the receiver still gets a call.
//!
//! Invariants: records exist for every id from the first carried (1 on a new chain) to
//! [`latest_id`]; per root chain, root ids are recorded 1 (or genesis' `last_root_id + 1`),
//! 2, 3, ... with no gap and no repeat; each root event is applied once.
//!
//! # Wiring into the app (app/app)
//!
//! - **Genesis**: add `clerk: delivery_clerk::Genesis` to the app genesis and call
//!   [`ClerkModule`]'s `validate_genesis` / `init_genesis` / `export_genesis`, after
//!   rootchain's (messages read the registry).
//! - **Routing**: add `SideMsg::EventRecord(delivery_clerk::MsgEventRecord)` for the type URL
//!   `/delivery.clerk.v1.MsgEventRecord` and call its [`delivery_module::SideMsgHandler`]
//!   methods: `check_stateful` at inclusion (CheckTx and FinalizeBlock), `post_execute` after
//!   the vote.
//! - **Order of post-handlers**: [`MsgEventRecord`]s of one root chain apply only in id order.
//!   Resolving the pending side transactions of a block in inclusion order lets several ids
//!   of one chain apply in one block; in any other order (e.g. by tx hash) those after the first
//!   fail with `clerk/5` and the bridge resubmits them (correct, just slower). With the default
//!   `inclusion_window` of 1 only one id per chain is pending at a time, so the order is moot.
//! - **Block production**: the records to deliver after BTTC's last state id `n` are
//!   [`records_after`]`(state, n, max_count, max_bytes)` (the app: `chain::due_records`, with
//!   `n` = its `bttc/last_state_id`); each reaches BTTC as `StateSyncRecord {id, receiver:
//!   contract, data}`, and the StateReceiver call carries `id`, `contract` and `data` with the
//!   BTTC block's timestamp as `syncTime` (`record_time` is not used).
//! - **Queries**: route `custom/clerk/<path>` to [`ClerkModule`]'s `query`.
//! - **Bridge**: the next id to submit for a chain is [`last_root_id`]` + 1` (query
//!   `last-root/<chain>`); on `clerk/5` retry later, on `clerk/4` or `rootchain/3` give up.
//!
//! Errors: [`ClerkError::Store`] is fatal; every other variant is a deterministic rejection with
//! a stable code in codespace `clerk` (`From<ClerkError> for ExecError` does that split).

pub mod error;
pub mod event;
pub mod genesis;
pub mod handler;
pub mod msg;
pub mod params;
pub mod query;
pub mod record;
pub mod state;
pub mod state_key;

#[cfg(test)]
mod tests;

pub use error::ClerkError;
pub use genesis::{ClerkModule, Genesis};
pub use msg::MsgEventRecord;
pub use params::Params;
pub use record::EventRecord;
pub use state::{last_root_id, latest_id, record, record_by_root, records_after, LastRootId};
