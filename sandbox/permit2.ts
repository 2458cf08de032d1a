/**
 * Permit2 and x402's exact Permit2 proxy on the sandbox chain, at their canonical addresses, so a
 * plain ERC-20 (no EIP-3009) can be paid through x402 v2 exactly as on Base.
 *
 * Permit2's runtime code is Uniswap's own, read from the hex literal in
 * `@uniswap/v4-periphery/lib/permit2/test/utils/DeployPermit2.sol` (MIT, Uniswap Labs; the file
 * itself `vm.etch`es it at the canonical address). Its EIP-712 domain separator is recomputed when
 * block.chainid differs from the one cached at build time, so it signs for 84532 correctly.
 * The proxy is our own minimal contract (contracts/X402ExactPermit2Proxy.sol): no npm package ships
 * the real one's bytecode. Multicall3's tryAggregate (contracts/Multicall3Subset.sol) comes along:
 * @x402/evm's facilitator uses it to tell a missing Permit2 allowance from other failures.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress } from "@x402/evm";
import type { Hex, PublicClient, TestClient } from "viem";
import { compileSandboxContract } from "./token-contract.js";

// The addresses come from @x402/evm itself, so the sandbox places the code where its clients and
// facilitator look (the proxy is the spender every x402 exact Permit2 signature names).
export { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress };

/** Multicall3, same address on every chain; @x402/evm hard-codes it for its diagnostic reads. */
export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

const PERMIT2_PACKAGE = "@uniswap/v4-periphery";
const PERMIT2_FILE = "lib/permit2/test/utils/DeployPermit2.sol";

/** Permit2's runtime code, read at run time: the package is a devDependency, like the whole sandbox. */
async function permit2RuntimeCode(): Promise<Hex> {
  const packageJson = createRequire(import.meta.url).resolve(`${PERMIT2_PACKAGE}/package.json`);
  const source = await readFile(join(dirname(packageJson), PERMIT2_FILE), "utf8");
  const match = /hex"([0-9a-fA-F]+)"/.exec(source);
  if (!match?.[1]) throw new Error(`No Permit2 bytecode literal in ${PERMIT2_PACKAGE}/${PERMIT2_FILE}`);
  return `0x${match[1]}`;
}

/** Places Permit2, the x402 exact Permit2 proxy and Multicall3; resolves once all answer with code. */
export async function installPermit2(testClient: TestClient, publicClient: PublicClient): Promise<void> {
  const [permit2Code, proxy, multicall] = await Promise.all([
    permit2RuntimeCode(),
    compileSandboxContract("X402ExactPermit2Proxy"),
    compileSandboxContract("Multicall3Subset"),
  ]);
  const codeByAddress = new Map<Hex, Hex>([
    [PERMIT2_ADDRESS, permit2Code],
    [x402ExactPermit2ProxyAddress, proxy.deployedBytecode],
    [MULTICALL3_ADDRESS, multicall.deployedBytecode],
  ]);
  for (const [address, bytecode] of codeByAddress) await testClient.setCode({ address, bytecode });
  for (const address of codeByAddress.keys()) {
    const code = await publicClient.getCode({ address });
    if (!code || code === "0x") throw new Error(`No code at ${address} after anvil_setCode`);
  }
}
