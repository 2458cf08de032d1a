import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { exampleArgs } from "../src/catalog/index.js";
import { SANDBOX_API_KEY } from "../sandbox/index.js";
import { startTokenMetricsApi, type TokenMetricsApi } from "../sandbox/tm-api.js";
import { ALL_TOOLS_COUNT, connectInMemory, textOf } from "./helpers/mcp.js";

/** API-key mode against the Token Metrics look-alike: no chain needed. */
describe("API-key mode", () => {
  let api: TokenMetricsApi;
  let client: Client;
  let close: () => Promise<unknown>;
  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

  before(async () => {
    api = await startTokenMetricsApi({ apiKeys: [SANDBOX_API_KEY] });
    // Cache off: these tests count requests and consume injected faults.
    ({ client, close } = await connectInMemory({
      TOKEN_METRICS_API_BASE_URL: api.baseUrl,
      TOKEN_METRICS_API_KEY: SANDBOX_API_KEY,
      TOKEN_METRICS_CACHE_TTL: "0",
    }));
  });
  after(async () => {
    await close();
    await api.stop();
  });

  test("every catalog tool returns sandbox data", async () => {
    const indices = await call("get_indices", {});
    const indexId = (indices.structuredContent as { data: Array<{ ID: number }> }).data[0]!.ID;
    const examples = exampleArgs({ indexId });
    for (const [name, args] of Object.entries(examples)) {
      const result = await call(name, args);
      assert.ok(!result.isError, `${name}: ${textOf(result)}`);
      const structured = result.structuredContent as { data?: unknown[]; answer?: string };
      if (name === "ask_tmai") assert.ok((structured.answer ?? "").length > 20, "ask_tmai answers in text");
      else assert.ok(structured.data && structured.data.length > 0, `${name} returned no rows`);
      assert.ok(textOf(result).length <= 20_000, `${name} result is ${textOf(result).length} chars`);
      assert.deepEqual(JSON.parse(textOf(result)), structured, `${name}: text and structuredContent agree`);
    }
  });

  test("requests carry the API key and the real parameter names, never the x402 header", async () => {
    const before = api.requests.length;
    await call("get_trading_signals", { token_id: 3375, startDate: "2026-11-01", endDate: "2026-11-05", signal: 1, limit: 7 });
    const sent = api.requests.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.path, "/v2/trading-signals");
    assert.deepEqual(sent[0]!.query, { endDate: "2026-11-05", limit: "7", signal: "1", startDate: "2026-11-01", token_id: "3375" });
    assert.equal(sent[0]!.hasApiKey, true);
    assert.equal(sent[0]!.hasX402Header, false);
  });

  test("numbers sent as numeric strings are accepted and sent as numbers; anything else is still refused", async () => {
    const before = api.requests.length;
    const result = await call("get_trading_signals", { token_id: 3375, signal: "1", limit: "3", page: "2", marketcap: "1000.5" });
    assert.ok(!result.isError, textOf(result));
    assert.deepEqual(api.requests.slice(before)[0]!.query, { limit: "3", marketcap: "1000.5", page: "2", signal: "1", token_id: "3375" });
    assert.equal((result.structuredContent as { page: unknown }).page, 2);
    assert.ok(!(await call("get_top_market_cap_tokens", { top_k: "5" })).isError);
    for (const args of [{ limit: "3 rows" }, { limit: "300" }, { limit: "2.5" }, { page: "-1" }, { signal: "2" }]) {
      const refused = await call("get_trading_signals", { token_id: 3375, ...args });
      assert.equal(refused.isError, true, JSON.stringify(args));
    }
    assert.equal(api.requests.length, before + 2, "refused arguments send nothing");
  });

  test("filters and row limits reach the data", async () => {
    const result = await call("get_daily_ohlcv", { token_id: 3375, startDate: "2026-11-01", endDate: "2026-11-07" });
    const rows = (result.structuredContent as { data: Array<Record<string, unknown>> }).data;
    assert.equal(rows.length, 7);
    assert.ok(rows.every((row) => row.TOKEN_ID === 3375));
    const limited = await call("get_tokens", { limit: 3, fields: ["token_symbol", "TOKEN_ID", "NOPE"] });
    const structured = limited.structuredContent as { data: Array<Record<string, unknown>>; note: string };
    assert.equal(structured.data.length, 3);
    assert.deepEqual(Object.keys(structured.data[0]!).sort(), ["TOKEN_ID", "TOKEN_SYMBOL"]);
    assert.match(structured.note, /Unknown fields ignored: NOPE/);
  });

  test("long results are cut to a model-sized answer with a note", async () => {
    const result = await call("get_ai_reports", { limit: 20 });
    const text = textOf(result);
    assert.ok(text.length <= 16_000, `${text.length} chars`);
    assert.match((result.structuredContent as { note: string }).note, /cut|Showing \d+ of 20 rows/);
  });

  for (const [name, args, field] of [
    ["get_trading_signals", { signal: 2 }, "signal"],
    ["get_trading_signals", { limit: 500 }, "limit"],
    ["get_trading_signals", { page: 0 }, "page"],
    ["get_trading_signals", { token_id: "3375; DROP TABLE tokens" }, "token_id"],
    ["get_trading_signals", { symbol: "BTC' OR 1=1 --" }, "symbol"],
    ["get_trading_signals", { symbol: "B".repeat(5000) }, "symbol"],
    ["get_trading_signals", { startDate: "2026-13-45" }, "startDate"],
    ["get_trading_signals", { startDate: "2026-11-10", endDate: "2026-11-01" }, "endDate"],
    ["get_trading_signals", { tokenId: 3375 }, "tokenId"],
    ["get_price", {}, "token_id"],
    ["get_indices", { indicesType: "hedge" }, "indicesType"],
    ["get_indices_holdings", { id: "one" }, "id"],
    ["get_moonshot_tokens", { type: "future" }, "type"],
    ["ask_tmai", { question: 42 }, "question"],
  ] as const) {
    test(`bad input to ${name} (${JSON.stringify(args).slice(0, 60)}) is an error naming ${field}, with no request`, async () => {
      const before = api.requests.length;
      const result = await call(name, args);
      assert.equal(result.isError, true);
      assert.match(textOf(result), new RegExp(field));
      assert.equal(api.requests.length, before, "nothing reached the API");
    });
  }

  test("429 and 5xx are retried, honouring Retry-After", async () => {
    const before = api.requests.length;
    api.injectFaults([
      { status: 429, retryAfterSeconds: 0 },
      { status: 503, retryAfterSeconds: 0 },
    ]);
    const result = await call("get_price", { token_id: 3375 });
    assert.ok(!result.isError, textOf(result));
    assert.equal(api.requests.length - before, 3);
  });

  test("the default backoff waits about a second before the first retry", async () => {
    api.injectFaults([{ status: 502 }]);
    const started = Date.now();
    const result = await call("get_price", { token_id: 3375 });
    assert.ok(!result.isError, textOf(result));
    assert.ok(Date.now() - started >= 950, "waited for the backoff");
  });

  test("persistent 5xx gives up after 4 attempts with a clear message", async () => {
    const before = api.requests.length;
    api.injectFaults(Array.from({ length: 4 }, () => ({ status: 500, retryAfterSeconds: 0 })));
    const result = await call("get_price", { token_id: 3375 });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /server error \(500\) after 4 attempts/);
    assert.equal(api.requests.length - before, 4);
  });

  test("a long Retry-After is not waited for: the message says to wait", async () => {
    api.injectFaults([{ status: 429, retryAfterSeconds: 120 }]);
    const result = await call("get_price", { token_id: 3375 });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /rate limiting \(429\).*Wait/);
  });

  test("a slow answer ends in a timeout error", async () => {
    const { client: impatient, close: closeImpatient } = await connectInMemory({
      TOKEN_METRICS_API_BASE_URL: api.baseUrl,
      TOKEN_METRICS_API_KEY: SANDBOX_API_KEY,
      TOKEN_METRICS_TIMEOUT_MS: "1000",
    });
    api.injectFaults([{ status: 200, delayMs: 1_500 }]);
    const result = await impatient.callTool({ name: "get_price", arguments: { token_id: 3375 } });
    await closeImpatient();
    assert.equal(result.isError, true);
    assert.match(textOf(result), /did not answer within 1 s.*TOKEN_METRICS_TIMEOUT_MS/);
  });

  test("a rejected key says which variable to fix and never shows the key", async () => {
    const { client: wrong, close: closeWrong } = await connectInMemory({
      TOKEN_METRICS_API_BASE_URL: api.baseUrl,
      TOKEN_METRICS_API_KEY: "tm-wrong-key-1234",
    });
    const result = await wrong.callTool({ name: "get_price", arguments: { token_id: 3375 } });
    await closeWrong();
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\(401\).*TOKEN_METRICS_API_KEY/);
    assert.ok(!textOf(result).includes("tm-wrong-key-1234"));
  });

  test("an unreachable API is said in words, without the library's text", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const { client: lost, close: closeLost } = await connectInMemory({
      TOKEN_METRICS_API_BASE_URL: `http://127.0.0.1:${port}/v2`,
      TOKEN_METRICS_API_KEY: SANDBOX_API_KEY,
    });
    const result = await lost.callTool({ name: "get_price", arguments: { token_id: 3375 } });
    await closeLost();
    assert.equal(result.isError, true);
    assert.equal(textOf(result), `Could not reach 127.0.0.1:${port}: the connection was refused. Check the network and TOKEN_METRICS_API_BASE_URL.`);
  });

  test("no credentials: tools/list works and a paid call gives its price and how to configure, without a request", async () => {
    const { client: bare, close: closeBare } = await connectInMemory({ TOKEN_METRICS_API_BASE_URL: api.baseUrl });
    const before = api.requests.length;
    assert.equal((await bare.listTools()).tools.length, ALL_TOOLS_COUNT);
    const result = await bare.callTool({ name: "get_tm_grade", arguments: { token_id: 3375 } });
    await closeBare();
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\$0\.017.*TOKEN_METRICS_PRIVATE_KEY.*TOKEN_METRICS_API_KEY/);
    assert.equal(api.requests.length, before);
  });
});
