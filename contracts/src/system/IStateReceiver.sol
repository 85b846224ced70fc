// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title IStateReceiver
/// @notice Implemented by BTTC contracts that receive state-sync records from the root chains
/// (bor's interface, so bor-era receivers keep working).
interface IStateReceiver {
    /// @notice Called by the StateReceiver system contract (0x…1001) once per record.
    /// @param stateId The record id (the root chain's state-sync counter).
    /// @param data The record's opaque payload.
    function onStateReceive(uint256 stateId, bytes calldata data) external;
}
