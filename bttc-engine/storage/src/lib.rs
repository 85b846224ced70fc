//! BTTC engine storage: RocksDB tables, the incremental Merkle Patricia state trie and the revm
//! `Database` used to execute a block.
//!
//! State is kept twice: *flat* (account and storage tables, for execution reads) and as a
//! hash-keyed *trie* (for the state root). A block's execution writes only to an in-memory
//! [`BlockState`] overlay; [`Store::prepare_state`] turns the overlay into the new state root
//! and a [`StateWrites`] set, touching only the trie paths of changed accounts and slots; and
//! [`Store::commit_block`] writes state, trie nodes, header, body, receipts, indexes and the head
//! pointer in one fsync'd RocksDB `WriteBatch`. On open, the head is the last block whose batch
//! was written: a crash leaves either the whole block or none of it.

mod state;
mod tables;
pub mod trie;

use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_trie::{TrieAccount, EMPTY_ROOT_HASH, KECCAK_EMPTY};
use rocksdb::{WriteBatch, WriteOptions, DB};

pub use state::{AccountChange, AccountState, BlockState};
use trie::{NodeSource, TrieError};

/// A storage failure. Any of these is fatal for the block being processed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("rocksdb: {0}")]
    Db(#[from] rocksdb::Error),
    /// The trie is inconsistent.
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// A stored value does not decode.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// The table.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The database has no genesis yet.
    #[error("the database is not initialized (no head block)")]
    NotInitialized,
    /// The block does not extend the head.
    #[error("block {number} with parent {parent} does not extend head {head_number} {head_hash}")]
    NotChild {
        /// Block number.
        number: u64,
        /// Its parent hash.
        parent: B256,
        /// Head number.
        head_number: u64,
        /// Head hash.
        head_hash: B256,
    },
}

impl revm::database_interface::DBErrorMarker for StoreError {}

/// An account as stored in the flat account table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code hash (`KECCAK_EMPTY` for none).
    pub code_hash: B256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
}

impl StoredAccount {
    const LEN: usize = 8 + 32 + 32 + 32;

    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(Self::LEN);
        v.extend_from_slice(&self.nonce.to_be_bytes());
        v.extend_from_slice(&self.balance.to_be_bytes::<32>());
        v.extend_from_slice(self.code_hash.as_slice());
        v.extend_from_slice(self.storage_root.as_slice());
        v
    }

    fn decode(b: &[u8]) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt {
            what: "account",
            detail: format!("expected {} bytes, found {}", Self::LEN, b.len()),
        };
        if b.len() != Self::LEN {
            return Err(corrupt());
        }
        let nonce = u64::from_be_bytes(
            b.get(0..8)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        );
        let balance = U256::from_be_slice(b.get(8..40).ok_or_else(corrupt)?);
        let code_hash = B256::from_slice(b.get(40..72).ok_or_else(corrupt)?);
        let storage_root = B256::from_slice(b.get(72..104).ok_or_else(corrupt)?);
        Ok(Self {
            nonce,
            balance,
            code_hash,
            storage_root,
        })
    }

    /// The trie leaf value.
    pub fn trie_value(&self) -> Vec<u8> {
        alloy_rlp::encode(TrieAccount::new(
            self.nonce,
            self.balance,
            self.storage_root,
            self.code_hash,
        ))
    }
}

/// The head block pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
}

/// The state writes of one block, ready to be committed (or dropped).
#[derive(Debug, Clone, Default)]
pub struct StateWrites {
    /// Flat-state key ranges to delete first (storage of destroyed accounts).
    range_deletes: Vec<(Vec<u8>, Vec<u8>)>,
    /// Puts (`Some`) and deletes (`None`), applied after the range deletes.
    puts: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Number of new trie nodes.
    pub new_trie_nodes: usize,
}

/// The non-state parts of a block to commit.
#[derive(Debug, Clone)]
pub struct BlockWrite {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent hash.
    pub parent_hash: B256,
    /// RLP header.
    pub header_rlp: Vec<u8>,
    /// Body bytes (engine-defined).
    pub body: Vec<u8>,
    /// Receipt bytes (engine-defined).
    pub receipts: Vec<u8>,
    /// Transaction hashes in block order.
    pub tx_hashes: Vec<B256>,
}

/// The RocksDB store.
pub struct Store {
    db: DB,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish()
    }
}

struct DbNodes<'a>(&'a DB);

impl NodeSource for DbNodes<'_> {
    fn node(&self, hash: &B256) -> Result<Option<Vec<u8>>, TrieError> {
        self.0
            .get(tables::node(hash))
            .map_err(|e| TrieError::Source(e.to_string()))
    }
}

fn u64_from(what: &'static str, b: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = b.try_into().map_err(|_| StoreError::Corrupt {
        what,
        detail: format!("expected 8 bytes, found {}", b.len()),
    })?;
    Ok(u64::from_be_bytes(arr))
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        let db = DB::open(&opts, path)?;
        Ok(Self { db })
    }

    /// The head block, `None` before genesis.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        let Some(v) = self.db.get(tables::HEAD)? else {
            return Ok(None);
        };
        if v.len() != 40 {
            return Err(StoreError::Corrupt {
                what: "head",
                detail: format!("expected 40 bytes, found {}", v.len()),
            });
        }
        let number = u64_from("head", v.get(..8).unwrap_or(&[]))?;
        Ok(Some(Head {
            number,
            hash: B256::from_slice(v.get(8..).unwrap_or(&[0; 32])),
        }))
    }

    /// The flat account, if it exists.
    pub fn account(&self, address: &Address) -> Result<Option<StoredAccount>, StoreError> {
        self.db
            .get(tables::account(address))?
            .map(|b| StoredAccount::decode(&b))
            .transpose()
    }

    /// A storage slot (zero if unset).
    pub fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StoreError> {
        Ok(self
            .db
            .get(tables::storage(address, slot))?
            .map(|b| U256::from_be_slice(&b))
            .unwrap_or(U256::ZERO))
    }

    /// Bytecode by hash.
    pub fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self.db.get(tables::code(code_hash))?.map(Bytes::from))
    }

    /// The analysed bytecode of `code_hash`, which an account references: missing or
    /// undecodable code is corruption.
    pub fn bytecode(&self, code_hash: &B256) -> Result<revm::bytecode::Bytecode, StoreError> {
        let bytes = self.code(code_hash)?.ok_or_else(|| StoreError::Corrupt {
            what: "code",
            detail: format!("code {code_hash} is referenced but not stored"),
        })?;
        decode_bytecode(code_hash, bytes)
    }

    /// The canonical hash of block `number`.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        Ok(self
            .db
            .get(tables::canonical(number))?
            .map(|b| B256::from_slice(&b)))
    }

    /// The number of a stored block.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StoreError> {
        self.db
            .get(tables::number(hash))?
            .map(|b| u64_from("number", &b))
            .transpose()
    }

    /// The RLP header of a stored block.
    pub fn header_rlp(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(tables::header(hash))?)
    }

    /// The body bytes of a stored block.
    pub fn body(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(tables::body(hash))?)
    }

    /// The receipt bytes of a stored block.
    pub fn receipts(&self, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(tables::receipts(hash))?)
    }

    /// Where a transaction is: (block number, index).
    pub fn tx_location(&self, tx_hash: &B256) -> Result<Option<(u64, u32)>, StoreError> {
        let Some(v) = self.db.get(tables::tx(tx_hash))? else {
            return Ok(None);
        };
        let corrupt = || StoreError::Corrupt {
            what: "tx index",
            detail: format!("expected 12 bytes, found {}", v.len()),
        };
        let n = u64_from("tx index", v.get(..8).ok_or_else(corrupt)?)?;
        let i: [u8; 4] = v
            .get(8..12)
            .ok_or_else(corrupt)?
            .try_into()
            .map_err(|_| corrupt())?;
        Ok(Some((n, u32::from_be_bytes(i))))
    }

    /// Computes the state root after `state` on top of the head state with root `parent_root`,
    /// and the writes that make it durable. Reads only the trie nodes on changed paths.
    pub fn prepare_state(
        &self,
        parent_root: B256,
        state: &BlockState<'_>,
    ) -> Result<(B256, StateWrites), StoreError> {
        let nodes = DbNodes(&self.db);
        let mut new_nodes: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
        let mut writes = StateWrites::default();
        let mut account_updates = Vec::new();
        for (address, change) in state.changes() {
            let old = self.account(address)?;
            if change.storage_cleared {
                writes.range_deletes.push(tables::storage_range(address));
            }
            let Some(info) = change.info else {
                writes.puts.insert(tables::account(address), None);
                account_updates.push((trie::nibbles_of(&keccak256(address)), None));
                continue;
            };
            let base_root = match (change.storage_cleared, old) {
                (false, Some(old)) => old.storage_root,
                _ => EMPTY_ROOT_HASH,
            };
            let mut slot_updates = Vec::with_capacity(change.storage.len());
            for (slot, value) in &change.storage {
                let k = tables::storage(address, slot);
                let hashed = trie::nibbles_of(&keccak256(slot.to_be_bytes::<32>()));
                if value.is_zero() {
                    writes.puts.insert(k, None);
                    slot_updates.push((hashed, None));
                } else {
                    writes
                        .puts
                        .insert(k, Some(value.to_be_bytes::<32>().to_vec()));
                    slot_updates.push((hashed, Some(alloy_rlp::encode(value))));
                }
            }
            let storage_root = if slot_updates.is_empty() {
                base_root
            } else {
                trie::update_trie(&nodes, base_root, slot_updates, &mut new_nodes)?
            };
            let account = StoredAccount {
                nonce: info.nonce,
                balance: info.balance,
                code_hash: info.code_hash,
                storage_root,
            };
            writes
                .puts
                .insert(tables::account(address), Some(account.encode()));
            account_updates.push((
                trie::nibbles_of(&keccak256(address)),
                Some(account.trie_value()),
            ));
        }
        for (hash, code) in state.new_code() {
            writes.puts.insert(tables::code(hash), Some(code.to_vec()));
        }
        let root = trie::update_trie(&nodes, parent_root, account_updates, &mut new_nodes)?;
        writes.new_trie_nodes = new_nodes.len();
        for (h, n) in new_nodes {
            writes.puts.insert(tables::node(&h), Some(n));
        }
        Ok((root, writes))
    }

    /// Writes a block and its state in one fsync'd batch and makes it the head. The block must
    /// extend the current head (or be block 0 on an empty database).
    pub fn commit_block(&self, block: &BlockWrite, state: &StateWrites) -> Result<(), StoreError> {
        match self.head()? {
            Some(head) => {
                if block.parent_hash != head.hash
                    || Some(block.number) != head.number.checked_add(1)
                {
                    return Err(StoreError::NotChild {
                        number: block.number,
                        parent: block.parent_hash,
                        head_number: head.number,
                        head_hash: head.hash,
                    });
                }
            }
            None => {
                if block.number != 0 {
                    return Err(StoreError::NotInitialized);
                }
            }
        }
        let mut batch = WriteBatch::default();
        for (from, to) in &state.range_deletes {
            batch.delete_range(from, to);
        }
        for (k, v) in &state.puts {
            match v {
                Some(v) => batch.put(k, v),
                None => batch.delete(k),
            }
        }
        let h = &block.hash;
        batch.put(tables::header(h), &block.header_rlp);
        batch.put(tables::body(h), &block.body);
        batch.put(tables::receipts(h), &block.receipts);
        batch.put(tables::number(h), block.number.to_be_bytes());
        batch.put(tables::canonical(block.number), h.as_slice());
        for (i, tx) in block.tx_hashes.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| StoreError::Corrupt {
                what: "block",
                detail: format!("more than u32::MAX transactions ({i})"),
            })?;
            let mut loc = block.number.to_be_bytes().to_vec();
            loc.extend_from_slice(&i.to_be_bytes());
            batch.put(tables::tx(tx), loc);
        }
        let mut head = block.number.to_be_bytes().to_vec();
        head.extend_from_slice(h.as_slice());
        batch.put(tables::HEAD, head);
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo)?;
        Ok(())
    }

    /// Recomputes the state root from the flat account table with a full rebuild (for checks
    /// and tests; O(accounts)). Storage roots are taken from the account records.
    pub fn full_state_root(&self) -> Result<B256, StoreError> {
        let mut hb = alloy_trie::HashBuilder::default();
        let mut leaves = BTreeMap::new();
        for item in self.db.prefix_iterator([b'a']) {
            let (k, v) = item?;
            if k.first() != Some(&b'a') {
                break;
            }
            let address = Address::from_slice(k.get(1..).unwrap_or(&[0; 20]));
            let acc = StoredAccount::decode(&v)?;
            leaves.insert(keccak256(address), acc.trie_value());
        }
        for (k, v) in leaves {
            hb.add_leaf(alloy_trie::Nibbles::unpack(k), &v);
        }
        Ok(hb.root())
    }

    /// Empty code hash constant, re-exported for callers.
    pub const EMPTY_CODE_HASH: B256 = KECCAK_EMPTY;
}

/// Analyses `bytes` (the code of `code_hash`) as revm bytecode; failure is corruption.
pub fn decode_bytecode(
    code_hash: &B256,
    bytes: Bytes,
) -> Result<revm::bytecode::Bytecode, StoreError> {
    revm::bytecode::Bytecode::new_raw_checked(bytes).map_err(|e| StoreError::Corrupt {
        what: "code",
        detail: format!("code {code_hash} does not decode: {e:?}"),
    })
}
