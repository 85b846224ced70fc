// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IERC20} from "./IERC20.sol";

/// @title SafeERC20
/// @notice ERC-20 transfers that revert on failure, for tokens that return `true`, return
/// nothing (pre-ERC-20-final tokens) or revert. A token that returns `false` (or anything that is
/// not a 32-byte true) is treated as a failed transfer.
library SafeERC20 {
    /// @notice `token` has no code (an EOA or a contract not deployed yet).
    error TokenHasNoCode(address token);
    /// @notice The token call reverted or returned something other than `true` or nothing.
    error TokenCallFailed(address token, bytes4 selector);

    /// @notice `token.transfer(to, value)`, reverting on failure.
    function safeTransfer(IERC20 token, address to, uint256 value) internal {
        _call(token, abi.encodeCall(IERC20.transfer, (to, value)));
    }

    /// @notice `token.transferFrom(from, to, value)`, reverting on failure.
    function safeTransferFrom(IERC20 token, address from, address to, uint256 value) internal {
        _call(token, abi.encodeCall(IERC20.transferFrom, (from, to, value)));
    }

    function _call(IERC20 token, bytes memory data) private {
        address target = address(token);
        if (target.code.length == 0) revert TokenHasNoCode(target);
        (bool ok, bytes memory ret) = target.call(data);
        bool returnedTrue = ret.length == 32 && abi.decode(ret, (uint256)) == 1;
        if (!ok || (ret.length != 0 && !returnedTrue)) revert TokenCallFailed(target, bytes4(data));
    }
}
