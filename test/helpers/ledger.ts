import { readFile } from "node:fs/promises";
import type { LedgerEntry } from "../../src/payer/entry.js";

/** Every line of a ledger file, parsed; an absent file has none. */
export async function readLedger(path: string): Promise<LedgerEntry[]> {
  return (await readFile(path, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEntry);
}
