import type { Asset, AssetSymbol } from "../assets.js";
import { dailyWindowStart, type PaymentBook } from "./book.js";
import { formatAmount } from "./policy.js";

export interface BudgetLimits {
  /** Per server process. */
  session: Partial<Record<AssetSymbol, bigint>>;
  /** Per rolling 24 hours, across every process that writes the same ledger. */
  daily: Partial<Record<AssetSymbol, bigint>>;
  /** Per rolling 24 hours for one authenticated client, across processes, by client name. */
  perClient: Readonly<Record<string, Partial<Record<AssetSymbol, bigint>>>>;
}

/**
 * Why paying `amount` now would break a budget, or undefined when it fits. Pending payments count
 * as spent, so concurrent calls and unknown outcomes can never push a total past its limit.
 */
export function budgetRefusal(
  book: PaymentBook,
  asset: Asset,
  amount: bigint,
  limits: BudgetLimits,
  session: string,
  client?: string,
  now = new Date(),
): string | undefined {
  const since = dailyWindowStart(now);
  const checks = [
    {
      limit: limits.session[asset.symbol],
      used: () => book.committed(asset.symbol, { session }),
      name: "session budget",
      variable: "TOKEN_METRICS_SESSION_BUDGET",
    },
    {
      limit: limits.daily[asset.symbol],
      used: () => book.committed(asset.symbol, { since }),
      name: "daily budget (last 24 h)",
      variable: "TOKEN_METRICS_DAILY_BUDGET",
    },
    {
      limit: client === undefined ? undefined : limits.perClient[client]?.[asset.symbol],
      used: () => book.committed(asset.symbol, { since, client }),
      name: `daily budget of client "${client}" (last 24 h)`,
      variable: "TOKEN_METRICS_CLIENT_BUDGETS",
    },
  ];
  for (const check of checks) {
    if (check.limit === undefined) continue;
    const { limit, name, variable } = check;
    const used = check.used();
    if (used + amount > limit) {
      return `the ${name} would be exceeded: ${formatAmount(used, asset)} of ${formatAmount(limit, asset)} already spent or in flight, this call costs ${formatAmount(amount, asset)} (${variable})`;
    }
  }
  return undefined;
}
