//! The block store: every block the conductor made, its results and commit, in memory and
//! optionally in a directory (one JSON file per height plus `state.json`, each written to a
//! temporary file, synced and renamed into place).

use crate::valset::ValidatorSet;
use prost::Message;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{RequestFinalizeBlock, ResponseFinalizeBlock};
use tendermint_proto::v0_38::types::{BlockId, Commit, ConsensusParams};

/// A store directory that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Filesystem error.
    #[error("block store {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// IO error.
        source: std::io::Error,
    },
    /// A file that does not parse.
    #[error("block store file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Serde for prost messages: hex of the protobuf encoding.
pub(crate) mod proto_hex {
    use prost::Message;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<M: Message, S: Serializer>(m: &M, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(m.encode_to_vec()))
    }

    pub fn deserialize<'de, M: Message + Default, D: Deserializer<'de>>(
        d: D,
    ) -> Result<M, D::Error> {
        let s = String::deserialize(d)?;
        let b = hex::decode(&s).map_err(serde::de::Error::custom)?;
        M::decode(b.as_slice()).map_err(serde::de::Error::custom)
    }
}

/// One precommit the conductor collected for a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVote {
    /// Validator address.
    #[serde(with = "crate::serde_hex")]
    pub address: Vec<u8>,
    /// Voting power at that height.
    pub power: i64,
    /// Precommit timestamp.
    #[serde(with = "proto_hex")]
    pub timestamp: Timestamp,
    /// Ed25519 signature over the canonical precommit sign bytes.
    #[serde(with = "crate::serde_hex")]
    pub signature: Vec<u8>,
    /// Vote extension (empty before the enable height).
    #[serde(with = "crate::serde_hex")]
    pub extension: Vec<u8>,
    /// Ed25519 signature over the vote-extension sign bytes (empty before the enable height).
    #[serde(with = "crate::serde_hex")]
    pub extension_signature: Vec<u8>,
}

/// A block with everything the conductor knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredBlock {
    /// The protobuf block (header, data, evidence, last commit).
    #[serde(with = "proto_hex")]
    pub block: tendermint_proto::v0_38::types::Block,
    /// Block id (header hash and part-set header).
    #[serde(with = "proto_hex")]
    pub block_id: BlockId,
    /// Round in which the block was decided.
    pub round: i32,
    /// The FinalizeBlock request every app got (replayed verbatim in the handshake).
    #[serde(with = "proto_hex")]
    pub finalize_request: RequestFinalizeBlock,
    /// The FinalizeBlock response of the apps that agreed.
    #[serde(with = "proto_hex")]
    pub finalize_response: ResponseFinalizeBlock,
    /// The validators of this height (with proposer priorities for round 0).
    pub validators: ValidatorSet,
    /// Consensus params in force at this height.
    #[serde(with = "proto_hex")]
    pub consensus_params: ConsensusParams,
    /// Precommits for this block from the validators that voted.
    pub votes: Vec<StoredVote>,
    /// `(node address, voter address)`: extensions a node rejected (that node dropped the
    /// precommit).
    pub rejected_extensions: Vec<(String, String)>,
    /// The commit for this block, once the next block fixed it (else `None`: the "seen commit"
    /// is derived from `votes`).
    #[serde(default, with = "opt_commit")]
    pub canonical_commit: Option<Commit>,
}

mod opt_commit {
    use prost::Message;
    use serde::{Deserialize, Deserializer, Serializer};
    use tendermint_proto::v0_38::types::Commit;

    pub fn serialize<S: Serializer>(c: &Option<Commit>, s: S) -> Result<S::Ok, S::Error> {
        match c {
            Some(c) => s.serialize_some(&hex::encode(c.encode_to_vec())),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Commit>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => {
                let b = hex::decode(&s).map_err(serde::de::Error::custom)?;
                Commit::decode(b.as_slice())
                    .map(Some)
                    .map_err(serde::de::Error::custom)
            }
        }
    }
}

impl StoredBlock {
    /// Height.
    pub fn height(&self) -> i64 {
        self.block
            .header
            .as_ref()
            .map(|h| h.height)
            .unwrap_or_default()
    }

    /// Header hash.
    pub fn hash(&self) -> &[u8] {
        &self.block_id.hash
    }

    /// The app hash the apps returned for this block (the next header's app hash).
    pub fn result_app_hash(&self) -> &[u8] {
        &self.finalize_response.app_hash
    }

    /// The txs.
    pub fn txs(&self) -> &[Vec<u8>] {
        self.block
            .data
            .as_ref()
            .map(|d| d.txs.as_slice())
            .unwrap_or(&[])
    }
}

/// The chain state after the last stored block (CometBFT's `sm.State`, the parts we need).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainState {
    /// Chain id.
    pub chain_id: String,
    /// Initial height.
    pub initial_height: i64,
    /// Last committed height (`initial_height - 1` before the first block).
    pub last_height: i64,
    /// Id of the last block (empty before the first).
    #[serde(with = "proto_hex")]
    pub last_block_id: BlockId,
    /// Time of the last block (genesis time before the first).
    #[serde(with = "proto_hex")]
    pub last_block_time: Timestamp,
    /// Validators of the last height.
    pub last_validators: ValidatorSet,
    /// Validators of the next height.
    pub validators: ValidatorSet,
    /// Validators of the height after next.
    pub next_validators: ValidatorSet,
    /// Consensus params for the next height.
    #[serde(with = "proto_hex")]
    pub consensus_params: ConsensusParams,
    /// App protocol version.
    pub app_version: u64,
    /// App hash for the next header.
    #[serde(with = "crate::serde_hex")]
    pub app_hash: Vec<u8>,
    /// Results hash of the last block.
    #[serde(with = "crate::serde_hex")]
    pub last_results_hash: Vec<u8>,
}

/// Blocks by height, the tx index and the chain state; persisted when a directory is given.
#[derive(Debug)]
pub struct BlockStore {
    dir: Option<PathBuf>,
    blocks: BTreeMap<i64, StoredBlock>,
    tx_index: BTreeMap<Vec<u8>, (i64, u32)>,
    state: Option<ChainState>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target, then the directory synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    if let Some(parent) = path.parent() {
        if let Ok(d) = std::fs::File::open(parent) {
            // Directory fsync is best effort (not supported everywhere).
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl BlockStore {
    /// An empty in-memory store.
    pub fn in_memory() -> Self {
        BlockStore {
            dir: None,
            blocks: BTreeMap::new(),
            tx_index: BTreeMap::new(),
            state: None,
        }
    }

    /// Open (creating it if needed) a store directory and load what it holds.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let blocks_dir = dir.join("blocks");
        std::fs::create_dir_all(&blocks_dir).map_err(io_err(&blocks_dir))?;
        let mut store = BlockStore {
            dir: Some(dir.to_path_buf()),
            blocks: BTreeMap::new(),
            tx_index: BTreeMap::new(),
            state: None,
        };
        let state_path = dir.join("state.json");
        if state_path.exists() {
            let text = std::fs::read_to_string(&state_path).map_err(io_err(&state_path))?;
            let state: ChainState =
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    path: state_path.display().to_string(),
                    reason: e.to_string(),
                })?;
            store.state = Some(state);
        }
        let entries = std::fs::read_dir(&blocks_dir).map_err(io_err(&blocks_dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err(&blocks_dir))?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            let block: StoredBlock =
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            store.index(&block);
            store.blocks.insert(block.height(), block);
        }
        // A block written after the last state.json (crash in between) is dropped: the state
        // decides what is committed.
        let last = store
            .state
            .as_ref()
            .map(|s| s.last_height)
            .unwrap_or(i64::MIN);
        let extra: Vec<i64> = store
            .blocks
            .range(last.saturating_add(1)..)
            .map(|(h, _)| *h)
            .collect();
        for h in extra {
            if let Some(b) = store.blocks.remove(&h) {
                for tx in b.txs() {
                    store.tx_index.remove(&crate::hashing::tx_hash(tx));
                }
            }
        }
        if let Some(state) = &store.state {
            let expected = state
                .last_height
                .saturating_sub(state.initial_height)
                .saturating_add(1);
            if i64::try_from(store.blocks.len()).unwrap_or(i64::MAX) != expected.max(0) {
                return Err(StoreError::Corrupt {
                    path: blocks_dir.display().to_string(),
                    reason: format!(
                        "state.json says height {} (from {}), found {} block files",
                        state.last_height,
                        state.initial_height,
                        store.blocks.len()
                    ),
                });
            }
        }
        Ok(store)
    }

    fn index(&mut self, block: &StoredBlock) {
        let height = block.height();
        for (i, tx) in block.txs().iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            self.tx_index
                .insert(crate::hashing::tx_hash(tx), (height, i));
        }
    }

    fn block_path(&self, height: i64) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join("blocks").join(format!("{height:012}.json")))
    }

    fn write_block(&self, block: &StoredBlock) -> Result<(), StoreError> {
        if let Some(path) = self.block_path(block.height()) {
            let text = serde_json::to_vec(block).map_err(|e| StoreError::Corrupt {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            write_atomic(&path, &text)?;
        }
        Ok(())
    }

    fn write_state(&self, state: &ChainState) -> Result<(), StoreError> {
        if let Some(dir) = &self.dir {
            let path = dir.join("state.json");
            let text = serde_json::to_vec_pretty(state).map_err(|e| StoreError::Corrupt {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            write_atomic(&path, &text)?;
        }
        Ok(())
    }

    /// The persisted chain state, if any block or genesis state was saved.
    pub fn state(&self) -> Option<&ChainState> {
        self.state.as_ref()
    }

    /// Save the state alone (after InitChain, before the first block).
    pub fn save_state(&mut self, state: ChainState) -> Result<(), StoreError> {
        self.write_state(&state)?;
        self.state = Some(state);
        Ok(())
    }

    /// Save a new block and the state after it (block file first, then the state).
    pub fn commit_block(
        &mut self,
        block: StoredBlock,
        state: ChainState,
    ) -> Result<(), StoreError> {
        self.write_block(&block)?;
        self.write_state(&state)?;
        self.index(&block);
        self.blocks.insert(block.height(), block);
        self.state = Some(state);
        Ok(())
    }

    /// Record the canonical commit of a block (fixed by the next block).
    pub fn set_canonical_commit(&mut self, height: i64, commit: Commit) -> Result<(), StoreError> {
        let updated = match self.blocks.get_mut(&height) {
            Some(b) => {
                b.canonical_commit = Some(commit);
                b.clone()
            }
            None => return Ok(()),
        };
        self.write_block(&updated)
    }

    /// A block by height.
    pub fn block(&self, height: i64) -> Option<&StoredBlock> {
        self.blocks.get(&height)
    }

    /// The last block.
    pub fn latest(&self) -> Option<&StoredBlock> {
        self.blocks.values().next_back()
    }

    /// The first block.
    pub fn earliest(&self) -> Option<&StoredBlock> {
        self.blocks.values().next()
    }

    /// Last stored height (0 when empty).
    pub fn height(&self) -> i64 {
        self.blocks.keys().next_back().copied().unwrap_or(0)
    }

    /// Where a tx (by hash) landed: height and index in the block.
    pub fn tx_location(&self, hash: &[u8]) -> Option<(i64, u32)> {
        self.tx_index.get(hash).copied()
    }

    /// Blocks from `from` (inclusive) on.
    pub fn blocks_from(&self, from: i64) -> impl Iterator<Item = &StoredBlock> {
        self.blocks.range(from..).map(|(_, b)| b)
    }

    /// Size of the protobuf encoding of a block (for reports).
    pub fn encoded_len(block: &StoredBlock) -> usize {
        block.block.encoded_len()
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    fn state(last_height: i64) -> ChainState {
        let set = ValidatorSet::new(vec![crate::valset::Validator::new(vec![1; 32], 10)]).unwrap();
        ChainState {
            chain_id: "c".into(),
            initial_height: 1,
            last_height,
            last_block_id: crate::hashing::empty_block_id(),
            last_block_time: Timestamp {
                seconds: 1,
                nanos: 2,
            },
            last_validators: set.clone(),
            validators: set.clone(),
            next_validators: set.copy_increment(1),
            consensus_params: crate::genesis::default_consensus_params(),
            app_version: 1,
            app_hash: vec![9; 8],
            last_results_hash: crate::hashing::empty_hash(),
        }
    }

    #[test]
    fn state_survives_a_reopen_and_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = BlockStore::open(dir.path()).unwrap();
        assert!(store.state().is_none());
        store.save_state(state(0)).unwrap();
        drop(store);
        let store = BlockStore::open(dir.path()).unwrap();
        assert_eq!(store.state(), Some(&state(0)));
        assert_eq!(store.height(), 0);
        // A state claiming blocks the directory does not have is refused.
        write_atomic(
            &dir.path().join("state.json"),
            serde_json::to_string(&state(3)).unwrap().as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            BlockStore::open(dir.path()),
            Err(StoreError::Corrupt { .. })
        ));
        std::fs::write(dir.path().join("state.json"), b"{ not json").unwrap();
        assert!(matches!(
            BlockStore::open(dir.path()),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(!dir.path().join("state.tmp").exists());
    }
}
