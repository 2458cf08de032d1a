import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ToolFailure } from "../api/errors.js";
import { buildRequest } from "../api/request.js";
import { expectedPriceUsd } from "../catalog/index.js";
import { TMAI_DISCOUNT } from "../catalog/prices.js";
import type { Endpoint } from "../catalog/types.js";
import { log } from "../log.js";
import { redact } from "../secret.js";
import type { Services } from "../server.js";
import { callContext } from "./call-context.js";
import { inputSchemaFor } from "./input-schema.js";
import { shapeResult } from "./shape.js";

/** Registers each catalog entry as a tool with one generic handler. */
export function registerCatalogTools(server: McpServer, endpoints: readonly Endpoint[], deps: Services): void {
  for (const endpoint of endpoints) {
    server.registerTool(
      endpoint.name,
      {
        title: endpoint.title,
        description: describe(endpoint),
        inputSchema: inputSchemaFor(endpoint),
        annotations: { title: endpoint.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      async (args: Record<string, unknown>, extra) => {
        if (deps.configProblem) return failure(deps.configProblem);
        try {
          const request = buildRequest(deps.config.apiBaseUrl, endpoint, args);
          const { body, payment, reused } = await deps.client.call(request, extra.signal, callContext(server, extra));
          const shaped = shapeResult(endpoint, args, body, { payment, reused });
          return { content: [{ type: "text", text: shaped.text }], structuredContent: shaped.structured };
        } catch (error) {
          if (error instanceof ToolFailure) return failure(error.message);
          log.error(`${endpoint.name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
          return failure(`${endpoint.name} failed unexpectedly. Details are in the server log.`);
        }
      },
    );
  }
}

function failure(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: redact(message) }] };
}

function describe(endpoint: Endpoint): string {
  const usd = expectedPriceUsd(endpoint);
  const price =
    usd === undefined
      ? "Price: set by the 402 challenge."
      : usd === 0
        ? "Free: no payment needed."
        : `Price with x402: about $${usd} in USDC per call ($${+(usd * (1 - TMAI_DISCOUNT)).toFixed(4)} in TMAI); included in API-key plans.`;
  const legacy = endpoint.legacy ? ` Legacy: ${endpoint.legacy}.` : "";
  return `${endpoint.description}${legacy} ${price}`;
}
