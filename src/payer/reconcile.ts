import type { Address, Hash, Hex } from "viem";
import type { PaymentRecord } from "./book.js";
import type { Ledger } from "./ledger.js";
import type { WalletReader } from "./wallet.js";

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Clocks differ: an authorization is taken as expired only this long after its validBefore. */
export const EXPIRY_MARGIN_SECONDS = 5;

/**
 * Settles the fate of pending payments whose authorization has expired: the chain's
 * authorizationState says whether it was used (then it was paid) or not (then it never will be,
 * and its budget is released). Returns how many changed.
 */
export async function releaseExpired(ledger: Ledger, wallet: WalletReader, authorizer: Address): Promise<number> {
  const book = await ledger.sync();
  const expired = book.select({ status: "pending" }).filter((payment) => payment.validBefore + EXPIRY_MARGIN_SECONDS < nowSeconds());
  for (const payment of expired) {
    const used = await wallet.authorizationUsed(payment.assetAddress as Address, (payment.payer ?? authorizer) as Address, payment.nonce as Hex);
    await ledger.append({
      ...identity(payment),
      event: used ? "settled" : "released",
      transaction: used ? "unknown" : undefined,
      reason: used ? "reconciled: the authorization was used on-chain" : "reconciled: expired and never used on-chain",
    });
  }
  return expired.length;
}

export interface Difference {
  call: string;
  endpoint: string;
  amount: string;
  problem: string;
}

export interface ReconcileReport {
  checked: number;
  matching: number;
  resolved: number;
  stillPending: number;
  differences: Difference[];
}

/**
 * Checks every payment of this wallet in the ledger against the chain: a settled one needs a
 * successful transaction and a used authorization; a pending one is resolved once expired.
 */
export async function reconcile(ledger: Ledger, wallet: WalletReader, authorizer: Address): Promise<ReconcileReport> {
  const resolved = await releaseExpired(ledger, wallet, authorizer);
  const book = await ledger.sync();
  const differences: Difference[] = [];
  let matching = 0;
  const payments = book.select();
  await Promise.all(
    payments.map(async (payment) => {
      const used = await wallet.authorizationUsed(payment.assetAddress as Address, (payment.payer ?? authorizer) as Address, payment.nonce as Hex);
      const problem = await judge(payment, used, wallet);
      if (problem) differences.push({ call: payment.call, endpoint: payment.endpoint, amount: `${payment.amount} ${payment.asset} base units`, problem });
      else matching++;
    }),
  );
  return { checked: payments.length, matching, resolved, stillPending: book.select({ status: "pending" }).length, differences };
}

async function judge(payment: PaymentRecord, used: boolean, wallet: WalletReader): Promise<string | undefined> {
  if (payment.status === "released") return used ? "recorded as never settled, but the authorization was used on-chain" : undefined;
  if (payment.status === "pending") return used ? "still pending in the ledger, but already used on-chain" : undefined;
  if (!used) return "recorded as settled, but the authorization is unused on-chain";
  if (!payment.transaction || payment.transaction === "unknown") return undefined;
  const status = await wallet.receiptStatus(payment.transaction as Hash);
  return status === "success" ? undefined : `settlement transaction ${payment.transaction} is ${status} on-chain`;
}

function identity(payment: PaymentRecord) {
  return {
    call: payment.call,
    payer: payment.payer,
    endpoint: payment.endpoint,
    network: payment.network,
    asset: payment.asset,
    assetAddress: payment.assetAddress,
    amount: payment.amount.toString(),
    nonce: payment.nonce,
    validBefore: String(payment.validBefore),
  };
}
