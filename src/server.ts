import { createRequire } from "node:module";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { TokenMetricsClient } from "./api/client.js";
import { endpointsIn } from "./catalog/index.js";
import type { Config } from "./config.js";
import { Ledger } from "./payer/ledger.js";
import { createPayer } from "./payer/payer.js";
import { registerCatalogTools } from "./tools/register.js";
import { registerWalletStatusTool } from "./tools/wallet-status.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

export const SERVER_NAME = "token-metrics-x402-mcp";
export const SERVER_VERSION = version;

export interface ServerDeps {
  fetch?: typeof fetch;
  /** An invalid configuration, reported by every tool call so the handshake still works. */
  configProblem?: string;
}

const INSTRUCTIONS = `Token Metrics crypto intelligence: prices, AI grades, trading signals, market metrics, research and indices.
Tools take the API's own parameter names. Resolve a ticker to a TOKEN_ID with get_tokens first (tickers are ambiguous; BTC = 3375, ETH = 3306).
Without an API key each call is paid in USDC or TMAI through x402 within the user's limits (get_wallet_status shows them); ask for few rows and use 'fields' to keep answers small.`;

/** Builds the MCP server, transport-free: the CLI connects stdio, tests connect in memory. */
export function createServer(config: Config, deps: ServerDeps = {}): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: INSTRUCTIONS });
  const ledger = new Ledger(config.ledgerPath);
  // An API key wins when both are set: it is already paid for, so no wallet money is spent.
  const payer = config.privateKey && !config.apiKey ? createPayer(config, ledger, deps.fetch) : undefined;
  const client = new TokenMetricsClient(config, payer?.fetch, deps.fetch);
  registerCatalogTools(server, endpointsIn(config.toolsets), { client, apiBaseUrl: config.apiBaseUrl, configProblem: deps.configProblem });
  registerWalletStatusTool(server, { config, payer, ledger });
  return server;
}
