import { existsSync } from "node:fs";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { DEFAULT_LEDGER_PATH } from "../config.js";
import type { LedgerEntry } from "../payer/entry.js";
import { isDatabaseUrl } from "../payer/database-url.js";
import { FileLedger } from "../payer/ledger.js";
import { openLedger } from "../payer/open-ledger.js";
import { PostgresLedger } from "../payer/postgres-ledger.js";
import type { LedgerStore } from "../payer/store.js";

const USAGE = "Usage: token-metrics-x402-mcp ledger export [--ledger PATH|URL] | ledger import --from FILE [--ledger postgres://…]";

/**
 * `token-metrics-x402-mcp ledger export [--ledger PATH|URL]`: every event of a file or database
 * ledger as JSONL on stdout. `ledger import --from FILE [--ledger postgres://…]`: a file's events
 * into a database, keeping their times and writers; events already there are skipped, so it can
 * be run again. Returns the exit code.
 */
export async function runLedgerCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let action: string | undefined;
  let values: { ledger?: string; from?: string };
  try {
    const parsed = parseArgs({ args: [...argv], options: { ledger: { type: "string" }, from: { type: "string" } }, strict: true, allowPositionals: true });
    values = parsed.values;
    action = parsed.positionals[0];
    if (parsed.positionals.length !== 1 || (action !== "export" && action !== "import")) throw new Error("say export or import");
    if (action === "import" && !values.from) throw new Error("import needs --from FILE");
    if (action === "export" && values.from) throw new Error("export takes no --from");
  } catch (error) {
    process.stderr.write(`ledger: ${(error as Error).message}. ${USAGE}\n`);
    return 2;
  }
  const target = values.ledger ?? (env.TOKEN_METRICS_LEDGER?.trim() || DEFAULT_LEDGER_PATH);
  try {
    if (action === "export") return await exportLedger(target);
    return await importLedger(values.from!, target);
  } catch (error) {
    process.stderr.write(`ledger ${action}: ${(error as Error).message}\n`);
    return 1;
  }
}

async function exportLedger(location: string): Promise<number> {
  // Exporting must not create an empty ledger where there was none.
  if (!isDatabaseUrl(location) && !existsSync(location)) throw new Error(`there is no ledger file at ${location}`);
  const ledger = openLedger(location);
  try {
    for await (const entry of ledger.events()) {
      if (!process.stdout.write(`${JSON.stringify(entry)}\n`)) await once(process.stdout, "drain");
    }
    if (ledger.unreadableLines > 0) process.stderr.write(`${ledger.unreadableLines} unreadable line(s) of ${ledger.location} were left out (see above)\n`);
  } finally {
    await ledger.close();
  }
  return 0;
}

async function importLedger(from: string, location: string): Promise<number> {
  if (!isDatabaseUrl(location)) throw new Error(`the ledger to import into must be a postgres:// URL (--ledger or TOKEN_METRICS_LEDGER), not ${location}`);
  if (!existsSync(from)) throw new Error(`there is no ledger file at ${from}`);
  const source = new FileLedger(from);
  const target = new PostgresLedger(location);
  try {
    const { added, skipped } = await target.import(await collect(source));
    process.stdout.write(`Imported ${added} event(s) from ${source.location} into ${target.location}; ${skipped} were already there.\n`);
    if (source.unreadableLines > 0) process.stderr.write(`${source.unreadableLines} unreadable line(s) of ${source.location} were not imported (see above)\n`);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
  return 0;
}

async function collect(ledger: LedgerStore): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const entry of ledger.events()) entries.push(entry);
  return entries;
}
