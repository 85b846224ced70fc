//! `deliveryd`: the Delivery node's command line, as a library that the `deliveryd` binary
//! (`src/main.rs`) and the upgrade-rehearsal build (`examples/`) run with their [`Release`].
//!
//! Subcommands in the Cosmos SDK style, one module each with
//! `fn run(args: Args, globals: &Globals) -> anyhow::Result<()>`:
//! `init` (a node home), `keys` (the account keyring), `testnet` (N node homes on loopback),
//! `start`, `tx`, `query`, `export`, `reset`, `dev`, `conduct`, `version`. To add one: `mod x;`,
//! a `Command` variant, and a `dispatch` arm. [`bridge`] is the bridge service `start` runs.
//!
//! Errors print as one line on stderr with a non-zero exit status; `--output json` makes a
//! command print one JSON document on stdout.

// A CLI, not consensus code: wall-clock timeouts and defaults for display are fine here.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod amount;
pub mod bridge;
mod bttc;
mod conduct;
mod config;
mod dev;
mod export;
mod home;
mod init;
mod keyring;
mod keys;
mod output;
mod query;
pub mod release;
mod reset;
mod rest;
mod rpc;
mod start;
mod testnet;
mod tx;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::OutputFormat;
pub use crate::release::Release;

/// Flags every subcommand takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Globals {
    /// Node home directory [default: ~/.deliveryd].
    #[arg(long, global = true, env = "DELIVERYD_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Log filter for messages on stderr: error, warn, info, debug, trace, or a tracing filter
    /// such as "info,delivery_abci=debug" [default: app.toml's log_level, else info].
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// The build running: the upgrade plans it knows (not a flag).
    #[arg(skip)]
    pub release: Release,
}

impl Globals {
    /// The log filter: `--log-level`, else the home's app.toml `log_level`, else `info`.
    /// An unreadable app.toml is ignored here; the commands that need it report it.
    pub fn log_filter(&self) -> String {
        if let Some(level) = &self.log_level {
            return level.clone();
        }
        home::Home::resolve(self.home.as_deref())
            .ok()
            .map(|home| home.app_toml())
            .filter(|path| path.exists())
            .and_then(|path| config::AppConfig::load(&path).ok())
            .map_or_else(|| "info".to_owned(), |app| app.log_level)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "deliveryd",
    about = "The Delivery node: a CometBFT ABCI application",
    version
)]
struct Cli {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a single-validator node home: CometBFT keys and config, app.toml, genesis, and a
    /// funded signer key named "validator".
    Init(init::Args),
    /// Manage the secp256k1 account keys in <home>/keyring.
    Keys(keys::Args),
    /// Write the homes of an N-validator network on loopback, plus DIR/testnet.json.
    Testnet(testnet::Args),
    /// Serve the app to CometBFT over the ABCI socket (app.toml's abci.listen_address).
    Start(start::StartArgs),
    /// Build, sign and broadcast a transaction.
    Tx(tx::Args),
    /// Query state, transactions and blocks through CometBFT's RPC.
    Query(query::Args),
    /// A one-command single-validator chain: the app plus the in-repo conductor standing in for
    /// CometBFT (a development tool, not a consensus engine).
    Dev(dev::Args),
    /// Drive the nodes of a `testnet` directory with the in-repo conductor (no cometbft binary
    /// needed; a development and test tool, not a consensus engine).
    Conduct(conduct::Args),
    /// Write a genesis.json that restarts the chain from this stopped node's latest state
    /// (initial_height H+1, the app hash of H, open proposals and votes kept).
    Export(export::Args),
    /// Delete this home's app data (the app side of `cometbft unsafe-reset-all`; keys and
    /// config are kept). Lists what it deletes; deletes only with --yes.
    Reset(reset::Args),
    /// Print the version and the git commit it was built from.
    Version,
}

fn dispatch(command: Command, globals: &Globals) -> anyhow::Result<()> {
    match command {
        Command::Init(args) => init::run(args, globals),
        Command::Keys(args) => keys::run(args, globals),
        Command::Testnet(args) => testnet::run(args, globals),
        Command::Start(args) => start::run(args, globals),
        Command::Tx(args) => tx::run(args, globals),
        Command::Query(args) => query::run(args, globals),
        Command::Dev(args) => dev::run(args, globals),
        Command::Conduct(args) => conduct::run(args, globals),
        Command::Export(args) => export::run(args, globals),
        Command::Reset(args) => reset::run(args, globals),
        Command::Version => version(globals),
    }
}

/// The crate version and the commit recorded by build.rs.
fn version(globals: &Globals) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let commit = option_env!("DELIVERYD_GIT_COMMIT");
    let upgrades = globals.release.upgrades();
    let value = serde_json::json!({
        "name": "deliveryd",
        "version": version,
        "commit": commit,
        "upgrades": upgrades,
    });
    output::emit(globals.output, &value, || {
        let upgrades = if upgrades.is_empty() {
            "none".to_owned()
        } else {
            upgrades.join(", ")
        };
        format!(
            "deliveryd {version} (commit {}; runs upgrade plans: {upgrades})",
            commit.unwrap_or("unknown")
        )
    })
}

fn init_logging(filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).map_err(|e| {
        anyhow::anyhow!("--log-level {filter:?} is not a log filter like \"info\": {e}")
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

/// Runs the command line as `release`: parses the arguments, runs the command, prints an error
/// as one line on stderr.
pub fn run(release: Release) -> ExitCode {
    let mut cli = Cli::parse();
    cli.globals.release = release;
    let result =
        init_logging(&cli.globals.log_filter()).and_then(|()| dispatch(cli.command, &cli.globals));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` joins the context chain into one line: "cannot decrypt key: wrong passphrase".
            let line = format!("{error:#}").replace('\n', " ");
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
