//! The bridge's root-chain core: everything a Delivery validator does with a root chain's
//! JSON-RPC, apart from turning what it finds into Delivery messages.
//!
//! - [`client`]: [`RootChainClient`], one root chain's Ethereum JSON-RPC (Ethereum, BNB Chain,
//!   TRON's Ethereum-compatible API) over HTTP(S) with alloy's reqwest transport; per-call time
//!   limits; errors split into [`ClientError::Unavailable`] (no usable answer) and
//!   [`ClientError::Rejected`] (a JSON-RPC error answer).
//! - [`events`]: the root contracts' event ABIs (`sol!`) and [`decode`] of a log into a typed
//!   [`RootLog`] (Staked, StakeUpdate, SignerChange, UnstakeInit, Unstaked, StateSynced,
//!   NewRegistration, TokenMapped, LockedERC20, NewHeaderBlock), strict about topics and
//!   encoding.
//! - [`verify`]: [`verify_claim`], the side check of a [`RootEvent`] claim against this node's
//!   own RPC: [`Verdict::Confirmed`] with the decoded event, [`Verdict::No`] or
//!   [`Verdict::Unknown`].
//! - [`cache`]: [`VerdictCache`], which runs side checks in the background with a time limit
//!   so that the vote (`ExtendVote`, 800 ms budget) reads a verdict without waiting.
//! - [`poller`]: [`Poller`], a per-root-chain log poller with a persisted cursor that hands
//!   confirmed logs to a [`LogConsumer`] in (block, logIndex) order.
//! - [`sender`]: [`RootChainSender`], root-chain transactions signed with the node's signer
//!   key (gas estimate with a margin, EIP-1559 or legacy fees, receipt with a time limit).
//! - [`root_chain`]: [`RootChainContract`], the RootChain's reads and its two transactions
//!   (`submitCheckpoint`, `updateValidators`), reverts decoded into its custom errors.
//!
//! Nothing here is consensus code: it is local IO whose results become votes and messages.
//! Root-chain data is adversarial (a wrong or malicious RPC): every response is checked and a
//! bad one is an error or a NO/UNKNOWN verdict, never a panic.
//!
//! # Wiring into `deliveryd` (left to the app)
//!
//! Per root chain in the node config (`[bridge.<name>] rpc_url`, `timeout`), with the chain's
//! contract addresses, `confirmations` and start block from the rootchain params in chain
//! state:
//!
//! 1. **Client**: `RootChainClient::new(&ClientConfig { root_chain, url, timeout })`; at start,
//!    compare [`RootChainClient::chain_id`] with the params' chain id and refuse a mismatch.
//! 2. **Proposer side (poller)**: a [`Poller`] with the StakeManager and StateSender addresses
//!    and [`events::STAKE_MANAGER_TOPICS`] + [`events::STATE_SENDER_TOPICS`], the cursor at
//!    `<home>/data/bridge/<chain>.cursor`, run on the node's runtime with
//!    [`Poller::run`]. Its [`LogConsumer`] decodes each [`PolledLog`]
//!    ([`PolledLog::decode`]), skips events already applied
//!    ([`RootEvent::is_applied`](delivery_rootchain::RootEvent::is_applied) on the latest
//!    committed state) or already sent, builds the message (`Staked` → `MsgValidatorJoin`,
//!    `StakeUpdate` → `MsgStakeUpdate`, `SignerChange` → `MsgSignerUpdate`, `UnstakeInit` →
//!    `MsgValidatorExit`, `StateSynced` → `MsgEventRecord`, each with `event` =
//!    [`PolledLog::event`]), signs it with the node's key and broadcasts it; an error (e.g.
//!    CometBFT unreachable) makes the poller rescan the range. `Staked` is sent only by the
//!    joining validator itself (the join carries its ed25519 key and is signed by the staked
//!    signer). The cursor moving on does not mean the event was applied (a side transaction
//!    without 2/3 YES is dropped): the consumer remembers what it sent and sends it again
//!    after a while until `is_applied`.
//! 3. **Validator side (vote)**: the `SideTxVerifier` holds a [`VerdictCache`] (on the node's
//!    tokio runtime handle) and the clients. Start the check as early as possible: when a side
//!    transaction passes CheckTx and again in ProcessProposal (a `prepare(tx_hash, msg)` hook
//!    beside `vote`), with `cache.request(tx_hash, job)` where `job` is
//!    `verify_claim(&client, &msg.event, emitter, confirmations)` followed by the comparison of
//!    EVERY message field with the [`RootLog`] (a mismatch is [`Verdict::No`] naming the
//!    field). `vote(tx_hash, msg)` calls `request` too (cheap if already started) and answers
//!    [`VerdictCache::vote`]: UNKNOWN while undecided, so ExtendVote never waits. A message
//!    naming a root chain without a client is UNKNOWN. Call [`VerdictCache::forget`] once
//!    the pending side transaction is resolved.
//!
//! See `docs/bridge.md` for the flows, the message formats, confirmations and restart
//! behaviour.

pub mod cache;
pub mod client;
pub mod events;
pub mod poller;
pub mod root_chain;
pub mod sender;
pub mod verify;

pub use alloy_primitives::U256;
pub use cache::{CacheConfig, VerdictCache};
pub use client::{CallError, ClientConfig, ClientError, Receipt, RootChainClient, RootChainLog};
pub use delivery_rootchain::RootEvent;
pub use events::{decode, DecodeError, RootLog};
pub use poller::{LogConsumer, PollError, PolledLog, Poller, PollerConfig, Tick};
pub use root_chain::{
    HeaderBlock, RootChainContract, SetUpdate, Submission, SubmitError, SubmitOutcome,
};
pub use sender::{Mined, RootChainSender, SendConfig, SendError};
pub use verify::{is_deep_enough, verify_claim, Verdict};
