import { log } from "../log.js";
import { startSandbox } from "./index.js";

/**
 * `npm run sandbox`: starts the local chain, facilitator and Token Metrics look-alike, prints one
 * JSON line with what a client needs, and serves until stopped (Ctrl-C).
 */
const sandbox = await startSandbox();
process.stdout.write(`${JSON.stringify(sandbox.info)}\n`);
log.info("sandbox running; Ctrl-C to stop");

const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
