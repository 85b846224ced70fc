//! The side-message handler of [`MsgEventRecord`]: the checks at block inclusion and the
//! record written after more than 2/3 of the voting power said YES.

use delivery_module::{Context, ExecError, SideMsgHandler};
use delivery_rootchain::RootEvent;
use delivery_store::{StateRead, StateWrite};

use crate::error::{ClerkError, Result};
use crate::event;
use crate::msg::MsgEventRecord;
use crate::record::EventRecord;
use crate::state;

/// When a check runs: at block inclusion the id may be up to `inclusion_window` ahead; after
/// the vote it must be exactly the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The message enters a block (and CheckTx).
    Inclusion,
    /// The vote passed; the record is about to be written.
    Apply,
}

/// The checks against state, in order: the root chain is registered (`clerk/3`), the root event
/// was not applied (`rootchain/3`), the id is not replayed (`clerk/4`) and not ahead
/// (`clerk/5`: exactly `last + 1` at [`Stage::Apply`], within `last + inclusion_window` at
/// [`Stage::Inclusion`]).
pub fn check<S: StateRead + ?Sized>(
    msg: &MsgEventRecord,
    state: &S,
    stage: Stage,
) -> Result<(), ExecError> {
    let event = msg.root_event()?;
    if delivery_rootchain::chain(state, &event.root_chain)?.is_none() {
        return Err(ClerkError::UnknownRootChain(event.root_chain.clone()).into());
    }
    event.check_not_applied(state)?;
    check_order(state, event, msg.id, stage)?;
    Ok(())
}

fn check_order<S: StateRead + ?Sized>(
    state: &S,
    event: &RootEvent,
    id: u64,
    stage: Stage,
) -> Result<()> {
    let last = state::last_root_id(state, &event.root_chain)?;
    if id <= last {
        return Err(ClerkError::Replayed {
            root_chain: event.root_chain.clone(),
            id,
            last,
        });
    }
    let expected = last
        .checked_add(1)
        .ok_or(ClerkError::Overflow("next root id"))?;
    let highest = match stage {
        Stage::Apply => expected,
        Stage::Inclusion => last.saturating_add(state::params(state)?.inclusion_window),
    };
    if id > highest {
        return Err(ClerkError::AwaitsPredecessor {
            root_chain: event.root_chain.clone(),
            id,
            expected,
        });
    }
    Ok(())
}

/// Writes the record of a message that passed [`check`] at [`Stage::Apply`]: the next global
/// id, the by-root entry, the chain's last root id, the applied mark; returns the record.
fn apply<S: StateWrite + ?Sized>(
    msg: &MsgEventRecord,
    ctx: &mut Context<'_>,
    state: &mut S,
) -> Result<EventRecord, ExecError> {
    let event = msg.root_event()?;
    let contract = msg.contract_bytes()?;
    let tx_hash: [u8; 32] = event
        .tx_hash
        .as_slice()
        .try_into()
        .map_err(|_| ClerkError::InvalidMsg("tx_hash must be 32 bytes".into()))?;
    let params = state::params(state)?;
    let id = state::latest_id(state)?
        .checked_add(1)
        .ok_or(ClerkError::Overflow("global record id"))?;
    let data_len = u64::try_from(msg.data.len()).unwrap_or(u64::MAX);
    let dropped = data_len > params.max_data_bytes;
    let record = EventRecord {
        id,
        root_chain: event.root_chain.clone(),
        root_id: msg.id,
        contract,
        data: if dropped {
            Vec::new()
        } else {
            msg.data.clone()
        },
        data_dropped: dropped,
        tx_hash,
        log_index: event.log_index,
        block_number: event.block_number,
        record_time: ctx.block.time_seconds,
        delivery_height: ctx.block.height,
    };
    state::put_record(state, &record);
    state::set_latest_id(state, id);
    state::set_last_root_id(state, &record.root_chain, record.root_id);
    event.mark_applied(state);
    ctx.emit(event::record(&record));
    if dropped {
        ctx.emit(event::data_dropped(
            &record,
            msg.data.len(),
            params.max_data_bytes,
        ));
    }
    Ok(record)
}

impl SideMsgHandler for MsgEventRecord {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        check(self, state, Stage::Inclusion)
    }

    fn post_execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        check(self, state, Stage::Apply)?;
        apply(self, ctx, state)?;
        Ok(())
    }
}
