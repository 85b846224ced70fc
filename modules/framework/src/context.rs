//! The execution context handed to every handler.

use crate::event::Event;

/// Why a transaction is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// Mempool admission (CheckTx, new).
    Check,
    /// Mempool re-validation after a block (CheckTx, recheck).
    Recheck,
    /// Block execution (FinalizeBlock): the only mode whose writes are committed.
    Deliver,
}

/// Facts about the block being built or executed. Time comes from the block header, never the
/// wall clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// The chain id.
    pub chain_id: String,
    /// Block height.
    pub height: u64,
    /// Block time, seconds since the Unix epoch (from the header).
    pub time_seconds: i64,
    /// Nanoseconds part of the block time.
    pub time_nanos: u32,
}

/// Per-transaction context: the block, the mode and the events emitted so far.
#[derive(Debug)]
pub struct Context<'a> {
    /// The block.
    pub block: &'a BlockInfo,
    /// Why the transaction runs.
    pub mode: ExecMode,
    events: Vec<Event>,
}

impl<'a> Context<'a> {
    /// A context with no events.
    pub fn new(block: &'a BlockInfo, mode: ExecMode) -> Self {
        Self {
            block,
            mode,
            events: Vec::new(),
        }
    }

    /// Records an event.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The events emitted, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events out (when the transaction succeeded).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}
