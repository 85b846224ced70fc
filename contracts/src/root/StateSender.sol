// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Ownable} from "../lib/Ownable.sol";

/// @title StateSender
/// @notice Sends state-sync records from a root chain to BTTC. Delivery's clerk turns each
/// StateSynced event into a record (id, receiver, data) that BTTC's StateReceiver (0x…1001)
/// delivers to `contractAddress` with `onStateReceive(id, data)`.
/// @dev Only the sender registered for a receiver (by the owner) may sync to it, so a BTTC
/// receiver can trust that a record came from that root-chain contract. Ids start at 1 and rise
/// by 1 per syncState on this root chain.
contract StateSender is Ownable {
    /// @notice The id of the last record (0 before the first).
    uint256 public counter;
    /// @notice The only sender allowed to sync to each receiver (0: nobody).
    mapping(address => address) public registrations;

    /// @notice A record for `contractAddress` on BTTC.
    event StateSynced(uint256 indexed id, address indexed contractAddress, bytes data);
    /// @notice `sender` is now the only sender for `receiver` (`user` is the owner that did it).
    event NewRegistration(address indexed user, address indexed sender, address indexed receiver);

    /// @notice The caller is not the sender registered for the receiver.
    error NotRegisteredSender(address caller, address receiver, address registered);
    /// @notice The sender or the receiver is the zero address.
    error ZeroAddress();

    /// @notice Makes `sender` the only sender for `receiver` (owner only; replaces any earlier
    /// registration).
    function register(address sender, address receiver) external onlyOwner {
        if (sender == address(0) || receiver == address(0)) revert ZeroAddress();
        registrations[receiver] = sender;
        emit NewRegistration(msg.sender, sender, receiver);
    }

    /// @notice Emits a record of `data` for `receiver`; only its registered sender may.
    function syncState(address receiver, bytes calldata data) external {
        address registered = registrations[receiver];
        if (registered != msg.sender) revert NotRegisteredSender(msg.sender, receiver, registered);
        uint256 id = counter + 1;
        counter = id;
        emit StateSynced(id, receiver, data);
    }
}
