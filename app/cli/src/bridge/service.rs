//! [`BridgeService`]: the bridge's wiring at `deliveryd start --bridge`.
//!
//! 1. [`BridgeService::new`] builds one [`RootChainClient`] per `[[bridge.root_chain]]` and the
//!    [`BridgeVerifier`] (with no usable chain yet) that the app is built with.
//! 2. [`BridgeService::check_chain_ids`] (before serving): for every configured chain already
//!    in the rootchain params, the RPC's `eth_chainId` must be the params' `chain_id`; a
//!    mismatch refuses to start. An RPC that does not answer is only a warning (the chain is
//!    checked again in the background: a root-chain outage must not stop a validator).
//! 3. [`BridgeService::spawn`]: per chain, a task waits until the chain is in the params and
//!    its chain id is confirmed, then hands the client to the verifier and runs a [`Poller`]
//!    (StakeManager + StateSender + RootChain, confirmations from the params, cursor
//!    `<data dir>/bridge/<chain>.cursor`) feeding a [`Relay`]; beside it the checkpoint
//!    duties ([`crate::bridge::checkpoints`]): a [`Submitter`] (when the chain has a RootChain) and a
//!    [`NoAcker`], on the same poll interval.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use delivery_abci::CancellationToken;
use delivery_bridge::events::{ROOT_CHAIN_TOPICS, STAKE_MANAGER_TOPICS, STATE_SENDER_TOPICS};
use delivery_bridge::{
    CacheConfig, ClientConfig, ClientError, Poller, PollerConfig, RootChainClient,
    RootChainContract, RootChainSender, SendConfig, VerdictCache,
};
use delivery_module::SecretKey;
use delivery_rootchain::RootChainConfig;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::bridge::checkpoints::{NoAcker, Submitter};
use crate::bridge::config::{BridgeConfig, RootChainEndpoint};
use crate::bridge::relay::{Broadcast, Relay, RelayTarget};
use crate::bridge::state::CommittedState;
use crate::bridge::verifier::{BridgeVerifier, ClientSet};

/// Blocks beyond the root chain's `confirmations` the relay waits before sending a claim.
/// Validators vote NO on a claim whose block is found but not yet `confirmations` deep at their
/// own RPC; the margin keeps a validator whose RPC lags one block from voting NO on an honest
/// claim (which would then wait for a resend).
pub const RELAY_MARGIN_BLOCKS: u64 = 1;

/// Why the bridge cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `[bridge]` is unusable.
    #[error("app.toml [bridge]: {0}")]
    Config(String),
    /// An RPC serves another chain than the params name.
    #[error(
        "bridge.root_chain {chain:?} ({endpoint}) answers eth_chainId {found}, but the rootchain \
         params say chain {chain:?} is chain id {expected}: point rpc_url at a node of that chain"
    )]
    ChainIdMismatch {
        /// The chain's name.
        chain: String,
        /// The RPC (scheme, host, port).
        endpoint: String,
        /// The params' chain id.
        expected: u64,
        /// The RPC's.
        found: u64,
    },
    /// Reading Delivery state failed.
    #[error("reading the rootchain params: {0}")]
    State(String),
}

/// The bridge of one node (see the module docs).
pub struct BridgeService<S> {
    config: BridgeConfig,
    state: Arc<S>,
    endpoints: Vec<(RootChainEndpoint, RootChainClient)>,
    verifier: Arc<BridgeVerifier<S>>,
}

impl<S> std::fmt::Debug for BridgeService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeService")
            .field("config", &self.config)
            .finish()
    }
}

/// The registered chain `name`, if any.
fn registered<S: CommittedState + ?Sized>(
    state: &S,
    name: &str,
) -> Result<Option<RootChainConfig>, ServiceError> {
    let (_, view) = state.latest();
    delivery_rootchain::chain(&view, name).map_err(|e| ServiceError::State(e.to_string()))
}

/// Compares `client`'s chain id with `chain`'s: `Ok(true)` if equal, `Ok(false)` if the RPC
/// did not answer (logged), an error if they differ.
pub async fn check_chain_ids(
    client: &RootChainClient,
    chain: &RootChainConfig,
) -> Result<bool, ServiceError> {
    match client.chain_id().await {
        Ok(found) if found == chain.chain_id => Ok(true),
        Ok(found) => Err(ServiceError::ChainIdMismatch {
            chain: chain.name.clone(),
            endpoint: client.endpoint().to_string(),
            expected: chain.chain_id,
            found,
        }),
        Err(e) => {
            tracing::warn!(root_chain = %chain.name, endpoint = client.endpoint(), "cannot check the root chain's chain id (will retry): {e}");
            Ok(false)
        }
    }
}

impl<S: CommittedState> BridgeService<S> {
    /// Builds the clients and the verifier (no network call). `handle` runs the side checks.
    pub fn new(config: &BridgeConfig, state: Arc<S>, handle: Handle) -> Result<Self, ServiceError> {
        config.validate().map_err(ServiceError::Config)?;
        let mut endpoints = Vec::new();
        for e in &config.root_chain {
            let client = RootChainClient::new(&ClientConfig {
                root_chain: e.name.clone(),
                url: e.rpc_url.clone(),
                timeout: e.timeout(),
            })
            .map_err(|err: ClientError| ServiceError::Config(err.to_string()))?;
            endpoints.push((e.clone(), client));
        }
        let cache = VerdictCache::new(handle, CacheConfig::default());
        let verifier = Arc::new(BridgeVerifier::new(
            Arc::clone(&state),
            ClientSet::default(),
            cache,
        ));
        Ok(Self {
            config: config.clone(),
            state,
            endpoints,
            verifier,
        })
    }

    /// The verifier to build the app with.
    pub fn verifier(&self) -> Arc<BridgeVerifier<S>> {
        Arc::clone(&self.verifier)
    }

    /// Checks each configured chain already in the params (see the module docs); chains that
    /// pass are handed to the verifier at once.
    pub async fn check_chain_ids(&self) -> Result<(), ServiceError> {
        for (endpoint, client) in &self.endpoints {
            match registered(self.state.as_ref(), &endpoint.name)? {
                Some(chain) => {
                    if check_chain_ids(client, &chain).await? {
                        tracing::info!(root_chain = %chain.name, endpoint = client.endpoint(), chain_id = chain.chain_id, "root-chain RPC serves the registered chain");
                        self.verifier.clients().insert(client.clone());
                    }
                }
                None => tracing::warn!(
                    root_chain = %endpoint.name,
                    "bridge.root_chain {:?} is not in the rootchain params (yet): it is used once it is",
                    endpoint.name
                ),
            }
        }
        Ok(())
    }

    /// Starts one task per root chain: wait for its params and a matching chain id, then vote
    /// with it and poll it, relaying its events with `broadcaster`, signed by `key`, until
    /// `shutdown`. Cursor files go to `data_dir/bridge/<chain>.cursor`.
    pub fn spawn<B: Broadcast + Clone + 'static>(
        self,
        handle: &Handle,
        broadcaster: B,
        key: SecretKey,
        consensus_pubkey: [u8; 32],
        data_dir: PathBuf,
        shutdown: CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let mut tasks = Vec::new();
        for (endpoint, client) in self.endpoints {
            let task = ChainTask {
                endpoint,
                client,
                state: Arc::clone(&self.state),
                clients: self.verifier.clients().clone(),
                interval: self.config.poll_interval(),
                resend_after_blocks: self.config.resend_after_blocks,
                cursor: data_dir.join("bridge"),
            };
            tasks.push(handle.spawn(task.run(
                broadcaster.clone(),
                key.clone(),
                consensus_pubkey,
                shutdown.clone(),
            )));
        }
        tasks
    }
}

struct ChainTask<S> {
    endpoint: RootChainEndpoint,
    client: RootChainClient,
    state: Arc<S>,
    clients: ClientSet,
    interval: Duration,
    resend_after_blocks: u64,
    cursor: PathBuf,
}

impl<S: CommittedState> ChainTask<S> {
    /// Waits until the chain is registered and its chain id confirmed; `None` on a mismatch
    /// or shutdown.
    async fn ready(&self, shutdown: &CancellationToken) -> Option<RootChainConfig> {
        let name = &self.endpoint.name;
        let mut told = false;
        loop {
            match registered(self.state.as_ref(), name) {
                Ok(Some(chain)) => match check_chain_ids(&self.client, &chain).await {
                    Ok(true) => return Some(chain),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(root_chain = %name, "{e}; this node neither votes on nor relays this chain");
                        return None;
                    }
                },
                Ok(None) if !told => {
                    tracing::info!(root_chain = %name, "waiting for root chain {name:?} to appear in the rootchain params");
                    told = true;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(root_chain = %name, "{e}"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    async fn run<B: Broadcast + Clone + 'static>(
        self,
        broadcaster: B,
        key: SecretKey,
        consensus_pubkey: [u8; 32],
        shutdown: CancellationToken,
    ) {
        let Some(chain) = self.ready(&shutdown).await else {
            return;
        };
        self.clients.insert(self.client.clone());
        let mut addresses = vec![chain.state_sender];
        let mut topics = STATE_SENDER_TOPICS.to_vec();
        if let Some(sm) = chain.stake_manager {
            addresses.push(sm);
            topics.extend_from_slice(&STAKE_MANAGER_TOPICS);
        }
        if let Some(rc) = chain.root_chain_contract {
            addresses.push(rc);
            topics.extend_from_slice(&ROOT_CHAIN_TOPICS);
        }
        let target = RelayTarget {
            root_chain: chain.name.clone(),
            stake_manager: chain.stake_manager,
            state_sender: chain.state_sender,
            root_chain_contract: chain.root_chain_contract,
        };
        let signer = key.address();
        // The checkpoint duties: submit this node's final checkpoints, no-ack stale ones.
        let contract = chain.root_chain_contract.map(|address| {
            let sender = RootChainSender::new(
                self.client.clone(),
                key.clone(),
                chain.chain_id,
                SendConfig::default(),
            );
            RootChainContract::new(sender, address)
        });
        let mut duties = Vec::new();
        match &contract {
            Some(c) => {
                let submitter =
                    Submitter::new(chain.name.clone(), Arc::clone(&self.state), c.clone());
                duties.push(tokio::spawn(submitter.run(self.interval, shutdown.clone())));
            }
            None => {
                tracing::warn!(root_chain = %chain.name, "the registry names no RootChain contract for this chain: no checkpoints are submitted to it or acked from it")
            }
        }
        let no_acker = NoAcker::new(
            chain.name.clone(),
            Arc::clone(&self.state),
            broadcaster.clone(),
            key.clone(),
            contract,
            self.resend_after_blocks,
        );
        duties.push(tokio::spawn(no_acker.run(self.interval, shutdown.clone())));
        let relay = Relay::new(
            target,
            Arc::clone(&self.state),
            broadcaster,
            key,
            consensus_pubkey,
            self.resend_after_blocks,
        );
        let config = PollerConfig {
            root_chain: chain.name.clone(),
            addresses,
            topics,
            start_block: self.endpoint.start_block,
            // One block past what a vote needs: a validator whose RPC is a block behind
            // still sees the claim confirmed and votes YES, not NO.
            confirmations: chain.confirmations.saturating_add(RELAY_MARGIN_BLOCKS),
            max_range: self.endpoint.max_range,
            cursor_path: self.cursor.join(format!("{}.cursor", chain.name)),
            interval: self.interval,
        };
        let poller = match Poller::open(self.client.clone(), config, relay).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(root_chain = %chain.name, "cannot start the root-chain poller: {e}");
                return;
            }
        };
        tracing::info!(root_chain = %chain.name, endpoint = self.client.endpoint(), %signer, confirmations = chain.confirmations, relay_margin = RELAY_MARGIN_BLOCKS, next_block = poller.next_block(), "bridge running: voting on and relaying this root chain's events");
        let token = shutdown.clone();
        poller.run(async move { token.cancelled().await }).await;
        for duty in duties {
            let _ = duty.await;
        }
    }
}
