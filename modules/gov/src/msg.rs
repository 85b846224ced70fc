//! The gov messages: [`MsgSubmitProposal`], [`MsgDeposit`], [`MsgVote`] (protobuf via prost;
//! type URLs `/delivery.gov.v1.*`).
//!
//! Stateless checks here are format only; sizes bounded by params (title, description, number
//! of changes, params bytes) are checked against the params in [`crate::handler::submit`].
//! Absolute ceilings ([`MAX_NAME_BYTES`] and the params' own limits) keep a malformed message
//! cheap to reject.

use delivery_module::crypto::Address;
use delivery_module::error::sdk;
use delivery_module::{Msg, TxError};

use crate::error::GovError;
use crate::params::MAX_TITLE_LIMIT;
use crate::params::{MAX_DESCRIPTION_LIMIT, MAX_PARAMS_JSON_LIMIT, MAX_PARAM_CHANGES_LIMIT};
use crate::types::{Content, ParamChange, Plan, VoteOption};

/// The longest upgrade name and module name.
pub const MAX_NAME_BYTES: usize = 64;

/// A text proposal's (empty) content.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TextContent {}

/// One module's new params on the wire.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ParamChangeProto {
    /// The module.
    #[prost(string, tag = "1")]
    pub module: String,
    /// Its whole new params object, JSON text.
    #[prost(string, tag = "2")]
    pub params_json: String,
}

/// A param-change proposal's content.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct ParamChangeContent {
    /// The changes, applied in order (distinct modules).
    #[prost(message, repeated, tag = "1")]
    pub changes: Vec<ParamChangeProto>,
}

/// A software-upgrade proposal's content.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct SoftwareUpgradeContent {
    /// The upgrade name the new binary registers.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The height from which the new binary runs.
    #[prost(uint64, tag = "2")]
    pub height: u64,
    /// Free text for operators.
    #[prost(string, tag = "3")]
    pub info: String,
}

/// A cancel-upgrade proposal's (empty) content.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct CancelUpgradeContent {}

/// The content oneof of [`MsgSubmitProposal`].
pub mod msg_submit_proposal {
    /// What the proposal does.
    #[derive(Clone, PartialEq, Eq, prost::Oneof)]
    pub enum Content {
        /// A text proposal.
        #[prost(message, tag = "5")]
        Text(super::TextContent),
        /// A param change.
        #[prost(message, tag = "6")]
        ParamChange(super::ParamChangeContent),
        /// A software upgrade plan.
        #[prost(message, tag = "7")]
        SoftwareUpgrade(super::SoftwareUpgradeContent),
        /// Cancel the upgrade plan.
        #[prost(message, tag = "8")]
        CancelUpgrade(super::CancelUpgradeContent),
    }
}

/// Submits a proposal with an initial deposit. Type URL `/delivery.gov.v1.MsgSubmitProposal`.
/// Anyone may submit; the deposit moves from `proposer` to the gov escrow.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgSubmitProposal {
    /// The signing account, `0x` address.
    #[prost(string, tag = "1")]
    pub proposer: String,
    /// Title (non-empty).
    #[prost(string, tag = "2")]
    pub title: String,
    /// Description.
    #[prost(string, tag = "3")]
    pub description: String,
    /// Initial deposit in abtt, decimal (`"0"` or empty for none, when the params allow).
    #[prost(string, tag = "4")]
    pub initial_deposit: String,
    /// The content.
    #[prost(oneof = "msg_submit_proposal::Content", tags = "5, 6, 7, 8")]
    pub content: Option<msg_submit_proposal::Content>,
}

/// Adds to a proposal's deposit. Type URL `/delivery.gov.v1.MsgDeposit`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgDeposit {
    /// The signing account, `0x` address.
    #[prost(string, tag = "1")]
    pub depositor: String,
    /// The proposal.
    #[prost(uint64, tag = "2")]
    pub proposal_id: u64,
    /// abtt, decimal, > 0.
    #[prost(string, tag = "3")]
    pub amount: String,
}

/// A validator's vote. Type URL `/delivery.gov.v1.MsgVote`. `voter` must be the signer of an
/// active validator; a later vote replaces the earlier one until the voting period ends.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgVote {
    /// The validator's signer, `0x` address.
    #[prost(string, tag = "1")]
    pub voter: String,
    /// The proposal.
    #[prost(uint64, tag = "2")]
    pub proposal_id: u64,
    /// 1 yes, 2 abstain, 3 no, 4 no-with-veto.
    #[prost(int32, tag = "3")]
    pub option: i32,
}

fn invalid(message: String) -> TxError {
    GovError::InvalidMsg(message).into()
}

fn address(field: &str, value: &str) -> Result<Address, TxError> {
    value.parse().map_err(|e| {
        TxError::new(
            sdk::CODESPACE,
            sdk::INVALID_ADDRESS,
            format!("{field}: {e}"),
        )
    })
}

/// Parses an amount of abtt: decimal digits only (an empty string is 0 when `allow_zero`).
pub fn parse_amount(field: &str, text: &str, allow_zero: bool) -> Result<u128, TxError> {
    let value = if text.is_empty() && allow_zero {
        0
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u128>().map_err(|_| {
            invalid(format!(
                "{field} {:?}: expected a whole number of abtt below 2^128",
                shorten(text)
            ))
        })?
    } else {
        return Err(invalid(format!(
            "{field} {:?}: expected a whole number of abtt",
            shorten(text)
        )));
    };
    if value == 0 && !allow_zero {
        return Err(invalid(format!("{field} must be > 0")));
    }
    Ok(value)
}

fn shorten(text: &str) -> String {
    text.chars().take(48).collect()
}

/// Checks a name (module or upgrade): 1..=[`MAX_NAME_BYTES`] bytes of ASCII letters, digits,
/// `.`, `_` or `-`.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "{what} must be 1..={MAX_NAME_BYTES} bytes, got {}",
            name.len()
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(format!(
            "{what} {:?} may hold only ASCII letters, digits, '.', '_' and '-'",
            shorten(name)
        ));
    }
    Ok(())
}

impl MsgSubmitProposal {
    /// The content as the domain type, with the format checks every proposal passes whatever
    /// the params (names, distinct modules, JSON objects, ceilings).
    pub fn content(&self) -> Result<Content, TxError> {
        let content = self
            .content
            .as_ref()
            .ok_or_else(|| invalid("content (fields 5..=8) is missing".into()))?;
        Ok(match content {
            msg_submit_proposal::Content::Text(_) => Content::Text,
            msg_submit_proposal::Content::CancelUpgrade(_) => Content::CancelUpgrade,
            msg_submit_proposal::Content::SoftwareUpgrade(u) => {
                check_name("upgrade name", &u.name).map_err(invalid)?;
                if u.height == 0 {
                    return Err(invalid("upgrade height must be > 0".into()));
                }
                if u.info.len() > MAX_DESCRIPTION_LIMIT as usize {
                    return Err(invalid(format!(
                        "upgrade info is {} bytes, above {MAX_DESCRIPTION_LIMIT}",
                        u.info.len()
                    )));
                }
                Content::SoftwareUpgrade {
                    plan: Plan {
                        name: u.name.clone(),
                        height: u.height,
                        info: u.info.clone(),
                    },
                }
            }
            msg_submit_proposal::Content::ParamChange(p) => {
                if p.changes.is_empty() {
                    return Err(invalid("a param change needs at least one change".into()));
                }
                if p.changes.len() > MAX_PARAM_CHANGES_LIMIT as usize {
                    return Err(invalid(format!(
                        "{} param changes, above {MAX_PARAM_CHANGES_LIMIT}",
                        p.changes.len()
                    )));
                }
                let mut changes: Vec<ParamChange> = Vec::with_capacity(p.changes.len());
                for c in &p.changes {
                    check_name("module", &c.module).map_err(invalid)?;
                    if changes.iter().any(|seen| seen.module == c.module) {
                        return Err(invalid(format!(
                            "module {:?} is changed twice in one proposal",
                            c.module
                        )));
                    }
                    if c.params_json.len() > MAX_PARAMS_JSON_LIMIT as usize {
                        return Err(invalid(format!(
                            "params_json of {} is {} bytes, above {MAX_PARAMS_JSON_LIMIT}",
                            c.module,
                            c.params_json.len()
                        )));
                    }
                    let change = ParamChange {
                        module: c.module.clone(),
                        params_json: c.params_json.clone(),
                    };
                    let value = change.params().map_err(invalid)?;
                    if !value.is_object() {
                        return Err(invalid(format!(
                            "params_json of {} must be a JSON object (the module's whole params)",
                            c.module
                        )));
                    }
                    changes.push(change);
                }
                Content::ParamChange { changes }
            }
        })
    }

    /// The initial deposit in abtt (0 when empty).
    pub fn initial_deposit_amount(&self) -> Result<u128, TxError> {
        parse_amount("initial_deposit", &self.initial_deposit, true)
    }
}

impl Msg for MsgSubmitProposal {
    const TYPE_URL: &'static str = "/delivery.gov.v1.MsgSubmitProposal";

    fn signer(&self) -> Result<Address, TxError> {
        address("proposer", &self.proposer)
    }

    /// `proposer` is an address, the title is non-empty and both texts are within the
    /// absolute ceilings, the deposit is a number, the content is present and well formed.
    fn check_stateless(&self) -> Result<(), TxError> {
        self.signer()?;
        if self.title.trim().is_empty() {
            return Err(invalid("title must not be empty".into()));
        }
        if self.title.len() > MAX_TITLE_LIMIT as usize {
            return Err(invalid(format!(
                "title is {} bytes, above {MAX_TITLE_LIMIT}",
                self.title.len()
            )));
        }
        if self.description.len() > MAX_DESCRIPTION_LIMIT as usize {
            return Err(invalid(format!(
                "description is {} bytes, above {MAX_DESCRIPTION_LIMIT}",
                self.description.len()
            )));
        }
        self.initial_deposit_amount()?;
        self.content()?;
        Ok(())
    }
}

impl MsgDeposit {
    /// The amount in abtt (> 0).
    pub fn amount_value(&self) -> Result<u128, TxError> {
        parse_amount("amount", &self.amount, false)
    }
}

impl Msg for MsgDeposit {
    const TYPE_URL: &'static str = "/delivery.gov.v1.MsgDeposit";

    fn signer(&self) -> Result<Address, TxError> {
        address("depositor", &self.depositor)
    }

    /// `depositor` is an address, `proposal_id > 0`, the amount a number > 0.
    fn check_stateless(&self) -> Result<(), TxError> {
        self.signer()?;
        if self.proposal_id == 0 {
            return Err(invalid("proposal_id must be > 0".into()));
        }
        self.amount_value()?;
        Ok(())
    }
}

impl MsgVote {
    /// The choice, or a rejection for a number outside 1..=4.
    pub fn vote_option(&self) -> Result<VoteOption, TxError> {
        VoteOption::from_i32(self.option).ok_or_else(|| {
            invalid(format!(
                "option {} is not 1 (yes), 2 (abstain), 3 (no) or 4 (no with veto)",
                self.option
            ))
        })
    }
}

impl Msg for MsgVote {
    const TYPE_URL: &'static str = "/delivery.gov.v1.MsgVote";

    fn signer(&self) -> Result<Address, TxError> {
        address("voter", &self.voter)
    }

    /// `voter` is an address, `proposal_id > 0`, the option is 1..=4.
    fn check_stateless(&self) -> Result<(), TxError> {
        self.signer()?;
        if self.proposal_id == 0 {
            return Err(invalid("proposal_id must be > 0".into()));
        }
        self.vote_option()?;
        Ok(())
    }
}
