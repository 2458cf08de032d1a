import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ErrorCode, McpError, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { CallContext, PaymentQuestion } from "../payer/types.js";

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * The name of the authenticated HTTP client making this call (a token's name or the JWT claim
 * set by TOKEN_METRICS_HTTP_CLIENT_CLAIM); undefined over stdio and unauthenticated loopback HTTP.
 */
export const clientName = (extra: Extra): string | undefined => extra.authInfo?.clientId;

/** Steps of a paid call reported as progress: challenge received, signed, settled. */
const PAID_CALL_STEPS = 3;

/**
 * What a tool call may do with its client while paying: ask the user to approve a price (only
 * when the client supports elicitation) and report progress (only when it sent a progressToken).
 */
export function callContext(server: McpServer, extra: Extra, approvalTimeoutMs: number): CallContext {
  const progressToken = extra._meta?.progressToken;
  let step = 0;
  return {
    client: clientName(extra),
    confirm: server.server.getClientCapabilities()?.elicitation ? (question) => askToPay(server, question, approvalTimeoutMs) : undefined,
    progress:
      progressToken === undefined
        ? undefined
        : async (message) => {
            step++;
            await extra
              .sendNotification({ method: "notifications/progress", params: { progressToken, progress: step, total: PAID_CALL_STEPS, message } })
              .catch(() => undefined);
          },
  };
}

/** Asks the person; the wait has its own limit (TOKEN_METRICS_APPROVAL_TIMEOUT_MS), not the SDK's 60 s default. */
async function askToPay(server: McpServer, question: PaymentQuestion, timeout: number): Promise<"approved" | "declined" | "no answer in time"> {
  try {
    const answer = await server.server.elicitInput(
      {
        message: `Pay ${question.price} for Token Metrics ${question.endpoint}? It is above your approval threshold of ${question.threshold} (TOKEN_METRICS_CONFIRM_ABOVE).`,
        requestedSchema: {
          type: "object",
          properties: { approve: { type: "boolean", title: `Pay ${question.price}`, description: "Approve this one payment." } },
          required: ["approve"],
        },
      },
      { timeout },
    );
    return answer.action === "accept" && answer.content?.approve === true ? "approved" : "declined";
  } catch (error) {
    // A client that fails to ask has not approved; one that did not answer in time neither.
    return error instanceof McpError && error.code === ErrorCode.RequestTimeout ? "no answer in time" : "declined";
  }
}
