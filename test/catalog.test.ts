import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { before, describe, test } from "node:test";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { CATALOG } from "../src/catalog/index.js";
import { TOOLSET_NAMES } from "../src/catalog/toolsets.js";
import { ALL_TOOLS_COUNT, connectInMemory, listToolsInMemory, SPENDING_TOOLS } from "./helpers/mcp.js";

/** One file per tool (tools/list in x402 mode), so a schema change names its tool in the diff and the failure. */
const TOOL_SNAPSHOTS = new URL("./snapshots/tools/", import.meta.url);
const UPDATE_SNAPSHOTS = process.env.UPDATE_SNAPSHOTS === "1";
/** The hints alone, per mode: small enough to review when one changes. */
const ANNOTATIONS_SNAPSHOT = new URL("./snapshots/annotations.json", import.meta.url);
const MODES = { x402: { TOKEN_METRICS_PRIVATE_KEY: `0x${"ab".repeat(32)}` }, "api-key": { TOKEN_METRICS_API_KEY: "tm-test-key" } };

const pick = (annotations: Tool["annotations"]) => {
  const { readOnlyHint, destructiveHint, idempotentHint, openWorldHint } = annotations ?? {};
  return { readOnlyHint, destructiveHint, idempotentHint, openWorldHint };
};

describe("tool catalog", () => {
  let tools: Tool[];

  before(async () => {
    tools = await listToolsInMemory({});
  });

  test("every Token Metrics endpoint is one tool, plus the free spending tools", () => {
    assert.equal(new Set(CATALOG.map((endpoint) => endpoint.path)).size, CATALOG.length, "one entry per path");
    for (const { name, priceUsd } of CATALOG) assert.ok(Number.isFinite(priceUsd) && priceUsd >= 0, `${name} costs ${priceUsd}`);
    assert.equal(tools.length, ALL_TOOLS_COUNT);
    assert.equal(new Set(tools.map((tool) => tool.name)).size, tools.length, "tool names are unique");
    for (const tool of tools) assert.match(tool.name, /^[a-z][a-z0-9_]*$/);
    for (const name of SPENDING_TOOLS)
      assert.ok(
        tools.some((tool) => tool.name === name),
        name,
      );
  });

  test("annotations are honest: paid tools in x402 mode may spend, the rest only read", async () => {
    const byMode: Record<string, Record<string, Tool["annotations"]>> = {};
    for (const [mode, env] of Object.entries(MODES)) {
      const listed = await listToolsInMemory(env);
      byMode[mode] = Object.fromEntries(listed.map((tool) => [tool.name, tool.annotations]));
    }
    const paid = CATALOG.filter((endpoint) => endpoint.priceUsd !== 0).map((endpoint) => endpoint.name);
    const free = tools.map((tool) => tool.name).filter((name) => !paid.includes(name) && name !== "reconcile_payments");
    for (const name of paid) {
      assert.deepEqual(pick(byMode.x402![name]), { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true }, name);
      assert.deepEqual(pick(byMode["api-key"]![name]), { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true }, name);
    }
    for (const mode of Object.keys(MODES)) {
      for (const name of free) assert.equal(byMode[mode]![name]!.readOnlyHint, true, `${mode} ${name}`);
      assert.equal(byMode[mode]!.reconcile_payments!.readOnlyHint, false, `${mode}: reconcile_payments writes the ledger`);
      for (const annotations of Object.values(byMode[mode]!)) assert.equal(annotations!.destructiveHint, false);
    }
    // One line per tool, so a changed hint is a one-line diff.
    const modes = Object.entries(byMode).map(
      ([mode, hints]) =>
        `  "${mode}": {\n${Object.entries(hints)
          .map(([name, annotations]) => `    "${name}": ${JSON.stringify(pick(annotations))}`)
          .join(",\n")}\n  }`,
    );
    const current = `{\n${modes.join(",\n")}\n}\n`;
    if (UPDATE_SNAPSHOTS) await writeFile(ANNOTATIONS_SNAPSHOT, current);
    assert.equal(current, await readFile(ANNOTATIONS_SNAPSHOT, "utf8"), "annotations per mode match the snapshot (UPDATE_SNAPSHOTS=1 to accept a change)");
  });

  test("descriptions are useful and state the price", () => {
    for (const tool of tools) {
      assert.equal(typeof tool.annotations?.openWorldHint, "boolean", tool.name);
      assert.ok(tool.title && tool.description && tool.description.length > 80, `${tool.name} needs a useful description`);
    }
    const signals = tools.find((tool) => tool.name === "get_trading_signals")!;
    assert.match(signals.description!, /\$0\.017 in USDC per call \(\$0\.0153 in TMAI\)/);
    assert.match(tools.find((tool) => tool.name === "get_price")!.description!, /Free/);
  });

  test("schemas use the API's parameter names, enums and bounds", () => {
    const schema = (name: string) =>
      tools.find((tool) => tool.name === name)!.inputSchema as { properties: Record<string, any>; additionalProperties?: boolean };
    const signals = schema("get_trading_signals");
    // Numbers also come as numeric strings (models send both): the schema says so, bounds on the number.
    assert.deepEqual(signals.properties.signal.anyOf[0].enum, [1, 0, -1]);
    assert.deepEqual([...signals.properties.signal.anyOf[1].enum].sort(), ["-1", "0", "1"]);
    assert.equal(signals.properties.limit.anyOf[0].maximum, 100);
    assert.deepEqual(signals.properties.limit.anyOf[1], { type: "string", pattern: "^\\d{1,16}$" });
    assert.equal(signals.properties.page.anyOf[0].minimum, 1);
    assert.equal(signals.additionalProperties, false);
    for (const name of ["token_id", "symbol", "startDate", "endDate", "marketcap", "fdv", "volume", "category", "exchange", "fields"]) {
      assert.ok(name in signals.properties, `get_trading_signals lacks ${name}`);
    }
    assert.deepEqual(schema("get_indices").properties.indicesType.enum, ["active", "passive"]);
    assert.deepEqual(schema("get_moonshot_tokens").properties.type.enum, ["active", "past"]);
    assert.ok("id" in schema("get_indices_holdings").properties);
    assert.equal(schema("get_top_market_cap_tokens").properties.top_k.anyOf[0].maximum, 100);
    assert.ok("question" in schema("ask_tmai").properties);
  });

  test("toolsets limit what is registered", async () => {
    const names = (await listToolsInMemory({ TOKEN_METRICS_TOOLSETS: "indices,signals" })).map((tool) => tool.name).sort();
    assert.deepEqual(names, [
      "get_hourly_trading_signals",
      "get_indices",
      "get_indices_holdings",
      "get_indices_performance",
      "get_resistance_support",
      "get_spending",
      "get_trading_signals",
      "get_wallet_status",
      "reconcile_payments",
    ]);
    assert.deepEqual(new Set(CATALOG.map((endpoint) => endpoint.toolset)), new Set(TOOLSET_NAMES));
  });

  test("the toolsets resource lists every tool with its price and what is enabled", async () => {
    const { client: limited, close: closeLimited } = await connectInMemory({ TOKEN_METRICS_TOOLSETS: "grades" });
    const { resources } = await limited.listResources();
    // The views are listed whatever the toolsets: the spending tools are always there, and a view costs nothing until read.
    assert.deepEqual(resources.map((resource) => resource.uri).sort(), [
      "payments://ledger",
      "toolsets://list",
      "ui://token-metrics/price.html",
      "ui://token-metrics/spending.html",
    ]);
    const read = await limited.readResource({ uri: "toolsets://list" });
    await closeLimited();
    const { toolsets } = JSON.parse((read.contents[0] as { text: string }).text) as {
      toolsets: Array<{ name: string; enabled: boolean; tools: Array<{ name: string; priceUsd: number }> }>;
    };
    assert.deepEqual(
      toolsets.filter((toolset) => toolset.enabled).map((toolset) => toolset.name),
      ["grades"],
    );
    assert.equal(toolsets.flatMap((toolset) => toolset.tools).length, CATALOG.length);
    assert.deepEqual(
      toolsets.find((toolset) => toolset.name === "signals")!.tools.find((tool) => tool.name === "get_trading_signals"),
      { name: "get_trading_signals", priceUsd: 0.017 },
    );
  });

  test("each listed tool (x402 mode: no API key) matches its committed snapshot file (UPDATE_SNAPSHOTS=1 to accept a change)", async (t) => {
    const fileOf = (name: string) => new URL(`${name}.json`, TOOL_SNAPSHOTS);
    const listed = tools.map((tool) => tool.name).sort();
    if (UPDATE_SNAPSHOTS) {
      await rm(TOOL_SNAPSHOTS, { recursive: true, force: true });
      await mkdir(TOOL_SNAPSHOTS, { recursive: true });
      for (const tool of tools) await writeFile(fileOf(tool.name), `${JSON.stringify(tool, null, 2)}\n`);
    }
    const snapshotted = (await readdir(TOOL_SNAPSHOTS))
      .filter((file) => file.endsWith(".json"))
      .map((file) => file.slice(0, -".json".length))
      .sort();
    assert.deepEqual(
      listed.filter((name) => !snapshotted.includes(name)),
      [],
      "listed tools without a snapshot file in test/snapshots/tools/",
    );
    assert.deepEqual(
      snapshotted.filter((name) => !listed.includes(name)),
      [],
      "snapshot files in test/snapshots/tools/ for tools no longer listed",
    );
    // Compared as JSON values (what the wire carries), so neither the order of tools/list nor of an
    // object's keys counts; arrays (enums, required) keep theirs.
    for (const tool of tools) {
      await t.test(tool.name, async () => {
        assert.deepEqual(
          JSON.parse(JSON.stringify(tool)),
          JSON.parse(await readFile(fileOf(tool.name), "utf8")),
          `${tool.name} differs from test/snapshots/tools/${tool.name}.json`,
        );
      });
    }
  });
});
