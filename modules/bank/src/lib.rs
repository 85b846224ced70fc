//! The bank module: BTT balances on Delivery and transfers between accounts.
//!
//! State keys (changing one is a migration):
//! - `bank/bal/<address 20 bytes>` → balance in atto-BTT, 16-byte big-endian (absent = 0)
//! - `bank/supply` → total supply, 16-byte big-endian
//!
//! Msgs: [`MsgSend`]; side msg [`MsgTopup`] (fee top-up from a root chain, minted after > 2/3 YES). Events: `bank.transfer {sender, recipient, amount}`.
//! Invariant: the sum of all balances equals the supply; transfers never create or destroy BTT.
//! Only [`mint`] (top-ups) creates BTT and only [`burn`] (governance deposits) destroys it.
//! A recipient without an account gets one (auth assigns the next account number).

use delivery_module::codec;
use delivery_module::crypto::{keccak256, Address};
use delivery_module::error::sdk;
use delivery_module::{Context, ErrorCode, Event, ExecError, Module, Msg, MsgHandler, TxError};
use delivery_store::{StateRead, StateWrite, StoreError};
use serde::{Deserialize, Serialize};

pub mod topup;
pub use topup::MsgTopup;

const BALANCE_PREFIX: &[u8] = b"bank/bal/";
const SUPPLY: &[u8] = b"bank/supply";

/// Bank errors (codespace `bank`; codes are append-only).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BankError {
    /// An amount is zero or not a whole number.
    #[error("invalid amount {0:?}: expected a whole number of abtt greater than 0")]
    InvalidAmount(String),
    /// The sender cannot cover the amount.
    #[error("insufficient funds: {address} has {balance} abtt, needs {needed} abtt")]
    InsufficientFunds {
        /// Who.
        address: Address,
        /// What they have.
        balance: u128,
        /// What they need.
        needed: u128,
    },
    /// A balance would exceed 2^128 - 1 (impossible with a sane supply).
    #[error("balance overflow for {0}")]
    Overflow(Address),
}

impl ErrorCode for BankError {
    const CODESPACE: &'static str = "bank";
    fn code(&self) -> u32 {
        match self {
            BankError::InvalidAmount(_) => 2,
            // The same number as the SDK's insufficient-funds code, for familiarity.
            BankError::InsufficientFunds { .. } => sdk::INSUFFICIENT_FUNDS,
            BankError::Overflow(_) => 6,
        }
    }
}

fn balance_key(address: &Address) -> Vec<u8> {
    codec::key(&[BALANCE_PREFIX, address.as_bytes()])
}

fn decode_u128(key: &[u8], bytes: &[u8]) -> Result<u128, StoreError> {
    let arr: [u8; 16] = bytes.try_into().map_err(|_| {
        StoreError::Backend(format!(
            "corrupt amount under {}: {}",
            hex::encode(key),
            hex::encode(bytes)
        ))
    })?;
    Ok(u128::from_be_bytes(arr))
}

/// The balance of `address` in atto-BTT.
pub fn balance<S: StateRead + ?Sized>(state: &S, address: &Address) -> Result<u128, StoreError> {
    let key = balance_key(address);
    match state.get_raw(&key)? {
        None => Ok(0),
        Some(bytes) => decode_u128(&key, &bytes),
    }
}

fn set_balance<S: StateWrite + ?Sized>(state: &mut S, address: &Address, amount: u128) {
    if amount == 0 {
        state.delete_raw(balance_key(address));
    } else {
        state.put_raw(balance_key(address), amount.to_be_bytes().to_vec());
    }
}

/// The total supply in atto-BTT.
pub fn supply<S: StateRead + ?Sized>(state: &S) -> Result<u128, StoreError> {
    match state.get_raw(SUPPLY)? {
        None => Ok(0),
        Some(bytes) => decode_u128(SUPPLY, &bytes),
    }
}

/// The account that collects transaction fees until a rewards module distributes them.
pub fn fee_collector() -> Address {
    module_address("fee_collector")
}

/// A module account's address: `keccak256("delivery/module/" ‖ name)[12..]`; no key exists for it.
pub fn module_address(name: &str) -> Address {
    let hash = keccak256(format!("delivery/module/{name}").as_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(hash.get(12..).unwrap_or(&[0u8; 20]));
    Address(out)
}

/// Creates `amount` new BTT in `to`'s account (root-chain top-ups), raising the supply.
pub fn mint<S: StateWrite + ?Sized>(
    state: &mut S,
    to: &Address,
    amount: u128,
) -> Result<(), ExecError> {
    let credited = balance(state, to)?
        .checked_add(amount)
        .ok_or_else(|| ExecError::module(BankError::Overflow(*to)))?;
    let new_supply = supply(state)?
        .checked_add(amount)
        .ok_or_else(|| ExecError::module(BankError::Overflow(*to)))?;
    set_balance(state, to, credited);
    state.put_raw(SUPPLY.to_vec(), new_supply.to_be_bytes().to_vec());
    delivery_auth::state::ensure_account(state, to)?;
    Ok(())
}

/// Moves `amount` from `from` to `to`, creating `to`'s account if needed.
pub fn transfer<S: StateWrite + ?Sized>(
    state: &mut S,
    from: &Address,
    to: &Address,
    amount: u128,
) -> Result<(), ExecError> {
    let from_balance = balance(state, from)?;
    let remaining = from_balance.checked_sub(amount).ok_or_else(|| {
        ExecError::module(BankError::InsufficientFunds {
            address: *from,
            balance: from_balance,
            needed: amount,
        })
    })?;
    set_balance(state, from, remaining);
    let to_balance = balance(state, to)?;
    let credited = to_balance
        .checked_add(amount)
        .ok_or_else(|| ExecError::module(BankError::Overflow(*to)))?;
    set_balance(state, to, credited);
    delivery_auth::state::ensure_account(state, to)?;
    Ok(())
}

/// Destroys `amount` of `from`'s BTT, lowering the supply (governance burns vetoed deposits
/// from its escrow account this way).
pub fn burn<S: StateWrite + ?Sized>(
    state: &mut S,
    from: &Address,
    amount: u128,
) -> Result<(), ExecError> {
    let from_balance = balance(state, from)?;
    let remaining = from_balance.checked_sub(amount).ok_or_else(|| {
        ExecError::module(BankError::InsufficientFunds {
            address: *from,
            balance: from_balance,
            needed: amount,
        })
    })?;
    let current_supply = supply(state)?;
    let new_supply = current_supply.checked_sub(amount).ok_or_else(|| {
        ExecError::Fatal(StoreError::Backend(format!(
            "bank supply {current_supply} is below a balance being burned ({amount})"
        )))
    })?;
    set_balance(state, from, remaining);
    state.put_raw(SUPPLY.to_vec(), new_supply.to_be_bytes().to_vec());
    Ok(())
}

/// Sends BTT from one account to another.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MsgSend {
    /// Sender address, `0x` hex (must be the transaction's signer).
    #[prost(string, tag = "1")]
    pub from_address: String,
    /// Recipient address, `0x` hex.
    #[prost(string, tag = "2")]
    pub to_address: String,
    /// Amount in atto-BTT, decimal.
    #[prost(string, tag = "3")]
    pub amount: String,
}

fn parse_addr(field: &str, value: &str) -> Result<Address, TxError> {
    value.parse().map_err(|e| {
        TxError::new(
            sdk::CODESPACE,
            sdk::INVALID_ADDRESS,
            format!("{field}: {e}"),
        )
    })
}

impl MsgSend {
    fn parsed(&self) -> Result<(Address, Address, u128), TxError> {
        let from = parse_addr("from_address", &self.from_address)?;
        let to = parse_addr("to_address", &self.to_address)?;
        let amount = self
            .amount
            .parse::<u128>()
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| TxError::from_module(&BankError::InvalidAmount(self.amount.clone())))?;
        Ok((from, to, amount))
    }
}

impl Msg for MsgSend {
    const TYPE_URL: &'static str = "/delivery.bank.v1.MsgSend";

    fn signer(&self) -> Result<Address, TxError> {
        parse_addr("from_address", &self.from_address)
    }

    fn check_stateless(&self) -> Result<(), TxError> {
        self.parsed().map(|_| ())
    }
}

impl MsgHandler for MsgSend {
    fn check_stateful<S: StateRead>(&self, _ctx: &Context<'_>, state: &S) -> Result<(), ExecError> {
        let (from, _, amount) = self.parsed()?;
        let have = balance(state, &from)?;
        if have < amount {
            return Err(ExecError::module(BankError::InsufficientFunds {
                address: from,
                balance: have,
                needed: amount,
            }));
        }
        Ok(())
    }

    fn execute<S: StateWrite>(
        &self,
        ctx: &mut Context<'_>,
        state: &mut S,
    ) -> Result<(), ExecError> {
        let (from, to, amount) = self.parsed()?;
        transfer(state, &from, &to, amount)?;
        ctx.emit(
            Event::new("bank.transfer")
                .attr("sender", from)
                .attr("recipient", to)
                .attr("amount", amount),
        );
        Ok(())
    }
}

/// One balance in genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    /// The holder.
    pub address: Address,
    /// Atto-BTT, decimal string.
    #[serde(with = "delivery_auth::u128_string")]
    pub amount: u128,
}

/// The bank section of the app genesis. The supply is the sum of the balances.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Initial balances (each holder gets an account).
    #[serde(default)]
    pub balances: Vec<GenesisBalance>,
}

/// The bank module.
pub struct Bank;

impl Module for Bank {
    const NAME: &'static str = "bank";
    type Genesis = Genesis;

    fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut total: u128 = 0;
        for b in &genesis.balances {
            if !seen.insert(b.address) {
                return Err(format!("balance for {} listed twice", b.address));
            }
            total = total
                .checked_add(b.amount)
                .ok_or("total supply overflows u128")?;
        }
        Ok(())
    }

    fn init_genesis<S: StateWrite>(state: &mut S, genesis: &Genesis) -> Result<(), ExecError> {
        let mut total: u128 = 0;
        for b in &genesis.balances {
            delivery_auth::state::ensure_account(state, &b.address)?;
            set_balance(state, &b.address, b.amount);
            total = total
                .checked_add(b.amount)
                .ok_or_else(|| ExecError::module(BankError::Overflow(b.address)))?;
        }
        state.put_raw(SUPPLY.to_vec(), total.to_be_bytes().to_vec());
        Ok(())
    }

    fn export_genesis<S: StateRead>(state: &S) -> Result<Genesis, ExecError> {
        let balances = state
            .prefix_raw(BALANCE_PREFIX)?
            .into_iter()
            .map(|(key, value)| {
                let address =
                    Address::from_slice(key.get(BALANCE_PREFIX.len()..).unwrap_or(&[]))
                        .map_err(|e| StoreError::Backend(format!("corrupt balance key: {e}")))?;
                Ok(GenesisBalance {
                    address,
                    amount: decode_u128(&key, &value)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Genesis { balances })
    }

    fn query<S: StateRead>(state: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, ExecError> {
        match path {
            "balance" => {
                let address = delivery_auth::parse_address_arg(data)?;
                let amount = balance(state, &address)?;
                Ok(serde_json::json!({ "address": address.to_string(), "denom": delivery_auth::tx::FEE_DENOM, "amount": amount.to_string() })
                    .to_string()
                    .into_bytes())
            }
            "supply" => Ok(serde_json::json!({ "denom": delivery_auth::tx::FEE_DENOM, "amount": supply(state)?.to_string() })
                .to_string()
                .into_bytes()),
            other => Err(delivery_module::module::unknown_query(Self::NAME, other)),
        }
    }
}

/// The state key of a balance, for proofs (`query balance --prove`).
pub fn balance_state_key(address: &Address) -> Vec<u8> {
    balance_key(address)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use delivery_module::{BlockInfo, ExecMode};
    use delivery_store::{EmptyState, StateDelta};

    fn block() -> BlockInfo {
        BlockInfo {
            chain_id: "t".into(),
            height: 1,
            time_seconds: 0,
            time_nanos: 0,
        }
    }

    #[test]
    fn send_moves_funds_conserves_supply_and_creates_the_recipient() {
        let a = Address([1; 20]);
        let b = Address([2; 20]);
        let mut state = StateDelta::new(EmptyState);
        Bank::init_genesis(
            &mut state,
            &Genesis {
                balances: vec![GenesisBalance {
                    address: a,
                    amount: 100,
                }],
            },
        )
        .unwrap();
        let info = block();
        let mut ctx = Context::new(&info, ExecMode::Deliver);
        let msg = MsgSend {
            from_address: a.to_string(),
            to_address: b.to_string(),
            amount: "40".into(),
        };
        msg.execute(&mut ctx, &mut state).unwrap();
        assert_eq!(balance(&state, &a).unwrap(), 60);
        assert_eq!(balance(&state, &b).unwrap(), 40);
        assert_eq!(supply(&state).unwrap(), 100);
        assert!(delivery_auth::state::account(&state, &b).unwrap().is_some());
        assert_eq!(ctx.events().len(), 1);
        let too_much = MsgSend {
            amount: "61".into(),
            ..msg
        };
        match too_much.execute(&mut ctx, &mut state) {
            Err(ExecError::Rejected(e)) => {
                assert_eq!((e.codespace, e.code), ("bank", sdk::INSUFFICIENT_FUNDS))
            }
            other => panic!("expected insufficient funds, got {other:?}"),
        }
    }

    #[test]
    fn zero_and_malformed_amounts_are_rejected_statelessly() {
        let m = MsgSend {
            from_address: Address([1; 20]).to_string(),
            to_address: Address([2; 20]).to_string(),
            amount: "0".into(),
        };
        assert_eq!(m.check_stateless().unwrap_err().code, 2);
        let m = MsgSend {
            amount: "-5".into(),
            ..m
        };
        assert_eq!(m.check_stateless().unwrap_err().code, 2);
        let m = MsgSend {
            to_address: "bob".into(),
            amount: "5".into(),
            ..m
        };
        assert_eq!(m.check_stateless().unwrap_err().code, sdk::INVALID_ADDRESS);
    }

    #[test]
    fn burn_lowers_the_balance_and_the_supply_and_refuses_an_overdraft() {
        let a = Address([1; 20]);
        let b = Address([2; 20]);
        let mut state = StateDelta::new(EmptyState);
        Bank::init_genesis(
            &mut state,
            &Genesis {
                balances: vec![
                    GenesisBalance {
                        address: a,
                        amount: 100,
                    },
                    GenesisBalance {
                        address: b,
                        amount: 5,
                    },
                ],
            },
        )
        .unwrap();
        burn(&mut state, &a, 30).unwrap();
        assert_eq!(balance(&state, &a).unwrap(), 70);
        assert_eq!(supply(&state).unwrap(), 75);
        match burn(&mut state, &b, 6) {
            Err(ExecError::Rejected(e)) => {
                assert_eq!((e.codespace, e.code), ("bank", sdk::INSUFFICIENT_FUNDS))
            }
            other => panic!("expected insufficient funds, got {other:?}"),
        }
        assert_eq!(balance(&state, &b).unwrap(), 5);
        assert_eq!(supply(&state).unwrap(), 75);
        burn(&mut state, &a, 70).unwrap();
        assert_eq!(balance(&state, &a).unwrap(), 0);
        assert_eq!(supply(&state).unwrap(), 5);
    }

    #[test]
    fn genesis_round_trips() {
        let g = Genesis {
            balances: vec![
                GenesisBalance {
                    address: Address([3; 20]),
                    amount: 7,
                },
                GenesisBalance {
                    address: Address([1; 20]),
                    amount: 9,
                },
            ],
        };
        let mut state = StateDelta::new(EmptyState);
        Bank::init_genesis(&mut state, &g).unwrap();
        let exported = Bank::export_genesis(&state).unwrap();
        let mut sorted = g.balances.clone();
        sorted.sort_by_key(|b| b.address);
        assert_eq!(exported.balances, sorted);
    }
}
