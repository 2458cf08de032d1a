import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ASSET_DECIMALS, type AssetSymbol } from "../assets.js";
import { dailyWindowStart, type PaymentBook } from "../payer/book.js";
import { reconcile } from "../payer/reconcile.js";
import { redact } from "../secret.js";
import type { Services } from "../services.js";
import { clientName } from "./call-context.js";
import { chainReadFailure } from "./chain-errors.js";
import { viewMeta } from "./views.js";

type CommittedFilter = Parameters<PaymentBook["committed"]>[1];

const FREE = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const;
const RECENT_PAYMENTS = 20;

/** The free spending views: wallet status, spending summary (tool and resource), reconciliation. */
export function registerSpendingTools(server: McpServer, services: Services): void {
  server.registerTool(
    "get_wallet_status",
    {
      title: "Wallet status",
      description:
        "Free, no payment. The paying wallet's address and network, its USDC/TMAI balances read from the chain, what was spent (settled or in flight) this session and in the last 24 hours, and the limits in force. Use before paid calls or when a payment fails.",
      inputSchema: {},
      annotations: { title: "Wallet status", ...FREE, openWorldHint: true },
      _meta: viewMeta("get_wallet_status"),
    },
    async (_args, extra) => (services.payer ? result(await walletStatus(services, clientName(extra))) : noWallet(services)),
  );

  server.registerTool(
    "get_spending",
    {
      title: "Spending summary",
      description:
        "Free, no payment. Recent payments (endpoint, amount, status, transaction), totals per asset and per endpoint, payments still in flight, and the session and daily budget left. Read from the local ledger, no chain access.",
      inputSchema: {},
      annotations: { title: "Spending summary", ...FREE, openWorldHint: false },
      _meta: viewMeta("get_spending"),
    },
    async (_args, extra) => (services.payer ? result(await spendingSummary(services, clientName(extra))) : noWallet(services)),
  );

  server.registerTool(
    "reconcile_payments",
    {
      title: "Reconcile payments with the chain",
      description:
        "Free, no payment. Checks this wallet's unresolved payments and those of the last 24 hours against the chain (settlement receipts, EIP-3009 authorization state), resolves in-flight payments the chain proves expired, records payments found settled, and reports any difference.",
      inputSchema: {},
      // It appends what it resolves to the ledger, so it is not read-only (nothing is paid or lost, so not destructive).
      annotations: { title: "Reconcile payments with the chain", ...FREE, readOnlyHint: false, openWorldHint: true },
    },
    async () => {
      const { payer, wallet, ledger } = services;
      if (!payer) return noWallet(services);
      try {
        return result({ ...(await reconcile(ledger, wallet, (await payer.core()).account.address)) });
      } catch (error) {
        return { isError: true, content: [{ type: "text", text: `Could not reconcile: ${chainReadFailure(error)}.` }] };
      }
    },
  );

  server.registerResource(
    "payments-ledger",
    "payments://ledger",
    { title: "Payments ledger summary", description: "Recent payments, totals per asset and endpoint, and budget left (JSON).", mimeType: "application/json" },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(services.payer ? await spendingSummary(services) : services.configProblem ? { mode: "invalid-configuration", problem: redact(services.configProblem) } : { mode: services.mode }) }],
    }),
  );
}

/** What get_wallet_status returns with a wallet; also what the HTTP dashboard shows. */
export async function walletStatus(services: Services, client?: string) {
  const { wallet, config } = services;
  if (!services.payer) throw new Error("walletStatus needs a wallet: check services.payer first");
  const payer = await services.payer.core();
  const summary = await spendingSummary(services, client);
  const balances = await wallet
    .balances(payer.account.address, payer.policy.knownAssets.filter((asset) => payer.policy.allowedAssets.includes(asset.symbol)))
    .catch((error: unknown) => `unavailable: ${chainReadFailure(error)}`);
  return {
    mode: "x402",
    // Who is asking, over authenticated HTTP: what a per-client limit would be kept for.
    client,
    address: payer.account.address,
    network: config.network,
    balances,
    spentThisSession: summary.spentThisSession,
    spentLast24h: summary.spentLast24h,
    budgets: summary.budgets,
    paused: summary.paused,
    limits: { assets: payer.policy.allowedAssets, maxPerCall: config.maxPerCall, confirmAbove: config.confirmAbove, payees: config.payees ?? "any" },
    ledger: services.ledger.location,
  };
}

/** What was spent and what is left; with `client`, also that client's own daily budget. */
export async function spendingSummary(services: Services, client?: string) {
  const { ledger } = services;
  const payer = await services.payer?.core();
  const { formatUnits } = await import("viem");
  const units = (amount: bigint, asset: string) => formatUnits(amount, decimalsOf(asset));
  const mapUnits = (amounts: Record<string, bigint>) => Object.fromEntries(Object.entries(amounts).map(([asset, amount]) => [asset, units(amount, asset)]));
  const book = await ledger.refresh();
  const last24h = dailyWindowStart();
  const assets = payer?.policy.allowedAssets ?? [];
  const committed = (filter: CommittedFilter) =>
    Object.fromEntries(assets.map((asset) => [asset, units(book.committed(asset, filter), asset)]));
  const budget = (limits: Partial<Record<AssetSymbol, bigint>>, filter: CommittedFilter) =>
    Object.fromEntries(
      Object.entries(limits).map(([asset, limit]) => {
        const used = book.committed(asset, filter);
        return [asset, { limit: units(limit, asset), used: units(used, asset), left: units(limit > used ? limit - used : 0n, asset) }];
      }),
    );
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
    budgets: {
      session: budget(payer?.limits.session ?? {}, { session: ledger.session }),
      daily: budget(payer?.limits.daily ?? {}, { since: last24h }),
      ...(client !== undefined && payer?.limits.perClient[client] ? { client: { name: client, ...budget(payer.limits.perClient[client], { since: last24h, client }) } } : {}),
    },
    paused: await ledger.pauseState(),
    ...(ledger.unreadableLines > 0
      ? { ledgerWarning: `${ledger.unreadableLines} line(s) of ${ledger.location} are unreadable (a crash mid-write or an edit) and were ignored; see the server log` }
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

const decimalsOf = (asset: string) => ASSET_DECIMALS[asset as AssetSymbol] ?? 0;

function result(value: object): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value as Record<string, unknown> };
}

/** No payer: a broken configuration is an error (the real problem, not "no wallet"); otherwise say which mode is on. */
function noWallet({ mode, configProblem }: Services): CallToolResult {
  if (configProblem) return { isError: true, content: [{ type: "text", text: redact(configProblem) }] };
  const text =
    mode === "api-key"
      ? "API-key mode: calls are billed to the Token Metrics API plan; no wallet is used and nothing is paid per call."
      : "No wallet configured. Set TOKEN_METRICS_PRIVATE_KEY to pay per call with x402.";
  return { content: [{ type: "text", text }], structuredContent: { mode } };
}
