import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { SANDBOX_API_KEY } from "../sandbox/index.js";
import { startTokenMetricsApi, type TokenMetricsApi } from "../sandbox/tm-api.js";
import { ALL_TOOLS_COUNT, BUILT_SERVER, connectStdio, rawStdioSession, textOf } from "./helpers/mcp.js";

const INSPECTOR_CLI = createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector/cli/build/cli.js");

const HANDSHAKE = [
  { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/list" },
  { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "get_price", arguments: { token_id: 3375 } } },
];

function assertAllJsonRpc(lines: string[]) {
  assert.ok(lines.length >= 3);
  for (const line of lines) {
    const message = JSON.parse(line) as { jsonrpc?: string };
    assert.equal(message.jsonrpc, "2.0", `not JSON-RPC on stdout: ${line.slice(0, 200)}`);
  }
}

describe("the built server over stdio", () => {
  let api: TokenMetricsApi;
  before(async () => {
    api = await startTokenMetricsApi({ apiKeys: [SANDBOX_API_KEY] });
  });
  after(() => api.stop());

  test("stdout carries JSON-RPC only, logs go to stderr", async () => {
    const { lines, stderr } = await rawStdioSession({ TOKEN_METRICS_API_BASE_URL: api.baseUrl, TOKEN_METRICS_API_KEY: SANDBOX_API_KEY }, HANDSHAKE, 3);
    assertAllJsonRpc(lines);
    const reply = JSON.parse(lines.find((line) => line.includes('"id":3'))!) as { result: { isError?: boolean; structuredContent: { data: unknown[] } } };
    assert.ok(!reply.result.isError);
    assert.equal(reply.result.structuredContent.data.length, 1);
    assert.match(stderr, /ready \(API-key mode\)/);
    assert.ok(!stderr.includes(SANDBOX_API_KEY), "the API key is not logged");
  });

  test("with a bad configuration stdout is still JSON-RPC, and calls name the variable", async () => {
    const { lines, stderr } = await rawStdioSession({ TOKEN_METRICS_NETWORK: "mainnet", TOKEN_METRICS_PRIVATE_KEY: "0xnope" }, HANDSHAKE, 3);
    assertAllJsonRpc(lines);
    const list = JSON.parse(lines.find((line) => line.includes('"id":2'))!) as { result: { tools: unknown[] } };
    assert.equal(list.result.tools.length, ALL_TOOLS_COUNT);
    const call = lines.find((line) => line.includes('"id":3'))!;
    assert.match(call, /"isError":true/);
    assert.match(call, /TOKEN_METRICS_NETWORK/);
    assert.match(call, /TOKEN_METRICS_PRIVATE_KEY/);
    assert.match(stderr, /Invalid configuration/);
    assert.ok(!(call + stderr).includes("0xnope"), "the bad key value is not echoed");
  });

  test("an SDK client over stdio lists the tools and calls one", async () => {
    const { client, close } = await connectStdio({ TOKEN_METRICS_API_BASE_URL: api.baseUrl, TOKEN_METRICS_API_KEY: SANDBOX_API_KEY }, ["--toolsets", "tokens"]);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.deepEqual(names.sort(), [
        "get_daily_ohlcv",
        "get_hourly_ohlcv",
        "get_price",
        "get_spending",
        "get_tokens",
        "get_top_market_cap_tokens",
        "get_wallet_status",
        "reconcile_payments",
      ]);
      const result = await client.callTool({ name: "get_tokens", arguments: { symbol: "ETH" } });
      assert.ok(!result.isError, textOf(result));
      assert.ok((result.structuredContent as { data: Array<{ TOKEN_SYMBOL: string }> }).data.every((row) => row.TOKEN_SYMBOL === "ETH"));
    } finally {
      await close();
    }
  });

  test("the MCP Inspector CLI lists the tools", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        INSPECTOR_CLI,
        "--cli",
        "-e",
        `TOKEN_METRICS_API_KEY=${SANDBOX_API_KEY}`,
        "-e",
        `TOKEN_METRICS_API_BASE_URL=${api.baseUrl}`,
        process.execPath,
        BUILT_SERVER,
        "--method",
        "tools/list",
      ],
      { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
    );
    const { tools } = JSON.parse(stdout) as { tools: Array<{ name: string }> };
    assert.equal(tools.length, ALL_TOOLS_COUNT);
    assert.ok(tools.some((tool) => tool.name === "get_trading_signals"));
  });
});
