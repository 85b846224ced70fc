// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IERC20} from "../lib/IERC20.sol";
import {Ownable} from "../lib/Ownable.sol";
import {SafeERC20} from "../lib/SafeERC20.sol";
import {ERC721} from "./ERC721.sol";

/// @title StakeManager
/// @notice Validator staking on a root chain. Each validator is an ERC-721 token whose id is the
/// validator id (1, 2, 3, ... in staking order); the token's owner controls the stake (restake,
/// signer change, unstake, claim). Delivery's bridge reads the staking events below and applies
/// them in per-validator nonce order.
/// @dev Events and their meaning are fixed by Delivery (docs/contracts.md):
/// - the per-validator nonce is 1 at Staked and rises by exactly 1 with each StakeUpdate,
///   SignerChange and UnstakeInit of that validator; Unstaked carries no nonce and leaves it;
/// - `total` is the total stake of all validators after the event; a validator's stake counts
///   until its Unstaked (claim), not only until its UnstakeInit;
/// - `activationEpoch` / `deactivationEpoch` are `currentEpoch()` when the event is emitted.
/// `currentEpoch` starts at 1 and only rises. It is set by the owner or by the checkpoint
/// manager role; the checkpoint issue makes the RootChain contract (which accepts checkpoints)
/// that role, so that an accepted checkpoint advances the epoch.
/// Mainnet's minimum stake is one trillion BTT (1e12 * 1e18 = 1e30 atto-BTT, a constructor
/// parameter here); dev and local root chains pass a tiny value.
/// The signer public key is not checked to be on the secp256k1 curve: a key that is not gives a
/// signer address nobody can sign for, so Delivery never accepts its join.
contract StakeManager is ERC721, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Where a validator is in its life.
    enum Status {
        /// No validator with this id was ever staked.
        None,
        /// Staked and not unstaking.
        Active,
        /// Unstake initiated; the stake stays locked until the withdrawal delay is over.
        Unstaking,
        /// The stake was claimed and the validator token burnt.
        Unstaked
    }

    /// @notice A validator's record.
    struct Validator {
        /// The signer address (last 20 bytes of keccak256 of the public key's X ‖ Y).
        address signer;
        /// The signer's 65-byte uncompressed secp256k1 public key (0x04 ‖ X ‖ Y).
        bytes signerPubkey;
        /// The stake (0 after the claim).
        uint256 amount;
        /// `currentEpoch` at staking.
        uint256 activationEpoch;
        /// `currentEpoch` at unstake (0 while active).
        uint256 deactivationEpoch;
        /// The nonce of the validator's last event (1 at Staked).
        uint256 nonce;
        /// Where the validator is in its life.
        Status status;
    }

    /// @notice The staking token (BTT).
    IERC20 public immutable token;
    /// @notice The smallest stake `stakeFor` accepts.
    uint256 public immutable minStake;
    /// @notice Epochs between an unstake and the earliest claim.
    uint256 public immutable withdrawalDelay;

    /// @notice The current epoch (starts at 1, only rises).
    uint256 public currentEpoch = 1;
    /// @notice The total stake of all validators that have not claimed their stake back.
    uint256 public totalStaked;
    /// @notice The id of the last validator staked (validator ids are 1..validatorCount).
    uint256 public validatorCount;
    /// @notice Besides the owner, the account allowed to set `currentEpoch` (the RootChain
    /// contract, once the checkpoint issue wires it; zero until then).
    address public checkpointManager;
    /// @notice The validator whose signer is this address (0: none). A signer serves one
    /// validator at a time; it is released when that validator claims its stake.
    mapping(address => uint256) public signerToValidator;

    mapping(uint256 => Validator) private _validators;

    /// @notice A validator joined.
    event Staked(
        address indexed signer,
        uint256 indexed validatorId,
        uint256 nonce,
        uint256 indexed activationEpoch,
        uint256 amount,
        uint256 total,
        bytes signerPubkey
    );
    /// @notice A validator's stake grew to `newAmount`.
    event StakeUpdate(uint256 indexed validatorId, uint256 indexed nonce, uint256 indexed newAmount);
    /// @notice A validator's signer changed.
    event SignerChange(
        uint256 indexed validatorId,
        uint256 nonce,
        address indexed oldSigner,
        address indexed newSigner,
        bytes signerPubkey
    );
    /// @notice A validator started to unstake; it leaves the validator set at `deactivationEpoch`.
    event UnstakeInit(
        address indexed user, uint256 indexed validatorId, uint256 nonce, uint256 deactivationEpoch, uint256 indexed amount
    );
    /// @notice A validator's stake went back to its owner `user`.
    event Unstaked(address indexed user, uint256 indexed validatorId, uint256 amount, uint256 total);
    /// @notice `currentEpoch` was set.
    event CurrentEpochSet(uint256 indexed epoch);
    /// @notice The checkpoint manager role changed.
    event CheckpointManagerSet(address indexed checkpointManager);

    /// @notice The stake is below `minStake`.
    error StakeBelowMinimum(uint256 amount, uint256 minStake);
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice Validator tokens cannot go to the zero address.
    error ZeroUser();
    /// @notice The public key is not 65 bytes starting with 0x04.
    error InvalidSignerPubkey(uint256 length, bytes1 prefix);
    /// @notice The signer already serves a validator.
    error SignerInUse(address signer, uint256 validatorId);
    /// @notice The new signer is the validator's current one.
    error SameSigner(address signer);
    /// @notice Only the owner of the validator token may do this.
    error NotValidatorOwner(address caller, uint256 validatorId, address owner);
    /// @notice The validator is not active (unstaking, unstaked or never staked).
    error ValidatorNotActive(uint256 validatorId, Status status);
    /// @notice The validator is not unstaking.
    error ValidatorNotUnstaking(uint256 validatorId, Status status);
    /// @notice The withdrawal delay is not over: the claim opens at `claimableEpoch`.
    error WithdrawalDelayNotOver(uint256 validatorId, uint256 currentEpoch, uint256 claimableEpoch);
    /// @notice Only the owner or the checkpoint manager may set the epoch.
    error NotEpochSetter(address caller);
    /// @notice The epoch must rise.
    error EpochNotIncreasing(uint256 currentEpoch, uint256 proposed);
    /// @notice The staking token is the zero address.
    error ZeroToken();

    /// @param token_ The staking token (BTT).
    /// @param minStake_ The smallest stake (mainnet: 1e30, one trillion BTT).
    /// @param withdrawalDelay_ Epochs between an unstake and the earliest claim.
    constructor(IERC20 token_, uint256 minStake_, uint256 withdrawalDelay_) ERC721("BTTC Validator", "BTTCV") {
        if (address(token_) == address(0)) revert ZeroToken();
        token = token_;
        minStake = minStake_;
        withdrawalDelay = withdrawalDelay_;
    }

    /// @notice Stakes `amount` (pulled from the caller, who must have approved it) for a new
    /// validator owned by `user` with the signer of `signerPubkey`.
    /// @param user The owner of the new validator token.
    /// @param amount The stake, at least `minStake`.
    /// @param signerPubkey 65 bytes: 0x04 ‖ X ‖ Y.
    /// @return validatorId The new validator's id.
    function stakeFor(address user, uint256 amount, bytes calldata signerPubkey)
        external
        returns (uint256 validatorId)
    {
        if (user == address(0)) revert ZeroUser();
        if (amount < minStake || amount == 0) revert StakeBelowMinimum(amount, minStake);
        address signer = _signerOf(signerPubkey);
        uint256 holder = signerToValidator[signer];
        if (holder != 0) revert SignerInUse(signer, holder);

        validatorId = validatorCount + 1;
        validatorCount = validatorId;
        totalStaked += amount;
        uint256 epoch = currentEpoch;
        Validator storage v = _validators[validatorId];
        v.signer = signer;
        v.signerPubkey = signerPubkey;
        v.amount = amount;
        v.activationEpoch = epoch;
        v.nonce = 1;
        v.status = Status.Active;
        signerToValidator[signer] = validatorId;

        token.safeTransferFrom(msg.sender, address(this), amount);
        _mint(user, validatorId);
        emit Staked(signer, validatorId, 1, epoch, amount, totalStaked, signerPubkey);
    }

    /// @notice Adds `amount` (pulled from the caller) to an active validator's stake; the
    /// validator token's owner only.
    function restake(uint256 validatorId, uint256 amount) external {
        Validator storage v = _activeOwnedBy(msg.sender, validatorId);
        if (amount == 0) revert ZeroAmount();
        uint256 newAmount = v.amount + amount;
        v.amount = newAmount;
        totalStaked += amount;
        uint256 nonce = v.nonce + 1;
        v.nonce = nonce;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit StakeUpdate(validatorId, nonce, newAmount);
    }

    /// @notice Gives an active validator a new signer; the validator token's owner only.
    function updateSigner(uint256 validatorId, bytes calldata signerPubkey) external {
        Validator storage v = _activeOwnedBy(msg.sender, validatorId);
        address newSigner = _signerOf(signerPubkey);
        address oldSigner = v.signer;
        if (newSigner == oldSigner) revert SameSigner(newSigner);
        uint256 holder = signerToValidator[newSigner];
        if (holder != 0) revert SignerInUse(newSigner, holder);
        delete signerToValidator[oldSigner];
        signerToValidator[newSigner] = validatorId;
        v.signer = newSigner;
        v.signerPubkey = signerPubkey;
        uint256 nonce = v.nonce + 1;
        v.nonce = nonce;
        emit SignerChange(validatorId, nonce, oldSigner, newSigner, signerPubkey);
    }

    /// @notice Starts an active validator's exit at the current epoch; the validator token's
    /// owner only. The stake stays locked until `unstakeClaim`.
    function unstake(uint256 validatorId) external {
        Validator storage v = _activeOwnedBy(msg.sender, validatorId);
        uint256 epoch = currentEpoch;
        v.deactivationEpoch = epoch;
        v.status = Status.Unstaking;
        uint256 nonce = v.nonce + 1;
        v.nonce = nonce;
        emit UnstakeInit(msg.sender, validatorId, nonce, epoch, v.amount);
    }

    /// @notice Once `currentEpoch >= deactivationEpoch + withdrawalDelay`, sends an unstaking
    /// validator's stake to the validator token's owner (the caller) and burns the token.
    function unstakeClaim(uint256 validatorId) external {
        address holder = ownerOf(validatorId);
        if (holder != msg.sender) revert NotValidatorOwner(msg.sender, validatorId, holder);
        Validator storage v = _validators[validatorId];
        if (v.status != Status.Unstaking) revert ValidatorNotUnstaking(validatorId, v.status);
        uint256 claimable = v.deactivationEpoch + withdrawalDelay;
        if (currentEpoch < claimable) revert WithdrawalDelayNotOver(validatorId, currentEpoch, claimable);
        uint256 amount = v.amount;
        v.amount = 0;
        v.status = Status.Unstaked;
        totalStaked -= amount;
        delete signerToValidator[v.signer];
        _burn(validatorId);
        token.safeTransfer(msg.sender, amount);
        emit Unstaked(msg.sender, validatorId, amount, totalStaked);
    }

    /// @notice Sets the current epoch (owner or checkpoint manager; it must rise).
    function setCurrentEpoch(uint256 epoch) external {
        if (msg.sender != owner && msg.sender != checkpointManager) revert NotEpochSetter(msg.sender);
        if (epoch <= currentEpoch) revert EpochNotIncreasing(currentEpoch, epoch);
        currentEpoch = epoch;
        emit CurrentEpochSet(epoch);
    }

    /// @notice Sets the checkpoint manager role (owner only; zero disables it).
    function setCheckpointManager(address manager) external onlyOwner {
        checkpointManager = manager;
        emit CheckpointManagerSet(manager);
    }

    /// @notice A validator's record (all zero with status None for an id never staked).
    function getValidator(uint256 validatorId) external view returns (Validator memory) {
        return _validators[validatorId];
    }

    /// @notice A validator's current nonce (0 for an id never staked).
    function validatorNonce(uint256 validatorId) external view returns (uint256) {
        return _validators[validatorId].nonce;
    }

    /// @notice A validator's stake.
    function validatorStake(uint256 validatorId) external view returns (uint256) {
        return _validators[validatorId].amount;
    }

    /// @notice A validator's status.
    function validatorStatus(uint256 validatorId) external view returns (Status) {
        return _validators[validatorId].status;
    }

    function _activeOwnedBy(address caller, uint256 validatorId) private view returns (Validator storage v) {
        address holder = ownerOf(validatorId);
        if (holder != caller) revert NotValidatorOwner(caller, validatorId, holder);
        v = _validators[validatorId];
        if (v.status != Status.Active) revert ValidatorNotActive(validatorId, v.status);
    }

    function _signerOf(bytes calldata pubkey) private pure returns (address) {
        if (pubkey.length != 65 || pubkey[0] != 0x04) {
            revert InvalidSignerPubkey(pubkey.length, pubkey.length == 0 ? bytes1(0) : pubkey[0]);
        }
        return address(uint160(uint256(keccak256(pubkey[1:]))));
    }
}
