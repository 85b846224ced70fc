// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title IERC20
/// @notice The parts of ERC-20 the root contracts use.
interface IERC20 {
    /// @notice The holder's balance.
    function balanceOf(address holder) external view returns (uint256);
    /// @notice Moves `value` of the caller's tokens to `to`.
    function transfer(address to, uint256 value) external returns (bool);
    /// @notice Moves `value` of `from`'s tokens to `to` using the caller's allowance.
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title IERC20Metadata
/// @notice ERC-20's optional name, symbol and decimals (read by RootChainManager.mapToken).
interface IERC20Metadata {
    /// @notice The token's name.
    function name() external view returns (string memory);
    /// @notice The token's symbol.
    function symbol() external view returns (string memory);
    /// @notice The token's decimals.
    function decimals() external view returns (uint8);
}
