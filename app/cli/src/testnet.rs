//! `deliveryd testnet`: the homes of an N-validator network on loopback.
//!
//! ```text
//! DIR/node0 .. DIR/node{N-1}   complete node homes (as `init` writes), one shared genesis
//! DIR/accounts/                a client home whose test keyring holds the K extra accounts
//! DIR/testnet.json             the network for scripts and tests
//! ```
//!
//! Node `i` uses ports `base + 10*i + offset`: p2p +0, CometBFT RPC +1, ABCI +2, Prometheus +3;
//! +4 to +9 are left for the node's later services (REST, engine API, Ethereum JSON-RPC).
//!
//! **Root chains.** A network that follows dev root chains is written in three steps, because the
//! staking root chain must stake the validators' signer keys before the genesis can list them:
//!
//! 1. `deliveryd testnet --signers-only --validators N --output-dir DIR` draws the N signer keys
//!    and writes `DIR/genesis-validators.json` (what `bttc dev --root-chain tron
//!    --genesis-validators` stakes, as validators 1..N) and `DIR/signer-keys.json` (mode 0600).
//! 2. The root chains start (`bttc dev --root-chain tron --genesis-validators
//!    DIR/genesis-validators.json`, `bttc dev --root-chain eth --genesis-validators
//!    DIR/genesis-validators.json`: every chain deploys a RootChain with that set, only tron
//!    stakes it) and write their `root-contracts.json`.
//! 3. `deliveryd testnet --validators N --output-dir DIR --root-chain tron.json --root-chain
//!    eth.json …` uses the signer keys of step 1 (and deletes `signer-keys.json`), checks that
//!    the staking chain staked exactly those signers as ids 1..N and that every chain's
//!    RootChain has exactly those signers (with their Delivery power) as its validator set
//!    (and, on the staking chain, is the StakeManager's), puts the chains in the
//!    genesis's rootchain params (with the validators' `Staked` events marked applied and their
//!    staking nonce 1, as the root chain has them) and each node's `[bridge]` in app.toml.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use delivery_module::{Address, SecretKey};
use ed25519_dalek::SigningKey;
use serde::Serialize;

use crate::config::{self, AppConfig, CometConfig, ConsensusTimeouts, GenesisValidator};
use crate::home::{self, Home, Overwrite};
use crate::init::{self, NodeFiles, SIGNER_KEY_NAME};
use crate::keyring::{Backend, BackendKind, Keyring, KeyringArgs};
use crate::output;
use crate::Globals;

mod rootchains;

/// The most validators one `testnet` writes.
pub const MAX_VALIDATORS: u16 = 100;
/// The most extra accounts one `testnet` writes.
pub const MAX_ACCOUNTS: u32 = 100_000;
/// Ports reserved per node.
pub const PORTS_PER_NODE: u16 = 10;

/// `testnet` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of validators (1 to 100).
    #[arg(long, default_value_t = 4)]
    validators: u16,
    /// Full nodes after the validators (node<validators>…): funded signers, consensus keys and
    /// ports like a validator's, but neither staked nor in the genesis validator set, so each
    /// can join later by staking on the staking root chain (its bridge sends the join).
    #[arg(long, default_value_t = 0)]
    full_nodes: u16,
    /// Directory to write the network into; it must not exist or be empty.
    #[arg(long, value_name = "DIR", default_value = "./testnet")]
    output_dir: PathBuf,
    /// The chain id.
    #[arg(long, default_value = "deliveryd-testnet")]
    chain_id: String,
    /// First port: node i uses starting-port + 10*i + {0 p2p, 1 RPC, 2 ABCI, 3 Prometheus,
    /// 4 BTTC engine API, 5 BTTC Ethereum JSON-RPC}.
    #[arg(long, default_value_t = config::DEFAULT_P2P_PORT)]
    starting_port: u16,
    /// Target block interval, e.g. 1s or 500ms; CometBFT's timeout_commit is set to 90 % of it.
    #[arg(long, default_value = "1s", value_parser = config::parse_duration)]
    block_time: Duration,
    /// Extra funded accounts for load tests; their keys go to DIR/accounts (test keyring).
    #[arg(long, default_value_t = 0)]
    accounts: u32,
    /// Genesis balance of every validator signer and extra account, in the smallest unit.
    #[arg(long, default_value = init::DEFAULT_AMOUNT)]
    amount: u128,
    /// A BTTC genesis file (the one `bttc init --genesis` takes). With it, every node gets a
    /// copy at config/bttc-genesis.json, the app genesis names its genesis block, the
    /// validators' signers become the BTTC producers, and app.toml points at an engine API on
    /// port +4 (the node's Ethereum JSON-RPC goes on +5).
    #[arg(long, value_name = "FILE", conflicts_with = "bttc_dev_genesis")]
    bttc_genesis: Option<PathBuf>,
    /// Like --bttc-genesis with a generated dev genesis (DIR/bttc-genesis.json: chain id 1337,
    /// the system contracts, every signer and extra account funded with --amount wei).
    #[arg(long)]
    bttc_dev_genesis: bool,
    /// The dev genesis's BTTC block gas limit (default 30,000,000, as bor's; 1,000 transfers/s
    /// in 2 s blocks need at least 42,000,000).
    #[arg(long, requires = "bttc_dev_genesis", value_parser = clap::value_parser!(u64).range(5_000..))]
    bttc_gas_limit: Option<u64>,
    /// The producer schedule's params: `mainnet` (sprint 64, span 100 sprints) or `localnet`
    /// (sprint 4, span 16 blocks).
    #[arg(long, value_enum, default_value_t = SpanParams::Mainnet)]
    span_params: SpanParams,
    /// Producers drawn per span (overrides the params' producer count; validators beyond it
    /// are standbys).
    #[arg(long)]
    producers: Option<u32>,
    /// Only draw the validators' signer keys: write DIR/genesis-validators.json (for `bttc dev
    /// --root-chain tron --genesis-validators`) and DIR/signer-keys.json, which a second
    /// `testnet` into the same DIR (with --root-chain) uses.
    #[arg(long, conflicts_with = "root_chain")]
    signers_only: bool,
    /// A root chain to follow: the root-contracts.json `bttc dev --root-chain` wrote
    /// (repeatable). It goes into the genesis's rootchain params and each node's app.toml
    /// [bridge] (enabled).
    #[arg(long = "root-chain", value_name = "FILE")]
    root_chain: Vec<PathBuf>,
    /// The root chain holding staking (its StakeManager staked the validators) [default: the
    /// tron one, or the only one].
    #[arg(long, value_name = "NAME", requires = "root_chain")]
    staking_chain: Option<String>,
    /// Root-chain blocks a receipt must be deep before validators vote YES on it.
    #[arg(long, default_value_t = rootchains::DEV_CONFIRMATIONS, requires = "root_chain")]
    root_confirmations: u64,
    /// Seconds a buffered checkpoint waits for its ack before a validator may drop it with a
    /// no-ack (the checkpoint param `checkpoint_buffer_time`) [default: the span params' value,
    /// 60 on a localnet].
    #[arg(long, value_name = "SECONDS", requires = "root_chain")]
    checkpoint_buffer_time: Option<u64>,
    #[command(flatten)]
    keyring: KeyringArgs,
}

/// `--span-params`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanParams {
    /// Sprint 64 blocks, span 100 sprints.
    Mainnet,
    /// Sprint 4 blocks, span 16 blocks (the genesis span 8).
    Localnet,
}

impl SpanParams {
    /// The staking params that go with these span params: 16-block epochs on a localnet.
    fn staking_params(self) -> delivery_app::genesis::StakingParams {
        match self {
            Self::Mainnet => delivery_app::genesis::StakingParams::default(),
            Self::Localnet => delivery_app::genesis::StakingParams::localnet(),
        }
    }

    /// The checkpoint params that go with these span params: a checkpoint every 16 BTTC blocks
    /// on a localnet (256 on mainnet).
    fn checkpoint_params(self) -> delivery_checkpoint::Params {
        match self {
            Self::Mainnet => delivery_checkpoint::Params::default(),
            Self::Localnet => delivery_checkpoint::Params::localnet(),
        }
    }

    fn params(self) -> delivery_span::Params {
        match self {
            Self::Mainnet => delivery_span::Params::default(),
            Self::Localnet => delivery_span::Params::localnet(),
        }
    }
}

/// The ports of one node.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Ports {
    /// CometBFT p2p.
    pub p2p: u16,
    /// CometBFT RPC.
    pub rpc: u16,
    /// deliveryd's ABCI server.
    pub abci: u16,
    /// CometBFT Prometheus metrics (when enabled in config.toml).
    pub prometheus: u16,
    /// The node's BTTC engine API (`bttc start --authrpc-addr`).
    pub engine: u16,
    /// The node's BTTC Ethereum JSON-RPC (`bttc start --http-addr`).
    pub evm_rpc: u16,
}

/// Node `index`'s ports from `base`, or an error if they pass 65535.
pub fn ports(base: u16, index: u16) -> anyhow::Result<Ports> {
    let first = u32::from(index)
        .checked_mul(u32::from(PORTS_PER_NODE))
        .and_then(|offset| offset.checked_add(u32::from(base)));
    let port = |offset: u32| -> anyhow::Result<u16> {
        first
            .and_then(|f| f.checked_add(offset))
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "ports of node {index} pass 65535: lower --starting-port (node i uses {base} + 10*i .. +9)"
                )
            })
    };
    // The whole block of ten must fit, not only the ports used today.
    port(u32::from(PORTS_PER_NODE).saturating_sub(1))?;
    Ok(Ports {
        p2p: port(0)?,
        rpc: port(1)?,
        abci: port(2)?,
        prometheus: port(3)?,
        engine: port(4)?,
        evm_rpc: port(5)?,
    })
}

/// One node in testnet.json.
#[derive(Debug, Serialize)]
struct NodeReport {
    name: String,
    home: PathBuf,
    node_id: String,
    validator_address: String,
    validator_pub_key: String,
    signer_name: &'static str,
    signer_address: Address,
    /// The signer's uncompressed secp256k1 public key (0x04 ‖ X ‖ Y), as a StakeManager
    /// `stakeFor` takes it.
    signer_pubkey: String,
    /// In the genesis validator set (a `--full-nodes` node is not).
    validator: bool,
    /// `node_id@127.0.0.1:p2p`, as persistent_peers lists it.
    peer_address: String,
    p2p_laddr: String,
    rpc_laddr: String,
    rpc_url: String,
    abci_address: String,
    ports: Ports,
    /// With `--bttc-genesis`: how to run this node's engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    bttc: Option<NodeBttc>,
}

/// A node's BTTC engine in testnet.json: `bttc init --genesis <genesis> --datadir <datadir>`,
/// then `bttc start --datadir <datadir> --authrpc-addr <engine> --authrpc-jwtsecret
/// <jwt_secret> --http-addr <evm_rpc> --relay-url <rpc_url>`.
#[derive(Debug, Serialize)]
struct NodeBttc {
    genesis: PathBuf,
    datadir: PathBuf,
    jwt_secret: PathBuf,
    engine_addr: String,
    evm_rpc_addr: String,
}

/// One extra account in testnet.json.
#[derive(Debug, Serialize)]
struct AccountReport {
    name: String,
    address: Address,
    key_file: PathBuf,
}

/// testnet.json.
#[derive(Debug, Serialize)]
struct TestnetReport {
    chain_id: String,
    genesis_time: String,
    block_time: String,
    keyring_backend: &'static str,
    amount: String,
    nodes: Vec<NodeReport>,
    accounts_home: PathBuf,
    accounts: Vec<AccountReport>,
    /// The root chains the network follows (`--root-chain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    root_chains: Vec<rootchains::RootChainReport>,
}

struct NodePlan {
    name: String,
    home: Home,
    ports: Ports,
    node_key: SigningKey,
    validator_key: SigningKey,
    signer: SecretKey,
    validator: bool,
}

fn check_output_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut others = entries.filter(|e| {
                e.as_ref().map_or(true, |e| {
                    !rootchains::PREPARED_FILES
                        .iter()
                        .any(|f| e.file_name() == *f)
                })
            });
            if others.next().is_some() {
                anyhow::bail!(
                    "{} is not empty: choose another --output-dir or remove it first",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", dir.display()))),
    }
}

/// Runs `testnet`.
pub fn run(args: Args, globals: &Globals) -> anyhow::Result<()> {
    if args.validators == 0 || args.validators > MAX_VALIDATORS {
        anyhow::bail!(
            "--validators {} is out of range: expected 1 to {MAX_VALIDATORS}",
            args.validators
        );
    }
    let node_count = args
        .validators
        .checked_add(args.full_nodes)
        .filter(|n| *n <= MAX_VALIDATORS)
        .with_context(|| {
            format!(
                "--validators {} plus --full-nodes {} is more than {MAX_VALIDATORS} nodes",
                args.validators, args.full_nodes
            )
        })?;
    if args.accounts > MAX_ACCOUNTS {
        anyhow::bail!(
            "--accounts {} is out of range: expected 0 to {MAX_ACCOUNTS}",
            args.accounts
        );
    }
    if args.amount == 0 {
        anyhow::bail!("--amount must be positive");
    }
    config::validate_chain_id(&args.chain_id)?;
    let timeouts = ConsensusTimeouts::for_block_time(args.block_time)?;
    let last = node_count.saturating_sub(1);
    ports(args.starting_port, last)?;
    if args.signers_only {
        return rootchains::write_signers(&args.output_dir, args.validators, globals);
    }
    check_output_dir(&args.output_dir)?;
    let kind = args.keyring.keyring_backend.unwrap_or(BackendKind::Test);
    let backend = args.keyring.backend_of_kind(kind);
    if let Backend::File(source) = &backend {
        // Fail before writing anything.
        source.read_for_encryption()?;
    }
    home::create_dir(&args.output_dir, 0o755)?;
    let root = std::fs::canonicalize(&args.output_dir)
        .with_context(|| format!("cannot resolve {}", args.output_dir.display()))?;

    let prepared = rootchains::read_signers(&root, args.validators)?;
    let roots = rootchains::load(
        &args.root_chain,
        args.staking_chain.as_deref(),
        args.root_confirmations,
    )?;
    if roots.is_some() && prepared.is_none() {
        anyhow::bail!(
            "--root-chain needs the signer keys the staking root chain staked: run `deliveryd \
             testnet --signers-only` into {} first and start that root chain with \
             --genesis-validators {}",
            root.display(),
            root.join(rootchains::GENESIS_VALIDATORS_FILE).display()
        );
    }
    let mut signers = prepared.clone().unwrap_or_else(Vec::new).into_iter();
    let mut plans = Vec::with_capacity(usize::from(node_count));
    for index in 0..node_count {
        let name = format!("node{index}");
        plans.push(NodePlan {
            home: Home::new(root.join(&name)),
            name,
            ports: ports(args.starting_port, index)?,
            node_key: home::generate_ed25519(),
            validator_key: home::generate_ed25519(),
            // The prepared keys are the validators' (the staking chain staked them).
            signer: if index < args.validators {
                signers.next().unwrap_or_else(SecretKey::generate)
            } else {
                SecretKey::generate()
            },
            validator: index < args.validators,
        });
    }
    let peer_address = |plan: &NodePlan| {
        format!(
            "{}@127.0.0.1:{}",
            home::node_id(&plan.node_key.verifying_key()),
            plan.ports.p2p
        )
    };

    // Extra accounts: a client home with a test keyring.
    let accounts_home = Home::new(root.join("accounts"));
    let accounts_keyring = Keyring::open(&accounts_home, Backend::Test);
    let mut accounts = Vec::with_capacity(usize::try_from(args.accounts).unwrap_or(0));
    for index in 0..args.accounts {
        let name = format!("account{index}");
        let key = SecretKey::generate();
        accounts_keyring.add(&name, &key)?;
        accounts.push(AccountReport {
            key_file: accounts_keyring.path_of(&name)?,
            address: key.address(),
            name,
        });
    }

    // Full nodes are funded too (their bridges send their joins), but only validators stake.
    let validator_plans = || plans.iter().filter(|p| p.validator);
    let mut balances: Vec<(Address, u128)> = plans
        .iter()
        .map(|p| (p.signer.address(), args.amount))
        .collect();
    balances.extend(accounts.iter().map(|a| (a.address, args.amount)));
    let mut app_state = delivery_app::genesis::default_app_state(&balances);
    // Staking is the source of the validator set: validators 1..=n in node order, and CometBFT's
    // genesis validators (and the span producers) carry the power staking gives them.
    let mut staking_params = args.span_params.staking_params();
    if !args.root_chain.is_empty() {
        // With root chains, checkpoints land: an epoch is one checkpoint acked on the staking
        // chain, as the RootChain there moves the StakeManager's epoch (ADR 0008).
        staking_params.advance_epochs_by_blocks = false;
    }
    let power = u64::try_from(delivery_app::genesis::staking_power(&staking_params))
        .context("staking gives the genesis validators no power")?;
    let signer_keys: Vec<delivery_module::PublicKey> =
        validator_plans().map(|p| p.signer.public_key()).collect();
    let generated: Vec<delivery_app::genesis::GeneratedValidator<'_>> = validator_plans()
        .zip(&signer_keys)
        .map(|(p, signer)| delivery_app::genesis::GeneratedValidator {
            signer,
            consensus_pubkey: p.validator_key.verifying_key().to_bytes(),
        })
        .collect();
    let mut staking = delivery_app::genesis::staking_section(&generated, staking_params);
    if let Some(roots) = &roots {
        let signer_addresses: Vec<Address> =
            validator_plans().map(|p| p.signer.address()).collect();
        let applied = roots.check_staked(&signer_addresses)?;
        // Every root chain's RootChain holds the genesis set, for the BTTC chain checkpointed.
        let bttc_chain_id = if args.bttc_dev_genesis {
            Some(crate::bttc::DEV_EVM_CHAIN_ID)
        } else {
            match &args.bttc_genesis {
                Some(path) => Some(
                    bttc_engine_chainspec::ChainSpec::from_file(path)
                        .with_context(|| format!("{} is not a valid BTTC genesis", path.display()))?
                        .chain_id,
                ),
                None => None,
            }
        };
        roots.check_root_chains(&signer_addresses, power, bttc_chain_id)?;
        // The root chain's Staked events are the validators' joins: nonce 1, already applied.
        for v in &mut staking.validators {
            v.nonce = 1;
        }
        let section = delivery_rootchain::Genesis {
            params: roots.params.clone(),
            applied,
        };
        delivery_rootchain::genesis::validate(&section)
            .map_err(|e| anyhow::anyhow!("the root chains' rootchain genesis: {e}"))?;
        app_state
            .as_object_mut()
            .context("the default app state is not an object")?
            .insert("rootchain".into(), serde_json::to_value(&section)?);
        // Checkpoints of this BTTC chain to every root chain: the localnet lengths go with the
        // localnet span params.
        let mut params = args.span_params.checkpoint_params();
        if let Some(id) = bttc_chain_id {
            params.bttc_chain_id = id;
        }
        if let Some(seconds) = args.checkpoint_buffer_time {
            params.checkpoint_buffer_time = seconds;
        }
        params
            .validate()
            .map_err(|e| anyhow::anyhow!("--checkpoint-buffer-time: {e}"))?;
        let checkpoint = delivery_checkpoint::Genesis {
            params,
            ..delivery_checkpoint::Genesis::default()
        };
        app_state
            .as_object_mut()
            .context("the default app state is not an object")?
            .insert("checkpoint".into(), serde_json::to_value(&checkpoint)?);
    }
    app_state
        .as_object_mut()
        .context("the default app state is not an object")?
        .insert("staking".into(), serde_json::to_value(&staking)?);
    // Governance: localnet periods and deposits with the localnet span params.
    if args.span_params == SpanParams::Localnet {
        app_state
            .as_object_mut()
            .context("the default app state is not an object")?
            .insert(
                "gov".into(),
                serde_json::json!({ "params": delivery_gov::Params::localnet() }),
            );
    }
    let dev_genesis_path = root.join("bttc-genesis.json");
    if args.bttc_dev_genesis {
        let funded: Vec<_> = balances
            .iter()
            .map(|(a, v)| {
                (
                    alloy_primitives::Address::from(a.0),
                    alloy_primitives::U256::from(*v),
                )
            })
            .collect();
        let mut genesis =
            bttc_engine_contracts::dev_genesis_json(crate::bttc::DEV_EVM_CHAIN_ID, &funded)
                .context("building the BTTC dev genesis")?;
        if let (Some(limit), Some(obj)) = (args.bttc_gas_limit, genesis.as_object_mut()) {
            obj.insert("gasLimit".into(), format!("{limit:#x}").into());
        }
        home::write_file(
            &dev_genesis_path,
            serde_json::to_string_pretty(&genesis)?.as_bytes(),
            0o644,
            Overwrite::Refuse,
        )?;
    }
    let bttc_genesis_path = if args.bttc_dev_genesis {
        Some(dev_genesis_path)
    } else {
        args.bttc_genesis.clone()
    };
    let bttc_genesis = match &bttc_genesis_path {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --bttc-genesis {}", path.display()))?;
            let head = crate::bttc::genesis_block_of(path, &root.join(".bttc-genesis-check"))?;
            let producers: Vec<(u64, Address, u64)> = validator_plans()
                .zip(1u64..)
                .map(|(p, id)| (id, p.signer.address(), power))
                .collect();
            let mut params = args.span_params.params();
            if let Some(n) = args.producers {
                params.producer_count = n;
            }
            params
                .validate()
                .map_err(|e| anyhow::anyhow!("span params: {e}"))?;
            let (span, bttc) = crate::bttc::genesis_sections(&head, &producers, &params)?;
            let object = app_state
                .as_object_mut()
                .context("the default app state is not an object")?;
            object.insert("span".into(), span);
            object.insert("bttc".into(), bttc);
            Some(text)
        }
    };
    let validators: Vec<GenesisValidator> = validator_plans()
        .map(|p| GenesisValidator {
            name: p.name.clone(),
            pub_key: p.validator_key.verifying_key(),
            power,
        })
        .collect();
    let genesis_time = config::now_rfc3339();
    let genesis = config::genesis_json(&args.chain_id, &genesis_time, &validators, app_state)?;

    let mut nodes = Vec::with_capacity(plans.len());
    for plan in &plans {
        let peers: Vec<String> = plans
            .iter()
            .filter(|other| other.name != plan.name)
            .map(peer_address)
            .collect();
        let mut comet = CometConfig::single_node(&plan.name, timeouts);
        comet.proxy_app = format!("tcp://127.0.0.1:{}", plan.ports.abci);
        comet.rpc_laddr = format!("tcp://127.0.0.1:{}", plan.ports.rpc);
        comet.p2p_laddr = format!("tcp://127.0.0.1:{}", plan.ports.p2p);
        comet.persistent_peers = peers;
        comet.addr_book_strict = false;
        comet.allow_duplicate_ip = true;
        comet.prometheus_listen_addr = format!("127.0.0.1:{}", plan.ports.prometheus);
        let mut app = AppConfig::new(&args.chain_id, plan.ports.abci, plan.ports.rpc, kind);
        if bttc_genesis.is_some() {
            app.engine.url = format!("http://127.0.0.1:{}", plan.ports.engine);
        }
        if let Some(roots) = &roots {
            app.bridge = roots.bridge_config();
        }
        let files = NodeFiles {
            comet: &comet,
            app: &app,
            genesis: &genesis,
            node_key: Some(&plan.node_key),
            validator_key: Some(&plan.validator_key),
        };
        init::write_node_files(&plan.home, &files, Overwrite::Refuse)?;
        Keyring::open(&plan.home, backend.clone()).add(SIGNER_KEY_NAME, &plan.signer)?;
        let bttc = match &bttc_genesis {
            None => None,
            Some(text) => {
                let genesis = plan.home.config_dir().join("bttc-genesis.json");
                home::write_file(&genesis, text.as_bytes(), 0o644, Overwrite::Refuse)?;
                let jwt_secret = plan.home.resolve_path(&app.engine.jwt_secret);
                bttc_engine_authrpc::JwtSecret::load_or_create(&jwt_secret)
                    .with_context(|| format!("creating {}", jwt_secret.display()))?;
                Some(NodeBttc {
                    genesis,
                    datadir: plan.home.root().join("bttc"),
                    jwt_secret,
                    engine_addr: format!("127.0.0.1:{}", plan.ports.engine),
                    evm_rpc_addr: format!("127.0.0.1:{}", plan.ports.evm_rpc),
                })
            }
        };
        nodes.push(NodeReport {
            name: plan.name.clone(),
            home: plan.home.root().to_path_buf(),
            node_id: home::node_id(&plan.node_key.verifying_key()),
            validator_address: home::validator_address(&plan.validator_key.verifying_key()),
            validator_pub_key: home::pub_key_base64(&plan.validator_key.verifying_key()),
            signer_name: SIGNER_KEY_NAME,
            signer_address: plan.signer.address(),
            signer_pubkey: format!(
                "0x{}",
                hex::encode(plan.signer.public_key().to_uncompressed())
            ),
            validator: plan.validator,
            peer_address: peer_address(plan),
            p2p_laddr: comet.p2p_laddr.clone(),
            rpc_laddr: comet.rpc_laddr.clone(),
            rpc_url: app.client.rpc_url.clone(),
            abci_address: app.abci.listen_address.clone(),
            ports: plan.ports,
            bttc,
        });
    }

    let report = TestnetReport {
        chain_id: args.chain_id,
        genesis_time,
        block_time: config::go_duration(args.block_time),
        keyring_backend: kind.name(),
        amount: args.amount.to_string(),
        nodes,
        accounts_home: accounts_home.root().to_path_buf(),
        accounts,
        root_chains: roots
            .as_ref()
            .map(|r| r.report.clone())
            .unwrap_or_else(Vec::new),
    };
    let json = serde_json::to_string_pretty(&report)?;
    home::write_file(
        &root.join("testnet.json"),
        json.as_bytes(),
        0o644,
        Overwrite::Refuse,
    )?;
    if prepared.is_some() {
        // The keys now live in the nodes' keyrings only.
        rootchains::remove_signer_keys(&root)?;
    }

    output::emit(globals.output, &report, || {
        let mut lines = vec![format!(
            "Wrote a {}-validator testnet for chain {} to {}",
            report.nodes.iter().filter(|n| n.validator).count(),
            report.chain_id,
            root.display()
        )];
        for node in &report.nodes {
            lines.push(format!(
                "  {}  p2p {}  rpc {}  abci {}  signer {}{}",
                node.name,
                node.ports.p2p,
                node.ports.rpc,
                node.abci_address,
                node.signer_address,
                if node.validator { "" } else { "  (full node)" }
            ));
        }
        for c in &report.root_chains {
            lines.push(format!(
                "  root chain {} ({}, chain id {}{}) at {}",
                c.name,
                c.kind,
                c.chain_id,
                if c.staking { ", staking" } else { "" },
                c.rpc_url
            ));
        }
        if !report.accounts.is_empty() {
            lines.push(format!(
                "  {} funded accounts in {}",
                report.accounts.len(),
                report.accounts_home.display()
            ));
        }
        lines.push(format!(
            "  network description: {}",
            root.join("testnet.json").display()
        ));
        lines.join("\n")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ports_step_by_ten_and_stop_at_the_top() {
        assert_eq!(
            ports(26656, 0).unwrap(),
            Ports {
                p2p: 26656,
                rpc: 26657,
                abci: 26658,
                prometheus: 26659,
                engine: 26660,
                evm_rpc: 26661,
            }
        );
        assert_eq!(ports(26656, 3).unwrap().p2p, 26686);
        assert!(ports(65530, 0).is_err());
        assert!(ports(65526, 0).is_ok());
        assert!(ports(60000, 600).is_err());
    }
}
