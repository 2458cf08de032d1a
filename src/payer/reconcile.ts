import type { Address, Hash, Hex } from "viem";
import { dailyWindowStart, paymentFields, type PaymentRecord } from "./book.js";
import type { LedgerStore } from "./store.js";
import type { ChainHead, WalletReader } from "./wallet.js";

/**
 * How far the chain's own clock must be past an authorization's validBefore before it is taken
 * as dead: the token refuses it from the first block at or after validBefore, and the margin
 * covers a short reorg that could bring back an earlier block.
 */
export const EXPIRY_MARGIN_SECONDS = 5;

/** Chain reads in flight at once: a large ledger is checked in bounded pages, not one burst. */
const PAGE_SIZE = 25;

/**
 * Settles the fate of pending payments whose authorization the chain proves expired: at one block,
 * whose timestamp is past validBefore (plus the margin), the nonce is either used (then it was
 * paid) or unused (then it never can be, and its budget is released). The local clock is never
 * asked: a clock running fast would release an authorization that can still settle. A payment
 * released without such a proof (by an older version) and found used is counted again.
 * Returns how many payments changed.
 */
export async function releaseExpired(ledger: LedgerStore, wallet: WalletReader, authorizer: Address): Promise<number> {
  const book = await ledger.refresh();
  const pending = book.select({ status: "pending" });
  const unproven = book.select({ status: "released" }).filter((payment) => !payment.proof);
  if (pending.length === 0 && unproven.length === 0) return 0;
  const head = await wallet.head();
  const expired = pending.filter((payment) => BigInt(payment.validBefore + EXPIRY_MARGIN_SECONDS) < head.timestamp);
  const verdicts = await checkAll([...expired, ...unproven], wallet, authorizer, head);
  let changed = 0;
  for (const { payment, used } of verdicts) {
    if (used) {
      await ledger.append({ ...paymentFields(payment), event: "settled", transaction: "unknown", reason: "reconciled: the authorization was used on-chain" });
      changed++;
    } else if (payment.status === "pending") {
      await ledger.append({
        ...paymentFields(payment),
        event: "released",
        reason: "reconciled: expired and never used on-chain",
        proof: `block ${head.number} at ${head.timestamp}`,
      });
      changed++;
    }
  }
  return changed;
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
 * Checks this wallet's unresolved payments and those of the last 24 hours (the ones a budget
 * still counts) against the chain: a settled one needs a used authorization and a successful
 * transaction; a released one must be unused (if used, it is recorded as settled and counted
 * again); a pending one is resolved once the chain proves it expired. Older resolved payments
 * are not read again, so the time taken follows the recent activity, not the ledger's size.
 */
export async function reconcile(ledger: LedgerStore, wallet: WalletReader, authorizer: Address, now = new Date()): Promise<ReconcileReport> {
  const resolved = await releaseExpired(ledger, wallet, authorizer);
  const book = await ledger.refresh();
  const since = dailyWindowStart(now);
  const payments = book.select().filter((payment) => payment.status === "pending" || payment.signedAt >= since);
  const differences: Difference[] = [];
  let matching = 0;
  const head = payments.length > 0 ? await wallet.head() : undefined;
  for (const { payment, used } of await checkAll(payments, wallet, authorizer, head)) {
    const problem = await judge(payment, used, wallet);
    if (problem) differences.push({ call: payment.call, endpoint: payment.endpoint, amount: `${payment.amount} ${payment.asset} base units`, problem });
    else matching++;
    if (used && payment.status !== "settled") {
      await ledger.append({ ...paymentFields(payment), event: "settled", transaction: "unknown", reason: "reconciled: the authorization was used on-chain" });
    }
  }
  return { checked: payments.length, matching, resolved, stillPending: (await ledger.refresh()).select({ status: "pending" }).length, differences };
}

/** Whether each payment's authorization is used, read at one block, `PAGE_SIZE` reads at a time. */
async function checkAll(payments: readonly PaymentRecord[], wallet: WalletReader, authorizer: Address, head?: ChainHead) {
  const verdicts: Array<{ payment: PaymentRecord; used: boolean }> = [];
  for (let start = 0; start < payments.length; start += PAGE_SIZE) {
    const page = payments.slice(start, start + PAGE_SIZE);
    const used = await Promise.all(
      page.map((payment) => {
        const owner = (payment.payer ?? authorizer) as Address;
        return payment.method === "permit2"
          ? wallet.permit2NonceUsed(owner, payment.nonce, head?.number)
          : wallet.authorizationUsed(payment.assetAddress as Address, owner, payment.nonce as Hex, head?.number);
      }),
    );
    page.forEach((payment, i) => verdicts.push({ payment, used: used[i]! }));
  }
  return verdicts;
}

async function judge(payment: PaymentRecord, used: boolean, wallet: WalletReader): Promise<string | undefined> {
  if (payment.status === "released")
    return used ? "recorded as never settled, but the authorization was used on-chain: now recorded as settled and counted" : undefined;
  if (payment.status === "pending") return used ? "still pending in the ledger, but already used on-chain: now recorded as settled" : undefined;
  if (!used) return "recorded as settled, but the authorization is unused on-chain";
  if (!payment.transaction || payment.transaction === "unknown") return undefined;
  const status = await wallet.receiptStatus(payment.transaction as Hash);
  return status === "success" ? undefined : `settlement transaction ${payment.transaction} is ${status} on-chain`;
}
