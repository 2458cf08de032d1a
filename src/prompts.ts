import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { GetPromptResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { CATALOG } from "./catalog/index.js";

/** Ready-made agent tasks: which tools to call in which order, and what that costs. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "token_deep_dive",
    {
      title: "Token deep dive",
      description: "Price, TM grade, latest trading signal and resistance/support levels of one token, summarised.",
      argsSchema: {
        symbol: z
          .string()
          .trim()
          .regex(/^[A-Za-z0-9$._-]{1,20}$/, "must be one ticker symbol, e.g. BTC")
          .describe("Ticker symbol of the token, e.g. BTC"),
      },
    },
    ({ symbol }) =>
      userMessage(`Give me a deep dive on ${symbol} with the Token Metrics tools.
1. Call get_tokens with symbol "${symbol}" to find its TOKEN_ID. Several tokens can share a ticker: take the one with the largest market cap and tell me if there was a choice. Use that token_id in every call below.
2. Call get_price, get_tm_grade, get_trading_signals (limit 1) and get_resistance_support (limit 3) with that token_id.
3. Summarise in a few short paragraphs: current price; TM grade and what drives it; the latest trading signal and trend; the nearest resistance and support levels; the main risks. Give numbers with their dates.
${costNote(["get_tokens", "get_price", "get_tm_grade", "get_trading_signals", "get_resistance_support"])}`),
  );

  server.registerPrompt(
    "market_overview",
    {
      title: "Crypto market overview",
      description: "Market direction, sentiment, the largest tokens and the Token Metrics indices, summarised.",
    },
    () =>
      userMessage(`Give me an overview of the crypto market today with the Token Metrics tools.
1. Call get_market_metrics (limit 7) for the total market cap and the market-wide bull/bear indicator over the last week.
2. Call get_sentiments (limit 1) for the current sentiment on Twitter, Reddit and news.
3. Call get_top_market_cap_tokens with top_k 10 for the largest tokens.
4. Call get_indices (limit 5) for the Token Metrics indices and their returns.
Then summarise in five bullets or fewer: market direction, sentiment, the leaders, notable indices, and what changed this week.
${costNote(["get_market_metrics", "get_sentiments", "get_top_market_cap_tokens", "get_indices"])}`),
  );

  server.registerPrompt(
    "spending_check",
    {
      title: "What have I spent?",
      description: "Wallet balances, spending this session and today, and the budget left.",
    },
    () =>
      userMessage(`Check my Token Metrics spending.
1. Call get_wallet_status for the wallet, its balances on chain, and the limits in force.
2. Call get_spending for recent payments, totals per asset and per endpoint, payments in flight and the budget left.
Then tell me in a few lines what I spent this session and today, how much budget is left, how many more typical calls (about $0.017 to $0.068 each) the balance and budget allow, and anything that looks wrong (failed or unsettled payments; if so suggest reconcile_payments). These tools are free.`),
  );
}

function userMessage(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text } }] };
}

/** What the listed calls cost once each with x402, from the catalog's prices (the 402 challenge decides). */
function costNote(tools: readonly string[]): string {
  let usd = 0;
  for (const name of tools) {
    const endpoint = CATALOG.find((entry) => entry.name === name);
    if (!endpoint) throw new Error(`prompt refers to unknown tool ${name}`);
    usd += endpoint.priceUsd;
  }
  return `Cost: about $${usd.toFixed(3)} in USDC for these calls with x402 (10% less in TMAI, nothing extra with an API key). If a tool is missing, tell me which toolset to enable (TOKEN_METRICS_TOOLSETS) instead of guessing. Ask me before making further paid calls.`;
}
