import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describeSettings, loadConfig } from "../../src/config.js";
import { createServer, createServices } from "../../src/server.js";

/** The server's entry inside the bundle, as in the npm package. */
export const ENTRY_POINT = "dist/index.js";

type UserConfigOption = NonNullable<McpbManifestAny["user_config"]>[string];

/**
 * What Claude Desktop asks the user for, and the variable each answer becomes: the settings whose
 * entry in src/config.ts names a bundle field, with their --help text and default. Optional fields
 * default to "" because an unset field would reach the server as a literal "${user_config.x}"; the
 * server treats empty variables as unset.
 */
export const USER_CONFIG: Record<string, UserConfigOption & { env: string }> = Object.fromEntries(
  describeSettings().flatMap(({ variable, help, shownDefault, bundle }) =>
    bundle
      ? [
          [
            bundle.key,
            {
              env: variable,
              type: "string",
              title: bundle.title,
              description: help,
              ...(bundle.sensitive ? { sensitive: true } : {}),
              default: shownDefault === "none" ? "" : shownDefault,
            },
          ],
        ]
      : [],
  ),
);

interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  keywords: string[];
}

/** The MCPB manifest (v0.2, the mcpb CLI's default) for the package at `root`. */
export async function buildManifest(root: string): Promise<McpbManifestAny> {
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
  return {
    manifest_version: "0.2",
    name: pkg.name,
    display_name: "Token Metrics (x402)",
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Token Metrics' crypto intelligence (prices, AI grades, trading signals, market metrics, research, indices) as tools. Each call is paid by your wallet with x402 within the per-call maximum and budgets you set, or billed to your Token Metrics API key. Testnet (Base Sepolia) by default.",
    author: { name: `${pkg.name} maintainers` },
    license: pkg.license,
    keywords: pkg.keywords,
    server: {
      type: "node",
      entry_point: ENTRY_POINT,
      mcp_config: {
        command: "node",
        args: [`\${__dirname}/${ENTRY_POINT}`],
        env: Object.fromEntries(Object.entries(USER_CONFIG).map(([key, option]) => [option.env, `\${user_config.${key}}`])),
      },
    },
    tools: await serverTools(),
    user_config: Object.fromEntries(Object.entries(USER_CONFIG).map(([key, { env: _env, ...option }]) => [key, option])),
    compatibility: { platforms: ["darwin", "win32", "linux"], runtimes: { node: ">=20.0.0" } },
  };
}

/** The tools as the server itself lists them with every toolset on, so the manifest cannot drift. */
async function serverTools(): Promise<Array<{ name: string; description?: string }>> {
  const config = loadConfig({ TOKEN_METRICS_LEDGER: join(tmpdir(), "token-metrics-bundle-unused.jsonl") });
  const server = createServer(createServices(config));
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "bundle", version: "1.0.0" });
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return (await client.listTools()).tools.map(({ name, description }) => ({ name, description }));
  } finally {
    await client.close();
    await server.close();
  }
}
