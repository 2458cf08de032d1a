import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { connectStdio, textOf } from "./helpers/mcp.js";

/** Paid calls that are all different, so none is answered from the cache. */
const PAID_CALLS = [
  { name: "get_trading_signals", arguments: { token_id: 3375 } },
  { name: "get_trading_signals", arguments: { token_id: 3306 } },
  { name: "get_tm_grade", arguments: { token_id: 3375 } },
  { name: "get_tm_grade", arguments: { token_id: 3306 } },
];

describe("TOKEN_METRICS_LOW_BALANCE (the built server over stdio)", { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let dir: string;
  let ledgers = 0;

  before(async () => {
    sandbox = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), "tm-low-balance-"));
  });
  after(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the paid calls and get_wallet_status; what the client and stderr saw. */
  async function session(lowBalance: string) {
    const env = { ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_LEDGER: join(dir, `ledger-${++ledgers}.jsonl`), TOKEN_METRICS_LOW_BALANCE: lowBalance };
    const { client, stderr, close } = await connectStdio(env);
    try {
      const logged: string[] = [];
      client.setNotificationHandler(
        LoggingMessageNotificationSchema,
        (notification) => void logged.push(`${notification.params.level}: ${String(notification.params.data)}`),
      );
      const notes: string[] = [];
      for (const call of PAID_CALLS) {
        const result = await client.callTool(call);
        assert.ok(!result.isError, textOf(result));
        const { payment, note } = result.structuredContent as { payment?: { status: string }; note?: string };
        assert.equal(payment?.status, "settled", "a paid call, not a cached answer");
        if (note) notes.push(note);
      }
      const status = (await client.callTool({ name: "get_wallet_status", arguments: {} })).structuredContent as {
        lowBalance?: string;
        balances: Array<{ asset: string; balance: string }>;
      };
      return { logged, notes, status, stderr: stderr.join("") };
    } finally {
      await close();
    }
  }

  test("a threshold above the wallet's balance: one warning across several paid calls (log message, stderr, note), and get_wallet_status says so", async () => {
    // The sandbox funds the wallet with 1000 USDC.
    const { logged, notes, status, stderr } = await session("2000 USDC");
    const warning = /^Low balance: the wallet holds 99\d\.\d+ USDC, below TOKEN_METRICS_LOW_BALANCE \(2000 USDC\)\. Top it up before paid calls start failing/;
    assert.equal(notes.length, 1, `one note in ${PAID_CALLS.length} results: ${JSON.stringify(notes)}`);
    assert.match(notes[0]!, warning);
    const warnings = logged.filter((message) => message.includes("Low balance"));
    assert.deepEqual(warnings, [`warning: ${notes[0]}`], "one MCP log message, the note's words");
    assert.equal(stderr.split("\n").filter((line) => line.includes("Low balance")).length, 1, stderr);
    assert.match(
      status.lowBalance ?? "",
      /^Low balance: the wallet holds 99\d\.\d+ USDC, below TOKEN_METRICS_LOW_BALANCE \(2000 USDC\)/,
      "shown whenever it is low",
    );
  });

  test("a threshold below the balance: no warning anywhere", async () => {
    const { logged, notes, status, stderr } = await session("1 USDC");
    assert.deepEqual(notes, []);
    assert.deepEqual(
      logged.filter((message) => message.includes("Low balance")),
      [],
    );
    assert.ok(!stderr.includes("Low balance"));
    assert.equal(status.lowBalance, undefined);
    assert.equal(status.balances[0]?.asset, "USDC");
  });
});
