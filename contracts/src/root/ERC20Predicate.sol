// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IERC20} from "../lib/IERC20.sol";
import {SafeERC20} from "../lib/SafeERC20.sol";

/// @title ERC20Predicate
/// @notice Holds the ERC-20 tokens deposited to BTTC. Only its manager (the RootChainManager
/// given at deployment) may lock and release tokens.
/// @dev Deposits: `lockTokens`, called by RootChainManager.depositFor. Exits: `releaseTokens`,
/// called by RootChainManager.exit once it has proven a ChildERC20 burn against a checkpoint
/// (and recorded the burn's exit key, so that each burn is released once).
contract ERC20Predicate {
    using SafeERC20 for IERC20;

    /// @notice The only account allowed to lock and release tokens.
    address public immutable manager;

    /// @notice `amount` of `rootToken` was locked from `depositor` for `depositReceiver` on BTTC.
    event LockedERC20(
        address indexed depositor, address indexed depositReceiver, address indexed rootToken, uint256 amount
    );
    /// @notice `amount` of `rootToken` was released to `exitor`.
    event ExitedERC20(address indexed exitor, address indexed rootToken, uint256 amount);

    /// @notice The caller is not the manager.
    error NotManager(address caller);
    /// @notice The manager is the zero address.
    error ZeroManager();
    /// @notice depositData is not abi.encode(uint256 amount).
    error BadDepositData(uint256 length);
    /// @notice The predicate's balance rose by a different amount than was transferred (a
    /// fee-on-transfer or rebasing token): such tokens cannot be bridged one-to-one.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /// @param manager_ The RootChainManager.
    constructor(address manager_) {
        if (manager_ == address(0)) revert ZeroManager();
        manager = manager_;
    }

    modifier onlyManager() {
        if (msg.sender != manager) revert NotManager(msg.sender);
        _;
    }

    /// @notice Pulls `abi.decode(depositData, (uint256))` of `rootToken` from `depositor` (who
    /// must have approved this contract) and logs the lock for `depositReceiver`.
    function lockTokens(address depositor, address depositReceiver, address rootToken, bytes calldata depositData)
        external
        onlyManager
    {
        if (depositData.length != 32) revert BadDepositData(depositData.length);
        uint256 amount = abi.decode(depositData, (uint256));
        IERC20 token = IERC20(rootToken);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(depositor, address(this), amount);
        uint256 after_ = token.balanceOf(address(this));
        uint256 received = after_ >= before ? after_ - before : 0;
        if (received != amount) revert TransferAmountMismatch(amount, received);
        emit LockedERC20(depositor, depositReceiver, rootToken, amount);
    }

    /// @notice Sends `amount` of `rootToken` to `exitor` (the manager's exit, once proven).
    function releaseTokens(address exitor, address rootToken, uint256 amount) external onlyManager {
        IERC20(rootToken).safeTransfer(exitor, amount);
        emit ExitedERC20(exitor, rootToken, amount);
    }
}
