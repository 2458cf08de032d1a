import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { knownAssets } from "../src/assets.js";
import { budgetRefusal } from "../src/payer/budget.js";
import type { LedgerEntry, NewLedgerEntry } from "../src/payer/entry.js";
import { publicDatabaseUrl } from "../src/payer/database-url.js";
import { FileLedger } from "../src/payer/ledger.js";
import { openLedger } from "../src/payer/open-ledger.js";
import { PostgresLedger } from "../src/payer/postgres-ledger.js";
import { redact } from "../src/secret.js";
import { BUILT_SERVER } from "./helpers/mcp.js";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";
import { buildSignedEntry } from "./unit/builders.js";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OWNER = { payer: ME, network: "base-sepolia" };
const USDC = knownAssets("base-sepolia")[0]!;
const PRICE = 17_000n;
const DAILY_FOR_10 = { session: {}, daily: { USDC: 10n * PRICE }, perClient: {} };
const signed = (extra: Partial<NewLedgerEntry> = {}) => buildSignedEntry({ payer: ME, assetAddress: USDC.address, amount: PRICE.toString(), ...extra });
const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [BUILT_SERVER, ...args], { env: { PATH: process.env.PATH ?? "", HOME: tmpdir() } });

describe("the PostgreSQL ledger", { timeout: 120_000 }, () => {
  let postgres: TestPostgres;
  let dir: string;
  const open: PostgresLedger[] = [];
  const ledgerAt = (url: string) => {
    const ledger = new PostgresLedger(url);
    open.push(ledger);
    return ledger;
  };

  before(async () => {
    postgres = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), "tm-pg-ledger-"));
  });
  after(async () => {
    await Promise.all(open.map((ledger) => ledger.close()));
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("TOKEN_METRICS_LEDGER picks the store; the location never shows the password", async () => {
    const url = await postgres.newDatabase();
    const ledger = openLedger(url) as PostgresLedger;
    open.push(ledger);
    assert.ok(ledger instanceof PostgresLedger);
    assert.ok(!ledger.location.includes(postgres.password));
    assert.match(ledger.location, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/ledger_/);
    assert.ok(openLedger(join(dir, "x.jsonl")) instanceof FileLedger);
    // A password in the query too: neither shows, and both are scrubbed from any message quoting them.
    const shown = publicDatabaseUrl("postgresql://app:s3cret-in-userinfo@db.internal:6543/money?sslpassword=s3cret-in-query&sslmode=require");
    assert.equal(shown, "postgresql://app@db.internal:6543/money");
    assert.equal(redact("failed: s3cret-in-userinfo s3cret-in-query"), "failed: [redacted] [redacted]");
  });

  test("five replicas reserving 100 payments at once never pass a daily budget for 10", async () => {
    const url = await postgres.newDatabase();
    const replicas = Array.from({ length: 5 }, () => ledgerAt(url));
    for (const replica of replicas) replica.ownedBy(OWNER);
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const replica = replicas[i % replicas.length]!;
        return replica.reserve(signed(), (book) => budgetRefusal(book, USDC, PRICE, DAILY_FOR_10, replica.session));
      }),
    );
    assert.equal(outcomes.filter((refusal) => refusal === undefined).length, 10);
    assert.ok(outcomes.filter(Boolean).every((refusal) => /daily budget \(last 24 h\) would be exceeded: 0\.17 USDC of 0\.17 USDC/.test(refusal!)));
    const since = new Date(Date.now() - 60_000);
    for (const replica of replicas) assert.equal((await replica.refresh()).committed("USDC", { since }), 10n * PRICE, "every replica sees all 10");
    const rows = await postgres.query<{ count: string }>(url, "SELECT count(*) FROM ledger_events WHERE event = 'signed'");
    assert.equal(rows[0]!.count, "10");
  });

  test("a refresh reads only new rows, and events of other wallets or networks are not counted", async () => {
    const url = await postgres.newDatabase();
    const [a, b] = [ledgerAt(url), ledgerAt(url)];
    a.ownedBy(OWNER);
    b.ownedBy(OWNER);
    const first = signed();
    await a.append(first);
    await a.append(signed({ payer: "0x0000000000000000000000000000000000000001" }));
    await a.append(signed({ network: "base" }));
    await a.append({ ...first, event: "settled", transaction: "0xabc" });
    const book = await b.refresh();
    assert.equal(book.committed("USDC", { session: a.session }), PRICE);
    assert.equal(book.payments.get(first.nonce!)?.status, "settled");
    assert.equal(await b.refresh(), book, "the same book, folded further");
    assert.equal(book.payments.size, 1);
  });

  test("two replicas migrating a new database at once: one schema, recorded once, and again is a no-op", async () => {
    const url = await postgres.newDatabase();
    await Promise.all([ledgerAt(url).refresh(), ledgerAt(url).refresh(), ledgerAt(url).pauseState()]);
    await ledgerAt(url).refresh();
    const versions = await postgres.query<{ version: number }>(url, "SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      versions.map((row) => row.version),
      [1],
    );
  });

  test("pause and resume from the command line reach every replica on the database", async () => {
    const url = await postgres.newDatabase();
    const ledger = ledgerAt(url);
    ledger.ownedBy(OWNER);
    const paused = await cli("pause", "--reason", "audit", "--ledger", url);
    assert.match(paused.stdout, /Payments paused for every server using postgres:\/\/postgres@127\.0\.0\.1:\d+\/ledger_\S+ \(audit\)/);
    assert.ok(!`${paused.stdout}${paused.stderr}`.includes(postgres.password));
    assert.deepEqual({ ...(await ledger.pauseState()), since: "" }, { paused: true, reason: "audit", since: "" });
    assert.match((await ledger.reserve(signed(), () => undefined))!, /payments are paused .*: audit/);
    await cli("resume", "--ledger", url);
    assert.deepEqual(await ledger.pauseState(), { paused: false });
    assert.equal(await ledger.reserve(signed(), () => undefined), undefined);
  });

  test("ledger import from a file, run twice, then export: the same events, each once", async () => {
    const file = join(dir, "import.jsonl");
    const source = new FileLedger(file);
    const payment = signed();
    await source.append({ event: "offered", call: payment.call, endpoint: payment.endpoint, network: payment.network, payer: ME });
    await source.append(payment);
    await source.append({ ...payment, event: "settled", transaction: "0xdef" });
    await source.append(signed({ payer: undefined })); // an older line without payer
    await source.append({ event: "refused", call: "c", endpoint: "/x", network: "base-sepolia", payer: ME, reason: "over budget" });
    await source.close();
    const fileEvents: LedgerEntry[] = [];
    for await (const entry of new FileLedger(file).events()) fileEvents.push(entry);

    const url = await postgres.newDatabase();
    const first = await cli("ledger", "import", "--from", file, "--ledger", url);
    assert.match(first.stdout, /Imported 5 event\(s\) from .*import\.jsonl into postgres:\/\/postgres@127\.0\.0\.1:\d+\/ledger_\S+; 0 were already there/);
    const again = await cli("ledger", "import", "--from", file, "--ledger", url);
    assert.match(again.stdout, /Imported 0 event\(s\) .*; 5 were already there/);
    const exported = await cli("ledger", "export", "--ledger", url);
    for (const output of [first, again, exported]) assert.ok(!`${output.stdout}${output.stderr}`.includes(postgres.password));
    const lines = exported.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as LedgerEntry);
    assert.deepEqual(lines, fileEvents);

    const fromFile = new FileLedger(file);
    const fromDatabase = ledgerAt(url);
    fromFile.ownedBy(OWNER);
    fromDatabase.ownedBy(OWNER);
    const since = new Date(Date.now() - 60_000);
    assert.equal((await fromDatabase.refresh()).committed("USDC", { since }), (await fromFile.refresh()).committed("USDC", { since }));
    assert.equal(fromDatabase.book.committed("USDC", { since }), 2n * PRICE);
    await fromFile.close();

    const fileExport = await cli("ledger", "export", "--ledger", file);
    assert.deepEqual(
      fileExport.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as LedgerEntry),
      fileEvents,
    );
    await assert.rejects(cli("ledger", "import", "--from", file, "--ledger", join(dir, "other.jsonl")), /must be a postgres:\/\/ URL/);
  });

  test("the database down: a clear error naming the store without its password, nothing recorded; back up: the same instance works", async () => {
    const url = await postgres.newDatabase();
    const ledger = ledgerAt(url);
    ledger.ownedBy(OWNER);
    await ledger.append(signed());
    await postgres.halt();
    try {
      const error = await ledger
        .reserve(signed(), () => undefined)
        .then(
          () => assert.fail("reserved without a database"),
          (failure: Error) => failure,
        );
      assert.match(
        error.message,
        /^the PostgreSQL payment ledger postgres:\/\/postgres@127\.0\.0\.1:\d+\/ledger_\S+ could not reserve the budget: .*(ECONNREFUSED|terminat|shut)/i,
      );
      assert.ok(!error.message.includes(postgres.password));
      await assert.rejects(ledger.append(signed()), /could not record a payment event/);
    } finally {
      await postgres.restart();
    }
    assert.equal(await ledger.reserve(signed(), () => undefined), undefined);
    const rows = await postgres.query<{ count: string }>(url, "SELECT count(*) FROM ledger_events");
    assert.equal(rows[0]!.count, "2", "only the events written while it was up");
  });
});
