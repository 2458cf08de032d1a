import type { Config } from "../config.js";
import type { PayerCore } from "./payer.js";
import { LowBalanceMonitor } from "./low-balance.js";
import {
  balancesOf,
  budgetReport,
  reconcileReport,
  spendingReport,
  walletReport,
  type BudgetReport,
  type SpendingReport,
  type WalletReport,
} from "./report.js";
import type { ReconcileReport } from "./reconcile.js";
import type { LedgerStore } from "./store.js";
import type { PaidFetch } from "./types.js";
import type { WalletReader } from "./wallet.js";

/**
 * The payer as the rest of the server sees it: paying, and the spending views, computed here so
 * that tools and the dashboard only format them. The x402 and signing libraries take most of a
 * second to load, so they are imported on the first paid call (or wallet query), never at
 * start-up: tools/list must be answered at once.
 */
export interface Payer {
  readonly fetch: PaidFetch;
  /** What was spent and what is left; with `client`, that client's own daily budget too. */
  spending(client?: string): Promise<SpendingReport>;
  /** The wallet, its balances, what was spent and the limits in force. */
  walletStatus(client?: string): Promise<WalletReport>;
  /** Checks recent and unresolved payments against the chain and records what it proves. */
  reconcile(): Promise<ReconcileReport>;
  /** The budgets in force and what is left of them (no chain access). */
  budgets(client?: string): Promise<BudgetReport>;
  /** The wallet's balances of the allowed assets, read from the chain. */
  balances(): Promise<Awaited<ReturnType<typeof balancesOf>>>;
  /** With TOKEN_METRICS_LOW_BALANCE: follows this process's payments and warns once per crossing. */
  readonly lowBalance?: LowBalanceMonitor;
}

export function createPayer(config: Config, ledger: LedgerStore, wallet: WalletReader, fetchImpl?: typeof fetch): Payer {
  let loading: Promise<PayerCore> | undefined;
  const core = () => (loading ??= import("./payer.js").then((module) => module.createPayerCore(config, ledger, wallet, fetchImpl)));
  const balances = async () => balancesOf(await core(), wallet);
  const lowBalance = Object.keys(config.lowBalance).length > 0 ? new LowBalanceMonitor(config.lowBalance, balances) : undefined;
  if (lowBalance) ledger.observe(lowBalance.observe);
  return {
    fetch: async (request, signal, context) => (await core()).fetch(request, signal, context),
    spending: async (client) => spendingReport(await core(), ledger, client),
    walletStatus: async (client) => walletReport(await core(), ledger, wallet, config, lowBalance, client),
    reconcile: async () => reconcileReport(await core(), ledger, wallet),
    budgets: async (client) => budgetReport(await core(), ledger, client),
    balances,
    ...(lowBalance ? { lowBalance } : {}),
  };
}
