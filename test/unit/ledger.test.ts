import assert from "node:assert/strict";
import fs, { readFileSync, statSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { describe, test } from "node:test";
import { dailyWindowStart, type PaymentBook } from "../../src/payer/book.js";
import { budgetRefusal } from "../../src/payer/budget.js";
import type { NewLedgerEntry } from "../../src/payer/entry.js";
import { FileLedger } from "../../src/payer/ledger.js";
import { pause, pauseFileOf, resume } from "../../src/payer/pause.js";
import { ASSETS, buildEntry, readLedgerFile, tempLedgerPath } from "./builders.js";

const PRICE = 17_000n;
/** A reservation line as an attempt hands it to `reserve` (the ledger stamps time and session). */
function reservation(): NewLedgerEntry & { event: "signed"; nonce: string } {
  const { ts: _ts, session: _session, ...entry } = buildEntry({ amount: PRICE.toString() });
  return { ...entry, event: "signed", nonce: entry.nonce! };
}
/** The daily budget check an attempt passes to `reserve`, for room for `payments` payments. */
const roomFor = (payments: bigint) => (book: PaymentBook) =>
  budgetRefusal(book, ASSETS.USDC, PRICE, { session: {}, daily: { USDC: payments * PRICE }, perClient: {} }, "unused");
const sizeOf = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

interface Syncs {
  /** fdatasync calls: in the thread pool, and on the calling thread. */
  calls: number;
  inline: number;
  /** How many bytes of the file the completed ones made durable. */
  durableBytes: number;
}
/**
 * Watches the ledger's fdatasync calls, in the thread pool and on the calling thread (the
 * module's bindings follow `fs` once synced).
 */
async function watchingSyncs<T>(work: (syncs: Syncs) => Promise<T>): Promise<T> {
  const { fdatasync, fdatasyncSync } = fs;
  const syncs: Syncs = { calls: 0, inline: 0, durableBytes: 0 };
  const madeDurable = (size: number) => (syncs.durableBytes = Math.max(syncs.durableBytes, size));
  fs.fdatasync = ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
    syncs.calls++;
    const size = fs.fstatSync(fd).size;
    fdatasync(fd, (error) => {
      if (!error) madeDurable(size);
      done(error);
    });
  }) as typeof fs.fdatasync;
  fs.fdatasyncSync = (fd: number) => {
    syncs.inline++;
    const size = fs.fstatSync(fd).size;
    fdatasyncSync(fd);
    madeDurable(size);
  };
  syncBuiltinESMExports();
  try {
    return await work(syncs);
  } finally {
    Object.assign(fs, { fdatasync, fdatasyncSync });
    syncBuiltinESMExports();
  }
}
/** Where the line holding `text` ends in the file (0 when it is not there). */
function lineEnd(path: string, text: string): number {
  const content = readFileSync(path);
  const at = content.indexOf(text);
  return at < 0 ? 0 : content.indexOf("\n", at) + 1;
}

describe("FileLedger.reserve: under the lock, with a group commit", () => {
  // The first reservation of a ledger finds no other payment in the air and is flushed at once;
  // the ones arriving while it is in the air share flushes in the thread pool.
  const cases: Array<[name: string, instances: number, calls: number, room: bigint, maxSyncs: number]> = [
    ["one ledger, 40 at once, room for 10", 1, 40, 10n, 3],
    ["one ledger, 40 at once, room for all: three flushes shared by all", 1, 40, 50n, 3],
    ["two ledgers on one file (two processes), 40 at once, room for 10", 2, 40, 10n, 10],
    ["two ledgers on one file, room for all: none refused", 2, 24, 30n, 24],
  ];
  for (const [name, instances, calls, room, maxSyncs] of cases) {
    test(name, () =>
      watchingSyncs(async (syncs) => {
        const path = tempLedgerPath();
        const ledgers = Array.from({ length: instances }, () => new FileLedger(path));
        const outcomes = await Promise.all(
          Array.from({ length: calls }, async (_, index) => {
            const entry = reservation();
            const refusal = await ledgers[index % instances]!.reserve(entry, roomFor(room));
            // Resolved: a reservation that passed is in the file and flushed, before its signature may leave.
            const end = lineEnd(path, entry.nonce);
            return { refusal, durable: end > 0 && end <= syncs.durableBytes };
          }),
        );
        await Promise.all(ledgers.map((ledger) => ledger.close()));

        const accepted = outcomes.filter((outcome) => outcome.refusal === undefined);
        assert.equal(accepted.length, Math.min(calls, Number(room)));
        assert.ok(
          accepted.every((outcome) => outcome.durable),
          "each reservation resolves after its line is in the file and flushed",
        );
        assert.equal(syncs.inline, instances, "each ledger's first reservation, alone, is flushed at once");
        assert.ok(syncs.calls + syncs.inline <= maxSyncs, `group commit: ${syncs.calls + syncs.inline} flushes for ${accepted.length} reservations`);
        for (const { refusal } of outcomes.filter((outcome) => outcome.refusal !== undefined))
          assert.match(refusal!, /daily budget \(last 24 h\) would be exceeded/);
        assert.equal(readLedgerFile(path).filter((line) => line.event === "signed").length, accepted.length);
        const fresh = new FileLedger(path);
        assert.ok((await fresh.refresh()).committed("USDC", { since: dailyWindowStart() }) <= room * PRICE);
        await fresh.close();
      }),
    );
  }

  test("one payment at a time (each with its outcome before the next): each flushed at once on this thread, never in the pool", () =>
    watchingSyncs(async (syncs) => {
      const path = tempLedgerPath();
      const ledger = new FileLedger(path);
      for (let call = 1; call <= 3; call++) {
        const entry = reservation();
        assert.equal(await ledger.reserve(entry, roomFor(10n)), undefined);
        assert.ok(lineEnd(path, entry.nonce) <= syncs.durableBytes, "durable when reserved");
        assert.deepEqual({ inline: syncs.inline, pool: syncs.calls }, { inline: call, pool: 0 });
        await ledger.append({ ...entry, event: "settled", transaction: `0x${"ab".repeat(32)}` });
      }
      // A payment still in the air (no outcome yet): the next reservation goes through the pool.
      await ledger.reserve(reservation(), roomFor(10n));
      await ledger.reserve(reservation(), roomFor(10n));
      assert.deepEqual({ inline: syncs.inline, pool: syncs.calls }, { inline: 4, pool: 1 });
      await ledger.close();
    }));

  test("a refusal by the check writes nothing", async () => {
    const path = tempLedgerPath();
    const ledger = new FileLedger(path);
    assert.equal(await ledger.reserve(reservation(), roomFor(1n)), undefined);
    const before = sizeOf(path);
    assert.match((await ledger.reserve(reservation(), roomFor(1n))) ?? "", /daily budget/);
    assert.equal(sizeOf(path), before);
    await ledger.close();
  });
});

describe("FileLedger.note: a line without money rides with the next one", () => {
  const events = (path: string) => readLedgerFile(path).map((entry) => entry.event);

  test("written with the reservation that follows it, before it, in one write", async () => {
    const path = tempLedgerPath();
    const ledger = new FileLedger(path);
    const entry = reservation();
    await ledger.note({ ...entry, event: "offered" });
    assert.equal(sizeOf(path), 0, "nothing written yet");
    assert.equal(await ledger.reserve(entry, roomFor(1n)), undefined);
    assert.deepEqual(events(path), ["offered", "signed"]);
    await ledger.close();
  });

  test("before a refusal: the refusal line carries it; at close, a line still kept is written", async () => {
    const path = tempLedgerPath();
    const ledger = new FileLedger(path);
    const { nonce: _nonce, validBefore: _validBefore, ...call } = reservation();
    await ledger.note({ ...call, event: "offered" });
    await ledger.append({ ...call, event: "refused", code: "budget", reason: "no room" });
    await ledger.note({ ...call, event: "offered" });
    assert.deepEqual(events(path), ["offered", "refused"]);
    await ledger.close();
    assert.deepEqual(events(path), ["offered", "refused", "offered"]);
  });
});

describe("FileLedger: the pause switch stops reservations", () => {
  const states: Array<[name: string, set: (path: string) => void, refusal: RegExp | undefined]> = [
    ["no pause file: reserved", () => undefined, undefined],
    [
      "paused by `pause`: refused with its reason",
      (path) => void pause(path, "incident 42"),
      /^payments are paused \(since \d{4}-.*\): incident 42\. A person can resume them/,
    ],
    ["a pause file that is not JSON: refused (when in doubt, nothing is paid)", (path) => writeFileSync(pauseFileOf(path), "{oops"), /is not valid JSON/],
    ["paused, then resumed: reserved", (path) => (pause(path, "incident 42"), resume(path)), undefined],
  ];
  for (const [name, set, refusal] of states) {
    test(name, async () => {
      const path = tempLedgerPath();
      const ledger = new FileLedger(path);
      await ledger.refresh(); // the file exists, so "writes nothing" is measured on it
      set(path);
      let checked = false;
      const found = await ledger.reserve(reservation(), () => void (checked = true));
      assert.equal((await ledger.pauseState()).paused, refusal !== undefined);
      if (refusal) {
        assert.match(found ?? "(reserved)", refusal);
        assert.equal(checked, false, "a paused ledger refuses before any budget check");
        assert.equal(sizeOf(path), 0);
      } else {
        assert.equal(found, undefined);
        assert.deepEqual(
          readLedgerFile(path).map((line) => line.event),
          ["signed"],
        );
      }
      await ledger.close();
    });
  }

  test("a pause set after one ledger opened the file stops the other's next reservation", async () => {
    const path = tempLedgerPath();
    const [first, second] = [new FileLedger(path), new FileLedger(path)];
    assert.equal(await second.reserve(reservation(), () => undefined), undefined);
    pause(path, "set from a shell");
    assert.match((await first.reserve(reservation(), () => undefined)) ?? "", /set from a shell/);
    assert.match((await second.reserve(reservation(), () => undefined)) ?? "", /set from a shell/);
    assert.equal(readLedgerFile(path).length, 1);
    await Promise.all([first.close(), second.close()]);
  });
});
