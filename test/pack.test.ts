import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Address } from "viem";
import { sandboxEnv, startSandbox, type Sandbox } from "../src/sandbox/index.js";
import { textOf } from "./helpers/mcp.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run("npm", args, { cwd, timeout: 150_000, maxBuffer: 20 * 1024 * 1024 });

/** Disk usage of a directory in MB, as `du` counts it (a JS walk over ~50 000 files takes far longer). */
async function megabytesOf(path: string): Promise<number> {
  const { stdout } = await run("du", ["-sk", path]);
  return Number(stdout.split(/\s/)[0]) / 1024;
}

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
    const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(0);
    const packing = Date.now();
    // prepack builds dist/, so a clean clone packs a working bin.
    await npm(["pack", "--pack-destination", dir], ROOT);
    const packSeconds = seconds(packing);
    const [tarball, ...others] = (await readdir(dir)).filter((name) => name.endsWith(".tgz"));
    assert.ok(tarball && others.length === 0, "one tarball");
    const { stdout: listing } = await run("tar", ["-tzf", join(dir, tarball)]);
    assert.ok(listing.includes("package/dist/index.js"), "the bin is packed");
    assert.ok(!listing.includes("package/dist/sandbox/"), "the sandbox is not shipped");

    const app = join(dir, "app");
    await mkdir(app);
    const installing = Date.now();
    await npm(["i", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tarball)], app);
    const installSeconds = seconds(installing);
    const lock = JSON.parse(await readFile(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    const packages = Object.keys(lock.packages).filter((key) => key !== "").length;
    const megabytes = await megabytesOf(join(app, "node_modules"));
    t.diagnostic(`installed: ${megabytes.toFixed(1)} MB in ${packages} packages (targets: <= 150 MB, <= 200 packages; npm pack ${packSeconds} s with its build, npm i ${installSeconds} s)`);

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
      assert.equal((await client.listTools()).tools.length, 32);
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
