import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { RequestHandler } from "express";
import { paymentMiddleware } from "x402-express";
import { CATALOG } from "../src/catalog/index.js";
import { DATA_PATHS } from "../sandbox/fixtures/index.js";
import { startTokenMetricsApi, type TokenMetricsApi } from "../sandbox/tm-api.js";

const KEY = "tm-test-1111-2222-3333-444444444444";
const AUTH = { "x-api-key": KEY };

interface Envelope {
  success: boolean;
  message: string;
  length: number;
  data: Array<Record<string, unknown>>;
}

async function call(api: TokenMetricsApi, path: string, query: Record<string, string> = {}, headers: Record<string, string> = AUTH) {
  const url = `${api.baseUrl}${path}?${new URLSearchParams(query).toString()}`;
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Envelope & Record<string, unknown> };
}

/** Minimal valid queries for endpoints with required parameters. */
const REQUIRED: Record<string, Record<string, string>> = {
  "/price": { token_id: "3375,3306" },
  "/hourly-trading-signals": { token_id: "3375" },
  "/tm-grade": { token_id: "3375" },
  "/tm-grade-history": { token_id: "3375" },
  "/resistance-support": { symbol: "BTC" },
  "/indices-holdings": { id: "1" },
  "/indices-performance": { id: "1" },
};

const T = ["TOKEN_ID", "TOKEN_NAME", "TOKEN_SYMBOL"];
const LISTING = [...T, "EXCHANGE_LIST", "CATEGORY_LIST", "TM_LINK"];
const OHLCV = [...T, "TIMESTAMP", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME"];
const TM_GRADE = [
  ...T,
  "FUNDAMENTAL_GRADE",
  "TM_GRADE",
  "TM_GRADE_24h_PCT_CHANGE",
  "TM_TRADER_GRADE_24H_CHANGE",
  "FUNDAMENTAL_GRADE_CLASS",
  "TM_GRADE_SIGNAL",
  "MOMENTUM",
  "QUANT_GRADE",
];
const FUNDAMENTAL = [
  ...T,
  "FUNDAMENTAL_GRADE",
  "FUNDAMENTAL_GRADE_CLASS",
  "COMMUNITY_SCORE",
  "EXCHANGE_SCORE",
  "VC_SCORE",
  "TOKENOMICS_SCORE",
  "DEFI_SCANNER_SCORE",
];
const TECHNOLOGY = [...T, "DATE", "TECHNOLOGY_GRADE", "ACTIVITY_SCORE", "SECURITY_SCORE", "REPOSITORY_SCORE", "COLLABORATION_SCORE", "DEFI_SCANNER_SCORE"];
const SENTIMENT = ["MARKET", "NEWS", "REDDIT", "TWITTER"].flatMap((c) => [
  `${c}_SENTIMENT_GRADE`,
  `${c}_SENTIMENT_LABEL`,
  ...(c === "MARKET" ? [] : [`${c}_SUMMARY`]),
]);

/** The exact field names of shared/token-metrics-api.md §2.2. */
const FIELDS: Record<string, string[]> = {
  "/tokens": LISTING,
  "/top-market-cap-tokens": LISTING,
  "/price": [...T, "CURRENT_PRICE"],
  "/hourly-ohlcv": OHLCV,
  "/daily-ohlcv": OHLCV,
  "/trading-signals": [
    ...T,
    "DATE",
    "TRADING_SIGNAL",
    "TOKEN_TREND",
    "TRADING_SIGNALS_RETURNS",
    "HOLDING_RETURNS",
    "tm_link",
    "TM_TRADER_GRADE",
    "TM_INVESTOR_GRADE",
    "TM_LINK",
  ],
  "/hourly-trading-signals": ["TIMESTAMP", ...T, "CLOSE", "SIGNAL", "POSITION"],
  "/trader-grades": [...T, "DATE", "TA_GRADE", "QUANT_GRADE", "TM_TRADER_GRADE", "TM_TRADER_GRADE_24H_PCT_CHANGE"],
  "/investor-grades": [
    ...T,
    "DATE",
    "TM_INVESTOR_GRADE",
    "TM_INVESTOR_GRADE_7D_PCT_CHANGE",
    "FUNDAMENTAL_GRADE",
    "TECHNOLOGY_GRADE",
    "VALUATION_GRADE",
    "DEFI_USAGE_SCORE",
    "COMMUNITY_SCORE",
    "EXCHANGE_SCORE",
    "VC_SCORE",
    "TOKENOMICS_SCORE",
    "DEFI_SCANNER_SCORE",
    "ACTIVITY_SCORE",
    "SECURITY_SCORE",
    "REPOSITORY_SCORE",
    "COLLABORATION_SCORE",
  ],
  "/tm-grade": TM_GRADE,
  "/tm-grade-history": [...TM_GRADE, "DATE"],
  "/fundamental-grade": FUNDAMENTAL,
  "/fundamental-grade-history": [...FUNDAMENTAL, "DATE"],
  "/technology-grade": TECHNOLOGY,
  "/technology-grade-history": TECHNOLOGY,
  "/market-metrics": ["DATE", "TOTAL_CRYPTO_MCAP", "TM_GRADE_PERC_HIGH_COINS", "TM_GRADE_SIGNAL", "LAST_TM_GRADE_SIGNAL"],
  "/sentiments": ["DATETIME", ...SENTIMENT],
  "/ai-reports": [...T, "INVESTMENT_ANALYSIS_POINTER", "INVESTMENT_ANALYSIS", "DEEP_DIVE", "CODE_REVIEW"],
  "/crypto-investors": ["INVESTOR_NAME", "INVESTOR_WEBSITE", "INVESTOR_TWITTER", "ROUND_COUNT", "ROI_AVERAGE", "ROI_MEDIAN"],
  "/resistance-support": [...T, "DATE", "HISTORICAL_RESISTANCE_SUPPORT_LEVELS"],
  "/quantmetrics": [
    ...T,
    "DATE",
    "VOLATILITY",
    "ALL_TIME_RETURN",
    "CAGR",
    "SHARPE",
    "SORTINO",
    "MAX_DRAWDOWN",
    "SKEW",
    "TAIL_RATIO",
    "RISK_REWARD_RATIO",
    "PROFIT_FACTOR",
    "KURTOSIS",
    "DAILY_VALUE_AT_RISK",
    "DAILY_RETURN_AVG",
    "DAILY_RETURN_STD",
  ],
  "/scenario-analysis": [...T, "DATE", "SCENARIO_ANALYSIS"],
  "/price-prediction": [...T, "DATE", "PRICE_PREDICTION"],
  "/correlation": [...T, "DATE", "TOP_CORRELATION"],
  "/indices": ["ID", "NAME", "TICKER", "PRICE", "COINS", "24H", "7D", "1M", "24H_VOLUME", "INDEX_GRADE", "ALL_TIME", "MARKET_CAP", "TOP_GAINERS_ICONS"],
  "/indices-holdings": [...T, "COIN", "CG_ID", "WEIGHT", "MARKET_CAP", "PRICE", "CURRENT_ROI", "TRADER_GRADE", "TRADER_GRADE_CHANGE_24H", "ICON", "DATE"],
  "/indices-performance": ["ID", "DATE", "INDEX_CUMULATIVE_ROI", "MARKET_CAP", "VOLUME", "FDV"],
  "/moonshot-tokens": [
    "LAST_TRADING_SIGNAL_TIME",
    "TM_TRADER_GRADE",
    "TM_TRADER_GRADE_24H_PCT_CHANGE",
    "PRICE_CHANGE_PERCENTAGE_7D_IN_CURRENCY",
    "MARKET_CAP",
    "VOLUME_24H",
    "MOONSHOT_END_AT",
    "MOONSHOT_AT",
    "MOONSHOT_ROI",
    "TOKEN_NAME",
    "TOKEN_SYMBOL",
  ],
};

describe("sandbox Token Metrics API", () => {
  let api: TokenMetricsApi;
  before(async () => {
    api = await startTokenMetricsApi({ apiKeys: [KEY] });
  });
  after(() => api.stop());

  describe("shape", () => {
    test("serves exactly the catalog's paths (GET for data, POST for /tmai)", () => {
      assert.deepEqual(new Set([...DATA_PATHS, "/tmai"]), new Set(CATALOG.map((endpoint) => endpoint.path)));
      assert.deepEqual(new Set(DATA_PATHS), new Set(Object.keys(FIELDS)));
      assert.match(api.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v2$/);
    });

    test("the envelope is the real one", async () => {
      const { status, headers, body } = await call(api, "/tokens");
      assert.equal(status, 200);
      assert.match(headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(Object.keys(body), ["success", "message", "length", "data"]);
      assert.equal(body.success, true);
      assert.equal(body.message, "Data fetched successfully");
      assert.equal(body.length, body.data.length);
      assert.equal(body.length, 42);
    });

    for (const [path, fields] of Object.entries(FIELDS)) {
      test(`${path} answers 200 with the documented fields`, async () => {
        const { status, body } = await call(api, path, REQUIRED[path]);
        assert.equal(status, 200);
        assert.equal(body.success, true, body.message);
        assert.ok(body.length > 0 && body.length <= 50, `length ${body.length}`);
        for (const row of body.data) assert.deepEqual(Object.keys(row).sort(), [...fields].sort());
      });
    }

    test("no match is a 200 with success false, as on the real API", async () => {
      const { status, body } = await call(api, "/tokens", { symbol: "NOPE" });
      assert.equal(status, 200);
      assert.deepEqual(body, { success: false, message: "Data not found", length: 0, data: [] });
    });

    test("unknown paths are JSON 404s; unknown query params are ignored", async () => {
      assert.equal((await call(api, "/no-such-endpoint")).status, 404);
      const { status, body } = await call(api, "/price", { token_id: "3375", whatever: "1" });
      assert.equal(status, 200);
      assert.equal(body.length, 1);
    });

    test("POST /tmai answers a chat message about the tokens it names", async () => {
      const ask = (body: string) => fetch(`${api.baseUrl}/tmai`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body });
      const ok = await ask(JSON.stringify({ messages: [{ user: "Is BTC a buy?" }] }));
      assert.equal(ok.status, 200);
      const answer = (await ok.json()) as { success: boolean; answer: string };
      assert.equal(answer.success, true);
      assert.match(answer.answer, /Bitcoin \(BTC\) trades at \$92,350/);
      assert.equal((await ask(JSON.stringify({ question: "hi" }))).status, 400);
      assert.equal((await ask("{not json")).status, 400);
    });
  });

  describe("filters", () => {
    test("token_id selects exactly those tokens; the latest price is the reference price", async () => {
      const { body } = await call(api, "/price", { token_id: "3375,3306" });
      assert.deepEqual(
        body.data.map((r) => [r.TOKEN_ID, r.TOKEN_SYMBOL]),
        [
          [3375, "BTC"],
          [3306, "ETH"],
        ],
      );
      assert.equal(body.data[0]?.CURRENT_PRICE, 92350);
    });

    test("symbol is case-insensitive and a shared symbol matches several tokens", async () => {
      const btc = await call(api, "/trading-signals", { symbol: "btc" });
      assert.deepEqual(
        btc.body.data.map((r) => r.TOKEN_ID),
        [3375],
      );
      const eth = await call(api, "/tokens", { symbol: "eth" });
      assert.deepEqual(eth.body.data.map((r) => r.TOKEN_NAME).sort(), ["Ethereum", "StarkGate Bridged ETH", "Wormhole Bridged ETH"]);
    });

    test("token_name, category, exchange and blockchain_address match the token's lists", async () => {
      const named = await call(api, "/tokens", { token_name: "bitcoin,Solana" });
      assert.deepEqual(named.body.data.map((r) => r.TOKEN_SYMBOL).sort(), ["BTC", "SOL"]);
      const memes = await call(api, "/tokens", { category: "meme" });
      assert.deepEqual(memes.body.data.map((r) => r.TOKEN_SYMBOL).sort(), ["BONK", "DOGE", "PEPE", "SHIB"]);
      const layer2 = await call(api, "/tokens", { category: "Layer 2 (L2)", exchange: "kraken" });
      assert.deepEqual(layer2.body.data.map((r) => r.TOKEN_SYMBOL).sort(), ["ARB", "OP", "POL"]);
      const usdc = await call(api, "/tokens", { blockchain_address: "base:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" });
      assert.deepEqual(
        usdc.body.data.map((r) => r.TOKEN_SYMBOL),
        ["USDC"],
      );
    });

    test("startDate/endDate are inclusive and must be YYYY-MM-DD", async () => {
      const { body } = await call(api, "/daily-ohlcv", { token_id: "3375", startDate: "2026-11-01", endDate: "2026-11-10" });
      assert.equal(body.length, 10);
      assert.equal(body.data[0]?.TIMESTAMP, "2026-11-10T00:00:00.000Z");
      assert.equal(body.data.at(-1)?.TIMESTAMP, "2026-11-01T00:00:00.000Z");
      for (const startDate of ["11/01/2026", "2026-02-30"]) {
        const bad = await call(api, "/daily-ohlcv", { startDate });
        assert.equal(bad.status, 400, startDate);
        assert.match(bad.body.message, /startDate/);
      }
    });

    test("latest endpoints give one row per token without dates, the series with them", async () => {
      const latest = await call(api, "/trading-signals", { limit: "100" });
      const ids = latest.body.data.map((r) => r.TOKEN_ID);
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(latest.body.data.every((r) => r.DATE === "2026-11-19T00:00:00.000Z"));
      const series = await call(api, "/trading-signals", { token_id: "3375", startDate: "2026-10-01", endDate: "2026-10-31" });
      assert.equal(series.body.length, 31);
    });

    test("signal filters trading signals, and only takes 1, 0 or -1", async () => {
      const all = { startDate: "2026-08-01", endDate: "2026-11-30", limit: "100" };
      const bullish = await call(api, "/trading-signals", { ...all, signal: "1" });
      const bearish = await call(api, "/trading-signals", { ...all, signal: "-1" });
      assert.ok(bullish.body.length > 5 && bearish.body.length > 5);
      assert.ok(bullish.body.data.every((r) => r.TRADING_SIGNAL === 1 && r.TOKEN_TREND === 1));
      assert.ok(bearish.body.data.every((r) => r.TRADING_SIGNAL === -1 && r.TOKEN_TREND === -1));
      assert.equal((await call(api, "/trading-signals", { signal: "2" })).status, 400);
    });

    test("marketcap and traderGrade are minimum thresholds", async () => {
      const large = await call(api, "/quantmetrics", { marketcap: "100000000000" });
      assert.deepEqual(
        large.body.data.map((r) => r.TOKEN_SYMBOL),
        ["BTC", "ETH", "XRP", "BNB"],
      );
      const strong = await call(api, "/trader-grades", { traderGrade: "70", limit: "100" });
      assert.ok(strong.body.length > 0 && strong.body.length < 42);
      assert.ok(strong.body.data.every((r) => (r.TM_TRADER_GRADE as number) >= 70));
      assert.equal((await call(api, "/trader-grades", { traderGrade: "high" })).status, 400);
    });

    test("indices, holdings and moonshots honour their selectors", async () => {
      const active = await call(api, "/indices", { indicesType: "active" });
      const passive = await call(api, "/indices", { indicesType: "passive" });
      assert.equal(active.body.length + passive.body.length, 8);
      const holdings = await call(api, "/indices-holdings", { id: "1" });
      const weights = holdings.body.data.reduce((sum, r) => sum + (r.WEIGHT as number), 0);
      assert.ok(Math.abs(weights - 100) < 0.1, `weights sum to ${weights}`);
      assert.equal((await call(api, "/indices-holdings", { id: "999" })).body.success, false);
      const past = await call(api, "/moonshot-tokens", { type: "past" });
      assert.ok(past.body.data.every((r) => typeof r.MOONSHOT_END_AT === "string"));
      const current = await call(api, "/moonshot-tokens");
      assert.ok(current.body.data.every((r) => r.MOONSHOT_END_AT === null));
      assert.equal((await call(api, "/moonshot-tokens", { type: "future" })).status, 400);
    });
  });

  describe("pagination and required parameters", () => {
    test("limit defaults to 50 and caps at 100; pages are 1-indexed", async () => {
      assert.equal((await call(api, "/daily-ohlcv")).body.length, 50);
      assert.equal((await call(api, "/daily-ohlcv", { limit: "100" })).body.length, 100);
      const first20 = (await call(api, "/daily-ohlcv", { limit: "20" })).body.data;
      const page2 = (await call(api, "/daily-ohlcv", { limit: "10", page: "2" })).body.data;
      assert.deepEqual(page2, first20.slice(10));
      for (const query of [{ limit: "101" }, { limit: "0" }, { page: "0" }, { page: "x" }] as Array<Record<string, string>>) {
        assert.equal((await call(api, "/daily-ohlcv", query)).status, 400, JSON.stringify(query));
      }
    });

    test("top-market-cap-tokens pages by top_k, largest first", async () => {
      const { body } = await call(api, "/top-market-cap-tokens", { top_k: "3" });
      assert.deepEqual(
        body.data.map((r) => r.TOKEN_SYMBOL),
        ["BTC", "ETH", "USDT"],
      );
      assert.equal((await call(api, "/top-market-cap-tokens", { top_k: "101" })).status, 400);
    });

    test("missing required parameters are 400s naming them", async () => {
      const cases: Array<[string, RegExp]> = [
        ["/price", /^token_id is required$/],
        ["/hourly-trading-signals", /token_id is required/],
        ["/indices-holdings", /^id is required$/],
        ["/indices-performance", /^id is required$/],
        ["/resistance-support", /token_id or symbol is required/],
      ];
      for (const [path, message] of cases) {
        const { status, body } = await call(api, path);
        assert.equal(status, 400, path);
        assert.deepEqual(Object.keys(body), ["success", "message"]);
        assert.match(body.message, message);
      }
    });
  });

  describe("auth", () => {
    test("no key and no x402 header is a 401 that names both options", async () => {
      const { status, body } = await call(api, "/tokens", {}, {});
      assert.equal(status, 401);
      assert.equal(body.success, false);
      assert.match(body.message, /x-api-key/);
      assert.match(body.message, /x-coinbase-402/);
    });

    test("an unknown key is a 401", async () => {
      assert.equal((await call(api, "/tokens", {}, { "x-api-key": "tm-wrong" })).status, 401);
    });

    test("a key together with x-coinbase-402 is a 400", async () => {
      const { status, body } = await call(api, "/tokens", {}, { ...AUTH, "x-coinbase-402": "true" });
      assert.equal(status, 400);
      assert.match(body.message, /mutually exclusive/);
    });

    test("x402 without a configured gate is a 402 offering nothing", async () => {
      const { status, body } = await call(api, "/trading-signals", {}, { "x-coinbase-402": "true" });
      assert.equal(status, 402);
      assert.deepEqual(body, { x402Version: 1, error: "x402 payments are not enabled in this sandbox", accepts: [] });
    });
  });

  describe("faults and recording", () => {
    test("injected faults answer the next requests in order, then service resumes", async () => {
      api.injectFaults([{ status: 429, retryAfterSeconds: 3 }, { status: 500 }, { status: 503, delayMs: 60, body: { message: "maintenance" } }]);
      const first = await call(api, "/tokens");
      assert.equal(first.status, 429);
      assert.equal(first.headers.get("retry-after"), "3");
      assert.equal((await call(api, "/tokens")).status, 500);
      const started = Date.now();
      const third = await call(api, "/tokens");
      assert.equal(third.status, 503);
      assert.ok(Date.now() - started >= 55, "the delay is applied");
      assert.deepEqual(third.body, { message: "maintenance" });
      assert.equal((await call(api, "/tokens")).status, 200);
    });

    test("a delayed fault lets a client time out", async () => {
      api.injectFaults([{ status: 200, delayMs: 5_000 }]);
      await assert.rejects(fetch(`${api.baseUrl}/tokens`, { headers: AUTH, signal: AbortSignal.timeout(100) }), { name: "TimeoutError" });
    });

    test("requests are recorded with their status, never with the key", async () => {
      api.requests.length = 0;
      await call(api, "/price", { token_id: "3375", api_key: KEY });
      await call(api, "/tokens", {}, { "x-coinbase-402": "true", "x-payment-token": "tmai", "x-payment": "e30=" });
      assert.deepEqual(api.requests, [
        {
          method: "GET",
          path: "/v2/price",
          query: { token_id: "3375" },
          hasApiKey: true,
          hasX402Header: false,
          hasPaymentHeader: false,
          payment: undefined,
          paymentToken: undefined,
          status: 200,
        },
        {
          method: "GET",
          path: "/v2/tokens",
          query: {},
          hasApiKey: false,
          hasX402Header: true,
          hasPaymentHeader: true,
          payment: "e30=",
          paymentToken: "tmai",
          status: 402,
        },
      ]);
      assert.ok(!JSON.stringify(api.requests).includes(KEY));
    });
  });

  describe("determinism", () => {
    test("a fresh process produces byte-identical data", async () => {
      const paths = ["/ai-reports", "/sentiments", "/price-prediction"];
      const here = createHash("sha256");
      for (const path of paths) here.update((await call(api, path, { limit: "100" })).text);
      const fixtures = new URL("../sandbox/fixtures/index.ts", import.meta.url).href;
      const script = `
        import { createHash } from "node:crypto";
        import { queryFixtures } from ${JSON.stringify(fixtures)};
        const hash = createHash("sha256");
        for (const path of ${JSON.stringify(paths)}) {
          const { rows } = queryFixtures(path, { limit: "100" });
          hash.update(JSON.stringify({ success: true, message: "Data fetched successfully", length: rows.length, data: rows }));
        }
        process.stdout.write(hash.digest("hex"));`;
      const there = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
      assert.equal(there, here.digest("hex"));
    });

    test("the reference time moves the whole data set", async () => {
      const earlier = await startTokenMetricsApi({ apiKeys: [KEY], now: new Date("2026-06-01T00:00:00Z") });
      try {
        const { body } = await call(earlier, "/daily-ohlcv", { token_id: "3375", limit: "1" });
        assert.equal(body.data[0]?.TIMESTAMP, "2026-05-31T00:00:00.000Z");
      } finally {
        await earlier.stop();
      }
    });
  });

  describe("payment gate", () => {
    test("x402 requests go through the gate; API-key requests never do", async () => {
      let gated = 0;
      const gate: RequestHandler = (req, res, next) => {
        gated++;
        if (req.header("x-payment")) return next();
        res.status(402).json({ x402Version: 1, error: "X-PAYMENT header is required", accepts: [{ scheme: "exact" }] });
      };
      const paid = await startTokenMetricsApi({ apiKeys: [KEY], paymentGate: gate });
      try {
        assert.equal((await call(paid, "/tokens")).status, 200);
        assert.equal(gated, 0);
        const challenge = await call(paid, "/trading-signals", {}, { "x-coinbase-402": "true" });
        assert.equal(challenge.status, 402);
        const data = await call(paid, "/trading-signals", { symbol: "BTC" }, { "x-coinbase-402": "true", "x-payment": "e30=" });
        assert.equal(data.status, 200);
        assert.equal(data.body.data[0]?.TOKEN_SYMBOL, "BTC");
        assert.equal(gated, 2);
      } finally {
        await paid.stop();
      }
    });

    test("x402-express paymentMiddleware works as the gate, matching on /v2 paths", async () => {
      const gate = paymentMiddleware(
        "0x1111111111111111111111111111111111111111",
        { "GET /v2/trading-signals": { price: "$0.017", network: "base-sepolia" } },
        { url: "http://127.0.0.1:9" },
      );
      const paid = await startTokenMetricsApi({ apiKeys: [KEY], paymentGate: gate });
      try {
        const challenge = await call(paid, "/trading-signals", {}, { "x-coinbase-402": "true" });
        assert.equal(challenge.status, 402);
        const accepts = challenge.body.accepts as Array<{ maxAmountRequired: string; resource: string }>;
        assert.equal(accepts[0]?.maxAmountRequired, "17000");
        assert.match(accepts[0]?.resource ?? "", /\/v2\/trading-signals$/);
        const free = await call(paid, "/tokens", {}, { "x-coinbase-402": "true" });
        assert.equal(free.status, 200, "paths without a price pass through");
        assert.equal(paid.requests.at(-1)?.status, 200);
      } finally {
        await paid.stop();
      }
    });
  });
});
