//! `deliveryd testnet --signers-only` / `--root-chain FILE`: a testnet that follows dev root
//! chains (`bttc dev --root-chain`). See the module docs of [`super`] for the order of steps.
//!
//! Every root chain must run a RootChain (the checkpoint contract) whose genesis set is the
//! testnet's validators: their signers, with the power Delivery's genesis gives them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context as _};
use bttc_engine_contracts::root_contracts::RootContractsFile;
use delivery_module::{Address, SecretKey};
use delivery_rootchain::state::AppliedEvent;
use delivery_rootchain::{Params, RootChainConfig, RootChainKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::home::{self, Overwrite};
use crate::output;
use crate::Globals;

/// Confirmations a dev root chain's receipts need (small: dev chains do not reorganise).
pub const DEV_CONFIRMATIONS: u64 = 2;
/// What `--signers-only` writes for the root chain: `bttc dev --genesis-validators` input.
pub const GENESIS_VALIDATORS_FILE: &str = "genesis-validators.json";
/// The signer keys `--signers-only` draws, read back (and deleted) by the second `testnet`.
pub const SIGNER_KEYS_FILE: &str = "signer-keys.json";
/// Files a `--signers-only` run leaves in the output directory (the second run accepts them).
pub const PREPARED_FILES: [&str; 2] = [GENESIS_VALIDATORS_FILE, SIGNER_KEYS_FILE];
/// The bridge's poll interval on a localnet (root chains make blocks every second or two).
const DEV_POLL_INTERVAL_MS: u64 = 1_000;
/// `keccak256("Staked(address,uint256,uint256,uint256,uint256,uint256,bytes)")` is computed
/// from this signature.
const STAKED_SIGNATURE: &str = "Staked(address,uint256,uint256,uint256,uint256,uint256,bytes)";

/// One entry of genesis-validators.json (the fields `bttc dev --genesis-validators` reads,
/// plus the signer address for people).
#[derive(Debug, Serialize)]
struct GenesisValidatorEntry {
    signer_pubkey: String,
    amount: String,
    signer: Address,
}

/// signer-keys.json.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerKeys {
    /// `0x` hex secret keys, node order.
    signer_keys: Vec<String>,
}

/// `--signers-only`: draws `n` signer keys and writes the two prepared files into `dir`
/// (which must not exist or be empty).
pub fn write_signers(dir: &Path, n: u16, globals: &Globals) -> anyhow::Result<()> {
    super::check_output_dir(dir)?;
    home::create_dir(dir, 0o755)?;
    let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::generate()).collect();
    let stake = delivery_app::genesis::GENERATED_VALIDATOR_STAKE.to_string();
    let entries: Vec<GenesisValidatorEntry> = keys
        .iter()
        .map(|k| GenesisValidatorEntry {
            signer_pubkey: format!("0x{}", hex::encode(k.public_key().to_uncompressed())),
            amount: stake.clone(),
            signer: k.address(),
        })
        .collect();
    let secrets = SignerKeys {
        signer_keys: keys
            .iter()
            .map(|k| format!("0x{}", hex::encode(k.to_bytes())))
            .collect(),
    };
    home::write_file(
        &dir.join(SIGNER_KEYS_FILE),
        serde_json::to_string_pretty(&secrets)?.as_bytes(),
        0o600,
        Overwrite::Refuse,
    )?;
    let validators_path = dir.join(GENESIS_VALIDATORS_FILE);
    home::write_file(
        &validators_path,
        serde_json::to_string_pretty(&entries)?.as_bytes(),
        0o644,
        Overwrite::Refuse,
    )?;
    output::emit(globals.output, &entries, || {
        let mut lines = vec![format!(
            "Wrote {} validator signers to {} (give it to every root chain: `bttc dev \
             --root-chain tron --genesis-validators {}` stakes them and deploys their RootChain, \
             `bttc dev --root-chain eth --genesis-validators {}` deploys their RootChain)",
            entries.len(),
            validators_path.display(),
            validators_path.display(),
            validators_path.display()
        )];
        lines.extend(
            entries
                .iter()
                .zip(1u64..)
                .map(|(e, id)| format!("  validator {id}: signer {}", e.signer)),
        );
        lines.join("\n")
    })
}

/// The signer keys of a `--signers-only` run in `dir`, if there was one; they must be `n`.
pub fn read_signers(dir: &Path, n: u16) -> anyhow::Result<Option<Vec<SecretKey>>> {
    let path = dir.join(SIGNER_KEYS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    };
    let file: SignerKeys = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected {{\"signer_keys\": [\"0x…\"]}}",
            path.display()
        )
    })?;
    ensure!(
        file.signer_keys.len() == usize::from(n),
        "{} holds {} signer keys but --validators is {n}",
        path.display(),
        file.signer_keys.len()
    );
    let keys = file
        .signer_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            SecretKey::from_hex(k).map_err(|e| anyhow::anyhow!("{}: key {i}: {e}", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Some(keys))
}

/// Deletes signer-keys.json once the keys are in the nodes' keyrings.
pub fn remove_signer_keys(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(SIGNER_KEYS_FILE);
    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))
}

/// A root chain in testnet.json.
#[derive(Debug, Clone, Serialize)]
pub struct RootChainReport {
    /// Its name in the rootchain params.
    pub name: String,
    /// What it is.
    pub kind: RootChainKind,
    /// Its EVM chain id.
    pub chain_id: u64,
    /// Its JSON-RPC.
    pub rpc_url: String,
    /// The block the bridge starts scanning at.
    pub deploy_block: u64,
    /// Whether it holds staking.
    pub staking: bool,
    /// The root-contracts file it came from.
    pub contracts_file: PathBuf,
    /// The contracts, in the chain's address form (base58check on TRON).
    pub contracts: Value,
}

/// The root chains of `--root-chain`.
pub struct RootChains {
    /// The rootchain params for the genesis.
    pub params: Params,
    files: Vec<RootContractsFile>,
    /// What testnet.json lists.
    pub report: Vec<RootChainReport>,
}

fn address(kind: RootChainKind, what: &str, text: &str) -> anyhow::Result<[u8; 20]> {
    delivery_rootchain::parse_address(text)
        .map_err(|e| anyhow::anyhow!("{kind} root contracts: {what} {text:?}: {e}"))
}

/// Reads the `--root-chain` files; `None` without any.
pub fn load(
    paths: &[PathBuf],
    staking_chain: Option<&str>,
    confirmations: u64,
) -> anyhow::Result<Option<RootChains>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --root-chain {}", path.display()))?;
        let file: RootContractsFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "--root-chain {}: expected the root-contracts.json `bttc dev --root-chain` writes",
                path.display()
            )
        })?;
        files.push(file);
    }
    let kinds = files
        .iter()
        .map(|f| {
            f.chain_type
                .parse::<RootChainKind>()
                .map_err(|e| anyhow::anyhow!("root-contracts chain_type {:?}: {e}", f.chain_type))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let staking = match staking_chain {
        Some(name) => name.to_owned(),
        None => match files.iter().find(|f| f.chain_type == "tron") {
            Some(f) => f.chain_type.clone(),
            None if files.len() == 1 => files
                .first()
                .map(|f| f.chain_type.clone())
                .unwrap_or_else(String::new),
            None => bail!(
                "no tron root chain among --root-chain {}: name the staking chain with \
                 --staking-chain",
                files
                    .iter()
                    .map(|f| f.chain_type.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let mut chains = Vec::with_capacity(files.len());
    let mut report = Vec::with_capacity(files.len());
    for ((file, kind), path) in files.iter().zip(&kinds).zip(paths) {
        let kind = *kind;
        let c = &file.contracts;
        let is_staking = file.chain_type == staking;
        let stake_manager = address(kind, "stake_manager", &c.stake_manager.address)?;
        let state_sender = address(kind, "state_sender", &c.state_sender.address)?;
        let root_chain_manager =
            address(kind, "root_chain_manager", &c.root_chain_manager.address)?;
        let root_chain = c
            .root_chain
            .as_ref()
            .map(|a| address(kind, "root_chain", &a.address))
            .transpose()?;
        chains.push(RootChainConfig {
            name: file.chain_type.clone(),
            kind,
            chain_id: file.chain_id,
            stake_manager: is_staking.then_some(stake_manager),
            state_sender,
            root_chain_manager,
            root_chain_contract: root_chain,
            confirmations,
        });
        let show = |a: &[u8; 20]| kind.display_address(a);
        let mut contracts = json!({
            "state_sender": show(&state_sender),
            "root_chain_manager": show(&root_chain_manager),
            "erc20_predicate": show(&address(kind, "erc20_predicate", &c.erc20_predicate.address)?),
            "test_token": show(&address(kind, "test_token", &c.test_token.address)?),
        });
        if let (Some(o), Some(rc)) = (contracts.as_object_mut(), &root_chain) {
            o.insert("root_chain".into(), show(rc).into());
        }
        if is_staking {
            if let Some(o) = contracts.as_object_mut() {
                o.insert("stake_manager".into(), show(&stake_manager).into());
                o.insert(
                    "staking_token".into(),
                    show(&address(kind, "staking_token", &c.staking_token.address)?).into(),
                );
            }
        }
        report.push(RootChainReport {
            name: file.chain_type.clone(),
            kind,
            chain_id: file.chain_id,
            rpc_url: file.rpc_url.clone(),
            deploy_block: file.deploy_block,
            staking: is_staking,
            contracts_file: std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
            contracts,
        });
    }
    let params = Params {
        chains,
        staking_chain: staking,
    };
    params.validate().map_err(|e| {
        anyhow::anyhow!("the --root-chain files make invalid rootchain params: {e}")
    })?;
    Ok(Some(RootChains {
        params,
        files,
        report,
    }))
}

impl RootChains {
    fn staking_file(&self) -> anyhow::Result<&RootContractsFile> {
        self.files
            .iter()
            .find(|f| f.chain_type == self.params.staking_chain)
            .context("the staking chain has no root-contracts file")
    }

    /// Each node's `[bridge]`: on, one `[[bridge.root_chain]]` per chain.
    pub fn bridge_config(&self) -> crate::bridge::BridgeConfig {
        crate::bridge::BridgeConfig {
            enabled: true,
            poll_interval_ms: DEV_POLL_INTERVAL_MS,
            root_chain: self
                .files
                .iter()
                .map(|f| crate::bridge::RootChainEndpoint {
                    name: f.chain_type.clone(),
                    rpc_url: f.rpc_url.clone(),
                    start_block: f.deploy_block,
                    timeout_ms: crate::bridge::config::DEFAULT_TIMEOUT_MS,
                    max_range: crate::bridge::config::DEFAULT_MAX_RANGE,
                })
                .collect(),
            ..crate::bridge::BridgeConfig::default()
        }
    }

    /// Checks that the staking chain staked exactly `signers` as validators 1..n with the
    /// generated stake, and returns their `Staked` events (read from the chain's RPC) as
    /// applied root events.
    pub fn check_staked(&self, signers: &[Address]) -> anyhow::Result<Vec<AppliedEvent>> {
        let file = self.staking_file()?;
        let name = &file.chain_type;
        let stake = delivery_app::genesis::GENERATED_VALIDATOR_STAKE.to_string();
        ensure!(
            file.validators.len() == signers.len(),
            "the staking root chain {name} staked {} validators, the testnet has {}: start it \
             with --genesis-validators <DIR>/{GENESIS_VALIDATORS_FILE}",
            file.validators.len(),
            signers.len()
        );
        for ((v, signer), id) in file.validators.iter().zip(signers).zip(1u64..) {
            let staked = delivery_rootchain::parse_address(&v.signer)
                .map_err(|e| anyhow::anyhow!("{name} validator {}: signer: {e}", v.id))?;
            ensure!(
                v.id == id && staked == signer.0 && v.amount == stake,
                "the staking root chain {name} staked validator {} = signer {} with {}, but \
                 validator {id} of this testnet is signer {signer} with {stake}: start it with \
                 --genesis-validators <DIR>/{GENESIS_VALIDATORS_FILE} of this --output-dir",
                v.id,
                v.signer,
                v.amount
            );
        }
        let stake_manager = self
            .params
            .staking()
            .and_then(|c| c.stake_manager)
            .context("the staking chain has no stake_manager")?;
        let mut applied = staked_events(file, &stake_manager)?
            .into_iter()
            .filter(|(id, _, _)| *id >= 1 && u64::try_from(signers.len()).is_ok_and(|n| *id <= n))
            .map(|(_, block_number, log_index)| AppliedEvent {
                root_chain: name.clone(),
                block_number,
                log_index,
            })
            .collect::<Vec<_>>();
        applied.sort_by_key(|a| (a.block_number, a.log_index));
        ensure!(
            applied.len() == signers.len(),
            "the staking root chain {name} ({}) shows {} Staked events of validators 1..{}, \
             expected one each",
            file.rpc_url,
            applied.len(),
            signers.len()
        );
        Ok(applied)
    }
}

impl RootChains {
    /// Checks every root chain's RootChain over its RPC: it is deployed (`contracts.root_chain`
    /// of its file), its validator set is exactly `signers` with `power` each
    /// (`validatorSetRoot()` against their account root), its `bttcChainId()` is
    /// `bttc_chain_id` (when the testnet has a BTTC genesis), and on the staking chain it is
    /// wired into the StakeManager (`stakeManager()`), so that checkpoints move the root epoch.
    pub fn check_root_chains(
        &self,
        signers: &[Address],
        power: u64,
        bttc_chain_id: Option<u64>,
    ) -> anyhow::Result<()> {
        let set: Vec<(alloy_primitives::Address, alloy_primitives::U256)> = signers
            .iter()
            .map(|s| {
                (
                    alloy_primitives::Address::from(s.0),
                    alloy_primitives::U256::from(power),
                )
            })
            .collect();
        let expected = bttc_engine_contracts::checkpoint::account_root(&set);
        for (file, chain) in self.files.iter().zip(&self.params.chains) {
            let name = &chain.name;
            let Some(rc) = chain.root_chain_contract else {
                bail!(
                    "root chain {name} ({}) has no RootChain (no contracts.root_chain in its \
                     root-contracts.json): start it on a new data directory with \
                     --genesis-validators <DIR>/{GENESIS_VALIDATORS_FILE}",
                    file.rpc_url
                );
            };
            let shown = chain.display_address(&rc);
            let root = eth_call_word(file, &rc, "validatorSetRoot()")?;
            if root != expected.0 {
                let count = eth_call_word(file, &rc, "validatorCount()")?;
                let total = eth_call_word(file, &rc, "totalPower()")?;
                bail!(
                    "the RootChain {shown} on {name} ({}) has {} validators of total power {} \
                     (account root 0x{}), but this testnet's validators are {} signers of power \
                     {power} each (account root {expected:#x}): start {name} with \
                     --genesis-validators <DIR>/{GENESIS_VALIDATORS_FILE} of this --output-dir",
                    file.rpc_url,
                    alloy_primitives::U256::from_be_bytes(count),
                    alloy_primitives::U256::from_be_bytes(total),
                    hex::encode(root),
                    signers.len()
                );
            }
            if let Some(wanted) = bttc_chain_id {
                let found = alloy_primitives::U256::from_be_bytes(eth_call_word(
                    file,
                    &rc,
                    "bttcChainId()",
                )?);
                ensure!(
                    found == alloy_primitives::U256::from(wanted),
                    "the RootChain {shown} on {name} ({}) takes checkpoints of BTTC chain id \
                     {found}, but this testnet's BTTC chain id is {wanted}: start {name} with \
                     --bttc-chain-id {wanted}",
                    file.rpc_url
                );
            }
            if let Some(stake_manager) = chain.stake_manager {
                let word = eth_call_word(file, &rc, "stakeManager()")?;
                let wired = word.get(12..).unwrap_or_default();
                ensure!(
                    word.get(..12).is_some_and(|z| z.iter().all(|b| *b == 0))
                        && wired == stake_manager.as_slice(),
                    "the RootChain {shown} on the staking chain {name} ({}) is not wired to its \
                     StakeManager {} (its stakeManager() is 0x{}): start {name} with --staking",
                    file.rpc_url,
                    chain.display_address(&stake_manager),
                    hex::encode(wired)
                );
            }
        }
        Ok(())
    }
}

/// One JSON-RPC request to a root chain; returns its `result`. `what` says what for errors.
fn rpc(file: &RootContractsFile, method: &str, params: Value, what: &str) -> anyhow::Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: Value = reqwest::blocking::Client::new()
        .post(&file.rpc_url)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .with_context(|| what.to_owned())?
        .json()
        .with_context(|| what.to_owned())?;
    answer
        .get("result")
        .cloned()
        .with_context(|| format!("{what}: answered {answer}"))
}

/// `eth_call` of the argument-less view `signature` (e.g. `"validatorSetRoot()"`) on `to`:
/// its one 32-byte return word.
fn eth_call_word(
    file: &RootContractsFile,
    to: &[u8; 20],
    signature: &str,
) -> anyhow::Result<[u8; 32]> {
    let selector = delivery_module::crypto::keccak256(signature.as_bytes());
    let what = format!(
        "{signature} of the RootChain 0x{} on {} ({}): is the root chain running?",
        hex::encode(to),
        file.chain_type,
        file.rpc_url
    );
    let result = rpc(
        file,
        "eth_call",
        json!([
            {
                "to": format!("0x{}", hex::encode(to)),
                "data": format!("0x{}", hex::encode(selector.get(..4).unwrap_or_default())),
            },
            "latest"
        ]),
        &what,
    )?;
    let text = result
        .as_str()
        .with_context(|| format!("{what}: expected hex data, found {result}"))?;
    let bytes = hex::decode(text.trim_start_matches("0x"))
        .with_context(|| format!("{what}: {text:?} is not hex"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "{what}: expected one 32-byte word, found {} bytes (is there a RootChain at that \
             address?)",
            bytes.len()
        )
    })
}

fn quantity(v: &Value, what: &str) -> anyhow::Result<u64> {
    let s = v
        .as_str()
        .with_context(|| format!("{what}: expected a hex quantity, found {v}"))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16)
        .with_context(|| format!("{what}: {s:?} is not a hex quantity"))
}

/// `(validator id, block number, log index)` of every `Staked` log of the StakeManager.
fn staked_events(
    file: &RootContractsFile,
    stake_manager: &[u8; 20],
) -> anyhow::Result<Vec<(u64, u64, u64)>> {
    let topic0 = delivery_module::crypto::keccak256(STAKED_SIGNATURE.as_bytes());
    let what = format!(
        "eth_getLogs of the StakeManager's Staked events on {} ({}): is the root chain running?",
        file.chain_type, file.rpc_url
    );
    let answer = rpc(
        file,
        "eth_getLogs",
        json!([{
            "fromBlock": format!("{:#x}", file.deploy_block),
            "toBlock": "latest",
            "address": format!("0x{}", hex::encode(stake_manager)),
            "topics": [format!("0x{}", hex::encode(topic0))],
        }]),
        &what,
    )?;
    let logs = answer
        .as_array()
        .with_context(|| format!("{what}: answered {answer}"))?;
    logs.iter()
        .map(|log| {
            let id_topic = log
                .get("topics")
                .and_then(|t| t.get(2))
                .and_then(Value::as_str)
                .with_context(|| format!("{what}: a Staked log without a validator id: {log}"))?;
            let id = u64::from_str_radix(id_topic.trim_start_matches("0x"), 16)
                .with_context(|| format!("{what}: validator id {id_topic} is not a u64"))?;
            Ok((
                id,
                quantity(
                    log.get("blockNumber").unwrap_or(&Value::Null),
                    "blockNumber",
                )?,
                quantity(log.get("logIndex").unwrap_or(&Value::Null), "logIndex")?,
            ))
        })
        .collect()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    fn contracts_file(dir: &Path, kind: &str, chain_id: u64, byte: u8) -> PathBuf {
        let a = |n: u8| json!({"address": format!("0x{}", hex::encode([n; 20]))});
        let mut file = json!({
            "chain_type": kind,
            "chain_id": chain_id,
            "rpc_url": format!("http://127.0.0.1:{}", 18_000 + u16::from(byte)),
            "deploy_block": 7,
            "deployer": a(byte),
            "contracts": {
                "staking_token": a(byte + 1), "test_token": a(byte + 2),
                "stake_manager": a(byte + 3), "state_sender": a(byte + 4),
                "root_chain_manager": a(byte + 5), "erc20_predicate": a(byte + 6)
            },
            "child_chain_manager": "0x0000000000000000000000000000000000001100",
            "min_stake": "1", "withdrawal_delay": 1, "mapped_tokens": [], "validators": []
        });
        // bsc files are written before RootChain existed: no contracts.root_chain.
        if kind != "bsc" {
            file["contracts"]["root_chain"] = a(byte + 7);
        }
        let path = dir.join(format!("{kind}.json"));
        std::fs::write(&path, file.to_string()).unwrap();
        path
    }

    #[test]
    fn tron_is_the_staking_chain_and_only_it_has_a_stake_manager() {
        let dir = tempfile::tempdir().unwrap();
        let eth = contracts_file(dir.path(), "eth", 31_337, 0x10);
        let tron = contracts_file(dir.path(), "tron", 728_126_428, 0x20);
        let roots = load(&[eth.clone(), tron.clone()], None, 3)
            .unwrap()
            .unwrap();
        assert_eq!(roots.params.staking_chain, "tron");
        let t = roots.params.chain("tron").unwrap();
        assert_eq!(t.stake_manager, Some([0x23; 20]));
        assert_eq!(t.state_sender, [0x24; 20]);
        assert_eq!(t.confirmations, 3);
        assert_eq!(t.root_chain_contract, Some([0x27; 20]));
        let e = roots.params.chain("eth").unwrap();
        assert_eq!(e.stake_manager, None);
        assert_eq!(e.root_chain_manager, [0x15; 20]);
        assert_eq!(e.root_chain_contract, Some([0x17; 20]));
        // TRON addresses are shown in base58check.
        assert!(roots.report[1].contracts["stake_manager"]
            .as_str()
            .unwrap()
            .starts_with('T'));
        assert_eq!(
            roots.report[1].contracts["root_chain"],
            delivery_rootchain::tron::to_base58(&[0x27; 20])
        );
        assert_eq!(
            roots.report[0].contracts["root_chain"],
            format!("0x{}", hex::encode([0x17; 20]))
        );
        let bridge = roots.bridge_config();
        assert!(bridge.enabled);
        bridge.validate().unwrap();
        assert_eq!(bridge.root_chain[0].name, "eth");
        assert_eq!(bridge.root_chain[0].rpc_url, "http://127.0.0.1:18016");
        assert_eq!(bridge.root_chain[0].start_block, 7);

        // --staking-chain overrides; without tron and two chains it must be given.
        let roots = load(&[eth.clone(), tron], Some("eth"), 2).unwrap().unwrap();
        assert_eq!(roots.params.staking_chain, "eth");
        assert!(roots.params.chain("tron").unwrap().stake_manager.is_none());
        let bsc = contracts_file(dir.path(), "bsc", 56, 0x30);
        // A file without a RootChain loads (the registry's field is optional); the check
        // against the running chain refuses it.
        let only_bsc = load(std::slice::from_ref(&bsc), None, 2).unwrap().unwrap();
        assert_eq!(only_bsc.params.chains[0].root_chain_contract, None);
        assert!(only_bsc.report[0].contracts.get("root_chain").is_none());
        let err = only_bsc
            .check_root_chains(&[], 1, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no RootChain"), "{err}");
        let err = load(&[eth.clone(), bsc], None, 2)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("--staking-chain"), "{err}");
        assert!(load(&[eth], Some("tron"), 2).is_err());
        assert!(load(&[], None, 2).unwrap().is_none());
    }

    /// A root chain for [`check_root_chains`]: an in-process engine behind the real JSON-RPC
    /// server, where key 1 deploys RootChains and a StakeManager.
    struct Chain {
        _dir: tempfile::TempDir,
        runtime: tokio::runtime::Runtime,
        engine: std::sync::Arc<bttc_engine_executor::InProcessEngine>,
        rpc: Option<bttc_engine_rpc::RpcHandle>,
        url: String,
        nonce: u64,
        time: u64,
    }

    impl Chain {
        fn start() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let engine = std::sync::Arc::new(
                bttc_engine_executor::InProcessEngine::open(
                    &dir.path().join("engine"),
                    bttc_engine_testkit::spec(),
                )
                .unwrap(),
            );
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let config = bttc_engine_rpc::RpcConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..bttc_engine_rpc::RpcConfig::default()
            };
            let rpc = runtime
                .block_on(bttc_engine_rpc::start(
                    std::sync::Arc::clone(&engine),
                    bttc_engine_testkit::CHAIN_ID,
                    config,
                ))
                .unwrap();
            let url = format!("http://{}", rpc.local_addr());
            Self {
                _dir: dir,
                runtime,
                engine,
                rpc: Some(rpc),
                url,
                nonce: 0,
                time: 1_000,
            }
        }

        /// Sends key 1's transaction and mines it; returns the CREATE address of its nonce.
        fn send(
            &mut self,
            to: alloy_primitives::TxKind,
            input: Vec<u8>,
        ) -> alloy_primitives::Address {
            use bttc_engine_api::Engine as _;
            let key = bttc_engine_testkit::key(1);
            let created = key.address().create(self.nonce);
            let raw = bttc_engine_testkit::tx1559(&key, self.nonce, to, 0, 6_000_000, input);
            assert!(matches!(
                self.engine.check_tx(&raw).unwrap(),
                bttc_engine_api::TxCheck::Accepted(_)
            ));
            self.nonce += 1;
            self.time += 2;
            let payload = bttc_engine_testkit::build_sealed(
                self.engine.as_ref(),
                &bttc_engine_testkit::key(9),
                self.time,
                vec![],
            );
            assert_eq!(payload.transactions.len(), 1);
            bttc_engine_testkit::import(self.engine.as_ref(), &payload);
            created
        }

        fn root_chain(
            &mut self,
            bttc_chain_id: u64,
            set: &[(Address, u64)],
        ) -> alloy_primitives::Address {
            let mut set: Vec<_> = set
                .iter()
                .map(|(s, p)| {
                    (
                        alloy_primitives::Address::from(s.0),
                        alloy_primitives::U256::from(*p),
                    )
                })
                .collect();
            set.sort();
            let (signers, powers): (Vec<_>, Vec<_>) = set.into_iter().unzip();
            let init = bttc_engine_contracts::checkpoint::root_chain_init_code(
                bttc_chain_id,
                &signers,
                &powers,
            )
            .unwrap();
            self.send(alloy_primitives::TxKind::Create, init.to_vec())
        }

        /// A root-contracts file of this chain with these contracts.
        fn file(
            &self,
            dir: &Path,
            kind: &str,
            stake_manager: alloy_primitives::Address,
            root_chain: alloy_primitives::Address,
        ) -> PathBuf {
            let a = |x: alloy_primitives::Address| json!({"address": format!("{x:#x}")});
            let n = |b: u8| a(alloy_primitives::Address::repeat_byte(b));
            // Distinct chain ids per kind (the registry refuses duplicates); the check reads
            // only the RootChain, so they need not be this chain's.
            let chain_id = match kind {
                "tron" => 728_126_428,
                "eth" => 31_337,
                _ => 56,
            };
            let file = json!({
                "chain_type": kind, "chain_id": chain_id,
                "rpc_url": self.url, "deploy_block": 1, "deployer": n(1),
                "contracts": {
                    "staking_token": n(2), "test_token": n(3), "stake_manager": a(stake_manager),
                    "state_sender": n(5), "root_chain_manager": n(6), "erc20_predicate": n(7),
                    "root_chain": a(root_chain)
                },
                "child_chain_manager": "0x0000000000000000000000000000000000001100",
                "min_stake": "1", "withdrawal_delay": 1, "mapped_tokens": [], "validators": []
            });
            let path = dir.join(format!("{kind}-{root_chain:#x}.json"));
            std::fs::write(&path, file.to_string()).unwrap();
            path
        }
    }

    impl Drop for Chain {
        fn drop(&mut self) {
            if let Some(rpc) = self.rpc.take() {
                rpc.stop();
                self.runtime.block_on(rpc.stopped());
            }
        }
    }

    #[test]
    fn every_root_chain_must_hold_the_genesis_set_and_the_staking_one_must_be_wired() {
        use alloy_sol_types::SolCall as _;
        use bttc_engine_contracts::abi::IStakeManager;
        use bttc_engine_contracts::checkpoint::IRootChain;

        let signers: Vec<Address> = (0..3).map(|_| SecretKey::generate().address()).collect();
        let outsider = SecretKey::generate().address();
        let ones: Vec<(Address, u64)> = signers.iter().map(|s| (*s, 1)).collect();
        let mut chain = Chain::start();
        // The staking chain's RootChain, wired both ways into a StakeManager.
        let wired = chain.root_chain(1337, &ones);
        let stake_manager = chain.send(
            alloy_primitives::TxKind::Create,
            bttc_engine_contracts::stake_manager_init_code(
                alloy_primitives::Address::repeat_byte(0x42),
                alloy_primitives::U256::from(1),
                alloy_primitives::U256::from(1),
            )
            .unwrap()
            .to_vec(),
        );
        chain.send(
            alloy_primitives::TxKind::Call(stake_manager),
            IStakeManager::setCheckpointManagerCall { manager: wired }.abi_encode(),
        );
        chain.send(
            alloy_primitives::TxKind::Call(wired),
            IRootChain::setStakeManagerCall {
                stakeManager: stake_manager,
            }
            .abi_encode(),
        );
        // Another chain's RootChain: the same set, no StakeManager.
        let plain = chain.root_chain(1337, &ones);
        let dir = tempfile::tempdir().unwrap();
        let tron = chain.file(dir.path(), "tron", stake_manager, wired);
        let eth = chain.file(dir.path(), "eth", stake_manager, plain);
        let roots = load(&[tron.clone(), eth.clone()], None, 2)
            .unwrap()
            .unwrap();
        assert_eq!(
            roots.params.chain("eth").unwrap().root_chain_contract,
            Some(plain.0 .0)
        );
        roots.check_root_chains(&signers, 1, Some(1337)).unwrap();
        roots.check_root_chains(&signers, 1, None).unwrap();

        let refused = |roots: &RootChains, signers: &[Address], power: u64, id: Option<u64>| {
            roots
                .check_root_chains(signers, power, id)
                .unwrap_err()
                .to_string()
        };
        // Another signer, one missing, one too many, another power: the root differs.
        let mut other = signers.clone();
        other[1] = outsider;
        for (what, set, power) in [
            ("another signer", other, 1),
            ("one missing", signers[..2].to_vec(), 1),
            (
                "one too many",
                [signers.clone(), vec![outsider]].concat(),
                1,
            ),
            ("power 2", signers.clone(), 2),
        ] {
            let err = refused(&roots, &set, power, None);
            assert!(
                err.contains("has 3 validators of total power 3")
                    && err.contains("--genesis-validators"),
                "{what}: {err}"
            );
        }
        let err = refused(&roots, &signers, 1, Some(199));
        assert!(
            err.contains("BTTC chain id 1337") && err.contains("--bttc-chain-id 199"),
            "{err}"
        );

        // The staking chain's RootChain must be the StakeManager's: an unwired one is refused.
        let roots = load(&[eth, tron], Some("eth"), 2).unwrap().unwrap();
        let err = refused(&roots, &signers, 1, None);
        assert!(
            err.contains("is not wired to its StakeManager") && err.contains("--staking"),
            "{err}"
        );

        // A weighted RootChain matches only the same weights.
        let weighted: Vec<(Address, u64)> = signers.iter().map(|s| (*s, 2)).collect();
        let heavy = chain.root_chain(1337, &weighted);
        let bsc = chain.file(dir.path(), "bsc", stake_manager, heavy);
        let roots = load(&[bsc], None, 2).unwrap().unwrap();
        // (bsc alone is the staking chain; its RootChain is not wired.)
        let err = refused(&roots, &signers, 2, None);
        assert!(err.contains("not wired"), "{err}");
        assert!(refused(&roots, &signers, 1, None).contains("total power 6"));

        // No RootChain at the address (a StakeManager answers nothing for validatorSetRoot()).
        let wrong = chain.file(dir.path(), "eth", stake_manager, stake_manager);
        let tron = chain.file(dir.path(), "tron", stake_manager, wired);
        let roots = load(&[tron, wrong], None, 2).unwrap().unwrap();
        let err = refused(&roots, &signers, 1, None);
        assert!(err.contains("validatorSetRoot()"), "{err}");
    }

    #[test]
    fn signer_keys_are_read_back_only_in_the_right_number() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_signers(dir.path(), 2).unwrap().is_none());
        let keys = [SecretKey::generate(), SecretKey::generate()];
        let file = SignerKeys {
            signer_keys: keys
                .iter()
                .map(|k| format!("0x{}", hex::encode(k.to_bytes())))
                .collect(),
        };
        std::fs::write(
            dir.path().join(SIGNER_KEYS_FILE),
            serde_json::to_string(&file).unwrap(),
        )
        .unwrap();
        let read = read_signers(dir.path(), 2).unwrap().unwrap();
        assert_eq!(read[1].address(), keys[1].address());
        assert!(read_signers(dir.path(), 3).is_err());
        // The prepared files do not make the output directory "not empty".
        super::super::check_output_dir(dir.path()).unwrap();
        std::fs::write(dir.path().join("other"), "x").unwrap();
        assert!(super::super::check_output_dir(dir.path()).is_err());
    }
}
