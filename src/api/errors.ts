import type { Mode } from "../config.js";
import { errorText, ToolFailure } from "../errors.js";
import { log } from "../log.js";

/** Token Metrics' failures in words a model can act on: the wording lives in one place. */

const CONFIGURE =
  "Set TOKEN_METRICS_PRIVATE_KEY (a wallet with USDC on Base Sepolia/Base, pays per call via x402) or TOKEN_METRICS_API_KEY (a Token Metrics API key) in the MCP server's env and restart it.";

/** A paid endpoint called without credentials: its price and how to pay for it. */
export function paymentNeeded(path: string, priceUsd: number | undefined): ToolFailure {
  const price = priceUsd === undefined ? "needs payment" : `costs about $${priceUsd} per call in USDC (10% less in TMAI) with x402`;
  return new ToolFailure(
    `This Token Metrics call (${path}) ${price}, and no credentials are configured. ${CONFIGURE} Free tools work without either.`,
    "configuration",
  );
}

/** The API's own explanation, when its body has one (`{message}` or x402's `{error}`). */
function upstreamMessage(body: unknown): string | undefined {
  if (body && typeof body === "object") {
    const { message, error } = body as { message?: unknown; error?: unknown };
    const text = typeof message === "string" ? message : typeof error === "string" ? error : undefined;
    return text?.slice(0, 300);
  }
  return undefined;
}

export function httpFailure(status: number, body: unknown, mode: Mode, attempts: number): ToolFailure {
  const said = upstreamMessage(body);
  const detail = said ? ` Token Metrics said: "${said}".` : "";
  const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
  switch (true) {
    case status === 400:
      return new ToolFailure(
        `Token Metrics rejected the parameters (400).${detail} Check the arguments (ids, dates as YYYY-MM-DD, limit 1-100, page from 1).`,
        "upstream",
      );
    case status === 401:
      return new ToolFailure(
        mode === "api-key"
          ? `Token Metrics did not accept the API key (401).${detail} Check TOKEN_METRICS_API_KEY, or use TOKEN_METRICS_PRIVATE_KEY to pay per call instead.`
          : `Token Metrics asked for credentials (401) although the x402 header was sent.${detail} Check TOKEN_METRICS_API_BASE_URL.`,
        "upstream",
      );
    case status === 402:
      return new ToolFailure(
        mode === "api-key"
          ? `This endpoint needs payment (402): your API plan does not include it.${detail} Upgrade the plan or use TOKEN_METRICS_PRIVATE_KEY to pay per call.`
          : mode === "unconfigured"
            ? `Token Metrics asks payment for this call (402) and no credentials are configured.${detail} ${CONFIGURE}`
            : `Payment was not accepted (402).${detail} Check the wallet's balance and network.`,
        "upstream",
      );
    case status === 403:
      return new ToolFailure(`Access forbidden (403): the plan or key may not include this endpoint.${detail}`, "upstream");
    case status === 404:
      return new ToolFailure(`Not found (404).${detail} Check the token id or index id; get_tokens and get_indices list valid ids.`, "upstream");
    case status === 429:
      return new ToolFailure(`Token Metrics is rate limiting (429)${tries}.${detail} Wait a minute before calling again, or spread the calls out.`, "upstream");
    case status >= 500:
      return new ToolFailure(`Token Metrics had a server error (${status})${tries}.${detail} Try again in a few minutes.`, "upstream");
    default:
      return new ToolFailure(`Unexpected answer from Token Metrics (HTTP ${status}).${detail}`, "upstream");
  }
}

export function timeoutFailure(timeoutMs: number): ToolFailure {
  return new ToolFailure(`Token Metrics did not answer within ${Math.round(timeoutMs / 1000)} s. Try again, or raise TOKEN_METRICS_TIMEOUT_MS.`, "timeout");
}

/** Node's network error codes in words; anything else is "the connection failed" (the library text goes to the log). */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "the connection was refused",
  ENOTFOUND: "the host name was not found (DNS)",
  EAI_AGAIN: "the host name could not be resolved (DNS)",
  ECONNRESET: "the connection was reset",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_SOCKET: "the connection closed unexpectedly",
};

export function networkFailure(baseUrl: string, error: unknown): ToolFailure {
  const cause = (error instanceof Error ? error.cause : undefined) as { code?: string; message?: string } | undefined;
  const code = cause?.code ?? "";
  const reason = NETWORK_REASONS[code] ?? (/CERT|SSL|TLS/.test(code) ? "its TLS certificate was not accepted" : "the connection failed");
  log.warn(`could not reach the API: ${cause?.message ?? errorText(error)}`);
  return new ToolFailure(`Could not reach ${new URL(baseUrl).host}: ${reason}. Check the network and TOKEN_METRICS_API_BASE_URL.`, "network");
}
