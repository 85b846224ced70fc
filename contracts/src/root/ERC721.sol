// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title IERC721Receiver
/// @notice Implemented by contracts that accept ERC-721 tokens through safeTransferFrom.
interface IERC721Receiver {
    /// @notice Must return this function's selector to accept the token.
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4);
}

/// @title ERC721
/// @notice A minimal ERC-721 (with ERC-165, without the metadata and enumeration extensions):
/// the validator identities of StakeManager. Errors follow ERC-6093.
abstract contract ERC721 {
    /// @notice The collection's name.
    string public name;
    /// @notice The collection's symbol.
    string public symbol;

    mapping(uint256 => address) private _owners;
    mapping(address => uint256) private _balances;
    mapping(uint256 => address) private _tokenApprovals;
    mapping(address => mapping(address => bool)) private _operatorApprovals;

    /// @notice A token moved (from the zero address on mint, to it on burn).
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    /// @notice A token's approved address changed.
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    /// @notice An operator was enabled or disabled for all of an owner's tokens.
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    /// @notice The zero address cannot own tokens.
    error ERC721InvalidOwner(address owner);
    /// @notice The token does not exist.
    error ERC721NonexistentToken(uint256 tokenId);
    /// @notice `from` is not the token's owner.
    error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner);
    /// @notice The caller is neither the owner, nor approved, nor an operator.
    error ERC721InsufficientApproval(address operator, uint256 tokenId);
    /// @notice The caller cannot approve for this token.
    error ERC721InvalidApprover(address approver);
    /// @notice The operator cannot be the owner itself.
    error ERC721InvalidOperator(address operator);
    /// @notice Tokens cannot go to the zero address, or the receiving contract refused them.
    error ERC721InvalidReceiver(address receiver);
    /// @notice A token with this id exists already.
    error ERC721InvalidSender(address sender);

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    /// @notice ERC-165: ERC-165 itself and ERC-721.
    function supportsInterface(bytes4 interfaceId) public pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0x80ac58cd;
    }

    /// @notice How many tokens `owner_` holds.
    function balanceOf(address owner_) public view returns (uint256) {
        if (owner_ == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner_];
    }

    /// @notice The owner of `tokenId`; reverts for a token that does not exist (or was burnt).
    function ownerOf(uint256 tokenId) public view returns (address) {
        address owner_ = _owners[tokenId];
        if (owner_ == address(0)) revert ERC721NonexistentToken(tokenId);
        return owner_;
    }

    /// @notice The approved address of `tokenId` (zero when none).
    function getApproved(uint256 tokenId) public view returns (address) {
        ownerOf(tokenId);
        return _tokenApprovals[tokenId];
    }

    /// @notice Whether `operator` may move all of `owner_`'s tokens.
    function isApprovedForAll(address owner_, address operator) public view returns (bool) {
        return _operatorApprovals[owner_][operator];
    }

    /// @notice Approves `to` to move `tokenId` (owner or operator only).
    function approve(address to, uint256 tokenId) external {
        address owner_ = ownerOf(tokenId);
        if (msg.sender != owner_ && !_operatorApprovals[owner_][msg.sender]) {
            revert ERC721InvalidApprover(msg.sender);
        }
        _tokenApprovals[tokenId] = to;
        emit Approval(owner_, to, tokenId);
    }

    /// @notice Enables or disables `operator` for all of the caller's tokens.
    function setApprovalForAll(address operator, bool approved) external {
        if (operator == msg.sender) revert ERC721InvalidOperator(operator);
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @notice Moves `tokenId` from `from` to `to`.
    function transferFrom(address from, address to, uint256 tokenId) public {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        address owner_ = ownerOf(tokenId);
        if (owner_ != from) revert ERC721IncorrectOwner(from, tokenId, owner_);
        if (!_isAuthorized(owner_, msg.sender, tokenId)) {
            revert ERC721InsufficientApproval(msg.sender, tokenId);
        }
        delete _tokenApprovals[tokenId];
        unchecked {
            // A token has one owner, so from's balance is at least 1 and to's cannot wrap.
            _balances[from] -= 1;
            _balances[to] += 1;
        }
        _owners[tokenId] = to;
        emit Transfer(from, to, tokenId);
    }

    /// @notice transferFrom, then asks a receiving contract to accept the token.
    function safeTransferFrom(address from, address to, uint256 tokenId) external {
        safeTransferFrom(from, to, tokenId, "");
    }

    /// @notice transferFrom, then asks a receiving contract to accept the token.
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory data) public {
        transferFrom(from, to, tokenId);
        if (to.code.length > 0) {
            try IERC721Receiver(to).onERC721Received(msg.sender, from, tokenId, data) returns (bytes4 r) {
                if (r != IERC721Receiver.onERC721Received.selector) revert ERC721InvalidReceiver(to);
            } catch {
                revert ERC721InvalidReceiver(to);
            }
        }
    }

    function _isAuthorized(address owner_, address spender, uint256 tokenId) internal view returns (bool) {
        return spender == owner_ || _operatorApprovals[owner_][spender] || _tokenApprovals[tokenId] == spender;
    }

    /// @dev Mints a token that does not exist yet to `to` (not the zero address).
    function _mint(address to, uint256 tokenId) internal {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        if (_owners[tokenId] != address(0)) revert ERC721InvalidSender(address(0));
        unchecked {
            _balances[to] += 1;
        }
        _owners[tokenId] = to;
        emit Transfer(address(0), to, tokenId);
    }

    /// @dev Burns an existing token.
    function _burn(uint256 tokenId) internal {
        address owner_ = ownerOf(tokenId);
        delete _tokenApprovals[tokenId];
        unchecked {
            _balances[owner_] -= 1;
        }
        delete _owners[tokenId];
        emit Transfer(owner_, address(0), tokenId);
    }
}
