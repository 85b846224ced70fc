//! `deliveryd tx …`: build, sign and broadcast transactions through CometBFT's RPC.
//!
//! [`TxContext::broadcast`] looks up the account number and sequence, signs, sends with
//! `broadcast_tx_sync` (the CheckTx result) and, with `--wait`, polls until the transaction is
//! in a block; [`finish`] prints the report and turns a refusal into one error line
//! (`transaction rejected (<codespace>/<code>): <log>`). The gov transactions are in [`gov`],
//! their proposal file in [`proposal`].

// Indexing a serde_json::Value reads Null on a miss; it cannot panic on the objects built here.
#![allow(clippy::indexing_slicing)]

use std::time::Duration;

use anyhow::{bail, Context as _};
use delivery_auth::{build_signed_tx, AnyMsg, SignerData};
use delivery_module::Address;
use serde_json::{json, Value};

mod gov;
mod proposal;

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
    /// Governance: submit a proposal, deposit on it, vote on it (validators).
    #[command(subcommand)]
    Gov(gov::GovTx),
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
        TxCommand::Gov(command) => gov::run(command, home, output),
    }
}

/// A broadcast transaction: the report printed, and its result's events when it was waited for.
pub struct Sent {
    /// `{txhash, code, codespace, log[, height]}`.
    pub report: Value,
    /// The block result's events (`[{type, attributes: [{key, value}]}]`; empty without
    /// `--wait` or on a refusal).
    pub events: Vec<Value>,
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

    /// Looks up the account, signs `msgs`, broadcasts them and prints the result; a refusal
    /// is an error.
    pub fn sign_and_broadcast(
        &self,
        output: OutputFormat,
        msgs: &[AnyMsg],
        flags: &TxFlags,
    ) -> anyhow::Result<()> {
        let sent = self.broadcast(msgs, flags)?;
        finish(output, sent.report, &[])
    }

    /// Looks up the account, signs `msgs` and broadcasts them; with `--wait`, waits for the
    /// block and reports the block's result. Prints nothing.
    pub fn broadcast(&self, msgs: &[AnyMsg], flags: &TxFlags) -> anyhow::Result<Sent> {
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
        let mut events = Vec::new();
        if code == 0 && flags.wait {
            let included = wait_for_tx(&self.rpc, &hash, Duration::from_secs(60))?;
            let tx_result = included.get("tx_result").cloned().unwrap_or(Value::Null);
            let deliver_code = rpc::int(tx_result.get("code").unwrap_or(&Value::Null))?;
            report["height"] = included.get("height").cloned().unwrap_or(Value::Null);
            report["code"] = json!(deliver_code);
            report["codespace"] = tx_result.get("codespace").cloned().unwrap_or(Value::Null);
            report["log"] = tx_result.get("log").cloned().unwrap_or(Value::Null);
            if deliver_code == 0 {
                events = tx_result
                    .get("events")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
            }
        }
        Ok(Sent { report, events })
    }
}

/// Adds `extra` fields to `report`, prints it (JSON, or aligned lines), and turns a non-zero
/// code into the error `transaction rejected (<codespace>/<code>): <log>`.
pub fn finish(
    output: OutputFormat,
    mut report: Value,
    extra: &[(&'static str, Value)],
) -> anyhow::Result<()> {
    for (key, value) in extra {
        report[*key] = value.clone();
    }
    output::emit(output, &report, || report_text(&report, extra))?;
    match refusal(&report) {
        Some(line) => bail!(line),
        None => Ok(()),
    }
}

/// The one-line error of a report with a non-zero code (CheckTx or the block's result).
pub fn refusal(report: &Value) -> Option<String> {
    let code = report["code"].as_u64().unwrap_or(0);
    (code != 0).then(|| {
        format!(
            "transaction rejected ({}/{}): {}",
            report["codespace"].as_str().unwrap_or_default(),
            code,
            report["log"]
                .as_str()
                .unwrap_or_default()
                .replace('\n', " ")
        )
    })
}

/// The text form of a broadcast report.
pub fn report_text(report: &Value, extra: &[(&'static str, Value)]) -> String {
    let final_code = report["code"].as_u64().unwrap_or(0);
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
    for (key, value) in extra {
        rows.push((
            key,
            match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        ));
    }
    output::fields(&rows)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_check_tx_refusal_reads_as_one_line() {
        let log = "0x00000000000000000000000000000000000000bb is not the signer of an active \
                   validator: one validator, one vote (delegators and other accounts do not vote)";
        let report = json!({"txhash": "AB", "code": 7, "codespace": "gov", "log": log});
        assert_eq!(
            refusal(&report).unwrap(),
            format!("transaction rejected (gov/7): {log}")
        );
        assert_eq!(
            report_text(&report, &[]),
            format!("txhash:     AB\ncode:       7\ncodespace:  gov\nlog:        {log}")
        );
        let multi = json!({"code": 6, "codespace": "gov", "log": "a\nb"});
        assert_eq!(
            refusal(&multi).unwrap(),
            "transaction rejected (gov/6): a b"
        );
    }

    #[test]
    fn a_committed_report_lists_the_extra_fields() {
        let report = json!({"txhash": "CD", "code": 0, "codespace": "", "log": "",
            "height": "41"});
        assert!(refusal(&report).is_none());
        assert_eq!(
            report_text(
                &report,
                &[
                    ("proposal_id", json!(3)),
                    ("status", json!("voting_period"))
                ]
            ),
            "txhash:       CD\ncode:         0\nheight:       41\nproposal_id:  3\nstatus:       \
             voting_period"
        );
    }
}
