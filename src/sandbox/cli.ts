import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { log } from "../log.js";
import { startSandbox } from "./index.js";

/**
 * `npm run -s sandbox [-- --json-file <path>]`: starts the local chain, facilitator and Token
 * Metrics look-alike, prints one JSON line with what a client needs (also written to the file,
 * for scripts that cannot read npm's stdout), and serves until stopped (Ctrl-C).
 */
let jsonFile: string | undefined;
try {
  jsonFile = parseArgs({ options: { "json-file": { type: "string" } }, strict: true, allowPositionals: false }).values["json-file"];
} catch (error) {
  log.error(`${(error as Error).message}. Usage: npm run -s sandbox [-- --json-file <path>]`);
  process.exit(2);
}

const sandbox = await startSandbox();
const line = `${JSON.stringify(sandbox.info)}\n`;
if (jsonFile) await writeFile(jsonFile, line, { mode: 0o600 });
process.stdout.write(line);
log.info(`sandbox running${jsonFile ? `, details also in ${jsonFile}` : ""}; payments go to its own ledger ${sandbox.info.ledgerPath}; Ctrl-C to stop`);

const stop = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
