//! The bridge's checkpoint duties on one root chain (besides relaying its `NewHeaderBlock`s as
//! acks, which [`crate::bridge::relay`] does): [`Submitter`] and [`NoAcker`], each a loop over the latest
//! committed Delivery state.
//!
//! **Submit** ([`Submitter::tick`]): when the checkpoint buffered for the chain is final and
//! its proposer is this node's signer, [`RootChainContract::submit`] sends it: nothing when
//! the contract's `currentHeaderBlock()` is already at its number (the ack follows);
//! `updateValidators` first when the contract holds an older set than its last checkpoint
//! committed to (ADR 0008: the account set of Delivery's previous checkpoint); then
//! `submitCheckpoint(sign_data, sigs)`. One transaction at a time per chain (each is waited
//! for). A failure (a revert is logged with the contract's custom error) is tried again after
//! [`SUBMIT_RETRY_DELAY`].
//!
//! **No-ack** ([`NoAcker::tick`]): when the buffer is older than `checkpoint_buffer_time`
//! (the latest Delivery block's time, from the node's `status`, against the buffer's
//! `created_time`) and this node's signer is an active validator, it sends
//! `MsgCheckpointNoAck`. To avoid every validator sending one at once, only the validator that
//! proposes next (the proposer set rotated once, as the no-ack will rotate it) sends as soon
//! as the time has passed; the others wait [`no_ack_stagger`] more (a quarter of the buffer
//! time, between 5 and 60 s). No no-ack is sent while the root chain shows the checkpoint
//! accepted (the ack is on its way; dropping the buffer would only make the next checkpoint
//! wait for it). After a CheckTx refusal (`checkpoint/9` not yet, `checkpoint/4` no buffer,
//! or any other) it waits for a new committed height before trying again; after an accepted
//! one it waits `resend_after_blocks` heights for the buffer to go.

use std::sync::Arc;
use std::time::Duration;

use delivery_auth::{build_signed_tx, SignerData};
use delivery_bridge::{RootChainContract, SetUpdate, Submission, SubmitOutcome};
use delivery_checkpoint::{BufferedCheckpoint, MsgCheckpointNoAck};
use delivery_module::error::sdk;
use delivery_module::{Address, SecretKey};
use delivery_store::StateRead;
use tokio::time::Instant;

use crate::bridge::relay::{expected_sequence, Broadcast, CheckTxOutcome, RELAY_GAS, RELAY_MEMO};
use crate::bridge::state::CommittedState;

/// Pause before a failed submission of the same checkpoint is tried again.
pub const SUBMIT_RETRY_DELAY: Duration = Duration::from_secs(10);

/// How much longer than the next proposer the other validators wait before they send a
/// no-ack: a quarter of the buffer time, at least 5 s and at most 60 s.
pub fn no_ack_stagger(buffer_time: u64) -> u64 {
    (buffer_time / 4).clamp(5, 60)
}

fn tx_hex(hash: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(hash))
}

/// What a [`Submitter::tick`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitTick {
    /// Nothing buffered, not final yet, or another validator proposes it.
    NothingToDo,
    /// The last attempt failed; the next is due later.
    Backoff,
    /// The root chain already has it; its ack follows.
    AlreadyAccepted,
    /// Submitted now (the transaction hash).
    Submitted([u8; 32]),
    /// The attempt failed (logged).
    Failed(String),
}

/// Submits this node's final checkpoints to one root chain (see the module docs).
pub struct Submitter<S> {
    root_chain: String,
    state: Arc<S>,
    contract: RootChainContract,
    me: Address,
    retry: Option<(u64, Instant)>,
    told_accepted: Option<u64>,
}

impl<S> std::fmt::Debug for Submitter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submitter")
            .field("root_chain", &self.root_chain)
            .field("me", &self.me)
            .finish()
    }
}

impl<S: CommittedState> Submitter<S> {
    /// A submitter for `root_chain`, whose RootChain is `contract` (its sender signs with this
    /// node's signer key).
    pub fn new(root_chain: String, state: Arc<S>, contract: RootChainContract) -> Self {
        let me = Address(contract.sender().address());
        Self {
            root_chain,
            state,
            contract,
            me,
            retry: None,
            told_accepted: None,
        }
    }

    /// The submission of `buffered` (with the account set of Delivery's previous checkpoint).
    fn submission<V: StateRead>(
        &self,
        view: &V,
        buffered: &BufferedCheckpoint,
    ) -> Result<Submission, String> {
        let number = buffered.checkpoint.number;
        let previous_accounts = match number.checked_sub(1).filter(|n| *n > 0) {
            None => None,
            Some(previous) => delivery_checkpoint::committed(view, &self.root_chain, previous)
                .map_err(|e| e.to_string())?
                .map(|c| c.accounts)
                .filter(|a| !a.is_empty())
                .map(|a| a.into_iter().map(|a| (a.signer.0, a.power)).collect()),
        };
        Ok(Submission {
            number,
            sign_data: buffered.checkpoint.sign_data().to_vec(),
            signatures: buffered.signatures.iter().map(|s| s.signature).collect(),
            previous_accounts,
        })
    }

    /// The buffered checkpoint to submit, if it is final and ours, with its submission.
    fn due(&self) -> Result<Option<(BufferedCheckpoint, Submission)>, String> {
        let (_, view) = self.state.latest();
        let buffered = match delivery_checkpoint::buffer(&view, &self.root_chain) {
            Ok(Some(b)) if b.is_final() && b.checkpoint.proposer == self.me => b,
            Ok(_) => return Ok(None),
            Err(e) => return Err(format!("reading the checkpoint buffer: {e}")),
        };
        let submission = self
            .submission(&view, &buffered)
            .map_err(|e| format!("reading Delivery's previous checkpoint: {e}"))?;
        Ok(Some((buffered, submission)))
    }

    /// One pass (see the module docs).
    pub async fn tick(&mut self) -> SubmitTick {
        let chain = self.root_chain.clone();
        let (buffered, submission) = match self.due() {
            Ok(Some(due)) => due,
            Ok(None) => return SubmitTick::NothingToDo,
            Err(e) => {
                tracing::warn!(root_chain = %chain, "{e}");
                return SubmitTick::Failed(e);
            }
        };
        let c = &buffered.checkpoint;
        let number = c.number;
        if let Some((n, at)) = self.retry {
            if n == number && Instant::now() < at {
                return SubmitTick::Backoff;
            }
        }
        match self.contract.submit(&submission).await {
            Ok(SubmitOutcome::AlreadyAccepted { current }) => {
                if self.told_accepted != Some(number) {
                    tracing::info!(root_chain = %chain, number, current_header_block = current, "checkpoint already on the root chain: waiting for its ack");
                    self.told_accepted = Some(number);
                }
                self.retry = None;
                SubmitTick::AlreadyAccepted
            }
            Ok(SubmitOutcome::Submitted { mined, set_update }) => {
                match &set_update {
                    SetUpdate::NotNeeded => {}
                    SetUpdate::Updated(u) => {
                        tracing::info!(root_chain = %chain, number, tx = %tx_hex(&u.tx_hash), block = u.block_number, "root chain's validator set updated to the set of checkpoint {}", number.saturating_sub(1));
                    }
                    SetUpdate::Impossible(why) => {
                        tracing::warn!(root_chain = %chain, number, "the root chain holds an older validator set and the bridge cannot update it: {why}");
                    }
                }
                tracing::info!(root_chain = %chain, number, start = c.start, end = c.end, signatures = buffered.signatures.len(), tx = %tx_hex(&mined.tx_hash), block = mined.block_number, "checkpoint submitted and accepted by the root chain");
                self.retry = None;
                SubmitTick::Submitted(mined.tx_hash)
            }
            Err(e) => {
                tracing::warn!(root_chain = %chain, number, start = c.start, end = c.end, "checkpoint submission failed (trying again in {}s): {e}", SUBMIT_RETRY_DELAY.as_secs());
                let now = Instant::now();
                self.retry = Some((number, now.checked_add(SUBMIT_RETRY_DELAY).unwrap_or(now)));
                SubmitTick::Failed(e.to_string())
            }
        }
    }

    /// Ticks every `interval` until `shutdown`.
    pub async fn run(mut self, interval: Duration, shutdown: delivery_abci::CancellationToken) {
        tracing::info!(root_chain = %self.root_chain, signer = %self.me, contract = %format!("0x{}", hex::encode(self.contract.address())), "checkpoint submitter running");
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = self.tick() => {}
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// What a [`NoAcker::tick`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAckTick {
    /// Nothing buffered, or this node is not an active validator.
    NothingToDo,
    /// The buffer time (plus this node's stagger) has not passed; the seconds left.
    NotYet(i64),
    /// The root chain accepted the checkpoint: the ack is awaited instead.
    AcceptedOnRootChain,
    /// A no-ack was sent or refused for this buffer already: waiting for the state to move.
    Waiting,
    /// Sent and accepted into the mempool (its hash).
    Sent([u8; 32]),
    /// Refused at CheckTx (`codespace/code: log`).
    Refused(String),
    /// Could not tell or could not send (logged).
    Failed(String),
}

/// What the committed state says for one no-ack pass.
struct Plan {
    height: u64,
    buffered: BufferedCheckpoint,
    buffer_time: u64,
    stagger: u64,
    /// Chain id, fee, account number, committed sequence.
    signing: (String, u128, u64, u64),
}

#[derive(Debug, Clone, Copy)]
struct LastNoAck {
    number: u64,
    created_height: u64,
    height: u64,
    accepted: bool,
}

/// Sends no-acks for one root chain (see the module docs).
pub struct NoAcker<S, B> {
    root_chain: String,
    state: Arc<S>,
    broadcaster: B,
    key: SecretKey,
    contract: Option<RootChainContract>,
    resend_after_blocks: u64,
    last: Option<LastNoAck>,
}

impl<S, B> std::fmt::Debug for NoAcker<S, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoAcker")
            .field("root_chain", &self.root_chain)
            .field("signer", &self.key.address())
            .finish()
    }
}

impl<S: CommittedState, B: Broadcast> NoAcker<S, B> {
    /// A no-acker for `root_chain`, broadcasting with `broadcaster` signed by `key`; with the
    /// chain's RootChain (`contract`) it holds off while the root chain shows the checkpoint.
    pub fn new(
        root_chain: String,
        state: Arc<S>,
        broadcaster: B,
        key: SecretKey,
        contract: Option<RootChainContract>,
        resend_after_blocks: u64,
    ) -> Self {
        Self {
            root_chain,
            state,
            broadcaster,
            key,
            contract,
            resend_after_blocks: resend_after_blocks.max(1),
            last: None,
        }
    }

    /// What the latest committed state says: the buffer, the wait, and how to sign.
    fn plan(&mut self) -> Result<Plan, NoAckTick> {
        let chain = self.root_chain.clone();
        let me = self.key.address();
        let (height, view) = self.state.latest();
        let fail = |what: &str, e: String| {
            tracing::warn!(root_chain = %chain, "no-ack: {what}: {e}");
            NoAckTick::Failed(format!("{what}: {e}"))
        };
        let buffered = match delivery_checkpoint::buffer(&view, &chain) {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.last = None;
                return Err(NoAckTick::NothingToDo);
            }
            Err(e) => return Err(fail("reading the buffer", e.to_string())),
        };
        match delivery_app::checkpoints::active_members(&view) {
            Ok(set) if set.iter().any(|m| m.signer == me) => {}
            Ok(_) => return Err(NoAckTick::NothingToDo),
            Err(e) => return Err(fail("reading the active set", e.to_string())),
        }
        let buffer_time = match delivery_checkpoint::state::params(&view) {
            Ok(p) => p.checkpoint_buffer_time,
            Err(e) => return Err(fail("reading the params", e.to_string())),
        };
        let next = match delivery_checkpoint::state::proposer_set(&view) {
            Ok(mut set) => match set.rotate() {
                Ok(_) => set.proposer().map(|v| v.signer),
                Err(e) => return Err(fail("rotating the proposer set", e.to_string())),
            },
            Err(e) => return Err(fail("reading the proposer set", e.to_string())),
        };
        let stagger = if next == Some(me) {
            0
        } else {
            no_ack_stagger(buffer_time)
        };
        let signing = (|| -> Result<(String, u128, u64, u64), String> {
            let chain_id = delivery_app::genesis::chain_id(&view).map_err(|e| e.to_string())?;
            let fee = delivery_auth::state::params(&view)
                .map_err(|e| e.to_string())?
                .min_fee;
            let account = delivery_auth::state::account(&view, &me)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the signer {me} has no account on Delivery"))?;
            Ok((chain_id, fee, account.account_number, account.sequence))
        })()
        .map_err(|e| fail("reading how to sign", e))?;
        Ok(Plan {
            height,
            buffered,
            buffer_time,
            stagger,
            signing,
        })
    }

    /// One pass (see the module docs).
    pub async fn tick(&mut self) -> NoAckTick {
        let chain = self.root_chain.clone();
        let plan = match self.plan() {
            Ok(p) => p,
            Err(tick) => return tick,
        };
        let Plan {
            height,
            buffered,
            buffer_time,
            stagger,
            signing,
        } = plan;
        let number = buffered.checkpoint.number;
        let now = match self.broadcaster.latest_block().await {
            Ok((_, time)) => time,
            Err(e) => {
                tracing::warn!(root_chain = %chain, "no-ack: reading the latest block time: {e}");
                return NoAckTick::Failed(e);
            }
        };
        let wait = i64::try_from(buffer_time.saturating_add(stagger)).unwrap_or(i64::MAX);
        let due = buffered.created_time.saturating_add(wait);
        if now < due {
            return NoAckTick::NotYet(due.saturating_sub(now));
        }
        if let Some(last) = self.last {
            let same = last.number == number && last.created_height == buffered.created_height;
            let settle = if last.accepted {
                self.resend_after_blocks
            } else {
                1
            };
            if same && height < last.height.saturating_add(settle) {
                return NoAckTick::Waiting;
            }
        }
        if let Some(contract) = &self.contract {
            match contract.current_header_block().await {
                Ok(current) if current >= number => {
                    tracing::info!(root_chain = %chain, number, current_header_block = current, "buffer time passed, but the root chain accepted the checkpoint: waiting for its ack, no no-ack");
                    return NoAckTick::AcceptedOnRootChain;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(root_chain = %chain, number, "cannot read the RootChain ({e}): sending the no-ack");
                }
            }
        }
        let msg = MsgCheckpointNoAck {
            from: self.key.address().to_string(),
            root_chain: chain.clone(),
        };
        let outcome = match self.send(signing, &msg).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(root_chain = %chain, number, "no-ack: sending MsgCheckpointNoAck: {e}");
                return NoAckTick::Failed(e);
            }
        };
        let record = |accepted| LastNoAck {
            number,
            created_height: buffered.created_height,
            height,
            accepted,
        };
        match outcome {
            Ok(hash) => {
                tracing::info!(root_chain = %chain, number, created_time = buffered.created_time, block_time = now, buffer_time, tx = %hex::encode_upper(hash), "checkpoint not acked within the buffer time: no-ack sent");
                self.last = Some(record(true));
                NoAckTick::Sent(hash)
            }
            Err(out) => {
                let text = format!("{}/{}: {}", out.codespace, out.code, out.log);
                tracing::info!(root_chain = %chain, number, "no-ack refused (trying again after the next block): {text}");
                self.last = Some(record(false));
                NoAckTick::Refused(text)
            }
        }
    }

    /// Signs and broadcasts `msg` with the committed sequence (once more with the sequence the
    /// mempool expects, on a mismatch): `Ok(Ok(hash))` accepted, `Ok(Err(answer))` refused.
    async fn send(
        &self,
        (chain_id, fee, account_number, committed_sequence): (String, u128, u64, u64),
        msg: &MsgCheckpointNoAck,
    ) -> Result<Result<[u8; 32], CheckTxOutcome>, String> {
        let any = delivery_auth::AnyMsg::pack(msg);
        let mut sequence = committed_sequence;
        for attempt in 0..2 {
            let signer = SignerData {
                chain_id: chain_id.clone(),
                account_number,
                sequence,
            };
            let tx = build_signed_tx(
                &self.key,
                &signer,
                std::slice::from_ref(&any),
                fee,
                RELAY_GAS,
                RELAY_MEMO,
            );
            let hash = delivery_module::crypto::sha256(&tx);
            let out = self.broadcaster.broadcast(tx).await?;
            if out.code == 0 {
                return Ok(Ok(hash));
            }
            match expected_sequence(&out.log) {
                Some(expected)
                    if attempt == 0
                        && out.codespace == sdk::CODESPACE
                        && out.code == sdk::WRONG_SEQUENCE =>
                {
                    sequence = expected;
                }
                _ => return Ok(Err(out)),
            }
        }
        Err("the account sequence is still wrong after a retry".into())
    }

    /// Ticks every `interval` until `shutdown`.
    pub async fn run(mut self, interval: Duration, shutdown: delivery_abci::CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = self.tick() => {}
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stagger_is_a_quarter_of_the_buffer_time_within_bounds() {
        assert_eq!(no_ack_stagger(1), 5);
        assert_eq!(no_ack_stagger(20), 5);
        assert_eq!(no_ack_stagger(60), 15);
        assert_eq!(no_ack_stagger(1000), 60);
    }
}
