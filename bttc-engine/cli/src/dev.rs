//! `bttc dev`: a standalone auto-mining dev chain. One process, one engine, funded dev
//! accounts, the Ethereum JSON-RPC on 127.0.0.1:8545, blocks every `--block-time` or as soon as
//! transactions arrive (`--on-tx`). Account 0 seals the blocks and receives the tips.
//!
//! With `--root-chain <tron|eth|bsc>` the chain plays a root chain for Delivery: the root
//! contracts are deployed in its first blocks and listed in a root-contracts file
//! ([`crate::rootchain`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{keccak256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{bail, Context as _};
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;
use serde::{Deserialize, Serialize};

use crate::datadir::{write_atomic, DataDir};
use crate::producer::{produce, Produced};
use crate::rootchain::{self, GenesisValidator, RootChainSetup};
use delivery_rootchain::RootChainKind;

/// `bttc dev` flags.
#[derive(clap::Args, Debug)]
pub struct DevArgs {
    /// Data directory [default: ~/.bttc/dev]. An existing dev chain there is resumed.
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// Delete the dev chain in the data directory first.
    #[arg(long)]
    pub reset: bool,
    /// Chain id of a new dev chain (not with --root-chain: see --root-chain-id).
    #[arg(long, default_value_t = 1337, conflicts_with = "root_chain")]
    pub chain_id: u64,
    /// Number of funded dev accounts of a new dev chain.
    #[arg(long, default_value_t = 10)]
    pub accounts: u8,
    /// Interval between blocks (e.g. 2s, 500ms); blocks are made even when empty.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub block_time: Duration,
    /// Mine a block as soon as transactions are pending instead of on a timer.
    #[arg(long)]
    pub on_tx: bool,
    /// Ethereum JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub http_addr: std::net::SocketAddr,
    /// Play a root chain (tron, eth or bsc): deploy the root contracts (staking token,
    /// TestToken, StakeManager, StateSender, RootChainManager + ERC20Predicate, and RootChain
    /// with --genesis-validators) in the first blocks and write the root-contracts file.
    #[arg(long, value_name = "KIND")]
    pub root_chain: Option<RootChainKind>,
    /// Chain id of a new dev root chain [default: 728126428 for tron (TRON mainnet's), 31337
    /// for eth; required for bsc].
    #[arg(long, value_name = "N", requires = "root_chain")]
    pub root_chain_id: Option<u64>,
    /// Also write the root-contracts file here (it is always written to
    /// <datadir>/root-contracts.json).
    #[arg(long, value_name = "FILE", requires = "root_chain")]
    pub contracts_out: Option<PathBuf>,
    /// The genesis validators: a JSON list of {"signer_pubkey": "0x04…", "amount": "decimal
    /// atto-BTT", "owner": "0x…" (optional, default the signer), "power": N (optional,
    /// default 1)}. They are the genesis set of the RootChain (deployed only with this flag)
    /// and are funded with native coin; where the chain holds staking (--staking) they are also
    /// staked, in order (ids 1..n).
    #[arg(long, value_name = "FILE", requires = "root_chain")]
    pub genesis_validators: Option<PathBuf>,
    /// Whether this root chain holds staking: stake --genesis-validators on its StakeManager and
    /// make its RootChain the StakeManager's checkpoint manager [default: true on tron, false on
    /// eth and bsc; `--staking` alone means true].
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        requires = "root_chain"
    )]
    pub staking: Option<bool>,
    /// The BTTC chain id the RootChain accepts checkpoints of (its `bttcChainId`).
    #[arg(
        long,
        value_name = "N",
        default_value_t = rootchain::DEV_BTTC_CHAIN_ID,
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "root_chain"
    )]
    pub bttc_chain_id: u64,
}

/// Balance of every dev account: one million BTT.
fn dev_balance() -> U256 {
    // 10^24 wei.
    U256::from(1_000_000_000_000_000_000_000_000u128)
}

/// Dev key `i`: `keccak256("bttc dev account <i>")`. Public knowledge: never hold value.
pub fn dev_key(i: u32) -> anyhow::Result<PrivateKeySigner> {
    let seed = keccak256(format!("bttc dev account {i}"));
    PrivateKeySigner::from_bytes(&seed).with_context(|| format!("deriving dev key {i}"))
}

/// The first `n` dev keys ([`dev_key`]).
pub fn dev_keys(n: u8) -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..n).map(|i| dev_key(u32::from(i))).collect()
}

/// One entry of `dev-accounts.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DevAccount {
    /// Checksummed address.
    pub address: String,
    /// 0x-hex private key.
    pub private_key: String,
}

/// Runs `bttc dev`.
pub fn run(args: DevArgs) -> anyhow::Result<()> {
    let dir = match &args.datadir {
        Some(d) => DataDir::resolve(Some(d))?,
        None => DataDir::resolve(None)
            .map(|d| d.root().join("dev"))
            .and_then(|p| DataDir::resolve(Some(&p)))?,
    };
    if args.reset && dir.root().exists() {
        std::fs::remove_dir_all(dir.root())
            .with_context(|| format!("removing {}", dir.root().display()))?;
    }
    dir.create()?;
    let validators: Vec<GenesisValidator> = match &args.genesis_validators {
        Some(path) => rootchain::read_genesis_validators(path)?,
        None => Vec::new(),
    };
    let chain_id = match args.root_chain {
        Some(kind) => match args.root_chain_id {
            Some(id) => id,
            None => rootchain::default_chain_id(kind)?,
        },
        None => args.chain_id,
    };
    // On a root chain the deployer, the validator owners and the validators' signers (they
    // submit checkpoints and pay for them) get funds too.
    let mut extra_funded = Vec::new();
    if args.root_chain.is_some() {
        extra_funded.push(rootchain::deployer_key()?.address());
        extra_funded.extend(validators.iter().map(|v| v.owner));
        extra_funded.extend(validators.iter().map(|v| v.signer));
    }
    let keys = ensure_dev_chain(&dir, &args, chain_id, &extra_funded)?;
    let spec = ChainSpec::from_file(&dir.genesis())
        .with_context(|| format!("reading {}", dir.genesis().display()))?;
    let chain_id = spec.chain_id;
    let engine = Arc::new(
        InProcessEngine::open(&dir.chaindata(), spec)
            .with_context(|| format!("opening the engine in {}", dir.chaindata().display()))?,
    );
    let producer = keys
        .first()
        .cloned()
        .context("the dev chain has no accounts")?;
    let root = match args.root_chain {
        Some(kind) => {
            let accounts: Vec<_> = keys.iter().map(|k| k.address()).collect();
            let setup = RootChainSetup {
                kind,
                chain_id,
                datadir: dir.root(),
                accounts: &accounts,
                validators: &validators,
                staking: args
                    .staking
                    .unwrap_or_else(|| rootchain::default_staking(kind)),
                bttc_chain_id: args.bttc_chain_id,
                producer: &producer,
            };
            Some(rootchain::ensure_deployed(&engine, &setup)?)
        }
        None => None,
    };

    println!("bttc dev chain {chain_id} in {}", dir.root().display());
    println!(
        "Funded accounts (also in {}):",
        dir.dev_accounts().display()
    );
    for (i, k) in keys.iter().enumerate() {
        println!(
            "  ({i}) {}  key 0x{}",
            k.address(),
            alloy_primitives::hex::encode(k.to_bytes())
        );
    }
    println!("These keys are public: never send real value to them.");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let rpc = crate::start::serve_eth_rpc(Arc::clone(&engine), args.http_addr, None).await?;
        if let Some(mut file) = root {
            file.rpc_url = format!("http://{}", rpc.local_addr());
            let text = format!("{}\n", serde_json::to_string_pretty(&file)?);
            let path = rootchain::contracts_file(dir.root());
            write_atomic(&path, text.as_bytes())?;
            if let Some(out) = &args.contracts_out {
                write_atomic(out, text.as_bytes())?;
            }
            let c = &file.contracts;
            println!(
                "Root chain {} (chain id {}), contracts deployed at block {}, listed in {}:",
                file.chain_type,
                file.chain_id,
                file.deploy_block,
                args.contracts_out.as_deref().unwrap_or(&path).display()
            );
            for (name, a) in [
                ("StakeManager", &c.stake_manager),
                ("StateSender", &c.state_sender),
                ("RootChainManager", &c.root_chain_manager),
                ("ERC20Predicate", &c.erc20_predicate),
                ("staking token (BTT)", &c.staking_token),
                ("TestToken", &c.test_token),
            ] {
                println!("  {name:<20} {}", shown(a));
            }
            match (&c.root_chain, &file.root_chain_genesis) {
                (Some(a), Some(g)) => println!(
                    "  {:<20} {}  ({} validators, account root {}, BTTC chain id {}{})",
                    "RootChain",
                    shown(a),
                    g.validators.len(),
                    g.account_root,
                    g.bttc_chain_id,
                    if file.validators.is_empty() {
                        ""
                    } else {
                        "; the StakeManager's checkpoint manager"
                    }
                ),
                _ => println!(
                    "  {:<20} none deployed: start a new data directory with \
                     --genesis-validators to deploy one",
                    "RootChain"
                ),
            }
            println!("  validators staked    {}", file.validators.len());
        }
        println!(
            "Ethereum JSON-RPC on http://{0} and ws://{0}",
            rpc.local_addr()
        );
        let stop = Arc::new(AtomicBool::new(false));
        let miner = {
            let (engine, stop) = (Arc::clone(&engine), Arc::clone(&stop));
            let mode = if args.on_tx {
                Mode::OnTx
            } else {
                Mode::Interval(args.block_time)
            };
            std::thread::Builder::new()
                .name("bttc-dev-miner".into())
                .spawn(move || mine(&engine, &producer, mode, &stop))
                .context("starting the miner thread")?
        };
        crate::start::shutdown_signal().await;
        tracing::info!("shutting down");
        stop.store(true, Ordering::Relaxed);
        rpc.stop();
        rpc.stopped().await;
        match tokio::task::spawn_blocking(move || miner.join()).await {
            Ok(Ok(result)) => result,
            _ => bail!("the miner thread panicked"),
        }
    })
}

/// A root contract's address, with its base58check form on TRON.
fn shown(a: &bttc_engine_contracts::root_contracts::ContractAddress) -> String {
    match &a.base58 {
        Some(b) => format!("{}  {b}", a.address),
        None => a.address.clone(),
    }
}

/// When the miner makes blocks.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// A block every interval, empty or not.
    Interval(Duration),
    /// A block whenever the pool has executable transactions.
    OnTx,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The miner loop; returns when `stop` is set, or on an engine failure (which ends the node:
/// a dev chain that silently stops mining would be worse).
pub fn mine(
    engine: &InProcessEngine,
    producer: &PrivateKeySigner,
    mode: Mode,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let poll = Duration::from_millis(25);
    let mut next = std::time::Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let skip_empty = match mode {
            Mode::Interval(every) => {
                if std::time::Instant::now() < next {
                    std::thread::sleep(poll);
                    continue;
                }
                next = std::time::Instant::now()
                    .checked_add(every)
                    .context("--block-time is too large")?;
                false
            }
            Mode::OnTx => {
                if engine.pool_len().map_err(anyhow::Error::from)? == 0 {
                    std::thread::sleep(poll);
                    continue;
                }
                true
            }
        };
        match produce(engine, producer, unix_now(), skip_empty)? {
            Produced::Block(p) => tracing::info!(
                number = p.block_number,
                hash = %p.block_hash,
                txs = p.transactions.len(),
                gas_used = p.gas_used,
                "mined block"
            ),
            // Only queued (gapped) transactions: wait for more.
            Produced::SkippedEmpty => std::thread::sleep(poll),
        }
    }
    Ok(())
}

/// Creates the dev chain's genesis and account file if the data directory has none; returns
/// the dev keys.
fn ensure_dev_chain(
    dir: &DataDir,
    args: &DevArgs,
    chain_id: u64,
    extra_funded: &[alloy_primitives::Address],
) -> anyhow::Result<Vec<PrivateKeySigner>> {
    if dir.genesis().exists() {
        let text = std::fs::read_to_string(dir.dev_accounts()).with_context(|| {
            format!(
                "{} has a genesis but no dev-accounts.json: not a dev chain (use --reset or another --datadir)",
                dir.root().display()
            )
        })?;
        let accounts: Vec<DevAccount> = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", dir.dev_accounts().display()))?;
        return accounts
            .iter()
            .map(|a| {
                a.private_key
                    .parse::<PrivateKeySigner>()
                    .with_context(|| format!("bad key for {} in dev-accounts.json", a.address))
            })
            .collect();
    }
    if args.accounts == 0 {
        bail!("--accounts must be at least 1 (account 0 seals the blocks)");
    }
    let keys = dev_keys(args.accounts)?;
    let funded: std::collections::BTreeMap<_, _> = keys
        .iter()
        .map(|k| k.address())
        .chain(extra_funded.iter().copied())
        .map(|a| (a, dev_balance()))
        .collect();
    let funded: Vec<_> = funded.into_iter().collect();
    let genesis = bttc_engine_contracts::dev_genesis_json(chain_id, &funded)
        .context("building the dev genesis")?;
    let accounts: Vec<DevAccount> = keys
        .iter()
        .map(|k| DevAccount {
            address: k.address().to_checksum(None),
            private_key: format!("0x{}", alloy_primitives::hex::encode(k.to_bytes())),
        })
        .collect();
    write_atomic(
        &dir.dev_accounts(),
        format!("{}\n", serde_json::to_string_pretty(&accounts)?).as_bytes(),
    )?;
    // The genesis last: its presence marks a complete dev chain.
    write_atomic(
        &dir.genesis(),
        format!("{}\n", serde_json::to_string_pretty(&genesis)?).as_bytes(),
    )?;
    Ok(keys)
}
