import { createPublicClient, createTestClient, createWalletClient, erc20Abi, http, maxUint256, parseAbi, type Address, type Hash, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { PERMIT2_ADDRESS } from "../../src/payer/wallet.js";
import { defineLocalChain } from "../../sandbox/chain.js";
import type { Sandbox } from "../../sandbox/index.js";

/** Moves the local chain's clock forward and mines a block, so the newest block carries the new time. */
export async function advanceChainClock(rpcUrl: string, seconds: number): Promise<void> {
  const client = createTestClient({ mode: "anvil", chain: defineLocalChain(rpcUrl), transport: http(rpcUrl) });
  await client.increaseTime({ seconds });
  await client.mine({ blocks: 1 });
}

/** anvil's dev account 5: used by nothing else, so its transactions never race another's nonces. */
const THIRD_PARTY_KEY: Hex = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

const eip3009 = parseAbi([
  "function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, bytes signature)",
]);

/**
 * Submits the EIP-3009 authorization inside an X-PAYMENT header to the token itself, as anyone
 * holding it could (a hostile server, a facilitator with another clock), and waits for it to mine.
 * Throws when the token refuses it (expired, used, bad signature).
 */
export async function settleOnChain(rpcUrl: string, asset: Address, paymentHeader: string): Promise<Hash> {
  const { payload } = JSON.parse(Buffer.from(paymentHeader, "base64").toString()) as {
    payload: { signature: Hex; authorization: { from: Address; to: Address; value: string; validAfter: string; validBefore: string; nonce: Hex } };
  };
  const chain = defineLocalChain(rpcUrl);
  const wallet = createWalletClient({ account: privateKeyToAccount(THIRD_PARTY_KEY), chain, transport: http(rpcUrl) });
  const { from, to, value, validAfter, validBefore, nonce } = payload.authorization;
  const hash = await wallet.writeContract({
    address: asset,
    abi: eip3009,
    functionName: "transferWithAuthorization",
    args: [from, to, BigInt(value), BigInt(validAfter), BigInt(validBefore), nonce, payload.signature],
  });
  const receipt = await createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 }).waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`settling ${nonce} reverted`);
  return hash;
}

/** The header a server sends back after settling (X-PAYMENT-RESPONSE), as x402 v1 encodes it. */
export function settlementHeader(transaction: Hash, payer: Address): string {
  return Buffer.from(JSON.stringify({ success: true, transaction, network: "base-sepolia", payer })).toString("base64");
}

/** The wallet's one-time approval of Permit2 for the sandbox's TMAI (what `approve-permit2` sends). */
export async function approvePermit2(sandbox: Sandbox): Promise<void> {
  const chain = sandbox.chain.chain;
  const wallet = createWalletClient({ account: privateKeyToAccount(sandbox.info.payerPrivateKey as Hex), chain, transport: http(sandbox.chain.rpcUrl) });
  const hash = await wallet.writeContract({ address: sandbox.chain.tmai, abi: erc20Abi, functionName: "approve", args: [PERMIT2_ADDRESS, maxUint256] });
  await sandbox.chain.publicClient.waitForTransactionReceipt({ hash });
}
