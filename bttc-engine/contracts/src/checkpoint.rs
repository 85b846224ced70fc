//! Checkpoints on the root chains: the `RootChain` contract's ABI ([`IRootChain`]), its
//! creation code ([`root_chain_init_code`]), and the formats a checkpoint is made of, computed
//! here so that tests and the bridge can build submissions:
//!
//! - the **sign data** `abi.encode(address proposer, uint256 start, uint256 end, bytes32 root,
//!   bytes32 accountRoot, uint256 bttcChainId)` ([`SignData`], [`sign_data`]) and the **sign
//!   hash** `keccak256(0x01 ‖ data)` ([`sign_hash`]) that every validator signs without an
//!   Ethereum message prefix;
//! - the **Merkle tree** of both roots: leaves in order, padded with zero words to the next
//!   power of two (a single leaf is its own root), parent `keccak256(left ‖ right)`, leaves not
//!   hashed again ([`merkle_root`], [`merkle_proof`], [`verify_proof`]);
//! - the **block leaf** `keccak256(pad32(number) ‖ pad32(timestamp) ‖ transactionsRoot ‖
//!   receiptsRoot)` ([`block_leaf`]) and the **account root** over the validator set sorted by
//!   signer, leaf `keccak256(abi.encode(address signer, uint256 power))` ([`account_root`]);
//! - the **signatures** of a submission: `[r, s, v]` words sorted by recovered signer
//!   ([`submission_sigs`]).
//!
//! Delivery's checkpoint module computes the same formats on its own; both follow
//! `docs/rootchain-contract.md` byte for byte.

use alloy_primitives::{b256, keccak256, Address, Bytes, Signature, B256, U256};
use alloy_sol_types::SolValue as _;

use crate::{root_chain, ContractsError};

#[allow(
    missing_docs,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]
mod bindings {
    use alloy_sol_types::sol;

    sol! {
        /// Root chain: accepts checkpoints signed by more than 2/3 of the validator power it
        /// knows and learns validator-set changes from them.
        #[derive(Debug, PartialEq, Eq)]
        interface IRootChain {
            event NewHeaderBlock(address indexed proposer, uint256 indexed headerBlockId, uint256 indexed reward, uint256 start, uint256 end, bytes32 root);
            event ValidatorSetUpdated(uint256 headerBlockId, bytes32 accountRoot, uint256 totalPower);
            event StakeManagerSet(address indexed stakeManager);
            event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

            error BadDataLength(uint256 expected, uint256 found);
            error BadProposer(bytes32 word);
            error WrongBttcChainId(uint256 expected, uint256 found);
            error StartNotNext(uint256 expected, uint256 found);
            error EndBeforeStart(uint256 start, uint256 end);
            error EndTooLarge(uint256 end, uint256 max);
            error BadSignatureV(uint256 index, uint256 v);
            error HighS(uint256 index, uint256 s);
            error BadSignature(uint256 index);
            error DuplicateSigner(uint256 index, address signer);
            error SignersNotAscending(uint256 index, address previous, address signer);
            error NotEnoughPower(uint256 signedPower, uint256 totalPower, uint256 requiredPower);
            error LengthMismatch(uint256 signers, uint256 powers);
            error BadValidatorCount(uint256 count, uint256 max);
            error ValidatorsNotAscending(uint256 index, address previous, address signer);
            error ZeroPower(uint256 index, address signer);
            error TotalPowerTooLarge(uint256 max);
            error NoCheckpoint();
            error AccountRootMismatch(bytes32 expected, bytes32 found);
            error ValidatorSetUnchanged(bytes32 accountRoot);
            error StakeManagerAlreadySet(address current);
            error StakeManagerNotWired(address stakeManager, address checkpointManager);
            error ZeroAddress();
            error NotOwner(address caller, address owner);
            error ZeroOwner();
            error NoLeaves();

            function submitCheckpoint(bytes data, uint256[3][] sigs) external returns (uint256 headerBlockId);
            function updateValidators(address[] signers, uint256[] powers) external;
            function setStakeManager(address stakeManager) external;
            function transferOwnership(address newOwner) external;
            function verifyBlock(uint256 headerBlockId, uint256 number, uint256 timestamp, bytes32 transactionsRoot, bytes32 receiptsRoot, bytes32[] proof) external view returns (bool);
            function powerOf(address signer) external view returns (uint256);
            function headerBlocks(uint256 headerBlockId) external view returns (bytes32 root, uint256 start, uint256 end, bytes32 accountRoot, address proposer, uint256 timestamp);
            function currentHeaderBlock() external view returns (uint256);
            function nextStart() external view returns (uint256);
            function validatorSetRoot() external view returns (bytes32);
            function totalPower() external view returns (uint256);
            function validatorCount() external view returns (uint256);
            function stakeManager() external view returns (address);
            function bttcChainId() external view returns (uint256);
            function owner() external view returns (address);
            function MAX_VALIDATORS() external view returns (uint256);
            function MAX_TOTAL_POWER() external view returns (uint256);
            function MAX_BLOCK() external view returns (uint256);
        }
    }
}

pub use bindings::IRootChain;

/// `NewHeaderBlock(address,uint256,uint256,uint256,uint256,bytes32)`: topic 0 of an accepted
/// checkpoint's log (the event a `MsgCheckpointAck` carries).
pub const NEW_HEADER_BLOCK: B256 =
    b256!("0xba5de06d22af2685c6c7765f60067f7d2b08c2d29f53cdf14d67f6d1c9bfb527");

/// The most validators a RootChain set may have (`MAX_VALIDATORS`).
pub const MAX_VALIDATORS: usize = 256;
/// The largest total power of a RootChain set (`MAX_TOTAL_POWER`, 2^128 - 1).
pub const MAX_TOTAL_POWER: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);
/// The length of the sign data: six 32-byte words.
pub const SIGN_DATA_LEN: usize = 192;
/// Half the secp256k1 group order: a signature with a larger `s` is refused (its low-`s` twin
/// is the canonical one).
pub const SECP256K1N_HALF: U256 = U256::from_be_bytes(
    b256!("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").0,
);

/// A validator set, sign data or signature that the RootChain contract would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The RootChain artifact could not be loaded.
    #[error(transparent)]
    Contracts(#[from] ContractsError),
    /// Signer and power lists of different lengths.
    #[error("validator set has {signers} signers and {powers} powers; expected as many of each")]
    LengthMismatch {
        /// Number of signers.
        signers: usize,
        /// Number of powers.
        powers: usize,
    },
    /// Too few or too many validators.
    #[error("validator set has {count} validators; expected 1 to {MAX_VALIDATORS}")]
    BadValidatorCount {
        /// Number of validators.
        count: usize,
    },
    /// A signer not above the previous one (or the zero address first).
    #[error(
        "validator {index}: signer {signer} is not above {previous}; expected strictly \
         ascending, non-zero signers"
    )]
    ValidatorsNotAscending {
        /// Position in the list.
        index: usize,
        /// The signer before it (zero for the first).
        previous: Address,
        /// The signer.
        signer: Address,
    },
    /// A validator with power 0.
    #[error("validator {index} ({signer}) has power 0; expected a non-zero power")]
    ZeroPower {
        /// Position in the list.
        index: usize,
        /// The signer.
        signer: Address,
    },
    /// The powers add up to more than [`MAX_TOTAL_POWER`].
    #[error("validator set total power exceeds {MAX_TOTAL_POWER}")]
    TotalPowerTooLarge,
    /// Sign data of the wrong length.
    #[error("sign data is {found} bytes; expected {SIGN_DATA_LEN}")]
    BadDataLength {
        /// Its length.
        found: usize,
    },
    /// A sign-data word that does not fit its field.
    #[error("sign data field {field} is {word}; expected a value that fits {expected}")]
    BadDataWord {
        /// The field name.
        field: &'static str,
        /// The word found.
        word: B256,
        /// What it must fit in.
        expected: &'static str,
    },
    /// A signature whose v byte is not 27 or 28.
    #[error("signature {index}: v is {v}; expected 27 or 28")]
    BadV {
        /// Position in the list.
        index: usize,
        /// The v byte.
        v: u8,
    },
    /// A signature with `s` above half the curve order.
    #[error("signature {index}: s is {s:#x}, above half the curve order; expected low s")]
    HighS {
        /// Position in the list.
        index: usize,
        /// The s value.
        s: U256,
    },
    /// A signature that recovers no public key.
    #[error("signature {index} does not recover a signer: {reason}")]
    Unrecoverable {
        /// Position in the list.
        index: usize,
        /// Why.
        reason: String,
    },
    /// Two signatures by the same signer.
    #[error("signatures {first} and {second} are both by {signer}; expected distinct signers")]
    DuplicateSigner {
        /// Position of the first in the list given.
        first: usize,
        /// Position of the second.
        second: usize,
        /// The signer.
        signer: Address,
    },
}

/// The fields a checkpoint's validators sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignData {
    /// The Delivery proposer (its signer address).
    pub proposer: Address,
    /// First BTTC block.
    pub start: u64,
    /// Last BTTC block.
    pub end: u64,
    /// Merkle root of the block leaves `start..=end` ([`checkpoint_root`]).
    pub root: B256,
    /// Account root of the Delivery validator set ([`account_root`]).
    pub account_root: B256,
    /// The BTTC chain id.
    pub bttc_chain_id: u64,
}

impl SignData {
    /// `abi.encode(address proposer, uint256 start, uint256 end, bytes32 root, bytes32
    /// accountRoot, uint256 bttcChainId)`: 192 bytes.
    pub fn encode(&self) -> Bytes {
        (
            self.proposer,
            U256::from(self.start),
            U256::from(self.end),
            self.root,
            self.account_root,
            U256::from(self.bttc_chain_id),
        )
            .abi_encode_params()
            .into()
    }

    /// Decodes 192 bytes of sign data. Refuses any other length, a proposer word with bits
    /// above its 20 bytes, and numbers above `u64::MAX`.
    pub fn decode(data: &[u8]) -> Result<Self, CheckpointError> {
        let words: &[u8; SIGN_DATA_LEN] = data
            .try_into()
            .map_err(|_| CheckpointError::BadDataLength { found: data.len() })?;
        let mut chunks = words.chunks_exact(32).map(B256::from_slice);
        let mut next = || chunks.next().unwrap_or(B256::ZERO);
        let proposer_word = next();
        let (start, end, root, account_root, chain) = (next(), next(), next(), next(), next());
        if proposer_word.0.iter().take(12).any(|b| *b != 0) {
            return Err(CheckpointError::BadDataWord {
                field: "proposer",
                word: proposer_word,
                expected: "an address",
            });
        }
        let as_u64 = |field: &'static str, word: B256| {
            u64::try_from(U256::from_be_bytes(word.0)).map_err(|_| CheckpointError::BadDataWord {
                field,
                word,
                expected: "u64",
            })
        };
        Ok(Self {
            proposer: Address::from_word(proposer_word),
            start: as_u64("start", start)?,
            end: as_u64("end", end)?,
            root,
            account_root,
            bttc_chain_id: as_u64("bttcChainId", chain)?,
        })
    }

    /// [`sign_hash`] of [`Self::encode`].
    pub fn sign_hash(&self) -> B256 {
        sign_hash(&self.encode())
    }
}

/// The sign data `abi.encode(proposer, start, end, root, accountRoot, bttcChainId)`.
pub fn sign_data(
    proposer: Address,
    start: u64,
    end: u64,
    root: B256,
    account_root: B256,
    bttc_chain_id: u64,
) -> Bytes {
    SignData {
        proposer,
        start,
        end,
        root,
        account_root,
        bttc_chain_id,
    }
    .encode()
}

/// The hash validators sign: `keccak256(0x01 ‖ data)`.
pub fn sign_hash(data: &[u8]) -> B256 {
    let mut pre = Vec::with_capacity(data.len().saturating_add(1));
    pre.push(0x01);
    pre.extend_from_slice(data);
    keccak256(pre)
}

/// `keccak256(left ‖ right)`.
pub fn hash_pair(left: B256, right: B256) -> B256 {
    let mut pre = [0u8; 64];
    let (l, r) = pre.split_at_mut(32);
    l.copy_from_slice(left.as_slice());
    r.copy_from_slice(right.as_slice());
    keccak256(pre)
}

/// The root of `leaves` (padded with zero words to the next power of two; a single leaf is
/// its own root). `None` for no leaves.
pub fn merkle_root(leaves: &[B256]) -> Option<B256> {
    let mut level = padded(leaves)?;
    while level.len() > 1 {
        level = parents(&level);
    }
    level.first().copied()
}

/// The sibling hashes from leaf `index` up to the root of `leaves` (as many as the tree is
/// deep: none for a single leaf). `None` when `index` is not a leaf.
pub fn merkle_proof(leaves: &[B256], index: usize) -> Option<Vec<B256>> {
    if index >= leaves.len() {
        return None;
    }
    let mut level = padded(leaves)?;
    let mut at = index;
    let mut proof = Vec::new();
    while level.len() > 1 {
        proof.push(*level.get(at ^ 1)?);
        level = parents(&level);
        at /= 2;
    }
    Some(proof)
}

/// Whether `leaf` is leaf `index` of the tree with root `root` by `proof` (the contract's
/// `Merkle.verifyProof`): `index` must be below `2^proof.len()`.
pub fn verify_proof(leaf: B256, index: u64, root: B256, proof: &[B256]) -> bool {
    let beyond = u32::try_from(proof.len())
        .ok()
        .and_then(|levels| index.checked_shr(levels))
        .unwrap_or(0);
    if beyond != 0 {
        return false;
    }
    let mut node = leaf;
    let mut at = index;
    for sibling in proof {
        node = if at & 1 == 0 {
            hash_pair(node, *sibling)
        } else {
            hash_pair(*sibling, node)
        };
        at /= 2;
    }
    node == root
}

fn padded(leaves: &[B256]) -> Option<Vec<B256>> {
    if leaves.is_empty() {
        return None;
    }
    let width = leaves.len().checked_next_power_of_two()?;
    let mut level = leaves.to_vec();
    level.resize(width, B256::ZERO);
    Some(level)
}

fn parents(level: &[B256]) -> Vec<B256> {
    level
        .iter()
        .step_by(2)
        .zip(level.iter().skip(1).step_by(2))
        .map(|(l, r)| hash_pair(*l, *r))
        .collect()
}

/// The leaf of a BTTC block: `keccak256(pad32(number) ‖ pad32(timestamp) ‖ transactionsRoot ‖
/// receiptsRoot)`.
pub fn block_leaf(
    number: u64,
    timestamp: u64,
    transactions_root: B256,
    receipts_root: B256,
) -> B256 {
    keccak256(
        (
            U256::from(number),
            U256::from(timestamp),
            transactions_root,
            receipts_root,
        )
            .abi_encode_params(),
    )
}

/// A checkpoint's `root`: the Merkle root of its block leaves in block order (`None` for no
/// blocks).
pub fn checkpoint_root(block_leaves: &[B256]) -> Option<B256> {
    merkle_root(block_leaves)
}

/// The leaf of one validator: `keccak256(abi.encode(address signer, uint256 power))`.
pub fn validator_leaf(signer: Address, power: U256) -> B256 {
    keccak256((signer, power).abi_encode_params())
}

/// The account root of a validator set: the Merkle root of [`validator_leaf`]s sorted by
/// signer ascending (this sorts a copy of `validators`). The zero word for an empty set, which
/// the contract never accepts. It does not check the set: [`check_validator_set`] does.
pub fn account_root(validators: &[(Address, U256)]) -> B256 {
    let mut sorted = validators.to_vec();
    sorted.sort_by_key(|(signer, _)| *signer);
    let leaves: Vec<B256> = sorted
        .iter()
        .map(|(signer, power)| validator_leaf(*signer, *power))
        .collect();
    merkle_root(&leaves).unwrap_or(B256::ZERO)
}

/// Checks a set as the contract does (as many powers as signers, 1 to [`MAX_VALIDATORS`]
/// entries, signers strictly ascending and non-zero, powers non-zero, total at most
/// [`MAX_TOTAL_POWER`]) and returns its total power.
pub fn check_validator_set(signers: &[Address], powers: &[U256]) -> Result<U256, CheckpointError> {
    if signers.len() != powers.len() {
        return Err(CheckpointError::LengthMismatch {
            signers: signers.len(),
            powers: powers.len(),
        });
    }
    if signers.is_empty() || signers.len() > MAX_VALIDATORS {
        return Err(CheckpointError::BadValidatorCount {
            count: signers.len(),
        });
    }
    let mut previous = Address::ZERO;
    let mut total = U256::ZERO;
    for (index, (signer, power)) in signers.iter().zip(powers).enumerate() {
        if *signer <= previous {
            return Err(CheckpointError::ValidatorsNotAscending {
                index,
                previous,
                signer: *signer,
            });
        }
        if power.is_zero() {
            return Err(CheckpointError::ZeroPower {
                index,
                signer: *signer,
            });
        }
        total = total
            .checked_add(*power)
            .filter(|t| *t <= MAX_TOTAL_POWER)
            .ok_or(CheckpointError::TotalPowerTooLarge)?;
        previous = *signer;
    }
    Ok(total)
}

/// Creation code of [`root_chain`](crate::root_chain) with its constructor arguments
/// `(uint256 bttcChainId, address[] signers, uint256[] powers)`: the genesis validator set,
/// checked by [`check_validator_set`] first. The deployer becomes the owner (who may call
/// `setStakeManager` once).
pub fn root_chain_init_code(
    bttc_chain_id: u64,
    signers: &[Address],
    powers: &[U256],
) -> Result<Bytes, CheckpointError> {
    check_validator_set(signers, powers)?;
    let mut code = root_chain()?.bytecode.to_vec();
    code.extend_from_slice(
        &(U256::from(bttc_chain_id), signers.to_vec(), powers.to_vec()).abi_encode_params(),
    );
    Ok(code.into())
}

/// The signer of a 65-byte signature `r ‖ s ‖ v` over `hash`, checked as the contract checks
/// it: v 27 or 28, s at most [`SECP256K1N_HALF`]. `index` only labels errors.
pub fn recover_signer(
    hash: B256,
    signature: &[u8; 65],
    index: usize,
) -> Result<Address, CheckpointError> {
    checked_signature(hash, signature, index).map(|(signer, _)| signer)
}

/// The signer and the `[r, s, v]` words of a signature the contract accepts.
fn checked_signature(
    hash: B256,
    signature: &[u8; 65],
    index: usize,
) -> Result<(Address, [U256; 3]), CheckpointError> {
    let [.., v] = *signature;
    if v != 27 && v != 28 {
        return Err(CheckpointError::BadV { index, v });
    }
    let sig = Signature::from_raw_array(signature).map_err(|e| CheckpointError::Unrecoverable {
        index,
        reason: e.to_string(),
    })?;
    if sig.s() > SECP256K1N_HALF {
        return Err(CheckpointError::HighS { index, s: sig.s() });
    }
    let signer =
        sig.recover_address_from_prehash(&hash)
            .map_err(|e| CheckpointError::Unrecoverable {
                index,
                reason: e.to_string(),
            })?;
    Ok((signer, [sig.r(), sig.s(), U256::from(v)]))
}

/// The `sigs` argument of `submitCheckpoint`: each 65-byte signature over `hash` as `[r, s,
/// v]`, sorted by recovered signer ascending, with that signer. Refuses what the contract
/// refuses (bad v, high s, no signer, two signatures by one signer); signers the contract does
/// not know are kept (they count 0 there).
pub fn submission_sigs(
    hash: B256,
    signatures: &[[u8; 65]],
) -> Result<Vec<(Address, [U256; 3])>, CheckpointError> {
    let mut out: Vec<(Address, usize, [U256; 3])> = Vec::with_capacity(signatures.len());
    for (index, raw) in signatures.iter().enumerate() {
        let (signer, words) = checked_signature(hash, raw, index)?;
        out.push((signer, index, words));
    }
    out.sort_by_key(|(signer, _, _)| *signer);
    for pair in out.windows(2) {
        if let [(a, first, _), (b, second, _)] = pair {
            if a == b {
                return Err(CheckpointError::DuplicateSigner {
                    first: *first.min(second),
                    second: *first.max(second),
                    signer: *a,
                });
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(signer, _, sig)| (signer, sig))
        .collect())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use alloy_sol_types::{SolCall, SolError, SolEvent};

    fn h(n: u8) -> B256 {
        B256::repeat_byte(n)
    }

    #[test]
    fn merkle_roots_pad_with_zero_words() {
        let (a, b, c) = (h(1), h(2), h(3));
        assert_eq!(merkle_root(&[]), None);
        assert_eq!(merkle_root(&[a]), Some(a));
        assert_eq!(merkle_root(&[a, b]), Some(hash_pair(a, b)));
        let three = hash_pair(hash_pair(a, b), hash_pair(c, B256::ZERO));
        assert_eq!(merkle_root(&[a, b, c]), Some(three));
        assert_eq!(merkle_root(&[a, b, c, B256::ZERO]), Some(three));
        // keccak(left ‖ right) by hand.
        let mut pre = a.to_vec();
        pre.extend_from_slice(b.as_slice());
        assert_eq!(hash_pair(a, b), keccak256(pre));
    }

    #[test]
    fn proofs_verify_for_every_leaf_and_only_there() {
        for n in 1..=9usize {
            let leaves: Vec<B256> = (1..=n as u8).map(h).collect();
            let root = merkle_root(&leaves).unwrap();
            let depth = n.next_power_of_two().trailing_zeros() as usize;
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = merkle_proof(&leaves, i).unwrap();
                assert_eq!(proof.len(), depth);
                assert!(verify_proof(*leaf, i as u64, root, &proof), "n {n} i {i}");
                assert!(!verify_proof(h(0xee), i as u64, root, &proof));
                if n > 1 {
                    assert!(!verify_proof(*leaf, (i ^ 1) as u64, root, &proof));
                }
                // An index past the proof's depth is refused rather than wrapped.
                assert!(!verify_proof(*leaf, i as u64 + (1 << depth), root, &proof));
            }
            assert_eq!(merkle_proof(&leaves, n), None);
        }
    }

    #[test]
    fn sign_data_is_six_words_and_round_trips() {
        let d = SignData {
            proposer: Address::repeat_byte(0xab),
            start: 7,
            end: 300,
            root: h(1),
            account_root: h(2),
            bttc_chain_id: 199,
        };
        let enc = d.encode();
        assert_eq!(enc.len(), SIGN_DATA_LEN);
        assert_eq!(&enc[..12], &[0u8; 12]);
        assert_eq!(&enc[12..32], Address::repeat_byte(0xab).as_slice());
        assert_eq!(U256::from_be_slice(&enc[32..64]), U256::from(7));
        assert_eq!(U256::from_be_slice(&enc[64..96]), U256::from(300));
        assert_eq!(&enc[96..128], h(1).as_slice());
        assert_eq!(&enc[128..160], h(2).as_slice());
        assert_eq!(U256::from_be_slice(&enc[160..]), U256::from(199));
        assert_eq!(
            enc,
            sign_data(d.proposer, 7, 300, h(1), h(2), 199),
            "the free function is the struct's encoding"
        );
        assert_eq!(SignData::decode(&enc), Ok(d));
        let mut pre = vec![1u8];
        pre.extend_from_slice(&enc);
        assert_eq!(d.sign_hash(), keccak256(pre));

        assert_eq!(
            SignData::decode(&enc[..191]),
            Err(CheckpointError::BadDataLength { found: 191 })
        );
        let mut dirty = enc.to_vec();
        dirty[0] = 1;
        assert!(matches!(
            SignData::decode(&dirty),
            Err(CheckpointError::BadDataWord {
                field: "proposer",
                ..
            })
        ));
        let mut big = enc.to_vec();
        big[32] = 1;
        assert!(matches!(
            SignData::decode(&big),
            Err(CheckpointError::BadDataWord { field: "start", .. })
        ));
    }

    #[test]
    fn block_and_validator_leaves_are_abi_words() {
        let leaf = block_leaf(5, 1000, h(3), h(4));
        let mut pre = U256::from(5).to_be_bytes::<32>().to_vec();
        pre.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
        pre.extend_from_slice(h(3).as_slice());
        pre.extend_from_slice(h(4).as_slice());
        assert_eq!(leaf, keccak256(pre));

        let signer = Address::repeat_byte(0x11);
        let mut pre = vec![0u8; 12];
        pre.extend_from_slice(signer.as_slice());
        pre.extend_from_slice(&U256::from(10).to_be_bytes::<32>());
        assert_eq!(validator_leaf(signer, U256::from(10)), keccak256(pre));
    }

    #[test]
    fn account_roots_sort_by_signer() {
        let (a, b, c) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let p = U256::from(10);
        let sorted = account_root(&[(a, p), (b, p), (c, U256::from(5))]);
        assert_eq!(sorted, account_root(&[(c, U256::from(5)), (a, p), (b, p)]));
        assert_eq!(
            sorted,
            merkle_root(&[
                validator_leaf(a, p),
                validator_leaf(b, p),
                validator_leaf(c, U256::from(5)),
            ])
            .unwrap()
        );
        assert_ne!(sorted, account_root(&[(a, p), (b, p), (c, p)]));
        assert_eq!(account_root(&[]), B256::ZERO);
    }

    #[test]
    fn validator_sets_are_checked_as_the_contract_checks_them() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let one = U256::from(1);
        assert_eq!(check_validator_set(&[a, b], &[one, one]), Ok(U256::from(2)));
        assert_eq!(
            check_validator_set(&[a], &[one, one]),
            Err(CheckpointError::LengthMismatch {
                signers: 1,
                powers: 2
            })
        );
        assert_eq!(
            check_validator_set(&[], &[]),
            Err(CheckpointError::BadValidatorCount { count: 0 })
        );
        let many: Vec<Address> = (1..=257u16)
            .map(|i| Address::left_padding_from(&i.to_be_bytes()))
            .collect();
        assert_eq!(
            check_validator_set(&many, &vec![one; 257]),
            Err(CheckpointError::BadValidatorCount { count: 257 })
        );
        assert_eq!(
            check_validator_set(&many[..256], &vec![one; 256]),
            Ok(U256::from(256))
        );
        assert!(matches!(
            check_validator_set(&[b, a], &[one, one]),
            Err(CheckpointError::ValidatorsNotAscending { index: 1, .. })
        ));
        assert!(matches!(
            check_validator_set(&[a, a], &[one, one]),
            Err(CheckpointError::ValidatorsNotAscending { index: 1, .. })
        ));
        assert!(matches!(
            check_validator_set(&[Address::ZERO], &[one]),
            Err(CheckpointError::ValidatorsNotAscending { index: 0, .. })
        ));
        assert_eq!(
            check_validator_set(&[a, b], &[one, U256::ZERO]),
            Err(CheckpointError::ZeroPower {
                index: 1,
                signer: b
            })
        );
        assert_eq!(
            check_validator_set(&[a, b], &[MAX_TOTAL_POWER, one]),
            Err(CheckpointError::TotalPowerTooLarge)
        );
        assert_eq!(
            check_validator_set(&[a, b], &[MAX_TOTAL_POWER - one, one]),
            Ok(MAX_TOTAL_POWER)
        );
        assert!(matches!(
            root_chain_init_code(1, &[b, a], &[one, one]),
            Err(CheckpointError::ValidatorsNotAscending { .. })
        ));
    }

    #[test]
    fn init_code_appends_the_genesis_set() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let code = root_chain_init_code(199, &[a, b], &[U256::from(3), U256::from(4)]).unwrap();
        let base = &root_chain().unwrap().bytecode;
        assert_eq!(&code[..base.len()], &base[..]);
        let args = &code[base.len()..];
        let w = |i: usize| U256::from_be_slice(&args[32 * i..32 * i + 32]);
        assert_eq!(args.len(), 32 * 9);
        assert_eq!(w(0), U256::from(199));
        assert_eq!(w(1), U256::from(96)); // offset of signers
        assert_eq!(w(2), U256::from(96 + 96)); // offset of powers
        assert_eq!(w(3), U256::from(2));
        assert_eq!(&args[4 * 32 + 12..5 * 32], a.as_slice());
        assert_eq!(&args[5 * 32 + 12..6 * 32], b.as_slice());
        assert_eq!(
            (w(6), w(7), w(8)),
            (U256::from(2), U256::from(3), U256::from(4))
        );
    }

    #[test]
    fn signatures_are_checked_and_sorted_by_signer() {
        use alloy_signer::SignerSync as _;
        let hash = sign_hash(b"anything");
        let sign = |n: u8| {
            let key = alloy_signer_local::PrivateKeySigner::from_bytes(&h(n)).unwrap();
            (key.address(), key.sign_hash_sync(&hash).unwrap().as_bytes())
        };
        let signed: Vec<(Address, [u8; 65])> = (1..=4).map(sign).collect();
        let raw: Vec<[u8; 65]> = signed.iter().map(|(_, s)| *s).collect();
        let sigs = submission_sigs(hash, &raw).unwrap();
        let mut expected: Vec<Address> = signed.iter().map(|(a, _)| *a).collect();
        expected.sort();
        assert_eq!(sigs.iter().map(|(a, _)| *a).collect::<Vec<_>>(), expected);
        for (signer, [r, s, v]) in &sigs {
            let (_, bytes) = signed.iter().find(|(a, _)| a == signer).unwrap();
            assert_eq!(*r, U256::from_be_slice(&bytes[..32]));
            assert_eq!(*s, U256::from_be_slice(&bytes[32..64]));
            assert_eq!(*v, U256::from(bytes[64]));
            assert!(*v == U256::from(27) || *v == U256::from(28));
        }

        let dup = vec![raw[0], raw[1], raw[0]];
        assert_eq!(
            submission_sigs(hash, &dup),
            Err(CheckpointError::DuplicateSigner {
                first: 0,
                second: 2,
                signer: signed[0].0
            })
        );
        let mut bad_v = raw[1];
        bad_v[64] = 1;
        assert_eq!(
            submission_sigs(hash, &[raw[0], bad_v]),
            Err(CheckpointError::BadV { index: 1, v: 1 })
        );
        // The high-s twin of a valid signature recovers the same signer, and is refused.
        let sig = Signature::from_raw_array(&raw[0]).unwrap();
        let order = SECP256K1N_HALF * U256::from(2) + U256::from(1);
        let twin = Signature::new(sig.r(), order - sig.s(), !sig.v()).as_bytes();
        assert!(matches!(
            submission_sigs(hash, &[twin]),
            Err(CheckpointError::HighS { index: 0, .. })
        ));
        let mut zero_r = raw[0];
        zero_r[..32].fill(0);
        assert!(matches!(
            submission_sigs(hash, &[zero_r]),
            Err(CheckpointError::Unrecoverable { index: 0, .. })
        ));
    }

    fn abi_signatures(kind: &str) -> Vec<String> {
        root_chain().unwrap().abi_signatures(kind)
    }

    #[test]
    fn the_bindings_are_the_compiled_abi() {
        use IRootChain::*;
        let a = root_chain().unwrap();
        assert_eq!(a.source_name, "src/root/RootChain.sol");
        assert_eq!(a.evm_version, "berlin");
        let selectors = |kind: &str| -> Vec<[u8; 4]> {
            let mut v: Vec<[u8; 4]> = abi_signatures(kind)
                .iter()
                .map(|s| keccak256(s)[..4].try_into().unwrap())
                .collect();
            v.sort();
            v
        };
        let sorted4 = |s: &[[u8; 4]]| {
            let mut v = s.to_vec();
            v.sort();
            v
        };
        // Every function and error of the contract is bound, and nothing else (the Merkle
        // library's NoLeaves is part of the contract's ABI).
        assert_eq!(selectors("function"), sorted4(IRootChainCalls::SELECTORS));
        assert_eq!(selectors("error"), sorted4(IRootChainErrors::SELECTORS));
        let mut events: Vec<[u8; 32]> = abi_signatures("event")
            .iter()
            .map(|s| keccak256(s).0)
            .collect();
        events.sort();
        let mut bound = IRootChainEvents::SELECTORS.to_vec();
        bound.sort();
        assert_eq!(events, bound);
        assert_eq!(
            NEW_HEADER_BLOCK,
            keccak256("NewHeaderBlock(address,uint256,uint256,uint256,uint256,bytes32)")
        );
        assert_eq!(NEW_HEADER_BLOCK, NewHeaderBlock::SIGNATURE_HASH);
        assert_eq!(
            submitCheckpointCall::SIGNATURE,
            "submitCheckpoint(bytes,uint256[3][])"
        );
        assert_eq!(
            NotEnoughPower::SIGNATURE,
            "NotEnoughPower(uint256,uint256,uint256)"
        );
    }
}
