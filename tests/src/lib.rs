//! Workspace-level end-to-end tests (see `tests/tests/`) and the helpers they share: finding the
//! `deliveryd` binary, running its CLI, and managing node processes.
//!
//! The tests use the real `cometbft` when `$COMETBFT` or PATH provides one; otherwise they run
//! the nodes under the in-repo conductor and say so on stderr.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // test harness: wall clock is fine

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context as _};

/// The `deliveryd` binary: `$DELIVERYD_BIN`, else next to the test executable's `deps/` dir
/// (`cargo test --workspace` builds it before running any test).
pub fn deliveryd_bin() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("DELIVERYD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the test executable")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no target dir")?;
    let bin = dir.join("deliveryd");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build -p deliveryd) or set DELIVERYD_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// The rehearsal build of deliveryd (the `deliveryd-upgrade-rehearsal` example: the same
/// sources, knowing the `upgrade-rehearsal` plan): `$DELIVERYD_REHEARSAL_BIN`, else
/// `examples/` next to `deliveryd` in the target dir.
pub fn rehearsal_bin() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("DELIVERYD_REHEARSAL_BIN") {
        return Ok(PathBuf::from(path));
    }
    let deliveryd = deliveryd_bin()?;
    let bin = deliveryd
        .parent()
        .context("deliveryd has no directory")?
        .join("examples/deliveryd-upgrade-rehearsal");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build -p deliveryd --examples) or set \
             DELIVERYD_REHEARSAL_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// The `bttc` binary: `$BTTC_BIN`, else next to `deliveryd` in the target dir.
pub fn bttc_bin() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("BTTC_BIN") {
        return Ok(PathBuf::from(path));
    }
    let bin = deliveryd_bin()?.with_file_name("bttc");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build -p bttc) or set BTTC_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// A child process (killed on drop) logging stdout and stderr to `log`.
pub struct Proc {
    child: Option<Child>,
}

impl Proc {
    /// Spawns `bin args…` with output appended to `log`.
    pub fn spawn(bin: &Path, args: &[&str], log: &Path) -> anyhow::Result<Self> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let err = out.try_clone().context("duplicating the log handle")?;
        let child = Command::new(bin)
            .args(args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        Ok(Self { child: Some(child) })
    }

    /// SIGKILL.
    pub fn kill_hard(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing")?;
            child.wait().context("reaping")?;
        }
        Ok(())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.kill_hard();
    }
}

/// Runs the CLI with `args`; returns stdout, or an error with stderr.
pub fn cli(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(deliveryd_bin()?)
        .args(args)
        .output()
        .context("running deliveryd")?;
    if !out.status.success() {
        bail!(
            "deliveryd {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the CLI with `--output json` and parses its answer.
pub fn cli_json(args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let text = cli(&all)?;
    serde_json::from_str(&text)
        .with_context(|| format!("deliveryd {} printed no JSON: {text}", args.join(" ")))
}

/// A `deliveryd start` process; killed on drop.
pub struct NodeProcess {
    /// The node's home.
    pub home: PathBuf,
    child: Option<Child>,
}

impl NodeProcess {
    /// Starts `deliveryd start` in `home`, logging to `home/deliveryd.log`.
    pub fn start(home: &Path) -> anyhow::Result<Self> {
        Self::start_with(&deliveryd_bin()?, home)
    }

    /// Starts `<bin> start` in `home` (another build of deliveryd), logging to
    /// `home/deliveryd.log`.
    pub fn start_with(bin: &Path, home: &Path) -> anyhow::Result<Self> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join("deliveryd.log"))
            .context("opening the node log")?;
        let child = Command::new(bin)
            .args(["--home", &home.display().to_string(), "start"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("spawning deliveryd start")?;
        Ok(Self {
            home: home.to_path_buf(),
            child: Some(child),
        })
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill_hard(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing the node")?;
            child.wait().context("reaping the node")?;
        }
        Ok(())
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.kill_hard();
    }
}

/// A `cometbft start` process for a node home written by `deliveryd init`/`testnet`; killed on
/// drop. It logs to `home/cometbft.log`.
pub struct CometProcess {
    /// The node's home (CometBFT's `--home`).
    pub home: PathBuf,
    child: Option<Child>,
}

impl CometProcess {
    /// Starts `<bin> start --home <home>`.
    pub fn start(bin: &Path, home: &Path) -> anyhow::Result<Self> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join("cometbft.log"))
            .context("opening the cometbft log")?;
        let err = log.try_clone().context("duplicating the cometbft log")?;
        let child = Command::new(bin)
            .args(["start", "--home", &home.display().to_string()])
            .stdout(log)
            .stderr(err)
            .spawn()
            .with_context(|| format!("spawning {} start", bin.display()))?;
        Ok(Self {
            home: home.to_path_buf(),
            child: Some(child),
        })
    }

    /// SIGKILL.
    pub fn kill_hard(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing cometbft")?;
            child.wait().context("reaping cometbft")?;
        }
        Ok(())
    }
}

impl Drop for CometProcess {
    fn drop(&mut self) {
        let _ = self.kill_hard();
    }
}

/// GETs `<rpc>/<method>?<query>` from a CometBFT JSON-RPC endpoint and returns its `result`.
pub fn comet_rpc(rpc: &str, method: &str, query: &str) -> anyhow::Result<serde_json::Value> {
    let url = if query.is_empty() {
        format!("{}/{method}", rpc.trim_end_matches('/'))
    } else {
        format!("{}/{method}?{query}", rpc.trim_end_matches('/'))
    };
    let body: serde_json::Value = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .context("building an HTTP client")?
        .get(&url)
        .send()
        .with_context(|| format!("GET {url}"))?
        .json()
        .with_context(|| format!("GET {url}: not JSON"))?;
    if let Some(err) = body.get("error") {
        bail!("GET {url}: {err}");
    }
    body.get("result")
        .cloned()
        .with_context(|| format!("GET {url}: no result in {body}"))
}

/// Whether a real CometBFT binary is available (`$COMETBFT` or PATH).
pub fn real_cometbft() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("COMETBFT") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("cometbft"))
            .find(|p| p.is_file())
    })
}

/// A base port for a testnet that is free now (probes the ABCI ports of `nodes` nodes).
pub fn free_base_port(nodes: u16) -> anyhow::Result<u16> {
    // Below Linux's ephemeral range (32768-60999): an outgoing connection's local port can
    // never take one of ours between this probe and the nodes binding it.
    // Slots of 80 ports (8 nodes' ranges) from 10000 to 32000, so two tests of up to 8
    // ranges never overlap.
    const SLOT: u32 = 80;
    const SLOTS: u32 = 22_000 / SLOT;
    if u32::from(nodes).saturating_mul(10) > SLOT {
        bail!("{nodes} port ranges do not fit a slot of {SLOT} ports");
    }
    let seed = std::process::id() % SLOTS;
    for attempt in 0..200u32 {
        let slot = seed.wrapping_add(attempt.wrapping_mul(7)) % SLOTS;
        let Some(base) = slot.checked_mul(SLOT).and_then(|o| o.checked_add(10_000)) else {
            continue;
        };
        let free = (0..u32::from(nodes)).all(|i| {
            (0..6u32).all(|off| {
                let port = i
                    .checked_mul(10)
                    .and_then(|o| o.checked_add(base))
                    .and_then(|p| p.checked_add(off));
                port.and_then(|p| u16::try_from(p).ok())
                    .is_some_and(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
            })
        });
        if free {
            return u16::try_from(base).context("port range");
        }
    }
    bail!("no free port range found")
}
