//! [`BridgeVerifier`]: the validator's side-transaction vote, from its own root-chain RPCs.
//!
//! `prepare(tx_hash, msg)` (CheckTx, ProcessProposal) starts the check in a [`VerdictCache`]
//! keyed by the side transaction's hash: the chain's params are read from the latest committed
//! state (emitter: the StakeManager for staking messages, the StateSender for event records;
//! confirmations), [`verify_claim`] runs against this node's client for the chain named in the
//! message's root event, then [`Claim::compare`] checks every field. `vote` answers from the
//! cache at once: UNKNOWN while undecided. Messages the bridge does not check, and chains
//! without a client here (none configured, or its chain id did not match), are UNKNOWN.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use delivery_app::router::SideMsg;
use delivery_app::side::SideTxVerifier;
use delivery_bridge::{verify_claim, RootChainClient, Verdict, VerdictCache};
use delivery_module::Vote;

use crate::bridge::claim::Claim;
use crate::bridge::state::CommittedState;

/// The root-chain clients the verifier may use, by chain name (shared with the service, which
/// adds a chain once its chain id is checked).
#[derive(Debug, Clone, Default)]
pub struct ClientSet(Arc<RwLock<BTreeMap<String, RootChainClient>>>);

impl ClientSet {
    /// Makes `client` the one for its chain.
    pub fn insert(&self, client: RootChainClient) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(client.root_chain().to_string(), client);
    }

    /// The client of `chain`.
    pub fn get(&self, chain: &str) -> Option<RootChainClient> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(chain)
            .cloned()
    }

    /// The chains with a client.
    pub fn names(&self) -> Vec<String> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }
}

/// The bridge's [`SideTxVerifier`] (see the module docs).
pub struct BridgeVerifier<S> {
    state: Arc<S>,
    clients: ClientSet,
    cache: VerdictCache,
}

impl<S> std::fmt::Debug for BridgeVerifier<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeVerifier")
            .field("clients", &self.clients.names())
            .field("cache", &self.cache)
            .finish()
    }
}

impl<S: CommittedState> BridgeVerifier<S> {
    /// A verifier reading params from `state`, checking with `clients`, caching in `cache`.
    pub fn new(state: Arc<S>, clients: ClientSet, cache: VerdictCache) -> Self {
        Self {
            state,
            clients,
            cache,
        }
    }

    /// The clients (the service adds chains to it).
    pub fn clients(&self) -> &ClientSet {
        &self.clients
    }

    /// The cache.
    pub fn cache(&self) -> &VerdictCache {
        &self.cache
    }

    /// The current verdict on `tx_hash` (`None` while undecided or never requested).
    pub fn verdict(&self, tx_hash: &[u8; 32]) -> Option<Verdict> {
        self.cache.verdict(tx_hash)
    }

    /// Starts the check of `claim`, carried by `tx_hash`, unless it runs or has decided.
    /// Returns whether the claim can be checked here (a client for its chain exists).
    pub fn request(&self, tx_hash: &[u8; 32], claim: Claim) -> bool {
        let Some(chain) = claim.event().map(|e| e.root_chain.clone()) else {
            self.cache.request(*tx_hash, async {
                Verdict::No("the message names no root event".into())
            });
            return true;
        };
        let Some(client) = self.clients.get(&chain) else {
            return false;
        };
        let state = Arc::clone(&self.state);
        let hash = *tx_hash;
        self.cache.request(hash, async move {
            let verdict = check(&client, state.as_ref(), &claim).await;
            log_verdict(&hash, &claim, &verdict);
            verdict
        });
        true
    }
}

/// Checks `claim` against `client`'s chain with the params of the latest committed state.
pub async fn check<S: CommittedState + ?Sized>(
    client: &RootChainClient,
    state: &S,
    claim: &Claim,
) -> Verdict {
    let Some(event) = claim.event() else {
        return Verdict::No("the message names no root event".into());
    };
    let chain = {
        let (_, view) = state.latest();
        match delivery_rootchain::chain(&view, &event.root_chain) {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Verdict::No(format!(
                    "root chain {:?} is not in the rootchain params",
                    event.root_chain
                ))
            }
            Err(e) => return Verdict::Unknown(format!("reading the rootchain params: {e}")),
        }
    };
    let emitter = match claim.emitter(&chain) {
        Ok(a) => a,
        Err(reason) => return Verdict::No(reason),
    };
    match verify_claim(client, event, emitter, chain.confirmations).await {
        Verdict::Confirmed(log) => match claim.compare(&log) {
            Ok(()) => Verdict::Confirmed(log),
            Err(reason) => Verdict::No(reason),
        },
        other => other,
    }
}

fn log_verdict(tx_hash: &[u8; 32], claim: &Claim, verdict: &Verdict) {
    let tx = hex::encode_upper(tx_hash);
    let event = claim
        .event()
        .map_or_else(String::new, delivery_bridge::RootEvent::describe);
    match verdict {
        Verdict::Confirmed(_) => {
            tracing::info!(%tx, msg = claim.name(), %event, "side tx verified: YES")
        }
        Verdict::No(reason) => {
            tracing::warn!(%tx, msg = claim.name(), %event, "side tx claim is false: NO: {reason}")
        }
        Verdict::Unknown(reason) => {
            tracing::info!(%tx, msg = claim.name(), %event, "side tx undecided: UNKNOWN: {reason}")
        }
    }
}

impl<S: CommittedState> SideTxVerifier for BridgeVerifier<S> {
    fn vote(&self, tx_hash: &[u8; 32], msg: &SideMsg) -> Vote {
        let Some(claim) = Claim::from_any(&msg.pack()) else {
            return Vote::Unknown;
        };
        let chain = claim
            .event()
            .map_or_else(String::new, |e| e.root_chain.clone());
        let name = claim.name();
        if !self.request(tx_hash, claim) {
            tracing::info!(
                tx = %hex::encode_upper(tx_hash),
                msg = name,
                "side tx undecided: UNKNOWN: this node has no working RPC for root chain {chain:?}"
            );
            return Vote::Unknown;
        }
        self.cache.vote(tx_hash)
    }

    fn prepare(&self, tx_hash: &[u8; 32], msg: &SideMsg) {
        if let Some(claim) = Claim::from_any(&msg.pack()) {
            self.request(tx_hash, claim);
        }
    }
}
