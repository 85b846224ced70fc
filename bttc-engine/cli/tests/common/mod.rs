//! A `bttc dev` process for the binary's tests: started with its RPC on a free port (read back
//! from its stdout), called over JSON-RPC, killed.
#![allow(dead_code)] // Each test file uses its own subset.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// `bttc dev --datadir DIR --block-time T --http-addr 127.0.0.1:0 --log-level warn EXTRA…`.
pub fn dev_command(datadir: &Path, block_time: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bttc"));
    cmd.args([
        "dev",
        "--datadir",
        &datadir.display().to_string(),
        "--block-time",
        block_time,
        "--http-addr",
        "127.0.0.1:0",
        "--log-level",
        "warn",
    ])
    .args(extra);
    cmd
}

/// A running `bttc dev`.
pub struct DevNode {
    child: Child,
    /// Its Ethereum JSON-RPC URL.
    pub url: String,
}

impl DevNode {
    /// Starts `cmd` and waits for the line announcing its JSON-RPC address.
    pub fn start(mut cmd: Command) -> DevNode {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("bttc dev exited before serving RPC")
                .unwrap();
            if let Some(rest) = line.strip_prefix("Ethereum JSON-RPC on ") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        DevNode { child, url }
    }

    /// SIGKILL, then reap.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A JSON-RPC call; panics on an error answer.
    pub fn rpc(&self, method: &str, params: Value) -> Value {
        let body: Value = reqwest::blocking::Client::new()
            .post(&self.url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .timeout(Duration::from_secs(10))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if let Some(e) = body.get("error") {
            panic!("{method}: {e}");
        }
        body["result"].clone()
    }
}

/// A `0x…` quantity.
pub fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}
