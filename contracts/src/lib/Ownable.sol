// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Ownable
/// @notice One owner, set to the deployer, who may hand the role over.
abstract contract Ownable {
    /// @notice The account allowed to call the `onlyOwner` functions.
    address public owner;

    /// @notice The owner changed (from the zero address at deployment).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The caller is not the owner.
    error NotOwner(address caller, address owner);
    /// @notice The new owner is the zero address.
    error ZeroOwner();

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender, owner);
        _;
    }

    /// @notice Hands the owner role to `newOwner` (not the zero address).
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroOwner();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
