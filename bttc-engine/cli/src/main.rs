//! `bttc`: the BTTC execution engine.
//!
//! - `bttc init --genesis FILE` creates a data directory with the genesis block.
//! - `bttc start` serves the engine API (127.0.0.1:8551, JWT) that Delivery drives, and the
//!   Ethereum JSON-RPC (127.0.0.1:8545, HTTP and WebSocket) for users.
//! - `bttc dev` runs a standalone auto-mining dev chain with funded accounts; with
//!   `--root-chain <tron|eth>` it plays a root chain with the root contracts deployed.
//! - `bttc root …` stakes, unstakes and reads validators on a root chain's StakeManager over
//!   its JSON-RPC.
//!
//! Errors print as one line on stderr with a non-zero exit status.

// A CLI and node runner, not consensus code: wall-clock time is fine here.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod datadir;
mod dev;
mod init;
mod producer;
mod root;
mod rootchain;
mod start;
mod txsign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "bttc",
    about = "The BTTC execution engine: EVM state and blocks, engine API, Ethereum JSON-RPC",
    version
)]
struct Cli {
    /// Log filter for messages on stderr: error, warn, info, debug, trace, or a tracing filter.
    #[arg(long, global = true, env = "BTTC_LOG", default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a data directory from a genesis file.
    Init(init::InitArgs),
    /// Run the engine: engine API for Delivery, Ethereum JSON-RPC for users.
    Start(start::StartArgs),
    /// Run a standalone auto-mining dev chain.
    Dev(dev::DevArgs),
    /// Stake, unstake and read validators on a root chain's StakeManager (JSON-RPC).
    Root(root::RootArgs),
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Init(args) => init::run(args),
        Command::Start(args) => start::run(args),
        Command::Dev(args) => dev::run(args),
        Command::Root(args) => root::run(args),
        Command::Version => {
            println!("bttc {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
