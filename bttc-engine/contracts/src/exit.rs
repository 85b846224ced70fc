//! Withdrawals (exits) from BTTC to a root chain: what a holder's `ChildERC20.withdraw` burn
//! must be turned into for the RootChainManager's `exit` to release the root tokens
//! (`docs/exits.md`).
//!
//! - [`receipt_proof`] proves a transaction's receipt in its block's receipts trie (the
//!   Ethereum Merkle Patricia trie keyed by `rlp(txIndex)`), as the contract's
//!   `MerklePatriciaProof` reads it: the hash-referenced nodes from the root down, nodes
//!   shorter than 32 bytes staying embedded in their parent; [`trie_proof`] does the same for
//!   any trie;
//! - [`ExitPayload`] (and [`exit_payload`]) is the RLP list `[headerBlockId, blockProof,
//!   blockNumber, blockTime, txRoot, receiptRoot, receipt, receiptProof, branchMask,
//!   receiptLogIndex]` that `exit(bytes)` takes;
//! - [`exit_key`] is the key under which the contract records a burn as exited:
//!   `keccak256(abi.encode(blockNumber, txIndex, logIndex))`, with the branch mask accepted
//!   only as the canonical [`branch_mask`] `rlp(txIndex)`, so one burn has one key;
//! - [`burns`] finds the burn logs (`Transfer(from, address(0), amount)`) of a receipt, by the
//!   contract's rules;
//! - [`IRootChainManagerExit`]: the ABI of `exit`, `setRootChain` and their errors and events.
//!
//! The block proof (the checkpoint Merkle siblings of the block's leaf) comes from
//! [`crate::checkpoint::merkle_proof`] over the checkpoint's block leaves.

use std::collections::BTreeMap;

use alloy_consensus::ReceiptEnvelope;
use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{b256, keccak256, Address, Bytes, Log, B256, U256};
use alloy_rlp::Encodable as _;
use alloy_sol_types::SolValue as _;
use alloy_trie::proof::ProofRetainer;
use alloy_trie::{HashBuilder, Nibbles};

#[allow(
    missing_docs,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]
mod bindings {
    use alloy_sol_types::sol;

    sol! {
        /// Root chain: the RootChainManager's exits (its deposits and mappings are in
        /// `abi::IRootChainManager`), with the errors of the libraries `exit` uses
        /// (`RLPReader`, `MerklePatriciaProof`, `Merkle`).
        #[derive(Debug, PartialEq, Eq)]
        interface IRootChainManagerExit {
            event RootChainSet(address indexed rootChain);
            event ExitProcessed(bytes32 indexed exitKey, address indexed exitor, address indexed rootToken, address childToken, uint256 amount);

            error RootChainAlreadySet(address current);
            error RootChainHasNoCode(address rootChain);
            error RootChainNotSet();
            error ExitPayloadFieldCount(uint256 expected, uint256 found);
            error BadBranchMask(bytes found);
            error NonCanonicalBranchMask(bytes expected, bytes found);
            error ExitAlreadyProcessed(bytes32 exitKey);
            error BlockProofNotWords(uint256 length);
            error UnknownCheckpoint(uint256 headerBlockId, uint256 current);
            error BlockNotInCheckpoint(uint256 blockNumber, uint256 start, uint256 end);
            error BlockProofLength(uint256 expected, uint256 found);
            error BlockProofMismatch(bytes32 expected, bytes32 found);
            error BadReceipt(uint8 firstByte);
            error ReceiptFieldCount(uint256 expected, uint256 found);
            error BadReceiptStatus(uint256 length);
            error ReceiptFailed(uint256 status);
            error LogIndexOutOfRange(uint256 logIndex, uint256 logCount);
            error LogFieldCount(uint256 expected, uint256 found);
            error NotATransferLog(bytes32 expected, bytes32 found, uint256 topicCount);
            error NotABurn(address to);
            error BadAddressTopic(bytes32 topic);
            error BadTransferData(uint256 expected, uint256 found);
            error ChildTokenNotMapped(address childToken);
            error ZeroAmount();
            error ZeroAddress();
            error NotOwner(address caller, address owner);
            error ZeroOwner();

            error MPTNodeHashMismatch(uint256 index, bytes32 expected, bytes32 found);
            error MPTBadNode(uint256 index, uint256 items);
            error MPTBadReference(uint256 index, uint256 length);
            error MPTBadHexPrefix(uint256 index, uint8 firstByte);
            error MPTPathMismatch(uint256 index, uint256 pos);
            error MPTMissingChild(uint256 index, uint256 nibble);
            error MPTPathNotConsumed(uint256 consumed, uint256 total);
            error MPTProofTooShort(uint256 nodes);
            error MPTExtraNodes(uint256 used, uint256 given);
            error MPTValueMismatch(bytes32 expected, bytes32 found);

            error RLPTruncated(uint256 offset, uint256 needed, uint256 available);
            error RLPNonCanonical(uint256 offset);
            error RLPUnexpectedType(uint256 offset, bool expectedList);
            error RLPBadLength(uint256 offset, uint256 maxOrExpected, uint256 found);
            error RLPTrailingBytes(uint256 end, uint256 length);
            error NoLeaves();

            function exit(bytes inputData) external;
            function setRootChain(address rootChain) external;
            function rootChain() external view returns (address);
            function processedExits(bytes32 exitKey) external view returns (bool);
            function exitKey(uint256 blockNumber, uint256 txIndex, uint256 logIndex) external pure returns (bytes32);
            function TRANSFER_EVENT_SIG() external view returns (bytes32);
        }
    }
}

pub use bindings::IRootChainManagerExit;

/// `Transfer(address,address,uint256)`: topic 0 of the ERC-20 log a burn is.
pub const TRANSFER_TOPIC: B256 =
    b256!("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// The number of fields of an exit payload.
pub const EXIT_PAYLOAD_FIELDS: usize = 10;

/// A receipt or trie proof that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExitError {
    /// The transaction index is not one of the block's.
    #[error("transaction index {tx_index} is not in the block; expected below {receipts}")]
    TxIndexOutOfRange {
        /// The index asked for.
        tx_index: u64,
        /// How many receipts the block has.
        receipts: usize,
    },
    /// The receipts do not hash to the block's receipts root.
    #[error("the receipts give the receipts root {found}; the block's is {expected}")]
    ReceiptsRootMismatch {
        /// The block's receipts root.
        expected: B256,
        /// The root of the receipts given.
        found: B256,
    },
    /// A trie key that the trie cannot hold.
    #[error("trie key {key} is {reason}; expected 1 to 32 bytes, none a prefix of another")]
    BadKey {
        /// The key.
        key: Bytes,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An empty trie value (a trie does not store empty values).
    #[error("trie value under key {key} is empty; expected a non-empty value")]
    EmptyValue {
        /// The key.
        key: Bytes,
    },
    /// The key to prove is not in the trie.
    #[error("trie key {key} is not in the trie")]
    KeyNotFound {
        /// The key.
        key: Bytes,
    },
    /// The proof built does not verify (a bug, not an input error).
    #[error("the proof built for key {key} does not verify: {reason}")]
    ProofCheck {
        /// The key.
        key: Bytes,
        /// The verifier's complaint.
        reason: String,
    },
}

/// A receipt proven in its block's receipts trie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptProof {
    /// The root of the receipts trie (the block's `receiptsRoot`).
    pub receipts_root: B256,
    /// The transaction's index in the block.
    pub tx_index: u64,
    /// The trie key: [`branch_mask`]`(tx_index)`.
    pub key: Bytes,
    /// The receipt as the trie holds it (EIP-2718: `type ‖ rlp(fields)` when typed, the bare
    /// RLP list for a legacy transaction).
    pub receipt: Bytes,
    /// The hash-referenced trie nodes on the key's path, root first.
    pub nodes: Vec<Bytes>,
}

impl ReceiptProof {
    /// Checks that the proof is against `block_receipts_root` (the root of the block the
    /// receipts were said to come from).
    pub fn check_root(&self, block_receipts_root: B256) -> Result<(), ExitError> {
        if self.receipts_root == block_receipts_root {
            Ok(())
        } else {
            Err(ExitError::ReceiptsRootMismatch {
                expected: block_receipts_root,
                found: self.receipts_root,
            })
        }
    }
}

/// The receipts-trie key of transaction `tx_index`: `rlp(tx_index)` (0 → `0x80`, 1..=127 → one
/// byte, then `0x80 + length ‖ big-endian`). The only branch mask `exit` accepts.
pub fn branch_mask(tx_index: u64) -> Bytes {
    alloy_rlp::encode(tx_index).into()
}

/// The key under which `exit` records the burn at log `log_index` (its position in the
/// receipt's logs) of transaction `tx_index` of BTTC block `block_number`:
/// `keccak256(abi.encode(uint256 blockNumber, uint256 txIndex, uint256 logIndex))`.
pub fn exit_key(block_number: u64, tx_index: u64, log_index: u64) -> B256 {
    keccak256(
        (
            U256::from(block_number),
            U256::from(tx_index),
            U256::from(log_index),
        )
            .abi_encode(),
    )
}

/// Proves receipt `tx_index` of a block whose receipts (all of them, in order) are `receipts`.
/// The caller checks the root against the block's with [`ReceiptProof::check_root`].
pub fn receipt_proof(
    receipts: &[ReceiptEnvelope],
    tx_index: u64,
) -> Result<ReceiptProof, ExitError> {
    let encoded: Vec<Vec<u8>> = receipts.iter().map(|r| r.encoded_2718()).collect();
    encoded_receipt_proof(&encoded, tx_index)
}

/// [`receipt_proof`] over receipts already encoded as the trie holds them (EIP-2718).
pub fn encoded_receipt_proof<T: AsRef<[u8]>>(
    receipts: &[T],
    tx_index: u64,
) -> Result<ReceiptProof, ExitError> {
    let out_of_range = || ExitError::TxIndexOutOfRange {
        tx_index,
        receipts: receipts.len(),
    };
    let index = usize::try_from(tx_index).map_err(|_| out_of_range())?;
    let receipt = receipts.get(index).ok_or_else(out_of_range)?;
    let mut leaves = BTreeMap::new();
    for (i, r) in receipts.iter().enumerate() {
        leaves.insert(branch_mask(i as u64).to_vec(), r.as_ref().to_vec());
    }
    let key = branch_mask(tx_index);
    let (receipts_root, nodes) = trie_proof(&leaves, &key)?;
    Ok(ReceiptProof {
        receipts_root,
        tx_index,
        key,
        receipt: Bytes::copy_from_slice(receipt.as_ref()),
        nodes,
    })
}

/// The root of the Merkle Patricia trie holding `leaves` (key → value) and the proof of `key`:
/// the hash-referenced nodes on its path, root first (nodes shorter than 32 bytes are embedded
/// in their parent and not listed). Keys are 1 to 32 bytes, none a prefix of another; values
/// are non-empty. The proof is checked before it is returned.
pub fn trie_proof(
    leaves: &BTreeMap<Vec<u8>, Vec<u8>>,
    key: &[u8],
) -> Result<(B256, Vec<Bytes>), ExitError> {
    let bad = |k: &[u8], reason| ExitError::BadKey {
        key: Bytes::copy_from_slice(k),
        reason,
    };
    let mut previous: Option<&[u8]> = None;
    for (k, v) in leaves {
        if k.is_empty() || k.len() > 32 {
            return Err(bad(k, "of the wrong length"));
        }
        if previous.is_some_and(|p| k.starts_with(p)) {
            return Err(bad(k, "extending another key"));
        }
        if v.is_empty() {
            return Err(ExitError::EmptyValue {
                key: Bytes::copy_from_slice(k),
            });
        }
        previous = Some(k);
    }
    let value = leaves.get(key).ok_or_else(|| ExitError::KeyNotFound {
        key: Bytes::copy_from_slice(key),
    })?;
    let target = Nibbles::unpack(key);
    let mut builder = HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![target]));
    // BTreeMap order is byte order, which is nibble order: the builder's required order.
    for (k, v) in leaves {
        builder.add_leaf(Nibbles::unpack(k), v);
    }
    let root = builder.root();
    let nodes: Vec<Bytes> = builder
        .take_proof_nodes()
        .matching_nodes_sorted(&target)
        .into_iter()
        .enumerate()
        .filter(|(i, (_, node))| *i == 0 || node.len() >= 32)
        .map(|(_, (_, node))| node)
        .collect();
    verify_trie_proof(root, key, value, &nodes).map_err(|reason| ExitError::ProofCheck {
        key: Bytes::copy_from_slice(key),
        reason,
    })?;
    Ok((root, nodes))
}

/// Checks that `nodes` prove `value` under `key` in the trie with root `root`, by the rules of
/// the contract's `MerklePatriciaProof.verify` (each listed node hashes to its reference, nodes
/// under 32 bytes are embedded in their parent, hex-prefix paths are strict, the walk ends
/// exactly at the key's end in the last node). `Err` says what is wrong.
pub fn verify_trie_proof(
    root: B256,
    key: &[u8],
    value: &[u8],
    nodes: &[Bytes],
) -> Result<(), String> {
    let path: Vec<u8> = key.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect();
    let mut pos = 0usize;
    let mut expected = root;
    for (index, node) in nodes.iter().enumerate() {
        let found = keccak256(node);
        if found != expected {
            return Err(format!(
                "node {index} hashes to {found}; its reference is {expected}"
            ));
        }
        let (is_list, mut current, rest) = rlp_item(node)?;
        if !is_list || !rest.is_empty() {
            return Err(format!("node {index} is not one RLP list"));
        }
        let found_value = loop {
            let items = rlp_list_items(current)?;
            let child = match items.as_slice() {
                [children @ .., branch_value] if children.len() == 16 => {
                    let Some(nibble) = path.get(pos) else {
                        break Some(*branch_value);
                    };
                    pos = pos.saturating_add(1);
                    let child = children
                        .get(usize::from(*nibble))
                        .copied()
                        .ok_or_else(|| format!("node {index}: nibble {nibble} out of range"))?;
                    if child == (false, &[][..]) {
                        return Err(format!("node {index}: no child at nibble {nibble}"));
                    }
                    child
                }
                [(false, hp), child] => {
                    let (leaf, nibbles) = hex_prefix(hp)
                        .ok_or_else(|| format!("node {index}: bad hex-prefix path {hp:02x?}"))?;
                    for nibble in nibbles {
                        if path.get(pos) != Some(&nibble) {
                            return Err(format!("node {index}: path differs at nibble {pos}"));
                        }
                        pos = pos.saturating_add(1);
                    }
                    if leaf {
                        if pos != path.len() {
                            return Err(format!(
                                "leaf reached after {pos} of {} nibbles",
                                path.len()
                            ));
                        }
                        break Some(*child);
                    }
                    *child
                }
                other => return Err(format!("node {index} has {} items", other.len())),
            };
            match child {
                (true, payload) if payload.len() <= 30 => current = payload,
                (false, hash) if hash.len() == 32 => {
                    expected = B256::from_slice(hash);
                    break None;
                }
                (_, payload) => {
                    return Err(format!(
                        "node {index}: child reference of {} bytes",
                        payload.len()
                    ))
                }
            }
        };
        if let Some((is_list, found_value)) = found_value {
            if index.saturating_add(1) != nodes.len() {
                return Err(format!(
                    "the value is in node {index} of {} nodes",
                    nodes.len()
                ));
            }
            if is_list || found_value != value {
                return Err(format!("the value under the key is {found_value:02x?}"));
            }
            return Ok(());
        }
    }
    Err(format!(
        "the {} nodes end before the value is reached",
        nodes.len()
    ))
}

/// One RLP item at the start of `buf`: (is a list, payload, the bytes after it).
fn rlp_item(buf: &[u8]) -> Result<(bool, &[u8], &[u8]), String> {
    let mut rest = buf;
    let header = alloy_rlp::Header::decode(&mut rest).map_err(|e| e.to_string())?;
    if header.payload_length > rest.len() {
        return Err("RLP item runs past its buffer".into());
    }
    let (payload, after) = rest.split_at(header.payload_length);
    Ok((header.list, payload, after))
}

/// The items of a list payload: (is a list, payload) each.
fn rlp_list_items(mut payload: &[u8]) -> Result<Vec<(bool, &[u8])>, String> {
    let mut items = Vec::new();
    while !payload.is_empty() {
        let (is_list, item, rest) = rlp_item(payload)?;
        items.push((is_list, item));
        payload = rest;
    }
    Ok(items)
}

/// A hex-prefix path: (is a leaf, its nibbles); `None` when malformed (flag above 3, a non-zero
/// pad nibble, empty, or an extension without nibbles).
fn hex_prefix(hp: &[u8]) -> Option<(bool, Vec<u8>)> {
    let (first, rest) = hp.split_first()?;
    let flag = first >> 4;
    if flag > 3 {
        return None;
    }
    let (leaf, odd) = (flag >= 2, flag & 1 == 1);
    let mut nibbles = Vec::new();
    if odd {
        nibbles.push(first & 0x0f);
    } else if first & 0x0f != 0 {
        return None;
    }
    nibbles.extend(rest.iter().flat_map(|b| [b >> 4, b & 0x0f]));
    (leaf || !nibbles.is_empty()).then_some((leaf, nibbles))
}

/// The receipts root of `receipts` (as the block header has it), over their trie encodings.
pub fn receipts_root<T: AsRef<[u8]>>(receipts: &[T]) -> B256 {
    alloy_trie::root::ordered_trie_root_encoded(receipts)
}

/// What `exit(bytes inputData)` takes: a burn's receipt, proven in a BTTC block, and that
/// block proven in a checkpoint accepted by the root chain's RootChain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitPayload {
    /// The checkpoint's number on the root chain (`NewHeaderBlock.headerBlockId`).
    pub header_block_id: u64,
    /// The checkpoint Merkle siblings of the block's leaf, from the leaf up
    /// ([`crate::checkpoint::merkle_proof`]).
    pub block_proof: Vec<B256>,
    /// The BTTC block's number.
    pub block_number: u64,
    /// Its timestamp.
    pub block_time: u64,
    /// Its transactions root.
    pub tx_root: B256,
    /// Its receipts root.
    pub receipts_root: B256,
    /// The burn transaction's receipt as the receipts trie holds it.
    pub receipt: Bytes,
    /// The receipt's trie proof ([`ReceiptProof::nodes`]).
    pub receipt_proof: Vec<Bytes>,
    /// The trie key ([`branch_mask`]`(txIndex)`; `exit` refuses any other encoding).
    pub branch_mask: Bytes,
    /// The burn's position in the receipt's logs.
    pub log_index: u64,
}

impl ExitPayload {
    /// The payload of the burn at `log_index` of the receipt `proof` proves, in the block with
    /// these header fields, which checkpoint `header_block_id` covers with `block_proof`.
    pub fn new(
        header_block_id: u64,
        block_proof: Vec<B256>,
        block_number: u64,
        block_time: u64,
        tx_root: B256,
        proof: &ReceiptProof,
        log_index: u64,
    ) -> Self {
        Self {
            header_block_id,
            block_proof,
            block_number,
            block_time,
            tx_root,
            receipts_root: proof.receipts_root,
            receipt: proof.receipt.clone(),
            receipt_proof: proof.nodes.clone(),
            branch_mask: proof.key.clone(),
            log_index,
        }
    }

    /// The RLP list `exit(bytes)` takes: numbers as RLP integers, the block proof as one string
    /// of concatenated 32-byte words, the roots as 32-byte strings, the receipt and the branch
    /// mask as strings, the receipt proof as a list of the nodes (each an RLP list itself).
    pub fn encode(&self) -> Bytes {
        let block_proof: Vec<u8> = self.block_proof.iter().flat_map(|w| w.0).collect();
        let nodes_len = self
            .receipt_proof
            .iter()
            .fold(0usize, |sum, n| sum.saturating_add(n.len()));
        let proof_header = alloy_rlp::Header {
            list: true,
            payload_length: nodes_len,
        };
        let fields_len = [
            self.header_block_id.length(),
            block_proof.as_slice().length(),
            self.block_number.length(),
            self.block_time.length(),
            self.tx_root.length(),
            self.receipts_root.length(),
            self.receipt.length(),
            proof_header.length_with_payload(),
            self.branch_mask.length(),
            self.log_index.length(),
        ]
        .iter()
        .fold(0usize, |sum, len| sum.saturating_add(*len));
        let mut out = Vec::with_capacity(fields_len.saturating_add(9));
        alloy_rlp::Header {
            list: true,
            payload_length: fields_len,
        }
        .encode(&mut out);
        self.header_block_id.encode(&mut out);
        block_proof.as_slice().encode(&mut out);
        self.block_number.encode(&mut out);
        self.block_time.encode(&mut out);
        self.tx_root.encode(&mut out);
        self.receipts_root.encode(&mut out);
        self.receipt.encode(&mut out);
        proof_header.encode(&mut out);
        for node in &self.receipt_proof {
            out.extend_from_slice(node);
        }
        self.branch_mask.encode(&mut out);
        self.log_index.encode(&mut out);
        out.into()
    }

    /// The exit key `exit` records for this payload, when its branch mask is the canonical
    /// encoding of a transaction index (`None` otherwise: `exit` refuses such a payload).
    pub fn exit_key(&self) -> Option<B256> {
        let tx_index = tx_index_of(&self.branch_mask)?;
        Some(exit_key(self.block_number, tx_index, self.log_index))
    }
}

/// The exit payload of the burn at `log_index` of receipt `tx_index`, whose trie proof is
/// `receipt_proof`, in the BTTC block with these header fields, covered by checkpoint
/// `header_block_id` with `block_proof` ([`ExitPayload::encode`]).
#[allow(clippy::too_many_arguments)] // the payload's fields, in the contract's order
pub fn exit_payload(
    header_block_id: u64,
    block_proof: &[B256],
    block_number: u64,
    block_time: u64,
    tx_root: B256,
    receipts_root: B256,
    receipt: &[u8],
    receipt_proof: &[Bytes],
    tx_index: u64,
    log_index: u64,
) -> Bytes {
    ExitPayload {
        header_block_id,
        block_proof: block_proof.to_vec(),
        block_number,
        block_time,
        tx_root,
        receipts_root,
        receipt: Bytes::copy_from_slice(receipt),
        receipt_proof: receipt_proof.to_vec(),
        branch_mask: branch_mask(tx_index),
        log_index,
    }
    .encode()
}

/// The transaction index a branch mask canonically encodes (`None` for any other bytes).
pub fn tx_index_of(mask: &[u8]) -> Option<u64> {
    let mut buf = mask;
    let tx_index = <u64 as alloy_rlp::Decodable>::decode(&mut buf).ok()?;
    (buf.is_empty() && branch_mask(tx_index).as_ref() == mask).then_some(tx_index)
}

/// A burn log: `Transfer(from, address(0), amount)` with a non-zero amount, as `exit` accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burn {
    /// The log's position in the receipt's logs (the payload's `receiptLogIndex`).
    pub log_index: u64,
    /// The token that emitted it (a ChildERC20 for an exit to succeed).
    pub token: Address,
    /// The burner, who receives the root tokens.
    pub from: Address,
    /// The amount burnt.
    pub amount: U256,
}

/// The burns among `logs` (one receipt's logs, in order), by the rules `exit` applies to the
/// log it is pointed at.
pub fn burns(logs: &[Log]) -> Vec<Burn> {
    logs.iter()
        .enumerate()
        .filter_map(|(i, log)| {
            let [topic0, from, to] = log.topics() else {
                return None;
            };
            let address_of = |t: &B256| {
                t.0.iter()
                    .take(12)
                    .all(|b| *b == 0)
                    .then(|| Address::from_word(*t))
            };
            let from = address_of(from)?;
            let amount =
                U256::try_from_be_slice(&log.data.data).filter(|_| log.data.data.len() == 32)?;
            (*topic0 == TRANSFER_TOPIC
                && address_of(to) == Some(Address::ZERO)
                && !amount.is_zero())
            .then_some(Burn {
                log_index: i as u64,
                token: log.address,
                from,
                amount,
            })
        })
        .collect()
}

/// [`burns`] of a receipt whose transaction succeeded (none for a failed one).
pub fn receipt_burns(receipt: &ReceiptEnvelope) -> Vec<Burn> {
    if receipt.status() {
        burns(receipt.logs())
    } else {
        Vec::new()
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
    use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
    use alloy_primitives::{address, bytes, LogData};
    use alloy_rlp::{Decodable as _, Header};
    use alloy_sol_types::{SolCall as _, SolEvent as _, SolInterface as _};

    use crate::abi::IRootChainManager;
    use crate::root_chain_manager;

    #[test]
    fn branch_masks_are_the_rlp_of_the_index_and_nothing_else_decodes() {
        let cases: [(u64, Bytes); 7] = [
            (0, bytes!("80")),
            (1, bytes!("01")),
            (0x13, bytes!("13")),
            (127, bytes!("7f")),
            (128, bytes!("8180")),
            (255, bytes!("81ff")),
            (256, bytes!("820100")),
        ];
        for (index, mask) in cases {
            assert_eq!(branch_mask(index), mask);
            assert_eq!(tx_index_of(&mask), Some(index));
        }
        assert_eq!(
            branch_mask(u64::MAX),
            bytes!("88ffffffffffffffff"),
            "eight bytes at most"
        );
        // Polygon 2021: the hex-prefixed path `0x00 ‖ rlp(i)` and its other first nibbles, and
        // longer encodings of the same integer, are not branch masks.
        for bad in [
            bytes!("00"),
            bytes!("0013"),
            bytes!("1013"),
            bytes!("2013"),
            bytes!("3013"),
            bytes!("8113"),
            bytes!("820013"),
            bytes!("8100"),
            bytes!("81"),
            bytes!(""),
            bytes!("c0"),
            bytes!("1313"),
        ] {
            assert_eq!(tx_index_of(&bad), None, "{bad}");
        }
    }

    #[test]
    fn exit_keys_are_abi_encoded_words_hashed() {
        let mut pre = [0u8; 96];
        pre[31] = 7;
        pre[62] = 0x01;
        pre[63] = 0x02;
        pre[95] = 3;
        assert_eq!(exit_key(7, 0x0102, 3), keccak256(pre));
        assert_ne!(exit_key(7, 0x0102, 3), exit_key(7, 0x0102, 4));
        assert_ne!(exit_key(7, 3, 0x0102), exit_key(7, 0x0102, 3));
    }

    fn receipt(i: u64, typed: bool) -> ReceiptEnvelope {
        let logs = (0..i % 3)
            .map(|j| Log {
                address: Address::repeat_byte(i as u8),
                data: LogData::new_unchecked(
                    vec![TRANSFER_TOPIC, B256::with_last_byte(j as u8)],
                    Bytes::from(vec![j as u8; 32]),
                ),
            })
            .collect();
        let r = ReceiptWithBloom::from(Receipt {
            status: Eip658Value::Eip658(!i.is_multiple_of(5)),
            cumulative_gas_used: 21_000 * (i + 1),
            logs,
        });
        if typed {
            ReceiptEnvelope::Eip1559(r)
        } else {
            ReceiptEnvelope::Legacy(r)
        }
    }

    #[test]
    fn receipt_proofs_prove_every_receipt_of_blocks_of_every_shape() {
        for n in [1u64, 2, 3, 16, 17, 127, 128, 129, 140, 145, 300] {
            let receipts: Vec<ReceiptEnvelope> = (0..n).map(|i| receipt(i, i % 2 == 0)).collect();
            let root = alloy_consensus::proofs::calculate_receipt_root(&receipts);
            let encoded: Vec<Vec<u8>> = receipts.iter().map(|r| r.encoded_2718()).collect();
            assert_eq!(receipts_root(&encoded), root);
            for i in 0..n {
                let p = receipt_proof(&receipts, i).unwrap();
                assert_eq!(p.receipts_root, root, "n {n} i {i}");
                p.check_root(root).unwrap();
                assert_eq!(p.key, branch_mask(i));
                assert_eq!(p.receipt.to_vec(), encoded[i as usize]);
                assert_eq!(p.tx_index, i);
                // Root first; every node is referenced by hash (receipts are never < 32 bytes).
                assert!(!p.nodes.is_empty());
                assert!(p.nodes.iter().all(|node| node.len() >= 32));
                // A lone receipt is the root leaf; past 16 the trie has two levels or more.
                if n == 1 {
                    assert_eq!(p.nodes.len(), 1);
                }
                if n >= 17 && (1..=15).contains(&i) {
                    assert!(p.nodes.len() >= 3, "n {n} i {i}: {}", p.nodes.len());
                }
                verify_trie_proof(root, &p.key, &p.receipt, &p.nodes).unwrap();
                // alloy-trie's verifier agrees (its roots here are at least 32 bytes).
                alloy_trie::proof::verify_proof(
                    root,
                    Nibbles::unpack(&p.key),
                    Some(p.receipt.to_vec()),
                    &p.nodes,
                )
                .unwrap();
            }
            assert_eq!(
                receipt_proof(&receipts, n),
                Err(ExitError::TxIndexOutOfRange {
                    tx_index: n,
                    receipts: n as usize
                })
            );
        }
        let receipts = vec![receipt(1, true)];
        let p = receipt_proof(&receipts, 0).unwrap();
        assert_eq!(
            p.check_root(B256::ZERO),
            Err(ExitError::ReceiptsRootMismatch {
                expected: B256::ZERO,
                found: p.receipts_root
            })
        );
    }

    /// Node kinds of a proof: 'b' branch, 'e' extension, 'l' leaf (top level only).
    fn kinds(nodes: &[Bytes]) -> String {
        nodes
            .iter()
            .map(|n| {
                let mut buf = &n[..];
                let h = Header::decode(&mut buf).unwrap();
                assert!(h.list);
                let mut items = 0;
                let mut first = None;
                while !buf.is_empty() {
                    let h = Header::decode(&mut buf).unwrap();
                    if first.is_none() {
                        first = Some(buf[0]);
                    }
                    buf = &buf[h.payload_length..];
                    items += 1;
                }
                match (items, first.unwrap() >> 4) {
                    (17, _) => 'b',
                    (2, 0 | 1) => 'e',
                    (2, _) => 'l',
                    other => panic!("node of {other:?}"),
                }
            })
            .collect()
    }

    #[test]
    fn trie_proofs_keep_short_nodes_embedded_and_refuse_bad_tries() {
        // Tiny values: every node but the root is embedded in its parent.
        let leaves: BTreeMap<Vec<u8>, Vec<u8>> = [(0u64, b"a"), (1, b"b"), (2, b"c")]
            .iter()
            .map(|(i, v)| (branch_mask(*i).to_vec(), v.to_vec()))
            .collect();
        let (root, nodes) = trie_proof(&leaves, &branch_mask(2)).unwrap();
        assert_eq!(nodes.len(), 1);
        assert!(nodes[0].len() < 32 + 32);
        assert_eq!(keccak256(&nodes[0]), root);
        let values: Vec<&[u8]> = vec![b"a", b"b", b"c"];
        assert_eq!(receipts_root(&values), root);
        // 128 and 129 share the nibbles 8, 1, 8: an extension at the root.
        let leaves: BTreeMap<Vec<u8>, Vec<u8>> = [128u64, 129]
            .iter()
            .map(|i| (branch_mask(*i).to_vec(), vec![*i as u8]))
            .collect();
        let (_, nodes) = trie_proof(&leaves, &branch_mask(129)).unwrap();
        assert_eq!(kinds(&nodes), "e");
        // Real-sized receipts: 140 of them put an extension under the root's branch.
        let receipts: Vec<ReceiptEnvelope> = (0..140).map(|i| receipt(i, true)).collect();
        let p = receipt_proof(&receipts, 139).unwrap();
        assert_eq!(kinds(&p.nodes), "bbebl");
        let p = receipt_proof(&receipts, 0x13).unwrap();
        assert_eq!(kinds(&p.nodes), "bbl");

        let bad = |entries: &[(&[u8], &[u8])], key: &[u8]| {
            let leaves = entries
                .iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            trie_proof(&leaves, key).unwrap_err()
        };
        assert!(matches!(bad(&[(b"", b"x")], b""), ExitError::BadKey { .. }));
        assert!(matches!(
            bad(&[(&[1u8; 33], b"x")], &[1u8; 33]),
            ExitError::BadKey { .. }
        ));
        assert!(matches!(
            bad(&[(b"\x81", b"x"), (b"\x81\x80", b"y")], b"\x81"),
            ExitError::BadKey { .. }
        ));
        assert!(matches!(
            bad(&[(b"\x01", b"")], b"\x01"),
            ExitError::EmptyValue { .. }
        ));
        assert!(matches!(
            bad(&[(b"\x01", b"x")], b"\x02"),
            ExitError::KeyNotFound { .. }
        ));
    }

    #[test]
    fn the_rust_verifier_refuses_what_the_contract_refuses() {
        let receipts: Vec<ReceiptEnvelope> = (0..20).map(|i| receipt(i, true)).collect();
        let p = receipt_proof(&receipts, 0x13).unwrap();
        let (root, key, value) = (p.receipts_root, &p.key[..], &p.receipt[..]);
        verify_trie_proof(root, key, value, &p.nodes).unwrap();
        let refused = |nodes: &[Bytes], key: &[u8], value: &[u8], what: &str| {
            let e = verify_trie_proof(root, key, value, nodes).unwrap_err();
            assert!(e.contains(what), "{e}");
        };
        let mut mutated = p.nodes.clone();
        let mut leaf = mutated[2].to_vec();
        leaf[40] ^= 1;
        mutated[2] = leaf.into();
        refused(&mutated, key, value, "node 2 hashes to");
        refused(&p.nodes[..2], key, value, "end before the value");
        let mut extra = p.nodes.clone();
        extra.push(p.nodes[0].clone());
        refused(&extra, key, value, "the value is in node 2 of 4");
        refused(&p.nodes, key, b"other", "the value under the key");
        refused(&p.nodes, &branch_mask(0x12), value, "node 2 hashes to");
        refused(&p.nodes, &branch_mask(0x14), value, "no child at nibble 4");
        refused(&p.nodes, b"\x00\x13", value, "node 1 hashes to");
        refused(&p.nodes, b"\x13\x00", value, "leaf reached after 2 of 4");
        refused(&p.nodes, &branch_mask(0x1f), value, "no child at nibble 15");
        assert_eq!(hex_prefix(&[0x00]), None, "an extension without nibbles");
        assert_eq!(hex_prefix(&[0x01, 0x23]), None, "a dirty pad nibble");
        assert_eq!(hex_prefix(&[0x40]), None, "flag 4");
        assert_eq!(hex_prefix(&[0x20]), Some((true, vec![])));
        assert_eq!(hex_prefix(&[0x3a, 0xbc]), Some((true, vec![0xa, 0xb, 0xc])));
        assert_eq!(hex_prefix(&[0x00, 0xbc]), Some((false, vec![0xb, 0xc])));
    }

    #[test]
    fn the_payload_is_the_rlp_list_of_the_ten_fields() {
        let receipts: Vec<ReceiptEnvelope> = (0..20).map(|i| receipt(i, i != 4)).collect();
        let proof = receipt_proof(&receipts, 4).unwrap();
        let block_proof = vec![B256::repeat_byte(1), B256::repeat_byte(2)];
        let payload = ExitPayload::new(
            9,
            block_proof.clone(),
            300,
            1_700_000_000,
            B256::repeat_byte(3),
            &proof,
            1,
        );
        let encoded = payload.encode();
        assert_eq!(
            encoded,
            exit_payload(
                9,
                &block_proof,
                300,
                1_700_000_000,
                B256::repeat_byte(3),
                proof.receipts_root,
                &proof.receipt,
                &proof.nodes,
                4,
                1
            )
        );
        // Decode it field by field.
        let mut buf = &encoded[..];
        let h = Header::decode(&mut buf).unwrap();
        assert!(h.list);
        assert_eq!(h.payload_length, buf.len());
        assert_eq!(u64::decode(&mut buf).unwrap(), 9);
        let words = Bytes::decode(&mut buf).unwrap();
        assert_eq!(words.len(), 64);
        assert_eq!(&words[..32], block_proof[0].as_slice());
        assert_eq!(&words[32..], block_proof[1].as_slice());
        assert_eq!(u64::decode(&mut buf).unwrap(), 300);
        assert_eq!(u64::decode(&mut buf).unwrap(), 1_700_000_000);
        assert_eq!(B256::decode(&mut buf).unwrap(), B256::repeat_byte(3));
        assert_eq!(B256::decode(&mut buf).unwrap(), proof.receipts_root);
        // Receipt 4 is legacy: the string holds the bare RLP list.
        let receipt = Bytes::decode(&mut buf).unwrap();
        assert_eq!(receipt, proof.receipt);
        assert!(receipt[0] >= 0xc0);
        let h = Header::decode(&mut buf).unwrap();
        assert!(h.list);
        let mut nodes = &buf[..h.payload_length];
        buf = &buf[h.payload_length..];
        for node in &proof.nodes {
            let start = nodes;
            let nh = Header::decode(&mut nodes).unwrap();
            assert!(nh.list);
            let len = start.len() - nodes.len() + nh.payload_length;
            assert_eq!(&start[..len], &node[..]);
            nodes = &start[len..];
        }
        assert!(nodes.is_empty());
        assert_eq!(Bytes::decode(&mut buf).unwrap(), bytes!("04"));
        assert_eq!(u64::decode(&mut buf).unwrap(), 1);
        assert!(buf.is_empty());
        assert_eq!(payload.exit_key(), Some(exit_key(300, 4, 1)));
        let mut polygon = payload.clone();
        polygon.branch_mask = bytes!("0004");
        assert_eq!(polygon.exit_key(), None);
        // A typed receipt keeps its type byte.
        let typed = receipt_proof(&receipts, 5).unwrap();
        assert_eq!(typed.receipt[0], 2);
    }

    #[test]
    fn burns_are_transfers_to_zero_of_a_non_zero_amount() {
        let token = address!("0x00000000000000000000000000000000000000aa");
        let from = Address::repeat_byte(0x11);
        let word = |a: Address| a.into_word();
        let log = |topics: Vec<B256>, data: Vec<u8>| Log {
            address: token,
            data: LogData::new_unchecked(topics, data.into()),
        };
        let amount = U256::from(1000).to_be_bytes::<32>().to_vec();
        let logs = vec![
            // A burn.
            log(vec![TRANSFER_TOPIC, word(from), B256::ZERO], amount.clone()),
            // A transfer to someone.
            log(vec![TRANSFER_TOPIC, word(from), word(from)], amount.clone()),
            // Zero amount, short data, a dirty address topic, an Approval, a missing topic.
            log(vec![TRANSFER_TOPIC, word(from), B256::ZERO], vec![0; 32]),
            log(vec![TRANSFER_TOPIC, word(from), B256::ZERO], vec![1; 31]),
            log(
                vec![TRANSFER_TOPIC, B256::repeat_byte(0xff), B256::ZERO],
                amount.clone(),
            ),
            log(
                vec![
                    keccak256("Approval(address,address,uint256)"),
                    word(from),
                    B256::ZERO,
                ],
                amount.clone(),
            ),
            log(vec![TRANSFER_TOPIC, word(from)], amount.clone()),
            // Another burn.
            log(vec![TRANSFER_TOPIC, word(token), B256::ZERO], amount),
        ];
        assert_eq!(
            burns(&logs),
            vec![
                Burn {
                    log_index: 0,
                    token,
                    from,
                    amount: U256::from(1000)
                },
                Burn {
                    log_index: 7,
                    token,
                    from: token,
                    amount: U256::from(1000)
                }
            ]
        );
        let ok = ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: 1,
            logs: logs.clone(),
        }));
        assert_eq!(receipt_burns(&ok).len(), 2);
        let failed = ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(Receipt {
            status: Eip658Value::Eip658(false),
            cumulative_gas_used: 1,
            logs,
        }));
        assert!(receipt_burns(&failed).is_empty());
        assert_eq!(
            TRANSFER_TOPIC,
            keccak256("Transfer(address,address,uint256)")
        );
    }

    fn abi_signatures(kind: &str) -> Vec<String> {
        root_chain_manager().unwrap().abi_signatures(kind)
    }

    fn selector(signature: &str) -> [u8; 4] {
        keccak256(signature)[..4].try_into().unwrap()
    }

    #[test]
    fn the_exit_bindings_match_the_compiled_root_chain_manager() {
        use IRootChainManagerExit::{
            IRootChainManagerExitCalls as Calls, IRootChainManagerExitErrors as Errors,
            IRootChainManagerExitEvents as Events,
        };
        let functions: Vec<[u8; 4]> = abi_signatures("function")
            .iter()
            .map(|s| selector(s))
            .collect();
        let errors: Vec<[u8; 4]> = abi_signatures("error")
            .iter()
            .map(|s| selector(s))
            .collect();
        let events: Vec<B256> = abi_signatures("event").iter().map(keccak256).collect();
        for f in Calls::SELECTORS {
            assert!(functions.contains(f), "no function {f:?}");
        }
        for e in Errors::SELECTORS {
            assert!(errors.contains(e), "no error {e:?}");
        }
        for e in Events::SELECTORS {
            assert!(events.contains(&B256::from(*e)), "no event {e:?}");
        }
        // Every error and event of the contract is bound here or in abi::IRootChainManager.
        let bound_errors: Vec<[u8; 4]> = Errors::SELECTORS
            .iter()
            .chain(IRootChainManager::IRootChainManagerErrors::SELECTORS)
            .copied()
            .collect();
        for (sig, sel) in abi_signatures("error").iter().zip(&errors) {
            assert!(bound_errors.contains(sel), "error {sig} is not bound");
        }
        let bound_events: Vec<B256> = Events::SELECTORS
            .iter()
            .chain(IRootChainManager::IRootChainManagerEvents::SELECTORS)
            .map(|e| B256::from(*e))
            .collect();
        for sig in abi_signatures("event") {
            if sig == "OwnershipTransferred(address,address)" {
                continue;
            }
            assert!(
                bound_events.contains(&keccak256(&sig)),
                "event {sig} is not bound"
            );
        }
        assert_eq!(IRootChainManagerExit::exitCall::SIGNATURE, "exit(bytes)");
        assert_eq!(
            IRootChainManagerExit::ExitProcessed::SIGNATURE,
            "ExitProcessed(bytes32,address,address,address,uint256)"
        );
        let _ = IRootChainManagerExit::IRootChainManagerExitErrors::abi_decode;
    }
}
