import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { readLedger } from "./helpers/ledger.js";
import { connectStdio, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

/** What makes paid calls cheap: paying at a known price with the first request, the cache, joining identical calls. */
describe("fewer round trips and no double payments", () => {
  const world = useSandbox("perf");
  const { payerUsdc } = world;
  const env = (extra: Record<string, string> = {}) => world.env(world.newLedger(), extra);
  const requestsTo = (path: string) => world.sandbox.api.requests.filter((request) => request.path === path);

  test("once the price is known, a paid call is one HTTP request carrying the payment", async () => {
    const { client, close } = await connectStdio(env());
    try {
      const before = await payerUsdc();
      const cold = requestsTo("/v2/tm-grade").length;
      assert.ok(!(await client.callTool({ name: "get_tm_grade", arguments: { token_id: 3375 } })).isError);
      assert.equal(requestsTo("/v2/tm-grade").length - cold, 2, "cold: 402, then paid");
      const known = requestsTo("/v2/tm-grade").length;
      const result = await client.callTool({ name: "get_tm_grade", arguments: { token_id: 3306 } });
      assert.ok(!result.isError, textOf(result));
      const sent = requestsTo("/v2/tm-grade").slice(known);
      assert.equal(sent.length, 1, "at a known price: one request");
      assert.equal(sent[0]!.hasPaymentHeader, true);
      assert.equal(sent[0]!.status, 200);
      assert.equal((result.structuredContent as { payment: { amount: string } }).payment.amount, "0.017");
      assert.equal(before - (await payerUsdc()), 34_000n);
    } finally {
      await close();
    }
  });

  test("an identical call within the TTL is served from cache, unpaid; TOKEN_METRICS_CACHE_TTL=0 turns it off", async () => {
    for (const [ttl, expectCache] of [
      [undefined, true],
      ["0", false],
    ] as const) {
      const { client, close } = await connectStdio(env(ttl === undefined ? {} : { TOKEN_METRICS_CACHE_TTL: ttl }));
      try {
        const args = { name: "get_fundamental_grade", arguments: { token_id: 3375 } };
        await client.callTool(args);
        const before = await payerUsdc();
        const count = requestsTo("/v2/fundamental-grade").length;
        const again = await client.callTool(args);
        assert.ok(!again.isError, textOf(again));
        const structured = again.structuredContent as { reused?: { source: string; fetchedAt: string }; payment?: unknown; note?: string };
        if (expectCache) {
          assert.equal(requestsTo("/v2/fundamental-grade").length, count, "no request");
          assert.equal(await payerUsdc(), before, "no payment");
          assert.equal(structured.reused?.source, "cache");
          assert.ok(Date.parse(structured.reused!.fetchedAt) <= Date.now());
          assert.match(structured.note!, /reused from a cache .*nothing was paid/);
          assert.equal(structured.payment, undefined);
        } else {
          assert.equal(requestsTo("/v2/fundamental-grade").length, count + 1);
          assert.equal(before - (await payerUsdc()), 17_000n);
        }
      } finally {
        await close();
      }
    }
  });

  test("identical concurrent calls cost one payment", async () => {
    const { client, close } = await connectStdio(env());
    try {
      const before = await payerUsdc();
      const results = await Promise.all(Array.from({ length: 8 }, () => client.callTool({ name: "get_quantmetrics", arguments: { token_id: 3306 } })));
      assert.ok(results.every((result) => !result.isError));
      assert.equal(before - (await payerUsdc()), 68_000n, "one payment of 0.068");
      const reused = results.filter((result) => (result.structuredContent as { reused?: { source: string } }).reused?.source === "concurrent call");
      assert.equal(reused.length, 7);
    } finally {
      await close();
    }
  });

  test("a changed price: the payment at the known price is rejected, the call says so, and the next call pays the new price once", async () => {
    const hostile = await startHostileServer();
    let price = "17000";
    hostile.on("/tm-grade", (req, res, paid) => {
      const header = req.headers["x-payment"];
      const value = paid
        ? (JSON.parse(Buffer.from(String(header), "base64").toString()) as { payload: { authorization: { value: string } } }).payload.authorization.value
        : undefined;
      if (value === price) json(res, 200, { success: true, message: "ok", length: 1, data: [{ TOKEN_ID: 3375 }] });
      else json(res, 402, { x402Version: 1, error: paid ? "price changed" : "X-PAYMENT header is required", accepts: [offer({ maxAmountRequired: price })] });
    });
    const ledger = world.newLedger();
    const { client, close } = await connectStdio(world.env(ledger, { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl }));
    try {
      assert.ok(!(await client.callTool({ name: "get_tm_grade", arguments: { token_id: 1 } })).isError);
      assert.equal(hostile.paymentHeaders.length, 1);
      price = "18000";
      const changed = await client.callTool({ name: "get_tm_grade", arguments: { token_id: 2 } });
      assert.match(textOf(changed), /price of \/tm-grade changed.*No second payment is made in one call/);
      assert.equal(hostile.paymentHeaders.length, 2, "one payment in that call");
      const result = await client.callTool({ name: "get_tm_grade", arguments: { token_id: 2 } });
      assert.ok(!result.isError, textOf(result));
      assert.equal((result.structuredContent as { payment: { amount: string } }).payment.amount, "0.018");
      assert.equal(hostile.paymentHeaders.length, 3, "the rejected payment at the known price and the new one");
      const events = (await readLedger(ledger)).map((entry) => entry.event);
      assert.deepEqual(events, ["offered", "signed", "settled", "offered", "signed", "failed", "offered", "signed", "settled"]);
      const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { totals: { inFlight: { USDC: string } } };
      assert.equal(spending.totals.inFlight.USDC, "0.017", "the rejected authorization still counts until it expires");
    } finally {
      await close();
      await hostile.stop();
    }
  });
});
