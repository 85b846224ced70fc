//! [`Relay`]: the poller's consumer. Root-chain logs become Delivery messages, signed by the
//! node's signer key and broadcast to CometBFT.
//!
//! | log | message |
//! |---|---|
//! | StateSender `StateSynced` | `MsgEventRecord` |
//! | StakeManager `StakeUpdate` / `SignerChange` / `UnstakeInit` | `MsgStakeUpdate` / `MsgSignerUpdate` / `MsgValidatorExit` |
//! | StakeManager `Staked` | `MsgValidatorJoin`, only when the staked signer is this node's signer (it carries this node's ed25519 consensus key) |
//! | RootChain `NewHeaderBlock` | `MsgCheckpointAck` (every validator relays it, like a state sync) |
//! | anything else (`Unstaked`, `NewRegistration`, a log from the wrong contract) | ignored |
//!
//! **No event missed, none applied twice.** A range is accepted (so the poller's cursor moves
//! past it) only when every relevant event in it is applied in Delivery's latest committed
//! state ([`RootEvent::is_applied`](delivery_rootchain::RootEvent::is_applied)); until then
//! [`LogConsumer::consume`] fails and the poller hands the same range over again after its
//! interval. Each time, events already applied are skipped, events sent less than
//! `resend_after_blocks` Delivery blocks ago are left alone (an in-memory record of what was
//! sent at which height), and the others are (re)sent. A message refused at CheckTx because
//! it waits for its predecessor (staking code 11: nonce ahead; clerk code 5; checkpoint code 6:
//! the previous checkpoint's ack is not applied yet) is not recorded, so it is sent again on
//! the next pass. A checkpoint ack whose number Delivery already counts (its ack count is at
//! least that number) counts as applied: Delivery would refuse it (`checkpoint/5`). Delivery itself refuses an applied event, so a
//! duplicate (after a restart, or sent by another validator too) costs a fee, never a
//! double application.
//!
//! **Sequences.** The signer's account number and sequence come from the latest committed
//! state; the relay keeps the next sequence locally (ahead of committed state while its
//! transactions wait in the mempool) and, on a sequence mismatch, takes the sequence the
//! mempool expects from the rejection (or reads state again) and retries once.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use delivery_auth::{build_signed_tx, SignerData};
use delivery_bridge::{LogConsumer, PolledLog, RootLog};
use delivery_checkpoint::MsgCheckpointAck;
use delivery_clerk::MsgEventRecord;
use delivery_module::error::sdk;
use delivery_module::SecretKey;
use delivery_staking::{MsgSignerUpdate, MsgStakeUpdate, MsgValidatorExit, MsgValidatorJoin};
use delivery_store::StateRead;

use crate::bridge::claim::{Claim, Emitter};
use crate::bridge::state::CommittedState;

/// Gas limit put in relay transactions (informational: Delivery charges a flat fee).
pub const RELAY_GAS: u64 = 200_000;
/// Memo of relay transactions.
pub const RELAY_MEMO: &str = "bridge";

/// The CheckTx answer to a broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTxOutcome {
    /// 0: accepted into the mempool.
    pub code: u32,
    /// The codespace of `code`.
    pub codespace: String,
    /// Why it was refused.
    pub log: String,
}

/// Hands a signed transaction to the node's mempool.
pub trait Broadcast: Send + Sync {
    /// Broadcasts `tx` (`broadcast_tx_sync`): the CheckTx answer, or why there is none.
    fn broadcast(&self, tx: Vec<u8>)
        -> impl Future<Output = Result<CheckTxOutcome, String>> + Send;

    /// The latest Delivery block's height and time (Unix seconds), as the node reports it
    /// (CometBFT's `status`). The default says it is unknown.
    fn latest_block(&self) -> impl Future<Output = Result<(u64, i64), String>> + Send {
        async { Err("this broadcaster does not know the latest block".to_string()) }
    }
}

/// Why the relay did not accept a range.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading Delivery state failed.
    #[error("reading Delivery state: {0}")]
    State(String),
    /// The signer has no account on Delivery.
    #[error("the bridge signer {0} has no account on Delivery: fund it to send claims")]
    NoAccount(String),
    /// CometBFT did not answer.
    #[error("broadcast: {0}")]
    Broadcast(String),
    /// Some events of the range are not applied yet (the range comes again).
    #[error(
        "{waiting} root event(s) of blocks {from_block}..={to_block} not applied in Delivery yet"
    )]
    NotYetApplied {
        /// Events not applied.
        waiting: usize,
        /// First block of the range.
        from_block: u64,
        /// Last block of the range.
        to_block: u64,
    },
}

/// What the relay needs to know about its root chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    /// The root chain's name.
    pub root_chain: String,
    /// Its StakeManager (the staking chain only).
    pub stake_manager: Option<[u8; 20]>,
    /// Its StateSender.
    pub state_sender: [u8; 20],
    /// Its RootChain (checkpoints), if it takes checkpoints.
    pub root_chain_contract: Option<[u8; 20]>,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    height: u64,
    tx_hash: [u8; 32],
}

#[derive(Debug, Clone, Copy)]
struct AccountCursor {
    number: u64,
    next_sequence: u64,
}

/// How the relay signs: read from state once per pass.
struct Signing {
    chain_id: String,
    fee: u128,
}

/// The poller's consumer for one root chain (see the module docs).
pub struct Relay<S, B> {
    target: RelayTarget,
    state: Arc<S>,
    broadcaster: B,
    key: SecretKey,
    consensus_pubkey: [u8; 32],
    resend_after_blocks: u64,
    sent: BTreeMap<(u64, u64), Sent>,
    account: Option<AccountCursor>,
}

impl<S, B> std::fmt::Debug for Relay<S, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("target", &self.target)
            .field("signer", &self.key.address())
            .field("sent", &self.sent.len())
            .finish()
    }
}

enum Outcome {
    Accepted([u8; 32]),
    WaitsForPredecessor(String),
    Refused(String),
}

impl<S: CommittedState, B: Broadcast> Relay<S, B> {
    /// A relay for `target`, reading `state`, broadcasting with `broadcaster`, signing with
    /// `key` (the node's signer), joining with `consensus_pubkey` (the node's ed25519 key).
    pub fn new(
        target: RelayTarget,
        state: Arc<S>,
        broadcaster: B,
        key: SecretKey,
        consensus_pubkey: [u8; 32],
        resend_after_blocks: u64,
    ) -> Self {
        Self {
            target,
            state,
            broadcaster,
            key,
            consensus_pubkey,
            resend_after_blocks: resend_after_blocks.max(1),
            sent: BTreeMap::new(),
            account: None,
        }
    }

    /// Events sent and not yet seen applied.
    pub fn in_flight(&self) -> usize {
        self.sent.len()
    }

    /// The message this node sends for `log`, or `None` if it sends none (see the module docs).
    pub fn message_for(&self, log: &PolledLog) -> Option<Claim> {
        let decoded = match log.decode() {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(root_chain = %self.target.root_chain, event = %log.event.describe(), "ignoring a log that is not a root-contract event: {e}");
                return None;
            }
        };
        let from = self.key.address().to_string();
        let event = Some(log.event.clone());
        let claim = match decoded {
            RootLog::StateSynced {
                id,
                contract_address,
                data,
            } => Claim::EventRecord(MsgEventRecord {
                from,
                event,
                id,
                contract: contract_address.to_vec(),
                data,
            }),
            RootLog::StakeUpdate {
                validator_id,
                nonce,
                new_amount,
            } => Claim::StakeUpdate(MsgStakeUpdate {
                from,
                event,
                validator_id,
                new_amount: new_amount.to_string(),
                nonce,
            }),
            RootLog::SignerChange {
                validator_id,
                nonce,
                signer_pubkey,
                ..
            } => Claim::SignerUpdate(MsgSignerUpdate {
                from,
                event,
                validator_id,
                new_signer_pubkey: signer_pubkey,
                nonce,
            }),
            RootLog::UnstakeInit {
                validator_id,
                nonce,
                deactivation_epoch,
                ..
            } => Claim::Exit(MsgValidatorExit {
                from,
                event,
                validator_id,
                deactivation_epoch,
                nonce,
            }),
            RootLog::Staked {
                signer,
                validator_id,
                nonce,
                activation_epoch,
                amount,
                signer_pubkey,
                ..
            } => {
                if signer != self.key.address().0 {
                    return None; // another validator's join: only it can send it
                }
                Claim::Join(MsgValidatorJoin {
                    from,
                    event,
                    validator_id,
                    activation_epoch,
                    amount: amount.to_string(),
                    signer_pubkey,
                    consensus_pubkey: self.consensus_pubkey.to_vec(),
                    nonce,
                })
            }
            RootLog::NewHeaderBlock {
                proposer,
                header_block_id,
                start,
                end,
                root,
                ..
            } => Claim::CheckpointAck(MsgCheckpointAck {
                from,
                event,
                number: header_block_id,
                proposer: proposer.to_vec(),
                start,
                end,
                root_hash: root.to_vec(),
            }),
            RootLog::Unstaked { .. }
            | RootLog::NewRegistration { .. }
            | RootLog::TokenMapped { .. }
            | RootLog::LockedERC20 { .. } => return None,
        };
        let expected = match claim.emitter_kind() {
            Emitter::StateSender => Some(self.target.state_sender),
            Emitter::StakeManager => self.target.stake_manager,
            Emitter::RootChain => self.target.root_chain_contract,
        };
        if expected != Some(log.emitter) {
            tracing::warn!(root_chain = %self.target.root_chain, event = %log.event.describe(), emitter = %hex::encode(log.emitter), "ignoring a {} log from a contract that does not emit it", claim.name());
            return None;
        }
        Some(claim)
    }

    /// Sorts the range's events into applied / waiting / to send, against committed state.
    #[allow(clippy::type_complexity)]
    fn plan(
        &mut self,
        logs: &[PolledLog],
    ) -> Result<(usize, Vec<((u64, u64), Claim)>, Option<Signing>), RelayError> {
        let (height, view) = self.state.latest();
        let mut waiting = 0usize;
        let mut to_send = Vec::new();
        for log in logs {
            let Some(claim) = self.message_for(log) else {
                continue;
            };
            let key = (log.event.block_number, log.event.log_index);
            let mut applied = log
                .event
                .is_applied(&view)
                .map_err(|e| RelayError::State(e.to_string()))?;
            if let Claim::CheckpointAck(m) = &claim {
                // Delivery counts it already (e.g. acked through another event): it would
                // refuse the ack, and nothing is left to do.
                let count = delivery_checkpoint::ack_count(&view, &self.target.root_chain)
                    .map_err(|e| RelayError::State(e.to_string()))?;
                applied = applied || m.number <= count;
            }
            if applied {
                if let Some(s) = self.sent.remove(&key) {
                    tracing::info!(root_chain = %self.target.root_chain, event = %log.event.describe(), msg = claim.name(), tx = %hex::encode_upper(s.tx_hash), "root event applied in Delivery");
                }
                continue;
            }
            waiting = waiting.saturating_add(1);
            if let Some(s) = self.sent.get(&key) {
                if height < s.height.saturating_add(self.resend_after_blocks) {
                    continue;
                }
                tracing::info!(root_chain = %self.target.root_chain, event = %log.event.describe(), sent_at = s.height, height, "root event still not applied: sending it again");
            }
            to_send.push((key, claim));
        }
        let signing = if to_send.is_empty() {
            None
        } else {
            Some(self.signing(&view)?)
        };
        // Forget records of events no longer in any range we will see again.
        Ok((waiting, to_send, signing))
    }

    fn signing<V: StateRead>(&mut self, view: &V) -> Result<Signing, RelayError> {
        let state_err = |e: delivery_store::StoreError| RelayError::State(e.to_string());
        let chain_id = delivery_app::genesis::chain_id(view).map_err(state_err)?;
        let fee = delivery_auth::state::params(view)
            .map_err(state_err)?
            .min_fee;
        let address = self.key.address();
        let account = delivery_auth::state::account(view, &address)
            .map_err(state_err)?
            .ok_or_else(|| RelayError::NoAccount(address.to_string()))?;
        let next = match self.account {
            Some(a) if a.number == account.account_number => a.next_sequence.max(account.sequence),
            _ => account.sequence,
        };
        self.account = Some(AccountCursor {
            number: account.account_number,
            next_sequence: next,
        });
        Ok(Signing { chain_id, fee })
    }

    fn refetch_sequence(&mut self) -> Result<(), RelayError> {
        let (_, view) = self.state.latest();
        let address = self.key.address();
        let account = delivery_auth::state::account(&view, &address)
            .map_err(|e| RelayError::State(e.to_string()))?
            .ok_or_else(|| RelayError::NoAccount(address.to_string()))?;
        self.account = Some(AccountCursor {
            number: account.account_number,
            next_sequence: account.sequence,
        });
        Ok(())
    }

    async fn send(&mut self, claim: &Claim, signing: &Signing) -> Result<Outcome, RelayError> {
        let any = claim.to_any();
        for attempt in 0..2 {
            let Some(account) = self.account else {
                self.refetch_sequence()?;
                continue;
            };
            let signer = SignerData {
                chain_id: signing.chain_id.clone(),
                account_number: account.number,
                sequence: account.next_sequence,
            };
            let tx = build_signed_tx(
                &self.key,
                &signer,
                std::slice::from_ref(&any),
                signing.fee,
                RELAY_GAS,
                RELAY_MEMO,
            );
            let hash = delivery_module::crypto::sha256(&tx);
            let out = self
                .broadcaster
                .broadcast(tx)
                .await
                .map_err(RelayError::Broadcast)?;
            if out.code == 0 {
                self.account = Some(AccountCursor {
                    next_sequence: account.next_sequence.saturating_add(1),
                    ..account
                });
                return Ok(Outcome::Accepted(hash));
            }
            match (out.codespace.as_str(), out.code) {
                (sdk::CODESPACE, sdk::WRONG_SEQUENCE) if attempt == 0 => {
                    match expected_sequence(&out.log) {
                        Some(expected) => {
                            self.account = Some(AccountCursor {
                                next_sequence: expected,
                                ..account
                            })
                        }
                        None => self.refetch_sequence()?,
                    }
                    tracing::info!(
                        sequence = account.next_sequence,
                        "account sequence mismatch: retrying with the expected one"
                    );
                }
                ("staking", delivery_staking::CODE_NONCE_AHEAD)
                | ("clerk", delivery_clerk::error::codes::AWAITS_PREDECESSOR)
                | ("checkpoint", delivery_checkpoint::error::codes::ACK_AHEAD) => {
                    return Ok(Outcome::WaitsForPredecessor(out.log));
                }
                _ => {
                    return Ok(Outcome::Refused(format!(
                        "{}/{}: {}",
                        out.codespace, out.code, out.log
                    )))
                }
            }
        }
        Ok(Outcome::Refused(
            "the account sequence is still wrong after a retry".into(),
        ))
    }

    async fn consume_range(
        &mut self,
        from_block: u64,
        to_block: u64,
        logs: Vec<PolledLog>,
    ) -> Result<(), RelayError> {
        let (waiting, to_send, signing) = self.plan(&logs)?;
        if let Some(signing) = signing {
            let height = self.state.latest().0;
            for (key, claim) in to_send {
                let event = claim.event().map_or_else(String::new, |e| e.describe());
                match self.send(&claim, &signing).await? {
                    Outcome::Accepted(tx_hash) => {
                        tracing::info!(root_chain = %self.target.root_chain, %event, msg = claim.name(), tx = %hex::encode_upper(tx_hash), "root event sent to Delivery");
                        self.sent.insert(key, Sent { height, tx_hash });
                    }
                    Outcome::WaitsForPredecessor(log) => {
                        tracing::info!(root_chain = %self.target.root_chain, %event, msg = claim.name(), "waits for its predecessor; sending it later: {log}");
                    }
                    Outcome::Refused(reason) => {
                        tracing::warn!(root_chain = %self.target.root_chain, %event, msg = claim.name(), "Delivery refused the claim (trying again in {} blocks): {reason}", self.resend_after_blocks);
                        self.sent.insert(
                            key,
                            Sent {
                                height,
                                tx_hash: [0; 32],
                            },
                        );
                    }
                }
            }
        }
        if waiting == 0 {
            Ok(())
        } else {
            Err(RelayError::NotYetApplied {
                waiting,
                from_block,
                to_block,
            })
        }
    }
}

/// The sequence in `account sequence mismatch for X: expected N, got M`.
pub(crate) fn expected_sequence(log: &str) -> Option<u64> {
    let rest = log.split("expected ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl<S: CommittedState, B: Broadcast> LogConsumer for Relay<S, B> {
    type Error = RelayError;

    fn consume(
        &mut self,
        from_block: u64,
        to_block: u64,
        logs: Vec<PolledLog>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.consume_range(from_block, to_block, logs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_sequence_is_read_from_the_rejection() {
        assert_eq!(
            expected_sequence("account sequence mismatch for 0xab: expected 7, got 5"),
            Some(7)
        );
        assert_eq!(expected_sequence("something else"), None);
    }
}
