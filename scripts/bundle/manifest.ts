import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { DEFAULT_MAX_PER_CALL, loadConfig } from "../../src/config.js";
import { createServer, createServices } from "../../src/server.js";

/** The server's entry inside the bundle, as in the npm package. */
export const ENTRY_POINT = "dist/index.js";

type UserConfigOption = NonNullable<McpbManifestAny["user_config"]>[string];

/**
 * What Claude Desktop asks the user for, and the variable each answer becomes. Optional fields
 * default to "" because an unset field would reach the server as a literal "${user_config.x}";
 * the server treats empty variables as unset.
 */
export const USER_CONFIG: Record<string, UserConfigOption & { env: string }> = {
  private_key: {
    env: "TOKEN_METRICS_PRIVATE_KEY",
    type: "string",
    title: "Wallet private key (x402)",
    description: "Pays each call in USDC or TMAI (0x + 64 hex). Use a dedicated wallet holding only what you mean to spend; no ETH needed. Leave empty when using an API key.",
    sensitive: true,
    default: "",
  },
  api_key: {
    env: "TOKEN_METRICS_API_KEY",
    type: "string",
    title: "Token Metrics API key",
    description: "Instead of a wallet, bill calls to your Token Metrics plan. Wins over the wallet when both are set.",
    sensitive: true,
    default: "",
  },
  network: {
    env: "TOKEN_METRICS_NETWORK",
    type: "string",
    title: "Network",
    description: "base-sepolia (testnet, the default) or base (real money).",
    default: "base-sepolia",
  },
  max_per_call: {
    env: "TOKEN_METRICS_MAX_PER_CALL",
    type: "string",
    title: "Maximum per call",
    description: `Highest price paid for one call, per asset, e.g. "${DEFAULT_MAX_PER_CALL}" (covers every tool's listed price). An asset without a limit is never paid.`,
    default: DEFAULT_MAX_PER_CALL,
  },
  session_budget: {
    env: "TOKEN_METRICS_SESSION_BUDGET",
    type: "string",
    title: "Session budget",
    description: 'Most this server may spend until it restarts, e.g. "1 USDC". Empty: no session limit.',
    default: "",
  },
  daily_budget: {
    env: "TOKEN_METRICS_DAILY_BUDGET",
    type: "string",
    title: "Daily budget",
    description: 'Most spent per UTC day by every server sharing the ledger, e.g. "2 USDC". Empty: no daily limit.',
    default: "",
  },
  confirm_above: {
    env: "TOKEN_METRICS_CONFIRM_ABOVE",
    type: "string",
    title: "Ask before paying more than",
    description: 'Calls costing more than this per call need your approval, e.g. "0.05 USDC". Empty: never ask.',
    default: "",
  },
  assets: {
    env: "TOKEN_METRICS_ASSETS",
    type: "string",
    title: "Assets",
    description: 'Assets you pay with, preferred first: "usdc", "tmai,usdc" (TMAI is 10% cheaper; it needs the TMAI contract address below).',
    default: "usdc",
  },
  tmai_address: {
    env: "TOKEN_METRICS_TMAI_ADDRESS",
    type: "string",
    title: "TMAI contract address",
    description: "TMAI's token contract on the chosen network; TMAI is refused until it is set.",
    default: "",
  },
  toolsets: {
    env: "TOKEN_METRICS_TOOLSETS",
    type: "string",
    title: "Toolsets",
    description: "Tool groups to offer: all, or some of tokens,grades,signals,market,research,indices.",
    default: "all",
  },
};

interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  keywords: string[];
}

/** The MCPB manifest (v0.2, the mcpb CLI's default) for the package at `root`. */
export async function buildManifest(root: string): Promise<McpbManifestAny> {
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
  return {
    manifest_version: "0.2",
    name: pkg.name,
    display_name: "Token Metrics (x402)",
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Token Metrics' crypto intelligence (prices, AI grades, trading signals, market metrics, research, indices) as tools. Each call is paid by your wallet with x402 within the per-call maximum and budgets you set, or billed to your Token Metrics API key. Testnet (Base Sepolia) by default.",
    author: { name: `${pkg.name} maintainers` },
    license: pkg.license,
    keywords: pkg.keywords,
    server: {
      type: "node",
      entry_point: ENTRY_POINT,
      mcp_config: {
        command: "node",
        args: [`\${__dirname}/${ENTRY_POINT}`],
        env: Object.fromEntries(Object.entries(USER_CONFIG).map(([key, option]) => [option.env, `\${user_config.${key}}`])),
      },
    },
    tools: await serverTools(),
    user_config: Object.fromEntries(Object.entries(USER_CONFIG).map(([key, { env: _env, ...option }]) => [key, option])),
    compatibility: { platforms: ["darwin", "win32", "linux"], runtimes: { node: ">=20.0.0" } },
  };
}

/** The tools as the server itself lists them with every toolset on, so the manifest cannot drift. */
async function serverTools(): Promise<Array<{ name: string; description?: string }>> {
  const config = loadConfig({ TOKEN_METRICS_LEDGER: join(tmpdir(), "token-metrics-bundle-unused.jsonl") });
  const server = createServer(createServices(config));
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "bundle", version: "1.0.0" });
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return (await client.listTools()).tools.map(({ name, description }) => ({ name, description }));
  } finally {
    await client.close();
    await server.close();
  }
}
