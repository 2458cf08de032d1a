import type { JsonRequest } from "../net/http.js";

/** What a payment cost and where to see it on-chain. */
export interface PaymentReceipt {
  /** "settled": the server reported the transfer; "may have settled": sent, outcome unknown. */
  status: "settled" | "may have settled";
  asset: string;
  /** Amount in the asset's units, as a decimal string ("0.017"). */
  amount: string;
  network: string;
  payTo: string;
  /** The settlement transaction, or "unknown" when the server did not say. */
  transaction: string;
}

/**
 * The sentence every failed call that spent (or may have spent) money ends with: the amount,
 * the transaction when known, and that calling again pays again.
 */
export function moneySpent(payment: PaymentReceipt): string {
  const money = `${payment.amount} ${payment.asset}`;
  return payment.status === "settled"
    ? `The payment of ${money} for this call settled (transaction ${payment.transaction}); calling again pays again.`
    : `The payment of ${money} for this call was sent and may have settled; it counts against the budget until reconcile_payments resolves it (get_spending shows it). Calling again pays again.`;
}

/** A question put to the user before an expensive payment. */
export interface PaymentQuestion {
  endpoint: string;
  /** e.g. "0.068 USDC" */
  price: string;
  threshold: string;
}

/** What the tool call lets the payer do while it works: ask the user, report progress. */
export interface CallContext {
  /** Asks the user to accept a price; absent when the client cannot be asked (no elicitation). */
  confirm?: (question: PaymentQuestion) => Promise<"approved" | "declined" | "no answer in time">;
  /** Resolves once the client was told, so no step arrives after the result. */
  progress?: (message: string) => Promise<void>;
  /**
   * Aborts when every caller waiting for this request has cancelled: a payment not yet sent then
   * stops. Unlike the deadline (the `signal` argument), it never cuts a payment already sent.
   */
  cancel?: AbortSignal;
  /** The authenticated client making the call (a token's name, a JWT's subject), for its own budget. */
  client?: string;
  /**
   * Stops the API time limit while a person is asked to approve, so the time they take is not
   * network time; resolves its pause when the returned function is called.
   */
  pauseDeadline?: () => () => void;
}

/** What the payer sends: a JSON request and the catalog path it is recorded and priced under. */
export interface PaidRequest extends JsonRequest {
  /** The catalog entry's path, used for ledger entries, known prices and messages. */
  path: string;
}

/** Sends a request through x402, paying at most once; resolves with the final answer, read to its end. */
export type PaidFetch = (request: PaidRequest, signal: AbortSignal, context?: CallContext) => Promise<FinalAnswer>;

/** The final answer of a call: its status and headers, its whole body (already read) and, when paid, what it cost. */
export interface FinalAnswer {
  response: Response;
  /** The whole body (the response's own stream is spent). */
  text: string;
  /** HTTP requests it took (retries of 429/5xx included). */
  attempts: number;
  payment?: PaymentReceipt;
}
