import { category, dateRange, exchange, marketFilters, symbol, tokenId, tokenName } from "./params.js";
import type { Endpoint } from "./types.js";

export const marketEndpoints: Endpoint[] = [
  {
    name: "get_market_metrics",
    title: "Whole-market metrics",
    description:
      "Daily whole-crypto-market analytics: TOTAL_CRYPTO_MCAP, share of high-grade coins and the market-wide bull/bear indicator (TM_GRADE_SIGNAL, LAST_TM_GRADE_SIGNAL). Use for 'how is the market doing' questions; optional date range.",
    toolset: "market",
    path: "/market-metrics",
    method: "GET",
    params: { ...dateRange },
    pagination: "limit-page",
    defaultLimit: 14,
    cacheTtlSeconds: 3600,
    priceUsd: 0.034,
    example: {},
  },
  {
    name: "get_sentiments",
    title: "Market sentiment",
    description:
      "Hourly market sentiment from Twitter, Reddit and news: grades, labels (e.g. positive/negative) and short summaries of what people say. Use for mood and narrative questions.",
    toolset: "market",
    path: "/sentiments",
    method: "GET",
    params: {},
    pagination: "limit-page",
    defaultLimit: 6,
    cacheTtlSeconds: 900,
    priceUsd: 0.017,
    example: {},
  },
  {
    name: "get_quantmetrics",
    title: "Quant and risk metrics",
    description:
      "Latest quantitative risk metrics per token: volatility, all-time return, CAGR, Sharpe, Sortino, max drawdown, skew, tail ratio, profit factor, value at risk. Filter by token_id/symbol, category, exchange, marketcap, volume, fdv.",
    toolset: "market",
    path: "/quantmetrics",
    method: "GET",
    params: { token_id: tokenId, symbol, category, exchange, ...marketFilters },
    pagination: "limit-page",
    defaultLimit: 10,
    cacheTtlSeconds: 3600,
    priceUsd: 0.068,
    example: { token_id: 3375 },
  },
  {
    name: "get_correlation",
    title: "Token correlations",
    description:
      "The 10 most and 10 least correlated tokens (among the top 100 by market cap) for each given token (TOP_CORRELATION). Use for diversification and hedging questions. Filter by token_id, token_name, symbol, category, exchange.",
    toolset: "market",
    path: "/correlation",
    method: "GET",
    params: { token_id: tokenId, token_name: tokenName, symbol, category, exchange },
    pagination: "limit-page",
    defaultLimit: 5,
    cacheTtlSeconds: 21_600,
    priceUsd: 0.068,
    example: { token_id: 3375 },
  },
];
