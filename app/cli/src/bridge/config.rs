//! app.toml's `[bridge]` section.
//!
//! ```toml
//! [bridge]
//! enabled = false            # `deliveryd start --bridge` turns it on
//! poll_interval_ms = 5000    # pause between poller ticks once caught up
//! resend_after_blocks = 5    # re-send a claim not applied after this many Delivery blocks
//!
//! [[bridge.root_chain]]
//! name = "eth"               # the chain's name in the rootchain params
//! rpc_url = "https://..."    # this node's JSON-RPC of that chain (a node you trust)
//! start_block = 19000000     # the root contracts' deploy block (the poller's first block)
//! timeout_ms = 10000         # per-call time limit (optional)
//! max_range = 1000           # blocks per eth_getLogs (optional; stay under the provider's cap)
//! ```
//!
//! Chain ids, contract addresses and confirmations are chain state (rootchain params).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default pause between poller ticks.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 5_000;
/// Default number of Delivery blocks after which an unapplied claim is sent again.
pub const DEFAULT_RESEND_AFTER_BLOCKS: u64 = 5;
/// Default per-call RPC time limit.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default blocks per `eth_getLogs`.
pub const DEFAULT_MAX_RANGE: u64 = 1_000;

fn default_poll_interval_ms() -> u64 {
    DEFAULT_POLL_INTERVAL_MS
}
fn default_resend_after_blocks() -> u64 {
    DEFAULT_RESEND_AFTER_BLOCKS
}
fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}
fn default_max_range() -> u64 {
    DEFAULT_MAX_RANGE
}

/// `[bridge]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    /// Run the bridge (poll root chains, relay events, vote on side transactions).
    #[serde(default)]
    pub enabled: bool,
    /// Pause between poller ticks once caught up and after a failed tick, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Delivery blocks after which a claim sent but not applied is sent again.
    #[serde(default = "default_resend_after_blocks")]
    pub resend_after_blocks: u64,
    /// One entry per root chain this node has an RPC for.
    #[serde(default)]
    pub root_chain: Vec<RootChainEndpoint>,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            resend_after_blocks: DEFAULT_RESEND_AFTER_BLOCKS,
            root_chain: Vec::new(),
        }
    }
}

/// `[[bridge.root_chain]]`: this node's access to one root chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootChainEndpoint {
    /// The chain's name in the rootchain params (`tron`, `eth`, `bsc`, ...).
    pub name: String,
    /// Its Ethereum JSON-RPC URL (`http://` or `https://`).
    pub rpc_url: String,
    /// The first block the poller scans without a cursor file (the contracts' deploy block).
    #[serde(default)]
    pub start_block: u64,
    /// Per-call time limit, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Most blocks per `eth_getLogs`.
    #[serde(default = "default_max_range")]
    pub max_range: u64,
}

impl RootChainEndpoint {
    /// The per-call time limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The RPC URL without path and query (they may hold an API key), for messages.
    pub fn redacted_url(&self) -> String {
        let rest = self
            .rpc_url
            .split_once("://")
            .map_or(self.rpc_url.as_str(), |(_, r)| r);
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let scheme = self.rpc_url.split_once("://").map_or("", |(s, _)| s);
        format!("{scheme}://{host}")
    }
}

impl BridgeConfig {
    /// The pause between poller ticks.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// Checks every value; the error names the key and what was expected.
    pub fn validate(&self) -> Result<(), String> {
        if self.poll_interval_ms == 0 {
            return Err("bridge.poll_interval_ms must be more than 0".into());
        }
        if self.resend_after_blocks == 0 {
            return Err("bridge.resend_after_blocks must be at least 1".into());
        }
        let mut names = BTreeSet::new();
        for c in &self.root_chain {
            delivery_rootchain::check_chain_name(&c.name)
                .map_err(|e| format!("bridge.root_chain name: {e}"))?;
            if !names.insert(c.name.as_str()) {
                return Err(format!(
                    "bridge.root_chain {:?} is listed twice: one RPC per root chain",
                    c.name
                ));
            }
            if !(c.rpc_url.starts_with("http://") || c.rpc_url.starts_with("https://")) {
                return Err(format!(
                    "bridge.root_chain {:?} rpc_url {}: expected an http:// or https:// URL",
                    c.name,
                    c.redacted_url()
                ));
            }
            if c.timeout_ms == 0 {
                return Err(format!(
                    "bridge.root_chain {:?} timeout_ms must be more than 0",
                    c.name
                ));
            }
            if c.max_range == 0 {
                return Err(format!(
                    "bridge.root_chain {:?} max_range must be at least 1",
                    c.name
                ));
            }
        }
        Ok(())
    }

    /// The section as app.toml text, with comments.
    pub fn render(&self) -> String {
        let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
        let mut out = format!(
            r#"[bridge]
# Relay root-chain events to Delivery and vote on side transactions with this node's own
# root-chain RPCs. `deliveryd start --bridge` turns it on for one run.
enabled = {enabled}
# Pause between root-chain polls once caught up (milliseconds).
poll_interval_ms = {poll}
# Send a claim again when it is not applied this many Delivery blocks after it was sent.
resend_after_blocks = {resend}
# One [[bridge.root_chain]] per root chain this node has an RPC for; chain ids, contract
# addresses and confirmations come from the rootchain params in chain state. Without an RPC
# for a chain this validator votes UNKNOWN on its claims.
#   [[bridge.root_chain]]
#   name = "eth"                      # the chain's name in the rootchain params
#   rpc_url = "http://127.0.0.1:8545" # a node you trust (path and query are never logged)
#   start_block = 0                   # the root contracts' deploy block
#   timeout_ms = 10000                # per-call time limit
#   max_range = 1000                  # blocks per eth_getLogs
"#,
            enabled = self.enabled,
            poll = self.poll_interval_ms,
            resend = self.resend_after_blocks,
        );
        for c in &self.root_chain {
            out.push_str(&format!(
                "\n[[bridge.root_chain]]\nname = {}\nrpc_url = {}\nstart_block = {}\ntimeout_ms = {}\nmax_range = {}\n",
                s(&c.name),
                s(&c.rpc_url),
                c.start_block,
                c.timeout_ms,
                c.max_range
            ));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn endpoint(name: &str) -> RootChainEndpoint {
        RootChainEndpoint {
            name: name.into(),
            rpc_url: "https://rpc.example:8545/v1/secretkey?x=1".into(),
            start_block: 7,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_range: DEFAULT_MAX_RANGE,
        }
    }

    #[test]
    fn the_section_round_trips_through_its_text() {
        #[derive(Deserialize)]
        struct Doc {
            bridge: BridgeConfig,
        }
        let mut config = BridgeConfig::default();
        let doc: Doc = toml::from_str(&config.render()).unwrap();
        assert_eq!(doc.bridge, config);
        config.enabled = true;
        config.root_chain = vec![endpoint("eth"), endpoint("tron")];
        let doc: Doc = toml::from_str(&config.render()).unwrap();
        assert_eq!(doc.bridge, config);
        config.validate().unwrap();
        // Optional keys take their defaults.
        let doc: Doc = toml::from_str(
            "[bridge]\n[[bridge.root_chain]]\nname = \"eth\"\nrpc_url = \"http://h:1\"\n",
        )
        .unwrap();
        assert!(!doc.bridge.enabled);
        assert_eq!(doc.bridge.root_chain[0].max_range, DEFAULT_MAX_RANGE);
        assert_eq!(doc.bridge.root_chain[0].start_block, 0);
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = BridgeConfig {
            root_chain: vec![endpoint("eth"), endpoint("eth")],
            ..BridgeConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("listed twice"));
        c.root_chain = vec![endpoint("ETH")];
        assert!(c.validate().unwrap_err().contains("name"));
        let mut e = endpoint("eth");
        e.rpc_url = "ws://h:1".into();
        c.root_chain = vec![e];
        let err = c.validate().unwrap_err();
        assert!(err.contains("rpc_url ws://h:1"), "{err}");
        let mut e = endpoint("eth");
        e.max_range = 0;
        c.root_chain = vec![e];
        assert!(c.validate().unwrap_err().contains("max_range"));
        c.root_chain = vec![];
        c.poll_interval_ms = 0;
        assert!(c.validate().unwrap_err().contains("poll_interval_ms"));
    }

    #[test]
    fn the_url_is_shown_without_path_or_query() {
        assert_eq!(endpoint("eth").redacted_url(), "https://rpc.example:8545");
    }
}
