// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Merkle
/// @notice The binary Merkle tree of BTTC checkpoints (docs/rootchain-contract.md): the leaves in
/// order, padded with zero words to the next power of two (a single leaf is its own root), each
/// parent `keccak256(left ‖ right)`. Leaves are not hashed again. The same rule gives a
/// checkpoint's `root` (leaves: BTTC blocks) and its `accountRoot` (leaves: the validator set).
library Merkle {
    /// @notice A tree needs at least one leaf.
    error NoLeaves();

    /// @notice `keccak256(left ‖ right)`.
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 parent) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            parent := keccak256(0x00, 0x40)
        }
    }

    /// @notice The number of levels above the leaves of a tree of `count` leaves
    /// (ceil(log2(count)); 0 for one leaf). `count` must be at least 1.
    function depth(uint256 count) internal pure returns (uint256 levels) {
        if (count == 0) revert NoLeaves();
        uint256 width = 1;
        while (width < count) {
            width <<= 1;
            levels += 1;
        }
    }

    /// @notice The root of `leaves`. Overwrites `leaves` (it is the work area).
    function rootOf(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 count = leaves.length;
        if (count == 0) revert NoLeaves();
        // Pad with zero words to the next power of two, then hash level by level in place.
        uint256 width = 1;
        while (width < count) width <<= 1;
        bytes32[] memory level = leaves;
        if (width != count) {
            level = new bytes32[](width);
            for (uint256 i = 0; i < count; ++i) {
                level[i] = leaves[i];
            }
        }
        while (width > 1) {
            width >>= 1;
            for (uint256 i = 0; i < width; ++i) {
                level[i] = hashPair(level[2 * i], level[2 * i + 1]);
            }
        }
        return level[0];
    }

    /// @notice Whether `leaf` is leaf number `index` of the tree with root `root`, by the sibling
    /// hashes `proof` from the leaf level upwards. The proof's length is the tree's depth, so
    /// `index` must be below `2 ** proof.length`. A padding index proves a zero leaf: callers
    /// check that `index` is inside the range the tree covers.
    function verifyProof(bytes32 leaf, uint256 index, bytes32 root, bytes32[] memory proof)
        internal
        pure
        returns (bool)
    {
        uint256 levels = proof.length;
        if (levels < 256 && index >> levels != 0) return false;
        bytes32 node = leaf;
        for (uint256 i = 0; i < levels; ++i) {
            if (index & 1 == 0) {
                node = hashPair(node, proof[i]);
            } else {
                node = hashPair(proof[i], node);
            }
            index >>= 1;
        }
        return node == root;
    }
}
