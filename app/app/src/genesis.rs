//! The app genesis: the `app_state` object of CometBFT's genesis.json.
//!
//! ```json
//! { "auth": {...}, "bank": {...}, "gov": {...}, "span": {...}, "rootchain": {...}, "staking": {...},
//!   "clerk": {...}, "checkpoint": {...}, "bttc": { "genesis": {...}, "blocks": [...], "last_state_id": 0 },
//!   "app": { "validator_sets": [...], "last_block": ..., "pending_side_txs": [...] } }
//! ```
//! `bttc` names the engine's genesis block (without it, no BTTC blocks are accepted); `span`
//! lists the validators' signer addresses and the producer-schedule params; `rootchain` is the
//! root-chain registry, `staking` the validators (when it lists any, it is the source of the
//! validator set: InitChain hands its set to CometBFT), `clerk` the state-sync records,
//! `checkpoint` the checkpoint params and (in an export) the buffers and committed checkpoints.
//! Modules are initialised in this order: auth, bank, gov (its escrow balance is bank's), span, rootchain, staking, clerk,
//! checkpoint (staking, clerk and checkpoint read the registry). Every module section is optional (serde default), so older
//! genesis files load.
//! Module sections are each module's [`Module::Genesis`]. The `app` section is absent in a new
//! chain's genesis (the validator set comes from CometBFT's `validators`); an export fills it so
//! that importing the export reproduces the exact state, and so the exact app hash.

use delivery_module::{Address, ExecError, Module};
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

use crate::chain::{self, BttcBlock, BttcGenesis};
use crate::side::{self, PendingSideTx};
use crate::valset::{self, Validator, ValidatorSet};

/// The whole `app_state`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppGenesis {
    /// Accounts and auth params.
    #[serde(default)]
    pub auth: delivery_auth::Genesis,
    /// Balances.
    #[serde(default)]
    pub bank: delivery_bank::Genesis,
    /// Governance: params, proposals with their deposits and votes, the upgrade plan.
    #[serde(default)]
    pub gov: delivery_gov::Genesis,
    /// Spans, producers and their params.
    #[serde(default)]
    pub span: delivery_span::Genesis,
    /// The root-chain registry (and, in an export, the applied root events).
    #[serde(default)]
    pub rootchain: delivery_rootchain::Genesis,
    /// Validators, epochs and the set reported to CometBFT.
    #[serde(default)]
    pub staking: delivery_staking::Genesis,
    /// State-sync records.
    #[serde(default)]
    pub clerk: delivery_clerk::Genesis,
    /// Checkpoint params, buffers and committed checkpoints.
    #[serde(default)]
    pub checkpoint: delivery_checkpoint::Genesis,
    /// The BTTC chain: its genesis block and (in an export) every finalized block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bttc: Option<BttcSection>,
    /// App bookkeeping carried over by an export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppSection>,
}

/// The `bttc` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BttcSection {
    /// The engine's genesis block.
    pub genesis: BttcGenesis,
    /// Finalized blocks after genesis, in order (an export carries them).
    #[serde(default)]
    pub blocks: Vec<BttcBlock>,
    /// The global clerk id of the last state-sync record BTTC received (0: none; BTTC's
    /// StateReceiver `lastStateId`). The next block carries the clerk records after it, so
    /// it must not be past clerk's latest id, and the record after it must exist.
    #[serde(default)]
    pub last_state_id: u64,
}

/// App bookkeeping in an exported genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSection {
    /// Validator sets by first height.
    pub validator_sets: Vec<GenesisValidatorSet>,
    /// The last block executed before the export.
    pub last_block: Option<LastBlock>,
    /// Side transactions still waiting for their vote.
    #[serde(default)]
    pub pending_side_txs: Vec<GenesisPendingSideTx>,
}

/// A validator set in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidatorSet {
    /// The first height it is in force.
    pub from_height: u64,
    /// Its validators: `(address hex, ed25519 key hex, power)`.
    pub validators: Vec<GenesisValidator>,
}

/// A validator in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Hex ed25519 public key.
    pub pub_key: String,
    /// Voting power.
    pub power: i64,
}

/// A pending side transaction in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPendingSideTx {
    /// The including block's height.
    pub height: u64,
    /// Hex tx hash.
    pub tx_hash: String,
    /// Message type URL.
    pub type_url: String,
    /// Hex message bytes.
    pub value: String,
}

/// The last executed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastBlock {
    /// Height.
    pub height: u64,
    /// Hex block hash.
    pub hash: String,
}

const LAST_BLOCK: &[u8] = b"app/last_block";
const CHAIN_ID: &[u8] = b"app/chain_id";

/// The last executed block (its hash is what vote extensions of the next block must name).
pub fn last_block<S: StateRead + ?Sized>(state: &S) -> Result<Option<LastBlock>, StoreError> {
    delivery_module::codec::get_json(state, LAST_BLOCK)
}

/// Records the block just executed.
pub fn set_last_block<S: StateWrite + ?Sized>(
    state: &mut S,
    block: &LastBlock,
) -> Result<(), StoreError> {
    delivery_module::codec::put_json(state, LAST_BLOCK.to_vec(), block)
}

/// The chain id recorded at genesis.
pub fn chain_id<S: StateRead + ?Sized>(state: &S) -> Result<String, StoreError> {
    delivery_module::codec::get_json::<String, _>(state, CHAIN_ID)?.ok_or_else(|| {
        StoreError::Backend("chain id missing from state: was InitChain run?".into())
    })
}

/// Checks the genesis, then writes it. `validators` are CometBFT's genesis validators (from
/// InitChain); with an `app` section they must equal its latest set.
pub fn init<S: StateWrite>(
    state: &mut S,
    genesis: &AppGenesis,
    chain_id: &str,
    initial_height: u64,
    validators: &ValidatorSet,
) -> Result<(), String> {
    delivery_auth::Auth::validate_genesis(&genesis.auth)
        .map_err(|e| format!("auth genesis: {e}"))?;
    delivery_bank::Bank::validate_genesis(&genesis.bank)
        .map_err(|e| format!("bank genesis: {e}"))?;
    delivery_gov::GovModule::validate_genesis(&genesis.gov)
        .map_err(|e| format!("gov genesis: {e}"))?;
    delivery_span::SpanModule::validate_genesis(&genesis.span)
        .map_err(|e| format!("span genesis: {e}"))?;
    delivery_rootchain::RootChainModule::validate_genesis(&genesis.rootchain)
        .map_err(|e| format!("rootchain genesis: {e}"))?;
    delivery_staking::StakingModule::validate_genesis(&genesis.staking)
        .map_err(|e| format!("staking genesis: {e}"))?;
    delivery_clerk::ClerkModule::validate_genesis(&genesis.clerk)
        .map_err(|e| format!("clerk genesis: {e}"))?;
    delivery_checkpoint::CheckpointModule::validate_genesis(&genesis.checkpoint)
        .map_err(|e| format!("checkpoint genesis: {e}"))?;
    if let Some(bttc) = &genesis.bttc {
        let mut prev = bttc.genesis.record();
        for b in &bttc.blocks {
            if Some(b.number) != prev.number.checked_add(1) || b.parent_hash != prev.hash {
                return Err(format!(
                    "bttc genesis: block {} does not follow block {}",
                    b.number, prev.number
                ));
            }
            prev = b.clone();
        }
    }
    let fail = |e: ExecError| e.to_string();
    delivery_module::codec::put_json(state, CHAIN_ID.to_vec(), &chain_id.to_string())
        .map_err(|e| e.to_string())?;
    delivery_auth::Auth::init_genesis(state, &genesis.auth).map_err(fail)?;
    delivery_bank::Bank::init_genesis(state, &genesis.bank).map_err(fail)?;
    delivery_gov::GovModule::init_genesis(state, &genesis.gov).map_err(fail)?;
    delivery_span::SpanModule::init_genesis(state, &genesis.span).map_err(fail)?;
    delivery_rootchain::RootChainModule::init_genesis(state, &genesis.rootchain).map_err(fail)?;
    delivery_staking::StakingModule::init_genesis(state, &genesis.staking).map_err(fail)?;
    delivery_clerk::ClerkModule::init_genesis(state, &genesis.clerk).map_err(fail)?;
    delivery_checkpoint::CheckpointModule::init_genesis(state, &genesis.checkpoint)
        .map_err(fail)?;
    if let Some(bttc) = &genesis.bttc {
        chain::record(state, &bttc.genesis.record()).map_err(|e| e.to_string())?;
        for b in &bttc.blocks {
            chain::record(state, b).map_err(|e| e.to_string())?;
        }
        check_last_state_id(state, bttc.last_state_id)?;
        // Absent means 0: only a chain that delivered records has the key.
        if bttc.last_state_id > 0 {
            chain::set_last_state_id(state, bttc.last_state_id);
        }
    }
    // Staking, when it has validators, is the source of the set: InitChain returns it to
    // CometBFT, which replaces its genesis validators with it.
    let staking_set = staking_validator_set(state).map_err(|e| e.to_string())?;
    let validators = staking_set.as_ref().unwrap_or(validators);
    if validators.validators.is_empty() {
        return Err("genesis has no validators".into());
    }
    match &genesis.app {
        None => valset::set_from(state, initial_height, validators),
        Some(app) => {
            let mut last = None;
            for set in &app.validator_sets {
                let decoded = decode_set(set)?;
                valset::set_from(state, set.from_height, &decoded);
                last = Some(decoded);
            }
            if last.as_ref() != Some(validators) {
                return Err(if staking_set.is_some() {
                    "the staking module's reported set differs from the exported validator set"
                } else {
                    "the genesis validators differ from the exported validator set"
                }
                .into());
            }
            if let Some(block) = &app.last_block {
                set_last_block(state, block).map_err(|e| e.to_string())?;
            }
            for p in &app.pending_side_txs {
                side::put_pending(
                    state,
                    &PendingSideTx {
                        height: p.height,
                        tx_hash: hex::decode(&p.tx_hash)
                            .map_err(|e| format!("pending tx hash: {e}"))?,
                        type_url: p.type_url.clone(),
                        value: hex::decode(&p.value)
                            .map_err(|e| format!("pending tx value: {e}"))?,
                    },
                );
            }
        }
    }
    Ok(())
}

/// BTTC's last state id must leave clerk able to deliver: not past clerk's latest record, and
/// the record right after it stored (a gap would stall state sync for good).
fn check_last_state_id<S: StateRead + ?Sized>(state: &S, last: u64) -> Result<(), String> {
    let latest = delivery_clerk::latest_id(state).map_err(|e| format!("clerk genesis: {e}"))?;
    if last > latest {
        return Err(format!(
            "bttc.last_state_id {last} is past clerk's latest record id {latest}"
        ));
    }
    if last < latest {
        let next = last.saturating_add(1);
        if delivery_clerk::record(state, next)
            .map_err(|e| format!("clerk genesis: {e}"))?
            .is_none()
        {
            return Err(format!(
                "bttc.last_state_id is {last} but clerk has no record {next} to deliver next \
                 (its latest is {latest})"
            ));
        }
    }
    Ok(())
}

/// The validator set staking reports to CometBFT at genesis (its reported set), `None` when the
/// module is dormant (no validators: CometBFT's genesis validators stand).
pub fn staking_validator_set<S: StateRead + ?Sized>(
    state: &S,
) -> Result<Option<ValidatorSet>, ExecError> {
    let updates = delivery_staking::genesis_validator_updates(state).map_err(ExecError::from)?;
    if updates.is_empty() {
        return Ok(None);
    }
    let mut set = ValidatorSet::default();
    set.apply_updates(&valset::from_power_updates(&updates));
    Ok(Some(set))
}

fn decode_set(set: &GenesisValidatorSet) -> Result<ValidatorSet, String> {
    let mut validators = set
        .validators
        .iter()
        .map(|v| {
            let pub_key = hex::decode(&v.pub_key).map_err(|e| format!("validator key: {e}"))?;
            if pub_key.len() != 32 {
                return Err(format!(
                    "validator key of {} bytes, expected 32",
                    pub_key.len()
                ));
            }
            Ok(Validator {
                address: valset::address_of(&pub_key),
                pub_key,
                power: v.power,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    validators.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(ValidatorSet { validators })
}

/// Reads the whole state back as an `app_state` (run on the latest committed state).
pub fn export<S: StateRead>(state: &S) -> Result<AppGenesis, ExecError> {
    let validator_sets = valset::all(state)?
        .into_iter()
        .map(|(from_height, set)| GenesisValidatorSet {
            from_height,
            validators: set
                .validators
                .iter()
                .map(|v| GenesisValidator {
                    pub_key: hex::encode(&v.pub_key),
                    power: v.power,
                })
                .collect(),
        })
        .collect();
    let pending_side_txs = side::pending(state)?
        .into_iter()
        .map(|p| GenesisPendingSideTx {
            height: p.height,
            tx_hash: hex::encode(&p.tx_hash),
            type_url: p.type_url,
            value: hex::encode(&p.value),
        })
        .collect();
    let bttc = match chain::block(state, 0)? {
        None => None,
        Some(genesis) => {
            let head = chain::head(state)?.map_or(0, |h| h.number);
            let mut blocks = Vec::new();
            for n in 1..=head {
                blocks.push(chain::block(state, n)?.ok_or_else(|| {
                    ExecError::Fatal(StoreError::Backend(format!(
                        "BTTC block {n} missing below head {head}"
                    )))
                })?);
            }
            Some(BttcSection {
                genesis: BttcGenesis {
                    genesis_hash: genesis.hash,
                    genesis_state_root: genesis.state_root,
                    genesis_timestamp: genesis.timestamp,
                },
                blocks,
                last_state_id: chain::last_state_id(state)?,
            })
        }
    };
    Ok(AppGenesis {
        auth: delivery_auth::Auth::export_genesis(state)?,
        bank: delivery_bank::Bank::export_genesis(state)?,
        gov: delivery_gov::GovModule::export_genesis(state)?,
        span: delivery_span::SpanModule::export_genesis(state)?,
        rootchain: delivery_rootchain::RootChainModule::export_genesis(state)?,
        staking: delivery_staking::StakingModule::export_genesis(state)?,
        clerk: delivery_clerk::ClerkModule::export_genesis(state)?,
        checkpoint: delivery_checkpoint::CheckpointModule::export_genesis(state)?,
        bttc,
        app: Some(AppSection {
            validator_sets,
            last_block: last_block(state)?,
            pending_side_txs,
        }),
    })
}

/// The `app_state` for a new chain whose accounts start with the given BTT balances
/// (in atto-BTT).
pub fn default_app_state(balances: &[(Address, u128)]) -> serde_json::Value {
    let genesis = AppGenesis {
        auth: delivery_auth::Genesis::default(),
        bank: delivery_bank::Genesis {
            balances: balances
                .iter()
                .map(|(address, amount)| delivery_bank::GenesisBalance {
                    address: *address,
                    amount: *amount,
                })
                .collect(),
        },
        ..AppGenesis::default()
    };
    serde_json::to_value(&genesis).unwrap_or(serde_json::Value::Null)
}

pub use delivery_staking::Params as StakingParams;

/// The stake each validator of a generated genesis (`deliveryd init` / `testnet`) has:
/// 10,000 BTT in atto-BTT.
pub const GENERATED_VALIDATOR_STAKE: u128 = 10_000 * delivery_staking::ATTO_PER_BTT;

/// A generated genesis validator: the keys `deliveryd init` / `testnet` make for a node.
#[derive(Debug, Clone, Copy)]
pub struct GeneratedValidator<'a> {
    /// Its secp256k1 signer key (the account that signs bridge txs and seals BTTC blocks).
    pub signer: &'a delivery_module::crypto::PublicKey,
    /// Its ed25519 consensus key (`priv_validator_key.json`).
    pub consensus_pubkey: [u8; 32],
}

/// The staking section of a generated genesis: validators `1..=n` in the given order, each with
/// [`GENERATED_VALIDATOR_STAKE`], active from epoch 1, nonce 0 (no root-chain event names them),
/// under `params`. Staking is then the source of the validator set; CometBFT's genesis
/// validators must carry [`staking_power`] each to agree with it.
pub fn staking_section(
    validators: &[GeneratedValidator<'_>],
    params: StakingParams,
) -> delivery_staking::Genesis {
    delivery_staking::Genesis {
        params,
        validators: validators
            .iter()
            .zip(1u64..)
            .map(|(v, id)| delivery_staking::Validator {
                id,
                signer: v.signer.address(),
                signer_pubkey: v.signer.to_uncompressed(),
                consensus_pubkey: v.consensus_pubkey,
                stake: GENERATED_VALIDATOR_STAKE,
                start_epoch: 1,
                end_epoch: 0,
                nonce: 0,
            })
            .collect(),
        ..delivery_staking::Genesis::default()
    }
}

/// The voting power a generated validator has under `params` (what CometBFT's genesis lists).
pub fn staking_power(params: &StakingParams) -> i64 {
    delivery_staking::voting_power(params.voting_power, GENERATED_VALIDATOR_STAKE)
}
