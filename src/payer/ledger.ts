import { randomUUID } from "node:crypto";
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, resolve } from "node:path";
import lockfile from "proper-lockfile";
import { log } from "../log.js";
import { PaymentBook, type Owner } from "./book.js";

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
  /** The paying wallet's address. */
  payer?: string;
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
  /** Absolute, so every process locks the same lock file. */
  readonly path: string;
  private paymentBook = new PaymentBook();
  private owner?: Owner;
  private offset = 0;
  private appendFd?: number;
  private repaired = false;
  private mutex: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** Every payment of this wallet in the file, as of the last sync. */
  get book(): PaymentBook {
    return this.paymentBook;
  }

  /**
   * Counts only this wallet's payments on this network: other wallets or networks may share the
   * file (the default path is the same for all), and their money is not this budget's.
   */
  ownedBy(owner: Owner): void {
    this.owner = owner;
    this.restart();
  }

  append(entry: NewLedgerEntry): void {
    const line = Buffer.from(`${JSON.stringify({ ts: new Date().toISOString(), session: this.session, ...entry })}\n`);
    const fd = this.openForAppend();
    const written = writeSync(fd, line);
    // A short write (disk full) would leave a payment no budget counts: stop the call instead.
    if (written !== line.length) throw new Error(`the payment ledger ${this.path} could not be written (${written} of ${line.length} bytes; disk full?)`);
    if (entry.event === "signed") fdatasyncSync(fd);
  }

  /** Reads lines appended since the last sync (by any process) into the book. */
  sync(): PaymentBook {
    const onDisk = statSync(this.path, { throwIfNoEntry: false });
    const mine = this.appendFd === undefined ? undefined : fstatSync(this.appendFd);
    const gone = !onDisk && (this.offset > 0 || mine !== undefined);
    const swapped = onDisk && mine && (mine.ino !== onDisk.ino || mine.dev !== onDisk.dev);
    const shrunk = onDisk && onDisk.size < this.offset;
    if (gone || swapped || shrunk) this.replaced();
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
    this.openForAppend(); // the file must exist for its real path to be locked
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        // The real path: processes naming the file through a symlink still share one lock.
        return lockfile.lockSync(this.path, { realpath: true, stale: LOCK_STALE_MS });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || Date.now() > deadline) throw error;
        await sleep(wait);
      }
    }
  }

  private openForAppend(): number {
    if (this.appendFd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.appendFd = openSync(this.path, "a", 0o600);
    }
    return this.appendFd;
  }

  private restart(): void {
    this.offset = 0;
    this.paymentBook = new PaymentBook(this.owner);
  }

  /** Someone deleted, replaced or truncated the file: start over from what it holds now. */
  private replaced(): void {
    if (this.appendFd !== undefined) closeSync(this.appendFd);
    this.appendFd = undefined;
    log.warn(`the payment ledger ${this.path} was deleted, replaced or truncated; spending is counted again from what it holds now`);
    this.restart();
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
