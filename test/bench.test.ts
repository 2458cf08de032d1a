import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";

/** The benchmark is a report, not a test: CI only checks that its short mode runs and prints every figure. */
test("npm run bench -- --short prints all eight figures", async () => {
  const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));
  const script = fileURLToPath(new URL("../scripts/bench.ts", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [tsx, script, "--short"], { timeout: 300_000, maxBuffer: 4 * 1024 * 1024 });
  for (const figure of [
    "1. HTTP requests per paid call at a known price",
    "2. instant-settling server",
    "3. sandbox",
    "4. cache hit",
    "5. 10 concurrent paid calls",
    "6. cold start",
    "7. default result size",
    "8. the ledger store",
  ]) {
    assert.ok(stdout.includes(figure), `missing: ${figure}\n${stdout}`);
  }
  // Every payment of the bursts settled once, and our ledger says so.
  assert.match(stdout, /settled on-chain in all bursts: ours 10, 10 in our ledger; plain 10\)/);
  assert.match(stdout, /floor of a durable reservation, one append .* v1 \d+\.\d+ ms, v2 \d+\.\d+ ms/);
});
