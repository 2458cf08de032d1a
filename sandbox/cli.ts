import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { log } from "../src/log.js";
import { DEFAULT_X402_MODE, startSandbox, type X402Mode } from "./index.js";

/**
 * `npm run -s sandbox [-- --x402 v1|v2] [-- --json-file <path>]`: starts the local chain,
 * facilitator and Token Metrics look-alike, prints one JSON line with what a client needs (also
 * written to the file, for scripts that cannot read npm's stdout), and serves until stopped (Ctrl-C).
 */
let values: { x402?: string; "json-file"?: string };
try {
  ({ values } = parseArgs({
    options: { x402: { type: "string", default: DEFAULT_X402_MODE }, "json-file": { type: "string" } },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  log.error(`${(error as Error).message}. Usage: npm run -s sandbox [-- --x402 v1|v2] [--json-file <path>]`);
  process.exit(2);
}
if (values.x402 !== "v1" && values.x402 !== "v2") {
  log.error(`--x402 must be v1 or v2, not "${values.x402}"`);
  process.exit(2);
}
const x402: X402Mode = values.x402;
const jsonFile = values["json-file"];

const sandbox = await startSandbox({ x402 });
const line = `${JSON.stringify(sandbox.info)}\n`;
if (jsonFile) await writeFile(jsonFile, line, { mode: 0o600 });
process.stdout.write(line);
log.info(
  `sandbox running (x402 ${x402})${jsonFile ? `, details also in ${jsonFile}` : ""}; payments go to its own ledger ${sandbox.info.ledgerPath}; Ctrl-C to stop`,
);

const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
