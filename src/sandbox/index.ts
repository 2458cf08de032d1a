import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChain, type LocalChain, type StartChainOptions } from "./chain.js";
import { startFacilitator } from "./facilitator.js";
import { createPaymentGate } from "./payment-gate.js";
import { startTokenMetricsApi, type TokenMetricsApi } from "./tm-api.js";

/** The API key the sandbox accepts in API-key mode; a test value, not a real key. */
export const SANDBOX_API_KEY = "tm-sandbox-0000-0000-0000-000000000000";

export interface Sandbox {
  chain: LocalChain;
  api: TokenMetricsApi;
  facilitatorUrl: string;
  /** The facts a client needs, printed by `npm run sandbox`. */
  info: SandboxInfo;
  stop(): Promise<void>;
}

export interface SandboxInfo {
  apiBaseUrl: string;
  apiKey: string;
  rpcUrl: string;
  chainId: number;
  network: "base-sepolia";
  payerPrivateKey: string;
  payerAddress: string;
  payTo: string;
  assets: { usdc: string; tmai: string };
  facilitatorUrl: string;
  /** A ledger of its own (removed on stop), so sandbox payments never enter the user's default ledger. */
  ledgerPath: string;
}

export interface SandboxOptions extends StartChainOptions {
  /** USD price per path, overriding the price table. */
  prices?: Readonly<Record<string, number>>;
}

/**
 * The whole local world: a chain with USDC and TMAI, a facilitator settling on it, and the Token
 * Metrics look-alike charging through real x402 middleware. Nothing here touches the internet.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const chain = await startChain(options);
  const facilitator = await startFacilitator({ rpcUrl: chain.rpcUrl, privateKey: chain.facilitatorPrivateKey, chainId: chain.chainId });
  const paymentGate = createPaymentGate({ payTo: chain.payTo, facilitatorUrl: facilitator.url, tmai: chain.tokens.tmai, prices: options.prices });
  const api = await startTokenMetricsApi({ apiKeys: [SANDBOX_API_KEY], paymentGate });
  const ledgerDir = await mkdtemp(join(tmpdir(), "tm-sandbox-"));
  const info: SandboxInfo = {
    apiBaseUrl: api.baseUrl,
    apiKey: SANDBOX_API_KEY,
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    network: "base-sepolia",
    payerPrivateKey: chain.payerPrivateKey,
    payerAddress: chain.payerAddress,
    payTo: chain.payTo,
    assets: { usdc: chain.usdc, tmai: chain.tmai },
    facilitatorUrl: facilitator.url,
    ledgerPath: join(ledgerDir, "ledger.jsonl"),
  };
  return {
    chain,
    api,
    facilitatorUrl: facilitator.url,
    info,
    stop: async () => {
      await api.stop();
      await facilitator.stop();
      await chain.stop();
      await rm(ledgerDir, { recursive: true, force: true });
    },
  };
}

/** The environment that points this MCP server at a sandbox, paying with its funded test wallet into the sandbox's ledger. */
export function sandboxEnv(info: SandboxInfo, mode: "x402" | "api-key"): Record<string, string> {
  const common = {
    TOKEN_METRICS_API_BASE_URL: info.apiBaseUrl,
    TOKEN_METRICS_RPC_URL: info.rpcUrl,
    TOKEN_METRICS_TMAI_ADDRESS: info.assets.tmai,
    TOKEN_METRICS_LEDGER: info.ledgerPath,
  };
  return mode === "api-key" ? { ...common, TOKEN_METRICS_API_KEY: info.apiKey } : { ...common, TOKEN_METRICS_PRIVATE_KEY: info.payerPrivateKey };
}
