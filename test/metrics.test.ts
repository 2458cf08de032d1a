import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Address } from "viem";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { loadConfig } from "../src/config.js";
import { startHttpServer, type HttpServer } from "../src/http.js";
import { createServices } from "../src/server.js";
import { textOf } from "./helpers/mcp.js";

const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseMetrics(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The one sample with this name and (at least) these labels. */
function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((item) => item.name === name && Object.entries(labels).every(([key, value]) => item.labels[key] === value));
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)} in ${JSON.stringify(samples.filter((item) => item.name === name))}`);
  return found[0]!.value;
}

describe("GET /metrics", { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let dir: string;
  let ledgers = 0;
  const open: Array<{ close(): Promise<unknown> }> = [];

  before(async () => {
    sandbox = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), "tm-metrics-"));
  });
  after(async () => {
    for (const item of open.reverse()) await item.close();
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string> = {}): Promise<HttpServer> {
    const config = loadConfig({ ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_LEDGER: join(dir, `ledger-${++ledgers}.jsonl`), ...env }, [
      "--http",
      "--port",
      "0",
    ]);
    const server = await startHttpServer(createServices(config), config.http!);
    open.push(server);
    return server;
  }

  async function connect(url: string, token?: string) {
    const client = new Client({ name: "metrics-test-client", version: "1.0.0" });
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    open.push(client);
    return client;
  }

  async function scrape(server: HttpServer, token?: string): Promise<Sample[]> {
    const response = await fetch(new URL("/metrics", server.url), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return parseMetrics(text);
  }

  test("after paid calls: payments and amounts by asset, endpoint and client, refusals by reason, budgets left, the wallet's balance, latency, cache", async () => {
    const server = await serve({
      TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE},bob:${BOB}`,
      // Room for two 0.017 USDC calls in this process, not three; get_ai_reports (0.068) is above the maximum.
      TOKEN_METRICS_SESSION_BUDGET: "0.05 USDC",
      TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC",
      TOKEN_METRICS_CLIENT_BUDGETS: "alice:1 USDC",
    });
    const [alice, bob] = [await connect(server.url, ALICE), await connect(server.url, BOB)];
    for (const [client, name, args] of [
      [alice, "get_trading_signals", { token_id: 3375 }],
      [alice, "get_trading_signals", { token_id: 3375 }], // the same call again: from the cache, unpaid
      [bob, "get_tm_grade", { token_id: 3375 }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      assert.ok(!result.isError, textOf(result));
    }
    const overBudget = await bob.callTool({ name: "get_trading_signals", arguments: { token_id: 3306 } });
    assert.match(textOf(overBudget), /session budget would be exceeded/);
    const overMaximum = await alice.callTool({ name: "get_ai_reports", arguments: { token_id: 3306 } });
    assert.match(textOf(overMaximum), /per-call maximum/);

    const samples = await scrape(server, ALICE);
    const signals = { asset: "USDC", endpoint: "/trading-signals", client: "alice", outcome: "settled" };
    const grade = { asset: "USDC", endpoint: "/tm-grade", client: "bob", outcome: "settled" };
    assert.equal(sample(samples, "token_metrics_mcp_payments_total", signals), 1);
    assert.equal(sample(samples, "token_metrics_mcp_payment_amount_total", signals), 0.017);
    assert.equal(sample(samples, "token_metrics_mcp_payments_total", grade), 1);
    assert.equal(sample(samples, "token_metrics_mcp_payment_amount_total", grade), 0.017);
    assert.equal(samples.filter((item) => item.name === "token_metrics_mcp_payments_total").length, 2, "nothing else was paid");
    assert.equal(sample(samples, "token_metrics_mcp_payment_refusals_total", { reason: "budget" }), 1);
    assert.equal(sample(samples, "token_metrics_mcp_payment_refusals_total", { reason: "policy" }), 1);

    assert.equal(sample(samples, "token_metrics_mcp_budget_left", { asset: "USDC", budget: "session" }), 0.016);
    assert.equal(sample(samples, "token_metrics_mcp_budget_limit", { asset: "USDC", budget: "session" }), 0.05);
    assert.equal(sample(samples, "token_metrics_mcp_budget_left", { asset: "USDC", budget: "daily" }), 1.966);
    assert.equal(sample(samples, "token_metrics_mcp_budget_left", { asset: "USDC", budget: "client", client: "alice" }), 0.983);

    const held = await sandbox.chain.balanceOf(sandbox.chain.usdc, sandbox.info.payerAddress as Address);
    assert.equal(sample(samples, "token_metrics_mcp_wallet_balance", { asset: "USDC" }), Number(held) / 1e6);
    assert.equal(sample(samples, "token_metrics_mcp_wallet_balance_read_ok"), 1);

    assert.equal(sample(samples, "token_metrics_mcp_payment_duration_seconds_count", { endpoint: "/trading-signals", outcome: "settled" }), 1);
    const seconds = sample(samples, "token_metrics_mcp_payment_duration_seconds_sum", { endpoint: "/trading-signals", outcome: "settled" });
    assert.ok(seconds > 0 && seconds < 30, `${seconds} s`);
    assert.equal(sample(samples, "token_metrics_mcp_cache_lookups_total", { result: "hit" }), 1);
    assert.equal(sample(samples, "token_metrics_mcp_cache_lookups_total", { result: "miss" }), 4);
  });

  test("with authentication on, /metrics needs a token like /mcp: 401 without one or with a wrong one", async () => {
    const server = await serve({ TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE}` });
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${ALICE}x` }]) {
      const response = await fetch(new URL("/metrics", server.url), { headers });
      assert.equal(response.status, 401);
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer /);
      const text = await response.text();
      assert.ok(!text.includes("token_metrics_mcp_"), "no metric leaks");
    }
    assert.equal(sample(await scrape(server, ALICE), "token_metrics_mcp_wallet_balance_read_ok"), 1);
  });

  test("an RPC that never answers or is down: the scrape still answers within seconds, without balances, saying the read failed", async () => {
    // Accepts connections and never answers: the scrape must not wait for viem's own 10 s timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      for (const rpcUrl of [silentUrl, "http://127.0.0.1:9"]) {
        const server = await serve({ TOKEN_METRICS_RPC_URL: rpcUrl });
        const started = Date.now();
        const samples = await scrape(server);
        assert.ok(Date.now() - started < 6_000, `answered in ${Date.now() - started} ms`);
        assert.equal(sample(samples, "token_metrics_mcp_wallet_balance_read_ok"), 0);
        assert.equal(samples.filter((item) => item.name === "token_metrics_mcp_wallet_balance").length, 0);
        assert.equal(sample(samples, "token_metrics_mcp_budget_left", { asset: "USDC", budget: "daily" }), 2, "the ledger part is still there");
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test("API-key mode: no wallet, so no budgets or balances, and the cache counters", async () => {
    const config = loadConfig({ ...sandboxEnv(sandbox.info, "api-key"), TOKEN_METRICS_LEDGER: join(dir, `ledger-${++ledgers}.jsonl`) }, [
      "--http",
      "--port",
      "0",
    ]);
    const server = await startHttpServer(createServices(config), config.http!);
    open.push(server);
    const samples = await scrape(server);
    assert.deepEqual(
      samples.filter((item) => /budget|wallet/.test(item.name)),
      [],
    );
    assert.equal(sample(samples, "token_metrics_mcp_cache_lookups_total", { result: "miss" }), 0);
  });
});
