//! The BTTC chain spec: read from a genesis JSON file (geth-style `alloc` plus our `config`).
//!
//! ```json
//! {
//!   "config": {
//!     "chainId": 1029,
//!     "hardfork": "osaka",
//!     "baseFee": { "maxChangeDenominator": 8, "elasticityMultiplier": 2, "recipient": null }
//!   },
//!   "timestamp": "0x0",
//!   "gasLimit": "0x1c9c380",
//!   "baseFeePerGas": "0x3b9aca00",
//!   "extraData": "0x",
//!   "alloc": { "0x…": { "balance": "0x…", "nonce": "0x0", "code": "0x…", "storage": { "0x…": "0x…" } } }
//! }
//! ```
//!
//! `hardfork` is the rule set active from genesis: `osaka` (default; the newest Ethereum rules
//! revm implements, blob transactions refused), `prague`, `cancun`, `shanghai`, `london` or
//! `berlin` (BTTC-compatible; no EIP-1559, the base fee is 0). The base fee goes to
//! `baseFee.recipient` when set, otherwise it is burned. The gas limit is fixed by the spec: every
//! block must carry exactly this limit.

use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{Address, Bytes, B256, U256};
use revm::primitives::hardfork::SpecId;
use serde::{de, Deserialize, Deserializer};

/// Largest accepted encoded transaction, in bytes (geth's 128 KiB).
pub const DEFAULT_MAX_TX_SIZE: usize = 128 * 1024;

/// The genesis file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The file could not be read.
    #[error("cannot read genesis file {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The JSON is malformed or has unknown fields.
    #[error("invalid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A value is out of range or inconsistent.
    #[error("invalid genesis: {0}")]
    Invalid(String),
}

/// The rule set active from genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hardfork {
    /// Berlin: access lists, no EIP-1559.
    Berlin,
    /// London: EIP-1559.
    London,
    /// Shanghai: PUSH0.
    Shanghai,
    /// Cancun: transient storage, MCOPY (blob transactions refused).
    Cancun,
    /// Prague: EIP-7702 and the rest of Pectra's EVM changes.
    Prague,
    /// Osaka: the newest rules revm implements.
    Osaka,
}

impl Hardfork {
    /// The revm spec id.
    pub const fn spec_id(self) -> SpecId {
        match self {
            Self::Berlin => SpecId::BERLIN,
            Self::London => SpecId::LONDON,
            Self::Shanghai => SpecId::SHANGHAI,
            Self::Cancun => SpecId::CANCUN,
            Self::Prague => SpecId::PRAGUE,
            Self::Osaka => SpecId::OSAKA,
        }
    }

    /// Whether EIP-1559 (base fee, type-2 transactions) is active.
    pub const fn is_london(self) -> bool {
        !matches!(self, Self::Berlin)
    }

    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "berlin" => Self::Berlin,
            "london" => Self::London,
            "shanghai" => Self::Shanghai,
            "cancun" => Self::Cancun,
            "prague" => Self::Prague,
            "osaka" => Self::Osaka,
            other => {
                return Err(format!(
                    "unknown hardfork {other:?}; expected one of berlin, london, shanghai, \
                     cancun, prague, osaka"
                ))
            }
        })
    }
}

/// EIP-1559 parameters and where the base fee goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseFeeConfig {
    /// Bound divisor of the base fee change (Ethereum: 8).
    pub max_change_denominator: u64,
    /// Gas target = gas limit / elasticity (Ethereum: 2).
    pub elasticity_multiplier: u64,
    /// Receives `gas_used * base_fee` at the end of each block; `None` burns it.
    pub recipient: Option<Address>,
}

/// One genesis account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenesisAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Runtime code (empty for none).
    pub code: Bytes,
    /// Storage slots (zero values are dropped).
    pub storage: BTreeMap<B256, U256>,
}

/// The chain spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Rules active from genesis.
    pub hardfork: Hardfork,
    /// Gas limit of every block.
    pub gas_limit: u64,
    /// Base fee of the genesis block (0 under Berlin).
    pub genesis_base_fee: u64,
    /// EIP-1559 configuration.
    pub base_fee: BaseFeeConfig,
    /// Genesis timestamp.
    pub genesis_timestamp: u64,
    /// Genesis extra data.
    pub genesis_extra_data: Bytes,
    /// Genesis allocations, by address.
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// Largest accepted encoded transaction.
    pub max_tx_size: usize,
}

// ---- the JSON form ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GenesisJson {
    config: ConfigJson,
    #[serde(default, deserialize_with = "opt_quantity")]
    timestamp: Option<u128>,
    #[serde(deserialize_with = "quantity")]
    gas_limit: u128,
    #[serde(default, deserialize_with = "opt_quantity")]
    base_fee_per_gas: Option<u128>,
    #[serde(default)]
    extra_data: Option<Bytes>,
    #[serde(default)]
    alloc: BTreeMap<Address, AccountJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigJson {
    #[serde(deserialize_with = "quantity")]
    chain_id: u128,
    #[serde(default)]
    hardfork: Option<String>,
    #[serde(default)]
    base_fee: Option<BaseFeeJson>,
    #[serde(default, deserialize_with = "opt_quantity")]
    max_tx_size: Option<u128>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BaseFeeJson {
    #[serde(default, deserialize_with = "opt_quantity")]
    max_change_denominator: Option<u128>,
    #[serde(default, deserialize_with = "opt_quantity")]
    elasticity_multiplier: Option<u128>,
    #[serde(default)]
    recipient: Option<Address>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountJson {
    #[serde(default)]
    balance: Option<U256>,
    #[serde(default, deserialize_with = "opt_quantity")]
    nonce: Option<u128>,
    #[serde(default)]
    code: Option<Bytes>,
    #[serde(default)]
    storage: BTreeMap<B256, U256>,
}

/// A JSON number or a string (`0x` hex or decimal).
fn parse_quantity(v: &serde_json::Value) -> Result<u128, String> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .map(u128::from)
            .ok_or_else(|| format!("expected a non-negative integer, found {n}")),
        serde_json::Value::String(s) => {
            let r = match s.strip_prefix("0x") {
                Some(hex) => u128::from_str_radix(hex, 16),
                None => s.parse::<u128>(),
            };
            r.map_err(|e| format!("bad quantity {s:?}: {e}"))
        }
        other => Err(format!("expected a number or a string, found {other}")),
    }
}

fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    parse_quantity(&v).map_err(de::Error::custom)
}

fn opt_quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    v.map(|v| parse_quantity(&v))
        .transpose()
        .map_err(de::Error::custom)
}

fn to_u64(what: &str, v: u128) -> Result<u64, ChainSpecError> {
    u64::try_from(v).map_err(|_| ChainSpecError::Invalid(format!("{what} {v} exceeds u64")))
}

impl ChainSpec {
    /// Reads and validates a genesis file.
    pub fn from_file(path: &Path) -> Result<Self, ChainSpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChainSpecError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses and validates genesis JSON.
    pub fn from_json(text: &str) -> Result<Self, ChainSpecError> {
        let g: GenesisJson = serde_json::from_str(text)?;
        let chain_id = to_u64("chainId", g.config.chain_id)?;
        if chain_id == 0 {
            return Err(ChainSpecError::Invalid("chainId must be non-zero".into()));
        }
        let hardfork = match g.config.hardfork.as_deref() {
            None => Hardfork::Osaka,
            Some(s) => Hardfork::parse(s).map_err(ChainSpecError::Invalid)?,
        };
        let gas_limit = to_u64("gasLimit", g.gas_limit)?;
        if gas_limit < 5_000 {
            return Err(ChainSpecError::Invalid(format!(
                "gasLimit must be at least 5000, found {gas_limit}"
            )));
        }
        let bf = g.config.base_fee.unwrap_or(BaseFeeJson {
            max_change_denominator: None,
            elasticity_multiplier: None,
            recipient: None,
        });
        let base_fee = BaseFeeConfig {
            max_change_denominator: to_u64(
                "baseFee.maxChangeDenominator",
                bf.max_change_denominator.unwrap_or(8),
            )?,
            elasticity_multiplier: to_u64(
                "baseFee.elasticityMultiplier",
                bf.elasticity_multiplier.unwrap_or(2),
            )?,
            recipient: bf.recipient,
        };
        if base_fee.max_change_denominator == 0 || base_fee.elasticity_multiplier == 0 {
            return Err(ChainSpecError::Invalid(
                "baseFee.maxChangeDenominator and elasticityMultiplier must be non-zero".into(),
            ));
        }
        let genesis_base_fee = if hardfork.is_london() {
            to_u64("baseFeePerGas", g.base_fee_per_gas.unwrap_or(1_000_000_000))?
        } else {
            if g.base_fee_per_gas.is_some_and(|f| f != 0) {
                return Err(ChainSpecError::Invalid(
                    "baseFeePerGas must be absent or 0 under berlin (no EIP-1559)".into(),
                ));
            }
            0
        };
        let max_tx_size = match g.config.max_tx_size {
            None => DEFAULT_MAX_TX_SIZE,
            Some(v) => usize::try_from(v)
                .map_err(|_| ChainSpecError::Invalid(format!("maxTxSize {v} too large")))?,
        };
        let mut alloc = BTreeMap::new();
        for (address, a) in g.alloc {
            let nonce = to_u64("alloc nonce", a.nonce.unwrap_or(0))?;
            let storage = a
                .storage
                .into_iter()
                .filter(|(_, v)| !v.is_zero())
                .collect();
            alloc.insert(
                address,
                GenesisAccount {
                    balance: a.balance.unwrap_or(U256::ZERO),
                    nonce,
                    code: match a.code {
                        Some(c) => c,
                        None => Bytes::new(),
                    },
                    storage,
                },
            );
        }
        Ok(Self {
            chain_id,
            hardfork,
            gas_limit,
            genesis_base_fee,
            base_fee,
            genesis_timestamp: to_u64("timestamp", g.timestamp.unwrap_or(0))?,
            genesis_extra_data: match g.extra_data {
                Some(b) => b,
                None => Bytes::new(),
            },
            alloc,
            max_tx_size,
        })
    }

    /// The revm spec id of the active rules.
    pub const fn spec_id(&self) -> SpecId {
        self.hardfork.spec_id()
    }

    /// The base fee of a child of a block with these values (EIP-1559; 0 under Berlin).
    pub fn next_base_fee(
        &self,
        parent_gas_used: u64,
        parent_gas_limit: u64,
        parent_base_fee: u64,
    ) -> u64 {
        if !self.hardfork.is_london() {
            return 0;
        }
        let params = alloy_eips::eip1559::BaseFeeParams::new(
            u128::from(self.base_fee.max_change_denominator),
            u128::from(self.base_fee.elasticity_multiplier),
        );
        alloy_eips::eip1559::calc_next_block_base_fee(
            parent_gas_used,
            parent_gas_limit,
            parent_base_fee,
            params,
        )
    }

    /// The genesis header for a given genesis state root.
    pub fn genesis_header(&self, state_root: B256) -> alloy_consensus::Header {
        alloy_consensus::Header {
            state_root,
            gas_limit: self.gas_limit,
            timestamp: self.genesis_timestamp,
            extra_data: self.genesis_extra_data.clone(),
            base_fee_per_gas: Some(self.genesis_base_fee),
            ..Default::default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const GENESIS: &str = r#"{
      "config": { "chainId": 1029, "baseFee": { "recipient": "0x00000000000000000000000000000000000000fe" } },
      "gasLimit": "0x1c9c380",
      "baseFeePerGas": "0x3b9aca00",
      "alloc": {
        "0x0000000000000000000000000000000000000001": { "balance": "0xde0b6b3a7640000" },
        "0x0000000000000000000000000000000000001001": { "code": "0x6000", "storage": { "0x0000000000000000000000000000000000000000000000000000000000000001": "0x02" }, "nonce": "0x1" }
      }
    }"#;

    #[test]
    fn parses_a_genesis_with_defaults() {
        let spec = ChainSpec::from_json(GENESIS).unwrap();
        assert_eq!(spec.chain_id, 1029);
        assert_eq!(spec.hardfork, Hardfork::Osaka);
        assert_eq!(spec.spec_id(), SpecId::OSAKA);
        assert_eq!(spec.gas_limit, 30_000_000);
        assert_eq!(spec.genesis_base_fee, 1_000_000_000);
        assert_eq!(spec.base_fee.max_change_denominator, 8);
        assert!(spec.base_fee.recipient.is_some());
        assert_eq!(spec.alloc.len(), 2);
        let sys: Address = "0x0000000000000000000000000000000000001001"
            .parse()
            .unwrap();
        assert_eq!(spec.alloc[&sys].nonce, 1);
        assert_eq!(spec.alloc[&sys].storage.len(), 1);
    }

    #[test]
    fn rejects_bad_genesis() {
        let bad_fork = GENESIS.replace(
            "\"chainId\": 1029",
            "\"chainId\": 1029, \"hardfork\": \"frontier\"",
        );
        assert!(
            matches!(ChainSpec::from_json(&bad_fork), Err(ChainSpecError::Invalid(m)) if m.contains("frontier"))
        );
        let unknown = GENESIS.replace("\"gasLimit\"", "\"gasLimitt\": 1, \"gasLimit\"");
        assert!(matches!(
            ChainSpec::from_json(&unknown),
            Err(ChainSpecError::Json(_))
        ));
        let zero_chain = GENESIS.replace("1029", "0");
        assert!(ChainSpec::from_json(&zero_chain).is_err());
        let berlin_fee = GENESIS.replace(
            "\"chainId\": 1029",
            "\"chainId\": 1029, \"hardfork\": \"berlin\"",
        );
        assert!(ChainSpec::from_json(&berlin_fee).is_err());
    }

    #[test]
    fn berlin_profile_has_no_base_fee() {
        let g = GENESIS
            .replace(
                "\"chainId\": 1029",
                "\"chainId\": 1029, \"hardfork\": \"berlin\"",
            )
            .replace("\"baseFeePerGas\": \"0x3b9aca00\",", "");
        let spec = ChainSpec::from_json(&g).unwrap();
        assert_eq!(spec.genesis_base_fee, 0);
        assert_eq!(spec.next_base_fee(30_000_000, 30_000_000, 0), 0);
    }

    #[test]
    fn base_fee_follows_eip1559() {
        let spec = ChainSpec::from_json(GENESIS).unwrap();
        // At target: unchanged. Full block: +12.5%. Empty block: -12.5%.
        assert_eq!(
            spec.next_base_fee(15_000_000, 30_000_000, 1_000_000_000),
            1_000_000_000
        );
        assert_eq!(
            spec.next_base_fee(30_000_000, 30_000_000, 1_000_000_000),
            1_125_000_000
        );
        assert_eq!(
            spec.next_base_fee(0, 30_000_000, 1_000_000_000),
            875_000_000
        );
    }
}
