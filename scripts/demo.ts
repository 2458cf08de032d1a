/**
 * `npm run demo`: a scripted agent conversation against the local sandbox, speaking x402 v2. A real MCP
 * client starts the built server over stdio with only a wallet key, asks a few questions, and each
 * paid call is shown with its price, transaction and the wallet balance read from the chain before
 * and after; TMAI is paid through Permit2 once the wallet has approved it with `approve-permit2`.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { formatUnits, type Address } from "viem";
import { sandboxEnv, startSandbox } from "../sandbox/index.js";

const say = (line = "") => process.stdout.write(`${line}\n`);

const sandbox = await startSandbox({ x402: "v2" });
const BUILT = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const payer = sandbox.info.payerAddress as Address;
const balance = async () => ({
  usdc: formatUnits(await sandbox.chain.balanceOf(sandbox.chain.usdc, payer), 6),
  tmai: formatUnits(await sandbox.chain.balanceOf(sandbox.chain.tmai, payer), 18),
});

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [BUILT],
  env: {
    PATH: process.env.PATH ?? "",
    ...sandboxEnv(sandbox.info, "x402"), // pays into the sandbox's own ledger, removed when it stops
    TOKEN_METRICS_ASSETS: "usdc,tmai",
    TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 0.05 TMAI",
    TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 1 TMAI",
  },
  stderr: "ignore",
});
const client = new Client({ name: "demo-agent", version: "1.0.0" });

try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  say(`Token Metrics x402 MCP demo — local sandbox speaking x402 v${sandbox.info.x402Version} (chain ${sandbox.info.chainId} at ${sandbox.info.rpcUrl})`);
  say(`Server A offers ${tools.length} tools. Wallet ${payer} pays per call; limit 0.05 USDC or 0.05 TMAI per call (kept low to show a refusal).`);
  say("Server B, started for one call, prefers TMAI. Both processes share one ledger, so the daily total counts both.");

  const step = async (question: string, name: string, args: Record<string, unknown>, env?: Record<string, string>) => {
    say();
    say(`Agent: ${question}`);
    say(`  → ${name} ${JSON.stringify(args)}`);
    const before = await balance();
    const requestsBefore = sandbox.api.requests.length;
    const result = (await (env ? withServer(env, name, args) : client.callTool({ name, arguments: args }))) as CallToolResult;
    const after = await balance();
    const requests = sandbox.api.requests.length - requestsBefore;
    const structured = (result.structuredContent ?? {}) as {
      data?: Array<Record<string, unknown>>;
      payment?: { amount: string; asset: string; transaction: string };
      reused?: { source: string };
    };
    if (result.isError) say(`  ✗ refused: ${(result.content[0] as { text: string }).text}`);
    else say(`  ✓ ${structured.data?.length ?? 0} rows, e.g. ${JSON.stringify(structured.data?.[0] ?? {}).slice(0, 160)}`);
    const by = env ? "server B" : "server A";
    const paid = structured.payment
      ? `${by} paid ${structured.payment.amount} ${structured.payment.asset}, tx ${structured.payment.transaction}`
      : `${by}: no payment`;
    say(`  ${paid}; ${requests} HTTP request(s) to the API${structured.reused ? `, answer reused from a ${structured.reused.source}` : ""}`);
    say(`  wallet before: ${before.usdc} USDC, ${before.tmai} TMAI → after: ${after.usdc} USDC, ${after.tmai} TMAI (read from the chain)`);
    return structured;
  };

  const tokens = await step("Which token id is Bitcoin?", "get_tokens", { symbol: "BTC", fields: ["TOKEN_ID", "TOKEN_NAME", "TOKEN_SYMBOL"] });
  const btc = tokens.data?.find((row) => row.TOKEN_NAME === "Bitcoin")?.TOKEN_ID ?? 3375;
  await step("What is Bitcoin's TM Grade?", "get_tm_grade", { token_id: btc, fields: ["TOKEN_SYMBOL", "TM_GRADE", "TM_GRADE_SIGNAL", "MOMENTUM"] });
  await step("Any bullish daily signal on Bitcoin?", "get_trading_signals", { token_id: btc, limit: 3, fields: ["DATE", "TRADING_SIGNAL", "TOKEN_TREND"] });
  await step("And Ethereum's? (a known price now: paid with the first request, one round trip)", "get_tm_grade", {
    token_id: 3306,
    fields: ["TOKEN_SYMBOL", "TM_GRADE", "TM_GRADE_SIGNAL"],
  });
  await step("Bitcoin's TM Grade again (answered from cache, nothing paid)", "get_tm_grade", {
    token_id: btc,
    fields: ["TOKEN_SYMBOL", "TM_GRADE", "TM_GRADE_SIGNAL", "MOMENTUM"],
  });
  await step("How is the whole market doing?", "get_market_metrics", { limit: 3 });
  await step(
    "Pay with TMAI, 10% cheaper (server B): Bitcoin's hourly signals.",
    "get_hourly_trading_signals",
    { token_id: btc, limit: 3 },
    { TOKEN_METRICS_ASSETS: "tmai,usdc" },
  );
  say();
  say("You (not the agent): approve Permit2 for TMAI once, from a shell.");
  say("  $ token-metrics-x402-mcp approve-permit2 --asset tmai --amount 1 --yes");
  const approval = await promisify(execFile)(process.execPath, [BUILT, "approve-permit2", "--asset", "tmai", "--amount", "1", "--yes"], {
    env: { PATH: process.env.PATH ?? "", ...sandboxEnv(sandbox.info, "x402") },
  });
  for (const line of approval.stdout.trim().split("\n")) say(`  ${line}`);
  await step(
    "TMAI again (server B), now that Permit2 may move it.",
    "get_hourly_trading_signals",
    { token_id: btc, limit: 3, page: 2 },
    { TOKEN_METRICS_ASSETS: "tmai,usdc" },
  );
  await step("Deep AI report on Bitcoin (costs 0.068 USDC, above the limit)", "get_ai_reports", { token_id: btc });

  const status = (await client.callTool({ name: "get_wallet_status", arguments: {} })).structuredContent as Record<string, unknown>;
  say();
  say("get_wallet_status, asked of server A:");
  say(`  spent this session by server A: ${JSON.stringify(status.spentThisSession)} (server B's TMAI payment was another process's session)`);
  say(`  spent in the last 24 hours by both, from the shared ledger: ${JSON.stringify(status.spentLast24h)}`);
  say(`  balances: ${JSON.stringify(status.balances)}`);
} finally {
  await client.close();
  await sandbox.stop();
}

/** One call through a second server process with other settings (here: TMAI preferred). */
async function withServer(env: Record<string, string>, name: string, args: Record<string, unknown>) {
  const other = new Client({ name: "demo-agent", version: "1.0.0" });
  await other.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BUILT],
      env: {
        PATH: process.env.PATH ?? "",
        ...sandboxEnv(sandbox.info, "x402"),
        TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 0.05 TMAI",
        TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 1 TMAI",
        ...env,
      },
      stderr: "ignore",
    }),
  );
  try {
    return await other.callTool({ name, arguments: args });
  } finally {
    await other.close();
  }
}
