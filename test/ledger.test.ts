import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dailyWindowStart, type PaymentBook } from "../src/payer/book.js";
import { pause } from "../src/payer/pause.js";
import type { NewLedgerEntry } from "../src/payer/entry.js";
import { FileLedger } from "../src/payer/ledger.js";
import { readLedger } from "./helpers/ledger.js";
import { buildSignedEntry, PAYER } from "./unit/builders.js";

const ME = PAYER;
const signed = (nonce: string, extra: Partial<NewLedgerEntry> = {}): NewLedgerEntry => ({ ...buildSignedEntry({ call: nonce, nonce }), ...extra });

describe("the payment ledger", () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  async function ledgerFile() {
    const dir = await mkdtemp(join(tmpdir(), "tm-ledger-"));
    dirs.push(dir);
    return join(dir, "ledger.jsonl");
  }

  test("budgets count only this wallet's payments on this network", async () => {
    const ledger = new FileLedger(await ledgerFile());
    ledger.ownedBy({ payer: ME, network: "base-sepolia" });
    await ledger.append(signed("0x01"));
    await ledger.append(signed("0x02", { payer: "0x0000000000000000000000000000000000000001" }));
    await ledger.append(signed("0x03", { network: "base" }));
    await ledger.append(signed("0x04", { payer: undefined })); // an older line without payer: counted
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 34_000n);
  });

  test("a payment found settled after being released counts again", async () => {
    const ledger = new FileLedger(await ledgerFile());
    await ledger.append(signed("0x01"));
    await ledger.append({ ...signed("0x01"), event: "released" });
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 0n);
    await ledger.append({ ...signed("0x01"), event: "settled", transaction: "unknown" });
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 17_000n);
  });

  test("a deleted, replaced or truncated file never lowers what counts as spent: known payments are written back", async () => {
    const path = await ledgerFile();
    const ledger = new FileLedger(path);
    await ledger.append(signed("0x01"));
    await ledger.append(signed("0x02"));
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 34_000n);

    await rm(path);
    await ledger.append(signed("0x03"));
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 51_000n, "after deletion");
    assert.equal((await readLedger(path)).filter((entry) => entry.event === "signed").length, 3, "the new file holds them all");

    await writeFile(path, "");
    await ledger.append(signed("0x04"));
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 68_000n, "after being replaced by an empty file");

    await truncate(path, 0);
    await ledger.refresh();
    await ledger.append(signed("0x05"));
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 85_000n, "after truncation");

    // Another process reading the file from scratch sees every payment too.
    const fresh = new FileLedger(path);
    assert.equal((await fresh.refresh()).committed("USDC", { since: new Date(0) }), 85_000n);
  });

  test("a settled payment carried into a replaced file stays settled, and reservations go on in the new file", async () => {
    const path = await ledgerFile();
    const ledger = new FileLedger(path);
    await ledger.append(signed("0x01"));
    await ledger.append({ ...signed("0x01"), event: "settled", transaction: "0xabc" });
    await rm(path);
    assert.equal(await ledger.reserve({ ...signed("0x02"), event: "signed" }, () => undefined), undefined); // used to fail with ENOENT on the stale handle
    const payment = (await new FileLedger(path).refresh()).payments.get("0x01");
    assert.equal(payment?.status, "settled");
    assert.equal(payment?.transaction, "0xabc");
  });

  test("a torn last line never swallows the next one, and is reported", async () => {
    const path = await ledgerFile();
    const ledger = new FileLedger(path);
    await ledger.append(signed("0x01"));
    await appendFile(path, '{"ts":"2026-01-01T00:00:00.000Z","event":"sig');
    await ledger.append(signed("0x02"));
    assert.equal((await ledger.refresh()).committed("USDC", { session: ledger.session }), 34_000n);
    assert.equal(ledger.unreadableLines, 1);
    // Right before a reservation: the reservation is a line of its own, counted by every reader.
    await appendFile(path, '{"ts":"2026-01-01T00:00:00.000Z","event":"sig');
    assert.equal(await ledger.reserve({ ...signed("0x03"), event: "signed" }, () => undefined), undefined);
    const reader = new FileLedger(path);
    assert.equal((await reader.refresh()).committed("USDC", { since: new Date(0) }), 51_000n);
    assert.equal(reader.unreadableLines, 2);
  });

  test("the daily window is a rolling 24 hours, never reset at midnight", async () => {
    const ledger = new FileLedger(await ledgerFile());
    const at = (iso: string) => ({ ts: iso, session: "s" });
    const line = (nonce: string, iso: string) => `${JSON.stringify({ ...signed(nonce), ...at(iso) })}\n`;
    await appendFile(ledger.location, line("0x01", "2026-03-01T23:50:00.000Z"));
    const book = await ledger.refresh();
    assert.equal(book.committed("USDC", { since: dailyWindowStart(new Date("2026-03-02T00:10:00.000Z")) }), 17_000n, "just after midnight UTC");
    assert.equal(book.committed("USDC", { since: dailyWindowStart(new Date("2026-03-02T23:49:00.000Z")) }), 17_000n, "23 h 59 min later");
    assert.equal(book.committed("USDC", { since: dailyWindowStart(new Date("2026-03-03T00:06:00.000Z")) }), 0n, "more than 24 h 15 min later");
  });

  test("two ledgers naming one file differently share its lines: reservations never pass a limit together", async () => {
    const path = await ledgerFile();
    const a = new FileLedger(path);
    const b = new FileLedger(join(path, "..", ".", "ledger.jsonl"));
    await a.append(signed("0x01"));
    const total = (book: PaymentBook) => book.committed("USDC", { since: new Date(0) });
    const refusals = await Promise.all(
      [a, b, a, b, a, b].map((ledger, i) =>
        ledger.reserve({ ...signed(`0x1${i}`), event: "signed" }, (book) => (total(book) + 17_000n > 51_000n ? "over the limit" : undefined)),
      ),
    );
    assert.equal(refusals.filter((refusal) => refusal === undefined).length, 2, "3 payments of 17 000 fit under 51 000: one was there, two more are reserved");
    assert.equal(total(await b.refresh()), 51_000n);
    assert.equal((await readLedger(path)).filter((entry) => entry.event === "signed").length, 3);
  });

  test("four processes racing for a budget's last room on one file: exactly the budget is reserved, as the file's order decides", async () => {
    const path = await ledgerFile();
    const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));
    const script = fileURLToPath(new URL("./helpers/reserve-many.ts", import.meta.url));
    const at = String(Date.now() + 3_000); // every process starts reserving at this moment
    const run = () => promisify(execFile)(process.execPath, [tsx, script, path, "40", String(10 * 17_000), at]);
    const counts = (await Promise.all([run(), run(), run(), run()])).map(({ stdout }) => Number(stdout));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      10,
      `reserved per process: ${counts.join(", ")}`,
    );
    const book = await new FileLedger(path).refresh();
    assert.equal(book.committed("USDC", { since: new Date(0) }), 170_000n, "the file counts exactly the budget: every other line is withdrawn");
  });

  test("a pause set by another process refuses the reservation itself", async () => {
    const path = await ledgerFile();
    const ledger = new FileLedger(path);
    pause(path, "testing");
    assert.match((await ledger.reserve({ ...signed("0x01"), event: "signed" }, () => undefined)) ?? "", /payments are paused .*testing/);
    assert.equal((await readLedger(path)).length, 0);
  });
});
