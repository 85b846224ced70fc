//! The clerk module's events.
//!
//! - `clerk.record {id, root_chain, root_id, contract, tx_hash, log_index, block_number,
//!   data_bytes, data_dropped}`: a record was written; `contract` and `tx_hash` are `0x` hex,
//!   `data_bytes` is the size of the data kept (0 when dropped).
//! - `clerk.data_dropped {id, root_chain, root_id, data_bytes, max_data_bytes}`: the event's
//!   data (`data_bytes` long) exceeded `max_data_bytes`; the record was written with empty data
//!   and the receiver will be called with empty data.

use delivery_module::Event;

use crate::record::EventRecord;

/// `clerk.record`.
pub fn record(r: &EventRecord) -> Event {
    Event::new("clerk.record")
        .attr("id", r.id)
        .attr("root_chain", &r.root_chain)
        .attr("root_id", r.root_id)
        .attr("contract", format!("0x{}", hex::encode(r.contract)))
        .attr("tx_hash", format!("0x{}", hex::encode(r.tx_hash)))
        .attr("log_index", r.log_index)
        .attr("block_number", r.block_number)
        .attr("data_bytes", r.data.len())
        .attr("data_dropped", r.data_dropped)
}

/// `clerk.data_dropped`.
pub fn data_dropped(r: &EventRecord, data_bytes: usize, max_data_bytes: u64) -> Event {
    Event::new("clerk.data_dropped")
        .attr("id", r.id)
        .attr("root_chain", &r.root_chain)
        .attr("root_id", r.root_id)
        .attr("data_bytes", data_bytes)
        .attr("max_data_bytes", max_data_bytes)
}
