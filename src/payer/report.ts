import type { Config } from "../config.js";
import { ASSET_DECIMALS, type AssetSymbol } from "../assets.js";
import { ToolFailure } from "../errors.js";
import { dailyWindowStart, type PaymentBook } from "./book.js";
import { chainReadFailure } from "./chain-errors.js";
import type { PayerCore } from "./payer.js";
import { reconcile, type ReconcileReport } from "./reconcile.js";
import type { LowBalanceMonitor } from "./low-balance.js";
import type { LedgerStore } from "./store.js";
import type { WalletReader } from "./wallet.js";

type CommittedFilter = Parameters<PaymentBook["committed"]>[1];

const RECENT_PAYMENTS = 20;

/** What was spent and what is left; with `client`, also that client's own daily budget. */
export async function spendingReport(core: PayerCore, ledger: LedgerStore, client?: string) {
  // viem is loaded on first use: tools/list must be answered at once.
  const { formatUnits } = await import("viem");
  const units = (amount: bigint, asset: string) => formatUnits(amount, decimalsOf(asset));
  const mapUnits = (amounts: Record<string, bigint>) => Object.fromEntries(Object.entries(amounts).map(([asset, amount]) => [asset, units(amount, asset)]));
  const book = await ledger.refresh();
  const last24h = dailyWindowStart();
  const committed = (filter: CommittedFilter) =>
    Object.fromEntries(core.policy.allowedAssets.map((asset) => [asset, units(book.committed(asset, filter), asset)]));
  const perEndpoint = new Map<string, { calls: number; amounts: Record<string, bigint> }>();
  const settled: Record<string, bigint> = {};
  const pending: Record<string, bigint> = {};
  for (const payment of book.select()) {
    if (payment.status === "released") continue;
    const bucket = payment.status === "settled" ? settled : pending;
    bucket[payment.asset] = (bucket[payment.asset] ?? 0n) + payment.amount;
    const row = perEndpoint.get(payment.endpoint) ?? { calls: 0, amounts: {} };
    row.calls++;
    row.amounts[payment.asset] = (row.amounts[payment.asset] ?? 0n) + payment.amount;
    perEndpoint.set(payment.endpoint, row);
  }
  return {
    spentThisSession: committed({ session: ledger.session }),
    spentLast24h: committed({ since: last24h }),
    totals: { settled: mapUnits(settled), inFlight: mapUnits(pending) },
    byEndpoint: Object.fromEntries([...perEndpoint].map(([endpoint, row]) => [endpoint, { calls: row.calls, ...mapUnits(row.amounts) }])),
    budgets: budgetsOf(core, ledger, book, units, client),
    paused: await ledger.pauseState(),
    ...(ledger.unreadableLines > 0
      ? {
          ledgerWarning: `${ledger.unreadableLines} line(s) of ${ledger.location} are unreadable (a crash mid-write or an edit) and were ignored; see the server log`,
        }
      : {}),
    recent: book
      .select()
      .sort((a, b) => b.signedAt.getTime() - a.signedAt.getTime())
      .slice(0, RECENT_PAYMENTS)
      .map((payment) => ({
        at: payment.signedAt.toISOString(),
        endpoint: payment.endpoint,
        amount: `${units(payment.amount, payment.asset)} ${payment.asset}`,
        status: payment.status,
        transaction: payment.transaction,
        note: payment.reason,
      })),
  };
}

export type SpendingReport = Awaited<ReturnType<typeof spendingReport>>;

type Units = (amount: bigint, asset: string) => string;

/**
 * Each budget in force, in asset units: its limit, what is used (settled or in flight) and what is
 * left; with `client`, that client's own daily budget too.
 */
function budgetsOf(core: PayerCore, ledger: LedgerStore, book: PaymentBook, units: Units, client?: string) {
  const last24h = dailyWindowStart();
  const budget = (limits: Partial<Record<AssetSymbol, bigint>>, filter: CommittedFilter) =>
    Object.fromEntries(
      Object.entries(limits).map(([asset, limit]) => {
        const used = book.committed(asset, filter);
        return [asset, { limit: units(limit, asset), used: units(used, asset), left: units(limit > used ? limit - used : 0n, asset) }];
      }),
    );
  const clientLimits = client === undefined ? undefined : core.limits.perClient[client];
  return {
    session: budget(core.limits.session, { session: ledger.session }),
    daily: budget(core.limits.daily, { since: last24h }),
    ...(clientLimits ? { client: { name: client, ...budget(clientLimits, { since: last24h, client }) } } : {}),
  };
}

/** The budgets alone (read from the store, no chain access), as /metrics reports them. */
export async function budgetReport(core: PayerCore, ledger: LedgerStore, client?: string) {
  const { formatUnits } = await import("viem");
  return budgetsOf(core, ledger, await ledger.refresh(), (amount, asset) => formatUnits(amount, decimalsOf(asset)), client);
}

export type BudgetReport = Awaited<ReturnType<typeof budgetReport>>;

/** The paying wallet's balances of the allowed assets, read from the chain (rejects when the RPC fails). */
export function balancesOf(core: PayerCore, wallet: WalletReader) {
  return wallet.balances(
    core.account.address,
    core.policy.knownAssets.filter((asset) => core.policy.allowedAssets.includes(asset.symbol)),
  );
}

/**
 * The wallet, its balances read from the chain (and whether one is below TOKEN_METRICS_LOW_BALANCE),
 * what was spent and the limits in force.
 */
export async function walletReport(
  core: PayerCore,
  ledger: LedgerStore,
  wallet: WalletReader,
  config: Config,
  lowBalance: LowBalanceMonitor | undefined,
  client?: string,
) {
  const summary = await spendingReport(core, ledger, client);
  const balances = await balancesOf(core, wallet).catch((error: unknown) => `unavailable: ${chainReadFailure(error)}`);
  const low = typeof balances === "string" ? undefined : await lowBalance?.check(balances);
  return {
    mode: "x402" as const,
    // Who is asking, over authenticated HTTP: what a per-client limit would be kept for.
    client,
    address: core.account.address,
    network: config.network,
    balances,
    ...(low ? { lowBalance: low } : {}),
    spentThisSession: summary.spentThisSession,
    spentLast24h: summary.spentLast24h,
    budgets: summary.budgets,
    paused: summary.paused,
    limits: { assets: core.policy.allowedAssets, maxPerCall: config.maxPerCall, confirmAbove: config.confirmAbove, payees: config.payees ?? "any" },
    ledger: ledger.location,
  };
}

export type WalletReport = Awaited<ReturnType<typeof walletReport>>;

/** Reconciles this wallet's payments with the chain; a chain that cannot be read is a failure the user can act on. */
export async function reconcileReport(core: PayerCore, ledger: LedgerStore, wallet: WalletReader): Promise<ReconcileReport> {
  try {
    return await reconcile(ledger, wallet, core.account.address);
  } catch (error) {
    throw new ToolFailure(`Could not reconcile: ${chainReadFailure(error)}.`, "chain");
  }
}

const decimalsOf = (asset: string) => ASSET_DECIMALS[asset as AssetSymbol] ?? 0;
