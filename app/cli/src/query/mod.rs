//! `deliveryd query …`: read state through CometBFT's `abci_query` and blocks through its RPC.
//!
//! The modules' own queries have a submodule each ([`staking`], [`clerk`], [`rootchain`],
//! [`gov`]): a clap subcommand enum, the `custom/<module>/…` path it asks, and the text rendering
//! of the module's JSON answer (`--output json` prints that answer as is). [`exit`] builds a
//! withdrawal's exit payload from a BTTC node's receipts and Delivery's checkpoints.

// Indexing a serde_json::Value reads Null on a miss; it cannot panic on the objects built here.
#![allow(clippy::indexing_slicing)]

use anyhow::{bail, Context as _};
use delivery_module::Address;
use serde_json::{json, Value};

mod checkpoint;
mod clerk;
mod exit;
mod gov;
mod render;
mod rootchain;
mod staking;

use crate::amount;
use crate::home::Home;
use crate::output::{self, OutputFormat};
use crate::rpc::{self, RpcClient};

/// Flags every query takes.
#[derive(clap::Args, Debug, Clone)]
pub struct QueryFlags {
    /// CometBFT RPC URL (default: app.toml's client.rpc_url).
    #[arg(long, global = true)]
    pub node: Option<String>,
}

/// `query` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum QueryCommand {
    /// An account's number, sequence and key.
    Account {
        /// `0x` address.
        address: String,
    },
    /// An account's BTT balance.
    Balance {
        /// `0x` address.
        address: String,
        /// Also fetch a Merkle proof and verify it against the block header's app hash.
        #[arg(long)]
        prove: bool,
        /// The height to read (default: latest).
        #[arg(long, default_value_t = 0)]
        height: u64,
    },
    /// A transaction by hash, with its result.
    Tx {
        /// Hex hash.
        hash: String,
    },
    /// A block (latest by default).
    Block {
        /// Height.
        height: Option<u64>,
    },
    /// A module's params (`auth`, `span`, `staking`, `clerk`, `rootchain`).
    Params {
        /// Module name.
        module: String,
    },
    /// Validators, the active set and the epoch (the staking module).
    #[command(subcommand)]
    Staking(staking::StakingQuery),
    /// Checkpoints per root chain: acked, in flight, signatures, proposer (the checkpoint
    /// module).
    #[command(subcommand)]
    Checkpoint(checkpoint::CheckpointQuery),
    /// State-sync event records (the clerk module).
    #[command(subcommand)]
    Clerk(clerk::ClerkQuery),
    /// The root-chain registry and applied root events (the rootchain module).
    #[command(subcommand)]
    Rootchain(rootchain::RootchainQuery),
    /// Governance: proposals, votes, deposits, tallies, params, the upgrade plan (the gov
    /// module).
    #[command(subcommand)]
    Gov(gov::GovQuery),
    /// BTTC producer spans: `span latest`, `span id <N>`, `span producer-at <BTTC height>`.
    #[command(subcommand)]
    Span(SpanQuery),
    /// Delivery's record of a finalized BTTC block (the head by default).
    BttcBlock {
        /// BTTC block number.
        number: Option<u64>,
    },
    /// The exit payload of a burn on BTTC (`ChildERC20.withdraw`), for
    /// `RootChainManager.exit(payload)` on the root chain, once a checkpoint covers its block.
    ExitPayload(exit::ExitPayloadArgs),
}

/// `query span` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum SpanQuery {
    /// The latest span.
    Latest,
    /// A span by id.
    Id {
        /// Span id.
        id: u64,
    },
    /// The scheduled producer of a BTTC height.
    ProducerAt {
        /// BTTC block number.
        height: u64,
    },
}

fn node_url(home: &Home, flags: &QueryFlags) -> String {
    flags
        .node
        .clone()
        .or_else(|| {
            crate::config::AppConfig::load(&home.app_toml())
                .ok()
                .map(|c| c.client.rpc_url)
        })
        .unwrap_or_else(|| "http://127.0.0.1:26657".to_string())
}

/// `query` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    flags: QueryFlags,
    #[command(subcommand)]
    command: QueryCommand,
}

/// Runs a `query` subcommand.
pub fn run(args: Args, globals: &crate::Globals) -> anyhow::Result<()> {
    let home = Home::resolve(globals.home.as_deref())?;
    let output = globals.output;
    let rpc = RpcClient::new(&node_url(&home, &args.flags))?;
    match args.command {
        QueryCommand::Account { address } => {
            let address: Address = address.parse()?;
            let v = rpc.query_json("custom/auth/account", address.to_string().as_bytes())?;
            output::emit(output, &v, || {
                output::fields(&[
                    ("address", address.to_string()),
                    (
                        "account_number",
                        v["account_number"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "sequence",
                        v["sequence"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "pub_key",
                        v["pub_key"].as_str().unwrap_or("(none)").to_string(),
                    ),
                ])
            })
        }
        QueryCommand::Balance {
            address,
            prove,
            height,
        } => {
            let address: Address = address.parse()?;
            if prove {
                return prove_balance(&rpc, output, &address, height);
            }
            let v = rpc.query_json("custom/bank/balance", address.to_string().as_bytes())?;
            let atto: u128 = v["amount"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .context("amount")?;
            output::emit(output, &v, || {
                output::fields(&[
                    ("address", address.to_string()),
                    (
                        "balance",
                        format!("{atto}abtt ({})", amount::format_btt(atto)),
                    ),
                ])
            })
        }
        QueryCommand::Tx { hash } => {
            let bytes = hex::decode(hash.trim_start_matches("0x")).context("hash must be hex")?;
            let found = rpc
                .tx(&bytes)?
                .with_context(|| format!("transaction {hash} not found"))?;
            output::emit(output, &found, || {
                let r = &found["tx_result"];
                output::fields(&[
                    (
                        "hash",
                        found["hash"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "height",
                        found["height"].as_str().unwrap_or_default().to_string(),
                    ),
                    ("code", r["code"].to_string()),
                    ("log", r["log"].as_str().unwrap_or_default().to_string()),
                ])
            })
        }
        QueryCommand::Block { height } => {
            let block = rpc.block(height)?;
            output::emit(output, &block, || {
                let header = &block["block"]["header"];
                let txs = block["block"]["data"]["txs"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0);
                output::fields(&[
                    (
                        "height",
                        header["height"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "hash",
                        block["block_id"]["hash"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    (
                        "time",
                        header["time"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "app_hash",
                        header["app_hash"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "proposer",
                        header["proposer_address"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    ("txs", txs.to_string()),
                ])
            })
        }
        QueryCommand::Params { module } => {
            let v = rpc.query_json(&format!("custom/{module}/params"), b"")?;
            output::emit(output, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            })
        }
        QueryCommand::Staking(q) => staking::run(&rpc, output, &q),
        QueryCommand::Clerk(q) => clerk::run(&rpc, output, &q),
        QueryCommand::Checkpoint(q) => checkpoint::run(&rpc, output, &q),
        QueryCommand::Rootchain(q) => rootchain::run(&rpc, output, &q),
        QueryCommand::Gov(q) => gov::run(&rpc, output, &q),
        QueryCommand::Span(q) => {
            let v = match q {
                SpanQuery::Latest => rpc.query_json("custom/span/latest-span", b"")?,
                SpanQuery::Id { id } => {
                    rpc.query_json("custom/span/span", id.to_string().as_bytes())?
                }
                SpanQuery::ProducerAt { height } => {
                    rpc.query_json("custom/span/producer-at", height.to_string().as_bytes())?
                }
            };
            output::emit(output, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            })
        }
        QueryCommand::ExitPayload(a) => exit::run(&rpc, output, &a),
        QueryCommand::BttcBlock { number } => {
            let v = match number {
                Some(n) => rpc.query_json("custom/bttc/block", n.to_string().as_bytes())?,
                None => rpc.query_json("custom/bttc/head", b"")?,
            };
            output::emit(output, &v, || {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            })
        }
    }
}

/// Fetches a balance with its proof at `height` and checks the proof against the app hash in
/// the header of block `height + 1`.
fn prove_balance(
    rpc: &RpcClient,
    output: OutputFormat,
    address: &Address,
    height: u64,
) -> anyhow::Result<()> {
    let key = delivery_bank::balance_state_key(address);
    let r = rpc.abci_query("store", &key, height, true)?;
    if r.code != 0 {
        bail!("query failed ({}/{}): {}", r.codespace, r.code, r.log);
    }
    let (kind, _, proof) = r.proof_ops.first().context("the node returned no proof")?;
    if kind != delivery_app::query::PROOF_OP_TYPE {
        bail!("unexpected proof type {kind:?}");
    }
    let header_height = r.height.checked_add(1).context("height overflow")?;
    let app_hash = wait_for_header(rpc, header_height)?;
    let value = if r.value.is_empty() {
        None
    } else {
        Some(r.value.as_slice())
    };
    delivery_app::proof::verify_encoded(&app_hash, &key, value, proof).map_err(|e| {
        anyhow::anyhow!(
            "the proof does NOT verify against the app hash of block {header_height}: {e}"
        )
    })?;
    let atto = match value {
        None => 0,
        Some(v) => u128::from_be_bytes(v.try_into().context("balance is not 16 bytes")?),
    };
    let report = json!({
        "address": address.to_string(),
        "amount": atto.to_string(),
        "height": r.height.to_string(),
        "verified_against_app_hash": hex::encode_upper(&app_hash),
        "header_height": header_height.to_string(),
    });
    output::emit(output, &report, || {
        output::fields(&[
            ("address", address.to_string()),
            (
                "balance",
                format!("{atto}abtt ({})", amount::format_btt(atto)),
            ),
            ("height", r.height.to_string()),
            (
                "proof",
                format!(
                    "verified against app hash {} of block {header_height}",
                    hex::encode_upper(&app_hash)
                ),
            ),
        ])
    })
}

fn wait_for_header(rpc: &RpcClient, height: u64) -> anyhow::Result<Vec<u8>> {
    for _ in 0..100 {
        let latest = rpc.status()?;
        let latest_height = rpc::int(
            latest
                .pointer("/sync_info/latest_block_height")
                .unwrap_or(&Value::Null),
        )?;
        if latest_height >= height {
            return rpc.header_app_hash(height);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    bail!("block {height} did not appear in time")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser, Debug)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn parse(line: &str) -> Result<QueryCommand, clap::Error> {
        Wrapper::try_parse_from(std::iter::once("query").chain(line.split_whitespace()))
            .map(|w| w.args.command)
    }

    #[test]
    fn module_queries_parse_into_their_subcommands() {
        assert!(matches!(
            parse("staking validator 5").unwrap(),
            QueryCommand::Staking(staking::StakingQuery::Validator { id: 5 })
        ));
        assert!(matches!(
            parse("staking validator-set").unwrap(),
            QueryCommand::Staking(staking::StakingQuery::ValidatorSet)
        ));
        assert!(matches!(
            parse("clerk records 3").unwrap(),
            QueryCommand::Clerk(clerk::ClerkQuery::Records {
                from_id: 3,
                count: 100
            })
        ));
        assert!(matches!(
            parse("clerk records 3 7").unwrap(),
            QueryCommand::Clerk(clerk::ClerkQuery::Records {
                from_id: 3,
                count: 7
            })
        ));
        match parse("clerk by-root tron 12").unwrap() {
            QueryCommand::Clerk(clerk::ClerkQuery::ByRoot {
                root_chain,
                root_id: 12,
            }) => assert_eq!(root_chain, "tron"),
            other => panic!("{other:?}"),
        }
        match parse("rootchain applied eth 100 4 --node http://x:1").unwrap() {
            QueryCommand::Rootchain(rootchain::RootchainQuery::Applied {
                root_chain,
                block_number: 100,
                log_index: 4,
            }) => assert_eq!(root_chain, "eth"),
            other => panic!("{other:?}"),
        }
        match parse("exit-payload 0xab --root-chain eth --bttc-rpc http://x:1 --log-index 2")
            .unwrap()
        {
            QueryCommand::ExitPayload(a) => assert_eq!(
                a,
                exit::ExitPayloadArgs {
                    tx_hash: "0xab".into(),
                    root_chain: "eth".into(),
                    bttc_rpc: Some("http://x:1".into()),
                    log_index: Some(2),
                }
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gov_queries_parse_into_their_subcommands() {
        assert_eq!(
            match parse("gov proposals").unwrap() {
                QueryCommand::Gov(q) => q,
                other => panic!("{other:?}"),
            },
            gov::GovQuery::Proposals {
                status: gov::StatusFilter::All,
                page: 1,
                limit: 100,
                from_id: None
            }
        );
        match parse("gov proposals --status voting --page 3 --limit 10").unwrap() {
            QueryCommand::Gov(gov::GovQuery::Proposals {
                status: gov::StatusFilter::Voting,
                page: 3,
                limit: 10,
                from_id: None,
            }) => {}
            other => panic!("{other:?}"),
        }
        match parse("gov proposals --status deposit_period --from-id 7").unwrap() {
            QueryCommand::Gov(gov::GovQuery::Proposals {
                status: gov::StatusFilter::Deposit,
                from_id: Some(7),
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        match parse("gov vote 2 0x00000000000000000000000000000000000000bb").unwrap() {
            QueryCommand::Gov(gov::GovQuery::Vote { id: 2, voter }) => {
                assert_eq!(voter, "0x00000000000000000000000000000000000000bb");
            }
            other => panic!("{other:?}"),
        }
        for (line, expected) in [
            ("gov proposal 4", gov::GovQuery::Proposal { id: 4 }),
            ("gov votes 4", gov::GovQuery::Votes { id: 4 }),
            ("gov deposits 4", gov::GovQuery::Deposits { id: 4 }),
            ("gov tally 4", gov::GovQuery::Tally { id: 4 }),
            ("gov params", gov::GovQuery::Params),
            ("gov upgrade", gov::GovQuery::Upgrade),
        ] {
            match parse(line).unwrap() {
                QueryCommand::Gov(q) => assert_eq!(q, expected, "{line}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn malformed_arguments_are_refused_by_the_parser() {
        for line in [
            "staking validator x",
            "staking validator -1",
            "staking signer",
            "clerk record",
            "clerk records 1 2 3",
            "clerk by-root tron",
            "rootchain applied eth 1",
            "rootchain nothing",
            "exit-payload 0xab",
            "exit-payload --root-chain eth",
            "exit-payload 0xab --root-chain eth --log-index x",
            "gov proposal",
            "gov proposal x",
            "gov proposals --status open",
            "gov proposals --limit 0",
            "gov proposals --limit 101",
            "gov proposals --page 0",
            "gov proposals --page 2 --from-id 3",
            "gov vote 1",
            "gov tally -1",
            "gov nothing",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
    }
}
