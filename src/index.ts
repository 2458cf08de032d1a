#!/usr/bin/env node
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { log } from "./log.js";
import { createServer, createServices } from "./server.js";

/** CLI entry: configuration → server → stdio. stdout is the protocol's alone. */
async function main() {
  let config: Config;
  let configProblem: string | undefined;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Keep the handshake working so the client shows the problem on the first call.
    configProblem = `${error.message}. Fix it in the MCP server's env (or flags) and restart the server.`;
    log.error(configProblem);
    config = loadConfig({});
  }
  const server = createServer(createServices(config, { configProblem }));
  await server.connect(new StdioServerTransport());
  log.info(`ready (${config.apiKey ? "API-key mode" : config.privateKey ? `x402 mode on ${config.network}` : "no credentials yet"})`);
}

main().catch((error: unknown) => {
  log.error(`fatal: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
