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

/** Sends a request through x402, paying at most once; resolves with the final response. */
export type PaidFetch = (
  request: ApiRequest,
  signal: AbortSignal,
) => Promise<{ response: Response; attempts: number; payment?: PaymentReceipt }>;
