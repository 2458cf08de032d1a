import { randomUUID } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { PaymentBook } from "./book.js";

/**
 * What happened to one payment, one line each, in order. "released" is written by
 * reconciliation when the chain proves a signed authorization can no longer settle.
 */
export type LedgerEventKind = "offered" | "refused" | "signed" | "settled" | "failed" | "released";

export interface LedgerEntry {
  ts: string;
  event: LedgerEventKind;
  /** The server process that wrote it: "this session" means this process. */
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
  /** Seconds since the epoch, as a decimal string. */
  validBefore?: string;
  transaction?: string;
  reason?: string;
}

export type NewLedgerEntry = Omit<LedgerEntry, "ts" | "session">;

/** How long another process may hold the ledger lock before it is considered dead (ms). */
const LOCK_STALE_MS = 10_000;

/**
 * Append-only JSONL of payment events, shared by every server process that uses the same file
 * (Claude Desktop and Claude Code at once). Each line goes out in one write with O_APPEND, so
 * lines never interleave and a kill -9 cannot tear one. `exclusive` takes a lock file
 * (proper-lockfile) so that "read the state, check the budget, reserve" is atomic across
 * processes. Never holds secrets: entries carry addresses and amounts only.
 */
export class Ledger {
  readonly session = randomUUID();
  /** Every payment in the file, as of the last sync. */
  readonly book = new PaymentBook();
  private offset = 0;
  private ready?: Promise<unknown>;
  private repaired = false;
  private mutex: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async append(entry: NewLedgerEntry): Promise<void> {
    const line = `${JSON.stringify({ ts: new Date().toISOString(), session: this.session, ...entry })}\n`;
    await this.ensureDirectory();
    const file = await open(this.path, "a", 0o600);
    try {
      await file.write(line);
      await file.datasync();
    } finally {
      await file.close();
    }
  }

  /** Reads lines appended since the last sync (by any process) into the book. */
  async sync(): Promise<PaymentBook> {
    let file;
    try {
      file = await open(this.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.book;
      throw error;
    }
    try {
      const { size } = await file.stat();
      if (size <= this.offset) return this.book;
      const buffer = Buffer.alloc(size - this.offset);
      await file.read(buffer, 0, buffer.length, this.offset);
      // Stop at the last complete line; a line being written now is read next time.
      const end = buffer.lastIndexOf(0x0a) + 1;
      this.offset += end;
      for (const line of buffer.subarray(0, end).toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          this.book.apply(JSON.parse(line));
        } catch {
          // Not ours to judge here: repair() removes a torn tail, readers skip anything else.
        }
      }
      return this.book;
    } finally {
      await file.close();
    }
  }

  /** Runs `work` while holding the ledger lock: one holder per machine, then per process. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(async () => {
      await this.ensureDirectory();
      const release = await lockfile.lock(this.path, {
        realpath: false,
        stale: LOCK_STALE_MS,
        retries: { retries: 1_000, minTimeout: 2, maxTimeout: 25, factor: 1.2 },
      });
      try {
        if (!this.repaired) await this.repairTornTail();
        return await work();
      } finally {
        await release();
      }
    });
    this.mutex = run.catch(() => undefined);
    return run;
  }

  /** All entries, for display. */
  async entries(): Promise<LedgerEntry[]> {
    const text = await readFile(this.path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    return text.split("\n").flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as LedgerEntry] : [];
      } catch {
        return [];
      }
    });
  }

  private ensureDirectory() {
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    return this.ready;
  }

  /** After a power loss the last line may be partial: cut it so the file stays valid JSONL. */
  private async repairTornTail(): Promise<void> {
    this.repaired = true;
    const file = await open(this.path, "r+").catch(() => undefined);
    if (!file) return;
    try {
      const { size } = await file.stat();
      if (size === 0) return;
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      await file.read(tail, 0, tail.length, size - tail.length);
      if (tail[tail.length - 1] === 0x0a) return;
      const lastNewline = tail.lastIndexOf(0x0a);
      // A torn line longer than the tail we read is not ours (lines are small): leave it.
      if (lastNewline >= 0 || size <= tail.length) await file.truncate(size - tail.length + lastNewline + 1);
    } finally {
      await file.close();
    }
  }
}
