//! Building, sealing and importing one block on an engine: what a BTTC producer does for its
//! slot, done locally (the dev chain's miner uses it for every block).

use alloy_primitives::B256;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context as _};
use bttc_engine_api::{
    Address, Engine, ExecutablePayload, ForkchoiceState, PayloadAttributes, PayloadStatus,
};

/// What [`produce`] did.
#[derive(Debug, Clone)]
pub enum Produced {
    /// A block was built, sealed, imported and made the head.
    Block(Box<ExecutablePayload>),
    /// The built block had no transactions and `skip_empty` was set; nothing changed.
    SkippedEmpty,
}

/// Builds a block on the engine's head with `producer` as fee recipient and sealer, imports
/// it (the engine re-validates the sealed payload as any follower would) and makes it the head.
/// The timestamp is `max(now, parent + 1)`.
pub fn produce(
    engine: &dyn Engine,
    producer: &PrivateKeySigner,
    now: u64,
    skip_empty: bool,
) -> anyhow::Result<Produced> {
    let head = engine.head().context("reading the engine head")?;
    let timestamp = now.max(
        head.timestamp
            .checked_add(1)
            .context("head timestamp overflows")?,
    );
    let attrs = PayloadAttributes {
        timestamp,
        producer: Address(producer.address().0 .0),
        state_sync_records: Vec::new(),
        span_commit: None,
        max_transactions_bytes: None,
    };
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(head.hash), Some(attrs))
        .context("asking the engine to build a block")?;
    if !fcu.payload_status.is_valid() {
        bail!(
            "the engine refused to build on its head: {:?}",
            fcu.payload_status
        );
    }
    let id = fcu
        .payload_id
        .context("the engine returned no payload id for a build request")?;
    let built = engine
        .get_payload(id)
        .context("fetching the built payload")?;
    if skip_empty && built.payload.transactions.is_empty() {
        return Ok(Produced::SkippedEmpty);
    }
    let mut payload = built.payload;
    let sig = producer
        .sign_hash_sync(&B256::from(built.seal_hash.0))
        .context("signing the seal")?;
    payload.seal(sig.as_rsy()).context("sealing the payload")?;
    match engine
        .new_payload(payload.clone())
        .context("importing the sealed payload")?
    {
        PayloadStatus::Valid { .. } => {}
        other => bail!("the engine did not accept its own sealed block: {other:?}"),
    }
    let fcu = engine
        .forkchoice_updated(ForkchoiceState::finalized(payload.block_hash), None)
        .context("making the new block the head")?;
    if !fcu.payload_status.is_valid() {
        bail!("the engine refused the new head: {:?}", fcu.payload_status);
    }
    Ok(Produced::Block(Box::new(payload)))
}
