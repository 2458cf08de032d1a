import { blockchainAddress, category, dateRange, exchange, symbol, tokenId, tokenName, topK } from "./params.js";
import type { Endpoint } from "./types.js";

const ohlcv = (interval: "hourly" | "daily"): Endpoint => ({
  name: `get_${interval}_ohlcv`,
  title: `${interval === "hourly" ? "Hourly" : "Daily"} OHLCV`,
  description: `${interval === "hourly" ? "Hourly" : "Daily"} open/high/low/close/volume candles per token (TOKEN_ID, TOKEN_SYMBOL, ${interval === "hourly" ? "TIMESTAMP" : "DATE"}, OPEN, HIGH, LOW, CLOSE, VOLUME). Use for price history and charts; give token_id or symbol and a date range (YYYY-MM-DD).`,
  toolset: "tokens",
  path: `/${interval}-ohlcv`,
  method: "GET",
  params: { token_id: tokenId, token_name: tokenName, symbol, ...dateRange },
  pagination: "limit-page",
  defaultLimit: interval === "hourly" ? 24 : 30,
  requireOneOf: ["token_id", "token_name", "symbol"],
  cacheTtlSeconds: interval === "hourly" ? 300 : 3600,
  priceUsd: 0.017,
  example: interval === "hourly" ? { token_id: 3375, limit: 5 } : { symbol: "ETH", startDate: "2026-11-01", endDate: "2026-11-07" },
});

export const tokensEndpoints: Endpoint[] = [
  {
    name: "get_tokens",
    title: "Token directory",
    description:
      "Look up tokens supported by Token Metrics and their TOKEN_ID, name, symbol, categories, exchanges and app link. Call this first to turn a name or ticker into the TOKEN_ID other tools need (tickers are ambiguous: BTC also matches wrapped variants). Filter by token_id, token_name, symbol, category, exchange or blockchain_address.",
    toolset: "tokens",
    path: "/tokens",
    method: "GET",
    params: { token_id: tokenId, token_name: tokenName, symbol, category, exchange, blockchain_address: blockchainAddress },
    pagination: "limit-page",
    defaultLimit: 20,
    cacheTtlSeconds: 3600,
    priceUsd: 0,
    example: { symbol: "BTC" },
  },
  {
    name: "get_price",
    title: "Current token price",
    description:
      "Current USD price of one or more tokens (TOKEN_ID, TOKEN_NAME, TOKEN_SYMBOL, CURRENT_PRICE). Requires token_id (comma-separated for several); get ids with get_tokens.",
    toolset: "tokens",
    path: "/price",
    method: "GET",
    params: { token_id: tokenId },
    pagination: "none",
    requireOneOf: ["token_id"],
    cacheTtlSeconds: 30,
    priceUsd: 0,
    example: { token_id: "3375,3306" },
  },
  {
    name: "get_top_market_cap_tokens",
    title: "Top tokens by market cap",
    description:
      "The largest cryptocurrencies by market capitalisation, with TOKEN_ID, name, symbol, exchanges and categories. Use top_k (1-100) for how many. Good starting point for market-wide questions.",
    toolset: "tokens",
    path: "/top-market-cap-tokens",
    method: "GET",
    params: { top_k: topK },
    pagination: "top_k",
    defaultLimit: 20,
    cacheTtlSeconds: 3600,
    priceUsd: 0,
    example: { top_k: 5 },
  },
  ohlcv("hourly"),
  ohlcv("daily"),
];
