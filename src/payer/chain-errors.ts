import { errorText } from "../errors.js";
import { log } from "../log.js";

/** viem's error names (and the facts we keep) mapped to words a user can act on. */
function describe(error: { name?: string; status?: number }): string | undefined {
  switch (error.name) {
    case "TimeoutError":
      return "the RPC did not answer in time";
    case "HttpRequestError":
      return error.status ? `the RPC answered HTTP ${error.status}` : "the RPC could not be reached";
    case "RpcRequestError":
      return "the RPC refused the request";
    case "ContractFunctionZeroDataError":
      return "no token contract answered at that address (wrong network or RPC?)";
    default:
      return undefined;
  }
}

/**
 * A short, clear reason for a failed chain read. Library messages quote URLs (maybe with a
 * provider key), request bodies and versions: they go to the server log, never into a result.
 */
export function chainReadFailure(error: unknown): string {
  log.warn(`chain read failed: ${errorText(error)}`);
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const reason = describe(cause as { name?: string; status?: number });
    if (reason) return `${reason}; check TOKEN_METRICS_RPC_URL`;
  }
  return "the chain could not be read; check TOKEN_METRICS_RPC_URL (details in the server log)";
}
