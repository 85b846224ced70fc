// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title ChildERC20
/// @notice The BTTC side of a root-chain ERC-20: deployed by the ChildChainManager (CREATE2,
/// no constructor arguments, so its address depends only on the root chain and token), minted
/// by it on deposits, burnt by holders with `withdraw` to exit to the root chain.
/// @dev `withdraw` emits Transfer(holder, address(0), amount): the log an exit proves on the
/// root chain (the checkpoint issue's RootChainManager.exit). Errors follow ERC-6093.
contract ChildERC20 {
    /// @notice The ChildChainManager that deployed this token: the only minter.
    address public manager;
    /// @notice The token's name (the root token's).
    string public name;
    /// @notice The token's symbol (the root token's).
    string public symbol;
    /// @notice The token's decimals (the root token's).
    uint8 public decimals;
    /// @notice The chain id of the root chain.
    uint256 public rootChainId;
    /// @notice The root token.
    address public rootToken;
    /// @notice The total supply.
    uint256 public totalSupply;
    /// @notice Balances by holder.
    mapping(address => uint256) public balanceOf;
    /// @notice Allowances by owner, then spender.
    mapping(address => mapping(address => uint256)) public allowance;

    /// @notice Tokens moved (from the zero address on mint, to it on withdraw).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice An allowance was set.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The caller is not the manager.
    error NotManager(address caller);
    /// @notice `initialize` ran already.
    error AlreadyInitialized();
    /// @notice The sender's balance is too low.
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    /// @notice The spender's allowance is too low.
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// @notice Transfers and mints to the zero address are refused.
    error ERC20InvalidReceiver(address receiver);
    /// @notice Approvals for the zero address are refused.
    error ERC20InvalidSpender(address spender);

    constructor() {
        manager = msg.sender;
    }

    modifier onlyManager() {
        if (msg.sender != manager) revert NotManager(msg.sender);
        _;
    }

    /// @notice Sets the metadata and the root token, once (the manager, right after deploying).
    function initialize(
        string calldata name_,
        string calldata symbol_,
        uint8 decimals_,
        uint256 rootChainId_,
        address rootToken_
    ) external onlyManager {
        if (rootToken != address(0)) revert AlreadyInitialized();
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        rootChainId = rootChainId_;
        rootToken = rootToken_;
    }

    /// @notice Mints `amount` to `to` (the manager, on a deposit).
    function mint(address to, uint256 amount) external onlyManager {
        if (to == address(0)) revert ERC20InvalidReceiver(to);
        totalSupply += amount;
        unchecked {
            // balanceOf[to] <= totalSupply, which did not overflow.
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    /// @notice Burns `amount` of the caller's tokens to withdraw them to the root chain.
    function withdraw(uint256 amount) external {
        uint256 balance = balanceOf[msg.sender];
        if (balance < amount) revert ERC20InsufficientBalance(msg.sender, balance, amount);
        unchecked {
            balanceOf[msg.sender] = balance - amount;
            totalSupply -= amount;
        }
        emit Transfer(msg.sender, address(0), amount);
    }

    /// @notice Moves `value` tokens from the caller to `to`.
    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @notice Moves `value` tokens from `from` to `to` using the caller's allowance.
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
            balanceOf[from] = balance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
