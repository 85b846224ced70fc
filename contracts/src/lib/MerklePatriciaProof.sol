// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {RLPReader} from "./RLPReader.sol";

/// @title MerklePatriciaProof
/// @notice Strict inclusion proofs of Ethereum's Merkle Patricia trie (the receipts, transactions
/// and state tries), over RLP nodes held in calldata.
/// @dev A proof is an RLP list of the nodes on the key's path that are referenced by hash: the
/// root node first, then each node whose 32-byte hash its parent holds. A node shorter than 32
/// bytes is embedded in its parent (the trie's rule) and is decoded there, not listed again.
/// Node kinds: a branch (17 items: 16 children by nibble, then a value), an extension (2 items:
/// hex-prefix path with flag 0 or 1, child) and a leaf (2 items: hex-prefix path with flag 2 or
/// 3, value). Hex prefix: the first nibble is the flag (bit 1: leaf, bit 0: odd length); for an
/// even length the second nibble must be 0. Every rule is checked and every refusal reverts:
/// the nodes must hash to their references, each node's path must match the key, the walk must
/// end at a leaf (or a branch's value) exactly where the key ends, no node may follow the one
/// holding the value, and the value must be the expected one. `index` in the errors is the
/// position in the proof of the hash-referenced node being read (an embedded node counts as its
/// parent's).
library MerklePatriciaProof {
    /// @notice Proof node `index` hashes to `found`; its reference (the root for node 0) is
    /// `expected`.
    error MPTNodeHashMismatch(uint256 index, bytes32 expected, bytes32 found);
    /// @notice Proof node `index` (or a node embedded in it) has `items` items; expected 17
    /// (branch) or 2 (extension, leaf).
    error MPTBadNode(uint256 index, uint256 items);
    /// @notice A child reference in node `index` has a payload of `length` bytes; expected a
    /// 32-byte hash or an embedded node shorter than 32 bytes.
    error MPTBadReference(uint256 index, uint256 length);
    /// @notice The hex-prefix path of node `index` starts with `firstByte`; expected flag 0..3,
    /// a zero pad nibble for an even length, and a non-empty path for an extension.
    error MPTBadHexPrefix(uint256 index, uint8 firstByte);
    /// @notice Node `index` follows nibble `pos` of the key differently (or runs past its end).
    error MPTPathMismatch(uint256 index, uint256 pos);
    /// @notice Branch `index` has no child at the key's nibble `nibble`: the key is absent.
    error MPTMissingChild(uint256 index, uint256 nibble);
    /// @notice The value was reached after `consumed` of the key's `total` nibbles; expected all.
    error MPTPathNotConsumed(uint256 consumed, uint256 total);
    /// @notice The proof's `nodes` nodes end before the value is reached.
    error MPTProofTooShort(uint256 nodes);
    /// @notice The value is in node `used - 1`, but the proof has `given` nodes.
    error MPTExtraNodes(uint256 used, uint256 given);
    /// @notice The value under the key hashes to `found`; expected `expected`.
    error MPTValueMismatch(bytes32 expected, bytes32 found);

    /// @dev Where a walk is: the key nibble reached, the hash the next proof node must have, that
    /// node's position in the proof, and its offset, and the proof list's end, in the buffer.
    struct Walk {
        uint256 pos;
        bytes32 expected;
        uint256 index;
        uint256 next;
        uint256 end;
    }

    /// @notice Reverts unless `proof` proves that the trie with root `root` holds, under `key`,
    /// a value whose keccak256 is `valueHash`.
    /// @param buf The calldata buffer `proof` was read from.
    /// @param proof An RLP list item of `buf`: the hash-referenced nodes, root first.
    /// @param key The trie key (for the receipts trie: rlp(transaction index)).
    /// @param root The trie's root hash.
    /// @param valueHash keccak256 of the expected value.
    function verify(
        bytes calldata buf,
        RLPReader.Item memory proof,
        bytes calldata key,
        bytes32 root,
        bytes32 valueHash
    ) internal pure {
        if (!proof.isList) revert RLPReader.RLPUnexpectedType(proof.offset, true);
        Walk memory w = Walk({pos: 0, expected: root, index: 0, next: proof.offset, end: proof.offset + proof.length});
        RLPReader.Item memory value = _descend(buf, key, w);
        if (w.next != w.end) revert MPTExtraNodes(w.index + 1, _count(buf, proof));
        if (value.isList) revert RLPReader.RLPUnexpectedType(value.offset, false);
        bytes32 got = keccak256(buf[value.offset:value.offset + value.length]);
        if (got != valueHash) revert MPTValueMismatch(valueHash, got);
    }

    /// @dev Reads proof nodes from `w.next`, each checked against its reference, until one of
    /// them (or a node embedded in it) holds the value under `key`; returns the value item.
    function _descend(bytes calldata buf, bytes calldata key, Walk memory w)
        private
        pure
        returns (RLPReader.Item memory value)
    {
        while (true) {
            if (w.next >= w.end) revert MPTProofTooShort(w.index);
            (RLPReader.Item memory node, uint256 next) = RLPReader.readItem(buf, w.next);
            if (next > w.end) revert RLPReader.RLPTruncated(w.next, next - w.next, w.end - w.next);
            bytes32 found = keccak256(buf[w.next:next]);
            if (found != w.expected) revert MPTNodeHashMismatch(w.index, w.expected, found);
            w.next = next;
            bool done;
            (done, value) = _walk(buf, node, key, w);
            if (done) return value;
            ++w.index;
        }
    }

    /// @dev Walks node `node` (proof node `w.index`) and the nodes embedded in it from key
    /// nibble `w.pos`. Returns the value (done), or sets `w.expected` to the hash of the next
    /// proof node; advances `w.pos` either way.
    function _walk(bytes calldata buf, RLPReader.Item memory node, bytes calldata key, Walk memory w)
        private
        pure
        returns (bool done, RLPReader.Item memory value)
    {
        uint256 total = key.length * 2;
        while (true) {
            RLPReader.Item[] memory items = RLPReader.toList(buf, node);
            RLPReader.Item memory child;
            if (items.length == 17) {
                if (w.pos == total) return (true, items[16]);
                uint256 nibble = _nibble(key, w.pos);
                ++w.pos;
                child = items[nibble];
                if (!child.isList && child.length == 0) revert MPTMissingChild(w.index, nibble);
            } else if (items.length == 2) {
                bool leaf;
                (leaf, w.pos) = _followPath(buf, items[0], key, w.pos, w.index);
                if (leaf) {
                    if (w.pos != total) revert MPTPathNotConsumed(w.pos, total);
                    return (true, items[1]);
                }
                child = items[1];
            } else {
                revert MPTBadNode(w.index, items.length);
            }
            if (child.isList) {
                // Embedded: its whole encoding (a one-byte list header and the payload) is
                // shorter than 32 bytes.
                if (child.length > 30) revert MPTBadReference(w.index, child.length);
                node = child;
            } else {
                if (child.length != 32) revert MPTBadReference(w.index, child.length);
                w.expected = bytes32(buf[child.offset:child.offset + 32]);
                return (false, value);
            }
        }
    }

    /// @dev Matches the hex-prefix path `path` of node `index` against the key from nibble
    /// `pos`; returns whether the node is a leaf and the key position after its path.
    function _followPath(
        bytes calldata buf,
        RLPReader.Item memory path,
        bytes calldata key,
        uint256 pos,
        uint256 index
    ) private pure returns (bool leaf, uint256) {
        if (path.isList) revert RLPReader.RLPUnexpectedType(path.offset, false);
        if (path.length == 0) revert MPTBadHexPrefix(index, 0x80);
        uint8 first = uint8(buf[path.offset]);
        uint8 flag = first >> 4;
        if (flag > 3) revert MPTBadHexPrefix(index, first);
        leaf = flag >= 2;
        bool odd = flag & 1 == 1;
        if (!odd && first & 0x0f != 0) revert MPTBadHexPrefix(index, first);
        if (!leaf && !odd && path.length == 1) revert MPTBadHexPrefix(index, first);
        if (odd) pos = _match(key, pos, first & 0x0f, index);
        for (uint256 i = 1; i < path.length; ++i) {
            uint8 b = uint8(buf[path.offset + i]);
            pos = _match(key, pos, b >> 4, index);
            pos = _match(key, pos, b & 0x0f, index);
        }
        return (leaf, pos);
    }

    /// @dev Checks that nibble `pos` of `key` exists and is `nibble` (node `index`'s path);
    /// returns the next position.
    function _match(bytes calldata key, uint256 pos, uint256 nibble, uint256 index) private pure returns (uint256) {
        if (pos >= key.length * 2 || _nibble(key, pos) != nibble) revert MPTPathMismatch(index, pos);
        return pos + 1;
    }

    /// @dev Nibble `i` of `key` (high nibble of each byte first).
    function _nibble(bytes calldata key, uint256 i) private pure returns (uint256) {
        uint8 b = uint8(key[i >> 1]);
        return i & 1 == 0 ? b >> 4 : b & 0x0f;
    }

    /// @dev The number of items in the list `list`.
    function _count(bytes calldata buf, RLPReader.Item memory list) private pure returns (uint256) {
        return RLPReader.toList(buf, list).length;
    }
}
