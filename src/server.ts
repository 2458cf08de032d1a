import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { endpointsIn } from "./catalog/index.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./package-info.js";
import { registerPrompts } from "./prompts.js";
import type { Services } from "./services.js";
import { registerCatalogTools } from "./tools/register.js";
import { forwardLogs } from "./tools/connection-log.js";
import { registerSpendingTools } from "./tools/spending.js";
import { registerToolsetsResource } from "./tools/toolsets-resource.js";
import { registerViewResources } from "./tools/views.js";

export const SERVER_NAME = PACKAGE_NAME;
export const SERVER_VERSION = PACKAGE_VERSION;

// The package's entry (package.json "main"): a program embedding the server builds both from here.
export { createServices, type Services } from "./services.js";

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
