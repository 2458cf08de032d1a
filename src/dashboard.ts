import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { RequestHandler } from "express";
import type { Services } from "./services.js";
import { viewHtml } from "./tools/views.js";

export const DASHBOARD_PATH = "/dashboard";

/**
 * GET /dashboard: the spending view for a team's operator, behind the same bearer check as /mcp.
 * The server renders the data into the page (what get_spending and get_wallet_status return for
 * the caller) rather than the page fetching it: one authenticated request, no second endpoint to
 * protect, no token for the page's script to hold, and the page still makes no request at all.
 * Reload for fresh figures.
 */
export function serveDashboard(services: Services): RequestHandler {
  return async (req, res, next) => {
    try {
      const client = (req as { auth?: AuthInfo }).auth?.clientId;
      const { payer, mode } = services;
      const data = payer
        ? { spending: await payer.spending(client), wallet: await payer.walletStatus(client) }
        : {
            message:
              mode === "api-key"
                ? "API-key mode: calls are billed to the Token Metrics plan; no wallet pays per call."
                : "No wallet configured: set TOKEN_METRICS_PRIVATE_KEY to pay per call with x402.",
          };
      // JSON inside <script> ends at the first "</": escape "<" so no value can close the element.
      const embedded = `<script type="application/json" id="dashboard-data">${JSON.stringify(data).replaceAll("<", "\\u003c")}</script>`;
      const page = (await viewHtml("spending")).replace("</head>", () => `${embedded}</head>`);
      res
        .status(200)
        .set({
          "Content-Type": "text/html; charset=utf-8",
          "Cache-Control": "no-store",
          // The page is self-contained: the browser is told to refuse any load and any framing.
          "Content-Security-Policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
          "X-Content-Type-Options": "nosniff",
        })
        .send(page);
    } catch (error) {
      next(error);
    }
  };
}
