//! What the scheduled producer's node does after each Commit: find out whether its signer may
//! seal the next BTTC block now ([`DeliveryApp::producer_duty`]), have the engine build it and
//! seal it ([`build_payload_tx`]). The caller broadcasts the payload tx through CometBFT's
//! mempool (`broadcast_tx_sync`), so the next proposer can put it in its block.

use bttc_engine_api::{
    Address as EngineAddress, Engine, ForkchoiceState, PayloadAttributes, SpanCommit,
    StateSyncRecord, H256,
};
use delivery_abci::{AppError, AppResult};
use delivery_module::crypto::{Address, SecretKey};

use crate::app::DeliveryApp;
use crate::chain::{self, BttcBlock};

/// A BTTC block this node's signer may seal now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    /// The BTTC height to build.
    pub number: u64,
    /// Delivery's BTTC head (the parent).
    pub parent: BttcBlock,
    /// The span commit the block must carry (at a span's first block).
    pub span_commit: Option<SpanCommit>,
    /// The state-sync records the block must carry ([`chain::due_records`]): exactly these,
    /// or validators reject the block.
    pub state_sync_records: Vec<StateSyncRecord>,
    /// The timestamp to use: the last Delivery block's time, but after the parent's.
    pub timestamp: u64,
    /// The Delivery height the payload is aimed at (the next one).
    pub delivery_height: u64,
}

impl DeliveryApp {
    /// Whether `signer` may seal the next BTTC block in the next Delivery block, from the latest
    /// committed state: `None` when it is not eligible (yet), or the chain is dormant.
    pub fn producer_duty(&self, signer: &Address) -> AppResult<Option<Duty>> {
        let Some((height, _)) = self.storage().latest() else {
            return Ok(None);
        };
        let state = self.storage().latest_snapshot();
        let fatal = |e: &dyn std::fmt::Display| AppError::from(format!("producer duty: {e}"));
        let Some(parent) = chain::head(&state).map_err(|e| fatal(&e))? else {
            return Ok(None);
        };
        let number = parent
            .number
            .checked_add(1)
            .ok_or_else(|| AppError::from("BTTC height overflow"))?;
        let delivery_height = height.saturating_add(1);
        let eligible = match delivery_span::eligible_producers(&state, number, delivery_height) {
            Ok(e) => e,
            Err(delivery_span::SpanError::Store(e)) => return Err(fatal(&e)),
            Err(_) => return Ok(None),
        };
        if !eligible.contains(signer) {
            return Ok(None);
        }
        let span_commit = match delivery_span::span_commit_at(&state, number) {
            Ok(s) => s,
            Err(e) => return Err(fatal(&e)),
        };
        let state_sync_records = chain::due_records(&state).map_err(|e| fatal(&e))?;
        let timestamp = self
            .last_block_time()
            .max(parent.timestamp.saturating_add(1));
        Ok(Some(Duty {
            number,
            parent,
            span_commit,
            state_sync_records,
            timestamp,
            delivery_height,
        }))
    }
}

/// Has `engine` build the block of `duty` on its parent, seals it with `key` and returns the
/// payload tx. Fails when the engine's head is not the parent (it is behind: it must catch up
/// first) or the engine refuses.
pub fn build_payload_tx(
    engine: &dyn Engine,
    key: &SecretKey,
    duty: &Duty,
) -> Result<Vec<u8>, String> {
    let attrs = PayloadAttributes {
        timestamp: duty.timestamp,
        producer: EngineAddress(key.address().0),
        state_sync_records: duty.state_sync_records.clone(),
        span_commit: duty.span_commit.clone(),
        max_transactions_bytes: Some(chain::payload_transactions_budget(
            chain::MEMPOOL_MAX_TX_BYTES,
            &duty.state_sync_records,
            duty.span_commit.as_ref(),
        )),
    };
    let parent: H256 = duty.parent.hash;
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(parent), Some(attrs))
        .map_err(|e| format!("engine: {e}"))?;
    if !fcu.payload_status.is_valid() {
        return Err(format!(
            "the engine cannot build on BTTC block {} ({parent}): {:?}",
            duty.parent.number, fcu.payload_status
        ));
    }
    let id = fcu
        .payload_id
        .ok_or_else(|| "the engine returned no payload id".to_owned())?;
    let built = engine.get_payload(id).map_err(|e| format!("engine: {e}"))?;
    let mut payload = built.payload;
    let signature = key.sign_recoverable(&built.seal_hash.0);
    payload
        .seal(signature)
        .map_err(|e| format!("sealing: {e}"))?;
    if payload.recover_author().map(|a| a.0) != Ok(key.address().0) {
        return Err("the seal does not recover to the signer".into());
    }
    Ok(chain::encode_payload_tx(&payload))
}
