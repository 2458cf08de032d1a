import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { errorText, ToolFailure } from "../errors.js";
import { log } from "../log.js";
import { redact } from "../secret.js";
import type { Services } from "../services.js";

/** A JSON answer, as text for the model and as structuredContent for clients and views. */
export function jsonResult(value: object): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value as Record<string, unknown> };
}

/**
 * The one error policy of every tool, catalog and spending alike. An invalid configuration is the
 * answer to every call (the handshake still works, so the client shows it); a ToolFailure's message
 * is the error result; anything else is logged and reported as unexpected, because library errors
 * quote URLs, header values and bodies. Every error text is scrubbed of secret values on the way out.
 */
export async function reply(services: Services, tool: string, work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  if (services.configProblem) return errorResult(services.configProblem);
  try {
    return await work();
  } catch (error) {
    if (error instanceof ToolFailure) return errorResult(error.message);
    log.error(`${tool} failed unexpectedly: ${errorText(error)}`);
    return errorResult(`${tool} failed unexpectedly. Details are in the server log.`);
  }
}

function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: redact(message) }] };
}
