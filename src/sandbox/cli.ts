import { parseArgs } from "node:util";
import { log } from "../log.js";
import { DEFAULT_X402_MODE, startSandbox, type X402Mode } from "./index.js";

/**
 * `npm run sandbox [-- --x402 v1|v2]`: starts the local chain, facilitator and Token Metrics
 * look-alike, prints one JSON line with what a client needs, and serves until stopped (Ctrl-C).
 */
const { values } = parseArgs({ options: { x402: { type: "string", default: DEFAULT_X402_MODE } } });
if (values.x402 !== "v1" && values.x402 !== "v2") {
  log.error(`--x402 must be v1 or v2, not "${values.x402}"`);
  process.exit(2);
}
const x402: X402Mode = values.x402;

const sandbox = await startSandbox({ x402 });
process.stdout.write(`${JSON.stringify(sandbox.info)}\n`);
log.info(`sandbox running (x402 ${x402}); Ctrl-C to stop`);

const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
