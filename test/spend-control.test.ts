import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { LedgerEntry } from "../src/payer/entry.js";
import { EXPIRY_MARGIN_SECONDS } from "../src/payer/reconcile.js";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { advanceChainClock } from "./helpers/chain.js";
import { readLedger } from "./helpers/ledger.js";
import { connectStdio, killDuringPayment, rawStdioSession, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const PRICE = 17_000n; // get_trading_signals, 0.017 USDC

// The guarantees hold against a server of each protocol version; the hostile servers speak v1.
for (const x402 of ["v2", "v1"] as const)
  describe(`spend control (${x402} server)`, () => {
    const world = useSandbox("spend", { x402 });
    const { newLedger, payerUsdc, env } = world;
    const signals = (page: number) => ({ name: "get_trading_signals", arguments: { token_id: 3375, limit: 1, page } });

    test("100 concurrent calls with a session budget for 10 pay exactly 10, on-chain", async () => {
      const ledger = newLedger();
      const { client, close } = await connectStdio(env(ledger, { TOKEN_METRICS_SESSION_BUDGET: "0.17 USDC" }));
      try {
        const before = await payerUsdc();
        const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.callTool(signals(i + 1))));
        const paid = results.filter((result) => !result.isError);
        const refused = results.filter((result) => result.isError);
        assert.equal(paid.length, 10);
        assert.ok(refused.every((result) => /session budget would be exceeded.*TOKEN_METRICS_SESSION_BUDGET/.test(textOf(result))));
        assert.equal(before - (await payerUsdc()), 10n * PRICE, "on-chain: exactly 10 payments");
        const entries = await readLedger(ledger);
        assert.equal(entries.filter((entry) => entry.event === "signed").length, 10, "10 signatures");
        assert.equal(entries.filter((entry) => entry.event === "settled").length, 10);
        const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as {
          budgets: { session: { USDC: { left: string; used: string } } };
          totals: { settled: { USDC: string } };
        };
        assert.deepEqual(spending.budgets.session.USDC, { limit: "0.17", used: "0.17", left: "0" });
        assert.equal(spending.totals.settled.USDC, "0.17");
      } finally {
        await close();
      }
    });

    test("two processes sharing a ledger never exceed the daily budget together; a restart keeps it", async () => {
      const ledger = newLedger();
      const settings = env(ledger, { TOKEN_METRICS_DAILY_BUDGET: "0.102 USDC" }); // 6 calls
      const [a, b] = await Promise.all([connectStdio(settings), connectStdio(settings)]);
      try {
        const before = await payerUsdc();
        const first = await Promise.all(Array.from({ length: 4 }, (_, i) => a.client.callTool(signals(i + 1))));
        assert.ok(
          first.every((result) => !result.isError),
          "A pays 4 of the 6",
        );
        const results = await Promise.all([
          ...Array.from({ length: 20 }, (_, i) => a.client.callTool(signals(i + 5))),
          ...Array.from({ length: 20 }, (_, i) => b.client.callTool(signals(i + 25))),
        ]);
        assert.equal(results.filter((result) => !result.isError).length, 2, "together only 2 more");
        assert.ok(
          results.slice(20).some((result) => /daily budget \(last 24 h\) would be exceeded/.test(textOf(result))),
          "B sees A's spending",
        );
        assert.equal(before - (await payerUsdc()), 6n * PRICE);
        assert.equal((await readLedger(ledger)).filter((entry) => entry.event === "settled").length, 6);
      } finally {
        await a.close();
        await b.close();
      }
      const restarted = await connectStdio(settings);
      try {
        const result = await restarted.client.callTool(signals(99));
        assert.equal(result.isError, true);
        assert.match(textOf(result), /daily budget \(last 24 h\) would be exceeded: 0\.102 USDC of 0\.102 USDC/);
      } finally {
        await restarted.close();
      }
    });

    describe("approval above TOKEN_METRICS_CONFIRM_ABOVE", () => {
      async function elicitingClient(ledger: string, answer: "accept" | "decline") {
        const questions: string[] = [];
        const { client, close } = await connectStdio(env(ledger, { TOKEN_METRICS_CONFIRM_ABOVE: "0.02 USDC" }), [], { capabilities: { elicitation: {} } });
        client.setRequestHandler(ElicitRequestSchema, async (request) => {
          questions.push(request.params.message);
          return answer === "accept" ? { action: "accept", content: { approve: true } } : { action: "decline" };
        });
        return { client, close, questions };
      }

      test("accepted: paid after asking; below the threshold: paid without asking", async () => {
        const { client, close, questions } = await elicitingClient(newLedger(), "accept");
        try {
          const before = await payerUsdc();
          const expensive = await client.callTool({ name: "get_market_metrics", arguments: {} }); // 0.034
          assert.ok(!expensive.isError, textOf(expensive));
          assert.equal(questions.length, 1);
          assert.match(questions[0]!, /Pay 0\.034 USDC .*\/market-metrics/);
          const cheap = await client.callTool(signals(1)); // 0.017
          assert.ok(!cheap.isError, textOf(cheap));
          assert.equal(questions.length, 1, "no question below the threshold");
          assert.equal(before - (await payerUsdc()), 34_000n + PRICE);
        } finally {
          await close();
        }
      });

      test("declined: nothing signed", async () => {
        const ledger = newLedger();
        const { client, close, questions } = await elicitingClient(ledger, "decline");
        try {
          const headers = world.sandbox.api.requests.filter((request) => request.hasPaymentHeader).length;
          const result = await client.callTool({ name: "get_market_metrics", arguments: {} });
          assert.equal(result.isError, true);
          assert.match(textOf(result), /declined by the user/);
          assert.equal(questions.length, 1);
          assert.equal(world.sandbox.api.requests.filter((request) => request.hasPaymentHeader).length, headers);
          assert.deepEqual(
            (await readLedger(ledger)).map((entry) => entry.event),
            ["refused"],
          );
        } finally {
          await close();
        }
      });

      test("a client without elicitation is refused with how to raise the threshold", async () => {
        const { client, close } = await connectStdio(env(newLedger(), { TOKEN_METRICS_CONFIRM_ABOVE: "0.02 USDC" }));
        try {
          const result = await client.callTool({ name: "get_market_metrics", arguments: {} });
          assert.equal(result.isError, true);
          assert.match(textOf(result), /cannot ask you to approve payments\. Raise TOKEN_METRICS_CONFIRM_ABOVE \(e\.g\. "0\.034 USDC"\)/);
        } finally {
          await close();
        }
      });
    });

    test("progress notifications arrive in order, before the paid call's result", async () => {
      // Raw JSON-RPC: the SDK client dispatches notifications a tick later than responses, so it
      // can drop a last progress message that the server did send in time.
      const { lines } = await rawStdioSession(
        env(newLedger()),
        [
          { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } },
          { jsonrpc: "2.0", method: "notifications/initialized" },
          { jsonrpc: "2.0", id: 2, method: "tools/call", params: { ...signals(1), _meta: { progressToken: "paid-call" } } },
        ],
        2,
      );
      const messages = lines.map((line) => JSON.parse(line) as { id?: number; method?: string; params?: { progress: number; total: number; message: string } });
      const resultAt = messages.findIndex((message) => message.id === 2);
      const steps = messages
        .slice(0, resultAt)
        .filter((message) => message.method === "notifications/progress")
        .map((message) => `${message.params!.progress}/${message.params!.total} ${message.params!.message}`);
      assert.equal(steps.length, 3, steps.join(" | "));
      assert.match(steps[0]!, /^1\/3 payment challenge received/);
      assert.match(steps[1]!, /^2\/3 signed 0\.017 USDC/);
      assert.match(steps[2]!, /^3\/3 settled, transaction 0x[0-9a-f]{64}/);
    });

    test("reconciliation matches the chain, and catches a ledger that lies", async () => {
      const ledger = newLedger();
      const { client, close } = await connectStdio(env(ledger));
      try {
        await client.callTool(signals(1));
        await client.callTool(signals(2));
        const clean = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as {
          checked: number;
          matching: number;
          differences: unknown[];
        };
        assert.equal(clean.checked, 2);
        assert.equal(clean.matching, 2);
        assert.deepEqual(clean.differences, []);
        // A settled line for an authorization the chain never saw.
        const forged = {
          ...(await readLedger(ledger)).find((entry) => entry.event === "signed")!,
          call: "forged",
          nonce: `0x${"ab".repeat(32)}`,
          ts: new Date().toISOString(),
        };
        const { appendFile } = await import("node:fs/promises");
        await appendFile(
          ledger,
          `${JSON.stringify({ ...forged, event: "signed" })}\n${JSON.stringify({ ...forged, event: "settled", transaction: "0x" + "00".repeat(32) })}\n`,
        );
        const report = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as {
          differences: Array<{ call: string; problem: string }>;
        };
        assert.deepEqual(
          report.differences.map((difference) => difference.call),
          ["forged"],
        );
        assert.match(report.differences[0]!.problem, /settled, but the authorization is unused on-chain/);
      } finally {
        await close();
      }
    });

    describe("a hostile x402 server", { skip: x402 === "v1" && "the hostile servers are the same for both runs" }, () => {
      let hostile: Awaited<ReturnType<typeof startHostileServer>>;
      before(async () => {
        hostile = await startHostileServer();
      });
      after(() => hostile.stop());

      const challenge = (...offers: object[]) => ({ x402Version: 1, error: "X-PAYMENT header is required", accepts: offers });
      const cases: Array<[string, (res: import("node:http").ServerResponse, paid: boolean) => void, RegExp, number]> = [
        ["a huge amount", (res) => json(res, 402, challenge(offer({ maxAmountRequired: "1000000000000" }))), /above the per-call maximum/, 0],
        ["another network", (res) => json(res, 402, challenge(offer({ network: "base" }))), /network "base"/, 0],
        [
          "an unknown asset",
          (res) => json(res, 402, challenge(offer({ asset: "0x1111111111111111111111111111111111111111" }))),
          /not a known USDC or TMAI contract/,
          0,
        ],
        ["an unknown scheme", (res) => json(res, 402, challenge(offer({ scheme: "upto" }))), /scheme "upto" is not supported/, 0],
        [
          "a payee outside the allow-list",
          (res) => json(res, 402, challenge(offer({ payTo: "0x2222222222222222222222222222222222222222" }))),
          /not in TOKEN_METRICS_PAYEES/,
          0,
        ],
        [
          "a body that is not JSON",
          (res) => res.writeHead(402, { "content-type": "application/json" }).end("<html>pay me</html>"),
          /not a JSON x402 challenge/,
          0,
        ],
        ["a body without offers", (res) => json(res, 402, { x402Version: 1, error: "pay" }), /lists no payment options/, 0],
        ["a gigantic body", (res) => json(res, 402, { ...challenge(offer()), padding: "x".repeat(5_000_000) }), /too large to be a payment challenge/, 0],
        [
          "a v2 challenge without offers",
          (res) => json(res, 402, {}, { "PAYMENT-REQUIRED": Buffer.from(JSON.stringify({ x402Version: 2, accepts: [] })).toString("base64") }),
          /no valid payment offer/,
          0,
        ],
        [
          "a redirect to another host",
          (res) => res.writeHead(302, { location: "http://198.51.100.7/v2/trading-signals" }).end(),
          /redirect .* not followed/,
          0,
        ],
        ["a 402 again after payment", (res) => json(res, 402, challenge(offer())), /did not accept the payment of 0\.017 USDC.*No second payment/, 1],
      ];
      for (const [name, behaviour, expected, signatures] of cases) {
        test(`${name}: clear error, ${signatures} signature(s)`, async () => {
          hostile.on("/trading-signals", (_req, res, paid) => behaviour(res, paid));
          const seen = hostile.paymentHeaders.length;
          const { client, close } = await connectStdio(
            env(newLedger(), { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, TOKEN_METRICS_PAYEES: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" }),
          );
          try {
            const result = await client.callTool(signals(1));
            assert.equal(result.isError, true);
            assert.match(textOf(result), expected);
            assert.equal(hostile.paymentHeaders.length - seen, signatures);
          } finally {
            await close();
          }
        });
      }

      test("an enormous maxTimeoutSeconds is bounded to 120 s in what we sign", async () => {
        hostile.on("/trading-signals", (_req, res, paid) =>
          paid ? json(res, 200, { success: true, message: "ok", length: 0, data: [] }) : json(res, 402, challenge(offer({ maxTimeoutSeconds: 315_360_000 }))),
        );
        const seen = hostile.paymentHeaders.length;
        const { client, close } = await connectStdio(env(newLedger(), { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl }));
        try {
          const signedAt = Math.floor(Date.now() / 1000);
          const result = await client.callTool(signals(1));
          assert.ok(!result.isError, textOf(result));
          assert.equal(hostile.paymentHeaders.length - seen, 1);
          const returnedAt = Math.ceil(Date.now() / 1000);
          const payload = JSON.parse(Buffer.from(hostile.paymentHeaders.at(-1)!, "base64").toString()) as {
            payload: { authorization: { validBefore: string } };
          };
          const validBefore = Number(payload.payload.authorization.validBefore);
          assert.ok(validBefore <= returnedAt + 120 && validBefore >= signedAt + 110, `validity window ends ${validBefore - signedAt} s after the call began`);
        } finally {
          await close();
        }
      });

      test("kill -9 during a paid call: the ledger stays valid, the restart counts the payment in flight, nothing is paid twice", async () => {
        // The server takes the payment and never answers; its authorization lives 10 s.
        hostile.on("/trading-signals", (_req, res, paid) => {
          if (!paid) json(res, 402, challenge(offer({ maxTimeoutSeconds: 10 })));
        });
        const ledger = newLedger();
        const settings = env(ledger, { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, TOKEN_METRICS_DAILY_BUDGET: "0.017 USDC" });
        const seen = hostile.paymentHeaders.length;
        await killDuringPayment({ HOME: world.dir, ...settings }, signals(1), () => hostile.paymentHeaders.length > seen);
        assert.equal(hostile.paymentHeaders.length - seen, 1, "the payment was sent");

        const text = await readFile(ledger, "utf8");
        assert.ok(text.endsWith("\n"));
        const events = text
          .trim()
          .split("\n")
          .map((line) => (JSON.parse(line) as LedgerEntry).event);
        assert.deepEqual(events, ["offered", "signed"]);

        const { client, close } = await connectStdio(settings);
        try {
          const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { totals: { inFlight: { USDC: string } } };
          assert.equal(spending.totals.inFlight.USDC, "0.017", "the in-flight payment counts");
          hostile.on("/trading-signals", (_req, res) => json(res, 402, challenge(offer({ maxTimeoutSeconds: 10 }))));
          const refused = await client.callTool(signals(2));
          assert.match(textOf(refused), /daily budget \(last 24 h\) would be exceeded/);
          assert.equal(hostile.paymentHeaders.length - seen, 1, "nothing was paid twice");

          // Once the chain's own clock is past the authorization's validBefore (plus the margin) and it
          // is unused, its budget comes back. The chain's clock is moved, not waited for.
          await advanceChainClock(world.sandbox.chain.rpcUrl, 10 + EXPIRY_MARGIN_SECONDS + 5);
          const report = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as { resolved: number; stillPending: number };
          assert.equal(report.resolved, 1);
          assert.equal(report.stillPending, 0);
          const spendingAfter = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as {
            totals: { inFlight: Record<string, string> };
          };
          assert.deepEqual(spendingAfter.totals.inFlight, {});
        } finally {
          await close();
        }
      });
    });
  });
