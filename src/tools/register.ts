import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { buildRequest } from "../api/request.js";
import { TMAI_DISCOUNT } from "../catalog/index.js";
import type { Endpoint } from "../catalog/types.js";
import type { Mode } from "../config.js";
import type { Services } from "../services.js";
import { callContext, type Extra } from "./call-context.js";
import type { ConnectionLog } from "./connection-log.js";
import { inputSchemaFor } from "./input-schema.js";
import { reply } from "./reply.js";
import { shapeResult } from "./shape.js";
import { viewMeta } from "./views.js";

/** Registers each catalog entry as a tool with one generic handler. */
export function registerCatalogTools(server: McpServer, endpoints: readonly Endpoint[], deps: Services, logs: ConnectionLog): void {
  async function call(endpoint: Endpoint, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
    const request = buildRequest(deps.config.apiBaseUrl, endpoint, args);
    const { body, payment, reused } = await deps.client.call(request, extra.signal, callContext(server, extra, deps.config.approvalTimeoutMs));
    const shaped = shapeResult(endpoint, args, body, { payment, reused, warning: deps.payer?.lowBalance?.takeWarning() });
    return { content: [{ type: "text", text: shaped.text }], structuredContent: shaped.structured };
  }

  for (const endpoint of endpoints) {
    server.registerTool(
      endpoint.name,
      {
        title: endpoint.title,
        description: describe(endpoint),
        inputSchema: inputSchemaFor(endpoint),
        annotations: annotationsFor(endpoint, deps.mode),
        _meta: viewMeta(endpoint.name),
      },
      // Everything the call logs (payment, refusal, failure) goes to its own client.
      (args: Record<string, unknown>, extra) => logs.during(extra, () => reply(deps, endpoint.name, () => call(endpoint, args, extra))),
    );
  }
}

/**
 * Honest hints: a call that pays changes the user's wallet, so it is neither read-only nor
 * idempotent (each call pays again), and clients that auto-approve read-only tools must ask first.
 * Without an API key a priced endpoint is paid (or will be, once a wallet is set: clients cache
 * tools/list); free endpoints and API-key mode only read.
 */
function annotationsFor(endpoint: Endpoint, mode: Mode): ToolAnnotations {
  const paid = mode !== "api-key" && endpoint.priceUsd !== 0;
  return { title: endpoint.title, readOnlyHint: !paid, destructiveHint: false, idempotentHint: !paid, openWorldHint: true };
}

function describe(endpoint: Endpoint): string {
  const usd = endpoint.priceUsd;
  const price =
    usd === 0
      ? "Free: no payment needed."
      : `Price with x402: about $${usd} in USDC per call ($${+(usd * (1 - TMAI_DISCOUNT)).toFixed(4)} in TMAI); included in API-key plans.`;
  const legacy = endpoint.legacy ? ` Legacy: ${endpoint.legacy}.` : "";
  return `${endpoint.description}${legacy} ${price}`;
}
