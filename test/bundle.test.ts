import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { getMcpConfigForManifest, MANIFEST_SCHEMAS, validateManifest, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Address } from "viem";
import { USER_CONFIG } from "../scripts/bundle/manifest.js";
import { stageBundle } from "../scripts/bundle/stage.js";
import { CATALOG } from "../src/catalog/index.js";
import { DEFAULT_MAX_PER_CALL, loadConfig } from "../src/config.js";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import { listToolsInMemory, textOf } from "./helpers/mcp.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const readJson = async <T>(path: string) => JSON.parse(await readFile(join(ROOT, path), "utf8")) as T;

/** The command, args and env Claude Desktop derives from the manifest for these user settings. */
async function launchConfig(manifest: McpbManifestAny, stage: string, userConfig: Record<string, string>) {
  const config = await getMcpConfigForManifest({ manifest, extensionPath: stage, systemDirs: {}, userConfig, pathSeparator: sep });
  assert.ok(config, "mcpb produced no launch configuration");
  return { command: config.command, args: config.args ?? [], env: config.env ?? {} };
}

describe("MCPB bundle", () => {
  let stage: string;
  let manifest: McpbManifestAny;

  before(async () => {
    // Outside the project, so Node cannot fall back on the project's node_modules.
    stage = join(await mkdtemp(join(tmpdir(), "tm-bundle-")), "token-metrics-x402-mcp");
    await stageBundle(ROOT, stage);
    manifest = JSON.parse(await readFile(join(stage, "manifest.json"), "utf8")) as McpbManifestAny;
  });
  after(() => rm(dirname(stage), { recursive: true, force: true }));

  test("mcpb's own validation accepts the manifest", () => {
    const version = manifest.manifest_version as keyof typeof MANIFEST_SCHEMAS;
    assert.ok(version in MANIFEST_SCHEMAS, "manifest_version is one mcpb knows");
    const result = MANIFEST_SCHEMAS[version].safeParse(manifest);
    assert.ok(result.success, JSON.stringify(result.error?.issues));
    assert.equal(validateManifest(stage), true);
  });

  test("it runs dist/index.js with node, and the keys are sensitive", () => {
    assert.equal(manifest.server.type, "node");
    assert.equal(manifest.server.entry_point, "dist/index.js");
    assert.deepEqual(manifest.server.mcp_config.args, ["${__dirname}/dist/index.js"]);
    assert.equal(manifest.user_config?.private_key?.sensitive, true);
    assert.equal(manifest.user_config?.api_key?.sensitive, true);
    assert.equal(manifest.user_config?.network?.default, "base-sepolia");
    const env = manifest.server.mcp_config.env ?? {};
    for (const [key, option] of Object.entries(USER_CONFIG)) assert.equal(env[option.env], `\${user_config.${key}}`);
  });

  test("its tools are the server's own, every catalog tool among them", async () => {
    const names = (manifest.tools ?? []).map((tool) => tool.name);
    for (const endpoint of CATALOG) assert.ok(names.includes(endpoint.name), endpoint.name);
    assert.deepEqual(names.sort(), (await listToolsInMemory({})).map((tool) => tool.name).sort());
  });

  test("the env Claude Desktop builds from the settings is a valid configuration", async () => {
    const bare = await launchConfig(manifest, stage, {});
    const defaults = loadConfig(bare.env);
    assert.equal(defaults.privateKey, undefined, "an empty key field is unset, not a literal ${user_config...}");
    assert.equal(defaults.network, "base-sepolia");
    assert.deepEqual(defaults.maxPerCall, loadConfig({ TOKEN_METRICS_MAX_PER_CALL: DEFAULT_MAX_PER_CALL }).maxPerCall);

    const chosen = loadConfig((await launchConfig(manifest, stage, { api_key: "tm-key", session_budget: "1 USDC", toolsets: "signals" })).env);
    assert.equal(chosen.apiKey?.reveal(), "tm-key");
    assert.deepEqual(chosen.sessionBudget, { USDC: "1" });
    assert.deepEqual(chosen.toolsets, ["signals"]);
  });

  describe("the staged bundle, launched as Claude Desktop would", () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox();
    });
    after(() => sandbox.stop());

    test("pays for a call from its own node_modules", async () => {
      const launch = await launchConfig(manifest, stage, { private_key: sandbox.info.payerPrivateKey, tmai_address: sandbox.info.assets.tmai });
      const env = {
        ...launch.env,
        TOKEN_METRICS_API_BASE_URL: sandbox.info.apiBaseUrl,
        TOKEN_METRICS_RPC_URL: sandbox.info.rpcUrl,
        TOKEN_METRICS_LEDGER: join(stage, "..", "ledger.jsonl"),
      };
      const command = launch.command === "node" ? process.execPath : launch.command;
      const client = new Client({ name: "bundle-test", version: "1.0.0" });
      await client.connect(
        new StdioClientTransport({
          command,
          args: launch.args,
          env: { PATH: process.env.PATH ?? "", HOME: join(stage, ".."), ...env },
          cwd: join(stage, ".."),
        }),
      );
      try {
        const payer = sandbox.info.payerAddress as Address;
        const before = await sandbox.chain.balanceOf(sandbox.chain.usdc, payer);
        const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.ok(!result.isError, textOf(result));
        assert.equal(await sandbox.chain.balanceOf(sandbox.chain.usdc, payer), before - 17_000n);
        // The views ship in the bundle too: dist/views/*.html, served as ui:// resources.
        const view = await client.readResource({ uri: "ui://token-metrics/price.html" });
        assert.match((view.contents[0] as { text: string }).text, /^<!doctype html>/);
      } finally {
        await client.close();
      }
    });
  });
});

describe("MCP registry entry (docs/server.json)", () => {
  test("matches package.json: name = mcpName, same version, npm package, secrets marked", async () => {
    const pkg = await readJson<{ name: string; version: string; mcpName: string }>("package.json");
    const server = await readJson<{
      $schema: string;
      name: string;
      description: string;
      version: string;
      packages: Array<{
        registryType: string;
        identifier: string;
        version: string;
        transport: { type: string };
        environmentVariables: Array<{ name: string; isSecret?: boolean }>;
      }>;
    }>("docs/server.json");
    assert.match(server.$schema, /^https:\/\/static\.modelcontextprotocol\.io\/schemas\/\d{4}-\d{2}-\d{2}\/server\.schema\.json$/);
    assert.equal(server.name, pkg.mcpName);
    assert.match(server.name, /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    assert.ok(server.description.length <= 100, "the registry allows 100 characters");
    assert.equal(server.version, pkg.version);
    assert.equal(server.packages.length, 1);
    const [npm] = server.packages;
    assert.deepEqual([npm!.registryType, npm!.identifier, npm!.version, npm!.transport.type], ["npm", pkg.name, pkg.version, "stdio"]);
    const secrets = npm!.environmentVariables.filter((variable) => variable.isSecret).map((variable) => variable.name);
    assert.deepEqual(secrets.sort(), ["TOKEN_METRICS_API_KEY", "TOKEN_METRICS_PRIVATE_KEY"]);
    // Every variable offered is one the README's configuration table documents.
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    for (const { name } of npm!.environmentVariables) assert.ok(readme.includes(`\`${name}\``), `${name} is documented`);
  });
});
