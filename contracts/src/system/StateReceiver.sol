// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {RLPReader} from "../lib/RLPReader.sol";
import {IStateReceiver} from "./IStateReceiver.sol";

/// @title StateReceiver
/// @notice The BTTC genesis system contract at 0x0000000000000000000000000000000000001001 that
/// commits state-sync records from the root chains and delivers each to its receiver.
/// @dev Placed in the genesis alloc as runtime code: no constructor ever runs, so every piece of
/// state starts at zero. Storage layout (read directly by the engine's tests and tools):
/// slot 0 = lastStateId, slot 1 = lastSyncTime. The engine calls `commitState` from
/// SYSTEM_ADDRESS at the start of a block, once per record, in id order.
contract StateReceiver {
    using RLPReader for bytes;

    /// @notice The only caller allowed to commit records (the engine's system-call sender).
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// @notice Gas given to a receiver's `onStateReceive`.
    uint256 public constant RECEIVER_GAS = 5_000_000;
    /// @dev Gas that must be left before the delivery call so that the receiver really gets
    /// RECEIVER_GAS under the 63/64 rule, with room for the call itself and the event.
    uint256 private constant GAS_NEEDED_FOR_DELIVERY = RECEIVER_GAS + RECEIVER_GAS / 63 + 50_000;

    /// @notice The id of the last committed record (0 before the first).
    uint256 public lastStateId;
    /// @notice The `syncTime` (block timestamp) of the last committed record.
    uint256 public lastSyncTime;

    /// @notice A record was committed; `success` says whether its receiver accepted it (false
    /// when the receiver has no code, reverted or ran out of gas).
    event StateCommitted(uint256 indexed stateId, bool success);

    /// @notice The caller is not SYSTEM_ADDRESS.
    error NotSystem(address caller);
    /// @notice Records must be committed in id order without gaps.
    error UnexpectedStateId(uint256 expected, uint256 found);
    /// @notice recordBytes is not rlp([id, receiver, data]).
    error BadRecord(uint256 fields);
    /// @notice Too little gas was left to give the receiver RECEIVER_GAS.
    error InsufficientGas(uint256 needed, uint256 left);

    /// @notice Commits one state-sync record and delivers it to its receiver.
    /// @dev A receiver that reverts, runs out of gas or has no code does not revert this call:
    /// the record is committed and `success` is false. Return data of the receiver is never
    /// copied, so a receiver cannot make this call pay for a large return.
    /// @param syncTime The timestamp of the block committing the record.
    /// @param recordBytes rlp([id, receiver, data]).
    /// @return success Whether the receiver's `onStateReceive` ran without reverting.
    function commitState(uint256 syncTime, bytes calldata recordBytes) external returns (bool success) {
        if (msg.sender != SYSTEM_ADDRESS) revert NotSystem(msg.sender);
        RLPReader.Item[] memory fields = recordBytes.readList();
        if (fields.length != 3) revert BadRecord(fields.length);
        uint256 stateId = recordBytes.toUint(fields[0]);
        address receiver = recordBytes.toAddress(fields[1]);
        bytes memory data = recordBytes.toBytes(fields[2]);

        uint256 expected = lastStateId + 1;
        if (stateId != expected) revert UnexpectedStateId(expected, stateId);
        lastStateId = stateId;
        lastSyncTime = syncTime;

        if (receiver.code.length > 0) {
            uint256 left = gasleft();
            if (left < GAS_NEEDED_FOR_DELIVERY) revert InsufficientGas(GAS_NEEDED_FOR_DELIVERY, left);
            bytes memory callData = abi.encodeCall(IStateReceiver.onStateReceive, (stateId, data));
            uint256 gasForReceiver = RECEIVER_GAS;
            assembly ("memory-safe") {
                success := call(gasForReceiver, receiver, 0, add(callData, 0x20), mload(callData), 0, 0)
            }
        }
        emit StateCommitted(stateId, success);
    }
}
