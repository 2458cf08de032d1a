import type { Endpoint } from "../catalog/types.js";
import type { PaidRequest } from "../payer/types.js";

/** A Token Metrics API request, transport-free: what to send, not how. */
export interface ApiRequest extends PaidRequest {
  /** How long an identical call may be answered from cache. */
  cacheTtlSeconds: number;
}

/** Arguments that shape our output and are never sent upstream. */
const LOCAL_ARGS = new Set(["fields"]);

export function buildRequest(baseUrl: string, endpoint: Endpoint, args: Record<string, unknown>): ApiRequest {
  const url = new URL(baseUrl + endpoint.path);
  if (endpoint.method === "POST") {
    return {
      method: "POST",
      url: url.toString(),
      body: JSON.stringify(endpoint.body?.(args) ?? args),
      path: endpoint.path,
      cacheTtlSeconds: endpoint.cacheTtlSeconds,
    };
  }
  const query: Record<string, unknown> = { ...args };
  if (endpoint.defaultLimit !== undefined) {
    const sizeParam = endpoint.pagination === "top_k" ? "top_k" : "limit";
    query[sizeParam] ??= endpoint.defaultLimit;
  }
  // Sorted so that equal requests have equal URLs (cache keys, known prices).
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (value !== undefined && !LOCAL_ARGS.has(name)) url.searchParams.set(name, String(value));
  }
  return { method: "GET", url: url.toString(), path: endpoint.path, cacheTtlSeconds: endpoint.cacheTtlSeconds };
}
