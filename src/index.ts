#!/usr/bin/env node
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ConfigError, fallbackConfig, loadConfig, type Config } from "./config.js";
import { log } from "./log.js";
import { createServer, createServices } from "./server.js";

/** CLI entry: configuration → services → stdio (default) or Streamable HTTP (`--http`). */
async function main() {
  const argv = process.argv.slice(2);
  const [command, ...rest] = argv;
  if (command === "pause" || command === "resume") {
    const { runPauseCommand } = await import("./commands/pause.js");
    process.exit(runPauseCommand(command, rest, process.env));
  }
  if (command === "approve-permit2") {
    const { runApprovePermit2 } = await import("./commands/approve-permit2.js");
    process.exit(await runApprovePermit2(rest, process.env));
  }
  let config: Config;
  let configProblem: string | undefined;
  try {
    config = loadConfig(process.env, argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Keep the handshake working so the client shows the problem on the first call.
    configProblem = `${error.message}. Fix it in the MCP server's env (or flags) and restart the server.`;
    log.error(configProblem);
    config = fallbackConfig(process.env, argv);
  }
  const services = createServices(config, { configProblem });
  const mode = config.apiKey ? "API-key mode" : config.privateKey ? `x402 mode on ${config.network}` : "no credentials yet";

  if (config.http) {
    // Loaded only here: express and the HTTP transport would slow every stdio start.
    const { startHttpServer } = await import("./http.js");
    const http = await startHttpServer(services, config.http);
    const { tokens, oauth } = config.http.auth;
    const access = [tokens.length > 0 ? `tokens for ${tokens.map((client) => client.name).join(", ")}` : "", oauth ? `OAuth from ${oauth.issuer}` : ""].filter(Boolean).join(" and ");
    log.info(`listening on ${http.url} (${mode}; ${access || "no authentication"})`);
    const stop = () => {
      http.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return;
  }
  // stdio: stdout is the protocol's alone.
  await createServer(services).connect(new StdioServerTransport());
  log.info(`ready (${mode})`);
}

main().catch((error: unknown) => {
  log.error(`fatal: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
