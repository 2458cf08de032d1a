import { ToolFailure } from "../errors.js";
import { jsonHeaders, readToEnd } from "../net/http.js";
import { sendWithRetries } from "../net/retry.js";
import { settlementOf } from "./signer.js";
import type { FinalAnswer, PaidRequest } from "./types.js";

export interface Answer {
  response: Response;
  /** HTTP requests it took (retries of 429/5xx included). */
  attempts: number;
}

/**
 * The HTTP side of one paid call, with no x402 in it but the headers: asking (unpaid, so the
 * server can answer 402 with its price) and sending a signed payment. Redirects are never
 * followed (they could move a payment to another host); retries of a payment re-send the same
 * signature, which settles at most once, and stop once a response carries a settlement.
 */
export class Exchange {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly request: PaidRequest,
    private readonly fetchImpl: typeof fetch,
    /** Cut by cancellation or the deadline: what stops a call before it pays. */
    private readonly unpaidSignal: AbortSignal,
    /** Cut by the deadline only: once a payment is sent, its answer is awaited. */
    private readonly paidSignal: AbortSignal,
    /** The asset asked for by default (x-payment-token), when the user prefers one. */
    preferred: string | undefined,
  ) {
    this.headers = { ...jsonHeaders(request), "x-coinbase-402": "true", ...(preferred ? { "x-payment-token": preferred.toLowerCase() } : {}) };
  }

  /** The request without payment: the data (free endpoint, API key) or a 402 challenge. */
  ask(extra: Record<string, string> = {}): Promise<Answer> {
    return sendWithRetries(() => this.send(extra, this.unpaidSignal, "Nothing was paid."), this.unpaidSignal);
  }

  /**
   * The request with a signed payment, read to its end: a receipt must come with its data. Rejects
   * when no complete answer came back (network, deadline) or on a redirect.
   */
  async pay(paymentHeaders: Record<string, string>): Promise<FinalAnswer> {
    const consequence = "A signed payment was sent with the request and may have settled; get_spending shows it. Calling again pays again.";
    const paid = await sendWithRetries(
      () => this.send(paymentHeaders, this.paidSignal, consequence),
      this.paidSignal,
      (response) => !settlementOf(response),
    );
    return readToEnd(paid);
  }

  private async send(extra: Record<string, string>, signal: AbortSignal, consequence: string): Promise<Response> {
    const { url, method, body } = this.request;
    const response = await this.fetchImpl(url, { method, headers: { ...this.headers, ...extra }, body, signal, redirect: "manual" });
    if (response.status >= 300 && response.status < 400) {
      void response.body?.cancel();
      throw new ToolFailure(
        `The API answered with a redirect (HTTP ${response.status}) to ${response.headers.get("location") ?? "elsewhere"}; it is not followed for payments. ${consequence}`,
      );
    }
    return response;
  }
}
