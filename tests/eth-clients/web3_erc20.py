"""web3.py, unmodified, against a running `bttc dev` chain: deploy an ERC-20 compiled by solc,
transfer, read balances, fetch the receipt and its logs, filter with eth_getLogs, estimate gas,
read fee history, poll a filter. Exits non-zero on the first mismatch.

Environment: BTTC_RPC, BTTC_DEV_ACCOUNTS, TOKEN_ARTIFACT, BTTC_CHAIN_ID (default 1337).
"""

import json
import os
import sys

from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.middleware import ExtraDataToPOAMiddleware


def env(key):
    value = os.environ.get(key)
    if not value:
        sys.exit(f"{key} is not set")
    return value


def step(msg):
    print(f"web3.py: {msg}", flush=True)


def send(w3, account, tx):
    tx.setdefault("from", account.address)
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    tx.setdefault("chainId", w3.eth.chain_id)
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(tx)
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    tx.setdefault("maxPriorityFeePerGas", tip)
    tx.setdefault("maxFeePerGas", 2 * base + tip)
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    return tx_hash, receipt


def main():
    accounts = json.load(open(env("BTTC_DEV_ACCOUNTS")))
    artifact = json.load(open(env("TOKEN_ARTIFACT")))
    w3 = Web3(Web3.HTTPProvider(env("BTTC_RPC")))
    # BTTC headers carry the producer's 65-byte seal in extraData (97 bytes, as bor and clique
    # do): web3.py's documented setting for such chains.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    assert w3.is_connected()
    assert w3.eth.chain_id == int(os.environ.get("BTTC_CHAIN_ID", "1337"))
    assert w3.net.version == str(w3.eth.chain_id)
    assert w3.client_version.startswith("bttc/"), w3.client_version
    step(f"chain id {w3.eth.chain_id}, {w3.client_version}")

    owner = w3.eth.account.from_key(accounts[0]["private_key"])
    bob = Web3.to_checksum_address(accounts[3]["address"])

    # Deploy.
    supply = 10**6 * 10**18
    Token = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    deploy = Token.constructor("Py Token", "PY", supply).build_transaction(
        {"from": owner.address, "nonce": w3.eth.get_transaction_count(owner.address, "pending")}
    )
    estimate = w3.eth.estimate_gas({"from": owner.address, "data": deploy["data"]})
    assert estimate > 21000
    _, receipt = send(w3, owner, {"data": deploy["data"], "gas": estimate})
    address = receipt["contractAddress"]
    assert address and w3.eth.get_code(address) != b""
    token = w3.eth.contract(address=address, abi=artifact["abi"])
    step(f"deployed at {address} in block {receipt['blockNumber']}, gas {receipt['gasUsed']}")
    assert token.functions.symbol().call() == "PY"
    assert token.functions.totalSupply().call() == supply

    # Transfer.
    amount = 777 * 10**18
    call = token.functions.transfer(bob, amount)
    gas = call.estimate_gas({"from": owner.address})
    tx = call.build_transaction({"from": owner.address, "gas": gas})
    tx_hash, receipt = send(w3, owner, {"to": address, "data": tx["data"], "gas": gas})
    assert receipt["gasUsed"] <= gas
    step(f"transfer in block {receipt['blockNumber']}, gas {receipt['gasUsed']} (estimate {gas})")

    # Balances.
    assert token.functions.balanceOf(bob).call() == amount
    assert token.functions.balanceOf(owner.address).call() == supply - amount

    # Receipt and logs.
    fetched = w3.eth.get_transaction_receipt(tx_hash)
    assert fetched["transactionHash"] == tx_hash
    events = token.events.Transfer().process_receipt(fetched)
    assert len(events) == 1
    assert events[0]["args"]["to"] == bob and events[0]["args"]["value"] == amount
    block_receipts = w3.eth.get_block_receipts(fetched["blockNumber"])
    assert any(r["transactionHash"] == tx_hash for r in block_receipts)
    tx_obj = w3.eth.get_transaction(tx_hash)
    assert tx_obj["from"] == owner.address and tx_obj["to"] == address

    # eth_getLogs with a topic filter.
    topic = Web3.keccak(text="Transfer(address,address,uint256)")
    logs = w3.eth.get_logs(
        {
            "address": address,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [topic, None, "0x" + "00" * 12 + bob[2:].lower()],
        }
    )
    assert len(logs) == 1 and logs[0]["transactionHash"] == tx_hash
    all_transfers = token.events.Transfer().get_logs(from_block=0)
    assert len(all_transfers) == 2
    step(f"get_logs: {len(logs)} to bob, {len(all_transfers)} transfers in all")

    # A log filter, polled after another transfer.
    log_filter = w3.eth.filter({"address": address, "topics": [topic]})
    block_filter = w3.eth.filter("latest")
    call = token.functions.transfer(bob, 1)
    send(w3, owner, {"to": address, "data": call.build_transaction({"from": owner.address, "gas": 100000})["data"], "gas": 100000})
    changes = w3.eth.get_filter_changes(log_filter.filter_id)
    assert len(changes) == 1, changes
    assert len(w3.eth.get_filter_changes(block_filter.filter_id)) >= 1
    assert w3.eth.uninstall_filter(log_filter.filter_id)
    assert w3.eth.uninstall_filter(block_filter.filter_id)

    # Fee history, integer and hex counts.
    history = w3.eth.fee_history(4, "latest", [10, 90])
    raw = w3.provider.make_request("eth_feeHistory", ["0x4", "latest", [10, 90]])["result"]
    assert len(history["baseFeePerGas"]) == len(raw["baseFeePerGas"])
    assert len(history["reward"]) == len(history["gasUsedRatio"])
    assert w3.eth.gas_price > 0
    step(f"fee_history: {len(history['gasUsedRatio'])} blocks from {history['oldestBlock']}")

    # A revert reason reaches the caller.
    stranger = w3.eth.account.from_key(accounts[4]["private_key"])
    try:
        token.functions.transfer(bob, 1).call({"from": stranger.address})
        raise AssertionError("transfer without balance did not revert")
    except ContractLogicError as e:
        step(f"revert surfaced: {e}")

    assert w3.eth.syncing is False
    step("all checks passed")


if __name__ == "__main__":
    main()
