//! ABCI queries.
//!
//! Paths:
//! - `store` — `data` is a raw state key; answers the value at `height` (0 = latest) and, with
//!   `prove`, an ICS23 proof (`ProofOp` type [`PROOF_OP_TYPE`]) against that version's app hash,
//!   which CometBFT puts in the header of block `height + 1`.
//! - `custom/auth/account`, `custom/auth/params`, `custom/bank/balance`, `custom/bank/supply`
//!   (`data` is a `0x` address where one is needed): JSON.
//! - `custom/span/{span,latest-span,producer-at,params,validators}` (the span module),
//!   `custom/staking/<path>`, `custom/clerk/<path>`, `custom/rootchain/<path>`, `custom/checkpoint/<path>` (those modules'
//!   queries, JSON), `custom/bttc/head`, `custom/bttc/block` (data: a decimal number):
//!   Delivery's record of the BTTC chain, JSON.
//! - `custom/app/validators`: the validator set in force at the next height, JSON.
//!
//! A bad query is answered with a non-zero code and a log, never an exception.

use crate::chain;
use delivery_abci::AppResult;
use delivery_module::{ExecError, Module};
use delivery_store::{StateRead, Storage};
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

use crate::valset;

/// The `ProofOp.type` of our proofs: ICS23 over the Jellyfish Merkle Tree.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

fn error(code: u32, codespace: &str, log: String, height: i64) -> pb::ResponseQuery {
    pb::ResponseQuery {
        code,
        codespace: codespace.into(),
        log,
        height,
        ..Default::default()
    }
}

/// Answers a query.
pub fn handle(storage: &Storage, req: pb::RequestQuery) -> AppResult<pb::ResponseQuery> {
    let Some((latest, _)) = storage.latest() else {
        return Ok(error(1, "app", "no block committed yet".into(), 0));
    };
    let height = if req.height <= 0 {
        latest
    } else {
        u64::try_from(req.height).unwrap_or(u64::MAX)
    };
    let height_i64 = i64::try_from(height).unwrap_or(i64::MAX);
    let snapshot = match storage.snapshot_at(height) {
        Ok(s) => s,
        Err(e) => {
            return Ok(error(
                2,
                "app",
                format!("cannot read height {height}: {e}"),
                height_i64,
            ))
        }
    };
    let path = req.path.trim_start_matches('/');
    if path == "store" {
        if req.prove {
            return Ok(match storage.prove(&req.data, height) {
                Ok((value, proof)) => pb::ResponseQuery {
                    key: req.data.clone(),
                    value: value.unwrap_or_else(Vec::new).into(),
                    height: height_i64,
                    proof_ops: Some(ProofOps {
                        ops: vec![ProofOp {
                            r#type: PROOF_OP_TYPE.into(),
                            key: req.data.to_vec(),
                            data: crate::proof::encode(&proof),
                        }],
                    }),
                    ..Default::default()
                },
                Err(e) => error(
                    2,
                    "app",
                    format!("cannot prove at height {height}: {e}"),
                    height_i64,
                ),
            });
        }
        return Ok(match snapshot.get_raw(&req.data) {
            Ok(value) => pb::ResponseQuery {
                key: req.data,
                value: value.unwrap_or_else(Vec::new).into(),
                height: height_i64,
                ..Default::default()
            },
            Err(e) => error(2, "app", e.to_string(), height_i64),
        });
    }
    let result: Result<Vec<u8>, ExecError> = match path.strip_prefix("custom/") {
        Some(rest) => match rest.split_once('/') {
            Some(("auth", sub)) => delivery_auth::Auth::query(&snapshot, sub, &req.data),
            Some(("bank", sub)) => delivery_bank::Bank::query(&snapshot, sub, &req.data),
            Some(("span", sub)) => delivery_span::SpanModule::query(&snapshot, sub, &req.data),
            Some(("staking", sub)) => {
                delivery_staking::StakingModule::query(&snapshot, sub, &req.data)
            }
            Some(("clerk", sub)) => delivery_clerk::ClerkModule::query(&snapshot, sub, &req.data),
            Some(("checkpoint", sub)) => {
                delivery_checkpoint::CheckpointModule::query(&snapshot, sub, &req.data)
            }
            Some(("rootchain", sub)) => {
                delivery_rootchain::RootChainModule::query(&snapshot, sub, &req.data)
            }
            Some(("bttc", "head")) => bttc_json(chain::head(&snapshot)),
            Some(("bttc", "block")) => match std::str::from_utf8(&req.data)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
            {
                Some(n) => bttc_json(chain::block(&snapshot, n)),
                None => Err(ExecError::Rejected(delivery_module::TxError::new(
                    "bttc",
                    2,
                    "expected a BTTC block number as decimal text",
                ))),
            },
            Some(("app", "validators")) => validators_json(&snapshot, height.saturating_add(1)),
            _ => Err(delivery_module::module::unknown_query("app", path)),
        },
        None => Err(delivery_module::module::unknown_query("app", path)),
    };
    Ok(match result {
        Ok(value) => pb::ResponseQuery {
            value: value.into(),
            height: height_i64,
            ..Default::default()
        },
        Err(ExecError::Rejected(e)) => error(e.code, e.codespace, e.log, height_i64),
        Err(ExecError::Fatal(e)) => error(2, "app", e.to_string(), height_i64),
    })
}

fn validators_json<S: StateRead>(state: &S, height: u64) -> Result<Vec<u8>, ExecError> {
    let set = valset::at(state, height)?.unwrap_or_else(valset::ValidatorSet::default);
    let list: Vec<serde_json::Value> = set
        .validators
        .iter()
        .map(|v| {
            serde_json::json!({
                "address": hex::encode_upper(&v.address),
                "pub_key": hex::encode(&v.pub_key),
                "power": v.power.to_string(),
            })
        })
        .collect();
    Ok(
        serde_json::json!({ "height": height.to_string(), "validators": list })
            .to_string()
            .into_bytes(),
    )
}

fn bttc_json(
    block: Result<Option<chain::BttcBlock>, delivery_store::StoreError>,
) -> Result<Vec<u8>, ExecError> {
    match block? {
        Some(b) => serde_json::to_vec(&b)
            .map_err(|e| ExecError::Fatal(delivery_store::StoreError::Backend(e.to_string()))),
        None => Err(ExecError::Rejected(delivery_module::TxError::new(
            "bttc",
            3,
            "no such BTTC block (or the chain has no BTTC genesis)",
        ))),
    }
}
