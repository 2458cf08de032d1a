#!/usr/bin/env node
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CommandLineError, ConfigError, configWarnings, fallbackConfig, loadConfig, parseFlags, type Config } from "./config.js";
import { helpText } from "./help.js";
import { log } from "./log.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./package-info.js";
import { errorText } from "./errors.js";
import { createServer } from "./server.js";
import { createServices } from "./services.js";

/** CLI entry: configuration → services → stdio (default) or Streamable HTTP (`--http`). */
async function main() {
  const argv = process.argv.slice(2);
  const [command, ...rest] = argv;
  if (command === "pause" || command === "resume") {
    const { runPauseCommand } = await import("./commands/pause.js");
    process.exit(await runPauseCommand(command, rest, process.env));
  }
  if (command === "ledger") {
    const { runLedgerCommand } = await import("./commands/ledger.js");
    process.exit(await runLedgerCommand(rest, process.env));
  }
  if (command === "doctor") {
    const { runDoctor } = await import("./commands/doctor.js");
    process.exit(await runDoctor(rest, process.env));
  }
  if (command === "approve-permit2") {
    const { runApprovePermit2 } = await import("./commands/approve-permit2.js");
    process.exit(await runApprovePermit2(rest, process.env));
  }
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    // A mistyped flag must not start a server with settings the user did not mean.
    log.error(`${error.message}. Run ${PACKAGE_NAME} --help for every flag and setting.`);
    process.exit(2);
  }
  // Not the protocol: a human asked, so stdout is theirs.
  if (flags.help) return void process.stdout.write(helpText());
  if (flags.version) return void process.stdout.write(`${PACKAGE_VERSION}\n`);

  let config: Config;
  let configProblem: string | undefined;
  try {
    config = loadConfig(process.env, argv);
    for (const warning of configWarnings(config)) log.warn(warning);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Keep the handshake working so the client shows the problem on the first call.
    configProblem = `${error.message}. Fix it in the MCP server's env (or flags) and restart the server.`;
    log.error(configProblem);
    config = fallbackConfig(process.env, argv);
  }
  const services = createServices(config, { configProblem });
  const mode = configProblem
    ? "invalid configuration: every tool call reports it"
    : { "api-key": "API-key mode", x402: `x402 mode on ${config.network}`, unconfigured: "no credentials yet: free tools only" }[services.mode];

  if (config.http) {
    // Loaded only here: express and the HTTP transport would slow every stdio start.
    const { startHttpServer } = await import("./http.js");
    const http = await startHttpServer(services, config.http);
    const { tokens, oauth } = config.http.auth;
    const access = [tokens.length > 0 ? `tokens for ${tokens.map((client) => client.name).join(", ")}` : "", oauth ? `OAuth from ${oauth.issuer}` : ""]
      .filter(Boolean)
      .join(" and ");
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
  // Said once the messages already waiting on stdin are answered: opening stderr costs a cold start a few ms.
  setImmediate(() => log.info(`ready (${mode})`));
}

main().catch((error: unknown) => {
  log.error(`fatal: ${errorText(error)}`);
  process.exit(1);
});
