// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IStateReceiver} from "../system/IStateReceiver.sol";
import {ChildERC20} from "./ChildERC20.sol";

/// @title ChildChainManager
/// @notice The BTTC genesis system contract at 0x0000000000000000000000000000000000001100 that
/// receives the root chains' RootChainManager syncs: MAP_TOKEN deploys a ChildERC20 for a root
/// token, DEPOSIT mints it to the depositor's receiver.
/// @dev Placed in the genesis alloc as runtime code: no constructor runs, every setting is a
/// constant and all state starts at zero. Accepts records only from the StateReceiver (0x…1001);
/// the StateReceiver only delivers records Delivery agreed on, from the StateSender sender
/// registered for this contract on a root chain (the RootChainManager). A record this contract
/// refuses (revert) is still committed by the StateReceiver, with success = false.
/// Payloads: abi.encode(bytes32 syncType, bytes syncData) with
/// - MAP_TOKEN: abi.encode(uint256 rootChainId, address rootToken, string name, string symbol,
///   uint8 decimals). Deploys ChildERC20 with CREATE2, salt keccak256(abi.encode(rootChainId,
///   rootToken)).
/// - DEPOSIT: abi.encode(uint256 rootChainId, address depositReceiver, address rootToken,
///   bytes depositData), depositData = abi.encode(uint256 amount).
/// Storage layout: slot 0 rootToChildToken, slot 1 childToRootToken.
contract ChildChainManager is IStateReceiver {
    /// @notice The StateReceiver system contract, the only accepted caller.
    address public constant STATE_RECEIVER = 0x0000000000000000000000000000000000001001;
    /// @notice Sync type of a token mapping.
    bytes32 public constant MAP_TOKEN = keccak256("MAP_TOKEN");
    /// @notice Sync type of a deposit.
    bytes32 public constant DEPOSIT = keccak256("DEPOSIT");

    /// @notice A child token's root: chain id and token.
    struct RootToken {
        uint256 rootChainId;
        address rootToken;
    }

    /// @notice The child token of each (root chain id, root token) (0: not mapped).
    mapping(uint256 => mapping(address => address)) public rootToChildToken;
    /// @notice The root of each child token.
    mapping(address => RootToken) public childToRootToken;

    /// @notice A child token was deployed for a root token.
    event TokenMapped(uint256 indexed rootChainId, address indexed rootToken, address indexed childToken);

    /// @notice The caller is not the StateReceiver.
    error NotStateReceiver(address caller);
    /// @notice The sync type is neither MAP_TOKEN nor DEPOSIT.
    error UnknownSyncType(bytes32 syncType);
    /// @notice The root token is mapped already.
    error TokenAlreadyMapped(uint256 rootChainId, address rootToken, address childToken);
    /// @notice The root token is not mapped.
    error TokenNotMapped(uint256 rootChainId, address rootToken);
    /// @notice depositData is not abi.encode(uint256 amount).
    error BadDepositData(uint256 length);
    /// @notice The root token is the zero address.
    error ZeroRootToken();

    /// @inheritdoc IStateReceiver
    function onStateReceive(uint256, bytes calldata data) external {
        if (msg.sender != STATE_RECEIVER) revert NotStateReceiver(msg.sender);
        (bytes32 syncType, bytes memory syncData) = abi.decode(data, (bytes32, bytes));
        if (syncType == MAP_TOKEN) {
            _mapToken(syncData);
        } else if (syncType == DEPOSIT) {
            _deposit(syncData);
        } else {
            revert UnknownSyncType(syncType);
        }
    }

    function _mapToken(bytes memory syncData) private {
        (uint256 rootChainId, address rootToken, string memory name, string memory symbol, uint8 decimals) =
            abi.decode(syncData, (uint256, address, string, string, uint8));
        if (rootToken == address(0)) revert ZeroRootToken();
        address existing = rootToChildToken[rootChainId][rootToken];
        if (existing != address(0)) revert TokenAlreadyMapped(rootChainId, rootToken, existing);
        bytes32 salt = keccak256(abi.encode(rootChainId, rootToken));
        ChildERC20 child = new ChildERC20{salt: salt}();
        child.initialize(name, symbol, decimals, rootChainId, rootToken);
        rootToChildToken[rootChainId][rootToken] = address(child);
        childToRootToken[address(child)] = RootToken(rootChainId, rootToken);
        emit TokenMapped(rootChainId, rootToken, address(child));
    }

    function _deposit(bytes memory syncData) private {
        (uint256 rootChainId, address depositReceiver, address rootToken, bytes memory depositData) =
            abi.decode(syncData, (uint256, address, address, bytes));
        address child = rootToChildToken[rootChainId][rootToken];
        if (child == address(0)) revert TokenNotMapped(rootChainId, rootToken);
        if (depositData.length != 32) revert BadDepositData(depositData.length);
        ChildERC20(child).mint(depositReceiver, abi.decode(depositData, (uint256)));
    }
}
