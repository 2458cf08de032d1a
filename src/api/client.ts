import type { Config } from "../config.js";
import type { CallContext, PaidFetch, PaymentReceipt } from "../payer/types.js";
import { httpFailure, networkFailure, notConfigured, timeoutFailure, ToolFailure, type AuthMode } from "./errors.js";
import type { ApiRequest } from "./request.js";
import { sendWithRetries } from "./retry.js";

export interface ApiResult {
  /** The parsed JSON body. */
  body: unknown;
  /** Set when this call was paid for. */
  payment?: PaymentReceipt;
}

/**
 * The one way to reach Token Metrics. API-key mode sends x-api-key; x402 mode hands the request
 * to the payer (which sends x-coinbase-402 and never x-api-key). Both share timeouts, retries
 * and error wording.
 */
export class TokenMetricsClient {
  readonly mode: AuthMode | undefined;

  constructor(
    private readonly config: Config,
    private readonly payer?: PaidFetch,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.mode = config.apiKey ? "api-key" : payer ? "x402" : undefined;
  }

  async call(request: ApiRequest, signal?: AbortSignal, context?: CallContext): Promise<ApiResult> {
    if (!this.mode) throw notConfigured();
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const { response, attempts, payment } =
        this.mode === "api-key" ? await this.sendWithKey(request, combined) : await this.payer!(request, combined, context);
      const body = await readJson(response);
      if (!response.ok) throw httpFailure(response.status, body, this.mode, attempts);
      return { body, payment };
    } catch (error) {
      if (error instanceof ToolFailure) throw error;
      if (timeout.aborted && !signal?.aborted) throw timeoutFailure(this.config.timeoutMs);
      if (signal?.aborted) throw error;
      throw networkFailure(this.config.apiBaseUrl, error);
    }
  }

  private async sendWithKey(request: ApiRequest, signal: AbortSignal) {
    const headers: Record<string, string> = { accept: "application/json", "x-api-key": this.config.apiKey!.reveal() };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    const send = () => this.fetchImpl(request.url, { method: request.method, headers, body: request.body, signal });
    return { ...(await sendWithRetries(send, signal)), payment: undefined };
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    if (response.ok) throw new ToolFailure(`Token Metrics answered with something that is not JSON (HTTP ${response.status}).`);
    return { message: text.slice(0, 300) };
  }
}
