//! Auth genesis: params, accounts and the next account number.

use delivery_module::crypto::Address;
use delivery_module::{ExecError, Module, TxError};
use delivery_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::params::Params;
use crate::state::{self, Account};

/// One account in genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The address.
    pub address: Address,
    /// Its account number.
    pub account_number: u64,
    /// Its next sequence.
    #[serde(default)]
    pub sequence: u64,
    /// Hex of the compressed public key, if the account has signed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pub_key: String,
}

/// The auth section of the app genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Params (defaults when omitted).
    #[serde(default)]
    pub params: Params,
    /// Accounts (others are created when they first receive BTT).
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// The next account number; at least one past the largest listed.
    #[serde(default)]
    pub next_account_number: u64,
}

/// The auth module.
pub struct Auth;

impl Module for Auth {
    const NAME: &'static str = "auth";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        genesis.params.validate()?;
        let mut seen_addresses = std::collections::BTreeSet::new();
        let mut seen_numbers = std::collections::BTreeSet::new();
        for acc in &genesis.accounts {
            if !seen_addresses.insert(acc.address) {
                return Err(format!("account {} listed twice", acc.address));
            }
            if !seen_numbers.insert(acc.account_number) {
                return Err(format!("account number {} used twice", acc.account_number));
            }
            if acc.account_number >= genesis.next_account_number {
                return Err(format!(
                    "account {} has number {} but next_account_number is {}",
                    acc.address, acc.account_number, genesis.next_account_number
                ));
            }
            if !acc.pub_key.is_empty() {
                let bytes = hex::decode(&acc.pub_key)
                    .map_err(|e| format!("account {} pub_key is not hex: {e}", acc.address))?;
                let key = delivery_module::PublicKey::from_sec1(&bytes)
                    .map_err(|e| format!("account {}: {e}", acc.address))?;
                if key.address() != acc.address {
                    return Err(format!(
                        "account {} pub_key belongs to {}",
                        acc.address,
                        key.address()
                    ));
                }
            }
        }
        Ok(())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        state::set_params(state, &genesis.params)?;
        for acc in &genesis.accounts {
            let pub_key = hex::decode(&acc.pub_key).map_err(|e| {
                TxError::new("auth", 1, format!("account {} pub_key: {e}", acc.address))
            })?;
            state::set_account(
                state,
                &Account {
                    address: acc.address.as_bytes().to_vec(),
                    account_number: acc.account_number,
                    sequence: acc.sequence,
                    pub_key,
                },
            )?;
        }
        state::set_next_account_number(state, genesis.next_account_number);
        Ok(())
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        let accounts = state::accounts(state)?
            .into_iter()
            .map(|acc| {
                Ok(GenesisAccount {
                    address: Address::from_slice(&acc.address)
                        .map_err(|e| delivery_store::StoreError::Backend(e.to_string()))?,
                    account_number: acc.account_number,
                    sequence: acc.sequence,
                    pub_key: hex::encode(&acc.pub_key),
                })
            })
            .collect::<Result<Vec<_>, delivery_store::StoreError>>()?;
        Ok(Genesis {
            params: state::params(state)?,
            accounts,
            next_account_number: state::next_account_number(state)?,
        })
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        match path {
            "account" => {
                let address = crate::parse_address_arg(data)?;
                let account = state::account(state, &address)?.ok_or_else(|| {
                    TxError::new(
                        delivery_module::error::sdk::CODESPACE,
                        delivery_module::error::sdk::UNKNOWN_ADDRESS,
                        format!("account {address} does not exist"),
                    )
                })?;
                let json = serde_json::json!({
                    "address": address.to_string(),
                    "account_number": account.account_number.to_string(),
                    "sequence": account.sequence.to_string(),
                    "pub_key": if account.pub_key.is_empty() { serde_json::Value::Null } else { serde_json::Value::String(hex::encode(&account.pub_key)) },
                });
                Ok(json.to_string().into_bytes())
            }
            "params" => Ok(serde_json::to_vec(&state::params(state)?)
                .map_err(|e| delivery_store::StoreError::Backend(e.to_string()))?),
            other => Err(delivery_module::module::unknown_query(Self::NAME, other)),
        }
    }
}
