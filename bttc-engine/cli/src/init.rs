//! `bttc init --genesis FILE`: validates a genesis file, copies it into the data directory,
//! writes the genesis block and creates the engine API's JWT secret.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use bttc_engine_api::Engine as _;
use bttc_engine_chainspec::ChainSpec;
use bttc_engine_executor::InProcessEngine;

use crate::datadir::{write_atomic, DataDir};

/// `bttc init` flags.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The genesis file (chain spec, allocations, system contracts).
    #[arg(long, value_name = "FILE")]
    pub genesis: PathBuf,
    /// Data directory [default: ~/.bttc].
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
}

/// Runs `bttc init`.
pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let dir = DataDir::resolve(args.datadir.as_deref())?;
    let text = std::fs::read_to_string(&args.genesis)
        .with_context(|| format!("reading {}", args.genesis.display()))?;
    let spec = ChainSpec::from_json(&text)
        .with_context(|| format!("{} is not a valid genesis", args.genesis.display()))?;
    if dir.genesis().exists() {
        let existing = std::fs::read_to_string(dir.genesis())
            .with_context(|| format!("reading {}", dir.genesis().display()))?;
        let existing = ChainSpec::from_json(&existing)
            .with_context(|| format!("{} is not a valid genesis", dir.genesis().display()))?;
        if existing != spec {
            bail!(
                "{} is already initialised with a different genesis (chain id {}); \
                 use another --datadir or delete it",
                dir.root().display(),
                existing.chain_id
            );
        }
    }
    dir.create()?;
    let chain_id = spec.chain_id;
    let engine = InProcessEngine::open(&dir.chaindata(), spec)
        .with_context(|| format!("writing the genesis block in {}", dir.chaindata().display()))?;
    let head = engine.head()?;
    if !dir.genesis().exists() {
        write_atomic(&dir.genesis(), text.as_bytes())?;
    }
    crate::start::ensure_jwt_secret(&dir.jwt_secret())?;
    println!("initialised {}", dir.root().display());
    println!("  chain id       {chain_id}");
    println!("  head           #{} {}", head.number, head.hash);
    println!("  state root     {}", head.state_root);
    println!("  jwt secret     {}", dir.jwt_secret().display());
    Ok(())
}
