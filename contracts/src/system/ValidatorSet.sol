// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {RLPReader} from "../lib/RLPReader.sol";

/// @title ValidatorSet
/// @notice The BTTC genesis system contract at 0x0000000000000000000000000000000000001000 that
/// holds the spans Delivery commits: each span's block range, validator set and producers.
/// @dev Placed in the genesis alloc as runtime code: no constructor ever runs, so every piece of
/// state starts at zero. Storage layout: slot 0 = currentSpanNumber, slot 1 = spanCount, then
/// the span, validator and producer mappings. Span ids are consecutive from the first committed
/// one and block ranges strictly increase, so spans firstSpan..currentSpanNumber all exist.
contract ValidatorSet {
    using RLPReader for bytes;

    /// @notice A span's block range (inclusive on both ends).
    struct Span {
        uint256 number;
        uint256 startBlock;
        uint256 endBlock;
    }

    /// @notice One member of a span's validator or producer set.
    struct Validator {
        address signer;
        uint64 id;
        uint256 power;
    }

    /// @notice The only caller allowed to commit spans (the engine's system-call sender).
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice The id of the latest committed span (0 before the first; see spanCount).
    uint256 public currentSpanNumber;
    /// @notice How many spans have been committed.
    uint256 public spanCount;

    mapping(uint256 => Span) private _spans;
    mapping(uint256 => Validator[]) private _validators;
    mapping(uint256 => Validator[]) private _producers;

    /// @notice A span was committed.
    event NewSpan(uint256 indexed id, uint256 startBlock, uint256 endBlock);

    /// @notice The caller is not SYSTEM_ADDRESS.
    error NotSystem(address caller);
    /// @notice Spans must be committed with consecutive ids.
    error UnexpectedSpan(uint256 expected, uint256 found);
    /// @notice A span must start after the previous one ended.
    error SpanStartsTooEarly(uint256 previousEndBlock, uint256 startBlock);
    /// @notice A span's end block is before its start block.
    error SpanEndsBeforeStart(uint256 startBlock, uint256 endBlock);
    /// @notice A validator or producer set is empty.
    error EmptySet(bool producers);
    /// @notice A set entry is not rlp([id, votingPower, signer]).
    error BadValidatorEntry(uint256 index, uint256 fields);
    /// @notice A validator id does not fit in 64 bits.
    error ValidatorIdTooLarge(uint256 index, uint256 id);
    /// @notice No span with this id was committed.
    error UnknownSpan(uint256 span);
    /// @notice No committed span covers this block.
    error NoSpanForBlock(uint256 blockNumber);

    /// @notice Commits a new span.
    /// @dev The first span may have any id and range; every later one must have the next id and
    /// start after the previous span's end block.
    /// @param newSpan The span id.
    /// @param startBlock The span's first block.
    /// @param endBlock The span's last block (inclusive).
    /// @param validatorBytes RLP list of rlp([id, votingPower, signer]), the span's validators.
    /// @param producerBytes RLP list of rlp([id, votingPower, signer]), the span's producers.
    function commitSpan(
        uint256 newSpan,
        uint256 startBlock,
        uint256 endBlock,
        bytes calldata validatorBytes,
        bytes calldata producerBytes
    ) external {
        if (msg.sender != SYSTEM_ADDRESS) revert NotSystem(msg.sender);
        if (endBlock < startBlock) revert SpanEndsBeforeStart(startBlock, endBlock);
        uint256 count = spanCount;
        if (count > 0) {
            uint256 current = currentSpanNumber;
            if (newSpan != current + 1) revert UnexpectedSpan(current + 1, newSpan);
            uint256 previousEnd = _spans[current].endBlock;
            if (startBlock <= previousEnd) revert SpanStartsTooEarly(previousEnd, startBlock);
        }
        _spans[newSpan] = Span(newSpan, startBlock, endBlock);
        _store(_validators[newSpan], validatorBytes, false);
        _store(_producers[newSpan], producerBytes, true);
        currentSpanNumber = newSpan;
        spanCount = count + 1;
        emit NewSpan(newSpan, startBlock, endBlock);
    }

    /// @dev Decodes an RLP set into `target` (which is empty: span ids are never reused).
    function _store(Validator[] storage target, bytes calldata setBytes, bool producers) private {
        RLPReader.Item[] memory entries = setBytes.readList();
        if (entries.length == 0) revert EmptySet(producers);
        for (uint256 i = 0; i < entries.length; ++i) {
            RLPReader.Item[] memory fields = setBytes.toList(entries[i]);
            if (fields.length != 3) revert BadValidatorEntry(i, fields.length);
            uint256 id = setBytes.toUint(fields[0]);
            if (id > type(uint64).max) revert ValidatorIdTooLarge(i, id);
            target.push(
                Validator({
                    signer: setBytes.toAddress(fields[2]),
                    // Range checked just above.
                    id: uint64(id),
                    power: setBytes.toUint(fields[1])
                })
            );
        }
    }

    /// @notice A committed span's block range.
    /// @param span The span id.
    /// @return number The span id.
    /// @return startBlock The span's first block.
    /// @return endBlock The span's last block (inclusive).
    function getSpan(uint256 span)
        external
        view
        returns (uint256 number, uint256 startBlock, uint256 endBlock)
    {
        _requireSpan(span);
        Span storage s = _spans[span];
        return (s.number, s.startBlock, s.endBlock);
    }

    /// @notice A committed span's validator set, in commit order.
    /// @param span The span id.
    /// @return signers The validators' signer addresses.
    /// @return powers The validators' voting powers.
    function getValidators(uint256 span)
        external
        view
        returns (address[] memory signers, uint256[] memory powers)
    {
        _requireSpan(span);
        return _unpack(_validators[span]);
    }

    /// @notice A committed span's block producers, in commit order.
    /// @param span The span id.
    /// @return signers The producers' signer addresses.
    /// @return powers The producers' voting powers.
    function getProducers(uint256 span)
        external
        view
        returns (address[] memory signers, uint256[] memory powers)
    {
        _requireSpan(span);
        return _unpack(_producers[span]);
    }

    /// @notice The id of the committed span whose range contains `blockNumber`.
    /// @dev Reverts with NoSpanForBlock when the block is before the first span, after the last
    /// or in a gap between two spans.
    /// @param blockNumber A block number.
    /// @return The span id.
    function getSpanByBlock(uint256 blockNumber) external view returns (uint256) {
        uint256 count = spanCount;
        if (count == 0) revert NoSpanForBlock(blockNumber);
        // Spans lo..hi exist and their start blocks strictly increase: find the last span that
        // starts at or before blockNumber.
        uint256 hi = currentSpanNumber;
        uint256 lo = hi - (count - 1);
        if (blockNumber < _spans[lo].startBlock) revert NoSpanForBlock(blockNumber);
        while (lo < hi) {
            uint256 mid = hi - (hi - lo) / 2;
            if (_spans[mid].startBlock <= blockNumber) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if (blockNumber > _spans[lo].endBlock) revert NoSpanForBlock(blockNumber);
        return lo;
    }

    function _requireSpan(uint256 span) private view {
        uint256 count = spanCount;
        uint256 current = currentSpanNumber;
        if (count == 0 || span > current || span < current - (count - 1)) revert UnknownSpan(span);
    }

    function _unpack(Validator[] storage set)
        private
        view
        returns (address[] memory signers, uint256[] memory powers)
    {
        uint256 n = set.length;
        signers = new address[](n);
        powers = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            signers[i] = set[i].signer;
            powers[i] = set[i].power;
        }
    }
}
