import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SANDBOX_API_KEY, sandboxEnv } from "../sandbox/index.js";
import { rawStdioSession } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

/** Every request a user's session might make, good and bad, as raw JSON-RPC. */
function session(): object[] {
  const calls: Array<[string, Record<string, unknown>]> = [
    ["get_trading_signals", { token_id: 3375 }],
    ["get_tm_grade", { token_id: 3375 }],
    ["get_price", { token_id: 3375 }],
    ["get_ai_reports", { token_id: 3375 }], // refused: above the per-call maximum below
    ["get_trading_signals", { signal: 7 }], // bad input
    ["get_wallet_status", {}],
    ["get_spending", {}],
    ["reconcile_payments", {}],
  ];
  return [
    { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "scan", version: "1" } } },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 1, method: "tools/list" },
    { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "payments://ledger" } },
    ...calls.map(([name, args], i) => ({ jsonrpc: "2.0", id: 10 + i, method: "tools/call", params: { name, arguments: args } })),
  ];
}
const replies = (messages: object[]) => messages.filter((message) => "id" in message).length;

describe("secrets never leave the process", () => {
  const world = useSandbox("secrets");

  test("stdout, stderr, tool results, resources and the ledger hold neither the private key nor the API key", async () => {
    const ledger = join(world.dir, "ledger.jsonl");
    const messages = session();
    const outputs: string[] = [];
    const paying = await rawStdioSession(world.env(ledger, { TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC" }), messages, replies(messages));
    outputs.push(...paying.lines, paying.stderr);
    assert.ok(
      paying.lines.some((line) => line.includes('"payment"')),
      "a payment happened",
    );
    assert.ok(
      paying.lines.some((line) => /above the per-call maximum/.test(line)),
      "a refusal happened",
    );

    for (const apiKey of [SANDBOX_API_KEY, "tm-wrong-0000-secret-key"]) {
      const keyed = await rawStdioSession(
        { ...sandboxEnv(world.sandbox.info, "api-key"), TOKEN_METRICS_API_KEY: apiKey, TOKEN_METRICS_LEDGER: ledger },
        messages,
        replies(messages),
      );
      outputs.push(...keyed.lines, keyed.stderr);
    }
    // An RPC URL with a provider key in its path: viem quotes the URL when the RPC is down.
    const rpcKey = "ALCHEMYSECRETKEY1234567890";
    const unreachableRpc = await rawStdioSession(world.env(ledger, { TOKEN_METRICS_RPC_URL: `http://127.0.0.1:9/v2/${rpcKey}` }), messages, replies(messages));
    assert.ok(
      unreachableRpc.lines.some((line) => line.includes("unavailable")),
      "the RPC failure was reported",
    );
    outputs.push(...unreachableRpc.lines, unreachableRpc.stderr);
    const broken = await rawStdioSession(
      { TOKEN_METRICS_PRIVATE_KEY: `${world.sandbox.info.payerPrivateKey}00`, TOKEN_METRICS_LEDGER: ledger },
      messages,
      replies(messages),
    );
    outputs.push(...broken.lines, broken.stderr);
    outputs.push(await readFile(ledger, "utf8"));

    const everything = outputs.join("\n").toLowerCase();
    const privateKey = world.sandbox.info.payerPrivateKey.slice(2).toLowerCase();
    assert.ok(everything.length > 10_000, "the scan saw real output");
    assert.ok(!everything.includes(privateKey), "private key leaked");
    assert.ok(!everything.includes(privateKey.slice(0, 24)), "part of the private key leaked");
    assert.ok(!everything.includes(SANDBOX_API_KEY.toLowerCase()), "API key leaked");
    assert.ok(!everything.includes("tm-wrong-0000-secret-key"), "rejected API key leaked");
    assert.ok(!everything.includes(rpcKey.toLowerCase()), "RPC provider key leaked");
  });
});
