// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TestToken
/// @notice A plain ERC-20 token (18 decimals) for client tests and benchmarks. The whole initial
/// supply goes to the deployer.
/// @dev An allowance of type(uint256).max is never decreased by transferFrom. Errors follow
/// ERC-6093.
contract TestToken {
    /// @notice The token's name.
    string public name;
    /// @notice The token's symbol.
    string public symbol;
    /// @notice The token's decimals (always 18).
    uint8 public constant decimals = 18;
    /// @notice The total supply.
    uint256 public totalSupply;
    /// @notice Balances by holder.
    mapping(address => uint256) public balanceOf;
    /// @notice Allowances by owner, then spender.
    mapping(address => mapping(address => uint256)) public allowance;

    /// @notice Tokens moved (from the zero address on mint).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice An allowance was set.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The sender's balance is too low.
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    /// @notice The spender's allowance is too low.
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// @notice Transfers to the zero address are refused.
    error ERC20InvalidReceiver(address receiver);
    /// @notice Approvals for the zero address are refused.
    error ERC20InvalidSpender(address spender);

    /// @notice Creates the token and mints `initialSupply` to the deployer.
    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param initialSupply The supply minted to msg.sender, in the smallest unit.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply) {
        name = name_;
        symbol = symbol_;
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    /// @notice Moves `value` tokens from the caller to `to`.
    /// @param to The receiver.
    /// @param value The amount.
    /// @return Always true (failures revert).
    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @notice Moves `value` tokens from `from` to `to` using the caller's allowance.
    /// @param from The holder.
    /// @param to The receiver.
    /// @param value The amount.
    /// @return Always true (failures revert).
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert ERC20InsufficientAllowance(msg.sender, allowed, value);
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    /// @notice Lets `spender` move up to `value` of the caller's tokens.
    /// @param spender The spender.
    /// @param value The allowance.
    /// @return Always true (failures revert).
    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(spender);
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(to);
        uint256 balance = balanceOf[from];
        if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
        unchecked {
            // value <= balance, and the sum of all balances is totalSupply, so neither wraps.
            balanceOf[from] = balance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
