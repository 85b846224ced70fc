// ethers.js v6, unmodified, against a running `bttc dev` chain: deploy an ERC-20 compiled by
// solc, transfer, read balances, fetch the receipt and its logs, filter with eth_getLogs,
// estimate gas, read fee history, send native value. Exits non-zero on the first mismatch.
//
// Environment: BTTC_RPC (http URL), BTTC_WS (ws URL), BTTC_DEV_ACCOUNTS (dev-accounts.json),
// TOKEN_ARTIFACT (contracts/artifacts/TestToken.json).
import assert from "node:assert/strict";
import fs from "node:fs";
import { ethers } from "ethers";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const accounts = JSON.parse(fs.readFileSync(env("BTTC_DEV_ACCOUNTS"), "utf8"));
const artifact = JSON.parse(fs.readFileSync(env("TOKEN_ARTIFACT"), "utf8"));
// `bttc dev --on-tx` mines within milliseconds; ethers' 250 ms request cache would hand the
// next transaction the previous one's nonce, so switch it off (a documented provider option).
const provider = new ethers.JsonRpcProvider(env("BTTC_RPC"), undefined, { cacheTimeout: -1 });
const wallet = new ethers.Wallet(accounts[0].private_key, provider);
const alice = accounts[1].address;
const step = (s) => console.log(`ethers: ${s}`);

const network = await provider.getNetwork();
step(`chain id ${network.chainId}`);
assert.equal(network.chainId, BigInt(process.env.BTTC_CHAIN_ID ?? 1337));

// Deploy (with an estimate first).
const supply = ethers.parseUnits("1000000", 18);
const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
const deployTx = await factory.getDeployTransaction("Test Token", "TT", supply);
const deployGas = await provider.estimateGas({ ...deployTx, from: wallet.address });
assert.ok(deployGas > 21000n, `deploy estimate ${deployGas}`);
const token = await factory.deploy("Test Token", "TT", supply);
const deployReceipt = await token.deploymentTransaction().wait();
assert.equal(deployReceipt.status, 1);
const tokenAddress = await token.getAddress();
assert.equal(deployReceipt.contractAddress, tokenAddress);
assert.notEqual(await provider.getCode(tokenAddress), "0x");
step(`deployed at ${tokenAddress} in block ${deployReceipt.blockNumber}, gas ${deployReceipt.gasUsed} (estimate ${deployGas})`);
assert.equal(await token.name(), "Test Token");
assert.equal(await token.decimals(), 18n);
assert.equal(await token.totalSupply(), supply);

// Transfer.
const amount = ethers.parseUnits("1234.5", 18);
const transferGas = await token.transfer.estimateGas(alice, amount);
const tx = await token.transfer(alice, amount);
const receipt = await tx.wait();
assert.equal(receipt.status, 1);
assert.ok(receipt.gasUsed <= transferGas, `used ${receipt.gasUsed} > estimate ${transferGas}`);
step(`transfer in block ${receipt.blockNumber}, gas ${receipt.gasUsed} (estimate ${transferGas})`);

// Balances.
assert.equal(await token.balanceOf(alice), amount);
assert.equal(await token.balanceOf(wallet.address), supply - amount);

// Receipt and logs, fetched again.
const fetched = await provider.getTransactionReceipt(tx.hash);
assert.equal(fetched.hash, tx.hash);
assert.equal(fetched.blockHash, receipt.blockHash);
assert.equal(fetched.logs.length, 1);
const parsed = token.interface.parseLog(fetched.logs[0]);
assert.equal(parsed.name, "Transfer");
assert.equal(parsed.args.from, wallet.address);
assert.equal(parsed.args.to, alice);
assert.equal(parsed.args.value, amount);
const fetchedTx = await provider.getTransaction(tx.hash);
assert.equal(fetchedTx.from, wallet.address);
assert.equal(fetchedTx.blockNumber, receipt.blockNumber);
const block = await provider.getBlock(receipt.blockNumber);
assert.ok(block.transactions.includes(tx.hash));

// eth_getLogs with address and topic filters.
const transferTopic = token.interface.getEvent("Transfer").topicHash;
const toAlice = await provider.getLogs({
  address: tokenAddress,
  topics: [transferTopic, null, ethers.zeroPadValue(alice, 32)],
  fromBlock: 0,
  toBlock: "latest",
});
assert.equal(toAlice.length, 1);
assert.equal(toAlice[0].transactionHash, tx.hash);
const all = await token.queryFilter(token.filters.Transfer(), 0, "latest");
assert.equal(all.length, 2); // the mint and the transfer
const none = await provider.getLogs({
  address: tokenAddress,
  topics: [ethers.id("Nothing()")],
  fromBlock: 0,
  toBlock: "latest",
});
assert.equal(none.length, 0);
step(`getLogs: ${toAlice.length} to alice, ${all.length} transfers in all`);

// Fee history (integer and hex block counts) and fee data.
// Both at one block: on deliveryd dev a block can land between the two calls.
const head = ethers.toQuantity(await provider.getBlockNumber());
const history = await provider.send("eth_feeHistory", [4, head, [25, 75]]);
const historyHex = await provider.send("eth_feeHistory", ["0x4", head, [25, 75]]);
assert.deepEqual(history, historyHex);
assert.ok(history.baseFeePerGas.length >= 2);
assert.equal(history.baseFeePerGas.length, history.gasUsedRatio.length + 1);
const fees = await provider.getFeeData();
assert.ok(fees.maxFeePerGas > 0n && fees.gasPrice > 0n);
step(`feeHistory oldest ${history.oldestBlock}, ${history.gasUsedRatio.length} blocks`);

// Native value transfer.
const before = await provider.getBalance(alice);
const valueTx = await wallet.sendTransaction({ to: alice, value: ethers.parseEther("1.5") });
await valueTx.wait();
assert.equal(await provider.getBalance(alice), before + ethers.parseEther("1.5"));

// A failing call surfaces the revert reason.
await assert.rejects(
  token.connect(new ethers.Wallet(accounts[2].private_key, provider)).transfer.staticCall(alice, supply),
  (e) => {
    assert.equal(e.code, "CALL_EXCEPTION");
    return true;
  },
);

// A newHeads subscription over WebSocket sees the next block.
const ws = new ethers.WebSocketProvider(env("BTTC_WS"));
const nextBlock = new Promise((resolve) => ws.once("block", resolve));
await (await wallet.sendTransaction({ to: alice, value: 1n })).wait();
const seen = await Promise.race([
  nextBlock,
  new Promise((_, reject) => setTimeout(() => reject(new Error("no newHeads within 20 s")), 20000)),
]);
step(`websocket newHeads: block ${seen}`);
// `once` unsubscribes (eth_unsubscribe) in the background: let that round trip finish before
// closing the socket. A close that still cancels it rejects that request only: teardown, not a
// failure of the node.
process.on("unhandledRejection", (e) => {
  if (e?.code === "UNSUPPORTED_OPERATION" && e?.operation === "eth_unsubscribe") return;
  throw e;
});
await ws.removeAllListeners();
await new Promise((resolve) => setTimeout(resolve, 250));
await ws.destroy();

step("all checks passed");
