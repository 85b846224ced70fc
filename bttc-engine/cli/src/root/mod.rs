//! `bttc root …`: staking on a root chain's StakeManager over its Ethereum JSON-RPC (a `bttc dev
//! --root-chain` chain, or any EVM chain with the root contracts; TRON's JSON-RPC answers the
//! read-only commands).
//!
//! - `stake`: approves the staking token if the allowance is short, then `stakeFor`; prints the
//!   new validator id and its activation epoch.
//! - `restake`, `update-signer`, `unstake`, `claim`: a validator owner's other calls.
//! - `set-epoch`: the StakeManager owner's (on a dev chain, `--deployer`).
//! - `validator`, `info`: reads.
//!
//! The contracts come from a root-contracts file
//! ([`bttc_engine_contracts::root_contracts`]); the RPC from `--rpc` or the file's `rpc_url`.
//! A transaction is checked with `eth_estimateGas` first: one that would revert is not sent,
//! and its revert (a StakeManager custom error) is said in words ([`revert::explain`]).
//! Progress goes to stderr; the result to stdout as text or, with `--output json`, one JSON
//! document.

mod inputs;
mod revert;
mod rpc;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256, U64};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{bail, Context as _};
use bttc_engine_contracts::abi::{IStakeManager, IERC20};
use bttc_engine_contracts::root_contracts::RootContractsFile;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::txsign::{Fees, Unsigned};
use inputs::{parse_address, parse_amount};
use revert::status_name;
use rpc::{Rpc, RpcError};

/// The tip offered when the node does not suggest one (1 gwei).
const DEFAULT_TIP: u128 = 1_000_000_000;
/// How often a receipt is asked for.
const RECEIPT_POLL: Duration = Duration::from_millis(250);
/// How often "still waiting" is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// `bttc root` flags.
#[derive(clap::Args, Debug)]
pub struct RootArgs {
    #[command(subcommand)]
    command: RootCommand,
    /// How to print the result: text, or one JSON document.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

/// How a command prints its result.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Lines for people.
    Text,
    /// One pretty-printed JSON document for scripts.
    Json,
}

#[derive(clap::Subcommand, Debug)]
enum RootCommand {
    /// Stake a new validator: approve the staking token if needed, then stakeFor.
    Stake(StakeArgs),
    /// Add stake to an active validator (its owner only).
    Restake(RestakeArgs),
    /// Give an active validator a new signer key (its owner only).
    UpdateSigner(UpdateSignerArgs),
    /// Start a validator's exit at the current epoch (its owner only).
    Unstake(IdArgs),
    /// Take an unstaked validator's stake back once the withdrawal delay is over.
    Claim(IdArgs),
    /// Set the StakeManager's current epoch (its owner or checkpoint manager only).
    SetEpoch(SetEpochArgs),
    /// Show a validator's record.
    Validator(ValidatorArgs),
    /// Show the StakeManager's settings and totals.
    Info(InfoArgs),
    /// Exit a burn on BTTC: send `RootChainManager.exit(payload)` with the payload `deliveryd
    /// query exit-payload` printed; the burned amount goes to the burner.
    Exit(ExitArgs),
}

/// Which root chain and contracts.
#[derive(clap::Args, Debug)]
struct ChainArgs {
    /// The root-contracts file (`bttc dev --root-chain` writes <datadir>/root-contracts.json).
    #[arg(long, value_name = "FILE", env = "BTTC_ROOT_CONTRACTS")]
    contracts: PathBuf,
    /// The root chain's JSON-RPC URL [default: the file's rpc_url].
    #[arg(long, value_name = "URL", env = "BTTC_ROOT_RPC")]
    rpc: Option<String>,
    /// How long to wait for each RPC answer, and for a transaction to be mined.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

/// Who signs (exactly one).
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
struct SenderArgs {
    /// A file holding the sender's secp256k1 key: 64 hex digits (optional 0x), or a deliveryd
    /// test-keyring key file.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// The bttc dev account N (key keccak256("bttc dev account N"); public, dev chains only).
    #[arg(long, value_name = "N")]
    dev_account: Option<u32>,
    /// The dev root chains' deployer (key keccak256("bttc dev root deployer"); public), the
    /// StakeManager's owner on a dev root chain.
    #[arg(long)]
    deployer: bool,
}

impl SenderArgs {
    fn key(&self) -> anyhow::Result<PrivateKeySigner> {
        match (&self.key_file, self.dev_account, self.deployer) {
            (Some(path), None, false) => inputs::read_key_file(path),
            (None, Some(n), false) => crate::dev::dev_key(n),
            (None, None, true) => crate::rootchain::deployer_key(),
            _ => bail!("give exactly one of --key-file, --dev-account and --deployer"),
        }
    }
}

#[derive(clap::Args, Debug)]
struct StakeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The new validator's signer public key: 0x04 ‖ X ‖ Y (65 bytes, uncompressed secp256k1).
    #[arg(long, value_name = "HEX", value_parser = parse_pubkey)]
    signer_pubkey: SignerPubkey,
    /// The stake, in atto units of the staking token (decimal).
    #[arg(long, value_name = "ATTO", value_parser = parse_amount)]
    amount: U256,
    /// The validator token's owner (0x hex or TRON base58) [default: the sender].
    #[arg(long, value_name = "ADDRESS", value_parser = parse_address)]
    owner: Option<Address>,
}

#[derive(clap::Args, Debug)]
struct RestakeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The validator id.
    #[arg(long, value_name = "N")]
    validator_id: u64,
    /// The stake to add, in atto units (decimal).
    #[arg(long, value_name = "ATTO", value_parser = parse_amount)]
    amount: U256,
}

#[derive(clap::Args, Debug)]
struct UpdateSignerArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The validator id.
    #[arg(long, value_name = "N")]
    validator_id: u64,
    /// The new signer public key: 0x04 ‖ X ‖ Y (65 bytes).
    #[arg(long, value_name = "HEX", value_parser = parse_pubkey)]
    signer_pubkey: SignerPubkey,
}

#[derive(clap::Args, Debug)]
struct IdArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The validator id.
    #[arg(long, value_name = "N")]
    validator_id: u64,
}

#[derive(clap::Args, Debug)]
struct ExitArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The exit payload (0x hex), as `deliveryd query exit-payload` prints it.
    #[arg(long, value_name = "HEX")]
    payload: Bytes,
}

#[derive(clap::Args, Debug)]
struct SetEpochArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sender: SenderArgs,
    /// The new epoch (above the current one).
    #[arg(long, value_name = "E")]
    epoch: u64,
}

#[derive(clap::Args, Debug)]
struct ValidatorArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The validator id.
    #[arg(long, value_name = "N")]
    validator_id: u64,
}

#[derive(clap::Args, Debug)]
struct InfoArgs {
    #[command(flatten)]
    chain: ChainArgs,
}

/// A parsed signer public key and its address.
#[derive(Debug, Clone)]
struct SignerPubkey {
    bytes: Bytes,
    signer: Address,
}

fn parse_pubkey(text: &str) -> anyhow::Result<SignerPubkey> {
    let (bytes, signer) = crate::rootchain::parse_signer_pubkey(text)?;
    Ok(SignerPubkey { bytes, signer })
}

/// Runs `bttc root`.
pub fn run(args: RootArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let format = args.output;
    let (value, text) = runtime.block_on(async move {
        match args.command {
            RootCommand::Stake(a) => stake(a).await,
            RootCommand::Restake(a) => restake(a).await,
            RootCommand::UpdateSigner(a) => update_signer(a).await,
            RootCommand::Unstake(a) => unstake(a).await,
            RootCommand::Claim(a) => claim(a).await,
            RootCommand::SetEpoch(a) => set_epoch(a).await,
            RootCommand::Validator(a) => validator(a).await,
            RootCommand::Info(a) => info(a).await,
            RootCommand::Exit(a) => exit(a).await,
        }
    })?;
    let rendered = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&value)?,
        OutputFormat::Text => text,
    };
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{rendered}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A command's result: JSON and text.
type Output = (Value, String);

/// Aligned `label:  value` lines.
fn fields(rows: &[(&str, String)]) -> String {
    let width = rows
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    rows.iter()
        .map(|(label, value)| format!("{:<width$}  {value}", format!("{label}:")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `uint256` the StakeManager returns where a small number is expected (ids, epochs, nonces).
fn small(value: U256, what: &str) -> anyhow::Result<u64> {
    u64::try_from(value)
        .map_err(|_| anyhow::anyhow!("the StakeManager returned {what} {value}: more than 2^64"))
}

/// A mined transaction.
#[derive(Debug)]
struct Mined {
    tx_hash: B256,
    block: u64,
    /// Status 1 (a receipt without a status counts as failed).
    success: bool,
    logs: Vec<RawLog>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReceipt {
    transaction_hash: B256,
    #[serde(default)]
    block_number: Option<U64>,
    #[serde(default)]
    status: Option<U64>,
    #[serde(default)]
    logs: Vec<RawLog>,
}

#[derive(Debug, Deserialize)]
struct RawLog {
    address: Address,
    topics: Vec<B256>,
    data: Bytes,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBlock {
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
}

/// One root chain's StakeManager, reached over JSON-RPC.
struct Root {
    rpc: Rpc,
    chain_id: u64,
    stake_manager: Address,
    root_chain_manager: Address,
    tron: bool,
    timeout: Duration,
}

impl Root {
    /// Reads the root-contracts file and checks the node is that chain.
    async fn open(args: &ChainArgs) -> anyhow::Result<Self> {
        let path = &args.contracts;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the root-contracts file {}", path.display()))?;
        let file: RootContractsFile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a root-contracts file", path.display()))?;
        let url = match &args.rpc {
            Some(url) => url.clone(),
            None if !file.rpc_url.trim().is_empty() => file.rpc_url.trim().to_owned(),
            None => bail!(
                "{} has no rpc_url: pass --rpc URL (or set BTTC_ROOT_RPC)",
                path.display()
            ),
        };
        let stake_manager = parse_address(&file.contracts.stake_manager.address)
            .with_context(|| format!("{}: contracts.stake_manager", path.display()))?;
        let root_chain_manager = parse_address(&file.contracts.root_chain_manager.address)
            .with_context(|| format!("{}: contracts.root_chain_manager", path.display()))?;
        let rpc = Rpc::new(&url, args.timeout)?;
        let chain_id: U64 = rpc.request("eth_chainId", json!([])).await?;
        let chain_id = chain_id.to::<u64>();
        if chain_id != file.chain_id {
            bail!(
                "the node at {} is chain {chain_id}, but {} describes chain {} ({}): wrong --rpc?",
                rpc.endpoint(),
                path.display(),
                file.chain_id,
                file.chain_type
            );
        }
        Ok(Self {
            rpc,
            chain_id,
            stake_manager,
            root_chain_manager,
            tron: file.chain_type == "tron",
            timeout: args.timeout,
        })
    }

    /// An address for people: `0x…`, and its base58 form on TRON.
    fn show(&self, a: Address) -> String {
        if self.tron {
            format!("{a} ({})", delivery_rootchain::tron::to_base58(&a.0 .0))
        } else {
            a.to_string()
        }
    }

    /// A view call at the latest block.
    async fn view<C: SolCall>(&self, to: Address, call: &C) -> anyhow::Result<C::Return> {
        let params = json!([{"to": to, "data": Bytes::from(call.abi_encode())}, "latest"]);
        let out: Bytes = match self.rpc.request("eth_call", params).await {
            Ok(out) => out,
            Err(e) => match e.revert_data() {
                Some(data) => bail!("{}: {}", C::SIGNATURE, revert::explain(&data)),
                None => return Err(e.into()),
            },
        };
        if out.is_empty() {
            bail!(
                "{} returned nothing: no contract answers at {to} (is the root-contracts file for \
                 this chain?)",
                C::SIGNATURE
            );
        }
        C::abi_decode_returns(&out)
            .map_err(|e| anyhow::anyhow!("{} at {to}: undecodable answer: {e}", C::SIGNATURE))
    }

    /// A view call on the StakeManager.
    async fn sm<C: SolCall>(&self, call: &C) -> anyhow::Result<C::Return> {
        self.view(self.stake_manager, call).await
    }

    /// The fees for a transaction sent now: EIP-1559 when the latest block has a base fee.
    async fn fees(&self) -> anyhow::Result<Fees> {
        let block: Option<RawBlock> = self
            .rpc
            .request("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        let block = block.context("the node has no latest block")?;
        match block.base_fee_per_gas {
            Some(base) => {
                let base = u128::try_from(base)
                    .map_err(|_| anyhow::anyhow!("the base fee {base} is above 2^128"))?;
                let tip = match self
                    .rpc
                    .request::<U256>("eth_maxPriorityFeePerGas", json!([]))
                    .await
                {
                    Ok(tip) => u128::try_from(tip).unwrap_or(DEFAULT_TIP),
                    Err(RpcError::Node { .. }) => DEFAULT_TIP,
                    Err(e) => return Err(e.into()),
                };
                crate::txsign::eip1559(base, tip)
            }
            None => {
                let price: U256 = self.rpc.request("eth_gasPrice", json!([])).await?;
                let gas_price = u128::try_from(price)
                    .map_err(|_| anyhow::anyhow!("the gas price {price} is above 2^128"))?;
                Ok(Fees::Legacy { gas_price })
            }
        }
    }

    /// Sends `call` to `to` from `key` and waits until it is mined. A call that would revert
    /// is not sent: the error says why.
    async fn send<C: SolCall>(
        &self,
        key: &PrivateKeySigner,
        to: Address,
        call: &C,
        what: &str,
    ) -> anyhow::Result<Mined> {
        let from = key.address();
        let input = Bytes::from(call.abi_encode());
        let estimate: Result<U64, RpcError> = self
            .rpc
            .request(
                "eth_estimateGas",
                json!([{"from": from, "to": to, "data": input}]),
            )
            .await;
        let estimate = match estimate {
            Ok(gas) => gas.to::<u64>(),
            Err(e) => match e.revert_data() {
                Some(data) => bail!("{what}: {}", revert::explain(&data)),
                None => {
                    return Err(anyhow::Error::from(e).context(format!("{what}: estimating gas")))
                }
            },
        };
        // A quarter more than the estimate, for state that changes before it is mined.
        let gas_limit = estimate
            .checked_add(estimate / 4)
            .context("the gas estimate overflows")?;
        let fees = self.fees().await?;
        let cost = U256::from(gas_limit).saturating_mul(U256::from(fees.max_per_gas()));
        let balance: U256 = self
            .rpc
            .request("eth_getBalance", json!([from, "latest"]))
            .await?;
        if balance < cost {
            bail!(
                "{what}: the sender {} has {balance} wei for gas; the transaction may cost up to \
                 {cost} ({gas_limit} gas at {} wei)",
                self.show(from),
                fees.max_per_gas()
            );
        }
        let nonce: U64 = self
            .rpc
            .request("eth_getTransactionCount", json!([from, "pending"]))
            .await?;
        let (hash, raw) = crate::txsign::sign(
            key,
            Unsigned {
                chain_id: self.chain_id,
                nonce: nonce.to::<u64>(),
                gas_limit,
                fees,
                to: TxKind::Call(to),
                input: input.clone(),
            },
        )?;
        let sent: B256 = self
            .rpc
            .request("eth_sendRawTransaction", json!([Bytes::from(raw)]))
            .await
            .with_context(|| format!("{what}: sending the transaction"))?;
        if sent != hash {
            bail!("{what}: the node names the transaction {sent}, but its hash is {hash}");
        }
        eprintln!("{what}: sent {hash}, waiting for it to be mined");
        let mined = self.wait(hash, what).await?;
        if !mined.success {
            // It passed the estimate, so the state changed in between: say what it is now.
            let params = json!([{"from": from, "to": to, "data": input}, "latest"]);
            let now = match self.rpc.request::<Bytes>("eth_call", params).await {
                Err(e) => e.revert_data().map(|d| revert::explain(&d)),
                Ok(_) => None,
            };
            bail!(
                "{what}: transaction {hash} failed in block {}{}",
                mined.block,
                now.map(|why| format!(" (run again now it would fail with: {why})"))
                    .unwrap_or_default()
            );
        }
        eprintln!("{what}: mined in block {}", mined.block);
        Ok(mined)
    }

    /// Polls for the receipt of `hash` until the timeout.
    async fn wait(&self, hash: B256, what: &str) -> anyhow::Result<Mined> {
        let start = tokio::time::Instant::now();
        let mut next_note = PROGRESS_EVERY;
        loop {
            let receipt: Option<RawReceipt> = self
                .rpc
                .request("eth_getTransactionReceipt", json!([hash]))
                .await?;
            if let Some(r) = receipt {
                if let Some(block) = r.block_number {
                    if r.transaction_hash != hash {
                        bail!(
                            "asked for the receipt of {hash}, got that of {}",
                            r.transaction_hash
                        );
                    }
                    return Ok(Mined {
                        tx_hash: hash,
                        block: block.to::<u64>(),
                        success: r.status.map(|s| s.to::<u64>()) == Some(1),
                        logs: r.logs,
                    });
                }
            }
            let waited = start.elapsed();
            if waited >= self.timeout {
                bail!(
                    "{what}: transaction {hash} was not mined within {} (it may still be: look \
                     it up before sending again)",
                    humantime::format_duration(self.timeout)
                );
            }
            if waited >= next_note {
                eprintln!("{what}: still waiting ({}s)", waited.as_secs());
                next_note = next_note.saturating_add(PROGRESS_EVERY);
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }

    /// The first `E` event the StakeManager logged in `mined`.
    fn event<E: SolEvent>(&self, mined: &Mined) -> anyhow::Result<E> {
        self.event_of(self.stake_manager, "StakeManager", mined)
    }

    /// The first `E` event `emitter` (named `name` in errors) logged in `mined`.
    fn event_of<E: SolEvent>(
        &self,
        emitter: Address,
        name: &str,
        mined: &Mined,
    ) -> anyhow::Result<E> {
        mined
            .logs
            .iter()
            .filter(|l| l.address == emitter)
            .find_map(|l| E::decode_raw_log(l.topics.iter().copied(), &l.data).ok())
            .with_context(|| {
                format!(
                    "the receipt of {} has no {} event of the {name}",
                    mined.tx_hash,
                    E::SIGNATURE
                )
            })
    }

    /// Approves `amount` of the staking token for the StakeManager if `from`'s allowance is
    /// short, after checking `from` holds it. Returns the approval's hash if one was sent.
    async fn fund(&self, key: &PrivateKeySigner, amount: U256) -> anyhow::Result<Option<B256>> {
        let from = key.address();
        let token = self.sm(&IStakeManager::tokenCall {}).await?;
        let balance = self
            .view(token, &IERC20::balanceOfCall { holder: from })
            .await?;
        if balance < amount {
            bail!(
                "the sender {} holds {balance} of the staking token {}, less than {amount}",
                self.show(from),
                self.show(token)
            );
        }
        let allowance = self
            .view(
                token,
                &IERC20::allowanceCall {
                    owner: from,
                    spender: self.stake_manager,
                },
            )
            .await?;
        if allowance >= amount {
            return Ok(None);
        }
        let mined = self
            .send(
                key,
                token,
                &IERC20::approveCall {
                    spender: self.stake_manager,
                    value: amount,
                },
                "approve",
            )
            .await?;
        Ok(Some(mined.tx_hash))
    }

    /// Checks `validator_id` is active and owned by `from`.
    async fn check_owned_active(&self, validator_id: u64, from: Address) -> anyhow::Result<()> {
        let id = U256::from(validator_id);
        let owner = self.sm(&IStakeManager::ownerOfCall { tokenId: id }).await?;
        if owner != from {
            bail!(
                "only validator {validator_id}'s owner {} may do this, not {}",
                self.show(owner),
                self.show(from)
            );
        }
        let status = self
            .sm(&IStakeManager::validatorStatusCall { validatorId: id })
            .await?;
        if status != 1 {
            bail!(
                "validator {validator_id} is not active: its status is {}",
                status_name(status)
            );
        }
        Ok(())
    }
}

async fn stake(args: StakeArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let from = key.address();
    let owner = args.owner.unwrap_or(from);
    if owner.is_zero() {
        bail!("the owner must not be the zero address");
    }
    let SignerPubkey { bytes, signer } = args.signer_pubkey;
    let root = Root::open(&args.chain).await?;
    let min = root.sm(&IStakeManager::minStakeCall {}).await?;
    if args.amount < min || args.amount.is_zero() {
        bail!(
            "the stake {} is below the StakeManager's minimum stake {min}",
            args.amount
        );
    }
    let holder = root
        .sm(&IStakeManager::signerToValidatorCall { signer })
        .await?;
    if !holder.is_zero() {
        bail!(
            "signer {signer} already serves validator {holder}: stake another signer key (a \
             signer is released when its validator's stake is claimed)"
        );
    }
    let approve_tx = root.fund(&key, args.amount).await?;
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::stakeForCall {
                user: owner,
                amount: args.amount,
                signerPubkey: bytes,
            },
            "stakeFor",
        )
        .await?;
    let e: IStakeManager::Staked = root.event(&mined)?;
    let id = small(e.validatorId, "validator id")?;
    let epoch = small(e.activationEpoch, "activation epoch")?;
    let value = json!({
        "validator_id": id,
        "signer": e.signer,
        "owner": owner,
        "amount": e.amount.to_string(),
        "activation_epoch": epoch,
        "nonce": small(e.nonce, "nonce")?,
        "total_staked": e.total.to_string(),
        "tx_hash": mined.tx_hash,
        "block": mined.block,
        "approve_tx_hash": approve_tx,
    });
    let text = fields(&[
        ("validator id", id.to_string()),
        ("signer", root.show(e.signer)),
        ("owner", root.show(owner)),
        ("amount", e.amount.to_string()),
        ("activation epoch", epoch.to_string()),
        ("total staked", e.total.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn restake(args: RestakeArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    if args.amount.is_zero() {
        bail!("the amount to add must be more than zero");
    }
    root.check_owned_active(args.validator_id, key.address())
        .await?;
    let approve_tx = root.fund(&key, args.amount).await?;
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::restakeCall {
                validatorId: U256::from(args.validator_id),
                amount: args.amount,
            },
            "restake",
        )
        .await?;
    let e: IStakeManager::StakeUpdate = root.event(&mined)?;
    let nonce = small(e.nonce, "nonce")?;
    let value = json!({
        "validator_id": args.validator_id,
        "added": args.amount.to_string(),
        "new_amount": e.newAmount.to_string(),
        "nonce": nonce,
        "tx_hash": mined.tx_hash,
        "block": mined.block,
        "approve_tx_hash": approve_tx,
    });
    let text = fields(&[
        ("validator id", args.validator_id.to_string()),
        ("added", args.amount.to_string()),
        ("new amount", e.newAmount.to_string()),
        ("nonce", nonce.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn update_signer(args: UpdateSignerArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    let SignerPubkey { bytes, signer } = args.signer_pubkey;
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::updateSignerCall {
                validatorId: U256::from(args.validator_id),
                signerPubkey: bytes,
            },
            "updateSigner",
        )
        .await?;
    let e: IStakeManager::SignerChange = root.event(&mined)?;
    if e.newSigner != signer {
        bail!(
            "the SignerChange event names signer {}, not {signer}",
            e.newSigner
        );
    }
    let nonce = small(e.nonce, "nonce")?;
    let value = json!({
        "validator_id": args.validator_id,
        "old_signer": e.oldSigner,
        "new_signer": e.newSigner,
        "nonce": nonce,
        "tx_hash": mined.tx_hash,
        "block": mined.block,
    });
    let text = fields(&[
        ("validator id", args.validator_id.to_string()),
        ("old signer", root.show(e.oldSigner)),
        ("new signer", root.show(e.newSigner)),
        ("nonce", nonce.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn unstake(args: IdArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::unstakeCall {
                validatorId: U256::from(args.validator_id),
            },
            "unstake",
        )
        .await?;
    let e: IStakeManager::UnstakeInit = root.event(&mined)?;
    let epoch = small(e.deactivationEpoch, "deactivation epoch")?;
    let delay = small(
        root.sm(&IStakeManager::withdrawalDelayCall {}).await?,
        "withdrawal delay",
    )?;
    let claimable = epoch
        .checked_add(delay)
        .context("the claimable epoch overflows")?;
    let value = json!({
        "validator_id": args.validator_id,
        "deactivation_epoch": epoch,
        "claimable_epoch": claimable,
        "amount": e.amount.to_string(),
        "nonce": small(e.nonce, "nonce")?,
        "tx_hash": mined.tx_hash,
        "block": mined.block,
    });
    let text = fields(&[
        ("validator id", args.validator_id.to_string()),
        ("deactivation epoch", epoch.to_string()),
        ("claimable from epoch", claimable.to_string()),
        ("amount", e.amount.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn claim(args: IdArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::unstakeClaimCall {
                validatorId: U256::from(args.validator_id),
            },
            "unstakeClaim",
        )
        .await?;
    let e: IStakeManager::Unstaked = root.event(&mined)?;
    let value = json!({
        "validator_id": args.validator_id,
        "owner": e.user,
        "amount": e.amount.to_string(),
        "total_staked": e.total.to_string(),
        "tx_hash": mined.tx_hash,
        "block": mined.block,
    });
    let text = fields(&[
        ("validator id", args.validator_id.to_string()),
        ("paid to", root.show(e.user)),
        ("amount", e.amount.to_string()),
        ("total staked", e.total.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn exit(args: ExitArgs) -> anyhow::Result<Output> {
    use bttc_engine_contracts::exit::IRootChainManagerExit as Exit;
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    let manager = root.root_chain_manager;
    let root_chain: Address = root.view(manager, &Exit::rootChainCall {}).await?;
    if root_chain == Address::ZERO {
        bail!(
            "the RootChainManager {} has no RootChain set: this root chain takes no exits yet",
            root.show(manager)
        );
    }
    let mined = root
        .send(
            &key,
            manager,
            &Exit::exitCall {
                inputData: args.payload,
            },
            "exit",
        )
        .await?;
    let e: Exit::ExitProcessed = root.event_of(manager, "RootChainManager", &mined)?;
    let value = json!({
        "exit_key": e.exitKey,
        "exitor": e.exitor,
        "root_token": e.rootToken,
        "child_token": e.childToken,
        "amount": e.amount.to_string(),
        "tx_hash": mined.tx_hash,
        "block": mined.block,
    });
    let text = fields(&[
        ("exit key", e.exitKey.to_string()),
        ("paid to", root.show(e.exitor)),
        ("root token", root.show(e.rootToken)),
        ("child token", e.childToken.to_string()),
        ("amount", e.amount.to_string()),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn set_epoch(args: SetEpochArgs) -> anyhow::Result<Output> {
    let key = args.sender.key()?;
    let root = Root::open(&args.chain).await?;
    let before = small(
        root.sm(&IStakeManager::currentEpochCall {}).await?,
        "current epoch",
    )?;
    if args.epoch <= before {
        bail!(
            "the epoch only rises: it is {before}, and {} is not above it",
            args.epoch
        );
    }
    let mined = root
        .send(
            &key,
            root.stake_manager,
            &IStakeManager::setCurrentEpochCall {
                epoch: U256::from(args.epoch),
            },
            "setCurrentEpoch",
        )
        .await?;
    let e: IStakeManager::CurrentEpochSet = root.event(&mined)?;
    let epoch = small(e.epoch, "epoch")?;
    let value = json!({
        "previous_epoch": before,
        "epoch": epoch,
        "tx_hash": mined.tx_hash,
        "block": mined.block,
    });
    let text = fields(&[
        ("epoch", format!("{epoch} (was {before})")),
        ("tx", mined.tx_hash.to_string()),
        ("block", mined.block.to_string()),
    ]);
    Ok((value, text))
}

async fn validator(args: ValidatorArgs) -> anyhow::Result<Output> {
    let root = Root::open(&args.chain).await?;
    let id = U256::from(args.validator_id);
    let v = root
        .sm(&IStakeManager::getValidatorCall { validatorId: id })
        .await?;
    if v.status == 0 {
        let count = root.sm(&IStakeManager::validatorCountCall {}).await?;
        bail!(
            "there is no validator {} ({count} validators were ever staked, with ids from 1)",
            args.validator_id
        );
    }
    // The token is burnt at the claim: no owner then.
    let owner = match v.status {
        3 => None,
        _ => Some(root.sm(&IStakeManager::ownerOfCall { tokenId: id }).await?),
    };
    let activation = small(v.activationEpoch, "activation epoch")?;
    let deactivation = small(v.deactivationEpoch, "deactivation epoch")?;
    let claimable = if v.status == 2 {
        let delay = small(
            root.sm(&IStakeManager::withdrawalDelayCall {}).await?,
            "withdrawal delay",
        )?;
        Some(
            deactivation
                .checked_add(delay)
                .context("the claimable epoch overflows")?,
        )
    } else {
        None
    };
    let nonce = small(v.nonce, "nonce")?;
    let value = json!({
        "validator_id": args.validator_id,
        "status": status_name(v.status),
        "signer": v.signer,
        "signer_pubkey": v.signerPubkey,
        "owner": owner,
        "amount": v.amount.to_string(),
        "activation_epoch": activation,
        "deactivation_epoch": deactivation,
        "claimable_epoch": claimable,
        "nonce": nonce,
    });
    let mut rows = vec![
        ("validator id", args.validator_id.to_string()),
        ("status", status_name(v.status).to_owned()),
        ("signer", root.show(v.signer)),
        ("signer pubkey", v.signerPubkey.to_string()),
        (
            "owner",
            owner.map_or_else(|| "(none: token burnt)".to_owned(), |o| root.show(o)),
        ),
        ("amount", v.amount.to_string()),
        ("activation epoch", activation.to_string()),
    ];
    if v.status >= 2 {
        rows.push(("deactivation epoch", deactivation.to_string()));
    }
    if let Some(c) = claimable {
        rows.push(("claimable from epoch", c.to_string()));
    }
    rows.push(("nonce", nonce.to_string()));
    Ok((value, fields(&rows)))
}

async fn info(args: InfoArgs) -> anyhow::Result<Output> {
    let root = Root::open(&args.chain).await?;
    let token = root.sm(&IStakeManager::tokenCall {}).await?;
    let epoch = small(
        root.sm(&IStakeManager::currentEpochCall {}).await?,
        "current epoch",
    )?;
    let min = root.sm(&IStakeManager::minStakeCall {}).await?;
    let delay = small(
        root.sm(&IStakeManager::withdrawalDelayCall {}).await?,
        "withdrawal delay",
    )?;
    let count = small(
        root.sm(&IStakeManager::validatorCountCall {}).await?,
        "validator count",
    )?;
    let total = root.sm(&IStakeManager::totalStakedCall {}).await?;
    let owner = root.sm(&IStakeManager::ownerCall {}).await?;
    let manager = root.sm(&IStakeManager::checkpointManagerCall {}).await?;
    let head: U64 = root.rpc.request("eth_blockNumber", json!([])).await?;
    let value = json!({
        "chain_id": root.chain_id,
        "block": head.to::<u64>(),
        "stake_manager": root.stake_manager,
        "staking_token": token,
        "current_epoch": epoch,
        "min_stake": min.to_string(),
        "withdrawal_delay": delay,
        "validator_count": count,
        "total_staked": total.to_string(),
        "owner": owner,
        "checkpoint_manager": manager,
    });
    let text = fields(&[
        ("chain id", root.chain_id.to_string()),
        ("block", head.to::<u64>().to_string()),
        ("stake manager", root.show(root.stake_manager)),
        ("staking token", root.show(token)),
        ("current epoch", epoch.to_string()),
        ("min stake", min.to_string()),
        (
            "withdrawal delay",
            format!("{delay} epoch{}", if delay == 1 { "" } else { "s" }),
        ),
        ("validators", count.to_string()),
        ("total staked", total.to_string()),
        ("owner", root.show(owner)),
        (
            "checkpoint manager",
            if manager.is_zero() {
                "(none)".to_owned()
            } else {
                root.show(manager)
            },
        ),
    ]);
    Ok((value, text))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fields_align_their_values() {
        assert_eq!(
            fields(&[("a", "1".into()), ("long label", "2".into())]),
            "a:           1\nlong label:  2"
        );
    }

    #[test]
    fn small_numbers_fit_or_are_refused() {
        assert_eq!(small(U256::from(7), "epoch").unwrap(), 7);
        assert!(small(U256::MAX, "epoch")
            .unwrap_err()
            .to_string()
            .contains("epoch"));
    }
}
