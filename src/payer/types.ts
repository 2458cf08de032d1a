import type { ApiRequest } from "../api/request.js";

/** What a settled payment cost and where to see it on-chain. */
export interface PaymentReceipt {
  asset: string;
  /** Amount in the asset's units, as a decimal string ("0.017"). */
  amount: string;
  network: string;
  payTo: string;
  transaction: string;
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
  confirm?: (question: PaymentQuestion) => Promise<boolean>;
  /** Resolves once the client was told, so no step arrives after the result. */
  progress?: (message: string) => Promise<void>;
}

/** Sends a request through x402, paying at most once; resolves with the final response. */
export type PaidFetch = (
  request: ApiRequest,
  signal: AbortSignal,
  context?: CallContext,
) => Promise<{ response: Response; attempts: number; payment?: PaymentReceipt }>;
