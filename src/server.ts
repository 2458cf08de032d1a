import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { TokenMetricsClient } from "./api/client.js";
import { endpointsIn } from "./catalog/index.js";
import type { Config } from "./config.js";
import { openLedger } from "./payer/open-ledger.js";
import type { LedgerStore } from "./payer/store.js";
import { LowBalanceMonitor } from "./low-balance.js";
import { createPayer, type Payer } from "./payer/index.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./package-info.js";
import { registerPrompts } from "./prompts.js";
import { WalletReader } from "./payer/wallet.js";
import { registerCatalogTools } from "./tools/register.js";
import { forwardLogs } from "./tools/session-log.js";
import { readBalances, registerSpendingTools } from "./tools/spending.js";
import { registerToolsetsResource } from "./tools/toolsets-resource.js";
import { registerViewResources } from "./tools/views.js";

export const SERVER_NAME = PACKAGE_NAME;
export const SERVER_VERSION = PACKAGE_VERSION;

/**
 * What outlives one MCP session: the ledger, the payer (and so the budgets) and the API client.
 * Over HTTP every session's server shares one of these, so limits hold across sessions.
 */
export interface Services {
  config: Config;
  client: TokenMetricsClient;
  ledger: LedgerStore;
  wallet: WalletReader;
  payer?: Payer;
  /** Set with a wallet and TOKEN_METRICS_LOW_BALANCE. */
  lowBalance?: LowBalanceMonitor;
  /** An invalid configuration, reported by every tool call so the handshake still works. */
  configProblem?: string;
}

export function createServices(config: Config, options: { fetch?: typeof fetch; configProblem?: string } = {}): Services {
  const ledger = openLedger(config.ledgerPath);
  const wallet = new WalletReader(config.rpcUrl.reveal());
  // An API key wins when both are set: it is already paid for, so no wallet money is spent.
  const payer = config.privateKey && !config.apiKey ? createPayer(config, ledger, wallet, options.fetch) : undefined;
  const client = new TokenMetricsClient(config, payer?.fetch, options.fetch);
  const lowBalance = payer && Object.keys(config.lowBalance).length > 0 ? new LowBalanceMonitor(config.lowBalance, () => readBalances(payer, wallet)) : undefined;
  if (lowBalance) ledger.observe(lowBalance.observe);
  return { config, client, ledger, wallet, payer, lowBalance, configProblem: options.configProblem };
}

const INSTRUCTIONS = `Token Metrics crypto intelligence: prices, AI grades, trading signals, market metrics, research and indices.
Tools take the API's own parameter names. Resolve a ticker to a TOKEN_ID with get_tokens first (tickers are ambiguous; BTC = 3375, ETH = 3306).
Without an API key each call is paid in USDC or TMAI through x402 within the user's limits (get_wallet_status shows them); ask for few rows and use 'fields' to keep answers small.`;

/** Builds the MCP server, transport-free: the CLI connects stdio or HTTP, tests connect in memory. */
export function createServer(services: Services): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION }, { instructions: INSTRUCTIONS, capabilities: { logging: {} } });
  const logs = forwardLogs(server, SERVER_NAME);
  registerCatalogTools(server, endpointsIn(services.config.toolsets), services, logs);
  registerSpendingTools(server, services);
  registerPrompts(server);
  registerToolsetsResource(server, services.config.toolsets);
  registerViewResources(server);
  return server;
}
