import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { log } from "../../src/log.js";

const LOG_MODULE = fileURLToPath(new URL("../../src/log.ts", import.meta.url));

/** What a process running `body` (with `log` imported) wrote to stderr, and its exit code. */
function stderrOf(body: string): { stderr: string; status: number | null } {
  const code = `import { log } from ${JSON.stringify(LOG_MODULE)};\n${body}`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8" });
  return { stderr: run.stderr, status: run.status };
}

describe("log: stderr lines leave once the current work yields, never inside it, and none is lost", () => {
  test("lines logged in one turn are written after it, together, in order", async () => {
    const writes: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (writes.push(chunk), true)) as typeof process.stderr.write;
    try {
      log.info("one");
      log.warn("two");
      log.debug("not for stderr");
      assert.deepEqual(writes, [], "nothing written inside the work that logged");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(writes, ["[token-metrics-x402-mcp] info: one\n[token-metrics-x402-mcp] warning: two\n"]);
  });

  const cases: Array<[name: string, body: string, stderr: string, status: number]> = [
    ["logged just before process.exit: still written", `log.error("bye"); process.exit(3);`, "[token-metrics-x402-mcp] error: bye\n", 3],
    [
      "across turns of the event loop: every line, in order",
      `log.info("a"); await new Promise((r) => setImmediate(r)); log.warn("b"); log.info("c");`,
      "[token-metrics-x402-mcp] info: a\n[token-metrics-x402-mcp] warning: b\n[token-metrics-x402-mcp] info: c\n",
      0,
    ],
  ];
  for (const [name, body, stderr, status] of cases) {
    test(name, () => assert.deepEqual(stderrOf(body), { stderr, status }));
  }
});
