// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Merkle} from "../lib/Merkle.sol";
import {Ownable} from "../lib/Ownable.sol";

/// @notice The part of the StakeManager that the RootChain drives on the staking chain.
interface IStakeManagerEpoch {
    /// @notice The current epoch.
    function currentEpoch() external view returns (uint256);
    /// @notice The account allowed, besides the owner, to set the epoch.
    function checkpointManager() external view returns (address);
    /// @notice Sets the epoch (it must rise).
    function setCurrentEpoch(uint256 epoch) external;
}

/// @title RootChain
/// @notice Accepts BTTC checkpoints on a root chain: a range of BTTC blocks (`start..=end`) with
/// the Merkle root of their leaves, signed by more than 2/3 of the validator power this contract
/// knows. Checkpoints follow each other without gaps, starting at BTTC block 0.
/// @dev The rules (docs/rootchain-contract.md, ADR 0008):
/// - `data = abi.encode(address proposer, uint256 start, uint256 end, bytes32 root,
///   bytes32 accountRoot, uint256 bttcChainId)`, signed as `keccak256(0x01 ‖ data)` (no
///   Ethereum message prefix); signatures `[r, s, v]` with v 27 or 28 and s in the lower half
///   of the curve order, in strictly ascending order of the recovered signer.
/// - A signer this contract does not know counts 0 (it is not an error: Delivery's set may have
///   changed before this root chain learnt it). The known power of the signers must be more
///   than 2/3 of the total known power: `3 * signed > 2 * total`.
/// - `accountRoot` commits to Delivery's validator set (sorted by signer, leaf
///   `keccak256(abi.encode(signer, power))`, the Merkle rule of `Merkle.rootOf`). After a
///   checkpoint is accepted, anyone may install that set with `updateValidators`: a set change is
///   thus signed by more than 2/3 of the old set. Every root chain, the staking chain included,
///   learns the set this way.
/// - On the staking chain the owner points `setStakeManager` at the StakeManager once; each
///   accepted checkpoint number k then raises the StakeManager's epoch to k + 1 (Delivery's
///   staking epoch is its ack count + 1).
contract RootChain is Ownable {
    /// @notice One accepted checkpoint.
    struct HeaderBlock {
        /// Merkle root of the BTTC blocks `start..=end`.
        bytes32 root;
        /// First BTTC block.
        uint256 start;
        /// Last BTTC block.
        uint256 end;
        /// Merkle root of the Delivery validator set that made the checkpoint.
        bytes32 accountRoot;
        /// The Delivery proposer named in the signed data.
        address proposer;
        /// `block.timestamp` of acceptance.
        uint256 timestamp;
    }

    /// @notice The most validators a set may have.
    uint256 public constant MAX_VALIDATORS = 256;
    /// @notice The largest total power (so that `3 * power` never overflows).
    uint256 public constant MAX_TOTAL_POWER = type(uint128).max;
    /// @notice The largest BTTC block number a checkpoint may end at (BTTC numbers are 64-bit).
    uint256 public constant MAX_BLOCK = type(uint64).max;
    /// @dev Half the secp256k1 group order: a larger s is the malleable twin of a valid one.
    uint256 private constant SECP256K1N_HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev Length of the signed data: six 32-byte words.
    uint256 private constant DATA_LENGTH = 192;

    /// @notice The BTTC chain id every checkpoint must name.
    uint256 public immutable bttcChainId;

    /// @notice The number of the last accepted checkpoint (0 before the first); checkpoints are
    /// numbered 1, 2, 3, ...
    uint256 public currentHeaderBlock;
    /// @notice The first BTTC block of the next checkpoint (0 before the first).
    uint256 public nextStart;
    /// @notice The accepted checkpoints by number.
    mapping(uint256 => HeaderBlock) public headerBlocks;
    /// @notice The account root of the validator set this contract checks signatures against.
    bytes32 public validatorSetRoot;
    /// @notice The total power of that set.
    uint256 public totalPower;
    /// @notice The number of validators in that set.
    uint256 public validatorCount;
    /// @notice The StakeManager whose epoch follows the accepted checkpoints (staking chain only;
    /// zero elsewhere).
    address public stakeManager;

    /// @dev Each installed set gets a fresh id, so a new set is written without clearing the old.
    uint256 private _setId;
    mapping(uint256 => mapping(address => uint256)) private _power;

    /// @notice A checkpoint was accepted (reward is always 0: BTTC pays no checkpoint reward here).
    event NewHeaderBlock(
        address indexed proposer,
        uint256 indexed headerBlockId,
        uint256 indexed reward,
        uint256 start,
        uint256 end,
        bytes32 root
    );
    /// @notice A validator set was installed (`headerBlockId` 0: the genesis set).
    event ValidatorSetUpdated(uint256 headerBlockId, bytes32 accountRoot, uint256 totalPower);
    /// @notice The StakeManager of the staking chain was set.
    event StakeManagerSet(address indexed stakeManager);

    /// @notice The signed data is not six words.
    error BadDataLength(uint256 expected, uint256 found);
    /// @notice The proposer word has bits above the 20 address bytes.
    error BadProposer(bytes32 word);
    /// @notice The checkpoint names another BTTC chain.
    error WrongBttcChainId(uint256 expected, uint256 found);
    /// @notice The checkpoint does not start where the previous one ended.
    error StartNotNext(uint256 expected, uint256 found);
    /// @notice The checkpoint ends before it starts.
    error EndBeforeStart(uint256 start, uint256 end);
    /// @notice The checkpoint ends past MAX_BLOCK.
    error EndTooLarge(uint256 end, uint256 max);
    /// @notice Signature `index` has a v other than 27 or 28.
    error BadSignatureV(uint256 index, uint256 v);
    /// @notice Signature `index` has s in the upper half of the curve order.
    error HighS(uint256 index, uint256 s);
    /// @notice Signature `index` does not recover to an address.
    error BadSignature(uint256 index);
    /// @notice Signature `index` recovers to the same signer as the one before it.
    error DuplicateSigner(uint256 index, address signer);
    /// @notice Signature `index` recovers to a signer below the one before it.
    error SignersNotAscending(uint256 index, address previous, address signer);
    /// @notice The signers hold `signedPower` of `totalPower`; more than 2/3 is required
    /// (at least `requiredPower`).
    error NotEnoughPower(uint256 signedPower, uint256 totalPower, uint256 requiredPower);
    /// @notice The signer and power lists differ in length.
    error LengthMismatch(uint256 signers, uint256 powers);
    /// @notice A set must have 1 to MAX_VALIDATORS validators.
    error BadValidatorCount(uint256 count, uint256 max);
    /// @notice Signer `index` is not above the one before it (sorted, distinct, non-zero).
    error ValidatorsNotAscending(uint256 index, address previous, address signer);
    /// @notice Validator `index` has power 0.
    error ZeroPower(uint256 index, address signer);
    /// @notice The set's total power is above MAX_TOTAL_POWER.
    error TotalPowerTooLarge(uint256 max);
    /// @notice No checkpoint was accepted yet, so no new set is committed to.
    error NoCheckpoint();
    /// @notice The list's account root is not the one of the last accepted checkpoint.
    error AccountRootMismatch(bytes32 expected, bytes32 found);
    /// @notice The set is already installed.
    error ValidatorSetUnchanged(bytes32 accountRoot);
    /// @notice The StakeManager is set already (it is set once).
    error StakeManagerAlreadySet(address current);
    /// @notice The StakeManager's checkpoint manager is not this contract.
    error StakeManagerNotWired(address stakeManager, address checkpointManager);
    /// @notice The address is zero.
    error ZeroAddress();

    /// @param bttcChainId_ The BTTC chain id checkpoints must name.
    /// @param signers The genesis validator set's signers, strictly ascending.
    /// @param powers Their powers (non-zero).
    constructor(uint256 bttcChainId_, address[] memory signers, uint256[] memory powers) {
        bttcChainId = bttcChainId_;
        (bytes32 root, uint256 total) = _rootOf(signers, powers);
        _install(0, root, total, signers, powers);
    }

    /// @notice Accepts a checkpoint (anyone may submit it; the signatures decide).
    /// @param data `abi.encode(proposer, start, end, root, accountRoot, bttcChainId)`.
    /// @param sigs `[r, s, v]` per signature, in strictly ascending order of the signer.
    /// @return headerBlockId The checkpoint's number.
    function submitCheckpoint(bytes calldata data, uint256[3][] calldata sigs)
        external
        returns (uint256 headerBlockId)
    {
        if (data.length != DATA_LENGTH) revert BadDataLength(DATA_LENGTH, data.length);
        bytes32 proposerWord = bytes32(data[0:32]);
        if (uint256(proposerWord) >> 160 != 0) revert BadProposer(proposerWord);
        address proposer = address(uint160(uint256(proposerWord)));
        uint256 start = uint256(bytes32(data[32:64]));
        uint256 end = uint256(bytes32(data[64:96]));
        bytes32 root = bytes32(data[96:128]);
        bytes32 accountRoot = bytes32(data[128:160]);
        uint256 chainId = uint256(bytes32(data[160:192]));

        if (chainId != bttcChainId) revert WrongBttcChainId(bttcChainId, chainId);
        if (start != nextStart) revert StartNotNext(nextStart, start);
        if (end < start) revert EndBeforeStart(start, end);
        if (end > MAX_BLOCK) revert EndTooLarge(end, MAX_BLOCK);

        _checkSignatures(keccak256(abi.encodePacked(hex"01", data)), sigs);

        headerBlockId = currentHeaderBlock + 1;
        currentHeaderBlock = headerBlockId;
        nextStart = end + 1;
        headerBlocks[headerBlockId] = HeaderBlock({
            root: root,
            start: start,
            end: end,
            accountRoot: accountRoot,
            proposer: proposer,
            timestamp: block.timestamp
        });
        emit NewHeaderBlock(proposer, headerBlockId, 0, start, end, root);

        address sm = stakeManager;
        if (sm != address(0)) {
            uint256 epoch = headerBlockId + 1;
            // The owner may have set the epoch ahead; never lower it (the StakeManager refuses).
            if (IStakeManagerEpoch(sm).currentEpoch() < epoch) IStakeManagerEpoch(sm).setCurrentEpoch(epoch);
        }
    }

    /// @notice Installs the validator set that the last accepted checkpoint's `accountRoot`
    /// commits to (anyone may call it).
    /// @param signers The signers, strictly ascending.
    /// @param powers Their powers (non-zero).
    function updateValidators(address[] memory signers, uint256[] memory powers) external {
        uint256 id = currentHeaderBlock;
        if (id == 0) revert NoCheckpoint();
        bytes32 expected = headerBlocks[id].accountRoot;
        (bytes32 found, uint256 total) = _rootOf(signers, powers);
        if (found != expected) revert AccountRootMismatch(expected, found);
        if (found == validatorSetRoot) revert ValidatorSetUnchanged(found);
        _install(id, found, total, signers, powers);
    }

    /// @notice Makes `stakeManager_` follow the accepted checkpoints (owner, once; the
    /// StakeManager's checkpoint manager must already be this contract).
    function setStakeManager(address stakeManager_) external onlyOwner {
        if (stakeManager != address(0)) revert StakeManagerAlreadySet(stakeManager);
        if (stakeManager_ == address(0)) revert ZeroAddress();
        address manager = IStakeManagerEpoch(stakeManager_).checkpointManager();
        if (manager != address(this)) revert StakeManagerNotWired(stakeManager_, manager);
        stakeManager = stakeManager_;
        emit StakeManagerSet(stakeManager_);
    }

    /// @notice The power of `signer` in the current set (0: not a validator).
    function powerOf(address signer) external view returns (uint256) {
        return _power[_setId][signer];
    }

    /// @notice Whether the BTTC block `number` with these header fields is in checkpoint
    /// `headerBlockId`: its leaf `keccak256(number ‖ timestamp ‖ transactionsRoot ‖
    /// receiptsRoot)` is leaf `number - start` of the checkpoint's root, by `proof` (sibling
    /// hashes from the leaf upwards; as many as the tree of `end - start + 1` leaves is deep).
    function verifyBlock(
        uint256 headerBlockId,
        uint256 number,
        uint256 timestamp,
        bytes32 transactionsRoot,
        bytes32 receiptsRoot,
        bytes32[] calldata proof
    ) external view returns (bool) {
        if (headerBlockId == 0 || headerBlockId > currentHeaderBlock) return false;
        HeaderBlock storage h = headerBlocks[headerBlockId];
        if (number < h.start || number > h.end) return false;
        if (proof.length != Merkle.depth(h.end - h.start + 1)) return false;
        bytes32 leaf = keccak256(abi.encode(number, timestamp, transactionsRoot, receiptsRoot));
        return Merkle.verifyProof(leaf, number - h.start, h.root, proof);
    }

    function _checkSignatures(bytes32 hash, uint256[3][] calldata sigs) private view {
        uint256 setId = _setId;
        uint256 signed = 0;
        address previous = address(0);
        for (uint256 i = 0; i < sigs.length; ++i) {
            uint256 r = sigs[i][0];
            uint256 s = sigs[i][1];
            uint256 v = sigs[i][2];
            if (v != 27 && v != 28) revert BadSignatureV(i, v);
            if (s > SECP256K1N_HALF) revert HighS(i, s);
            address signer = ecrecover(hash, uint8(v), bytes32(r), bytes32(s));
            if (signer == address(0)) revert BadSignature(i);
            if (signer == previous) revert DuplicateSigner(i, signer);
            if (signer < previous) revert SignersNotAscending(i, previous, signer);
            previous = signer;
            signed += _power[setId][signer];
        }
        uint256 total = totalPower;
        if (3 * signed <= 2 * total) revert NotEnoughPower(signed, total, (2 * total) / 3 + 1);
    }

    /// @dev Checks a set (sorted, distinct, non-zero signers and powers, 1..MAX_VALIDATORS
    /// entries, total within MAX_TOTAL_POWER) and returns its account root and total power.
    function _rootOf(address[] memory signers, uint256[] memory powers)
        private
        pure
        returns (bytes32 root, uint256 total)
    {
        uint256 count = signers.length;
        if (count != powers.length) revert LengthMismatch(count, powers.length);
        if (count == 0 || count > MAX_VALIDATORS) revert BadValidatorCount(count, MAX_VALIDATORS);
        bytes32[] memory leaves = new bytes32[](count);
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address signer = signers[i];
            uint256 power = powers[i];
            if (signer <= previous) revert ValidatorsNotAscending(i, previous, signer);
            if (power == 0) revert ZeroPower(i, signer);
            if (power > MAX_TOTAL_POWER - total) revert TotalPowerTooLarge(MAX_TOTAL_POWER);
            total += power;
            previous = signer;
            leaves[i] = keccak256(abi.encode(signer, power));
        }
        root = Merkle.rootOf(leaves);
    }

    /// @dev Installs a set `_rootOf` checked, under a fresh set id.
    function _install(
        uint256 headerBlockId,
        bytes32 root,
        uint256 total,
        address[] memory signers,
        uint256[] memory powers
    ) private {
        uint256 setId = _setId + 1;
        _setId = setId;
        for (uint256 i = 0; i < signers.length; ++i) {
            _power[setId][signers[i]] = powers[i];
        }
        validatorSetRoot = root;
        totalPower = total;
        validatorCount = signers.length;
        emit ValidatorSetUpdated(headerBlockId, root, total);
    }
}
