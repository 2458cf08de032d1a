import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { parseUnits } from "viem";
import { USER_CONFIG } from "../scripts/bundle/manifest.js";
import { CATALOG } from "../src/catalog/index.js";
import { DEFAULT_MAX_PER_CALL, loadConfig } from "../src/config.js";

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), "utf8");
const VARIABLE = "TOKEN_METRICS_MAX_PER_CALL";

/** Every per-call maximum a user may copy: mcp.json, the README's JSON samples, the bundle's and the registry's defaults. */
async function sampleMaxima(): Promise<Array<{ where: string; value: string }>> {
  const found: Array<{ where: string; value: string }> = [];
  const collect = (where: string, node: unknown): void => {
    if (Array.isArray(node)) node.forEach((item) => collect(where, item));
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === VARIABLE && typeof value === "string") found.push({ where, value });
        else collect(where, value);
      }
    }
  };
  collect("mcp.json", JSON.parse(await read("mcp.json")));
  for (const [index, block] of [...(await read("README.md")).matchAll(/```json\n([\s\S]*?)```/g)].entries()) {
    collect(`README.md json block ${index + 1}`, JSON.parse(block[1]!));
  }
  found.push({ where: "MCPB manifest default", value: String(USER_CONFIG.max_per_call!.default) });
  const registry = JSON.parse(await read("docs/server.json")) as { packages: Array<{ environmentVariables: Array<{ name: string; default?: string }> }> };
  const entry = registry.packages[0]!.environmentVariables.find((variable) => variable.name === VARIABLE);
  if (entry?.default) found.push({ where: "docs/server.json default", value: entry.default });
  return found;
}

describe("sample configurations", () => {
  test("their per-call maximum lets every catalog tool run, and agrees with the default", async () => {
    const samples = await sampleMaxima();
    assert.ok(samples.length >= 4, JSON.stringify(samples));
    const highest = Math.max(...CATALOG.map((endpoint) => endpoint.priceUsd));
    const defaults = loadConfig({}).maxPerCall;
    for (const { where, value } of samples) {
      const max = loadConfig({ [VARIABLE]: value }).maxPerCall;
      assert.deepEqual(max, defaults, `${where}: ${value} differs from the default ${DEFAULT_MAX_PER_CALL}`);
      assert.ok(parseUnits(max.USDC ?? "0", 6) >= parseUnits(String(highest), 6), `${where}: ${value} refuses tools priced ${highest} USDC`);
    }
  });
});
