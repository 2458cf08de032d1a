import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { SandboxInfo } from "../sandbox/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** npm may exit before the sandbox under it has finished stopping: wait until the whole group is gone. */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the sandbox did not stop within 10 s");
}

describe("npm run -s sandbox", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tm-sandbox-cli-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("prints exactly one JSON line on stdout (also to --json-file), with a ledger of its own that it removes on exit", async () => {
    const jsonFile = join(dir, "sandbox.json");
    // Its own process group, so the stop below reaches npm, the shell and the sandbox alike.
    const child = spawn("npm", ["run", "-s", "sandbox", "--", "--json-file", jsonFile], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk;
          if (stdout.includes("\n")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`sandbox exited (${code}) before printing: ${stderr}`)));
      });
      // Give anything else that would print (npm banners, logs) a moment to show up.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const lines = stdout.split("\n").filter(Boolean);
      assert.equal(lines.length, 1, `stdout: ${stdout}`);
      const info = JSON.parse(lines[0]!) as SandboxInfo;
      assert.equal(await readFile(jsonFile, "utf8"), `${lines[0]}\n`);
      assert.match(info.apiBaseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v2$/);
      assert.ok(info.ledgerPath.startsWith(tmpdir()), info.ledgerPath);
      assert.ok(!info.ledgerPath.includes(".token-metrics-x402-mcp"), "not the user's default ledger");

      process.kill(-child.pid!, "SIGTERM");
      await once(child, "exit");
      await groupGone(child.pid!);
      await assert.rejects(access(dirname(info.ledgerPath)), "its ledger directory is removed on stop");
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    }
  });
});
