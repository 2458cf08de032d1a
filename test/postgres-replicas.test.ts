import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Address } from "viem";
import type { LedgerEntry } from "../src/payer/entry.js";
import { PostgresLedger } from "../src/payer/postgres-ledger.js";
import { EXPIRY_MARGIN_SECONDS } from "../src/payer/reconcile.js";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { advanceChainClock } from "./helpers/chain.js";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { BUILT_SERVER, textOf } from "./helpers/mcp.js";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";

const PRICE = 17_000n; // get_trading_signals, 0.017 USDC
let pages = 0;
const signals = () => ({ name: "get_trading_signals", arguments: { token_id: 3375, limit: 1, page: ++pages } });

interface Replica {
  client: Client;
  child: ChildProcess;
  stderr(): string;
}

/** Replicas of the built server in HTTP mode (as behind a load balancer) sharing one database, one wallet and the sandbox chain. */
describe("replicas sharing a PostgreSQL ledger", { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let postgres: TestPostgres;
  let hostile: Awaited<ReturnType<typeof startHostileServer>>;
  let dir: string;
  const replicas: Replica[] = [];
  const payerUsdc = () => sandbox.chain.balanceOf(sandbox.chain.usdc, sandbox.info.payerAddress as Address);
  const events = (url: string) =>
    postgres.query<{ entry: LedgerEntry }>(url, "SELECT entry FROM ledger_events ORDER BY id").then((rows) => rows.map((row) => row.entry));

  before(async () => {
    [sandbox, postgres, hostile, dir] = await Promise.all([startSandbox(), startPostgres(), startHostileServer(), mkdtemp(join(tmpdir(), "tm-replicas-"))]);
  });
  after(async () => {
    for (const replica of replicas) {
      await replica.client.close().catch(() => undefined);
      replica.child.kill("SIGKILL");
    }
    await Promise.all([sandbox?.stop(), postgres?.stop(), hostile?.stop()]);
    await rm(dir, { recursive: true, force: true });
    for (const replica of replicas) assert.ok(!replica.stderr().includes(postgres.password), "the database password never shows in a log");
  });

  async function startReplica(ledger: string, env: Record<string, string>): Promise<Replica> {
    const child = spawn(process.execPath, [BUILT_SERVER, "--http", "--port", "0"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_LEDGER: ledger, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk;
        const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once("exit", () => reject(new Error(`a replica exited:\n${stderr}`)));
    });
    const client = new Client({ name: "replica-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const replica = { client, child, stderr: () => stderr };
    replicas.push(replica);
    return replica;
  }
  const startReplicas = (count: number, ledger: string, env: Record<string, string>) =>
    Promise.all(Array.from({ length: count }, () => startReplica(ledger, env)));

  /** What the ledger says was settled, folded by the same PaymentBook as the servers; nothing may be left pending. */
  async function settledInLedger(url: string): Promise<bigint> {
    const ledger = new PostgresLedger(url);
    try {
      ledger.ownedBy({ payer: sandbox.info.payerAddress, network: "base-sepolia" });
      const book = await ledger.refresh();
      assert.equal(book.select({ status: "pending" }).length, 0, "nothing left pending");
      return book.select({ status: "settled" }).reduce((sum, payment) => sum + payment.amount, 0n);
    } finally {
      await ledger.close();
    }
  }

  test("kill -9 of a replica mid-payment: the others count it, nothing is paid twice, reconcile releases it once expired", async () => {
    // The API takes the payment and never answers; the authorization lives 10 s.
    const challenge = { x402Version: 1, error: "X-PAYMENT header is required", accepts: [offer({ maxTimeoutSeconds: 10 })] };
    hostile.on("/trading-signals", (_req, res, paid) => {
      if (!paid) json(res, 402, challenge);
    });
    const url = await postgres.newDatabase();
    const settings = { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, TOKEN_METRICS_DAILY_BUDGET: "0.017 USDC" };
    const [doomed, survivor] = await startReplicas(2, url, settings);
    const seen = hostile.paymentHeaders.length;
    void doomed!.client.callTool(signals()).catch(() => undefined);
    for (let i = 0; i < 400 && hostile.paymentHeaders.length === seen; i++) await sleep(25);
    assert.equal(hostile.paymentHeaders.length - seen, 1, "the payment was sent");
    doomed!.child.kill("SIGKILL");
    await new Promise((resolve) => doomed!.child.once("exit", resolve));
    // Its client would otherwise send a cancellation to the dead replica when the call times out.
    await doomed!.client.close();
    assert.deepEqual(
      (await events(url)).map((entry) => entry.event),
      ["offered", "signed"],
    );

    const spending = (await survivor!.client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { totals: { inFlight: { USDC: string } } };
    assert.equal(spending.totals.inFlight.USDC, "0.017", "the other replica counts the payment in flight");
    hostile.on("/trading-signals", (_req, res) => json(res, 402, challenge));
    assert.match(textOf(await survivor!.client.callTool(signals())), /daily budget \(last 24 h\) would be exceeded/);
    assert.equal(hostile.paymentHeaders.length - seen, 1, "nothing was paid twice");

    await advanceChainClock(sandbox.chain.rpcUrl, 10 + EXPIRY_MARGIN_SECONDS + 5);
    const report = (await survivor!.client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as {
      resolved: number;
      stillPending: number;
    };
    assert.deepEqual({ resolved: report.resolved, stillPending: report.stillPending }, { resolved: 1, stillPending: 0 });
    assert.deepEqual(
      (await events(url)).map((entry) => entry.event),
      ["offered", "signed", "offered", "refused", "released"],
    );
  });

  test("100 concurrent paid calls over three replicas with a daily budget for 10: exactly 10 settle on chain and in the ledger", async () => {
    const url = await postgres.newDatabase();
    const three = await startReplicas(3, url, { TOKEN_METRICS_DAILY_BUDGET: "0.17 USDC" });
    const before = await payerUsdc();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => three[i % 3]!.client.callTool(signals())));
    const paid = results.filter((result) => !result.isError);
    assert.equal(
      paid.length,
      10,
      results
        .map(textOf)
        .filter((text) => !/daily budget/.test(text))
        .join("\n"),
    );
    const otherErrors = results.filter((result) => result.isError && !/daily budget \(last 24 h\) would be exceeded/.test(textOf(result)));
    assert.deepEqual(otherErrors.map(textOf), [], "every other call is refused by the daily budget");
    assert.equal(before - (await payerUsdc()), 10n * PRICE, "on chain: exactly 10 payments");
    const rows = await events(url);
    assert.equal(rows.filter((entry) => entry.event === "signed").length, 10);
    assert.equal(rows.filter((entry) => entry.event === "settled").length, 10);
    assert.equal(await settledInLedger(url), 10n * PRICE);
  });

  // Last: it moves the chain's clock past every authorization's window, after which nothing can be paid.
  test("the database stopped mid-run and started again: clear errors, nothing paid unrecorded, recovery without restarting the replicas, ledger = chain", async () => {
    const url = await postgres.newDatabase();
    const three = await startReplicas(3, url, { TOKEN_METRICS_DAILY_BUDGET: "1 USDC" });
    const round = (count: number) => Promise.all(Array.from({ length: count }, (_, i) => three[i % 3]!.client.callTool(signals())));
    const before = await payerUsdc();
    assert.ok((await round(6)).every((result) => !result.isError));

    // Stopped while calls are in flight: each either completes or fails, none pays without a reservation.
    const during = round(15);
    await sleep(100);
    await postgres.halt();
    await during;

    const down = await payerUsdc();
    const failed = await round(3);
    assert.ok(
      failed.every((result) => result.isError),
      "no payment without the ledger",
    );
    for (const result of failed) assert.match(textOf(result), /^Payment not made: the PostgreSQL payment ledger .* Nothing was sent, so nothing was paid\.$/s);
    assert.equal(await payerUsdc(), down, "nothing moved while the database was down");
    for (const replica of three) {
      assert.match(replica.stderr(), /the PostgreSQL payment ledger postgres:\/\/postgres@127\.0\.0\.1:\d+\/ledger_\S+ could not [a-z ]+: /);
    }

    await postgres.restart();
    const recovered = await round(6);
    assert.ok(
      recovered.every((result) => !result.isError),
      recovered.map(textOf).join("\n"),
    );

    // Payments signed around the outage whose outcome was not recorded are settled from the chain:
    // once their authorizations have expired on the chain's clock, reconcile reads each nonce.
    await advanceChainClock(sandbox.chain.rpcUrl, 120 + EXPIRY_MARGIN_SECONDS + 5);
    const report = (await three[0]!.client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as { stillPending: number };
    assert.equal(report.stillPending, 0);
    assert.equal(await settledInLedger(url), before - (await payerUsdc()), "the ledger's settled total is what left the wallet, to the base unit");
  });
});
