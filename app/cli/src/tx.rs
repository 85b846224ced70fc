//! `deliveryd tx …`: build, sign and broadcast transactions through CometBFT's RPC.

// Indexing a serde_json::Value reads Null on a miss; it cannot panic on the objects built here.
#![allow(clippy::indexing_slicing)]

use std::time::Duration;

use anyhow::{bail, Context as _};
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_module::Address;
use serde_json::{json, Value};

use crate::amount;
use crate::home::Home;
use crate::output::{self, OutputFormat};
use crate::rpc::{self, RpcClient};

/// Flags every transaction takes.
#[derive(clap::Args, Debug, Clone)]
pub struct TxFlags {
    /// The keyring name of the signing key.
    #[arg(long)]
    pub from: String,
    /// The chain the transaction is for (default: app.toml's client.chain_id).
    #[arg(long)]
    pub chain_id: Option<String>,
    /// CometBFT RPC URL (default: app.toml's client.rpc_url).
    #[arg(long)]
    pub node: Option<String>,
    /// The fee, e.g. `1000000000000000abtt` or `0.001btt` (default: the chain's minimum).
    #[arg(long)]
    pub fees: Option<String>,
    /// Gas limit (informational: Delivery charges a flat fee).
    #[arg(long, default_value_t = 200_000)]
    pub gas: u64,
    /// A note stored with the transaction.
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Sign with this sequence instead of asking the node (for several txs in one block).
    #[arg(long)]
    pub sequence: Option<u64>,
    /// Keyring selection.
    #[command(flatten)]
    pub keyring: crate::keyring::KeyringArgs,
    /// Wait until the transaction is in a block and report its result.
    #[arg(long)]
    pub wait: bool,
}

/// `tx` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TxCommand {
    /// Bank transactions.
    #[command(subcommand)]
    Bank(BankTx),
}

/// `tx bank` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum BankTx {
    /// Send BTT: `tx bank send <to-address> <amount> --from <key>`.
    Send {
        /// Recipient `0x` address.
        to: String,
        /// Amount: `1000abtt` or `1.5btt`.
        amount: String,
        /// Common flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

/// `tx` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: TxCommand,
}

/// Runs a `tx` subcommand.
pub fn run(args: Args, globals: &crate::Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let home = &home;
    let output = globals.output;
    match args.command {
        TxCommand::Bank(BankTx::Send { to, amount, flags }) => {
            let to: Address = to.parse().context("recipient")?;
            let amount = amount::parse(&amount)?;
            if amount == 0 {
                bail!("amount must be greater than 0");
            }
            let ctx = TxContext::load(home, &flags)?;
            let msg = delivery_bank::MsgSend {
                from_address: ctx.key.address().to_string(),
                to_address: to.to_string(),
                amount: amount.to_string(),
            };
            ctx.sign_and_broadcast(output, &[AnyMsg::pack(&msg)], &flags)
        }
    }
}

/// Everything needed to sign for one account.
pub struct TxContext {
    /// The node.
    pub rpc: RpcClient,
    /// The chain id.
    pub chain_id: String,
    /// The signing key.
    pub key: delivery_module::SecretKey,
}

impl TxContext {
    /// Loads the key and the node settings.
    pub fn load(home: &Home, flags: &TxFlags) -> anyhow::Result<Self> {
        let config = crate::config::AppConfig::load(&home.app_toml()).ok();
        let node = flags
            .node
            .clone()
            .or_else(|| config.as_ref().map(|c| c.client.rpc_url.clone()))
            .unwrap_or_else(|| "http://127.0.0.1:26657".to_string());
        let chain_id = match (&flags.chain_id, &config) {
            (Some(id), _) => id.clone(),
            (None, Some(c)) => c.client.chain_id.clone(),
            (None, None) => bail!(
                "--chain-id is required (no app.toml in {})",
                home.root().display()
            ),
        };
        let backend = flags.keyring.backend(home)?;
        let key = crate::keyring::load_signer(home, &flags.from, &backend)?;
        Ok(Self {
            rpc: RpcClient::new(&node)?,
            chain_id,
            key,
        })
    }

    /// Looks up the account, signs `msgs` and broadcasts them.
    pub fn sign_and_broadcast(
        &self,
        output: OutputFormat,
        msgs: &[AnyMsg],
        flags: &TxFlags,
    ) -> anyhow::Result<()> {
        let address = self.key.address();
        let account = self
            .rpc
            .query_json("custom/auth/account", address.to_string().as_bytes())
            .with_context(|| format!("looking up account {address}"))?;
        let account_number = rpc::int(account.get("account_number").unwrap_or(&Value::Null))?;
        let sequence = match flags.sequence {
            Some(s) => s,
            None => rpc::int(account.get("sequence").unwrap_or(&Value::Null))?,
        };
        let fee = match &flags.fees {
            Some(f) => amount::parse(f)?,
            None => {
                let params = self.rpc.query_json("custom/auth/params", b"")?;
                params
                    .get("min_fee")
                    .and_then(Value::as_str)
                    .context("auth params have no min_fee")?
                    .parse()
                    .context("auth params min_fee")?
            }
        };
        let signer = SignerData {
            chain_id: self.chain_id.clone(),
            account_number,
            sequence,
        };
        let tx = build_signed_tx(&self.key, &signer, msgs, fee, flags.gas, &flags.memo);
        let hash = delivery_module::crypto::sha256(&tx);
        let result = self.rpc.broadcast_tx_sync(&tx)?;
        let code = rpc::int(result.get("code").unwrap_or(&Value::Null))?;
        let mut report = json!({
            "txhash": hex::encode_upper(hash),
            "code": code,
            "codespace": result.get("codespace").cloned().unwrap_or(Value::Null),
            "log": result.get("log").cloned().unwrap_or(Value::Null),
        });
        if code == 0 && flags.wait {
            let included = wait_for_tx(&self.rpc, &hash, Duration::from_secs(60))?;
            let tx_result = included.get("tx_result").cloned().unwrap_or(Value::Null);
            let deliver_code = rpc::int(tx_result.get("code").unwrap_or(&Value::Null))?;
            report["height"] = included.get("height").cloned().unwrap_or(Value::Null);
            report["code"] = json!(deliver_code);
            report["codespace"] = tx_result.get("codespace").cloned().unwrap_or(Value::Null);
            report["log"] = tx_result.get("log").cloned().unwrap_or(Value::Null);
        }
        let final_code = report["code"].as_u64().unwrap_or(0);
        output::emit(output, &report, || {
            let mut rows = vec![
                (
                    "txhash",
                    report["txhash"].as_str().unwrap_or_default().to_string(),
                ),
                ("code", final_code.to_string()),
            ];
            if let Some(h) = report.get("height").and_then(Value::as_str) {
                rows.push(("height", h.to_string()));
            }
            if final_code != 0 {
                rows.push((
                    "codespace",
                    report["codespace"].as_str().unwrap_or_default().to_string(),
                ));
                rows.push((
                    "log",
                    report["log"].as_str().unwrap_or_default().to_string(),
                ));
            }
            output::fields(&rows)
        })?;
        if final_code != 0 {
            bail!(
                "transaction rejected ({}/{}): {}",
                report["codespace"].as_str().unwrap_or_default(),
                final_code,
                report["log"].as_str().unwrap_or_default()
            );
        }
        Ok(())
    }
}

/// Polls `tx` until the transaction is in a block.
pub fn wait_for_tx(rpc: &RpcClient, hash: &[u8], timeout: Duration) -> anyhow::Result<Value> {
    #[allow(clippy::disallowed_methods)] // a CLI timeout, not consensus time
    let start = std::time::Instant::now();
    loop {
        if let Some(found) = rpc.tx(hash)? {
            return Ok(found);
        }
        if start.elapsed() > timeout {
            bail!(
                "transaction {} not in a block after {timeout:?}",
                hex::encode_upper(hash)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
