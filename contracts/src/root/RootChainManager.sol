// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IERC20Metadata} from "../lib/IERC20.sol";
import {Merkle} from "../lib/Merkle.sol";
import {MerklePatriciaProof} from "../lib/MerklePatriciaProof.sol";
import {Ownable} from "../lib/Ownable.sol";
import {RLPReader} from "../lib/RLPReader.sol";
import {ERC20Predicate} from "./ERC20Predicate.sol";
import {StateSender} from "./StateSender.sol";

/// @notice The part of the RootChain (checkpoints) that exits read.
interface IRootChainCheckpoints {
    /// @notice Whether BTTC block `number` with these header fields is in checkpoint
    /// `headerBlockId`, by the Merkle `proof` of its leaf.
    function verifyBlock(
        uint256 headerBlockId,
        uint256 number,
        uint256 timestamp,
        bytes32 transactionsRoot,
        bytes32 receiptsRoot,
        bytes32[] calldata proof
    ) external view returns (bool);
    /// @notice The number of accepted checkpoints.
    function currentHeaderBlock() external view returns (uint256);
    /// @notice An accepted checkpoint.
    function headerBlocks(uint256 headerBlockId)
        external
        view
        returns (bytes32 root, uint256 start, uint256 end, bytes32 accountRoot, address proposer, uint256 timestamp);
}

/// @title RootChainManager
/// @notice The root-chain end of the ERC-20 bridge to BTTC: maps root tokens to their BTTC
/// ChildERC20 and takes deposits. Every mapping and deposit is a state-sync record (through
/// the StateSender, which must register this contract as the sender for the ChildChainManager)
/// for BTTC's ChildChainManager at 0x0000000000000000000000000000000000001100.
/// @dev Sync payloads (rootChainId = block.chainid of this chain):
/// - abi.encode(MAP_TOKEN, abi.encode(uint256 rootChainId, address rootToken, string name,
///   string symbol, uint8 decimals))
/// - abi.encode(DEPOSIT, abi.encode(uint256 rootChainId, address depositReceiver,
///   address rootToken, bytes abi.encode(uint256 amount)))
/// The child token's address is computed here exactly as the ChildChainManager's CREATE2 makes
/// it: deployer 0x…1100, salt keccak256(abi.encode(rootChainId, rootToken)), init code hash
/// `childTokenCodeHash` (keccak256 of ChildERC20's creation code, given at deployment).
/// The constructor deploys this manager's ERC20Predicate, which holds the deposited tokens.
///
/// Exits (docs/exits.md): `exit(inputData)` proves that a ChildERC20 of a token mapped here
/// burnt tokens on BTTC (its `withdraw` log `Transfer(from, address(0), amount)`), in a BTTC
/// block that a checkpoint accepted by the RootChain (`setRootChain`, once) covers, and then
/// releases `amount` of the root token to `from` through the predicate. `inputData` is the RLP
/// list `[headerBlockId, blockProof, blockNumber, blockTime, txRoot, receiptRoot, receipt,
/// receiptProof, branchMask, receiptLogIndex]`:
/// - `blockProof`: the checkpoint Merkle siblings of the block's leaf, concatenated 32-byte words;
/// - `receipt`: the receipt as the receipts trie holds it (`type ‖ rlp(fields)` when typed);
/// - `receiptProof`: an RLP list of the trie nodes (MerklePatriciaProof's form);
/// - `branchMask`: the trie key, exactly `rlp(txIndex)` (no other encoding is accepted);
/// - `receiptLogIndex`: the burn's position in the receipt's logs.
/// Each burn exits once: its exit key `keccak256(abi.encode(blockNumber, txIndex, logIndex))`
/// is recorded, and only the canonical branch mask is accepted, so no second encoding of the
/// same receipt's path yields a second key (Polygon's 2021 exit double-spend).
contract RootChainManager is Ownable {
    /// @notice Sync type of a token mapping.
    bytes32 public constant MAP_TOKEN = keccak256("MAP_TOKEN");
    /// @notice Sync type of a deposit.
    bytes32 public constant DEPOSIT = keccak256("DEPOSIT");
    /// @notice BTTC's ChildChainManager (genesis system contract), the receiver of every sync.
    address public constant CHILD_CHAIN_MANAGER = 0x0000000000000000000000000000000000001100;
    /// @notice Topic 0 of the ERC-20 `Transfer(address,address,uint256)` log a burn emits.
    bytes32 public constant TRANSFER_EVENT_SIG = keccak256("Transfer(address,address,uint256)");
    /// @dev Fields of an exit payload.
    uint256 private constant EXIT_FIELDS = 10;

    /// @notice The StateSender this manager syncs through.
    StateSender public immutable stateSender;
    /// @notice The predicate holding the deposited tokens (deployed by the constructor).
    ERC20Predicate public immutable predicate;
    /// @notice keccak256 of ChildERC20's creation code (with which the ChildChainManager
    /// deploys child tokens).
    bytes32 public immutable childTokenCodeHash;

    /// @notice Each mapped root token's child token on BTTC (0: not mapped).
    mapping(address => address) public rootToChildToken;
    /// @notice Each child token's root token.
    mapping(address => address) public childToRootToken;
    /// @notice The RootChain whose checkpoints prove exits (zero until `setRootChain`).
    address public rootChain;
    /// @notice Whether the exit with this exit key was processed.
    mapping(bytes32 => bool) public processedExits;

    /// @notice `rootToken` is mapped to `childToken` on BTTC.
    event TokenMapped(address indexed rootToken, address indexed childToken);
    /// @notice Exits are proven against this RootChain's checkpoints.
    event RootChainSet(address indexed rootChain);
    /// @notice The burn with exit key `exitKey` released `amount` of `rootToken` to `exitor`.
    event ExitProcessed(
        bytes32 indexed exitKey, address indexed exitor, address indexed rootToken, address childToken, uint256 amount
    );

    /// @notice The token is mapped already.
    error TokenAlreadyMapped(address rootToken, address childToken);
    /// @notice The token is not mapped.
    error TokenNotMapped(address rootToken);
    /// @notice The deposit receiver, the token or the StateSender is the zero address.
    error ZeroAddress();
    /// @notice depositData is not abi.encode(uint256 amount).
    error BadDepositData(uint256 length);
    /// @notice A deposit (or a burn) of zero.
    error ZeroAmount();
    /// @notice The RootChain is set already (it is set once).
    error RootChainAlreadySet(address current);
    /// @notice The RootChain address has no code.
    error RootChainHasNoCode(address rootChain);
    /// @notice `exit` before `setRootChain`.
    error RootChainNotSet();
    /// @notice The exit payload is a list of `found` items; expected `expected`.
    error ExitPayloadFieldCount(uint256 expected, uint256 found);
    /// @notice The branch mask is not the RLP encoding of an integer below 2^64.
    error BadBranchMask(bytes found);
    /// @notice The branch mask encodes the transaction index whose only accepted encoding is
    /// `expected`.
    error NonCanonicalBranchMask(bytes expected, bytes found);
    /// @notice This burn was exited already.
    error ExitAlreadyProcessed(bytes32 exitKey);
    /// @notice The block proof is `length` bytes; expected whole 32-byte words.
    error BlockProofNotWords(uint256 length);
    /// @notice No accepted checkpoint `headerBlockId`; the RootChain has `current`.
    error UnknownCheckpoint(uint256 headerBlockId, uint256 current);
    /// @notice Block `blockNumber` is outside the checkpoint's blocks `start..end`.
    error BlockNotInCheckpoint(uint256 blockNumber, uint256 start, uint256 end);
    /// @notice The block proof has `found` siblings; the checkpoint's tree needs `expected`.
    error BlockProofLength(uint256 expected, uint256 found);
    /// @notice The block's leaf and proof give the root `found`; the checkpoint's is `expected`.
    error BlockProofMismatch(bytes32 expected, bytes32 found);
    /// @notice The receipt is not `type ‖ rlp(list)` or `rlp(list)`; `firstByte` is its first
    /// byte (0 when empty).
    error BadReceipt(uint8 firstByte);
    /// @notice The receipt has `found` fields; expected `expected` (status, cumulative gas,
    /// bloom, logs).
    error ReceiptFieldCount(uint256 expected, uint256 found);
    /// @notice The receipt's status field is `length` bytes; expected a post-Byzantium status
    /// (0 or 1 byte).
    error BadReceiptStatus(uint256 length);
    /// @notice The transaction failed (status `status`; expected 1).
    error ReceiptFailed(uint256 status);
    /// @notice The receipt has `logCount` logs; there is no log `logIndex`.
    error LogIndexOutOfRange(uint256 logIndex, uint256 logCount);
    /// @notice The log has `found` items; expected `expected` (address, topics, data).
    error LogFieldCount(uint256 expected, uint256 found);
    /// @notice The log is not an ERC-20 Transfer: topic 0 `found` (zero when no topics) among
    /// `topicCount` topics; expected `expected` among 3.
    error NotATransferLog(bytes32 expected, bytes32 found, uint256 topicCount);
    /// @notice The Transfer goes to `to`; a burn goes to the zero address.
    error NotABurn(address to);
    /// @notice A Transfer address topic with bits above its 20 bytes.
    error BadAddressTopic(bytes32 topic);
    /// @notice The Transfer's data is `found` bytes; expected `expected` (the amount).
    error BadTransferData(uint256 expected, uint256 found);
    /// @notice The burning token is not the child token of a token mapped by this manager.
    error ChildTokenNotMapped(address childToken);

    /// @param stateSender_ The StateSender (which must register this contract for
    /// CHILD_CHAIN_MANAGER before mapToken or depositFor works).
    /// @param childTokenCodeHash_ keccak256 of ChildERC20's creation code.
    constructor(StateSender stateSender_, bytes32 childTokenCodeHash_) {
        if (address(stateSender_) == address(0)) revert ZeroAddress();
        stateSender = stateSender_;
        childTokenCodeHash = childTokenCodeHash_;
        predicate = new ERC20Predicate(address(this));
    }

    /// @notice The BTTC address the ChildChainManager gives `rootToken`'s child token.
    function childTokenAddress(address rootToken) public view returns (address) {
        bytes32 salt = keccak256(abi.encode(block.chainid, rootToken));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), CHILD_CHAIN_MANAGER, salt, childTokenCodeHash));
        return address(uint160(uint256(h)));
    }

    /// @notice Maps `rootToken` (owner only): syncs MAP_TOKEN with its name, symbol and
    /// decimals, which the token must implement.
    function mapToken(address rootToken) external onlyOwner {
        if (rootToken == address(0)) revert ZeroAddress();
        address existing = rootToChildToken[rootToken];
        if (existing != address(0)) revert TokenAlreadyMapped(rootToken, existing);
        address childToken = childTokenAddress(rootToken);
        rootToChildToken[rootToken] = childToken;
        childToRootToken[childToken] = rootToken;
        IERC20Metadata meta = IERC20Metadata(rootToken);
        bytes memory syncData =
            abi.encode(block.chainid, rootToken, meta.name(), meta.symbol(), meta.decimals());
        stateSender.syncState(CHILD_CHAIN_MANAGER, abi.encode(MAP_TOKEN, syncData));
        emit TokenMapped(rootToken, childToken);
    }

    /// @notice Deposits `abi.decode(depositData, (uint256))` of a mapped `rootToken` from the
    /// caller (who must have approved the predicate) to `user` on BTTC.
    function depositFor(address user, address rootToken, bytes calldata depositData) external {
        if (user == address(0)) revert ZeroAddress();
        if (rootToChildToken[rootToken] == address(0)) revert TokenNotMapped(rootToken);
        if (depositData.length != 32) revert BadDepositData(depositData.length);
        uint256 amount = abi.decode(depositData, (uint256));
        if (amount == 0) revert ZeroAmount();
        predicate.lockTokens(msg.sender, user, rootToken, depositData);
        bytes memory syncData = abi.encode(block.chainid, user, rootToken, abi.encode(amount));
        stateSender.syncState(CHILD_CHAIN_MANAGER, abi.encode(DEPOSIT, syncData));
    }

    /// @notice Sets the RootChain whose checkpoints prove exits (owner, once).
    function setRootChain(address rootChain_) external onlyOwner {
        if (rootChain != address(0)) revert RootChainAlreadySet(rootChain);
        if (rootChain_ == address(0)) revert ZeroAddress();
        if (rootChain_.code.length == 0) revert RootChainHasNoCode(rootChain_);
        rootChain = rootChain_;
        emit RootChainSet(rootChain_);
    }

    /// @notice The key under which the burn at log `logIndex` of transaction `txIndex` of BTTC
    /// block `blockNumber` is recorded as exited: `keccak256(abi.encode(blockNumber, txIndex,
    /// logIndex))`.
    function exitKey(uint256 blockNumber, uint256 txIndex, uint256 logIndex) public pure returns (bytes32) {
        return keccak256(abi.encode(blockNumber, txIndex, logIndex));
    }

    /// @notice Releases the root tokens of a ChildERC20 burn on BTTC, proven against a
    /// checkpoint (see the contract's notes for `inputData`). Anyone may submit it; the tokens
    /// go to the burner. Each burn exits once.
    function exit(bytes calldata inputData) external {
        address rc = rootChain;
        if (rc == address(0)) revert RootChainNotSet();
        RLPReader.Item[] memory f = RLPReader.readList(inputData);
        if (f.length != EXIT_FIELDS) revert ExitPayloadFieldCount(EXIT_FIELDS, f.length);
        uint256 logIndex = RLPReader.toUint(inputData, f[9]);
        bytes32 key = exitKey(RLPReader.toUint(inputData, f[2]), _txIndex(inputData, f[8]), logIndex);
        if (processedExits[key]) revert ExitAlreadyProcessed(key);

        _checkBlock(IRootChainCheckpoints(rc), inputData, f);
        bytes calldata receipt = _string(inputData, f[6]);
        MerklePatriciaProof.verify(
            inputData, f[7], _string(inputData, f[8]), _word(inputData, f[5]), keccak256(receipt)
        );
        (address childToken, address exitor, uint256 amount) = _burn(inputData, f[6], logIndex);
        address rootToken = childToRootToken[childToken];
        if (rootToken == address(0)) revert ChildTokenNotMapped(childToken);

        processedExits[key] = true;
        predicate.releaseTokens(exitor, rootToken, amount);
        emit ExitProcessed(key, exitor, rootToken, childToken, amount);
    }

    /// @dev The transaction index the branch mask encodes; reverts unless the mask is exactly
    /// its canonical `rlp(txIndex)`.
    function _txIndex(bytes calldata buf, RLPReader.Item memory item) private pure returns (uint256 txIndex) {
        bytes calldata mask = _string(buf, item);
        uint256 n = mask.length;
        if (n == 0) revert BadBranchMask(mask);
        uint256 first = uint8(mask[0]);
        if (first < 0x80) {
            if (n != 1) revert BadBranchMask(mask);
            txIndex = first;
        } else {
            // A string header 0x80 + length, then the big-endian integer (at most 8 bytes).
            if (first > 0x88 || n != first - 0x7f) revert BadBranchMask(mask);
            for (uint256 i = 1; i < n; ++i) {
                txIndex = (txIndex << 8) | uint8(mask[i]);
            }
        }
        bytes memory canonical = _rlpUint(txIndex);
        if (keccak256(canonical) != keccak256(mask)) revert NonCanonicalBranchMask(canonical, mask);
    }

    /// @dev The RLP encoding of `value`.
    function _rlpUint(uint256 value) private pure returns (bytes memory) {
        if (value == 0) return hex"80";
        if (value < 0x80) return abi.encodePacked(uint8(value));
        uint256 length = 0;
        for (uint256 v = value; v != 0; v >>= 8) ++length;
        bytes memory out = new bytes(length + 1);
        out[0] = bytes1(uint8(0x80 + length));
        for (uint256 i = 0; i < length; ++i) {
            out[length - i] = bytes1(uint8(value >> (8 * i)));
        }
        return out;
    }

    /// @dev Reverts unless the block of the payload is in the checkpoint it names, saying why.
    function _checkBlock(IRootChainCheckpoints rc, bytes calldata buf, RLPReader.Item[] memory f) private view {
        uint256 headerBlockId = RLPReader.toUint(buf, f[0]);
        bytes calldata words = _string(buf, f[1]);
        if (words.length % 32 != 0) revert BlockProofNotWords(words.length);
        bytes32[] memory proof = new bytes32[](words.length / 32);
        for (uint256 i = 0; i < proof.length; ++i) {
            proof[i] = bytes32(words[32 * i:32 * i + 32]);
        }
        uint256 number = RLPReader.toUint(buf, f[2]);
        bytes32 leaf = keccak256(
            abi.encode(number, RLPReader.toUint(buf, f[3]), _word(buf, f[4]), _word(buf, f[5]))
        );
        if (
            rc.verifyBlock(
                headerBlockId, number, RLPReader.toUint(buf, f[3]), _word(buf, f[4]), _word(buf, f[5]), proof
            )
        ) return;
        // Refused: find out why.
        uint256 current = rc.currentHeaderBlock();
        if (headerBlockId == 0 || headerBlockId > current) revert UnknownCheckpoint(headerBlockId, current);
        (bytes32 root, uint256 start, uint256 end,,,) = rc.headerBlocks(headerBlockId);
        if (number < start || number > end) revert BlockNotInCheckpoint(number, start, end);
        uint256 depth = Merkle.depth(end - start + 1);
        if (proof.length != depth) revert BlockProofLength(depth, proof.length);
        uint256 index = number - start;
        bytes32 node = leaf;
        for (uint256 i = 0; i < depth; ++i) {
            node = (index >> i) & 1 == 0 ? Merkle.hashPair(node, proof[i]) : Merkle.hashPair(proof[i], node);
        }
        revert BlockProofMismatch(root, node);
    }

    /// @dev The burn at log `logIndex` of the receipt (field item `item`): the emitting token,
    /// the burner and the amount. Reverts unless the transaction succeeded and the log is
    /// `Transfer(from, address(0), amount)` with a non-zero amount.
    function _burn(bytes calldata buf, RLPReader.Item memory item, uint256 logIndex)
        private
        pure
        returns (address token, address from, uint256 amount)
    {
        RLPReader.Item[] memory log = _successfulLog(buf, item, logIndex);
        if (log.length != 3) revert LogFieldCount(3, log.length);
        token = RLPReader.toAddress(buf, log[0]);
        RLPReader.Item[] memory topics = RLPReader.toList(buf, log[1]);
        bytes32 topic0 = topics.length == 0 ? bytes32(0) : _word(buf, topics[0]);
        if (topics.length != 3 || topic0 != TRANSFER_EVENT_SIG) {
            revert NotATransferLog(TRANSFER_EVENT_SIG, topic0, topics.length);
        }
        address to = _topicAddress(buf, topics[2]);
        if (to != address(0)) revert NotABurn(to);
        from = _topicAddress(buf, topics[1]);
        amount = _amount(_string(buf, log[2]));
    }

    /// @dev The items of log `logIndex` of the receipt (field item `item`), which must be the
    /// receipt of a successful transaction.
    function _successfulLog(bytes calldata buf, RLPReader.Item memory item, uint256 logIndex)
        private
        pure
        returns (RLPReader.Item[] memory)
    {
        RLPReader.Item[] memory fields = _receiptFields(buf, item);
        RLPReader.Item memory status = fields[0];
        if (status.isList || status.length > 1) revert BadReceiptStatus(status.length);
        uint256 code = status.length == 0 ? 0 : uint8(buf[status.offset]);
        if (code != 1) revert ReceiptFailed(code);
        RLPReader.Item[] memory logs = RLPReader.toList(buf, fields[3]);
        if (logIndex >= logs.length) revert LogIndexOutOfRange(logIndex, logs.length);
        return RLPReader.toList(buf, logs[logIndex]);
    }

    /// @dev A Transfer's data: one non-zero word.
    function _amount(bytes calldata data) private pure returns (uint256 amount) {
        if (data.length != 32) revert BadTransferData(32, data.length);
        amount = uint256(bytes32(data));
        if (amount == 0) revert ZeroAmount();
    }

    /// @dev The fields of the receipt in the string item `item`: `type ‖ rlp(list)` (type 1 to
    /// 0x7f) or a legacy `rlp(list)`, of exactly four fields.
    function _receiptFields(bytes calldata buf, RLPReader.Item memory item)
        private
        pure
        returns (RLPReader.Item[] memory fields)
    {
        bytes calldata receipt = _string(buf, item);
        if (receipt.length == 0) revert BadReceipt(0);
        uint8 first = uint8(receipt[0]);
        uint256 start = item.offset;
        if (first >= 0x01 && first <= 0x7f) {
            if (receipt.length == 1) revert BadReceipt(first);
            start += 1;
        } else if (first < 0xc0) {
            revert BadReceipt(first);
        }
        (RLPReader.Item memory list, uint256 next) = RLPReader.readItem(buf, start);
        if (!list.isList || next != item.offset + item.length) revert BadReceipt(first);
        fields = RLPReader.toList(buf, list);
        if (fields.length != 4) revert ReceiptFieldCount(4, fields.length);
    }

    /// @dev An address topic (a 32-byte word with nothing above its 20 address bytes).
    function _topicAddress(bytes calldata buf, RLPReader.Item memory item) private pure returns (address) {
        bytes32 topic = _word(buf, item);
        if (uint256(topic) >> 160 != 0) revert BadAddressTopic(topic);
        return address(uint160(uint256(topic)));
    }

    /// @dev A 32-byte string item.
    function _word(bytes calldata buf, RLPReader.Item memory item) private pure returns (bytes32) {
        if (item.isList) revert RLPReader.RLPUnexpectedType(item.offset, false);
        if (item.length != 32) revert RLPReader.RLPBadLength(item.offset, 32, item.length);
        return bytes32(buf[item.offset:item.offset + 32]);
    }

    /// @dev A string item's payload, in calldata.
    function _string(bytes calldata buf, RLPReader.Item memory item) private pure returns (bytes calldata) {
        if (item.isList) revert RLPReader.RLPUnexpectedType(item.offset, false);
        return buf[item.offset:item.offset + item.length];
    }
}
