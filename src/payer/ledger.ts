import { randomUUID } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";

/** What happened to one payment, one line each, in order. */
export type LedgerEventKind = "offered" | "refused" | "signed" | "settled" | "failed";

export interface LedgerEntry {
  ts: string;
  event: LedgerEventKind;
  /** The server process that wrote it: "spent this session" is this process's settled sum. */
  session: string;
  /** One tool call; all its events share it. */
  call: string;
  endpoint: string;
  network: string;
  asset?: string;
  assetAddress?: string;
  /** Base units, as a decimal string (bigint-safe). */
  amount?: string;
  /** Human form, e.g. "0.017 USDC". */
  display?: string;
  payTo?: string;
  nonce?: string;
  validBefore?: string;
  transaction?: string;
  reason?: string;
}

export type NewLedgerEntry = Omit<LedgerEntry, "ts" | "session">;

/**
 * Append-only JSONL of payment events. Each line is flushed to disk (datasync) before append()
 * resolves, so a tool result never gets ahead of its ledger line, and a crash leaves at most
 * one torn last line, which readers skip. Never holds secrets: entries carry addresses only.
 */
export class Ledger {
  readonly session = randomUUID();
  private ready?: Promise<unknown>;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  append(entry: NewLedgerEntry): Promise<void> {
    const line = `${JSON.stringify({ ts: new Date().toISOString(), session: this.session, ...entry })}\n`;
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    // One write at a time per process keeps lines whole; O_APPEND keeps other processes' lines whole.
    const write = this.queue.then(async () => {
      await this.ready;
      const file = await open(this.path, "a", 0o600);
      try {
        await file.write(line);
        await file.datasync();
      } finally {
        await file.close();
      }
    });
    this.queue = write.catch(() => undefined);
    return write;
  }

  async readAll(): Promise<LedgerEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return text.split("\n").flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as LedgerEntry] : [];
      } catch {
        return []; // a line torn by a crash
      }
    });
  }
}

/** Settled amounts per asset symbol (base units), optionally only since a time or for a session. */
export function settledTotals(entries: readonly LedgerEntry[], filter: { since?: Date; session?: string } = {}): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const entry of entries) {
    if (entry.event !== "settled" || !entry.asset || !entry.amount) continue;
    if (filter.session && entry.session !== filter.session) continue;
    if (filter.since && new Date(entry.ts) < filter.since) continue;
    totals.set(entry.asset, (totals.get(entry.asset) ?? 0n) + BigInt(entry.amount));
  }
  return totals;
}

export const startOfUtcDay = (now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
