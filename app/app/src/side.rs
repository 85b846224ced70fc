//! Side transactions: pending records, the validator's local verdicts, and applying the ones
//! that won the vote.
//!
//! Keys: `app/side/pending/<tx hash 32>` → [`PendingSideTx`] (protobuf). Every pending record
//! is resolved (applied or dropped) in the next block.

use delivery_auth::AnyMsg;
use delivery_module::{BlockInfo, Context, Event, ExecError, ExecMode, Vote};
use delivery_store::{StateDelta, StateRead, StateWrite, StoreError};

use crate::router::{route, AppMsg, SideMsg};

const PENDING_PREFIX: &[u8] = b"app/side/pending/";

/// A side message waiting for its vote.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct PendingSideTx {
    /// The height of the block that included it.
    #[prost(uint64, tag = "1")]
    pub height: u64,
    /// The carrying transaction's hash.
    #[prost(bytes = "vec", tag = "2")]
    pub tx_hash: Vec<u8>,
    /// The message type URL.
    #[prost(string, tag = "3")]
    pub type_url: String,
    /// The message bytes.
    #[prost(bytes = "vec", tag = "4")]
    pub value: Vec<u8>,
}

/// Decides a validator's vote on a side message by checking the claim against its own view of
/// the root chain. Implementations must answer quickly (ExtendVote has a time budget): slow
/// checks run ahead of time and an undecided claim is [`Vote::Unknown`].
pub trait SideTxVerifier: Send + Sync {
    /// The verdict on `msg`, carried by the transaction `tx_hash`.
    fn vote(&self, tx_hash: &[u8; 32], msg: &SideMsg) -> Vote;

    /// A side message was seen (it passed CheckTx, or it is in a proposal): start checking it
    /// now, in the background, so the verdict is ready by ExtendVote. Must return at once.
    fn prepare(&self, _tx_hash: &[u8; 32], _msg: &SideMsg) {}
}

/// The verifier of a validator without a root-chain client: it cannot tell, so it votes
/// UNKNOWN on everything (such claims never reach 2/3 YES through this validator).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRootChain;

impl SideTxVerifier for NoRootChain {
    fn vote(&self, _tx_hash: &[u8; 32], _msg: &SideMsg) -> Vote {
        Vote::Unknown
    }
}

/// Records a side message for the vote in the next block.
pub fn record_pending<S: StateWrite + ?Sized>(
    state: &mut S,
    height: u64,
    tx_hash: &[u8; 32],
    msg: &SideMsg,
) {
    let any = msg.pack();
    let record = PendingSideTx {
        height,
        tx_hash: tx_hash.to_vec(),
        type_url: any.type_url,
        value: any.value,
    };
    delivery_module::codec::put(
        state,
        delivery_module::codec::key(&[PENDING_PREFIX, tx_hash]),
        &record,
    );
}

/// Every pending side transaction, by hash.
pub fn pending<S: StateRead + ?Sized>(state: &S) -> Result<Vec<PendingSideTx>, StoreError> {
    state
        .prefix_raw(PENDING_PREFIX)?
        .into_iter()
        .map(|(_, v)| {
            prost::Message::decode(v.as_slice())
                .map_err(|e| StoreError::Backend(format!("corrupt pending side tx: {e}")))
        })
        .collect()
}

/// Writes a pending record as is (genesis import).
pub fn put_pending<S: StateWrite + ?Sized>(state: &mut S, record: &PendingSideTx) {
    delivery_module::codec::put(
        state,
        delivery_module::codec::key(&[PENDING_PREFIX, &record.tx_hash]),
        record,
    );
}

/// Resolves every pending side transaction: those in `passed` run their post-handler (each on
/// its own overlay, so a failing one changes nothing), the rest are dropped. Returns the events.
pub fn resolve<B: StateRead>(
    state: &mut StateDelta<B>,
    block: &BlockInfo,
    passed: &std::collections::BTreeSet<Vec<u8>>,
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    for record in pending(state)? {
        state.delete_raw(delivery_module::codec::key(&[
            PENDING_PREFIX,
            &record.tx_hash,
        ]));
        let hash_hex = hex::encode(&record.tx_hash);
        if !passed.contains(&record.tx_hash) {
            events.push(
                Event::new("side_tx.rejected")
                    .attr("tx_hash", &hash_hex)
                    .attr("reason", "not more than 2/3 YES"),
            );
            continue;
        }
        let msg = match route(&AnyMsg {
            type_url: record.type_url.clone(),
            value: record.value.clone(),
        }) {
            Ok(AppMsg::Side(m)) => m,
            Ok(AppMsg::User(_)) | Err(_) => {
                events.push(
                    Event::new("side_tx.failed")
                        .attr("tx_hash", &hash_hex)
                        .attr("reason", "not a side message"),
                );
                continue;
            }
        };
        let mut ctx = Context::new(block, ExecMode::Deliver);
        let mut overlay = StateDelta::new(&*state);
        match msg.post_execute(&mut ctx, &mut overlay) {
            Ok(()) => {
                let changes = overlay.into_changes();
                state.apply(changes);
                events.push(Event::new("side_tx.applied").attr("tx_hash", &hash_hex));
                events.extend(ctx.take_events());
            }
            Err(ExecError::Rejected(e)) => {
                events.push(
                    Event::new("side_tx.failed")
                        .attr("tx_hash", &hash_hex)
                        .attr("reason", e.to_string()),
                );
            }
            Err(ExecError::Fatal(e)) => return Err(e),
        }
    }
    Ok(events)
}
