//! [`RootChainContract`]: a root chain's RootChain contract (checkpoints), read and written
//! over JSON-RPC: the reads the checkpoint submitter decides with
//! ([`current_header_block`](RootChainContract::current_header_block),
//! [`validator_set_root`](RootChainContract::validator_set_root),
//! [`header_block`](RootChainContract::header_block)) and its two transactions,
//! [`submit_checkpoint`](RootChainContract::submit_checkpoint) and
//! [`update_validators`](RootChainContract::update_validators). A revert is decoded into the
//! contract's custom error ([`explain`]).

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolError as _, SolInterface as _};
use bttc_engine_contracts::checkpoint::IRootChain;
use bttc_engine_contracts::checkpoint::IRootChain::IRootChainErrors as Error;

use crate::client::CallError;
use crate::sender::{Mined, RootChainSender, SendError};

/// A header block (an accepted checkpoint) as the RootChain stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderBlock {
    /// The root over the blocks' leaves.
    pub root: [u8; 32],
    /// First BTTC block.
    pub start: u64,
    /// Last BTTC block.
    pub end: u64,
    /// The account root the checkpoint committed to.
    pub account_root: [u8; 32],
    /// The Delivery proposer.
    pub proposer: [u8; 20],
    /// The root-chain block time it was accepted at.
    pub timestamp: u64,
}

/// One chain's RootChain (see the module docs).
#[derive(Debug, Clone)]
pub struct RootChainContract {
    sender: RootChainSender,
    address: [u8; 20],
}

fn small(value: U256, what: &str, chain: &str) -> Result<u64, CallError> {
    u64::try_from(value).map_err(|_| {
        CallError::Client(crate::ClientError::Unavailable {
            root_chain: chain.to_string(),
            method: "eth_call",
            reason: format!("malformed response: RootChain {what} {value} is above 2^64"),
        })
    })
}

impl RootChainContract {
    /// The RootChain at `address`, sending with `sender`.
    pub fn new(sender: RootChainSender, address: [u8; 20]) -> Self {
        Self { sender, address }
    }

    /// Its address.
    pub fn address(&self) -> [u8; 20] {
        self.address
    }

    /// The sender.
    pub fn sender(&self) -> &RootChainSender {
        &self.sender
    }

    fn chain(&self) -> &str {
        self.sender.client().root_chain()
    }

    /// `currentHeaderBlock()`: the number of the last accepted checkpoint (0 before the first).
    pub async fn current_header_block(&self) -> Result<u64, CallError> {
        let n = self
            .sender
            .view(self.address, &IRootChain::currentHeaderBlockCall {})
            .await?;
        small(n, "currentHeaderBlock", self.chain())
    }

    /// `validatorSetRoot()`: the account root of the set the contract knows.
    pub async fn validator_set_root(&self) -> Result<[u8; 32], CallError> {
        Ok(self
            .sender
            .view(self.address, &IRootChain::validatorSetRootCall {})
            .await?
            .0)
    }

    /// `headerBlocks(id)`.
    pub async fn header_block(&self, id: u64) -> Result<HeaderBlock, CallError> {
        let h = self
            .sender
            .view(
                self.address,
                &IRootChain::headerBlocksCall {
                    headerBlockId: U256::from(id),
                },
            )
            .await?;
        Ok(HeaderBlock {
            root: h.root.0,
            start: small(h.start, "start", self.chain())?,
            end: small(h.end, "end", self.chain())?,
            account_root: h.accountRoot.0,
            proposer: h.proposer.0 .0,
            timestamp: small(h.timestamp, "timestamp", self.chain())?,
        })
    }

    /// `submitCheckpoint(data, sigs)`: `data` is the 192-byte sign data, `signatures` the
    /// validators' 65-byte `r ‖ s ‖ v` signatures over its sign hash (any order: they are
    /// sorted by recovered signer here, as the contract wants them). `what` names it in logs.
    pub async fn submit_checkpoint(
        &self,
        data: &[u8],
        signatures: &[[u8; 65]],
        what: &str,
    ) -> Result<Mined, SendError> {
        let hash = bttc_engine_contracts::checkpoint::sign_hash(data);
        let sigs =
            bttc_engine_contracts::checkpoint::submission_sigs(hash, signatures).map_err(|e| {
                SendError::Invalid {
                    what: what.to_string(),
                    reason: format!("the checkpoint's signatures: {e}"),
                }
            })?;
        let call = IRootChain::submitCheckpointCall {
            data: Bytes::copy_from_slice(data),
            sigs: sigs.into_iter().map(|(_, words)| words).collect(),
        };
        self.sender.send(self.address, &call, what, explain).await
    }

    /// Submits `submission` unless the contract already has it (ADR 0008): when the contract
    /// holds an older validator set than its last checkpoint committed to, first
    /// `updateValidators` with `submission.previous_accounts` (if their root is that
    /// checkpoint's account root). Never more than one transaction in flight: each is waited
    /// for.
    pub async fn submit(&self, submission: &Submission) -> Result<SubmitOutcome, SubmitError> {
        let number = submission.number;
        let current = self.current_header_block().await?;
        if current >= number {
            return Ok(SubmitOutcome::AlreadyAccepted { current });
        }
        if current.checked_add(1) != Some(number) {
            return Err(SubmitError::Gap { current, number });
        }
        let set_update = if current == 0 {
            SetUpdate::NotNeeded
        } else {
            let known = self.validator_set_root().await?;
            let last = self.header_block(current).await?;
            if known == last.account_root {
                SetUpdate::NotNeeded
            } else {
                match &submission.previous_accounts {
                    None => SetUpdate::Impossible(format!(
                        "Delivery does not know the validator set of checkpoint {current} (acked                          from the root chain without a buffer)"
                    )),
                    Some(accounts) => {
                        let words: Vec<(Address, U256)> = accounts
                            .iter()
                            .map(|(s, p)| (Address::from(*s), U256::from(*p)))
                            .collect();
                        let root = bttc_engine_contracts::checkpoint::account_root(&words);
                        if root.0 == last.account_root {
                            let what = format!(
                                "{}: updateValidators to the set of checkpoint {current}",
                                self.chain()
                            );
                            SetUpdate::Updated(self.update_validators(accounts, &what).await?)
                        } else {
                            SetUpdate::Impossible(format!(
                                "Delivery's set of checkpoint {current} has root 0x{}, the root                                  chain's checkpoint {current} committed to 0x{}",
                                hex::encode(root),
                                hex::encode(last.account_root)
                            ))
                        }
                    }
                }
            }
        };
        let what = format!("{}: submitCheckpoint {number}", self.chain());
        let mined = self
            .submit_checkpoint(&submission.sign_data, &submission.signatures, &what)
            .await?;
        Ok(SubmitOutcome::Submitted { mined, set_update })
    }

    /// `updateValidators(signers, powers)` with `accounts` sorted by signer.
    pub async fn update_validators(
        &self,
        accounts: &[([u8; 20], u64)],
        what: &str,
    ) -> Result<Mined, SendError> {
        let call = IRootChain::updateValidatorsCall {
            signers: accounts.iter().map(|(s, _)| Address::from(*s)).collect(),
            powers: accounts.iter().map(|(_, p)| U256::from(*p)).collect(),
        };
        self.sender.send(self.address, &call, what, explain).await
    }
}

/// A final checkpoint as Delivery buffers it, ready for `submitCheckpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Its number on the root chain (`headerBlockId`).
    pub number: u64,
    /// The 192-byte sign data.
    pub sign_data: Vec<u8>,
    /// The validators' signatures (`r ‖ s ‖ v`, v 27/28).
    pub signatures: Vec<[u8; 65]>,
    /// The account set (sorted by signer) of Delivery's checkpoint `number - 1` on this chain,
    /// the one the root chain accepted last: what `updateValidators` takes when the contract
    /// still holds an older set. `None` when Delivery does not know it (a checkpoint acked
    /// from the root chain without a buffer, or none before checkpoint 1).
    pub previous_accounts: Option<Vec<([u8; 20], u64)>>,
}

/// Whether the validator set was brought up to date before a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetUpdate {
    /// The contract already holds the set of its last checkpoint (or has none yet).
    NotNeeded,
    /// `updateValidators` was mined.
    Updated(Mined),
    /// The contract holds an older set, but it cannot be updated from here (why): the
    /// submission was tried anyway (it passes if the old set's signers still hold > 2/3).
    Impossible(String),
}

/// What [`RootChainContract::submit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The contract already accepted this number (or a later one): nothing sent; the ack
    /// follows from its `NewHeaderBlock`.
    AlreadyAccepted {
        /// `currentHeaderBlock()`.
        current: u64,
    },
    /// Submitted and mined.
    Submitted {
        /// The `submitCheckpoint` transaction.
        mined: Mined,
        /// What happened to the validator set before it.
        set_update: SetUpdate,
    },
}

/// Why a submission failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// A read failed.
    #[error("reading the RootChain: {0}")]
    Read(#[from] CallError),
    /// The contract is more than one checkpoint behind the one submitted.
    #[error(
        "the RootChain accepted checkpoint {current} last, so it cannot take checkpoint {number}:          the checkpoints in between are missing there"
    )]
    Gap {
        /// `currentHeaderBlock()`.
        current: u64,
        /// The number submitted.
        number: u64,
    },
    /// `updateValidators` or `submitCheckpoint` failed.
    #[error(transparent)]
    Send(#[from] SendError),
}

/// What RootChain revert data means, in words (its custom errors, `Error(string)`,
/// `Panic(uint256)`).
pub fn explain(data: &[u8]) -> String {
    if let Ok(e) = Error::abi_decode(data) {
        return root_chain_error(&e);
    }
    if data.is_empty() {
        return "reverted without data".to_string();
    }
    if let Ok(r) = alloy_sol_types::Revert::abi_decode(data) {
        return format!("reverted: {}", r.reason.escape_debug());
    }
    if let Ok(p) = alloy_sol_types::Panic::abi_decode(data) {
        return format!("panicked with code {}", p.code);
    }
    format!("reverted with unknown data 0x{}", hex::encode(data))
}

fn root_chain_error(e: &Error) -> String {
    match e {
        Error::BadDataLength(e) => format!(
            "BadDataLength: the sign data is {} bytes, expected {}",
            e.found, e.expected
        ),
        Error::BadProposer(e) => format!("BadProposer: proposer word {}", e.word),
        Error::WrongBttcChainId(e) => format!(
            "WrongBttcChainId: the checkpoint is for BTTC chain {}, the contract for {}",
            e.found, e.expected
        ),
        Error::StartNotNext(e) => format!(
            "StartNotNext: the checkpoint starts at block {}, the contract expects {}",
            e.found, e.expected
        ),
        Error::EndBeforeStart(e) => {
            format!("EndBeforeStart: end {} is before start {}", e.end, e.start)
        }
        Error::EndTooLarge(e) => format!("EndTooLarge: end {} is above {}", e.end, e.max),
        Error::BadSignatureV(e) => format!("BadSignatureV: signature {} has v {}", e.index, e.v),
        Error::HighS(e) => format!("HighS: signature {} has a high s", e.index),
        Error::BadSignature(e) => format!("BadSignature: signature {} recovers no signer", e.index),
        Error::DuplicateSigner(e) => format!(
            "DuplicateSigner: signature {} is a second one by {}",
            e.index, e.signer
        ),
        Error::SignersNotAscending(e) => format!(
            "SignersNotAscending: signature {} is by {}, not above {}",
            e.index, e.signer, e.previous
        ),
        Error::NotEnoughPower(e) => format!(
            "NotEnoughPower: the signers hold {} of the {} power the contract knows, more than \
             {} is needed (its validator set may be stale: see updateValidators)",
            e.signedPower, e.totalPower, e.requiredPower
        ),
        Error::LengthMismatch(e) => format!(
            "LengthMismatch: {} signers and {} powers",
            e.signers, e.powers
        ),
        Error::BadValidatorCount(e) => format!(
            "BadValidatorCount: {} validators, at most {}",
            e.count, e.max
        ),
        Error::ValidatorsNotAscending(e) => format!(
            "ValidatorsNotAscending: validator {} ({}) is not above {}",
            e.index, e.signer, e.previous
        ),
        Error::ZeroPower(e) => format!(
            "ZeroPower: validator {} ({}) has power 0",
            e.index, e.signer
        ),
        Error::TotalPowerTooLarge(e) => format!("TotalPowerTooLarge: above {}", e.max),
        Error::NoCheckpoint(_) => "NoCheckpoint: no checkpoint accepted yet".to_string(),
        Error::AccountRootMismatch(e) => format!(
            "AccountRootMismatch: the list's root is {}, the last checkpoint's account root {}",
            e.found, e.expected
        ),
        Error::ValidatorSetUnchanged(e) => format!(
            "ValidatorSetUnchanged: the contract already holds the set with root {}",
            e.accountRoot
        ),
        Error::StakeManagerAlreadySet(e) => {
            format!("StakeManagerAlreadySet: {}", e.current)
        }
        Error::StakeManagerNotWired(e) => format!(
            "StakeManagerNotWired: {} names {} as its checkpoint manager",
            e.stakeManager, e.checkpointManager
        ),
        Error::ZeroAddress(_) => "ZeroAddress".to_string(),
        Error::NotOwner(e) => format!("NotOwner: {} is not the owner {}", e.caller, e.owner),
        Error::ZeroOwner(_) => "ZeroOwner".to_string(),
        Error::NoLeaves(_) => "NoLeaves".to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_sol_types::SolError;

    #[test]
    fn reverts_are_named_with_their_values() {
        let data = IRootChain::NotEnoughPower {
            signedPower: U256::from(2),
            totalPower: U256::from(4),
            requiredPower: U256::from(2),
        }
        .abi_encode();
        let text = explain(&data);
        assert!(
            text.starts_with("NotEnoughPower: the signers hold 2 of the 4"),
            "{text}"
        );
        let data = IRootChain::StartNotNext {
            expected: U256::from(16),
            found: U256::from(0),
        }
        .abi_encode();
        assert!(explain(&data).contains("starts at block 0, the contract expects 16"));
        assert_eq!(explain(&[]), "reverted without data");
        assert_eq!(explain(&[1, 2]), "reverted with unknown data 0x0102");
        let revert = alloy_sol_types::Revert::from("boom").abi_encode();
        assert_eq!(explain(&revert), "reverted: boom");
    }
}
