//! `bttc dev --root-chain <tron|eth|bsc>`: the dev chain plays a root chain. In its first
//! blocks, a fixed dev deployer deploys the root contracts (a staking token "BitTorrent"/BTT, a
//! TestToken for deposits, StakeManager, StateSender, RootChainManager with its
//! ERC20Predicate and, with `--genesis-validators`, the checkpoint contract RootChain with those
//! validators as its genesis set), registers the RootChainManager as the sender for BTTC's
//! ChildChainManager, maps the TestToken and hands both tokens to the dev accounts. On the
//! chain that holds staking (`--staking`, the default on tron) it also stakes the
//! `--genesis-validators` in order (validator ids 1..n) and wires the RootChain into the
//! StakeManager (`setCheckpointManager`, `setStakeManager`), so that accepted checkpoints move
//! the root epoch. Then it writes the root-contracts file
//! (`bttc_engine_contracts::root_contracts`).
//!
//! A restart reads `<datadir>/root-contracts.json` back, checks that every listed contract has
//! code, and deploys nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use anyhow::{bail, ensure, Context as _};
use bttc_engine_api::{Engine as _, TxCheck};
use bttc_engine_contracts::abi::{IRootChainManager, IStakeManager, IStateSender, IERC20};
use bttc_engine_contracts::checkpoint::IRootChain;
use bttc_engine_contracts::root_contracts::{
    ContractAddress, MappedToken, RootChainGenesis, RootChainValidator, RootContracts,
    RootContractsFile, StakedValidator,
};
use bttc_engine_contracts::CHILD_CHAIN_MANAGER_ADDRESS;
use bttc_engine_executor::InProcessEngine;
use delivery_rootchain::RootChainKind;
use serde::Deserialize;

use crate::producer::{produce, Produced};
use crate::txsign::Unsigned;

/// The dev root chain's chain id on TRON: TRON mainnet's EVM chain id (`block.chainid`).
pub const TRON_DEV_CHAIN_ID: u64 = 728_126_428;
/// The dev root chain's chain id on Ethereum (Hardhat's; distinct from BTTC dev's 1337).
pub const ETH_DEV_CHAIN_ID: u64 = 31_337;
/// The StakeManager's minimum stake on a dev root chain (1 atto-BTT; mainnet: 10^30).
pub const DEV_MIN_STAKE: u64 = 1;
/// The StakeManager's withdrawal delay on a dev root chain, in epochs.
pub const DEV_WITHDRAWAL_DELAY: u64 = 1;
/// BTT and TestToken handed to each dev account: one million tokens (18 decimals).
const DEV_TOKENS: u128 = 1_000_000_000_000_000_000_000_000;
/// Gas limit of a deployment transaction.
const DEPLOY_GAS: u64 = 6_000_000;
/// Gas limit of a call transaction.
const CALL_GAS: u64 = 1_000_000;
/// Blocks the deployment may take before it is declared stuck.
const MAX_DEPLOY_BLOCKS: u64 = 64;
/// BTTC's dev chain id: the `bttcChainId` of a dev RootChain without `--bttc-chain-id`.
pub const DEV_BTTC_CHAIN_ID: u64 = 1337;
/// Gas of the RootChain deployment: a base plus a share per genesis validator (measured: 4.2M
/// for 105 validators, see docs/contracts.md).
const ROOT_CHAIN_DEPLOY_GAS_BASE: u64 = 2_000_000;
const ROOT_CHAIN_DEPLOY_GAS_PER_VALIDATOR: u64 = 40_000;

/// The chain id of a new dev root chain of `kind` without `--root-chain-id`.
pub fn default_chain_id(kind: RootChainKind) -> anyhow::Result<u64> {
    match kind {
        RootChainKind::Tron => Ok(TRON_DEV_CHAIN_ID),
        RootChainKind::Eth => Ok(ETH_DEV_CHAIN_ID),
        RootChainKind::Bsc => bail!("--root-chain bsc needs --root-chain-id"),
    }
}

/// Whether a dev root chain of `kind` holds staking unless `--staking` says otherwise: tron
/// does (as `deliveryd testnet` makes the tron chain the staking chain), eth and bsc do not.
pub fn default_staking(kind: RootChainKind) -> bool {
    kind == RootChainKind::Tron
}

/// The dev deployer: `keccak256("bttc dev root deployer")`. Public knowledge.
pub fn deployer_key() -> anyhow::Result<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&keccak256("bttc dev root deployer"))
        .context("deriving the dev deployer key")
}

/// One entry of `--genesis-validators` as written in the file.
#[derive(Debug, Deserialize)]
struct GenesisValidatorJson {
    signer_pubkey: String,
    amount: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    power: Option<u64>,
}

/// A validator to stake at deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisValidator {
    /// 65 bytes, 0x04 ‖ X ‖ Y, a point on secp256k1.
    pub signer_pubkey: Bytes,
    /// The signer address derived from it.
    pub signer: Address,
    /// The stake (atto-BTT), at least [`DEV_MIN_STAKE`].
    pub amount: U256,
    /// The validator NFT's owner (default: the signer).
    pub owner: Address,
    /// Its power in the RootChain's genesis set (default 1: Delivery's `voting_power = equal`).
    pub power: u64,
}

/// Reads `--genesis-validators`: a JSON list of `{"signer_pubkey": "0x04…", "amount":
/// "decimal", "owner": "0x…" (optional), "power": N (optional, default 1)}`. Other fields are
/// ignored.
pub fn read_genesis_validators(path: &Path) -> anyhow::Result<Vec<GenesisValidator>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_genesis_validators(&text).with_context(|| format!("in {}", path.display()))
}

fn parse_genesis_validators(text: &str) -> anyhow::Result<Vec<GenesisValidator>> {
    let entries: Vec<GenesisValidatorJson> = serde_json::from_str(text).context(
        "expected a JSON list of {\"signer_pubkey\": \"0x04…\", \"amount\": \"decimal\"}",
    )?;
    let mut signers = BTreeMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let (pubkey, signer) = parse_signer_pubkey(&e.signer_pubkey)
            .map_err(|err| anyhow::anyhow!("validator {i}: {err}"))?;
        if let Some(j) = signers.insert(signer, i) {
            bail!("validators {j} and {i} have the same signer {signer}");
        }
        let amount = U256::from_str_radix(e.amount.trim(), 10).map_err(|_| {
            anyhow::anyhow!(
                "validator {i}: amount {:?} is not a decimal number",
                e.amount
            )
        })?;
        ensure!(
            amount >= U256::from(DEV_MIN_STAKE),
            "validator {i}: amount {amount} is below the dev minimum stake {DEV_MIN_STAKE}"
        );
        let power = e.power.unwrap_or(1);
        ensure!(
            power >= 1,
            "validator {i}: power 0: a RootChain validator needs a power of at least 1"
        );
        let owner = match e.owner {
            Some(o) => o
                .parse::<Address>()
                .with_context(|| format!("validator {i}: owner {o:?} is not a 0x address"))?,
            None => signer,
        };
        out.push(GenesisValidator {
            signer_pubkey: pubkey,
            signer,
            amount,
            owner,
            power,
        });
    }
    Ok(out)
}

/// Parses a validator's signer public key: 65 bytes `0x04 ‖ X ‖ Y` in hex (optional `0x`), a
/// point on secp256k1. Returns the key and its signer address. A 33-byte compressed key is
/// refused with its uncompressed form in the message (the StakeManager takes only that form).
pub fn parse_signer_pubkey(text: &str) -> anyhow::Result<(Bytes, Address)> {
    let text = text.trim();
    let pubkey = alloy_primitives::hex::decode(text).map_err(|_| {
        anyhow::anyhow!(
            "the signer public key {text:?} is not hex (expected 0x04 and 128 hex digits)"
        )
    })?;
    let first = pubkey.first().copied();
    if pubkey.len() == 33 && matches!(first, Some(0x02 | 0x03)) {
        let point = alloy_signer::k256::PublicKey::from_sec1_bytes(&pubkey).map_err(|_| {
            anyhow::anyhow!("the signer public key (33 bytes, compressed) is not a secp256k1 point")
        })?;
        let full = alloy_signer::k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
            &point, false,
        );
        bail!(
            "the signer public key must be 65 bytes starting with 0x04 (uncompressed), found a \
             33-byte compressed key; its uncompressed form is 0x{}",
            alloy_primitives::hex::encode(full.as_bytes())
        );
    }
    ensure!(
        pubkey.len() == 65 && first == Some(0x04),
        "the signer public key must be 65 bytes starting with 0x04 (uncompressed secp256k1), \
         found {} bytes{}",
        pubkey.len(),
        first.map_or_else(String::new, |b| format!(" starting with 0x{b:02x}"))
    );
    alloy_signer::k256::PublicKey::from_sec1_bytes(&pubkey)
        .map_err(|_| anyhow::anyhow!("the signer public key is not a point on secp256k1"))?;
    let signer = Address::from_raw_public_key(pubkey.get(1..).unwrap_or_default());
    Ok((pubkey.into(), signer))
}

/// Where the root-contracts file of a data directory lives.
pub fn contracts_file(datadir: &Path) -> PathBuf {
    datadir.join("root-contracts.json")
}

/// The RootChain's genesis set of `validators`: `(signer, power)` sorted by signer, as its
/// constructor and `validatorSetRoot()` take it.
pub fn root_chain_set(validators: &[GenesisValidator]) -> Vec<(Address, U256)> {
    let mut set: Vec<(Address, U256)> = validators
        .iter()
        .map(|v| (v.signer, U256::from(v.power)))
        .collect();
    set.sort_by_key(|(signer, _)| *signer);
    set
}

/// What the root-contracts file records of the RootChain deployed with `validators`.
fn root_chain_genesis(bttc_chain_id: u64, validators: &[GenesisValidator]) -> RootChainGenesis {
    let set = root_chain_set(validators);
    RootChainGenesis {
        bttc_chain_id,
        account_root: format!(
            "{:#x}",
            bttc_engine_contracts::checkpoint::account_root(&set)
        ),
        validators: set
            .iter()
            .map(|(signer, power)| RootChainValidator {
                signer: format!("{signer:#x}"),
                // Built from u64 powers: exact.
                power: power.saturating_to::<u64>(),
            })
            .collect(),
    }
}

fn addr(kind: RootChainKind, a: Address) -> ContractAddress {
    ContractAddress {
        address: format!("{a:#x}"),
        base58: (kind == RootChainKind::Tron).then(|| delivery_rootchain::tron::to_base58(&a.0 .0)),
    }
}

/// Sends signed transactions to the engine's pool and mines them with the dev producer.
struct Deployer<'a> {
    engine: &'a InProcessEngine,
    producer: &'a PrivateKeySigner,
    key: PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    sent: Vec<(B256, String)>,
}

impl Deployer<'_> {
    fn send(&mut self, what: String, to: TxKind, input: Vec<u8>, gas: u64) -> anyhow::Result<()> {
        let base_fee = u128::from(self.engine.next_base_fee()?);
        let (_, raw) = crate::txsign::sign(
            &self.key,
            Unsigned {
                chain_id: self.chain_id,
                nonce: self.nonce,
                gas_limit: gas,
                fees: crate::txsign::eip1559(base_fee, 1_000_000_000)?,
                to,
                input: input.into(),
            },
        )
        .with_context(|| format!("{what}: signing"))?;
        match self.engine.check_tx(&raw)? {
            TxCheck::Accepted(a) => self.sent.push((B256::from(a.hash.0), what)),
            TxCheck::Rejected { kind, message } => {
                bail!("{what}: the engine refused the transaction ({kind:?}): {message}")
            }
        }
        self.nonce = self.nonce.checked_add(1).context("nonce overflow")?;
        Ok(())
    }

    fn deploy(&mut self, what: &str, init: Bytes) -> anyhow::Result<Address> {
        self.deploy_with_gas(what, init, DEPLOY_GAS)
    }

    fn deploy_with_gas(&mut self, what: &str, init: Bytes, gas: u64) -> anyhow::Result<Address> {
        let address = self.key.address().create(self.nonce);
        self.send(
            format!("deploying {what}"),
            TxKind::Create,
            init.to_vec(),
            gas,
        )?;
        Ok(address)
    }

    fn call<C: SolCall>(&mut self, what: &str, to: Address, call: &C) -> anyhow::Result<()> {
        self.send(
            what.to_owned(),
            TxKind::Call(to),
            call.abi_encode(),
            CALL_GAS,
        )
    }

    /// Mines until every sent transaction is in a block; fails naming the first that failed.
    /// Returns the number of the first block with one of them.
    fn mine_all(&mut self) -> anyhow::Result<u64> {
        let mut first_block = None;
        for _ in 0..MAX_DEPLOY_BLOCKS {
            if self.engine.pool_len()? == 0 {
                break;
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if let Produced::Block(p) = produce(self.engine, self.producer, now, true)? {
                if !p.transactions.is_empty() && first_block.is_none() {
                    first_block = Some(p.block_number);
                }
            }
        }
        for (hash, what) in &self.sent {
            let receipt = self
                .engine
                .receipt(*hash)?
                .with_context(|| format!("{what}: not mined after {MAX_DEPLOY_BLOCKS} blocks"))?;
            ensure!(receipt.success, "{what}: the transaction {hash} failed");
        }
        first_block.context("the deployment mined no block")
    }
}

/// What [`ensure_deployed`] is asked to do.
pub struct RootChainSetup<'a> {
    /// The root chain kind.
    pub kind: RootChainKind,
    /// Its chain id (the engine's).
    pub chain_id: u64,
    /// The data directory (for `root-contracts.json`).
    pub datadir: &'a Path,
    /// The dev accounts that receive BTT and TestToken.
    pub accounts: &'a [Address],
    /// The genesis validators: the RootChain's set, and staked on the StakeManager if
    /// `staking` (only on the first start). None: no RootChain is deployed.
    pub validators: &'a [GenesisValidator],
    /// Whether this chain holds staking: stake `validators` and wire the RootChain into the
    /// StakeManager.
    pub staking: bool,
    /// The BTTC chain id the RootChain accepts checkpoints of.
    pub bttc_chain_id: u64,
    /// The block producer (dev account 0).
    pub producer: &'a PrivateKeySigner,
}

/// Deploys the root contracts unless `<datadir>/root-contracts.json` says they are deployed
/// (then checks their code is there). Returns the file's content with `rpc_url` empty.
pub fn ensure_deployed(
    engine: &InProcessEngine,
    setup: &RootChainSetup<'_>,
) -> anyhow::Result<RootContractsFile> {
    let path = contracts_file(setup.datadir);
    let engine_chain_id = engine.chain_id()?;
    ensure!(
        engine_chain_id == setup.chain_id,
        "the dev chain in {} has chain id {engine_chain_id}, not {}; use --reset or another --datadir",
        setup.datadir.display(),
        setup.chain_id
    );
    if path.exists() {
        return resume(engine, setup, &path);
    }
    let deployer = deployer_key()?;
    if engine.nonce_at(
        deployer.address(),
        bttc_engine_executor::BlockSelector::Latest,
    )? != 0
    {
        bail!(
            "the dev deployer {} has sent transactions in {} but {} is missing (a deployment \
             was interrupted?): start over with --reset",
            deployer.address(),
            setup.datadir.display(),
            path.display()
        );
    }
    let balance = engine
        .account(deployer.address().0 .0)?
        .map_or(U256::ZERO, |(b, _, _)| b);
    ensure!(
        !balance.is_zero(),
        "the dev deployer {} has no funds: {} was created without --root-chain; use --reset",
        deployer.address(),
        setup.datadir.display()
    );
    deploy(engine, setup, deployer)
}

fn resume(
    engine: &InProcessEngine,
    setup: &RootChainSetup<'_>,
    path: &Path,
) -> anyhow::Result<RootContractsFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: RootContractsFile =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    ensure!(
        file.chain_type == setup.kind.to_string() && file.chain_id == setup.chain_id,
        "{} describes a {} root chain with chain id {}, not {} with {}; use --reset",
        path.display(),
        file.chain_type,
        file.chain_id,
        setup.kind,
        setup.chain_id
    );
    let c = &file.contracts;
    ensure!(
        c.root_chain.is_some() == file.root_chain_genesis.is_some(),
        "{}: contracts.root_chain and root_chain_genesis go together; use --reset",
        path.display()
    );
    for (name, a) in [
        ("staking_token", Some(&c.staking_token)),
        ("test_token", Some(&c.test_token)),
        ("stake_manager", Some(&c.stake_manager)),
        ("state_sender", Some(&c.state_sender)),
        ("root_chain_manager", Some(&c.root_chain_manager)),
        ("erc20_predicate", Some(&c.erc20_predicate)),
        ("root_chain", c.root_chain.as_ref()),
    ]
    .into_iter()
    .filter_map(|(name, a)| a.map(|a| (name, a)))
    {
        let address: Address = a
            .address
            .parse()
            .with_context(|| format!("{}: {name} address {:?}", path.display(), a.address))?;
        let has_code = engine
            .account(address.0 .0)?
            .is_some_and(|(_, _, h)| h != alloy_primitives::KECCAK256_EMPTY);
        ensure!(
            has_code,
            "{}: {name} at {address} has no code on this chain; use --reset",
            path.display()
        );
    }
    if !setup.validators.is_empty() {
        // What this chain stakes: the validators where it holds staking, else nothing.
        let wanted: Vec<(String, String)> = setup
            .validators
            .iter()
            .filter(|_| setup.staking)
            .map(|v| (format!("{:#x}", v.signer), v.amount.to_string()))
            .collect();
        let have: Vec<(String, String)> = file
            .validators
            .iter()
            .map(|v| (v.signer.clone(), v.amount.clone()))
            .collect();
        ensure!(
            wanted == have,
            "--genesis-validators{} differs from the validators staked in {} ({} staked); use \
             --reset",
            if setup.staking {
                ""
            } else {
                " (not staked: this chain does not hold staking)"
            },
            path.display(),
            have.len()
        );
        let genesis = root_chain_genesis(setup.bttc_chain_id, setup.validators);
        match &file.root_chain_genesis {
            Some(have) if *have == genesis => {}
            Some(have) => bail!(
                "--genesis-validators and --bttc-chain-id make a RootChain set of {} validators \
                 (account root {}, BTTC chain id {}), but the RootChain in {} has {} (account \
                 root {}, BTTC chain id {}); use --reset",
                genesis.validators.len(),
                genesis.account_root,
                genesis.bttc_chain_id,
                path.display(),
                have.validators.len(),
                have.account_root,
                have.bttc_chain_id
            ),
            None => bail!(
                "{} has no RootChain (the chain was started without --genesis-validators); \
                 use --reset to deploy one",
                path.display()
            ),
        }
    }
    Ok(file)
}

fn deploy(
    engine: &InProcessEngine,
    setup: &RootChainSetup<'_>,
    key: PrivateKeySigner,
) -> anyhow::Result<RootContractsFile> {
    use bttc_engine_contracts as c;
    let kind = setup.kind;
    let per_account = U256::from(DEV_TOKENS);
    let accounts = U256::from(setup.accounts.len());
    let staked_validators: &[GenesisValidator] = if setup.staking { setup.validators } else { &[] };
    let staked = staked_validators
        .iter()
        .try_fold(U256::ZERO, |sum, v| sum.checked_add(v.amount))
        .context("the validators' stakes overflow")?;
    let btt_supply = per_account
        .checked_mul(accounts)
        .and_then(|s| s.checked_add(staked))
        .context("the BTT supply overflows")?;
    let test_supply = per_account
        .checked_mul(accounts)
        .context("the TestToken supply overflows")?;

    let mut d = Deployer {
        engine,
        producer: setup.producer,
        chain_id: setup.chain_id,
        key,
        nonce: 0,
        sent: Vec::new(),
    };
    let btt = d.deploy(
        "the staking token",
        c::test_token_init_code("BitTorrent", "BTT", btt_supply)?,
    )?;
    let test_token = d.deploy(
        "the TestToken",
        c::test_token_init_code("Test Token", "TEST", test_supply)?,
    )?;
    let stake_manager = d.deploy(
        "StakeManager",
        c::stake_manager_init_code(
            btt,
            U256::from(DEV_MIN_STAKE),
            U256::from(DEV_WITHDRAWAL_DELAY),
        )?,
    )?;
    let state_sender = d.deploy("StateSender", c::state_sender()?.bytecode.clone())?;
    let root_chain_manager = d.deploy(
        "RootChainManager",
        c::root_chain_manager_init_code(state_sender)?,
    )?;
    // The manager's constructor deploys the predicate: its first CREATE, nonce 1.
    let erc20_predicate = root_chain_manager.create(1);
    // The checkpoint contract with the genesis set (deployer nonce 5), wired into the
    // StakeManager where this chain holds staking.
    let root_chain = if setup.validators.is_empty() {
        None
    } else {
        let set = root_chain_set(setup.validators);
        let (signers, powers): (Vec<Address>, Vec<U256>) = set.into_iter().unzip();
        let init = c::checkpoint::root_chain_init_code(setup.bttc_chain_id, &signers, &powers)
            .context("the RootChain's genesis validator set")?;
        let gas = u64::try_from(signers.len())
            .ok()
            .and_then(|n| n.checked_mul(ROOT_CHAIN_DEPLOY_GAS_PER_VALIDATOR))
            .and_then(|g| g.checked_add(ROOT_CHAIN_DEPLOY_GAS_BASE))
            .context("too many validators")?;
        let root_chain = d.deploy_with_gas("RootChain", init, gas)?;
        if setup.staking {
            d.call(
                "making the RootChain the StakeManager's checkpoint manager",
                stake_manager,
                &IStakeManager::setCheckpointManagerCall {
                    manager: root_chain,
                },
            )?;
            d.call(
                "setting the RootChain's StakeManager",
                root_chain,
                &IRootChain::setStakeManagerCall {
                    stakeManager: stake_manager,
                },
            )?;
        }
        // Exits prove burns against this chain's checkpoints.
        d.call(
            "setting the RootChainManager's RootChain (exits)",
            root_chain_manager,
            &c::exit::IRootChainManagerExit::setRootChainCall {
                rootChain: root_chain,
            },
        )?;
        Some(root_chain)
    };
    d.call(
        "registering the RootChainManager with the StateSender",
        state_sender,
        &IStateSender::registerCall {
            sender: root_chain_manager,
            receiver: CHILD_CHAIN_MANAGER_ADDRESS,
        },
    )?;
    d.call(
        "mapping the TestToken",
        root_chain_manager,
        &IRootChainManager::mapTokenCall {
            rootToken: test_token,
        },
    )?;
    for account in setup.accounts {
        for (token, name) in [(btt, "BTT"), (test_token, "TestToken")] {
            d.call(
                &format!("sending {name} to {account}"),
                token,
                &IERC20::transferCall {
                    to: *account,
                    value: per_account,
                },
            )?;
        }
    }
    let mut validators = Vec::with_capacity(staked_validators.len());
    if !staked_validators.is_empty() {
        d.call(
            "approving the StakeManager",
            btt,
            &IERC20::approveCall {
                spender: stake_manager,
                value: staked,
            },
        )?;
    }
    for (i, v) in staked_validators.iter().enumerate() {
        let id = u64::try_from(i)
            .ok()
            .and_then(|i| i.checked_add(1))
            .context("too many validators")?;
        d.call(
            &format!("staking validator {id} (signer {})", v.signer),
            stake_manager,
            &IStakeManager::stakeForCall {
                user: v.owner,
                amount: v.amount,
                signerPubkey: v.signer_pubkey.clone(),
            },
        )?;
        validators.push(StakedValidator {
            id,
            signer: format!("{:#x}", v.signer),
            owner: format!("{:#x}", v.owner),
            amount: v.amount.to_string(),
        });
    }
    let deploy_block = d.mine_all()?;
    let child_token = c::child_token_address(setup.chain_id, test_token)?;
    Ok(RootContractsFile {
        chain_type: kind.to_string(),
        chain_id: setup.chain_id,
        rpc_url: String::new(),
        deploy_block,
        deployer: addr(kind, d.key.address()),
        contracts: RootContracts {
            staking_token: addr(kind, btt),
            test_token: addr(kind, test_token),
            stake_manager: addr(kind, stake_manager),
            state_sender: addr(kind, state_sender),
            root_chain_manager: addr(kind, root_chain_manager),
            erc20_predicate: addr(kind, erc20_predicate),
            root_chain: root_chain.map(|a| addr(kind, a)),
        },
        child_chain_manager: format!("{CHILD_CHAIN_MANAGER_ADDRESS:#x}"),
        min_stake: DEV_MIN_STAKE.to_string(),
        withdrawal_delay: DEV_WITHDRAWAL_DELAY,
        mapped_tokens: vec![MappedToken {
            root_token: format!("{test_token:#x}"),
            child_token: format!("{child_token:#x}"),
        }],
        validators,
        root_chain_genesis: root_chain
            .map(|_| root_chain_genesis(setup.bttc_chain_id, setup.validators)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pubkey_hex(n: u8) -> String {
        let k = PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap();
        let point = k.credential().verifying_key().to_encoded_point(false);
        format!("0x{}", alloy_primitives::hex::encode(point.as_bytes()))
    }

    #[test]
    fn genesis_validators_parse_and_bad_ones_are_refused() {
        let (a, b) = (pubkey_hex(5), pubkey_hex(6));
        let text = format!(
            r#"[{{"signer_pubkey":"{a}","amount":"1000"}},
                {{"signer_pubkey":"{b}","amount":"7","owner":"0x{}","power":3}}]"#,
            "11".repeat(20)
        );
        let v = parse_genesis_validators(&text).unwrap();
        assert_eq!(v.len(), 2);
        let signer5 = PrivateKeySigner::from_bytes(&B256::repeat_byte(5))
            .unwrap()
            .address();
        assert_eq!(v[0].signer, signer5);
        assert_eq!(v[0].owner, signer5);
        assert_eq!(v[0].amount, U256::from(1000));
        assert_eq!(v[1].owner, Address::repeat_byte(0x11));
        // `power` is the RootChain power: 1 unless given.
        assert_eq!((v[0].power, v[1].power), (1, 3));
        let set = root_chain_set(&v);
        assert!(set.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(set.contains(&(signer5, U256::from(1))));
        let genesis = root_chain_genesis(1337, &v);
        assert_eq!(
            genesis.account_root,
            format!(
                "{:#x}",
                bttc_engine_contracts::checkpoint::account_root(&[
                    (v[1].signer, U256::from(3)),
                    (signer5, U256::from(1))
                ])
            )
        );
        assert_eq!(
            genesis
                .validators
                .iter()
                .map(|r| (r.signer.clone(), r.power))
                .collect::<Vec<_>>(),
            set.iter()
                .map(|(s, p)| (format!("{s:#x}"), p.saturating_to::<u64>()))
                .collect::<Vec<_>>()
        );
        for bad_power in ["0", "-1", "\"3\"", "1.5"] {
            let text = format!(r#"[{{"signer_pubkey":"{a}","amount":"1","power":{bad_power}}}]"#);
            assert!(
                parse_genesis_validators(&text).is_err(),
                "power {bad_power} was accepted"
            );
        }
        let zero = format!(r#"[{{"signer_pubkey":"{a}","amount":"1","power":0}}]"#);
        assert!(parse_genesis_validators(&zero)
            .unwrap_err()
            .to_string()
            .contains("power 0"));

        let one = |pk: &str, amount: &str| {
            parse_genesis_validators(&format!(
                r#"[{{"signer_pubkey":"{pk}","amount":"{amount}"}}]"#
            ))
            .unwrap_err()
            .to_string()
        };
        assert!(one(&a[..a.len() - 2], "1").contains("65 bytes"));
        assert!(one(&a.replacen("0x04", "0x03", 1), "1").contains("65 bytes"));
        // X = 0 is not on the curve.
        let off_curve = format!("0x04{}{}", "00".repeat(32), &a[68..]);
        assert!(one(&off_curve, "1").contains("secp256k1"));
        assert!(one("zz", "1").contains("hex"));
        assert!(one(&a, "0").contains("below"));
        assert!(one(&a, "-5").contains("decimal"));
        assert!(one(&a, "1e18").contains("decimal"));
        let dup = format!(
            r#"[{{"signer_pubkey":"{a}","amount":"1"}},{{"signer_pubkey":"{a}","amount":"2"}}]"#
        );
        assert!(parse_genesis_validators(&dup)
            .unwrap_err()
            .to_string()
            .contains("same signer"));
        assert!(parse_genesis_validators("{}").is_err());
    }

    #[test]
    fn a_compressed_signer_key_is_refused_with_its_uncompressed_form() {
        let k = PrivateKeySigner::from_bytes(&B256::repeat_byte(5)).unwrap();
        let point = k.credential().verifying_key().to_encoded_point(true);
        let short = format!("0x{}", alloy_primitives::hex::encode(point.as_bytes()));
        let err = parse_signer_pubkey(&short).unwrap_err().to_string();
        assert!(
            err.ends_with(&format!("its uncompressed form is {}", pubkey_hex(5))),
            "{err}"
        );
        let (bytes, signer) = parse_signer_pubkey(&pubkey_hex(5)).unwrap();
        assert_eq!((bytes.len(), signer), (65, k.address()));
    }

    #[test]
    fn default_chain_ids_differ_from_the_bttc_dev_chain() {
        assert!(default_staking(RootChainKind::Tron));
        assert!(!default_staking(RootChainKind::Eth));
        assert!(!default_staking(RootChainKind::Bsc));
        assert_eq!(default_chain_id(RootChainKind::Tron).unwrap(), 728_126_428);
        assert_eq!(default_chain_id(RootChainKind::Eth).unwrap(), 31_337);
        assert!(default_chain_id(RootChainKind::Bsc).is_err());
    }
}
