//! `deliveryd query rootchain …`: the root-chain registry and the applied-events set
//! (`custom/rootchain/<path>`).
//!
//! Text output shows a TRON chain's addresses in base58check (`T…`) and the others' as `0x` hex,
//! whatever form the answer carried; `--output json` prints the module's answer as is (which uses
//! the same forms).

use delivery_rootchain::{Params, RootChainConfig};
use serde::Deserialize;
use serde_json::json;

use super::clerk::chain_name;
use super::render::{self, show, view};
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// `query rootchain` subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum RootchainQuery {
    /// Every root chain: name, kind, chain id, contracts, confirmations, and which one holds
    /// staking.
    Chains,
    /// One root chain's entry.
    Chain {
        /// Root chain name (`tron`, `eth`, …).
        name: String,
    },
    /// Whether a root-chain event (block number, log index) was applied.
    Applied {
        /// Root chain name.
        root_chain: String,
        /// Root-chain block number.
        block_number: u64,
        /// The log's index in its block.
        log_index: u64,
    },
    /// Which registered contract an address is, shown in both forms.
    Contract {
        /// Root-chain address: `0x` hex, `41…` hex or TRON base58check (`T…`).
        address: String,
    },
}

impl RootchainQuery {
    /// The `custom/rootchain/…` path this command asks, its arguments checked.
    pub fn path(&self) -> anyhow::Result<String> {
        Ok(match self {
            RootchainQuery::Chains | RootchainQuery::Contract { .. } => {
                "custom/rootchain/params".into()
            }
            RootchainQuery::Chain { name } => {
                format!("custom/rootchain/chain/{}", chain_name(name)?)
            }
            RootchainQuery::Applied {
                root_chain,
                block_number,
                log_index,
            } => format!(
                "custom/rootchain/applied/{}/{block_number}/{log_index}",
                chain_name(root_chain)?
            ),
        })
    }
}

/// Parses a root-chain address in any form the registry accepts.
pub fn parse_root_address(text: &str) -> anyhow::Result<[u8; 20]> {
    delivery_rootchain::parse_address(text.trim()).map_err(|_| {
        anyhow::anyhow!(
            "root-chain address {:?}: expected 0x + 40 hex digits, 41 + 40 hex digits, or TRON \
             base58check (T…)",
            text.chars().take(64).collect::<String>()
        )
    })
}

/// Runs a `query rootchain` subcommand.
pub fn run(rpc: &RpcClient, format: OutputFormat, query: &RootchainQuery) -> anyhow::Result<()> {
    let path = query.path()?;
    if let RootchainQuery::Contract { address } = query {
        // Check the argument before asking the node.
        let address = parse_root_address(address)?;
        let registry: Params = view(&path, &render::fetch(rpc, &path, 0)?.value)?;
        let report = contract_report(&registry, &address);
        return output::emit(format, &report, || contract_text(&report));
    }
    let answer = render::fetch(rpc, &path, 0)?;
    show(format, &answer.value, |v| text(query, &path, v))
}

/// The text form of `query`'s answer `v`.
pub fn text(query: &RootchainQuery, path: &str, v: &serde_json::Value) -> anyhow::Result<String> {
    Ok(match query {
        RootchainQuery::Chains | RootchainQuery::Contract { .. } => chains_text(&view(path, v)?),
        RootchainQuery::Chain { .. } => {
            let c: RootChainConfig = view(path, v)?;
            // The registry gives a StakeManager to the staking chain and to no other.
            let staking = c.stake_manager.is_some();
            chain_fields(&c, staking)
        }
        RootchainQuery::Applied { .. } => {
            let a: AppliedView = view(path, v)?;
            output::fields(&[
                ("root_chain", a.root_chain),
                ("block_number", a.block_number.to_string()),
                ("log_index", a.log_index.to_string()),
                ("applied", a.applied.to_string()),
            ])
        }
    })
}

/// An `applied/…` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct AppliedView {
    root_chain: String,
    block_number: u64,
    log_index: u64,
    applied: bool,
}

/// A chain's entry as labelled lines, addresses in the chain's own form.
fn chain_fields(c: &RootChainConfig, staking: bool) -> String {
    let mut rows = vec![
        ("name", c.name.clone()),
        ("kind", c.kind.to_string()),
        ("chain_id", c.chain_id.to_string()),
        ("confirmations", c.confirmations.to_string()),
    ];
    rows.push(("staking", staking.to_string()));
    if let Some(stake_manager) = &c.stake_manager {
        rows.push(("stake_manager", c.display_address(stake_manager)));
    }
    rows.push(("state_sender", c.display_address(&c.state_sender)));
    rows.push((
        "root_chain_manager",
        c.display_address(&c.root_chain_manager),
    ));
    if let Some(root_chain) = &c.root_chain_contract {
        rows.push(("root_chain_contract", c.display_address(root_chain)));
    }
    output::fields(&rows)
}

fn chains_text(registry: &Params) -> String {
    if registry.chains.is_empty() {
        return "no root chains: the registry is empty (dormant), so every root-chain claim is \
                refused"
            .into();
    }
    let mut blocks = vec![output::fields(&[
        ("chains", registry.chains.len().to_string()),
        ("staking_chain", registry.staking_chain.clone()),
    ])];
    blocks.extend(
        registry
            .chains
            .iter()
            .map(|c| chain_fields(c, c.name == registry.staking_chain)),
    );
    blocks.join("\n\n")
}

/// Which registered contracts `address` is.
fn contract_report(registry: &Params, address: &[u8; 20]) -> serde_json::Value {
    let mut matches = Vec::new();
    for c in &registry.chains {
        for (role, held) in [
            ("stake_manager", c.stake_manager.as_ref()),
            ("state_sender", Some(&c.state_sender)),
            ("root_chain_manager", Some(&c.root_chain_manager)),
            ("root_chain_contract", c.root_chain_contract.as_ref()),
        ] {
            if held == Some(address) {
                matches.push(json!({
                    "root_chain": c.name,
                    "contract": role,
                    "address": c.display_address(address),
                }));
            }
        }
    }
    json!({
        "hex": format!("0x{}", hex::encode(address)),
        "tron": delivery_rootchain::tron::to_base58(address),
        "matches": matches,
    })
}

fn contract_text(report: &serde_json::Value) -> String {
    let text = |key: &str| {
        report
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let found: Vec<String> = report
        .get("matches")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            let field = |k: &str| m.get(k).and_then(serde_json::Value::as_str);
            format!(
                "{} {}",
                field("root_chain").unwrap_or("?"),
                field("contract").unwrap_or("?")
            )
        })
        .collect();
    output::fields(&[
        ("hex", text("hex")),
        ("tron", text("tron")),
        (
            "registered_as",
            if found.is_empty() {
                "none (not a contract in the registry)".into()
            } else {
                found.join(", ")
            },
        ),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use delivery_rootchain::query::AppliedAnswer;
    use delivery_rootchain::tron::to_base58;
    use delivery_rootchain::RootChainKind;

    fn registry() -> Params {
        Params {
            chains: vec![
                RootChainConfig {
                    name: "tron".into(),
                    kind: RootChainKind::Tron,
                    chain_id: 728_126_428,
                    stake_manager: Some([0x11; 20]),
                    state_sender: [0x12; 20],
                    root_chain_manager: [0x13; 20],
                    root_chain_contract: Some([0x14; 20]),
                    confirmations: 19,
                },
                RootChainConfig {
                    name: "eth".into(),
                    kind: RootChainKind::Eth,
                    chain_id: 1,
                    stake_manager: None,
                    state_sender: [0x22; 20],
                    root_chain_manager: [0x23; 20],
                    root_chain_contract: None,
                    confirmations: 64,
                },
            ],
            staking_chain: "tron".into(),
        }
    }

    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn the_registry_shows_tron_in_base58check_and_eth_in_hex() {
        let answer = json(&registry());
        // The module's JSON already uses these forms; the text must not depend on it.
        assert_eq!(answer["chains"][0]["state_sender"], to_base58(&[0x12; 20]));
        let text = chains_text(&view("p", &answer).unwrap());
        assert_eq!(
            text,
            format!(
                "chains:         2\n\
                 staking_chain:  tron\n\
                 \n\
                 name:                 tron\n\
                 kind:                 tron\n\
                 chain_id:             728126428\n\
                 confirmations:        19\n\
                 staking:              true\n\
                 stake_manager:        {}\n\
                 state_sender:         {}\n\
                 root_chain_manager:   {}\n\
                 root_chain_contract:  {}\n\
                 \n\
                 name:                eth\n\
                 kind:                eth\n\
                 chain_id:            1\n\
                 confirmations:       64\n\
                 staking:             false\n\
                 state_sender:        0x{}\n\
                 root_chain_manager:  0x{}",
                to_base58(&[0x11; 20]),
                to_base58(&[0x12; 20]),
                to_base58(&[0x13; 20]),
                to_base58(&[0x14; 20]),
                hex::encode([0x22; 20]),
                hex::encode([0x23; 20]),
            )
        );
    }

    #[test]
    fn a_tron_chain_given_in_hex_is_still_shown_in_base58check() {
        let mut answer = json(&registry().chains[0]);
        answer["state_sender"] = json(&format!("0x{}", hex::encode([0x12; 20])));
        answer["root_chain_manager"] = json(&format!("41{}", hex::encode([0x13; 20])));
        let chain = |name: &str| RootchainQuery::Chain { name: name.into() };
        answer["root_chain_contract"] = json(&format!("0x{}", hex::encode([0x14; 20])));
        let text = text(&chain("tron"), "c", &answer).unwrap();
        assert!(
            text.contains(&format!("state_sender:         {}", to_base58(&[0x12; 20]))),
            "{text}"
        );
        assert!(
            text.contains(&format!("root_chain_manager:   {}", to_base58(&[0x13; 20]))),
            "{text}"
        );
        assert!(
            text.contains(&format!("root_chain_contract:  {}", to_base58(&[0x14; 20]))),
            "{text}"
        );
        assert!(text.contains("staking:              true"), "{text}");
        let eth = super::text(&chain("eth"), "c", &json(&registry().chains[1])).unwrap();
        assert!(eth.contains("staking:             false"), "{eth}");
        assert!(eth.contains("state_sender:        0x2222"), "{eth}");
    }

    #[test]
    fn an_empty_registry_says_it_is_dormant() {
        let text = chains_text(&view("p", &json(&Params::default())).unwrap());
        assert!(text.starts_with("no root chains"), "{text}");
    }

    #[test]
    fn an_applied_answer_reads_as_fields() {
        let q = RootchainQuery::Applied {
            root_chain: "eth".into(),
            block_number: 77,
            log_index: 3,
        };
        let a = AppliedAnswer {
            root_chain: "eth".into(),
            block_number: 77,
            log_index: 3,
            applied: true,
        };
        assert_eq!(
            text(&q, "p", &json(&a)).unwrap(),
            "root_chain:    eth\nblock_number:  77\nlog_index:     3\napplied:       true"
        );
    }

    #[test]
    fn a_contract_is_found_from_either_address_form() {
        let r = registry();
        for text in [
            to_base58(&[0x12; 20]),
            format!("0x{}", hex::encode([0x12; 20])),
            format!("41{}", hex::encode([0x12; 20])),
        ] {
            let address = parse_root_address(&text).unwrap();
            let report = contract_report(&r, &address);
            assert_eq!(report["matches"][0]["root_chain"], "tron", "{text}");
            assert_eq!(report["matches"][0]["contract"], "state_sender");
            assert_eq!(report["matches"][0]["address"], to_base58(&[0x12; 20]));
            assert_eq!(
                contract_text(&report),
                format!(
                    "hex:            0x{}\ntron:           {}\nregistered_as:  tron state_sender",
                    hex::encode([0x12; 20]),
                    to_base58(&[0x12; 20])
                )
            );
        }
        let report = contract_report(&r, &[0x14; 20]);
        assert!(
            contract_text(&report).ends_with("registered_as:  tron root_chain_contract"),
            "{}",
            contract_text(&report)
        );
        let unknown = contract_report(&r, &[0x99; 20]);
        assert!(contract_text(&unknown).contains("none (not a contract in the registry)"));
        let err = parse_root_address("T123").unwrap_err().to_string();
        assert!(err.contains("TRON base58check"), "{err}");
    }

    #[test]
    fn paths_carry_checked_arguments() {
        assert_eq!(
            RootchainQuery::Applied {
                root_chain: "eth".into(),
                block_number: 10,
                log_index: 0
            }
            .path()
            .unwrap(),
            "custom/rootchain/applied/eth/10/0"
        );
        assert_eq!(
            RootchainQuery::Chains.path().unwrap(),
            "custom/rootchain/params"
        );
        assert!(RootchainQuery::Chain {
            name: "../x".into()
        }
        .path()
        .is_err());
    }
}
