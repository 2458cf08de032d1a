import { randomUUID } from "node:crypto";
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
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
/** How long to wait for the lock before giving up (ms); holders keep it for about a millisecond. */
const LOCK_WAIT_MS = 10_000;

/**
 * Append-only JSONL of payment events, shared by every server process that uses the same file
 * (Claude Desktop and Claude Code at once). Each line goes out in one write with O_APPEND, so
 * lines never interleave and a kill -9 cannot tear one; lines are in the OS's hands before
 * append() returns, and the "signed" line (a payment that may settle) is also flushed to disk.
 * `exclusive` takes a lock file (proper-lockfile) so that "read the state, check the budget,
 * reserve" is atomic across processes. Never holds secrets: entries carry addresses and amounts.
 *
 * File access is synchronous on purpose: each step takes microseconds, while a trip through
 * libuv's thread pool costs far more on the paid-call path (measured by `npm run bench`).
 */
export class Ledger {
  readonly session = randomUUID();
  /** Every payment in the file, as of the last sync. */
  readonly book = new PaymentBook();
  private offset = 0;
  private appendFd?: number;
  private repaired = false;
  private mutex: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  append(entry: NewLedgerEntry): void {
    const line = `${JSON.stringify({ ts: new Date().toISOString(), session: this.session, ...entry })}\n`;
    if (this.appendFd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.appendFd = openSync(this.path, "a", 0o600);
    }
    writeSync(this.appendFd, line);
    if (entry.event === "signed") fdatasyncSync(this.appendFd);
  }

  /** Reads lines appended since the last sync (by any process) into the book. */
  sync(): PaymentBook {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.book;
      throw error;
    }
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const chunk = Buffer.allocUnsafe(64 * 1024);
        const read = readSync(fd, chunk, 0, chunk.length, this.offset + chunks.reduce((sum, c) => sum + c.length, 0));
        if (read === 0) break;
        chunks.push(chunk.subarray(0, read));
      }
      const buffer = Buffer.concat(chunks);
      // Stop at the last complete line; a line being written now is read next time.
      const end = buffer.lastIndexOf(0x0a) + 1;
      this.offset += end;
      for (const line of buffer.subarray(0, end).toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          this.book.apply(JSON.parse(line));
        } catch {
          // Not ours to judge here: repair removes a torn tail, readers skip anything else.
        }
      }
      return this.book;
    } finally {
      closeSync(fd);
    }
  }

  /** Runs `work` while holding the ledger lock: one holder per machine, then per process. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(async () => {
      const release = await this.lock();
      try {
        if (!this.repaired) this.repairTornTail();
        return await work();
      } finally {
        release();
      }
    });
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private async lock(): Promise<() => void> {
    mkdirSync(dirname(this.path), { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        return lockfile.lockSync(this.path, { realpath: false, stale: LOCK_STALE_MS });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || Date.now() > deadline) throw error;
        await sleep(wait);
      }
    }
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

  /** After a power loss the last line may be partial: cut it so the file stays valid JSONL. */
  private repairTornTail(): void {
    this.repaired = true;
    let fd: number;
    try {
      fd = openSync(this.path, "r+");
    } catch {
      return;
    }
    try {
      const { size } = fstatSync(fd);
      if (size === 0) return;
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      if (tail[tail.length - 1] === 0x0a) return;
      const lastNewline = tail.lastIndexOf(0x0a);
      // A torn line longer than the tail we read is not ours (lines are small): leave it.
      if (lastNewline >= 0 || size <= tail.length) ftruncateSync(fd, size - tail.length + lastNewline + 1);
    } finally {
      closeSync(fd);
    }
  }
}
