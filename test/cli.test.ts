import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { describeSettings } from "../src/config.js";
import { BUILT_SERVER } from "./helpers/mcp.js";

/** Runs the built bin with a minimal environment; resolves with its exit code and output either way. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BUILT_SERVER, ...args], { env: { PATH: process.env.PATH ?? "" }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe("the command line", () => {
  test("--help lists every setting from the configuration schema, its flag, and the switches", async () => {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout } = await run([flag]);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage:/m);
      for (const { variable, flag: settingFlag } of describeSettings()) {
        assert.ok(stdout.includes(variable), `${variable} is in --help`);
        if (settingFlag) assert.ok(stdout.includes(`${variable}, --${settingFlag} <value>`), `--${settingFlag} is in --help`);
      }
      for (const name of ["--http", "--help", "--version"]) assert.ok(stdout.includes(name), name);
    }
  });

  test("--version prints package.json's version", async () => {
    const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-v"]) {
      const { code, stdout } = await run([flag]);
      assert.equal(code, 0);
      assert.equal(stdout, `${version}\n`);
    }
  });

  test("an unknown flag or argument is an error on stderr, and the server does not start", async () => {
    for (const args of [["--toolset", "grades"], ["serve"], ["--network"]]) {
      const { code, stdout, stderr } = await run(args);
      assert.equal(code, 2, args.join(" "));
      assert.equal(stdout, "", "nothing on stdout");
      assert.match(stderr, /Invalid command line.*--help/);
      assert.doesNotMatch(stderr, /ready/);
    }
  });

  test("every setting is documented in the README's configuration table", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    for (const { variable } of describeSettings()) assert.ok(readme.includes(`| \`${variable}\` |`), `${variable} is in the README table`);
  });
});
