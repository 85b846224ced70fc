//! The in-memory overlay of the block in progress, and revm's `Database` over it.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use revm::primitives::{AddressMap, StorageKey, StorageValue};
use revm::state::{Account, AccountInfo, Bytecode};
use revm::{Database, DatabaseCommit};

use crate::{Store, StoreError};

/// Balance, nonce and code hash of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code hash.
    pub code_hash: B256,
}

/// What a block changed in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The account after the block; `None` if it was destroyed or is empty (EIP-161).
    pub info: Option<AccountState>,
    /// Storage was wiped (self-destruct or re-creation) before `storage` applies.
    pub storage_cleared: bool,
    /// Changed slots and their values after the block (zero deletes).
    pub storage: BTreeMap<U256, U256>,
}

/// The state of the block in progress: the head state in RocksDB plus an overlay of what the
/// block's transactions and system calls changed so far. revm reads through it (`Database`) and
/// commits each transaction into it (`DatabaseCommit`); nothing reaches RocksDB until
/// [`Store::prepare_state`] and [`Store::commit_block`].
pub struct BlockState<'a> {
    store: &'a Store,
    accounts: BTreeMap<Address, AccountChange>,
    codes: BTreeMap<B256, Bytes>,
    /// Code analysed in this block, by hash: a contract called by many transactions is read
    /// and analysed once per block, not once per call (code is immutable per hash).
    analysed: BTreeMap<B256, Bytecode>,
    /// The first storage error met inside `commit` (which cannot return one).
    deferred_error: Option<StoreError>,
}

impl std::fmt::Debug for BlockState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockState")
            .field("changed_accounts", &self.accounts.len())
            .finish()
    }
}

impl<'a> BlockState<'a> {
    /// An empty overlay over the store's head state.
    pub fn new(store: &'a Store) -> Self {
        Self {
            store,
            accounts: BTreeMap::new(),
            codes: BTreeMap::new(),
            analysed: BTreeMap::new(),
            deferred_error: None,
        }
    }

    /// Changed accounts in address order.
    pub fn changes(&self) -> impl Iterator<Item = (&Address, &AccountChange)> {
        self.accounts.iter()
    }

    /// Code deployed by the block.
    pub fn new_code(&self) -> impl Iterator<Item = (&B256, &Bytes)> {
        self.codes.iter()
    }

    /// Takes the error met during a commit, if any (the block must then be abandoned).
    pub fn take_error(&mut self) -> Option<StoreError> {
        self.deferred_error.take()
    }

    /// The current account (overlay, then store).
    pub fn account(&self, address: &Address) -> Result<Option<AccountState>, StoreError> {
        if let Some(change) = self.accounts.get(address) {
            return Ok(change.info);
        }
        Ok(self.store.account(address)?.map(|a| AccountState {
            nonce: a.nonce,
            balance: a.balance,
            code_hash: a.code_hash,
        }))
    }

    /// Adds `amount` to an account's balance outside the EVM (e.g. the base fee to its
    /// recipient), creating the account if needed.
    pub fn credit(&mut self, address: Address, amount: U256) -> Result<(), StoreError> {
        if amount.is_zero() {
            return Ok(());
        }
        let current = self.account(&address)?;
        let mut info = current.unwrap_or(AccountState {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: Store::EMPTY_CODE_HASH,
        });
        info.balance = info
            .balance
            .checked_add(amount)
            .ok_or_else(|| StoreError::Corrupt {
                what: "balance",
                detail: format!("credit of {amount} to {address} overflows"),
            })?;
        let entry = self.accounts.entry(address).or_default();
        entry.info = Some(info);
        Ok(())
    }

    /// Sets an account outright (genesis allocation): balance, nonce, code and storage.
    pub fn set_account(
        &mut self,
        address: Address,
        nonce: u64,
        balance: U256,
        code: Bytes,
        storage: &BTreeMap<U256, U256>,
    ) {
        let code_hash = if code.is_empty() {
            Store::EMPTY_CODE_HASH
        } else {
            let h = alloy_primitives::keccak256(&code);
            self.codes.insert(h, code);
            h
        };
        let entry = self.accounts.entry(address).or_default();
        entry.info = Some(AccountState {
            nonce,
            balance,
            code_hash,
        });
        entry.storage_cleared = true;
        entry.storage = storage.clone();
    }

    fn commit_account(&mut self, address: Address, account: Account) {
        if !account.is_touched() {
            return;
        }
        let entry = self.accounts.entry(address).or_default();
        if account.is_selfdestructed() {
            *entry = AccountChange {
                info: None,
                storage_cleared: true,
                storage: BTreeMap::new(),
            };
            return;
        }
        if account.is_created() {
            entry.storage_cleared = true;
            entry.storage.clear();
        }
        for (slot, value) in account.changed_storage_slots() {
            entry.storage.insert(*slot, value.present_value());
        }
        if account.is_empty() {
            // EIP-161: a touched empty account is removed (all our rule sets are post-Spurious).
            entry.info = None;
            return;
        }
        let info = &account.info;
        if let Some(code) = &info.code {
            if info.code_hash != Store::EMPTY_CODE_HASH && !self.codes.contains_key(&info.code_hash)
            {
                self.codes.insert(info.code_hash, code.original_bytes());
            }
        }
        entry.info = Some(AccountState {
            nonce: info.nonce,
            balance: info.balance,
            code_hash: info.code_hash,
        });
    }
}

impl Database for BlockState<'_> {
    type Error = StoreError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == Store::EMPTY_CODE_HASH {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.analysed.get(&code_hash) {
            return Ok(code.clone());
        }
        let code = match self.codes.get(&code_hash) {
            Some(b) => crate::decode_bytecode(&code_hash, b.clone())?,
            None => self.store.bytecode(&code_hash)?,
        };
        self.analysed.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        if let Some(change) = self.accounts.get(&address) {
            if let Some(v) = change.storage.get(&index) {
                return Ok(*v);
            }
            if change.storage_cleared || change.info.is_none() {
                return Ok(U256::ZERO);
            }
        }
        self.store.storage(&address, &index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.store.canonical_hash(number)?.unwrap_or(B256::ZERO))
    }
}

impl DatabaseCommit for BlockState<'_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        // Each address is handled independently, so the map's iteration order does not matter.
        for (address, account) in changes {
            self.commit_account(address, account);
        }
    }
}
