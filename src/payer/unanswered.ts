import type { SentPayment } from "./attempt.js";

/** A lost payment is sent again only while this much of its validity is left, so it can still settle. */
const MIN_LIFE_LEFT_SECONDS = 5;

/**
 * Payments sent whose answer never came back (network, deadline), to servers that declared the
 * payment-identifier extension, by request (method, URL, body). The next identical call sends
 * the same payment again, unchanged: the server recognises its id and answers without charging
 * again, and the authorization can settle at most once anyway. So a retried call reuses the id.
 */
export class UnansweredPayments {
  private readonly payments = new Map<string, SentPayment>();

  constructor(private readonly nowSeconds: () => number = () => Date.now() / 1000) {}

  remember(key: string, payment: SentPayment): void {
    if (payment.signature.paymentId) this.payments.set(key, payment);
  }

  /** The lost payment for this request while it can still settle; it is handed out once. */
  take(key: string): SentPayment | undefined {
    const payment = this.payments.get(key);
    this.payments.delete(key);
    return payment && Number(payment.signed.validBefore) - this.nowSeconds() > MIN_LIFE_LEFT_SECONDS ? payment : undefined;
  }
}
