import { isDatabaseUrl } from "./database-url.js";
import { FileLedger } from "./ledger.js";
import { PostgresLedger } from "./postgres-ledger.js";
import type { LedgerStore } from "./store.js";

/** The store TOKEN_METRICS_LEDGER names: a postgres:// or postgresql:// URL, or else a file path. */
export function openLedger(ledger: string): LedgerStore {
  return isDatabaseUrl(ledger) ? new PostgresLedger(ledger) : new FileLedger(ledger);
}
