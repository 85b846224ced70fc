//! ABCI queries.
//!
//! Paths:
//! - `store` — `data` is a raw state key; answers the value at `height` (0 = latest) and, with
//!   `prove`, an ICS23 proof (`ProofOp` type [`PROOF_OP_TYPE`]) against that version's app hash,
//!   which CometBFT puts in the header of block `height + 1`.
//! - `custom/auth/account`, `custom/auth/params`, `custom/bank/balance`, `custom/bank/supply`
//!   (`data` is a `0x` address where one is needed): JSON.
//! - `custom/span/{span,latest-span,producer-at,params,validators}` (the span module),
//!   `custom/staking/<path>`, `custom/clerk/<path>`, `custom/rootchain/<path>`, `custom/checkpoint/<path>`, `custom/gov/<path>` (those modules'
//!   queries, JSON), `custom/bttc/head`, `custom/bttc/block` (data: a decimal number):
//!   Delivery's record of the BTTC chain, JSON.
//! - `custom/checkpoint/block-proof/<root chain>/<bttc block>`: the checkpoint of that root
//!   chain covering the block and the block's Merkle proof in it ([`BlockProofAnswer`]), what
//!   an exit payload needs; answered here because it joins the checkpoint module's records
//!   with the app's BTTC block records. A committed (acked) checkpoint when one covers the
//!   block, else the buffered checkpoint when it covers the block and is final
//!   (`from_buffer: true`: signed by more than 2/3 of the power and submittable, but not acked
//!   yet: an exit against it works once the root chain has accepted it). Otherwise
//!   `checkpoint/13` "block N is not checkpointed on R yet: last checkpointed block is M".
//! - `custom/app/validators`: the validator set in force at the next height, JSON.
//!
//! A bad query is answered with a non-zero code and a log, never an exception.

use crate::chain;
use delivery_abci::AppResult;
use delivery_checkpoint::error::codes as checkpoint_codes;
use delivery_checkpoint::merkle::{self, Hash, Header};
use delivery_checkpoint::types::hex32;
use delivery_checkpoint::{Checkpoint, CheckpointError};
use delivery_module::{ExecError, Module, TxError};
use delivery_store::{StateRead, Storage, StoreError};
use serde::{Deserialize, Serialize};
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
            // Only a tally needs the active set (reading it walks the latest version's keys,
            // so the other gov queries can answer at past heights too).
            Some(("gov", sub)) if sub.starts_with("tally/") => {
                match crate::router::gov_voters(&snapshot) {
                    Ok(voters) => {
                        delivery_gov::query::handle(&snapshot, sub, &req.data, Some(&voters))
                    }
                    Err(e) => Err(e),
                }
            }
            Some(("gov", sub)) => delivery_gov::query::handle(&snapshot, sub, &req.data, None),
            Some(("checkpoint", sub)) => match sub.strip_prefix("block-proof/") {
                Some(args) => block_proof_query(&snapshot, args),
                None => delivery_checkpoint::CheckpointModule::query(&snapshot, sub, &req.data),
            },
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

/// A 32-byte hash, `0x` hex in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Word(#[serde(with = "hex32")] pub Hash);

/// The answer of `custom/checkpoint/block-proof/<root chain>/<bttc block>`: where a BTTC block
/// sits in a checkpoint of a root chain, with everything `RootChain.verifyBlock` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockProofAnswer {
    /// The root chain.
    pub root_chain: String,
    /// The checkpoint's number on it (the root contract's `headerBlockId`).
    pub checkpoint_number: u64,
    /// The checkpoint's first block.
    pub start: u64,
    /// Its last block (inclusive).
    pub end: u64,
    /// Its root over the blocks' leaves.
    #[serde(with = "hex32")]
    pub root_hash: Hash,
    /// Delivery's record of the block: the four fields its leaf commits to.
    pub block: Header,
    /// The block's leaf `keccak256(pad32(number) ‖ pad32(timestamp) ‖ txRoot ‖ receiptRoot)`.
    #[serde(with = "hex32")]
    pub leaf: Hash,
    /// The leaf's index in the checkpoint (`number - start`).
    pub leaf_index: u64,
    /// The Merkle siblings of the leaf, leaf level first (the exit payload's `blockProof`).
    pub proof: Vec<Word>,
    /// True when the checkpoint is Delivery's buffered one (final, not acked yet); false when
    /// it is committed (acked by the root chain).
    pub from_buffer: bool,
}

fn checkpoint_error(e: CheckpointError) -> ExecError {
    ExecError::from(e)
}

/// The committed checkpoint of `chain` covering `block`: a binary search over numbers
/// `1..=ack_count` (committed checkpoints cover consecutive ranges in number order).
fn committed_covering<S: StateRead + ?Sized>(
    state: &S,
    chain: &str,
    block: u64,
) -> Result<Option<Checkpoint>, CheckpointError> {
    let mut lo: u64 = 1;
    let mut hi = delivery_checkpoint::ack_count(state, chain)?;
    while lo <= hi {
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        match delivery_checkpoint::committed(state, chain, mid)? {
            // A migrated chain keeps only a tail of its checkpoints: missing numbers lie below.
            None => lo = mid.saturating_add(1),
            Some(c) if block < c.checkpoint.start => match mid.checked_sub(1) {
                Some(below) => hi = below,
                None => break,
            },
            Some(c) if block > c.checkpoint.end => match mid.checked_add(1) {
                Some(above) => lo = above,
                None => break,
            },
            Some(c) => return Ok(Some(c.checkpoint)),
        }
    }
    Ok(None)
}

fn not_checkpointed(log: String) -> ExecError {
    ExecError::Rejected(TxError::new("checkpoint", checkpoint_codes::NOT_FOUND, log))
}

/// Answers `block-proof/<root chain>/<bttc block>` (see the module doc).
pub fn block_proof<S: StateRead + ?Sized>(
    state: &S,
    chain: &str,
    block: u64,
) -> Result<BlockProofAnswer, ExecError> {
    delivery_rootchain::check_chain_name(chain)
        .map_err(|e| checkpoint_error(CheckpointError::BadQuery(e.to_string())))?;
    let (checkpoint, from_buffer) = match committed_covering(state, chain, block)? {
        Some(c) => (c, false),
        None => {
            let buffer = delivery_checkpoint::buffer(state, chain)?
                .filter(|b| b.checkpoint.start <= block && block <= b.checkpoint.end);
            match buffer {
                Some(b) if b.is_final() => (b.checkpoint, true),
                other => return Err(not_checkpointed(uncovered(state, chain, block, other)?)),
            }
        }
    };
    let read = |n: u64| -> Result<Option<Header>, StoreError> {
        Ok(chain::block(state, n)?.map(|b| Header {
            number: b.number,
            timestamp: b.timestamp,
            transactions_root: b.transactions_root.0,
            receipts_root: b.receipts_root.0,
        }))
    };
    let header = read(block)?.ok_or_else(|| {
        checkpoint_error(CheckpointError::BadHeader {
            number: block,
            detail: "Delivery has no record of this block, yet a checkpoint covers it".into(),
        })
    })?;
    let (leaf, leaf_index, proof) =
        delivery_checkpoint::block_proof(&read, &checkpoint, block).map_err(checkpoint_error)?;
    // Delivery's block records must give the checkpoint's root (a checkpoint acked from the
    // root chain that Delivery never buffered could disagree with them).
    if !merkle::verify(&leaf, leaf_index, &proof, &checkpoint.root_hash) {
        return Err(checkpoint_error(CheckpointError::BadHeader {
            number: block,
            detail: format!(
                "Delivery's records of blocks {}..={} do not give the root 0x{} of checkpoint {} \
                 on {chain}",
                checkpoint.start,
                checkpoint.end,
                hex::encode(checkpoint.root_hash),
                checkpoint.number
            ),
        }));
    }
    Ok(BlockProofAnswer {
        root_chain: chain.to_string(),
        checkpoint_number: checkpoint.number,
        start: checkpoint.start,
        end: checkpoint.end,
        root_hash: checkpoint.root_hash,
        block: header,
        leaf,
        leaf_index,
        proof: proof.into_iter().map(Word).collect(),
        from_buffer,
    })
}

/// Why no checkpoint gives `block` a proof yet.
fn uncovered<S: StateRead + ?Sized>(
    state: &S,
    chain: &str,
    block: u64,
    buffer: Option<delivery_checkpoint::BufferedCheckpoint>,
) -> Result<String, CheckpointError> {
    let last = delivery_checkpoint::last_end(state, chain)?;
    if let Some(end) = last.filter(|end| block <= *end) {
        return Ok(format!(
            "block {block} is before the checkpoints Delivery keeps for {chain} (they end at \
             {end}, but none stored covers {block})"
        ));
    }
    let mut log = match last {
        Some(end) => format!(
            "block {block} is not checkpointed on {chain} yet: last checkpointed block is {end}"
        ),
        None => format!(
            "block {block} is not checkpointed on {chain} yet: no checkpoint on {chain} is \
             acked yet"
        ),
    };
    if let Some(b) = buffer {
        log.push_str(&format!(
            "; checkpoint {} over {}..={} covers it but is not final yet ({} signatures)",
            b.checkpoint.number,
            b.checkpoint.start,
            b.checkpoint.end,
            b.signatures.len()
        ));
    } else if let Some(b) = delivery_checkpoint::buffer(state, chain)? {
        log.push_str(&format!(
            "; checkpoint {} over {}..={} is in flight ({})",
            b.checkpoint.number,
            b.checkpoint.start,
            b.checkpoint.end,
            if b.is_final() { "final" } else { "not final" }
        ));
    }
    if let Some(head) = chain::head(state)? {
        if block > head.number {
            log.push_str(&format!(
                "; Delivery's BTTC head is {} (block {block} is not final yet)",
                head.number
            ));
        }
    }
    Ok(log)
}

fn block_proof_query<S: StateRead + ?Sized>(state: &S, args: &str) -> Result<Vec<u8>, ExecError> {
    let (chain, block) = args.split_once('/').ok_or_else(|| {
        checkpoint_error(CheckpointError::BadQuery(format!(
            "block-proof/{}: expected block-proof/<root chain>/<BTTC block number>",
            args.chars().take(64).collect::<String>()
        )))
    })?;
    let block: u64 = block.parse().map_err(|_| {
        checkpoint_error(CheckpointError::BadQuery(format!(
            "BTTC block {:?}: expected a decimal number",
            block.chars().take(32).collect::<String>()
        )))
    })?;
    let answer = block_proof(state, chain, block)?;
    serde_json::to_vec(&answer).map_err(|e| ExecError::Fatal(StoreError::Backend(e.to_string())))
}
