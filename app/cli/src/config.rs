//! The files a node home holds besides keys: CometBFT's `config.toml` (rendered from the
//! v0.38.25 template), deliveryd's `app.toml`, and the CometBFT `genesis.json`.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::home;
use crate::keyring::BackendKind;

// ---------------------------------------------------------------------------------------------
// CometBFT config.toml

/// What `cometbft testnet` v0.38.25 writes, with `{{name}}` placeholders for our values.
const COMETBFT_CONFIG_TEMPLATE: &str = include_str!("templates/cometbft-config.toml");

/// The default ports of a single node (CometBFT's and the ABCI default).
pub const DEFAULT_P2P_PORT: u16 = 26656;
/// CometBFT RPC.
pub const DEFAULT_RPC_PORT: u16 = 26657;
/// The ABCI socket deliveryd listens on.
pub const DEFAULT_ABCI_PORT: u16 = 26658;
/// CometBFT's Prometheus endpoint (off unless enabled in config.toml).
pub const DEFAULT_PROMETHEUS_PORT: u16 = 26660;

/// CometBFT's consensus timeouts. The block interval with `create_empty_blocks = true` is about
/// `commit` plus the time a round takes (milliseconds on loopback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConsensusTimeouts {
    /// How long to wait for a proposal before prevoting nil.
    #[serde(serialize_with = "serialize_go_duration")]
    pub propose: Duration,
    /// How much `propose` grows each round.
    #[serde(serialize_with = "serialize_go_duration")]
    pub propose_delta: Duration,
    /// How long to wait after +2/3 prevotes for anything.
    #[serde(serialize_with = "serialize_go_duration")]
    pub prevote: Duration,
    /// How much `prevote` grows each round.
    #[serde(serialize_with = "serialize_go_duration")]
    pub prevote_delta: Duration,
    /// How long to wait after +2/3 precommits for anything.
    #[serde(serialize_with = "serialize_go_duration")]
    pub precommit: Duration,
    /// How much `precommit` grows each round.
    #[serde(serialize_with = "serialize_go_duration")]
    pub precommit_delta: Duration,
    /// How long to wait after a commit before starting the next height: the block time knob.
    #[serde(serialize_with = "serialize_go_duration")]
    pub commit: Duration,
}

impl Default for ConsensusTimeouts {
    /// CometBFT v0.38's defaults (a block about every second).
    fn default() -> Self {
        Self {
            propose: Duration::from_secs(3),
            propose_delta: Duration::from_millis(500),
            prevote: Duration::from_secs(1),
            prevote_delta: Duration::from_millis(500),
            precommit: Duration::from_secs(1),
            precommit_delta: Duration::from_millis(500),
            commit: Duration::from_secs(1),
        }
    }
}

/// The shortest and longest `--block-time` accepted.
pub const BLOCK_TIME_RANGE: (Duration, Duration) =
    (Duration::from_millis(10), Duration::from_secs(3600));

/// `timeout_commit` for a target block interval: 90 % of it. CometBFT starts the next height
/// `timeout_commit` after the commit time (when +2/3 precommits arrived) and the next block
/// then needs a proposal, ProcessProposal (the BTTC payload's execution) and two vote rounds,
/// so the interval is `timeout_commit` plus that; the remaining 10 % (200 ms at 2 s) is the
/// budget for it (docs/performance.md has the measured intervals).
pub fn timeout_commit_for(block_time: Duration) -> Duration {
    let budget = Duration::from_millis(u64::try_from(block_time.as_millis() / 10).unwrap_or(0));
    block_time.saturating_sub(budget)
}

impl ConsensusTimeouts {
    /// CometBFT's defaults with `timeout_commit` set for `block_time` ([`timeout_commit_for`]).
    pub fn for_block_time(block_time: Duration) -> anyhow::Result<Self> {
        let (min, max) = BLOCK_TIME_RANGE;
        if block_time < min || block_time > max {
            anyhow::bail!(
                "block time {} is out of range: expected between {} and {}",
                go_duration(block_time),
                go_duration(min),
                go_duration(max)
            );
        }
        Ok(Self {
            commit: timeout_commit_for(block_time),
            ..Self::default()
        })
    }
}

/// Parses a `--block-time` value such as `1s`, `500ms` or `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration like 1s or 500ms: {e}"))
}

/// A duration in Go's `time.ParseDuration` syntax (`3s`, `500ms`, `0s`).
pub fn go_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}ns", d.as_nanos())
    }
}

fn serialize_go_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&go_duration(*d))
}

/// The values a node's `config.toml` is rendered with.
#[derive(Debug, Clone)]
pub struct CometConfig {
    /// Human-readable node name.
    pub moniker: String,
    /// Where CometBFT finds the app: our ABCI listen address.
    pub proxy_app: String,
    /// CometBFT RPC listen address.
    pub rpc_laddr: String,
    /// P2P listen address.
    pub p2p_laddr: String,
    /// Address advertised to peers (`""`: derived from the listener).
    pub external_address: String,
    /// `node_id@host:port` of each peer to keep connected.
    pub persistent_peers: Vec<String>,
    /// Strict address-book routability (false for private or loopback networks).
    pub addr_book_strict: bool,
    /// Allow several peers from one IP (true for loopback testnets).
    pub allow_duplicate_ip: bool,
    /// Consensus timeouts.
    pub timeouts: ConsensusTimeouts,
    /// Make blocks without transactions.
    pub create_empty_blocks: bool,
    /// The longest gap between empty blocks (`0s`: no limit beyond the timeouts).
    pub create_empty_blocks_interval: Duration,
    /// Prometheus listen address (used only when enabled in the file).
    pub prometheus_listen_addr: String,
    /// CometBFT's own log level.
    pub log_level: String,
}

impl CometConfig {
    /// A node reachable from other machines on CometBFT's default ports.
    pub fn single_node(moniker: &str, timeouts: ConsensusTimeouts) -> Self {
        Self {
            moniker: moniker.to_owned(),
            proxy_app: format!("tcp://127.0.0.1:{DEFAULT_ABCI_PORT}"),
            rpc_laddr: format!("tcp://127.0.0.1:{DEFAULT_RPC_PORT}"),
            p2p_laddr: format!("tcp://0.0.0.0:{DEFAULT_P2P_PORT}"),
            external_address: String::new(),
            persistent_peers: Vec::new(),
            addr_book_strict: true,
            allow_duplicate_ip: false,
            timeouts,
            create_empty_blocks: true,
            create_empty_blocks_interval: Duration::ZERO,
            prometheus_listen_addr: format!(":{DEFAULT_PROMETHEUS_PORT}"),
            log_level: "info".to_owned(),
        }
    }

    /// The `config.toml` text.
    pub fn render(&self) -> anyhow::Result<String> {
        let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
        let d = |v: Duration| s(&go_duration(v));
        let t = &self.timeouts;
        let values: [(&str, String); 19] = [
            ("proxy_app", s(&self.proxy_app)),
            ("moniker", s(&self.moniker)),
            ("log_level", s(&self.log_level)),
            ("rpc_laddr", s(&self.rpc_laddr)),
            ("p2p_laddr", s(&self.p2p_laddr)),
            ("external_address", s(&self.external_address)),
            ("persistent_peers", s(&self.persistent_peers.join(","))),
            ("addr_book_strict", self.addr_book_strict.to_string()),
            ("allow_duplicate_ip", self.allow_duplicate_ip.to_string()),
            ("timeout_propose", d(t.propose)),
            ("timeout_propose_delta", d(t.propose_delta)),
            ("timeout_prevote", d(t.prevote)),
            ("timeout_prevote_delta", d(t.prevote_delta)),
            ("timeout_precommit", d(t.precommit)),
            ("timeout_precommit_delta", d(t.precommit_delta)),
            ("timeout_commit", d(t.commit)),
            ("create_empty_blocks", self.create_empty_blocks.to_string()),
            (
                "create_empty_blocks_interval",
                d(self.create_empty_blocks_interval),
            ),
            ("prometheus_listen_addr", s(&self.prometheus_listen_addr)),
        ];
        let mut out = COMETBFT_CONFIG_TEMPLATE.to_owned();
        for (name, value) in values {
            let placeholder = format!("{{{{{name}}}}}");
            if !out.contains(&placeholder) {
                anyhow::bail!("config.toml template has no {placeholder} placeholder");
            }
            out = out.replace(&placeholder, &value);
        }
        if let Some(at) = out.find("{{") {
            let rest: String = out.get(at..).unwrap_or("").chars().take(40).collect();
            anyhow::bail!("config.toml template has an unfilled placeholder at {rest:?}");
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// app.toml

/// Heights of app state kept for queries by default: see [`StoreConfig::pruning_keep_recent`].
pub const DEFAULT_PRUNING_KEEP_RECENT: u64 = 100_000;

/// deliveryd's own config, `<home>/config/app.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// deliveryd's log level (a tracing filter such as `info` or `info,delivery_abci=debug`).
    pub log_level: String,
    /// The ABCI server.
    pub abci: AbciConfig,
    /// The app's store.
    pub store: StoreConfig,
    /// What the CLI's `tx` and `query` commands talk to.
    pub client: ClientConfig,
    /// The BTTC engine this node validates and produces BTTC blocks with.
    #[serde(default)]
    pub engine: EngineConfig,
    /// The bridge to the root chains (off unless `enabled` or `start --bridge`).
    #[serde(default)]
    pub bridge: crate::bridge::BridgeConfig,
    /// The REST API (off unless `enabled` or `start --rest`).
    #[serde(default)]
    pub rest: RestConfig,
}

/// `[rest]`: the REST API (see `docs/rest.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RestConfig {
    /// Serve it (`start --rest` turns it on regardless).
    pub enabled: bool,
    /// Where it listens: `host:port` with an IP host (`127.0.0.1:1317`).
    pub address: String,
}

impl Default for RestConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            address: crate::rest::DEFAULT_ADDRESS.to_owned(),
        }
    }
}

impl RestConfig {
    /// The listen address, parsed.
    pub fn socket_addr(&self) -> anyhow::Result<std::net::SocketAddr> {
        self.address.parse().map_err(|_| {
            anyhow::anyhow!(
                "rest.address {:?}: expected an IP address and port such as 127.0.0.1:1317",
                self.address
            )
        })
    }
}

/// `[engine]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Engine API URL of this node's `bttc` (`http://127.0.0.1:8551`); empty: no engine (the
    /// node then rejects every proposal carrying a BTTC block, so a validator needs one).
    pub url: String,
    /// The engine API's JWT secret file, relative to the home or absolute (created if missing;
    /// give `bttc start --authrpc-jwtsecret` the same file).
    pub jwt_secret: String,
    /// Seal and broadcast BTTC blocks when this node's signer is scheduled.
    pub produce: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            jwt_secret: "config/jwt.hex".to_owned(),
            produce: true,
        }
    }
}

/// `[abci]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbciConfig {
    /// Where deliveryd listens for CometBFT (`tcp://host:port` or `unix://path`); config.toml's
    /// `proxy_app` must name the same address.
    pub listen_address: String,
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// How many recent heights of app state stay queryable (`0` keeps every height: an archive
    /// node). The default, 100 000, equals CometBFT's evidence `max_age_num_blocks`, so state
    /// is kept for as long as evidence about a height can still be submitted; at one block a
    /// second that is about 28 hours of history, enough for clients querying recent heights
    /// and for a node restarted after a day's outage, at a bounded disk cost.
    pub pruning_keep_recent: u64,
}

/// `[client]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// CometBFT RPC URL (`http://` or `https://`).
    pub rpc_url: String,
    /// The chain id transactions are signed for.
    pub chain_id: String,
    /// The keyring backend the CLI uses by default.
    pub keyring_backend: BackendKind,
}

impl AppConfig {
    /// The config of a node whose ABCI server and CometBFT RPC use the given ports on loopback.
    pub fn new(chain_id: &str, abci_port: u16, rpc_port: u16, keyring: BackendKind) -> Self {
        Self {
            log_level: "info".to_owned(),
            abci: AbciConfig {
                listen_address: format!("tcp://127.0.0.1:{abci_port}"),
            },
            store: StoreConfig {
                pruning_keep_recent: DEFAULT_PRUNING_KEEP_RECENT,
            },
            client: ClientConfig {
                rpc_url: format!("http://127.0.0.1:{rpc_port}"),
                chain_id: chain_id.to_owned(),
                keyring_backend: keyring,
            },
            engine: EngineConfig::default(),
            bridge: crate::bridge::BridgeConfig::default(),
            rest: RestConfig::default(),
        }
    }

    /// Checks every value; the error names the key and what was expected.
    pub fn validate(&self) -> anyhow::Result<()> {
        tracing_subscriber::EnvFilter::try_new(&self.log_level).map_err(|e| {
            anyhow::anyhow!(
                "log_level {:?} is not a log filter like \"info\": {e}",
                self.log_level
            )
        })?;
        delivery_abci::ListenAddr::parse(&self.abci.listen_address)
            .map_err(|e| anyhow::anyhow!("abci.listen_address: {e}"))?;
        let url = &self.client.rpc_url;
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| {
                anyhow::anyhow!("client.rpc_url {url:?}: expected an http:// or https:// URL")
            })?;
        if rest.is_empty() {
            anyhow::bail!("client.rpc_url {url:?}: the host is missing");
        }
        validate_chain_id(&self.client.chain_id)
            .map_err(|e| anyhow::anyhow!("client.chain_id: {e}"))?;
        if !self.engine.url.is_empty() && !self.engine.url.starts_with("http://") {
            anyhow::bail!(
                "engine.url {:?}: expected an http:// URL (the engine API has no TLS; keep it on loopback)",
                self.engine.url
            );
        }
        if self.engine.jwt_secret.is_empty() {
            anyhow::bail!("engine.jwt_secret: a file path is required");
        }
        self.bridge.validate().map_err(|e| anyhow::anyhow!(e))?;
        self.rest.socket_addr()?;
        Ok(())
    }

    /// The `app.toml` text, with comments.
    pub fn render(&self) -> anyhow::Result<String> {
        self.validate()?;
        let s = |v: &str| toml::Value::String(v.to_owned()).to_string();
        Ok(format!(
            r#"# deliveryd configuration (written by `deliveryd init`; edit freely).

# Log filter for deliveryd: a level (error, warn, info, debug, trace) or a tracing filter such
# as "info,delivery_abci=debug". `--log-level` on the command line wins.
log_level = {log_level}

[abci]
# Where deliveryd listens for CometBFT's ABCI connections: tcp://host:port or unix://path.
# CometBFT's config.toml `proxy_app` must name the same address.
listen_address = {listen_address}

[store]
# Recent heights of app state kept queryable; 0 keeps every height (archive node).
# 100000 matches CometBFT's evidence max_age_num_blocks (about 28 hours at 1 block/s).
pruning_keep_recent = {keep_recent}

[client]
# CometBFT RPC URL used by `deliveryd tx` and `deliveryd query`.
rpc_url = {rpc_url}
# The chain id transactions are signed for.
chain_id = {chain_id}
# Default keyring backend for the CLI: "test" (plaintext) or "file" (encrypted keystore).
keyring_backend = {keyring_backend}

[engine]
# Engine API of this node's BTTC engine (`bttc start`): http://127.0.0.1:8551. Empty: no engine;
# such a node rejects every proposal carrying a BTTC block, so validators need one.
url = {engine_url}
# The engine API's JWT secret file (relative to the home, or absolute); created if missing.
# Give `bttc start --authrpc-jwtsecret` the same file.
jwt_secret = {jwt_secret}
# Seal and broadcast BTTC blocks when this node's signer key ("validator") is scheduled.
produce = {produce}

[rest]
# The read-only REST API (heimdall-style paths, JSON; see docs/rest.md and /openapi.json).
# `deliveryd start --rest [ADDR]` turns it on regardless of `enabled`.
enabled = {rest_enabled}
# Where it listens: an IP address and port. Keep it on loopback unless a proxy fronts it.
address = {rest_address}

{bridge}"#,
            log_level = s(&self.log_level),
            listen_address = s(&self.abci.listen_address),
            keep_recent = self.store.pruning_keep_recent,
            rpc_url = s(&self.client.rpc_url),
            chain_id = s(&self.client.chain_id),
            keyring_backend = s(self.client.keyring_backend.name()),
            engine_url = s(&self.engine.url),
            jwt_secret = s(&self.engine.jwt_secret),
            produce = self.engine.produce,
            rest_enabled = self.rest.enabled,
            rest_address = s(&self.rest.address),
            bridge = self.bridge.render(),
        ))
    }

    /// Reads and validates `app.toml`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = home::read_text(path, 1024 * 1024)?;
        let config: Self =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        config
            .validate()
            .with_context(|| format!("{} is not valid", path.display()))?;
        Ok(config)
    }
}

// ---------------------------------------------------------------------------------------------
// genesis.json

/// Validates a chain id: 1 to 50 characters (CometBFT's limit) from `[A-Za-z0-9._-]`.
pub fn validate_chain_id(chain_id: &str) -> anyhow::Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if chain_id.is_empty() || chain_id.len() > 50 || !chain_id.chars().all(ok_char) {
        anyhow::bail!(
            "chain id {chain_id:?} is invalid: expected 1 to 50 characters from A-Z a-z 0-9 . _ -"
        );
    }
    Ok(())
}

/// Validates a moniker: 1 to 70 characters (the Cosmos SDK's limit), no control characters.
pub fn validate_moniker(moniker: &str) -> anyhow::Result<()> {
    let count = moniker.chars().count();
    if count == 0 || count > 70 || moniker.chars().any(char::is_control) {
        anyhow::bail!(
            "moniker {moniker:?} is invalid: expected 1 to 70 characters without control characters"
        );
    }
    Ok(())
}

/// The wall-clock time as RFC 3339 with nanoseconds (`2026-11-20T23:58:15.529800497Z`): a
/// new chain's genesis time.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // a CLI stamping a new genesis, not consensus code
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string()
}

/// A genesis validator.
#[derive(Debug, Clone)]
pub struct GenesisValidator {
    /// Its moniker.
    pub name: String,
    /// Its consensus (ed25519) key.
    pub pub_key: VerifyingKey,
    /// Voting power.
    pub power: u64,
}

/// The voting power `init` and `testnet` give each genesis validator.
pub const GENESIS_POWER: u64 = 10;

#[derive(Serialize)]
struct GenesisFile<'a> {
    genesis_time: &'a str,
    chain_id: &'a str,
    initial_height: &'static str,
    consensus_params: serde_json::Value,
    validators: Vec<GenesisValidatorJson>,
    app_hash: &'static str,
    app_state: serde_json::Value,
}

#[derive(Serialize)]
struct GenesisValidatorJson {
    address: String,
    pub_key: serde_json::Value,
    power: String,
    name: String,
}

/// CometBFT v0.38's default consensus params, with vote extensions on from height 1.
fn consensus_params() -> serde_json::Value {
    serde_json::json!({
        "block": { "max_bytes": "22020096", "max_gas": "-1" },
        "evidence": {
            "max_age_num_blocks": "100000",
            "max_age_duration": "172800000000000",
            "max_bytes": "1048576"
        },
        "validator": { "pub_key_types": ["ed25519"] },
        "version": { "app": "0" },
        "abci": { "vote_extensions_enable_height": "1" }
    })
}

/// The `genesis.json` text: CometBFT v0.38 genesis with `app_state`.
pub fn genesis_json(
    chain_id: &str,
    genesis_time: &str,
    validators: &[GenesisValidator],
    app_state: serde_json::Value,
) -> anyhow::Result<String> {
    validate_chain_id(chain_id)?;
    if validators.is_empty() {
        anyhow::bail!("a genesis needs at least one validator");
    }
    let validators = validators
        .iter()
        .map(|v| GenesisValidatorJson {
            address: home::validator_address(&v.pub_key),
            pub_key: serde_json::json!({
                "type": "tendermint/PubKeyEd25519",
                "value": home::pub_key_base64(&v.pub_key),
            }),
            power: v.power.to_string(),
            name: v.name.clone(),
        })
        .collect();
    let file = GenesisFile {
        genesis_time,
        chain_id,
        initial_height: "1",
        consensus_params: consensus_params(),
        validators,
        app_hash: "",
        app_state,
    };
    Ok(serde_json::to_string_pretty(&file)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_use_whole_units() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_secs(3)), "3s");
        assert_eq!(go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(go_duration(Duration::from_nanos(1_000_001)), "1000001ns");
    }

    #[test]
    fn block_time_sets_timeout_commit_within_range() {
        let t = ConsensusTimeouts::for_block_time(Duration::from_millis(700)).unwrap();
        assert_eq!(
            t.commit,
            Duration::from_millis(630),
            "90 % of the block time"
        );
        assert_eq!(t.propose, Duration::from_secs(3));
        assert!(ConsensusTimeouts::for_block_time(Duration::from_millis(1)).is_err());
        assert!(ConsensusTimeouts::for_block_time(Duration::from_secs(7200)).is_err());
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn config_toml_escapes_values() {
        let mut config =
            CometConfig::single_node("a \"quoted\" node", ConsensusTimeouts::default());
        config.persistent_peers = vec!["ab@127.0.0.1:1".into(), "cd@127.0.0.1:2".into()];
        let text = config.render().unwrap();
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["moniker"].as_str(), Some("a \"quoted\" node"));
        assert_eq!(
            parsed["p2p"]["persistent_peers"].as_str(),
            Some("ab@127.0.0.1:1,cd@127.0.0.1:2")
        );
        assert_eq!(parsed["consensus"]["timeout_commit"].as_str(), Some("1s"));
        assert!(!text.contains("{{"));
    }

    #[test]
    fn app_toml_round_trips_and_rejects_bad_values() {
        let config = AppConfig::new("chain-1", 26658, 26657, BackendKind::Test);
        let text = config.render().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.toml");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(AppConfig::load(&path).unwrap(), config);

        let mut bad = config.clone();
        bad.client.rpc_url = "127.0.0.1:26657".into();
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("client.rpc_url"));
        let mut bad = config.clone();
        bad.abci.listen_address = "kvstore".into();
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("abci.listen_address"));

        std::fs::write(&path, text.replace("[store]", "[store]\nprunning = 1")).unwrap();
        assert!(format!("{:#}", AppConfig::load(&path).unwrap_err()).contains("prunning"));
    }

    #[test]
    fn the_rest_section_defaults_off_and_checks_its_address() {
        let config = AppConfig::new("chain-1", 26658, 26657, BackendKind::Test);
        let text = config.render().unwrap();
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["rest"]["enabled"].as_bool(), Some(false));
        assert_eq!(parsed["rest"]["address"].as_str(), Some("127.0.0.1:1317"));
        // An app.toml written before [rest] existed still loads, with the REST API off.
        let start = text.find("[rest]").unwrap();
        let end = start + text[start..].find("\n\n").unwrap();
        let old = format!("{}{}", &text[..start], &text[end..]);
        assert!(!old.contains("[rest]"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.toml");
        std::fs::write(&path, &old).unwrap();
        assert_eq!(AppConfig::load(&path).unwrap().rest, RestConfig::default());
        // Only the address given: enabled stays off.
        std::fs::write(
            &path,
            old.clone() + "\n[rest]\naddress = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let loaded = AppConfig::load(&path).unwrap().rest;
        assert!(!loaded.enabled);
        assert_eq!(loaded.socket_addr().unwrap().port(), 9000);

        let mut bad = config.clone();
        bad.rest.address = "localhost:1317".into();
        let e = bad.validate().unwrap_err().to_string();
        assert!(
            e.contains("rest.address") && e.contains("127.0.0.1:1317"),
            "{e}"
        );
        std::fs::write(&path, old + "\n[rest]\nenable = true\n").unwrap();
        assert!(format!("{:#}", AppConfig::load(&path).unwrap_err()).contains("enable"));
    }

    #[test]
    fn chain_ids_and_monikers_are_checked() {
        assert!(validate_chain_id("bttc-delivery_1.0").is_ok());
        assert!(validate_chain_id("").is_err());
        assert!(validate_chain_id(&"x".repeat(51)).is_err());
        assert!(validate_chain_id("a b").is_err());
        assert!(validate_moniker("node 0").is_ok());
        assert!(validate_moniker("").is_err());
        assert!(validate_moniker("a\nb").is_err());
    }

    #[test]
    fn genesis_time_is_rfc3339_with_nanoseconds() {
        let t = now_rfc3339();
        assert_eq!(t.len(), "2026-11-20T23:58:15.529800497Z".len(), "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
