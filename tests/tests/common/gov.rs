//! Governance through the CLI, as docs/guides/governance.md runs it: `deliveryd --home <node i>
//! … --output json` for proposals and votes, and `custom/…` queries at a height.

use base64::Engine as _;
use delivery_tests::{cli_json, comet_rpc};
use serde_json::Value;

use super::BttcNet;

/// `deliveryd --home <node i> <args> --output json`.
pub fn on(net: &BttcNet, i: usize, args: &[&str]) -> Value {
    let home = net.homes[i].display().to_string();
    let mut all = vec!["--home", home.as_str()];
    all.extend_from_slice(args);
    tokio::task::block_in_place(|| cli_json(&all)).unwrap()
}

/// The CLI's one-line error for `deliveryd --home <node i> <args>`, which must fail.
pub fn refusal(net: &BttcNet, i: usize, args: &[&str]) -> String {
    let home = net.homes[i].display().to_string();
    let mut all = vec!["--home", home.as_str()];
    all.extend_from_slice(args);
    match tokio::task::block_in_place(|| cli_json(&all)) {
        Ok(out) => panic!("deliveryd {} succeeded: {out}", args.join(" ")),
        Err(e) => format!("{e:#}"),
    }
}

/// `custom/<path>` at `height` (0: latest) through the conductor.
pub fn query_at(net: &BttcNet, path: &str, height: u64) -> Value {
    let r = tokio::task::block_in_place(|| {
        comet_rpc(
            &net.conductor_url,
            "abci_query",
            &format!("path=%22{path}%22&height={height}"),
        )
    })
    .unwrap();
    let value = base64::engine::general_purpose::STANDARD
        .decode(r["response"]["value"].as_str().unwrap_or(""))
        .unwrap();
    serde_json::from_slice(&value).unwrap_or_else(|_| panic!("{path} at {height}: {r}"))
}

/// Writes `proposal` to `<net dir>/<name>.json`, submits it from node 0's validator key and
/// returns its id.
pub fn submit(net: &BttcNet, name: &str, proposal: &Value) -> u64 {
    let file = net.dir.path().join(format!("{name}.json"));
    std::fs::write(&file, proposal.to_string()).unwrap();
    let out = on(
        net,
        0,
        &[
            "tx",
            "gov",
            "submit-proposal",
            file.to_str().unwrap(),
            "--from",
            "validator",
            "--wait",
        ],
    );
    out["proposal_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no proposal id: {out}"))
}

/// Node `i`'s validator votes `option` on proposal `id`.
pub fn vote(net: &BttcNet, i: usize, id: u64, option: &str) {
    let out = on(
        net,
        i,
        &[
            "tx",
            "gov",
            "vote",
            &id.to_string(),
            option,
            "--from",
            "validator",
            "--wait",
        ],
    );
    assert_eq!(out["code"], 0, "node {i} voting {option} on {id}: {out}");
}

/// `query gov proposal <id>`.
pub fn proposal(net: &BttcNet, id: u64) -> Value {
    on(net, 0, &["query", "gov", "proposal", &id.to_string()])
}

/// `query gov votes <id>`.
pub fn votes(net: &BttcNet, id: u64) -> Value {
    on(net, 0, &["query", "gov", "votes", &id.to_string()])
}
