import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { formatUnits } from "viem";
import { ASSET_DECIMALS, type AssetSymbol } from "../payer/assets.js";
import { settledTotals, startOfUtcDay } from "../payer/ledger.js";
import type { Services } from "../server.js";
import { WalletReader } from "../payer/wallet.js";

/** `get_wallet_status`: free, never pays; what the wallet holds, what was spent, which limits apply. */
export function registerWalletStatusTool(server: McpServer, deps: Services): void {
  const reader = new WalletReader(deps.config.rpcUrl);
  server.registerTool(
    "get_wallet_status",
    {
      title: "Wallet status and spending",
      description:
        "Free, no payment. The paying wallet's address and network, its USDC/TMAI balances read from the chain, what this server has spent this session and today (UTC), and the spending limits in force. Use before paid calls or when a payment fails.",
      inputSchema: {},
      annotations: { title: "Wallet status and spending", readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async () => {
      const { config, payer, ledger } = deps;
      if (!payer) {
        const text = config.apiKey
          ? "API-key mode: calls are billed to the Token Metrics API plan, no wallet is used."
          : "No wallet configured. Set TOKEN_METRICS_PRIVATE_KEY to pay per call with x402.";
        return { content: [{ type: "text", text }], structuredContent: { mode: config.apiKey ? "api-key" : "unconfigured" } };
      }
      const entries = await ledger.readAll();
      const status = {
        mode: "x402",
        address: payer.account.address,
        network: config.network,
        balances: await reader
          .balances(payer.account.address, payer.policy.knownAssets.filter((asset) => payer.policy.allowedAssets.includes(asset.symbol)))
          .catch((error: unknown) => `unavailable: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`),
        spentThisSession: display(settledTotals(entries, { session: ledger.session })),
        spentToday: display(settledTotals(entries, { since: startOfUtcDay() })),
        limits: {
          assets: payer.policy.allowedAssets,
          maxPerCall: config.maxPerCall,
          sessionBudget: config.sessionBudget,
          dailyBudget: config.dailyBudget,
          payees: config.payees ?? "any",
        },
        ledger: ledger.path,
      };
      return { content: [{ type: "text", text: JSON.stringify(status) }], structuredContent: status };
    },
  );
}

function display(totals: Map<string, bigint>): Record<string, string> {
  return Object.fromEntries([...totals].map(([symbol, amount]) => [symbol, formatUnits(amount, ASSET_DECIMALS[symbol as AssetSymbol] ?? 0)]));
}
