// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IStateReceiver} from "../system/IStateReceiver.sol";

/// @title TestStateSyncReceiver
/// @notice A state-sync receiver for tests: accepts records only from the StateReceiver system
/// contract, remembers the last one and logs each.
/// @dev Storage layout: slot 0 = lastStateId, slot 1 = receivedCount, slot 2 = lastData.
contract TestStateSyncReceiver is IStateReceiver {
    /// @notice The StateReceiver system contract, the only accepted caller.
    address public constant STATE_RECEIVER = 0x0000000000000000000000000000000000001001;

    /// @notice The id of the last record received.
    uint256 public lastStateId;
    /// @notice How many records were received.
    uint256 public receivedCount;
    /// @notice The payload of the last record received.
    bytes public lastData;

    /// @notice A record was received.
    event StateReceived(uint256 indexed id, bytes data);

    /// @notice The caller is not the StateReceiver system contract.
    error NotStateReceiver(address caller);

    /// @inheritdoc IStateReceiver
    function onStateReceive(uint256 stateId, bytes calldata data) external {
        if (msg.sender != STATE_RECEIVER) revert NotStateReceiver(msg.sender);
        lastStateId = stateId;
        receivedCount += 1;
        lastData = data;
        emit StateReceived(stateId, data);
    }
}
