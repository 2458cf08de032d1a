import type { Asset, AssetSymbol } from "./assets.js";
import { dailyWindowStart, type PaymentBook } from "./book.js";
import { formatAmount } from "./policy.js";

export interface BudgetLimits {
  /** Per server process. */
  session: Partial<Record<AssetSymbol, bigint>>;
  /** Per rolling 24 hours, across every process that writes the same ledger. */
  daily: Partial<Record<AssetSymbol, bigint>>;
}

/**
 * Why paying `amount` now would break a budget, or undefined when it fits. Pending payments count
 * as spent, so concurrent calls and unknown outcomes can never push a total past its limit.
 */
export function budgetRefusal(book: PaymentBook, asset: Asset, amount: bigint, limits: BudgetLimits, session: string, now = new Date()): string | undefined {
  const checks = [
    { limit: limits.session[asset.symbol], used: book.committed(asset.symbol, { session }), name: "session budget", variable: "TOKEN_METRICS_SESSION_BUDGET" },
    { limit: limits.daily[asset.symbol], used: book.committed(asset.symbol, { since: dailyWindowStart(now) }), name: "daily budget (last 24 h)", variable: "TOKEN_METRICS_DAILY_BUDGET" },
  ];
  for (const { limit, used, name, variable } of checks) {
    if (limit !== undefined && used + amount > limit) {
      return `the ${name} would be exceeded: ${formatAmount(used, asset)} of ${formatAmount(limit, asset)} already spent or in flight, this call costs ${formatAmount(amount, asset)} (${variable})`;
    }
  }
  return undefined;
}
