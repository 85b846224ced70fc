//! The transaction pipeline shared by CheckTx, PrepareProposal, ProcessProposal and
//! FinalizeBlock: the same checks everywhere, so a transaction admitted to the mempool fails a
//! block only because of what an earlier transaction in that block changed.

use delivery_auth::{DecodedTx, Params as AuthParams};
use delivery_module::error::sdk;
use delivery_module::{BlockInfo, Context, Event, ExecError, ExecMode, TxError};
use delivery_store::{StateDelta, StateRead, StoreError};

use crate::router::{route, AppMsg, SideMsg};
use crate::side;

/// A transaction that passed every check that needs no state.
#[derive(Debug, Clone)]
pub struct CheckedTx {
    /// The decoded envelope.
    pub tx: DecodedTx,
    /// Its routed messages, in order.
    pub msgs: Vec<AppMsg>,
}

impl CheckedTx {
    /// The side message, if the transaction carries one.
    pub fn side_msg(&self) -> Option<&SideMsg> {
        self.msgs.iter().find_map(|m| match m {
            AppMsg::Side(s) => Some(s),
            AppMsg::User(_) => None,
        })
    }
}

/// Decodes the envelope, routes every message, runs their format checks, requires every
/// message's signer to be the transaction's signer and allows at most one side message.
pub fn check_stateless(bytes: &[u8], params: &AuthParams) -> Result<CheckedTx, TxError> {
    let tx = delivery_auth::decode_tx(bytes, params)?;
    let mut msgs = Vec::with_capacity(tx.msgs.len());
    let mut side_count = 0usize;
    for (i, any) in tx.msgs.iter().enumerate() {
        let msg = route(any)?;
        msg.check_stateless()?;
        let signer = msg.signer()?;
        if signer != tx.signer {
            return Err(TxError::new(
                sdk::CODESPACE,
                sdk::SIGNER_MISMATCH,
                format!(
                    "message {i} must be signed by {signer}, the tx is signed by {}",
                    tx.signer
                ),
            ));
        }
        if matches!(msg, AppMsg::Side(_)) {
            side_count = side_count.saturating_add(1);
            if side_count > 1 {
                return Err(TxError::new(
                    sdk::CODESPACE,
                    sdk::TOO_MANY_SIDE_MSGS,
                    "a tx may carry at most one side message",
                ));
            }
        }
        msgs.push(msg);
    }
    Ok(CheckedTx { tx, msgs })
}

/// What running a transaction produced.
#[derive(Debug)]
pub struct TxOutcome {
    /// `Ok` or the rejection.
    pub result: Result<(), TxError>,
    /// The events (empty when rejected before the fee was taken).
    pub events: Vec<Event>,
    /// The gas the transaction declared.
    pub gas_wanted: u64,
}

fn rejected(error: TxError, gas_wanted: u64) -> TxOutcome {
    TxOutcome {
        result: Err(error),
        events: Vec::new(),
        gas_wanted,
    }
}

/// Runs one transaction on `state` (the block's or the mempool's overlay) and applies its
/// writes there if it passes. Envelope failures (decode, signature, sequence, fee) change
/// nothing. When the envelope passes but a message fails, the fee and sequence are still
/// consumed (as in the Cosmos SDK: an included transaction pays) and every message write is
/// discarded. Side messages are checked and, in FinalizeBlock, recorded as pending for the vote.
/// A storage failure is returned as `Err`: the node must stop. `params` are the auth params in
/// force for the block (read once per block: no message changes them mid-block).
pub fn run_tx<B: StateRead>(
    state: &mut StateDelta<B>,
    block: &BlockInfo,
    mode: ExecMode,
    params: &AuthParams,
    bytes: &[u8],
) -> Result<TxOutcome, StoreError> {
    let checked = match check_stateless(bytes, params) {
        Ok(c) => c,
        Err(e) => return Ok(rejected(e, 0)),
    };
    let gas_wanted = checked.tx.gas_limit;
    let mut ctx = Context::new(block, mode);

    // Envelope: chain id, account, sequence, signature, fee floor, fee payment.
    let mut envelope = StateDelta::new(&*state);
    let ante = delivery_auth::ante::ante(&ctx, &mut envelope, &checked.tx, params).and_then(|_| {
        delivery_bank::transfer(
            &mut envelope,
            &checked.tx.signer,
            &delivery_bank::fee_collector(),
            checked.tx.fee,
        )
        .map_err(|e| match e {
            ExecError::Rejected(r) => ExecError::Rejected(TxError::new(
                sdk::CODESPACE,
                sdk::INSUFFICIENT_FUNDS,
                format!("cannot pay the fee: {}", r.log),
            )),
            fatal => fatal,
        })
    });
    match ante {
        Ok(()) => {}
        Err(ExecError::Rejected(e)) => return Ok(rejected(e, gas_wanted)),
        Err(ExecError::Fatal(e)) => return Err(e),
    }
    let envelope_changes = envelope.into_changes();

    // Messages, on their own overlay over the envelope's writes.
    let mut with_fee = StateDelta::new(&*state);
    with_fee.apply(envelope_changes.clone());
    let mut msgs = StateDelta::new(&with_fee);
    let mut msg_result = Ok(());
    for (i, msg) in checked.msgs.iter().enumerate() {
        let step = match msg {
            AppMsg::User(u) => u.check_and_execute(&mut ctx, &mut msgs),
            AppMsg::Side(s) => s.check_stateful(&ctx, &msgs).map(|()| {
                if mode == ExecMode::Deliver {
                    side::record_pending(&mut msgs, block.height, &checked.tx.hash, s);
                }
            }),
        };
        match step {
            Ok(()) => {}
            Err(ExecError::Rejected(e)) => {
                msg_result = Err(TxError {
                    log: format!("message {i}: {}", e.log),
                    ..e
                });
                break;
            }
            Err(ExecError::Fatal(e)) => return Err(e),
        }
    }
    let msg_changes = msgs.into_changes();
    drop(with_fee);
    // The mempool admits only transactions that pass whole; a block charges the fee regardless.
    if mode == ExecMode::Deliver || msg_result.is_ok() {
        state.apply(envelope_changes);
    }
    let tx_event = Event::new("tx")
        .attr("signer", checked.tx.signer)
        .attr("sequence", checked.tx.sequence)
        .attr(
            "fee",
            format!("{}{}", checked.tx.fee, delivery_auth::tx::FEE_DENOM),
        );
    match msg_result {
        Ok(()) => {
            state.apply(msg_changes);
            let mut events = vec![tx_event];
            events.extend(ctx.take_events());
            Ok(TxOutcome {
                result: Ok(()),
                events,
                gas_wanted,
            })
        }
        Err(e) => Ok(TxOutcome {
            result: Err(e),
            events: vec![tx_event],
            gas_wanted,
        }),
    }
}
