import { setTimeout as sleep } from "node:timers/promises";
import type { RequestHandler } from "express";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ASSET_DECIMALS, type AssetSymbol } from "./assets.js";
import type { LedgerEntry } from "./payer/entry.js";
import type { Services } from "./services.js";

/** Where the HTTP server serves the metrics, behind the same access check as /mcp. */
export const METRICS_PATH = "/metrics";

const PREFIX = "token_metrics_mcp_";
/** A scrape never waits longer than this for the RPC; without an answer the balances are left out. */
const BALANCE_TIMEOUT_MS = 2_000;
/** Offers whose outcome is awaited, for the duration histogram; a call that died between offer and outcome is forgotten past this many. */
const MAX_OPEN_OFFERS = 1_000;

export interface ServerMetrics {
  /** GET /metrics: the Prometheus text format. */
  readonly serve: RequestHandler;
  /** Stops following the ledger (the server is closing). */
  close(): void;
}

/**
 * Prometheus metrics of one server process, in a registry of its own (never prom-client's global
 * one, so several servers can live in one process). Loaded with the HTTP server only: prom-client
 * costs a stdio start that never serves it.
 *
 * Counters come from the ledger entries this process appends (a replica counts its own; sum them
 * in Prometheus); amounts are in each asset's own units (0.017 for 0.017 USDC), as floats. Budgets,
 * balances and cache lookups are read when scraped.
 */
export function createMetrics(services: Services): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const paymentLabels = ["asset", "endpoint", "client", "outcome"] as const;
  const payments = new Counter({
    name: `${PREFIX}payments_total`,
    help: "Payments this process recorded, by outcome: settled, failed (sent, outcome unknown: it counts as spent until reconciled), released (proven never settled). client is empty without authentication.",
    labelNames: paymentLabels,
    registers,
  });
  const amounts = new Counter({
    name: `${PREFIX}payment_amount_total`,
    help: "The amounts of those payments, in the asset's own units (USDC, TMAI), not base units.",
    labelNames: paymentLabels,
    registers,
  });
  const refusals = new Counter({
    name: `${PREFIX}payment_refusals_total`,
    help: "Payments refused before anything was signed, by reason (the refusal's code in the ledger: paused, breaker, policy, permit2, approval, cancelled, budget).",
    labelNames: ["reason"],
    registers,
  });
  const duration = new Histogram({
    name: `${PREFIX}payment_duration_seconds`,
    help: "Time from an accepted offer to the payment's outcome: signing, the budget reservation, the paid request and its settlement (a cold call's first, unpaid 402 exchange comes before it).",
    labelNames: ["endpoint", "outcome"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const cacheLookups = new Counter({
    name: `${PREFIX}cache_lookups_total`,
    help: "Response cache lookups: hit (answered with no request and no payment) or miss (fetched, or joined an identical call in flight).",
    labelNames: ["result"],
    registers,
  });
  const budgetLabels = ["asset", "budget", "client"] as const;
  const budgetLeft = new Gauge({
    name: `${PREFIX}budget_left`,
    help: "What a budget has left now, in the asset's units: session (this process), daily (rolling 24 h, every process sharing the ledger), client (one client's rolling 24 h).",
    labelNames: budgetLabels,
    registers,
  });
  const budgetLimit = new Gauge({
    name: `${PREFIX}budget_limit`,
    help: "The limit of that budget, in the asset's units.",
    labelNames: budgetLabels,
    registers,
  });
  const balance = new Gauge({
    name: `${PREFIX}wallet_balance`,
    help: "The paying wallet's balance read from the chain at scrape time, in the asset's units.",
    labelNames: ["asset"],
    registers,
  });
  const balanceRead = new Gauge({
    name: `${PREFIX}wallet_balance_read_ok`,
    help: `1 when this scrape read the wallet's balances, 0 when the RPC failed or took over ${BALANCE_TIMEOUT_MS / 1000} s (the balances are then left out).`,
    registers: [],
  });
  // Without a wallet (API-key mode) nothing is read, so nothing says whether the read worked.
  if (services.payer) registry.registerMetric(balanceRead);

  const offeredAt = new Map<string, number>();
  const follow = (entry: LedgerEntry) => {
    if (entry.event === "offered") {
      offeredAt.set(entry.call, performance.now());
      if (offeredAt.size > MAX_OPEN_OFFERS) offeredAt.delete(offeredAt.keys().next().value!);
      return;
    }
    const started = offeredAt.get(entry.call);
    if (entry.event === "refused") {
      refusals.inc({ reason: entry.code ?? "other" });
    } else if (entry.event === "settled" || entry.event === "failed" || entry.event === "released") {
      const labels = { asset: entry.asset ?? "", endpoint: entry.endpoint, client: entry.client ?? "", outcome: entry.event };
      payments.inc(labels);
      if (entry.amount !== undefined) amounts.inc(labels, inAssetUnits(entry.amount, entry.asset));
      if (started !== undefined && entry.event !== "released")
        duration.observe({ endpoint: entry.endpoint, outcome: entry.event }, (performance.now() - started) / 1000);
    } else return; // "signed": the payment goes on
    offeredAt.delete(entry.call);
  };
  const stopFollowing = services.ledger.observe(follow);

  /** Everything read at scrape time, gathered before any gauge changes so concurrent scrapes never see half of it. */
  async function scrape() {
    const { payer, client } = services;
    const budgets = payer ? await payer.budgets() : undefined;
    const clientBudgets = payer ? await Promise.all(Object.keys(services.config.clientBudgets).map(async (name) => (await payer.budgets(name)).client)) : [];
    const readings = payer ? await within(BALANCE_TIMEOUT_MS, payer.balances()) : undefined;
    if (readings) await payer?.lowBalance?.check(readings);

    cacheLookups.reset();
    cacheLookups.inc({ result: "hit" }, client.cache.lookups.hits);
    cacheLookups.inc({ result: "miss" }, client.cache.lookups.misses);
    budgetLeft.reset();
    budgetLimit.reset();
    const setBudgets = (budget: string, standing: Record<string, { limit: string; left: string }>, clientName = "") => {
      for (const [asset, { limit, left }] of Object.entries(standing)) {
        budgetLeft.set({ asset, budget, client: clientName }, Number(left));
        budgetLimit.set({ asset, budget, client: clientName }, Number(limit));
      }
    };
    if (budgets) {
      setBudgets("session", budgets.session);
      setBudgets("daily", budgets.daily);
    }
    for (const own of clientBudgets) {
      if (!own) continue;
      const { name, ...standing } = own;
      setBudgets("client", standing, name);
    }
    balance.reset();
    if (!payer) return;
    balanceRead.set(readings ? 1 : 0);
    for (const { asset, balance: held } of readings ?? []) balance.set({ asset }, Number(held));
  }

  return {
    serve: async (_req, res) => {
      await scrape();
      res.set("Content-Type", registry.contentType).send(await registry.metrics());
    },
    close: () => void stopFollowing(),
  };
}

/** Base units (a decimal string) in the asset's own units; a float, as Prometheus keeps them. */
function inAssetUnits(amount: string, asset: string | undefined): number {
  return Number(amount) / 10 ** (ASSET_DECIMALS[asset as AssetSymbol] ?? 0);
}

/** The work's result, or undefined when it fails or takes longer than `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([work, sleep(ms, undefined, { signal: timer.signal })]);
  } catch {
    return undefined;
  } finally {
    timer.abort();
  }
}
