import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { redact } from "../secret.js";
import type { Services } from "../services.js";
import { clientName } from "./call-context.js";
import { jsonResult, reply } from "./reply.js";
import { viewMeta } from "./views.js";

const FREE = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const;

/** The free spending views (wallet status, spending summary as a tool and a resource, reconciliation), as the payer reports them. */
export function registerSpendingTools(server: McpServer, services: Services): void {
  const { payer } = services;
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
    (_args, extra) => reply(services, "get_wallet_status", async () => (payer ? jsonResult(await payer.walletStatus(clientName(extra))) : noWallet(services))),
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
    (_args, extra) => reply(services, "get_spending", async () => (payer ? jsonResult(await payer.spending(clientName(extra))) : noWallet(services))),
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
    () => reply(services, "reconcile_payments", async () => (payer ? jsonResult(await payer.reconcile()) : noWallet(services))),
  );

  server.registerResource(
    "payments-ledger",
    "payments://ledger",
    { title: "Payments ledger summary", description: "Recent payments, totals per asset and endpoint, and budget left (JSON).", mimeType: "application/json" },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(
            payer
              ? await payer.spending()
              : services.configProblem
                ? { mode: "invalid-configuration", problem: redact(services.configProblem) }
                : { mode: services.mode },
          ),
        },
      ],
    }),
  );
}

/** No payer, so API-key mode or no credentials yet: say which. */
function noWallet({ mode }: Services): CallToolResult {
  const text =
    mode === "api-key"
      ? "API-key mode: calls are billed to the Token Metrics API plan; no wallet is used and nothing is paid per call."
      : "No wallet configured. Set TOKEN_METRICS_PRIVATE_KEY to pay per call with x402.";
  return { content: [{ type: "text", text }], structuredContent: { mode } };
}
