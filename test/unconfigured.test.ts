import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { exampleArgs } from "../src/catalog/index.js";
import { sandboxEnv } from "../sandbox/index.js";
import { ALL_TOOLS_COUNT, connectStdio, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

describe("the first calls of a new user", () => {
  const world = useSandbox("unconfigured");

  test("without credentials, free tools answer (x402 header, nothing paid) and paid tools give their price and both ways to configure", async () => {
    const { client, stderr, close } = await connectStdio({
      TOKEN_METRICS_API_BASE_URL: world.sandbox.info.apiBaseUrl,
      TOKEN_METRICS_LEDGER: join(world.dir, "none.jsonl"),
    });
    try {
      const seen = world.sandbox.api.requests.length;
      const free = await client.callTool({ name: "get_price", arguments: { token_id: 3375 } });
      assert.ok(!free.isError, textOf(free));
      assert.equal((free.structuredContent as { data: unknown[] }).data.length, 1);
      const [request, ...more] = world.sandbox.api.requests.slice(seen);
      assert.equal(more.length, 0);
      assert.deepEqual([request!.hasX402Header, request!.hasApiKey, request!.hasPaymentHeader, request!.status], [true, false, false, 200]);

      const paid = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
      assert.equal(paid.isError, true);
      assert.match(textOf(paid), /about \$0\.017 per call/);
      assert.match(textOf(paid), /TOKEN_METRICS_PRIVATE_KEY.*TOKEN_METRICS_API_KEY/);
      assert.equal(world.sandbox.api.requests.length, seen + 1, "a paid tool sends nothing");
      assert.match(stderr.join(""), /ready \(no credentials yet: free tools only\)/);
    } finally {
      await close();
    }
  });

  test("with a broken configuration every tool, spending tools included, returns the problem as an error", async () => {
    const { client, stderr, close } = await connectStdio({
      TOKEN_METRICS_API_BASE_URL: world.sandbox.info.apiBaseUrl,
      TOKEN_METRICS_PRIVATE_KEY: "0x1234",
      TOKEN_METRICS_NETWORK: "mainnet",
      TOKEN_METRICS_LEDGER: join(world.dir, "broken.jsonl"),
    });
    try {
      const seen = world.sandbox.api.requests.length;
      const examples = exampleArgs({ indexId: 1 });
      const { tools } = await client.listTools();
      assert.equal(tools.length, ALL_TOOLS_COUNT);
      for (const { name } of tools) {
        const result = await client.callTool({ name, arguments: examples[name] ?? {} });
        assert.equal(result.isError, true, name);
        assert.match(
          textOf(result),
          /Invalid configuration: .*TOKEN_METRICS_PRIVATE_KEY.*TOKEN_METRICS_NETWORK|TOKEN_METRICS_NETWORK.*TOKEN_METRICS_PRIVATE_KEY/,
          name,
        );
        assert.ok(!textOf(result).includes("0x1234"), "the bad key is not echoed");
      }
      assert.equal(world.sandbox.api.requests.length, seen, "nothing was sent");
      assert.doesNotMatch(stderr.join(""), /no credentials/);
      assert.match(stderr.join(""), /ready \(invalid configuration/);
    } finally {
      await close();
    }
  });

  test("an unreachable RPC gives a short balance line, not a library message", async () => {
    const env = {
      ...sandboxEnv(world.sandbox.info, "x402"),
      TOKEN_METRICS_RPC_URL: "http://127.0.0.1:9/rpc",
      TOKEN_METRICS_LEDGER: join(world.dir, "rpc.jsonl"),
    };
    const { client, close } = await connectStdio(env);
    try {
      const status = await client.callTool({ name: "get_wallet_status", arguments: {} });
      assert.ok(!status.isError, textOf(status));
      assert.equal((status.structuredContent as { balances: unknown }).balances, "unavailable: the RPC could not be reached; check TOKEN_METRICS_RPC_URL");
      const reconcile = await client.callTool({ name: "reconcile_payments", arguments: {} });
      assert.doesNotMatch(textOf(reconcile), /viem|Version|Request body|URL:/);
    } finally {
      await close();
    }
  });
});
