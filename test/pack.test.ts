import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Address } from "viem";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { INSTALL_TARGETS, packAndInstall } from "../scripts/size/packed-install.js";
import { ALL_TOOLS_COUNT, textOf } from "./helpers/mcp.js";

/** What a user gets from `npm i token-metrics-x402-mcp`, built from this clone with `npm pack`. */
describe("the npm package", { timeout: 300_000 }, () => {
  let dir: string;
  let sandbox: Promise<Sandbox>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tm-pack-"));
    sandbox = startSandbox(); // starts while npm packs and installs
  });
  after(async () => {
    await (await sandbox).stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("packs with its build, installs into an empty directory, and its bin pays for a call over stdio", async (t) => {
    // prepack builds dist/, so a clean clone packs a working bin.
    const { listing, app, megabytes, packages, packSeconds, installSeconds } = await packAndInstall(dir);
    assert.ok(listing.includes("package/dist/index.js"), "the bin is packed");
    assert.ok(!/sandbox|anvil|\.sol\b/.test(listing), "no sandbox file is shipped");
    t.diagnostic(
      `installed: ${megabytes.toFixed(1)} MB in ${packages} packages (targets: <= ${INSTALL_TARGETS.megabytes} MB, <= ${INSTALL_TARGETS.packages} packages; npm pack ${packSeconds} s with its build, npm i ${installSeconds} s)`,
    );

    const { info, chain } = await sandbox;
    const bin = join(app, "node_modules", ".bin", "token-metrics-x402-mcp");
    const client = new Client({ name: "pack-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: bin,
        env: {
          PATH: [dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
          HOME: app,
          ...sandboxEnv(info, "x402"),
          TOKEN_METRICS_LEDGER: join(app, "ledger.jsonl"),
        },
        cwd: app,
      }),
    );
    try {
      assert.equal((await client.listTools()).tools.length, ALL_TOOLS_COUNT);
      const payer = info.payerAddress as Address;
      const before = await chain.balanceOf(chain.usdc, payer);
      const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
      assert.ok(!result.isError, textOf(result));
      assert.equal(await chain.balanceOf(chain.usdc, payer), before - 17_000n, "paid 0.017 USDC on-chain");
    } finally {
      await client.close();
    }
  });
});
