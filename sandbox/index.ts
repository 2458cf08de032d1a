import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestHandler } from "express";
import { startChain, type LocalChain, type StartChainOptions, type TmaiTokenKind } from "./chain.js";
import { startFacilitator } from "./facilitator.js";
import { createFacilitatorV2 } from "./facilitator-v2.js";
import { createPaymentGate } from "./payment-gate.js";
import { createPaymentGateV2 } from "./payment-gate-v2.js";
import { startTokenMetricsApi, type TokenMetricsApi } from "./tm-api.js";

/** The API key the sandbox accepts in API-key mode; a test value, not a real key. */
export const SANDBOX_API_KEY = "tm-sandbox-0000-0000-0000-000000000000";

/** Which x402 protocol the look-alike speaks: v1 (x402-express 1.x) or v2 (@x402/express 2.x). */
export type X402Mode = "v1" | "v2";

/** The ecosystem's current protocol; `--x402 v1` serves what Token Metrics documents today. */
export const DEFAULT_X402_MODE: X402Mode = "v2";

/**
 * TMAI is a plain ERC-20 in both modes, like Token Metrics' published TMAI: v2 moves it through
 * Permit2, and v1 (EIP-3009 only) cannot move it at all, which is what the payer must see and refuse.
 * `startSandbox({ tmai: "eip3009" })` keeps an EIP-3009 stand-in for tests of that path.
 */
const TMAI_BY_MODE: Record<X402Mode, TmaiTokenKind> = { v1: "erc20", v2: "erc20" };

export interface Sandbox {
  chain: LocalChain;
  api: TokenMetricsApi;
  /** The v1 facilitator's HTTP address; v2 mode has none (its facilitator runs in-process). */
  facilitatorUrl?: string;
  /** Settlements that succeeded on chain since start. */
  settledCount(): number;
  /** The facts a client needs, printed by `npm run sandbox`. */
  info: SandboxInfo;
  stop(): Promise<void>;
}

export interface SandboxInfo {
  x402Version: 1 | 2;
  apiBaseUrl: string;
  apiKey: string;
  rpcUrl: string;
  chainId: number;
  /** The network as offers name it: a v1 name, or a CAIP-2 id in v2. */
  network: "base-sepolia" | `eip155:${number}`;
  payerPrivateKey: string;
  payerAddress: string;
  payTo: string;
  assets: { usdc: string; tmai: string };
  facilitatorUrl?: string;
  /** A ledger of its own (removed on stop), so sandbox payments never enter the user's default ledger. */
  ledgerPath: string;
}

export interface SandboxOptions extends StartChainOptions {
  /** Default {@link DEFAULT_X402_MODE}. */
  x402?: X402Mode;
}

interface Payments {
  gate: RequestHandler;
  network: SandboxInfo["network"];
  facilitatorUrl?: string;
  settledCount(): number;
  stop(): Promise<void>;
}

/**
 * The whole local world: a chain with USDC and TMAI, a facilitator settling on it, and the Token
 * Metrics look-alike charging through real x402 middleware. Nothing here touches the internet.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const mode = options.x402 ?? DEFAULT_X402_MODE;
  const chain = await startChain({ ...options, tmai: options.tmai ?? TMAI_BY_MODE[mode] });
  let payments: Payments | undefined;
  try {
    payments = mode === "v2" ? startPaymentsV2(chain) : await startPaymentsV1(chain);
    const api = await startTokenMetricsApi({ apiKeys: [SANDBOX_API_KEY], paymentGate: payments.gate });
    const ledgerDir = await mkdtemp(join(tmpdir(), "tm-sandbox-"));
    const info: SandboxInfo = {
      x402Version: mode === "v2" ? 2 : 1,
      apiBaseUrl: api.baseUrl,
      apiKey: SANDBOX_API_KEY,
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      network: payments.network,
      payerPrivateKey: chain.payerPrivateKey,
      payerAddress: chain.payerAddress,
      payTo: chain.payTo,
      assets: { usdc: chain.usdc, tmai: chain.tmai },
      facilitatorUrl: payments.facilitatorUrl,
      ledgerPath: join(ledgerDir, "ledger.jsonl"),
    };
    const { settledCount, stop: stopPayments } = payments;
    return {
      chain,
      api,
      facilitatorUrl: payments.facilitatorUrl,
      settledCount,
      info,
      stop: async () => {
        await api.stop();
        await stopPayments();
        await chain.stop();
        await rm(ledgerDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await payments?.stop();
    await chain.stop();
    throw error;
  }
}

async function startPaymentsV1(chain: LocalChain): Promise<Payments> {
  const facilitator = await startFacilitator({ rpcUrl: chain.rpcUrl, privateKey: chain.facilitatorPrivateKey, chainId: chain.chainId });
  return {
    gate: createPaymentGate({ payTo: chain.payTo, facilitatorUrl: facilitator.url, tmai: chain.tokens.tmai }),
    network: "base-sepolia",
    facilitatorUrl: facilitator.url,
    settledCount: facilitator.settledCount,
    stop: facilitator.stop,
  };
}

function startPaymentsV2(chain: LocalChain): Payments {
  const facilitator = createFacilitatorV2({ rpcUrl: chain.rpcUrl, privateKey: chain.facilitatorPrivateKey, chainId: chain.chainId });
  return {
    gate: createPaymentGateV2({
      payTo: chain.payTo,
      facilitator: facilitator.client,
      network: facilitator.network,
      usdc: chain.tokens.usdc,
      tmai: chain.tokens.tmai,
    }),
    network: facilitator.network,
    settledCount: facilitator.settledCount,
    stop: async () => {},
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
