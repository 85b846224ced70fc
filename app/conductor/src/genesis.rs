//! CometBFT v0.38 `genesis.json`: parsing, and the conversions to the ABCI types InitChain
//! carries.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use tendermint_proto::google::protobuf::{Duration as PbDuration, Timestamp};
use tendermint_proto::v0_38::types::{
    AbciParams, BlockParams, ConsensusParams, EvidenceParams, ValidatorParams, VersionParams,
};

/// A genesis file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Not JSON of the expected shape.
    #[error("genesis.json is not CometBFT genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A field with a bad value.
    #[error("genesis.json field {field}: {reason}")]
    Field {
        /// Field path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read genesis file {path}: {source}")]
    Read {
        /// Path.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
}

fn field(field: impl Into<String>, reason: impl Into<String>) -> GenesisError {
    GenesisError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A validator listed in genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisValidator {
    /// 20-byte address (derived from the key; checked against the file's when given).
    pub address: Vec<u8>,
    /// 32-byte ed25519 public key.
    pub pub_key: Vec<u8>,
    /// Voting power.
    pub power: i64,
    /// Name.
    pub name: String,
}

/// A parsed CometBFT genesis.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// Genesis time (the time of the first block).
    pub genesis_time: Timestamp,
    /// Chain id.
    pub chain_id: String,
    /// First height (`0` in the file means 1).
    pub initial_height: i64,
    /// Consensus params, with CometBFT's defaults for missing sections.
    pub consensus_params: ConsensusParams,
    /// Validators (may be empty if the app sets them in InitChain).
    pub validators: Vec<GenesisValidator>,
    /// Initial app hash.
    pub app_hash: Vec<u8>,
    /// The raw JSON bytes of `app_state`, exactly as in the file (empty when absent).
    pub app_state_bytes: Vec<u8>,
    /// The whole file as given.
    pub raw: String,
}

#[derive(Deserialize)]
struct RawGenesis {
    genesis_time: String,
    chain_id: String,
    #[serde(default)]
    initial_height: Option<serde_json::Value>,
    #[serde(default)]
    consensus_params: Option<serde_json::Value>,
    #[serde(default)]
    validators: Option<Vec<RawValidator>>,
    #[serde(default)]
    app_hash: Option<String>,
    #[serde(default)]
    app_state: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct RawValidator {
    #[serde(default)]
    address: Option<String>,
    pub_key: RawTyped,
    power: serde_json::Value,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawTyped {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// CometBFT's `DefaultConsensusParams()` for v0.38.
pub fn default_consensus_params() -> ConsensusParams {
    ConsensusParams {
        block: Some(BlockParams {
            max_bytes: 22_020_096,
            max_gas: -1,
        }),
        evidence: Some(EvidenceParams {
            max_age_num_blocks: 100_000,
            max_age_duration: Some(PbDuration {
                seconds: 172_800,
                nanos: 0,
            }),
            max_bytes: 1_048_576,
        }),
        validator: Some(ValidatorParams {
            pub_key_types: vec!["ed25519".into()],
        }),
        version: Some(VersionParams { app: 0 }),
        abci: Some(AbciParams {
            vote_extensions_enable_height: 0,
        }),
    }
}

/// An int64 written as a JSON string (CometBFT) or a number.
fn int(v: &serde_json::Value, name: &str) -> Result<i64, GenesisError> {
    match v {
        serde_json::Value::String(s) => s
            .parse()
            .map_err(|e| field(name, format!("expected an integer, found {s:?}: {e}"))),
        serde_json::Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| field(name, format!("expected an int64, found {n}"))),
        other => Err(field(
            name,
            format!("expected an integer string, found {other}"),
        )),
    }
}

fn opt_int(v: &serde_json::Value, key: &str, path: &str) -> Result<Option<i64>, GenesisError> {
    match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(x) => int(x, &format!("{path}.{key}")).map(Some),
    }
}

fn parse_consensus_params(v: &serde_json::Value) -> Result<ConsensusParams, GenesisError> {
    let mut p = default_consensus_params();
    if let Some(b) = v.get("block").filter(|b| !b.is_null()) {
        let d = p.block.unwrap_or_default();
        p.block = Some(BlockParams {
            max_bytes: opt_int(b, "max_bytes", "consensus_params.block")?.unwrap_or(d.max_bytes),
            max_gas: opt_int(b, "max_gas", "consensus_params.block")?.unwrap_or(d.max_gas),
        });
    }
    if let Some(e) = v.get("evidence").filter(|e| !e.is_null()) {
        let d = p.evidence.unwrap_or_default();
        let path = "consensus_params.evidence";
        let dur = match opt_int(e, "max_age_duration", path)? {
            Some(ns) => Some(PbDuration {
                seconds: ns.div_euclid(1_000_000_000),
                nanos: i32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0),
            }),
            None => d.max_age_duration,
        };
        p.evidence = Some(EvidenceParams {
            max_age_num_blocks: opt_int(e, "max_age_num_blocks", path)?
                .unwrap_or(d.max_age_num_blocks),
            max_age_duration: dur,
            max_bytes: opt_int(e, "max_bytes", path)?.unwrap_or(d.max_bytes),
        });
    }
    if let Some(val) = v.get("validator").filter(|x| !x.is_null()) {
        if let Some(types) = val.get("pub_key_types") {
            let types: Vec<String> = serde_json::from_value(types.clone())
                .map_err(|e| field("consensus_params.validator.pub_key_types", e.to_string()))?;
            p.validator = Some(ValidatorParams {
                pub_key_types: types,
            });
        }
    }
    if let Some(ver) = v.get("version").filter(|x| !x.is_null()) {
        let app = match opt_int(ver, "app", "consensus_params.version")? {
            Some(a) => Some(a),
            None => opt_int(ver, "app_version", "consensus_params.version")?,
        };
        if let Some(app) = app {
            let app = u64::try_from(app)
                .map_err(|_| field("consensus_params.version.app", "must not be negative"))?;
            p.version = Some(VersionParams { app });
        }
    }
    if let Some(abci) = v.get("abci").filter(|x| !x.is_null()) {
        if let Some(h) = opt_int(
            abci,
            "vote_extensions_enable_height",
            "consensus_params.abci",
        )? {
            if h < 0 {
                return Err(field(
                    "consensus_params.abci.vote_extensions_enable_height",
                    format!("must not be negative, found {h}"),
                ));
            }
            p.abci = Some(AbciParams {
                vote_extensions_enable_height: h,
            });
        }
    }
    let max_bytes = p.block.as_ref().map(|b| b.max_bytes).unwrap_or_default();
    if max_bytes == 0 || max_bytes < -1 {
        return Err(field(
            "consensus_params.block.max_bytes",
            format!("expected -1 or a positive size, found {max_bytes}"),
        ));
    }
    Ok(p)
}

/// Parse an RFC 3339 time into a protobuf timestamp.
pub fn parse_time(s: &str) -> Result<Timestamp, GenesisError> {
    let t = tendermint::Time::parse_from_rfc3339(s).map_err(|e| {
        field(
            "genesis_time",
            format!("expected an RFC 3339 time, found {s:?}: {e}"),
        )
    })?;
    Ok(t.into())
}

impl Genesis {
    /// Parse the text of a CometBFT genesis.json.
    pub fn from_json(text: &str) -> Result<Self, GenesisError> {
        let raw: RawGenesis = serde_json::from_str(text)?;
        let genesis_time = parse_time(&raw.genesis_time)?;
        if raw.chain_id.is_empty() || raw.chain_id.len() > 50 {
            return Err(field(
                "chain_id",
                format!("expected 1 to 50 characters, found {}", raw.chain_id.len()),
            ));
        }
        let initial_height = match &raw.initial_height {
            None | Some(serde_json::Value::Null) => 1,
            Some(v) => int(v, "initial_height")?,
        };
        if initial_height < 0 {
            return Err(field(
                "initial_height",
                format!("must not be negative, found {initial_height}"),
            ));
        }
        let initial_height = initial_height.max(1);
        let consensus_params = match &raw.consensus_params {
            None | Some(serde_json::Value::Null) => default_consensus_params(),
            Some(v) => parse_consensus_params(v)?,
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut validators = Vec::new();
        for (i, v) in raw.validators.unwrap_or_default().into_iter().enumerate() {
            let path = format!("validators[{i}]");
            if v.pub_key.kind != "tendermint/PubKeyEd25519" {
                return Err(field(
                    format!("{path}.pub_key.type"),
                    format!(
                        "expected tendermint/PubKeyEd25519, found {:?}",
                        v.pub_key.kind
                    ),
                ));
            }
            let pub_key = b64
                .decode(v.pub_key.value.trim())
                .map_err(|e| field(format!("{path}.pub_key.value"), e.to_string()))?;
            if pub_key.len() != 32 {
                return Err(field(
                    format!("{path}.pub_key.value"),
                    format!("expected 32 bytes, found {}", pub_key.len()),
                ));
            }
            let address = crate::key::address_of(&pub_key).to_vec();
            if let Some(a) = v.address.as_deref().filter(|a| !a.is_empty()) {
                if !a.eq_ignore_ascii_case(&hex::encode(&address)) {
                    return Err(field(
                        format!("{path}.address"),
                        format!(
                            "{a} is not the address {} of its key",
                            hex::encode_upper(&address)
                        ),
                    ));
                }
            }
            let power = int(&v.power, &format!("{path}.power"))?;
            if power <= 0 {
                return Err(field(
                    format!("{path}.power"),
                    format!("must be positive, found {power}"),
                ));
            }
            validators.push(GenesisValidator {
                address,
                pub_key,
                power,
                name: v.name.unwrap_or_default(),
            });
        }
        let app_hash = match raw.app_hash.as_deref() {
            None | Some("") => Vec::new(),
            Some(h) => {
                hex::decode(h).map_err(|e| field("app_hash", format!("expected hex: {e}")))?
            }
        };
        let app_state_bytes = raw
            .app_state
            .map(|r| r.get().as_bytes().to_vec())
            .unwrap_or_default();
        Ok(Genesis {
            genesis_time,
            chain_id: raw.chain_id,
            initial_height,
            consensus_params,
            validators,
            app_hash,
            app_state_bytes,
            raw: text.to_owned(),
        })
    }

    /// Read and parse a genesis.json file.
    pub fn load(path: &std::path::Path) -> Result<Self, GenesisError> {
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;
    use prost::Message;

    const TRACE_GENESIS: &str = include_str!("../tests/data/cometbft-genesis.json");

    #[test]
    fn parses_the_cometbft_testnet_genesis() {
        let g = Genesis::from_json(TRACE_GENESIS).unwrap();
        assert_eq!(g.chain_id, "trace-2");
        assert_eq!(g.initial_height, 1);
        assert_eq!(g.validators.len(), 2);
        assert_eq!(
            hex::encode_upper(&g.validators[0].address),
            "990AA159BA8F2C57F6500852AA057AAED003839A"
        );
        assert_eq!(
            g.genesis_time,
            Timestamp {
                seconds: 1_795_219_095,
                nanos: 529_800_497
            }
        );
        assert!(g.app_state_bytes.is_empty());
        // The consensus params encode exactly as in the trace's InitChain request.
        let expected = hex::decode(
            "0a10088080c00a10ffffffffffffffffff01120e08a08d0612040880c60a188080401a090a07656432353531392200 2a020802"
                .replace(' ', ""),
        )
        .unwrap();
        assert_eq!(g.consensus_params.encode_to_vec(), expected);
    }

    #[test]
    fn keeps_app_state_bytes_verbatim_and_rejects_bad_fields() {
        let text = TRACE_GENESIS.replacen(
            "\"app_hash\": \"\"",
            "\"app_hash\": \"\", \"app_state\": {\"b\": 1,  \"a\":[ ]}",
            1,
        );
        let g = Genesis::from_json(&text).unwrap();
        assert_eq!(g.app_state_bytes, b"{\"b\": 1,  \"a\":[ ]}");
        let bad = TRACE_GENESIS.replacen("\"power\": \"1\"", "\"power\": \"-5\"", 1);
        assert!(Genesis::from_json(&bad).is_err());
        let bad = TRACE_GENESIS.replacen("990AA159", "990AA158", 1);
        assert!(Genesis::from_json(&bad).is_err());
        assert!(Genesis::from_json("{}").is_err());
    }
}
