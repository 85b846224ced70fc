// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IERC20Metadata} from "../lib/IERC20.sol";
import {Ownable} from "../lib/Ownable.sol";
import {ERC20Predicate} from "./ERC20Predicate.sol";
import {StateSender} from "./StateSender.sol";

/// @title RootChainManager
/// @notice The root-chain end of the ERC-20 bridge to BTTC: maps root tokens to their BTTC
/// ChildERC20 and takes deposits. Every mapping and deposit is a state-sync record (through
/// the StateSender, which must register this contract as the sender for the ChildChainManager)
/// for BTTC's ChildChainManager at 0x0000000000000000000000000000000000001100.
/// @dev Sync payloads (rootChainId = block.chainid of this chain):
/// - abi.encode(MAP_TOKEN, abi.encode(uint256 rootChainId, address rootToken, string name,
///   string symbol, uint8 decimals))
/// - abi.encode(DEPOSIT, abi.encode(uint256 rootChainId, address depositReceiver,
///   address rootToken, bytes abi.encode(uint256 amount)))
/// The child token's address is computed here exactly as the ChildChainManager's CREATE2 makes
/// it: deployer 0x…1100, salt keccak256(abi.encode(rootChainId, rootToken)), init code hash
/// `childTokenCodeHash` (keccak256 of ChildERC20's creation code, given at deployment).
/// The constructor deploys this manager's ERC20Predicate, which holds the deposited tokens.
/// Exits (proving a ChildERC20 burn against a checkpoint and releasing the tokens through the
/// predicate's `releaseTokens`) come with the checkpoint contracts, in a later version of this
/// contract.
contract RootChainManager is Ownable {
    /// @notice Sync type of a token mapping.
    bytes32 public constant MAP_TOKEN = keccak256("MAP_TOKEN");
    /// @notice Sync type of a deposit.
    bytes32 public constant DEPOSIT = keccak256("DEPOSIT");
    /// @notice BTTC's ChildChainManager (genesis system contract), the receiver of every sync.
    address public constant CHILD_CHAIN_MANAGER = 0x0000000000000000000000000000000000001100;

    /// @notice The StateSender this manager syncs through.
    StateSender public immutable stateSender;
    /// @notice The predicate holding the deposited tokens (deployed by the constructor).
    ERC20Predicate public immutable predicate;
    /// @notice keccak256 of ChildERC20's creation code (with which the ChildChainManager
    /// deploys child tokens).
    bytes32 public immutable childTokenCodeHash;

    /// @notice Each mapped root token's child token on BTTC (0: not mapped).
    mapping(address => address) public rootToChildToken;
    /// @notice Each child token's root token.
    mapping(address => address) public childToRootToken;

    /// @notice `rootToken` is mapped to `childToken` on BTTC.
    event TokenMapped(address indexed rootToken, address indexed childToken);

    /// @notice The token is mapped already.
    error TokenAlreadyMapped(address rootToken, address childToken);
    /// @notice The token is not mapped.
    error TokenNotMapped(address rootToken);
    /// @notice The deposit receiver, the token or the StateSender is the zero address.
    error ZeroAddress();
    /// @notice depositData is not abi.encode(uint256 amount).
    error BadDepositData(uint256 length);
    /// @notice A deposit of zero.
    error ZeroAmount();

    /// @param stateSender_ The StateSender (which must register this contract for
    /// CHILD_CHAIN_MANAGER before mapToken or depositFor works).
    /// @param childTokenCodeHash_ keccak256 of ChildERC20's creation code.
    constructor(StateSender stateSender_, bytes32 childTokenCodeHash_) {
        if (address(stateSender_) == address(0)) revert ZeroAddress();
        stateSender = stateSender_;
        childTokenCodeHash = childTokenCodeHash_;
        predicate = new ERC20Predicate(address(this));
    }

    /// @notice The BTTC address the ChildChainManager gives `rootToken`'s child token.
    function childTokenAddress(address rootToken) public view returns (address) {
        bytes32 salt = keccak256(abi.encode(block.chainid, rootToken));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), CHILD_CHAIN_MANAGER, salt, childTokenCodeHash));
        return address(uint160(uint256(h)));
    }

    /// @notice Maps `rootToken` (owner only): syncs MAP_TOKEN with its name, symbol and
    /// decimals, which the token must implement.
    function mapToken(address rootToken) external onlyOwner {
        if (rootToken == address(0)) revert ZeroAddress();
        address existing = rootToChildToken[rootToken];
        if (existing != address(0)) revert TokenAlreadyMapped(rootToken, existing);
        address childToken = childTokenAddress(rootToken);
        rootToChildToken[rootToken] = childToken;
        childToRootToken[childToken] = rootToken;
        IERC20Metadata meta = IERC20Metadata(rootToken);
        bytes memory syncData =
            abi.encode(block.chainid, rootToken, meta.name(), meta.symbol(), meta.decimals());
        stateSender.syncState(CHILD_CHAIN_MANAGER, abi.encode(MAP_TOKEN, syncData));
        emit TokenMapped(rootToken, childToken);
    }

    /// @notice Deposits `abi.decode(depositData, (uint256))` of a mapped `rootToken` from the
    /// caller (who must have approved the predicate) to `user` on BTTC.
    function depositFor(address user, address rootToken, bytes calldata depositData) external {
        if (user == address(0)) revert ZeroAddress();
        if (rootToChildToken[rootToken] == address(0)) revert TokenNotMapped(rootToken);
        if (depositData.length != 32) revert BadDepositData(depositData.length);
        uint256 amount = abi.decode(depositData, (uint256));
        if (amount == 0) revert ZeroAmount();
        predicate.lockTokens(msg.sender, user, rootToken, depositData);
        bytes memory syncData = abi.encode(block.chainid, user, rootToken, abi.encode(amount));
        stateSender.syncState(CHILD_CHAIN_MANAGER, abi.encode(DEPOSIT, syncData));
    }
}
