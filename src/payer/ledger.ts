import { randomUUID } from "node:crypto";
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync, type Stats } from "node:fs";
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
 * libuv's thread pool costs far more on the paid-call path (measured by `npm run bench`). The one
 * exception is the flush of a reservation, which waits on the disk and is shared (group commit):
 * every process already sees the line (the page cache is shared), and calls reserving at the same
 * time wait for one fdatasync together, not one each.
 */
export class FileLedger implements LedgerStore {
  readonly session = randomUUID();
  /** The file's absolute path. */
  readonly location: string;
  private paymentBook = new PaymentBook();
  private owner?: Owner;
  /** Bytes of the file already folded into the book. */
  private offset = 0;
  /** Read and append handle of the file as we last knew it. */
  private fd?: number;
  /** The file's first bytes as we read them: rewritten in place (same inode), they differ. */
  private head: Buffer = Buffer.alloc(0);
  private unreadable = 0;
  /** The fdatasync running now, and the one queued behind it for lines written meanwhile. */
  private flushing?: Promise<void>;
  private queuedFlush?: Promise<void>;
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
    this.write([line], false);
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
    // A call that cannot fit now writes nothing.
    const refused = pause.paused ? pausedReason(pause) : check(this.readNewLines());
    if (refused !== undefined) return refused;
    // Take a place in the file's order, then judge the line against everything before it.
    this.write([line], false, false);
    const inOrder = this.readUntil(line);
    const late = check(this.paymentBook);
    this.paymentBook.apply(line); // ours counts from here (reading it back later changes nothing)
    if (!inOrder) this.write([line], false); // the file was replaced between our write and its reading
    if (late !== undefined) {
      // A reservation of another process came first and took the room: ours never leaves.
      this.write([{ ...line, ts: new Date().toISOString(), event: "released", reason: `not reserved: ${late}`, proof: "never sent" }], false);
      return late;
    }
    await this.flush();
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
    const fd = this.current();
    const text = readRange(fd, 0, fstatSync(fd).size);
    yield* this.parse(text.subarray(0, text.lastIndexOf(NEWLINE) + 1), 0);
  }

  async close(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private stamp(entry: NewLedgerEntry): LedgerEntry {
    return { ts: new Date().toISOString(), session: this.session, ...entry };
  }

  /** Folds the lines appended since the last read (by any process) into the book. */
  private readNewLines(): PaymentBook {
    const fd = this.current();
    const text = readRange(fd, this.offset, fstatSync(fd).size);
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
    const fd = this.current();
    const text = readRange(fd, this.offset, fstatSync(fd).size);
    // Our line starts on a line boundary (see write), so what comes before it is whole lines.
    const at = text.indexOf(`${JSON.stringify(line)}\n`);
    if (at < 0) return (this.readNewLines(), false);
    this.foldNew(fd, text.subarray(0, at));
    return true;
  }

  private foldNew(fd: number, lines: Buffer): void {
    this.fold(this.paymentBook, lines, this.offset);
    this.offset += lines.length;
    if (this.head.length < HEAD_BYTES) this.head = readRange(fd, 0, Math.min(this.offset, HEAD_BYTES));
  }

  /**
   * Writes whole lines in one write, starting on a line boundary; flushed to disk when `durable`;
   * counted in the book at once unless `count` is false (a reservation is judged first).
   */
  private write(entries: readonly LedgerEntry[], durable: boolean, count = true): void {
    const fd = this.current();
    const before = fstatSync(fd).size;
    const torn = before > 0 && readRange(fd, before - 1, before)[0] !== NEWLINE;
    const text = `${torn ? "\n" : ""}${entries.map((entry) => `${JSON.stringify(entry)}\n`).join("")}`;
    const bytes = Buffer.from(text);
    const written = writeSync(fd, bytes);
    if (written !== bytes.length) {
      // Disk full: take our partial line back when nobody wrote after it, so no line is joined to it.
      if (fstatSync(fd).size === before + written) ftruncateSync(fd, before);
      throw new Error(`the payment ledger ${this.location} could not be written (${written} of ${bytes.length} bytes; disk full?)`);
    }
    if (durable) fdatasyncSync(fd);
    // Our own lines count at once (folding is idempotent, so reading them back later changes nothing).
    if (count) for (const entry of entries) this.paymentBook.apply(entry);
  }

  /**
   * Makes every line written so far durable. One fdatasync at a time: a caller arriving while one
   * runs (its line may have missed it) shares the next one with everyone else arriving meanwhile.
   */
  private flush(): Promise<void> {
    if (!this.flushing) return this.startFlush();
    this.queuedFlush ??= this.flushing
      .catch(() => undefined)
      .then(() => {
        this.queuedFlush = undefined;
        return this.startFlush();
      });
    return this.queuedFlush;
  }

  private startFlush(): Promise<void> {
    const fd = this.current();
    const run: Promise<void> = new Promise<void>((done, fail) =>
      fdatasync(fd, (error) => {
        // A file adopted anew meanwhile was given every known payment with its own flush.
        if (error && this.fd === fd) fail(new Error(`the payment ledger ${this.location} could not be flushed to disk (${error.code})`));
        else done();
      }),
    ).finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    this.flushing = run;
    return run;
  }

  /** The handle of the file now at `location`; a file deleted or replaced under us is adopted anew. */
  private current(): number {
    if (this.fd === undefined) return this.open();
    const onDisk = statSync(this.location, { throwIfNoEntry: false });
    if (!onDisk) this.adoptNewFile("deleted");
    else if (!sameFile(onDisk, fstatSync(this.fd))) this.adoptNewFile("replaced");
    else if (onDisk.size < this.offset || !readRange(this.fd, 0, this.head.length).equals(this.head)) this.adoptNewFile("truncated");
    return this.fd!;
  }

  private open(): number {
    mkdirSync(dirname(this.location), { recursive: true });
    this.fd = openSync(this.location, "a+", 0o600);
    return this.fd;
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
    if (missing.length > 0) this.write(missing, true);
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

const sameFile = (a: Stats, b: Stats) => a.ino === b.ino && a.dev === b.dev;

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
