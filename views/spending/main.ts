import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { App } from "@modelcontextprotocol/ext-apps/app-with-deps";
import { connectView, isRecord, type Json, showContent, showMessage, structuredOf } from "../shared/app.js";
import "../shared/view.css";
import { type Dashboard, render } from "./render.js";

/**
 * The spending dashboard, fed by get_spending or get_wallet_status (each brings half: payments, or
 * balances), or by the HTTP server's /dashboard, which embeds both in the page.
 */
const embedded = document.getElementById("dashboard-data");
if (embedded?.textContent) {
  const data = JSON.parse(embedded.textContent) as Dashboard & { message?: string };
  if (data.message) showMessage(data.message);
  else paint(data);
} else {
  const state: Dashboard = {};
  const app: App = connectView("Token Metrics spending", { result: (result) => void show(result) });

  async function show(result: CallToolResult): Promise<void> {
    const structured = structuredOf(result);
    const problem = typeof structured === "string" ? structured : take(structured);
    if (problem) return showMessage(problem);
    paint(state);
    // The other half comes from the other free tool, through the host like any call of the view's;
    // without it the half already shown stays.
    const other = state.spending ? (state.wallet ? undefined : "get_wallet_status") : "get_spending";
    if (!other) return;
    const more = await app.callServerTool({ name: other, arguments: {} }).catch(() => undefined);
    const extra = more && structuredOf(more);
    if (isRecord(extra) && !take(extra)) paint(state);
  }

  /** Files a result under what it is; otherwise says why there is nothing to show. */
  function take(structured: Json): string | undefined {
    if (Array.isArray(structured.recent) && isRecord(structured.budgets)) state.spending = structured as Dashboard["spending"];
    else if (typeof structured.address === "string") state.wallet = structured as Dashboard["wallet"];
    else if (structured.mode === "api-key")
      return "API-key mode: calls are billed to the Token Metrics plan; no wallet pays per call, so there is no spending to show.";
    else if (structured.mode === "unconfigured") return "No wallet configured: set TOKEN_METRICS_PRIVATE_KEY to pay per call with x402.";
    else return "This result is not a spending summary or a wallet status, so there is nothing to show.";
    return undefined;
  }
}

function paint(dashboard: Dashboard): void {
  try {
    render(document.getElementById("content")!, dashboard);
    showContent();
  } catch (error) {
    showMessage(`Could not show the spending data: ${error instanceof Error ? error.message : String(error)}`);
  }
}
