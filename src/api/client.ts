import type { Config, Mode } from "../config.js";
import { errorText, ToolFailure } from "../errors.js";
import { moneySpent, type CallContext, type FinalAnswer, type PaidFetch, type PaymentReceipt } from "../payer/types.js";
import { USD_PRICE_BY_PATH } from "../catalog/index.js";
import { httpFailure, networkFailure, paymentNeeded, timeoutFailure } from "./errors.js";
import { log } from "../log.js";
import { jsonHeaders, readToEnd } from "../net/http.js";
import { sendWithRetries } from "../net/retry.js";
import { ResponseCache } from "./cache.js";
import { Deadline } from "./deadline.js";
import type { ApiRequest } from "./request.js";

export interface ApiResult {
  /** The parsed JSON body. */
  body: unknown;
  /** Set when this call was paid for. */
  payment?: PaymentReceipt;
  /** Set when the answer was not fetched for this call: from cache, or shared with an identical call in flight. */
  reused?: { source: "cache" | "concurrent call"; fetchedAt: string };
}

/** Memory for cached answers; API pages are small, so this holds thousands. */
const CACHE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The one way to reach Token Metrics. API-key mode sends x-api-key; x402 mode hands the request
 * to the payer (which sends x-coinbase-402 and never x-api-key); without credentials, free
 * endpoints are called with x-coinbase-402 and nothing to pay. All share timeouts, retries and
 * error wording.
 */
export class TokenMetricsClient {
  readonly cache = new ResponseCache(CACHE_MAX_BYTES);
  private readonly inFlight = new Map<string, { result: Promise<ApiResult & { bytes: number }>; callers: SharedCancellation }>();

  /** `payer` is the payer's fetch, present exactly in x402 mode. */
  constructor(
    private readonly config: Config,
    private readonly mode: Mode,
    private readonly payer?: PaidFetch,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * Answers from cache when an identical call is recent, joins an identical call in flight (N
   * concurrent identical calls cost one payment), and otherwise fetches.
   */
  async call(request: ApiRequest, signal?: AbortSignal, context?: CallContext): Promise<ApiResult> {
    // Not even asked: the user learns the price and how to configure without a round trip.
    const priceUsd = USD_PRICE_BY_PATH[request.path];
    if (this.mode === "unconfigured" && priceUsd !== 0) throw paymentNeeded(request.path, priceUsd);
    const key = `${request.method} ${request.url} ${request.body ?? ""}`;
    const cached = this.cache.get(key);
    if (cached) return { body: cached.body, reused: { source: "cache", fetchedAt: cached.fetchedAt.toISOString() } };
    const running = this.inFlight.get(key);
    if (running) {
      running.callers.join(signal);
      const { body } = await untilAborted(running.result, signal);
      return { body, reused: { source: "concurrent call", fetchedAt: new Date().toISOString() } };
    }
    // Shared by every identical caller: a payment not yet sent stops only when all of them have
    // cancelled, and one already sent completes and is recorded; each caller stops waiting when
    // it is cancelled.
    const ttlSeconds = this.config.cacheTtlSeconds ?? request.cacheTtlSeconds;
    const callers = new SharedCancellation();
    callers.join(signal);
    const fetching = this.fetch(request, { ...context, cancel: callers.signal })
      .then((result) => {
        this.cache.set(key, result.body, result.bytes, ttlSeconds * 1000);
        return result;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, { result: fetching, callers });
    const result = await untilAborted(fetching, signal);
    return { body: result.body, payment: result.payment };
  }

  private async fetch(request: ApiRequest, context: CallContext): Promise<ApiResult & { bytes: number }> {
    const deadline = new Deadline(this.config.timeoutMs);
    const timeout = deadline.signal;
    const cancel = context.cancel;
    try {
      const { response, text, attempts, payment } =
        this.mode === "x402"
          ? await this.payer!(request, timeout, { ...context, pauseDeadline: () => deadline.pause() })
          : await this.sendUnsigned(request, cancel ? AbortSignal.any([cancel, timeout]) : timeout);
      const body = parseBody(response, text, payment);
      if (!response.ok) throw withPayment(httpFailure(response.status, body, this.mode, attempts), payment);
      return { body, bytes: text.length, payment };
    } catch (error) {
      if (error instanceof ToolFailure) throw error;
      if (timeout.aborted && !cancel?.aborted) throw timeoutFailure(this.config.timeoutMs);
      if (cancel?.aborted) throw error;
      // fetch reports an unreachable host as a TypeError; anything else is ours, and its text
      // (library errors quote URLs and values) belongs in the log, not in front of the model.
      if (error instanceof TypeError) throw networkFailure(this.config.apiBaseUrl, error);
      log.error(`call to ${request.path} failed: ${errorText(error)}`);
      throw new ToolFailure(
        `Internal error while calling ${request.path}; details are in the server log. get_spending shows any payment the call made.`,
        "internal",
      );
    } finally {
      deadline.clear();
    }
  }

  /** API-key mode, or a free endpoint without credentials: never both headers (the API refuses that). */
  private async sendUnsigned(request: ApiRequest, signal: AbortSignal): Promise<FinalAnswer> {
    const auth: Record<string, string> = this.mode === "api-key" ? { "x-api-key": this.config.apiKey!.reveal() } : { "x-coinbase-402": "true" };
    const headers = { ...jsonHeaders(request), ...auth };
    const send = () => this.fetchImpl(request.url, { method: request.method, headers, body: request.body, signal });
    return readToEnd(await sendWithRetries(send, signal));
  }
}

/** A failure of a call that paid says so: the amount, the transaction, and that calling again pays again. */
function withPayment(error: unknown, payment: PaymentReceipt | undefined): unknown {
  return payment && error instanceof ToolFailure ? new ToolFailure(`${error.message} ${moneySpent(payment)}`, error.kind) : error;
}

/** Aborts once every caller waiting for one shared request has cancelled. */
class SharedCancellation {
  private readonly controller = new AbortController();
  private waiting = 0;
  readonly signal = this.controller.signal;

  join(signal?: AbortSignal): void {
    this.waiting++;
    if (!signal) return; // a caller that cannot cancel keeps the request alive
    const leave = () => {
      if (--this.waiting === 0) this.controller.abort(new Error("every caller of this request cancelled"));
    };
    if (signal.aborted) leave();
    else signal.addEventListener("abort", leave, { once: true });
  }
}

function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    work.then(resolve, reject);
  });
}

/** The answer's JSON; an error page that is not JSON becomes its first words. */
function parseBody(response: Response, text: string, payment: PaymentReceipt | undefined): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    if (response.ok)
      throw withPayment(new ToolFailure(`Token Metrics answered with something that is not JSON (HTTP ${response.status}).`, "upstream"), payment);
    return { message: text.slice(0, 300) };
  }
}
