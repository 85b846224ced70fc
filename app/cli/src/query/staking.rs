//! `deliveryd query staking …`: the staking module's `custom/staking/<path>` queries.

use std::collections::BTreeMap;

use anyhow::Context as _;
use delivery_module::Address;
use serde::Deserialize;

use super::render::{self, show, table, view};
use crate::amount;
use crate::output::{self, OutputFormat};
use crate::rpc::RpcClient;

/// `query staking` subcommands. The params are `query params staking`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum StakingQuery {
    /// A validator by id: its record, status and power.
    Validator {
        /// Validator id (the StakeManager's token id).
        id: u64,
    },
    /// The validator whose current signer is this address.
    Signer {
        /// Signer address: `0x` hex, or the same key's TRON address (`T…` base58check or
        /// `41…` hex).
        address: String,
    },
    /// The active validator set (the one CometBFT runs with).
    ValidatorSet,
    /// Every validator ever joined, pending and unstaked ones too.
    Validators,
    /// The epoch clock.
    Epoch,
}

/// Parses a signer address: `0x` hex, or a TRON form of the same 20 bytes (base58check `T…`,
/// `41` + 40 hex digits). A TRON address and an Ethereum address of one secp256k1 key share
/// those bytes.
pub fn parse_signer(text: &str) -> anyhow::Result<Address> {
    let text = text.trim();
    if let Ok(address) = text.parse::<Address>() {
        return Ok(address);
    }
    let bytes = delivery_rootchain::parse_address(text).map_err(|_| {
        anyhow::anyhow!(
            "signer address {:?}: expected 0x + 40 hex digits or a TRON address (T… base58check)",
            text.chars().take(64).collect::<String>()
        )
    })?;
    Ok(Address(bytes))
}

impl StakingQuery {
    /// The `custom/staking/…` path this command asks, its arguments checked.
    pub fn path(&self) -> anyhow::Result<String> {
        Ok(match self {
            StakingQuery::Validator { id } => format!("custom/staking/validator/{id}"),
            StakingQuery::Signer { address } => {
                format!("custom/staking/signer/{}", parse_signer(address)?)
            }
            StakingQuery::ValidatorSet => "custom/staking/validator-set".into(),
            StakingQuery::Validators => "custom/staking/all-validators".into(),
            StakingQuery::Epoch => "custom/staking/epoch".into(),
        })
    }
}

/// Runs a `query staking` subcommand.
pub fn run(rpc: &RpcClient, format: OutputFormat, query: &StakingQuery) -> anyhow::Result<()> {
    let path = query.path()?;
    let answer = render::fetch(rpc, &path, 0)?;
    match query {
        StakingQuery::Validator { .. } | StakingQuery::Signer { .. } => {
            show(format, &answer.value, |v| {
                Ok(validator_text(&view(&path, v)?))
            })
        }
        StakingQuery::Validators => show(format, &answer.value, |v| {
            Ok(validators_text(&view(&path, v)?))
        }),
        StakingQuery::Epoch => show(format, &answer.value, |v| Ok(epoch_text(&view(&path, v)?))),
        StakingQuery::ValidatorSet => show(format, &answer.value, |v| {
            let set: ValidatorSetView = view(&path, v)?;
            // The set names id, signer and power; epochs and status come from the records, read
            // at the same height.
            let all_path = "custom/staking/all-validators";
            let all: ValidatorsView = view(
                all_path,
                &render::fetch(rpc, all_path, answer.height)
                    .context("reading the members' records")?
                    .value,
            )?;
            Ok(validator_set_text(&set, &all))
        }),
    }
}

/// A `validator/<id>` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ValidatorView {
    id: u64,
    signer: String,
    signer_pubkey: String,
    consensus_pubkey: String,
    stake: String,
    start_epoch: u64,
    end_epoch: u64,
    nonce: u64,
    status: String,
    in_set: bool,
    power: i64,
}

/// A `validators` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ValidatorsView {
    epoch: u64,
    validators: Vec<ValidatorView>,
}

/// A member of the `validator-set` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberView {
    id: u64,
    signer: String,
    power: i64,
}

/// A `validator-set` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ValidatorSetView {
    epoch: u64,
    voting_power: String,
    total_power: i64,
    exit_deferred: bool,
    validators: Vec<MemberView>,
}

/// An `epoch` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct EpochView {
    current_epoch: u64,
    epoch_started_at: u64,
    epoch_length: u64,
    advance_epochs_by_blocks: bool,
}

/// `1000000000000000000abtt (1btt)`; the text as given when it is not a number.
fn stake(text: &str) -> String {
    match text.parse::<u128>() {
        Ok(atto) => format!("{atto}abtt ({})", amount::format_btt(atto)),
        Err(_) => text.to_string(),
    }
}

/// `stake` in BTT only (tables).
fn stake_btt(text: &str) -> String {
    text.parse::<u128>()
        .map_or_else(|_| text.to_string(), amount::format_btt)
}

fn end_epoch(end: u64) -> String {
    if end == 0 {
        "none".into()
    } else {
        end.to_string()
    }
}

fn validator_text(v: &ValidatorView) -> String {
    output::fields(&[
        ("id", v.id.to_string()),
        ("signer", v.signer.clone()),
        ("status", v.status.clone()),
        ("in_set", v.in_set.to_string()),
        ("power", v.power.to_string()),
        ("stake", stake(&v.stake)),
        ("start_epoch", v.start_epoch.to_string()),
        ("end_epoch", end_epoch(v.end_epoch)),
        ("nonce", v.nonce.to_string()),
        ("signer_pubkey", v.signer_pubkey.clone()),
        ("consensus_pubkey", v.consensus_pubkey.clone()),
    ])
}

/// `1 validator`, `2 validators`.
fn count(n: usize) -> String {
    if n == 1 {
        "1 validator".into()
    } else {
        format!("{n} validators")
    }
}

fn validators_text(all: &ValidatorsView) -> String {
    if all.validators.is_empty() {
        return format!("epoch {}: no validators", all.epoch);
    }
    let rows: Vec<Vec<String>> = all
        .validators
        .iter()
        .map(|v| {
            vec![
                v.id.to_string(),
                v.signer.clone(),
                stake_btt(&v.stake),
                v.power.to_string(),
                v.start_epoch.to_string(),
                end_epoch(v.end_epoch),
                v.status.clone(),
            ]
        })
        .collect();
    format!(
        "epoch {}: {}\n{}",
        all.epoch,
        count(all.validators.len()),
        table(
            &["ID", "SIGNER", "STAKE", "POWER", "START", "END", "STATUS"],
            &rows
        )
    )
}

fn validator_set_text(set: &ValidatorSetView, all: &ValidatorsView) -> String {
    let records: BTreeMap<u64, &ValidatorView> = all.validators.iter().map(|v| (v.id, v)).collect();
    let rows: Vec<Vec<String>> = set
        .validators
        .iter()
        .map(|m| {
            let record = records.get(&m.id);
            let or_unknown = |f: &dyn Fn(&ValidatorView) -> String| {
                record.map_or_else(|| "?".to_string(), |r| f(r))
            };
            vec![
                m.id.to_string(),
                m.signer.clone(),
                m.power.to_string(),
                or_unknown(&|r| r.start_epoch.to_string()),
                or_unknown(&|r| end_epoch(r.end_epoch)),
                or_unknown(&|r| r.status.clone()),
            ]
        })
        .collect();
    let mut text = format!(
        "epoch {}, {}, total power {} (voting_power {})",
        set.epoch,
        count(set.validators.len()),
        set.total_power,
        set.voting_power
    );
    if set.exit_deferred {
        text.push_str(
            "\nexit deferred: the last validators' exits are due, but no other validator is \
             active; they stay until one is",
        );
    }
    text.push('\n');
    text.push_str(&table(
        &["ID", "SIGNER", "POWER", "START", "END", "STATUS"],
        &rows,
    ));
    text
}

fn epoch_text(e: &EpochView) -> String {
    let mut rows = vec![
        ("current_epoch", e.current_epoch.to_string()),
        ("epoch_started_at", format!("height {}", e.epoch_started_at)),
        ("epoch_length", format!("{} blocks", e.epoch_length)),
        (
            "advance_epochs_by_blocks",
            e.advance_epochs_by_blocks.to_string(),
        ),
    ];
    if e.advance_epochs_by_blocks {
        let next = e
            .epoch_started_at
            .checked_add(e.epoch_length)
            .map_or_else(|| "never (overflow)".to_string(), |h| format!("height {h}"));
        rows.push(("next_epoch_at", next));
    }
    output::fields(&rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use delivery_staking::params::PowerMode;
    use delivery_staking::query::{
        EpochAnswer, ValidatorAnswer, ValidatorSetAnswer, ValidatorsAnswer,
    };
    use delivery_staking::types::{ActiveValidator, Status, Validator};

    fn record(id: u64, end_epoch: u64) -> Validator {
        Validator {
            id,
            signer: Address([u8::try_from(id).unwrap(); 20]),
            signer_pubkey: [4; 65],
            consensus_pubkey: [9; 32],
            stake: 1_500_000_000_000_000_000,
            start_epoch: 2,
            end_epoch,
            nonce: 3,
        }
    }

    fn answer(id: u64, end_epoch: u64, status: Status, power: i64) -> ValidatorAnswer {
        ValidatorAnswer {
            validator: record(id, end_epoch),
            status,
            in_set: power > 0,
            power,
        }
    }

    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn a_validator_reads_as_labelled_lines() {
        let v: ValidatorView = view("v", &json(&answer(7, 0, Status::Active, 1))).unwrap();
        let text = validator_text(&v);
        let expected = [
            "id:                7",
            "signer:            0x0707070707070707070707070707070707070707",
            "status:            active",
            "in_set:            true",
            "power:             1",
            "stake:             1500000000000000000abtt (1.5btt)",
            "start_epoch:       2",
            "end_epoch:         none",
            "nonce:             3",
        ];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..expected.len()], expected);
        assert_eq!(
            lines[10],
            format!("consensus_pubkey:  0x{}", hex::encode([9; 32]))
        );
    }

    #[test]
    fn the_validator_set_joins_members_with_their_records() {
        let set = ValidatorSetAnswer {
            epoch: 4,
            voting_power: PowerMode::Equal,
            total_power: 2,
            exit_deferred: false,
            validators: vec![
                ActiveValidator {
                    id: 1,
                    signer: Address([1; 20]),
                    consensus_pubkey: [9; 32],
                    power: 1,
                },
                ActiveValidator {
                    id: 12,
                    signer: Address([12; 20]),
                    consensus_pubkey: [8; 32],
                    power: 1,
                },
            ],
        };
        let all = ValidatorsAnswer {
            epoch: 4,
            validators: vec![
                answer(1, 0, Status::Active, 1),
                answer(12, 9, Status::Unstaking, 1),
                answer(13, 0, Status::Pending, 0),
            ],
        };
        let text = validator_set_text(
            &view("s", &json(&set)).unwrap(),
            &view("a", &json(&all)).unwrap(),
        );
        let signer = |b: u8| format!("0x{}", hex::encode([b; 20]));
        assert_eq!(
            text,
            format!(
                "epoch 4, 2 validators, total power 2 (voting_power equal)\n\
                 ID  SIGNER                                      POWER  START  END   STATUS\n\
                 1   {}  1      2      none  active\n\
                 12  {}  1      2      9     unstaking",
                signer(1),
                signer(12)
            )
        );
    }

    #[test]
    fn a_member_without_a_record_and_a_deferred_exit_are_shown() {
        let set = serde_json::json!({
            "epoch": 1, "voting_power": "stake", "total_power": 5, "exit_deferred": true,
            "validators": [{ "id": 3, "signer": "0xab", "consensus_pubkey": "0x00", "power": 5 }]
        });
        let all = serde_json::json!({ "epoch": 1, "validators": [] });
        let text = validator_set_text(&view("s", &set).unwrap(), &view("a", &all).unwrap());
        assert!(text.contains("exit deferred"), "{text}");
        assert!(text.ends_with("3   0xab    5      ?      ?    ?"), "{text}");
    }

    #[test]
    fn all_validators_read_as_a_table() {
        let all = ValidatorsAnswer {
            epoch: 9,
            validators: vec![answer(2, 5, Status::Unstaked, 0)],
        };
        let text = validators_text(&view("a", &json(&all)).unwrap());
        assert_eq!(
            text,
            format!(
                "epoch 9: 1 validator\n\
                 ID  SIGNER                                      STAKE   POWER  START  END  STATUS\n\
                 2   0x{}  1.5btt  0      2      5    unstaked",
                hex::encode([2; 20])
            )
        );
        let none = serde_json::json!({ "epoch": 0, "validators": [] });
        assert_eq!(
            validators_text(&view("a", &none).unwrap()),
            "epoch 0: no validators"
        );
    }

    #[test]
    fn the_epoch_shows_when_the_next_one_starts() {
        let e = EpochAnswer {
            current_epoch: 3,
            epoch_started_at: 48,
            epoch_length: 16,
            advance_epochs_by_blocks: true,
        };
        let text = epoch_text(&view("e", &json(&e)).unwrap());
        assert_eq!(
            text,
            "current_epoch:             3\n\
             epoch_started_at:          height 48\n\
             epoch_length:              16 blocks\n\
             advance_epochs_by_blocks:  true\n\
             next_epoch_at:             height 64"
        );
        let manual = EpochAnswer {
            advance_epochs_by_blocks: false,
            ..e
        };
        assert!(!epoch_text(&view("e", &json(&manual)).unwrap()).contains("next_epoch_at"));
    }

    #[test]
    fn an_answer_of_another_shape_is_a_clear_error() {
        let err =
            view::<EpochView>("custom/staking/epoch", &serde_json::json!({"x": 1})).unwrap_err();
        assert!(
            format!("{err:#}").contains("custom/staking/epoch"),
            "{err:#}"
        );
    }

    #[test]
    fn signers_parse_in_hex_and_tron_forms() {
        let bytes = [0x5a; 20];
        let hex = format!("0x{}", hex::encode(bytes));
        let tron = delivery_rootchain::tron::to_base58(&bytes);
        let tron_hex = format!("41{}", hex::encode(bytes));
        for text in [hex.as_str(), tron.as_str(), tron_hex.as_str()] {
            assert_eq!(parse_signer(text).unwrap(), Address(bytes), "{text}");
        }
        let err = parse_signer("0x123").unwrap_err().to_string();
        assert!(err.contains("expected 0x + 40 hex digits"), "{err}");
        assert!(parse_signer("Tnotbase58check").is_err());
    }

    #[test]
    fn paths_carry_checked_arguments() {
        let bytes = [0x5a; 20];
        let tron = delivery_rootchain::tron::to_base58(&bytes);
        assert_eq!(
            StakingQuery::Signer { address: tron }.path().unwrap(),
            format!("custom/staking/signer/0x{}", hex::encode(bytes))
        );
        assert_eq!(
            StakingQuery::Validator { id: 5 }.path().unwrap(),
            "custom/staking/validator/5"
        );
        assert_eq!(
            StakingQuery::ValidatorSet.path().unwrap(),
            "custom/staking/validator-set"
        );
        assert!(StakingQuery::Signer {
            address: "0xzz/../params".into()
        }
        .path()
        .is_err());
    }
}
