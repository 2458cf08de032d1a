/**
 * The money side of trust: per-client budgets over authenticated HTTP, the kill switch, the
 * circuit breaker and the approval wait, against the sandbox chain and the built server.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Address } from "viem";
import { loadConfig } from "../src/config.js";
import { startHttpServer } from "../src/http.js";
import { createServices } from "../src/server.js";
import { settleOnChain, settlementHeader } from "./helpers/chain.js";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { readLedger } from "./helpers/ledger.js";
import { BUILT_SERVER, connectStdio, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const PRICE = 17_000n;
const signals = (page: number) => ({ name: "get_trading_signals", arguments: { token_id: 3375, limit: 1, page } });
const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";

describe("trust: money controls", { timeout: 180_000 }, () => {
  const world = useSandbox("trust-money");
  const { newLedger, payerUsdc, env } = world;
  let hostile: Awaited<ReturnType<typeof startHostileServer>>;
  const paymentHeadersSeen = () => world.sandbox.api.requests.filter((request) => request.hasPaymentHeader).length;

  before(async () => {
    hostile = await startHostileServer();
  });
  after(() => hostile.stop());

  test("two HTTP clients with their own daily budgets, calling at once, each stop exactly at theirs", async () => {
    const ledger = newLedger();
    const config = loadConfig(
      env(ledger, { TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE},bob:${BOB}`, TOKEN_METRICS_CLIENT_BUDGETS: "alice:0.051 USDC, bob:0.034 USDC" }),
      ["--http", "--port", "0"],
    );
    const server = await startHttpServer(createServices(config), config.http!);
    const connect = async (token: string) => {
      const client = new Client({ name: "budget-test", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return client;
    };
    const [alice, bob] = await Promise.all([connect(ALICE), connect(BOB)]);
    try {
      const before = await payerUsdc();
      const [aliceResults, bobResults] = await Promise.all([
        Promise.all(Array.from({ length: 8 }, (_, i) => alice.callTool(signals(i + 1)))),
        Promise.all(Array.from({ length: 8 }, (_, i) => bob.callTool(signals(i + 101)))),
      ]);
      assert.equal(aliceResults.filter((result) => !result.isError).length, 3, "alice: 3 × 0.017");
      assert.equal(bobResults.filter((result) => !result.isError).length, 2, "bob: 2 × 0.017");
      assert.match(
        textOf(bobResults.find((result) => result.isError)),
        /daily budget of client "bob" \(last 24 h\) would be exceeded.*TOKEN_METRICS_CLIENT_BUDGETS/,
      );
      assert.equal(before - (await payerUsdc()), 5n * PRICE, "on-chain: exactly both budgets");
      const signed = (await readLedger(ledger)).filter((entry) => entry.event === "signed");
      assert.deepEqual(signed.map((entry) => entry.client).sort(), ["alice", "alice", "alice", "bob", "bob"]);
      const spending = (await alice.callTool({ name: "get_spending", arguments: {} })).structuredContent as {
        budgets: { client: { name: string; USDC: { used: string; left: string } } };
      };
      assert.deepEqual(spending.budgets.client, { name: "alice", USDC: { limit: "0.051", used: "0.051", left: "0" } });
    } finally {
      await Promise.all([alice.close(), bob.close()]);
      await server.close();
    }
  });

  test("a budget for a client nobody can authenticate as is a configuration error", () => {
    assert.throws(
      () => loadConfig({ TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE}`, TOKEN_METRICS_CLIENT_BUDGETS: "alcie:1 USDC" }),
      /TOKEN_METRICS_CLIENT_BUDGETS names alcie, which no client can authenticate as/,
    );
    assert.throws(
      () => loadConfig({ TOKEN_METRICS_CLIENT_BUDGETS: "alice=1 USDC" }),
      /TOKEN_METRICS_CLIENT_BUDGETS: "alice=1 USDC" is not "<client>:<amount> <asset>"/,
    );
  });

  test("pause from another process stops the next payment without a restart; only resume lifts it", async () => {
    const ledger = newLedger();
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [BUILT_SERVER, ...args], { env: { PATH: process.env.PATH ?? "", TOKEN_METRICS_LEDGER: ledger } });
    const { client, close } = await connectStdio(env(ledger));
    try {
      assert.ok(!(await client.callTool(signals(1))).isError);
      const paused = await cli("pause", "--reason", "end of the trial");
      assert.match(paused.stdout, /Payments paused for every server using .*end of the trial/);
      const seen = paymentHeadersSeen();
      const refused = await client.callTool(signals(2));
      assert.equal(refused.isError, true);
      assert.match(
        textOf(refused),
        /payments are paused \(since .*\): end of the trial\. A person can resume them with "token-metrics-x402-mcp resume"; no tool can/,
      );
      assert.equal(paymentHeadersSeen(), seen, "nothing was paid");
      const status = (await client.callTool({ name: "get_wallet_status", arguments: {} })).structuredContent as { paused: { paused: boolean; reason: string } };
      assert.deepEqual([status.paused.paused, status.paused.reason], [true, "end of the trial"]);
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(!tools.some((name) => /resume|pause/.test(name)), "no tool can lift it");

      await cli("resume");
      assert.ok(!(await client.callTool(signals(3))).isError, "paid again after resume");
      assert.equal(paymentHeadersSeen(), seen + 1);

      await writeFile(`${ledger}.pause`, "{not json");
      const unreadable = await client.callTool(signals(4));
      assert.match(textOf(unreadable), /the pause file .*\.pause is not valid JSON/);
    } finally {
      await close();
    }
  });

  test("the circuit breaker stops paying after N paid calls in a row that returned no data", async () => {
    const headers: string[] = [];
    hostile.on("/trading-signals", async (req, res, paid) => {
      if (!paid) return json(res, 402, { x402Version: 1, error: "pay", accepts: [offer()] });
      const header = req.headers["x-payment"] as string;
      headers.push(header);
      const transaction = await settleOnChain(world.sandbox.chain.rpcUrl, world.sandbox.chain.usdc, header);
      json(res, 500, { message: "upstream broken" }, { "X-PAYMENT-RESPONSE": settlementHeader(transaction, world.sandbox.info.payerAddress as Address) });
    });
    const { client, close } = await connectStdio(env(newLedger(), { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, TOKEN_METRICS_BREAKER_FAILURES: "2" }));
    try {
      const before = await payerUsdc();
      for (let page = 1; page <= 5; page++) await client.callTool(signals(page));
      assert.equal(headers.length, 2, "two payments, then the breaker");
      const opened = await client.callTool(signals(6));
      assert.match(textOf(opened), /the last 2 paid calls in a row returned no data, so payments are paused for \d+ s more/);
      assert.equal(before - (await payerUsdc()), 2n * PRICE);
    } finally {
      await close();
    }
  });

  describe("approval time is not API time", () => {
    async function slowApprover(ledger: string, answerAfterMs: number, extra: Record<string, string>) {
      const { client, close } = await connectStdio(env(ledger, { TOKEN_METRICS_CONFIRM_ABOVE: "0.01 USDC", TOKEN_METRICS_TIMEOUT_MS: "4000", ...extra }), [], {
        capabilities: { elicitation: {} },
      });
      client.setRequestHandler(ElicitRequestSchema, async () => {
        await sleep(answerAfterMs);
        return { action: "accept", content: { approve: true } };
      });
      return { client, close };
    }

    test("an approval that takes longer than the API's time limit is honoured", async () => {
      const { client, close } = await slowApprover(newLedger(), 5_000, {});
      try {
        const before = await payerUsdc();
        const result = await client.callTool(signals(1));
        assert.ok(!result.isError, textOf(result));
        assert.equal(before - (await payerUsdc()), PRICE);
      } finally {
        await close();
      }
    });

    test("the wait for an answer has its own limit, TOKEN_METRICS_APPROVAL_TIMEOUT_MS", async () => {
      const ledger = newLedger();
      const { client, close } = await slowApprover(ledger, 8_000, { TOKEN_METRICS_APPROVAL_TIMEOUT_MS: "6000" });
      try {
        const seen = paymentHeadersSeen();
        const result = await client.callTool(signals(2), undefined, { timeout: 30_000 });
        assert.match(textOf(result), /no answer within TOKEN_METRICS_APPROVAL_TIMEOUT_MS \(6 s\)/);
        assert.equal(paymentHeadersSeen(), seen);
        assert.deepEqual(
          (await readLedger(ledger)).map((entry) => entry.event),
          ["refused"],
        );
      } finally {
        await close();
      }
    });
  });
});
