//! deliveryd's bridge service: the root-chain side of a Delivery validator, built on the
//! `delivery-bridge` core (clients, decoding, `verify_claim`, `VerdictCache`, `Poller`).
//!
//! - [`config`]: app.toml's `[bridge]` section ([`BridgeConfig`]): which root chains this node
//!   talks to and through which JSON-RPC. Chain ids, contract addresses and confirmations are
//!   chain state (the rootchain params), never node config.
//! - [`claim`]: a side message seen as a root-chain claim ([`Claim`]) and the field-by-field
//!   comparison of a claim with the decoded root log ([`Claim::compare`]).
//! - [`verifier`]: [`BridgeVerifier`], the app's `SideTxVerifier`: `prepare` starts the check
//!   in a [`delivery_bridge::VerdictCache`], `vote` reads it without waiting.
//! - [`relay`]: [`Relay`], the poller's consumer: root logs become Delivery messages, signed by
//!   the node's signer key and broadcast to CometBFT; the cursor moves only once every relevant
//!   event of a range is applied in Delivery state.
//! - [`checkpoints`]: the checkpoint duties per root chain: [`checkpoints::Submitter`] (the
//!   proposer submits final checkpoints to the chain's RootChain, updating its validator set
//!   first when needed) and [`checkpoints::NoAcker`] (a no-ack once the buffer time passed).
//! - [`comet`]: the CometBFT RPC client: `broadcast_tx_sync` and `status`
//!   ([`comet::CometRpc`]).
//! - [`service`]: wiring at `deliveryd start --bridge`: chain-id checks, one poller per root
//!   chain, the verifier's clients.
//! - [`state`]: [`CommittedState`], the latest committed Delivery state as the bridge reads it.
//!
//! None of this is consensus code: it is local IO whose results become votes and
//! transactions. Root-chain and CometBFT answers are adversarial: errors and verdicts, never
//! panics.

pub mod checkpoints;
pub mod claim;
pub mod comet;
pub mod config;
pub mod relay;
pub mod service;
pub mod state;
pub mod verifier;

pub use claim::Claim;
pub use config::{BridgeConfig, RootChainEndpoint};
pub use relay::{Broadcast, CheckTxOutcome, Relay, RelayError};
pub use service::{check_chain_ids, BridgeService, ServiceError};
pub use state::CommittedState;
pub use verifier::{BridgeVerifier, ClientSet};
