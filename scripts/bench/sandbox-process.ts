import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createPublicClient, erc20Abi, http, type Address } from "viem";
import type { SandboxInfo, X402Mode } from "../../sandbox/index.js";

/**
 * The sandbox in a process of its own (`sandbox/cli.ts`), so its work (the look-alike's fixtures,
 * the facilitator, the chain's RPC) runs beside the client measured, never inside its event loop,
 * where it would be counted as the client's own time.
 */
export async function startSandboxProcess(x402: X402Mode) {
  const tsx = fileURLToPath(new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url));
  const cli = fileURLToPath(new URL("../../sandbox/cli.ts", import.meta.url));
  const child = spawn(process.execPath, [tsx, cli, "--x402", x402], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the sandbox exited (${code}) before it was ready`)));
  });
  const info = JSON.parse(firstLine) as SandboxInfo;
  const chain = createPublicClient({ transport: http(info.rpcUrl) });
  return {
    info,
    usdcBalance: (owner: Address) => chain.readContract({ address: info.assets.usdc as Address, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
