import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CATALOG } from "../catalog/index.js";
import { TOOLSETS, TOOLSET_NAMES, type Toolset } from "../catalog/toolsets.js";

/** `toolsets://list`: every toolset, its tools and their prices, and which ones this server registered. */
export function registerToolsetsResource(server: McpServer, enabled: readonly Toolset[]): void {
  server.registerResource(
    "toolsets",
    "toolsets://list",
    {
      title: "Toolsets",
      description: "The tool groups, their tools with the expected x402 price in USD, and which groups are enabled (TOKEN_METRICS_TOOLSETS).",
      mimeType: "application/json",
    },
    async (uri) => {
      const toolsets = TOOLSET_NAMES.map((name) => ({
        name,
        description: TOOLSETS[name],
        enabled: enabled.includes(name),
        tools: CATALOG.filter((endpoint) => endpoint.toolset === name).map((endpoint) => ({ name: endpoint.name, priceUsd: endpoint.priceUsd })),
      }));
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ toolsets }) }] };
    },
  );
}
