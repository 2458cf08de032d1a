import { randomUUID } from "node:crypto";
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { log } from "../log.js";
import { PaymentBook, paymentFields, type Owner, type PaymentRecord } from "./book.js";
import type { LedgerEntry, NewLedgerEntry } from "./entry.js";
import { pause, pausedReason, readPause, resume, type PauseState } from "./pause.js";
import { LedgerObservers, type LedgerObserver, type LedgerStore } from "./store.js";

const NEWLINE = 0x0a;
/** How much of the file's start is remembered to notice it being rewritten in place. */
const HEAD_BYTES = 256;

/**
 * Append-only JSONL of payment events, shared by every server process that uses the same file
 * (Claude Desktop and Claude Code at once). Each line goes out in one write with O_APPEND, so
 * lines never interleave; each write starts on a line boundary (a torn tail left by a crash
 * becomes a line of its own, reported as unreadable, and never swallows the next one); the
 * "signed" line (a payment that may settle) is flushed to disk before its signature leaves.
 * Never holds secrets: entries carry addresses and amounts.
 *
 * Reservations need no lock. The file's own order, which O_APPEND makes one order for every
 * process, decides: a reservation writes its "signed" line, then judges it against exactly the
 * lines before it (whoever wrote them), and withdraws it with a "released" line when they leave no
 * room. Two processes racing for the last room both see the earlier line, so the later one
 * withdraws; a line that is itself withdrawn later only ever makes a judgement stricter. (A lock
 * file cost two directory writes per payment, each waiting on the file system's journal.)
 *
 * What counts as spent never goes down because of the file: if it is deleted, replaced or
 * truncated while we run, the payments we know are written into whatever is there now.
 *
 * File access is synchronous on purpose: each step takes microseconds, while a trip through
 * libuv's thread pool costs far more on the paid-call path (measured by `npm run bench`). So is the
 * flush of a reservation made while no other payment of this process is in the air (the usual
 * case: one call at a time); under concurrency it runs in the thread pool and is shared (group
 * commit): every process already sees the line (the page cache is shared), and calls reserving at
 * the same time wait for one fdatasync together, not one each. For the same reason each operation
 * asks the file system as little as it can: one stat of the path per operation, and no read of the
 * file when nothing was written since we last read or wrote it.
 */
export class FileLedger implements LedgerStore {
  readonly session = randomUUID();
  /** The file's absolute path. */
  readonly location: string;
  private paymentBook = new PaymentBook();
  private owner?: Owner;
  /** Bytes of the file already folded into the book. */
  private offset = 0;
  /** Read and append handle of the file as we last knew it, and which file that is. */
  private fd?: number;
  private identity = { ino: 0, dev: 0 };
  /** The file's first bytes as we read them: rewritten in place (same inode), they differ. */
  private head: Buffer = Buffer.alloc(0);
  /** Size and modification time after our last write that nobody else's came between: unchanged, the file needs no look at its head. */
  private untouched = { size: -1, mtimeMs: 0 };
  private unreadable = 0;
  /** Lines without money (see `note`), written with this process's next line. */
  private noted: LedgerEntry[] = [];
  /** The fdatasync running now, and the one queued behind it for lines written meanwhile. */
  private flushing?: Promise<void>;
  private queuedFlush?: Promise<void>;
  /** Nonces this process reserved and has not yet written an outcome for: payments in the air. */
  private readonly inTheAir = new Set<string>();
  private readonly observers = new LedgerObservers();

  constructor(path: string) {
    this.location = resolve(path);
  }

  /** Every payment of this wallet in the file, as of the last sync. */
  get book(): PaymentBook {
    return this.paymentBook;
  }

  /** Lines that are not valid JSON (a crash mid-write, a hand edit): reported, never silently dropped. */
  get unreadableLines(): number {
    return this.unreadable;
  }

  /**
   * Counts only this wallet's payments on this network: other wallets or networks may share the
   * file (the default path is the same for all), and their money is not this budget's.
   */
  ownedBy(owner: Owner): void {
    this.owner = owner;
    this.offset = 0;
    this.head = Buffer.alloc(0);
    this.unreadable = 0;
    this.paymentBook = new PaymentBook(owner);
  }

  async append(entry: NewLedgerEntry): Promise<void> {
    const line = this.stamp(entry);
    this.write(this.current(), [line]);
    this.observers.notify(line);
  }

  /** Kept until this process's next write, which carries it: a line of its own would cost a write. */
  async note(entry: NewLedgerEntry): Promise<void> {
    const line = this.stamp(entry);
    this.noted.push(line);
    this.observers.notify(line);
  }

  observe(observer: LedgerObserver): () => void {
    return this.observers.add(observer);
  }

  async refresh(): Promise<PaymentBook> {
    return this.readNewLines();
  }

  /** Synchronous up to the flush, so no other call of this process comes between its steps. */
  async reserve(entry: NewLedgerEntry & { event: "signed" }, check: (book: PaymentBook) => string | undefined): Promise<string | undefined> {
    const line = this.stamp(entry);
    const pause = readPause(this.location);
    const file = this.current();
    // A call that cannot fit now writes nothing.
    const refused = pause.paused ? pausedReason(pause) : check(this.readNewLines(file));
    if (refused !== undefined) return refused;
    // Take a place in the file's order, then judge the line against everything before it (when
    // another process wrote between our reading and our write, those lines are read first).
    const alone = this.write(file, [line], { count: false });
    const inOrder = alone || this.readUntil(line);
    const late = alone ? undefined : check(this.paymentBook);
    this.paymentBook.apply(line); // ours counts from here (reading it back later changes nothing)
    if (!inOrder) this.write(this.current(), [line]); // the file was replaced between our write and its reading
    if (late !== undefined) {
      // A reservation of another process came first and took the room: ours never leaves.
      this.write(this.current(), [{ ...line, ts: new Date().toISOString(), event: "released", reason: `not reserved: ${late}`, proof: "never sent" }]);
      return late;
    }
    // Nothing else to share a flush with: no flush running, no other payment of ours in the air.
    const solo = !this.flushing && this.inTheAir.size === 0;
    this.inTheAir.add(line.nonce!);
    await this.flush(solo);
    this.observers.notify(line);
    return undefined;
  }

  async pauseState(): Promise<PauseState> {
    return readPause(this.location);
  }

  async pause(reason: string): Promise<Extract<PauseState, { paused: true }>> {
    return pause(this.location, reason);
  }

  async resume(): Promise<void> {
    resume(this.location);
  }

  async *events(): AsyncIterable<LedgerEntry> {
    this.writeNoted();
    const { fd, size } = this.current();
    const text = readRange(fd, 0, size);
    yield* this.parse(text.subarray(0, text.lastIndexOf(NEWLINE) + 1), 0);
  }

  async close(): Promise<void> {
    this.writeNoted();
    await this.flushing?.catch(() => undefined);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private stamp(entry: NewLedgerEntry): LedgerEntry {
    return { ts: new Date().toISOString(), session: this.session, ...entry };
  }

  /** Folds the lines appended since the last read (by any process) into the book. */
  private readNewLines({ fd, size } = this.current()): PaymentBook {
    if (size === this.offset) return this.paymentBook;
    const text = readRange(fd, this.offset, size);
    // Stop at the last complete line; a line being written now is read next time.
    this.foldNew(fd, text.subarray(0, text.lastIndexOf(NEWLINE) + 1));
    return this.paymentBook;
  }

  /**
   * Folds the lines written before `line` (by any process) into the book and stops there, so the
   * book is what that line must be judged against. False when the line is not in the file (it was
   * replaced meanwhile): then every line there is folded.
   */
  private readUntil(line: LedgerEntry): boolean {
    const { fd, size } = this.current();
    const text = readRange(fd, this.offset, size);
    // Our line starts on a line boundary (see write), so what comes before it is whole lines.
    const at = text.indexOf(`${JSON.stringify(line)}\n`);
    if (at < 0) return (this.readNewLines(), false);
    this.foldNew(fd, text.subarray(0, at));
    return true;
  }

  private foldNew(fd: number, lines: Buffer): void {
    this.fold(this.paymentBook, lines, this.offset);
    this.advance(fd, this.offset + lines.length);
  }

  /** Everything before `offset` is in the book. */
  private advance(fd: number, offset: number): void {
    this.offset = offset;
    if (this.head.length < HEAD_BYTES) this.head = readRange(fd, 0, Math.min(offset, HEAD_BYTES));
  }

  /**
   * Writes the noted lines and `entries` in one write, starting on a line boundary, to the file
   * `current()` returned. Our own lines count in the book at once unless `count` is false (a
   * reservation is judged first); folding is idempotent, so reading them back changes nothing.
   * True when no other process wrote since we last read the file: then the book is the file's
   * up to and including these lines, and the next read starts after them. Flushed to disk when `durable`.
   */
  private write({ fd, size: before }: OpenFile, entries: readonly LedgerEntry[], { count = true, durable = false } = {}): boolean {
    const noted = this.noted;
    this.noted = [];
    const lines = [...noted, ...entries];
    // Up to where we read, the file ends on a line boundary; beyond it, another process may have left a torn line.
    const torn = before > this.offset && readRange(fd, before - 1, before)[0] !== NEWLINE;
    const bytes = Buffer.from(`${torn ? "\n" : ""}${lines.map((entry) => `${JSON.stringify(entry)}\n`).join("")}`);
    const written = writeSync(fd, bytes);
    const { size: after, mtimeMs } = fstatSync(fd);
    if (written !== bytes.length) {
      // Disk full: take our partial line back when nobody wrote after it, so no line is joined to it.
      if (after === before + written) ftruncateSync(fd, before);
      throw new Error(`the payment ledger ${this.location} could not be written (${written} of ${bytes.length} bytes; disk full?)`);
    }
    if (durable) fdatasyncSync(fd);
    for (const entry of noted) this.paymentBook.apply(entry);
    for (const entry of entries) {
      if (count) this.paymentBook.apply(entry);
      if (entry.event !== "signed" && entry.nonce !== undefined) this.inTheAir.delete(entry.nonce);
    }
    const alone = before === this.offset && after === before + written;
    if (alone) {
      this.advance(fd, after);
      this.untouched = { size: after, mtimeMs };
    }
    return alone;
  }

  /** Lines noted and not yet carried by a write of ours (at close, or before the file is read whole). */
  private writeNoted(): void {
    if (this.noted.length > 0) this.write(this.current(), []);
  }

  /**
   * Makes every line written so far durable. `solo` (no flush running, no other payment of ours
   * in the air): at once, on this thread, since a hop through the thread pool and back costs about a
   * quarter of the fdatasync itself. Otherwise one fdatasync at a time in the pool: a caller arriving
   * while one runs (its line may have missed it) shares the next one with everyone arriving meanwhile.
   */
  private async flush(solo: boolean): Promise<void> {
    if (solo) return this.flushNow();
    if (!this.flushing) return this.startFlush();
    this.queuedFlush ??= this.flushing
      .catch(() => undefined)
      .then(() => {
        this.queuedFlush = undefined;
        return this.startFlush();
      });
    return this.queuedFlush;
  }

  /** The file just written (nothing ran since: this is synchronous from the write on). */
  private flushNow(): void {
    try {
      fdatasyncSync(this.fd!);
    } catch (error) {
      throw this.flushFailed(error as NodeJS.ErrnoException);
    }
  }

  private startFlush(): Promise<void> {
    const { fd } = this.current();
    const run: Promise<void> = new Promise<void>((done, fail) =>
      fdatasync(fd, (error) => {
        // A file adopted anew meanwhile was given every known payment with its own flush.
        if (error && this.fd === fd) fail(this.flushFailed(error));
        else done();
      }),
    ).finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    this.flushing = run;
    return run;
  }

  private flushFailed(error: NodeJS.ErrnoException): Error {
    return new Error(`the payment ledger ${this.location} could not be flushed to disk (${error.code})`);
  }

  /**
   * The handle of the file now at `location` and its size, from one stat of the path; a file
   * deleted, replaced or truncated under us is adopted anew.
   */
  private current(): OpenFile {
    if (this.fd === undefined) this.open();
    const onDisk = statSync(this.location, { throwIfNoEntry: false });
    if (!onDisk) this.adoptNewFile("deleted");
    else if (onDisk.ino !== this.identity.ino || onDisk.dev !== this.identity.dev) this.adoptNewFile("replaced");
    else if (onDisk.size === this.untouched.size && onDisk.mtimeMs === this.untouched.mtimeMs) return { fd: this.fd!, size: onDisk.size };
    else if (onDisk.size < this.offset || !readRange(this.fd!, 0, this.head.length).equals(this.head)) this.adoptNewFile("truncated");
    else return { fd: this.fd!, size: onDisk.size };
    return { fd: this.fd!, size: fstatSync(this.fd!).size };
  }

  private open(): void {
    mkdirSync(dirname(this.location), { recursive: true });
    this.fd = openSync(this.location, "a+", 0o600);
    const { ino, dev } = fstatSync(this.fd);
    this.identity = { ino, dev };
  }

  /**
   * The file was deleted, replaced or truncated while we ran. Reading it afresh would forget
   * payments that may have settled and hand their budget out again, so every payment we know
   * that the new file lacks (or holds in an earlier state) is written into it, with its
   * original time and writer, before anything else.
   */
  private adoptNewFile(what: "deleted" | "replaced" | "truncated"): void {
    // "truncated" also covers a file rewritten in place: same inode, other first bytes.
    const known = this.paymentBook;
    if (what !== "truncated") {
      closeSync(this.fd!);
      this.open();
    }
    const fresh = new PaymentBook(this.owner);
    const { size } = fstatSync(this.fd!);
    const text = readRange(this.fd!, 0, size);
    const end = text.lastIndexOf(NEWLINE) + 1;
    this.unreadable = 0;
    this.fold(fresh, text.subarray(0, end), 0);
    const missing = known.select().flatMap((payment) => linesToRestore(payment, fresh.payments.get(payment.nonce)));
    this.paymentBook = fresh;
    this.offset = end;
    this.head = readRange(this.fd!, 0, Math.min(end, HEAD_BYTES));
    if (missing.length > 0) this.write({ fd: this.fd!, size: fstatSync(this.fd!).size }, missing, { durable: true });
    log.warn(
      `the payment ledger ${this.location} was ${what} while this server ran; ${missing.length} line(s) of payments it already knew were written back into it, so nothing is counted as unspent that may have been paid`,
    );
  }

  private fold(book: PaymentBook, lines: Buffer, at: number): void {
    for (const entry of this.parse(lines, at)) book.apply(entry);
  }

  /** The entries of whole lines that start at byte `at`; an unreadable line is counted and logged. */
  private *parse(lines: Buffer, at: number): Generator<LedgerEntry> {
    let position = at;
    for (const line of lines.toString("utf8").split("\n")) {
      const start = position;
      position += Buffer.byteLength(line) + 1;
      if (!line.trim()) continue;
      let entry: LedgerEntry;
      try {
        entry = JSON.parse(line) as LedgerEntry;
      } catch {
        this.unreadable++;
        log.warn(
          `the payment ledger ${this.location} has an unreadable line at byte ${start} (a crash mid-write or an edit); it is ignored and shown by get_spending`,
        );
        continue;
      }
      yield entry;
    }
  }
}

/** An open ledger file and its size when it was looked at. */
interface OpenFile {
  fd: number;
  size: number;
}

function readRange(fd: number, from: number, to: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, to - from));
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, from + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

/** The lines that bring `fresh` (the new file's view of a payment) up to what we knew of it. */
function linesToRestore(known: PaymentRecord, fresh: PaymentRecord | undefined): LedgerEntry[] {
  const identity = { ts: known.signedAt.toISOString(), session: known.session, ...paymentFields(known) };
  const lines: LedgerEntry[] = fresh ? [] : [{ ...identity, event: "signed" }];
  const stand = fresh?.status ?? "pending";
  if (known.status === "settled" && stand !== "settled") lines.push({ ...identity, event: "settled", transaction: known.transaction });
  // A release is carried only onto a payment the new file has never seen: never un-count one it holds.
  if (known.status === "released" && !fresh) lines.push({ ...identity, event: "released", reason: known.reason, proof: known.proof });
  return lines;
}
