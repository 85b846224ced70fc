// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title RLPReader
/// @notice A small, strict reader of RLP-encoded calldata.
/// @dev Items are (offset, length) views into the calldata buffer they were read from, so every
/// accessor takes that buffer again. Every read is bounds-checked and only canonical encodings
/// are accepted (shortest length prefixes, no single byte below 0x80 wrapped in a string, no
/// leading zero bytes in integers); anything else reverts with an error naming the offset.
library RLPReader {
    /// @notice A decoded item: where its payload starts in the buffer, how long it is, and
    /// whether it is a list (otherwise a string).
    struct Item {
        uint256 offset;
        uint256 length;
        bool isList;
    }

    /// @notice The item at `offset` runs past the end of the buffer.
    error RLPTruncated(uint256 offset, uint256 needed, uint256 available);
    /// @notice The item at `offset` is not in canonical form.
    error RLPNonCanonical(uint256 offset);
    /// @notice The item at `offset` is a list where a string was expected, or the reverse.
    error RLPUnexpectedType(uint256 offset, bool expectedList);
    /// @notice The string at `offset` has a length this accessor cannot take.
    error RLPBadLength(uint256 offset, uint256 maxOrExpected, uint256 found);
    /// @notice Bytes are left over after the top-level item.
    error RLPTrailingBytes(uint256 end, uint256 length);

    /// @notice Reads the item header at `offset` of `buf`.
    /// @param buf The RLP-encoded buffer.
    /// @param offset Where the item's prefix byte is.
    /// @return item The item's payload view.
    /// @return next The offset just past the item.
    function readItem(bytes calldata buf, uint256 offset)
        internal
        pure
        returns (Item memory item, uint256 next)
    {
        uint256 available = buf.length;
        if (offset >= available) revert RLPTruncated(offset, 1, 0);
        available -= offset;
        uint256 prefix = uint8(buf[offset]);
        uint256 headerLength;
        uint256 payloadLength;
        bool isList;
        if (prefix < 0x80) {
            // A single byte is its own encoding.
            return (Item(offset, 1, false), offset + 1);
        } else if (prefix <= 0xb7) {
            headerLength = 1;
            payloadLength = prefix - 0x80;
        } else if (prefix <= 0xbf) {
            (headerLength, payloadLength) = _longLength(buf, offset, prefix - 0xb7);
        } else if (prefix <= 0xf7) {
            headerLength = 1;
            payloadLength = prefix - 0xc0;
            isList = true;
        } else {
            (headerLength, payloadLength) = _longLength(buf, offset, prefix - 0xf7);
            isList = true;
        }
        // headerLength <= 9 and payloadLength < 2**64, so the sum cannot overflow.
        uint256 total = headerLength + payloadLength;
        if (total > available) revert RLPTruncated(offset, total, available);
        if (!isList && payloadLength == 1 && uint8(buf[offset + 1]) < 0x80) {
            revert RLPNonCanonical(offset);
        }
        return (Item(offset + headerLength, payloadLength, isList), offset + total);
    }

    /// @dev Reads a long-form length of `lengthOfLength` bytes after the prefix at `offset`.
    function _longLength(bytes calldata buf, uint256 offset, uint256 lengthOfLength)
        private
        pure
        returns (uint256 headerLength, uint256 payloadLength)
    {
        // lengthOfLength is 1..8 by construction of the prefix ranges.
        headerLength = 1 + lengthOfLength;
        uint256 available = buf.length - offset;
        if (headerLength > available) revert RLPTruncated(offset, headerLength, available);
        if (uint8(buf[offset + 1]) == 0) revert RLPNonCanonical(offset);
        for (uint256 i = 1; i <= lengthOfLength; ++i) {
            payloadLength = (payloadLength << 8) | uint8(buf[offset + i]);
        }
        if (payloadLength <= 55) revert RLPNonCanonical(offset);
    }

    /// @notice Decodes `buf` as exactly one RLP list and returns its elements.
    /// @param buf The RLP-encoded buffer; nothing may follow the list.
    /// @return items The list's elements, in order.
    function readList(bytes calldata buf) internal pure returns (Item[] memory items) {
        (Item memory list, uint256 end) = readItem(buf, 0);
        if (end != buf.length) revert RLPTrailingBytes(end, buf.length);
        return toList(buf, list);
    }

    /// @notice The elements of a list item.
    /// @param buf The buffer the item was read from.
    /// @param list A list item.
    /// @return items The list's elements, in order.
    function toList(bytes calldata buf, Item memory list)
        internal
        pure
        returns (Item[] memory items)
    {
        if (!list.isList) revert RLPUnexpectedType(list.offset, true);
        uint256 end = list.offset + list.length;
        uint256 count;
        uint256 cursor = list.offset;
        while (cursor < end) {
            (, cursor) = readItem(buf, cursor);
            ++count;
        }
        // An element may not run past the end of its list.
        if (cursor != end) revert RLPTruncated(list.offset, cursor - list.offset, list.length);
        items = new Item[](count);
        cursor = list.offset;
        for (uint256 i = 0; i < count; ++i) {
            (items[i], cursor) = readItem(buf, cursor);
        }
    }

    /// @notice A string item as an unsigned integer (big-endian, at most 32 bytes, no leading
    /// zero byte; the empty string is 0).
    /// @param buf The buffer the item was read from.
    /// @param item A string item.
    /// @return value The integer.
    function toUint(bytes calldata buf, Item memory item) internal pure returns (uint256 value) {
        if (item.isList) revert RLPUnexpectedType(item.offset, false);
        uint256 length = item.length;
        if (length > 32) revert RLPBadLength(item.offset, 32, length);
        if (length == 0) return 0;
        if (uint8(buf[item.offset]) == 0) revert RLPNonCanonical(item.offset);
        value = uint256(bytes32(buf[item.offset:item.offset + length])) >> (8 * (32 - length));
    }

    /// @notice A 20-byte string item as an address.
    /// @param buf The buffer the item was read from.
    /// @param item A string item of exactly 20 bytes.
    /// @return The address.
    function toAddress(bytes calldata buf, Item memory item) internal pure returns (address) {
        if (item.isList) revert RLPUnexpectedType(item.offset, false);
        if (item.length != 20) revert RLPBadLength(item.offset, 20, item.length);
        return address(bytes20(buf[item.offset:item.offset + 20]));
    }

    /// @notice A string item's payload, copied to memory.
    /// @param buf The buffer the item was read from.
    /// @param item A string item.
    /// @return The payload bytes.
    function toBytes(bytes calldata buf, Item memory item) internal pure returns (bytes memory) {
        if (item.isList) revert RLPUnexpectedType(item.offset, false);
        return buf[item.offset:item.offset + item.length];
    }
}
