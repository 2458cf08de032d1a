import { dateRange, screenerFilters, signal, symbol, tokenId } from "./params.js";
import type { Endpoint } from "./types.js";

export const signalsEndpoints: Endpoint[] = [
  {
    name: "get_trading_signals",
    title: "Daily AI trading signals",
    description:
      "Token Metrics' daily AI long/short signals: TRADING_SIGNAL (1 bullish, -1 bearish, 0 none), TOKEN_TREND (last non-zero signal), strategy vs buy-and-hold cumulative returns, trader and investor grades. Filter by token_id/symbol, signal, category, exchange, marketcap, volume, fdv and a date range; leave dates empty for the latest.",
    toolset: "signals",
    path: "/trading-signals",
    method: "GET",
    params: { ...screenerFilters, ...dateRange, signal },
    pagination: "limit-page",
    defaultLimit: 20,
    cacheTtlSeconds: 900,
    priceUsd: 0.017,
    example: { token_id: 3375 },
  },
  {
    name: "get_hourly_trading_signals",
    title: "Hourly AI trading signals",
    description: "Hourly AI signals for one or more tokens: TIMESTAMP, CLOSE price, SIGNAL and POSITION. Requires token_id. Use for intraday timing.",
    toolset: "signals",
    path: "/hourly-trading-signals",
    method: "GET",
    params: { token_id: tokenId },
    pagination: "limit-page",
    defaultLimit: 24,
    requireOneOf: ["token_id"],
    cacheTtlSeconds: 300,
    priceUsd: 0.034,
    example: { token_id: 3375 },
  },
  {
    name: "get_resistance_support",
    title: "Resistance and support levels",
    description:
      "Historical resistance and support price levels of a token (HISTORICAL_RESISTANCE_SUPPORT_LEVELS: level and date). Give token_id or symbol. Use for entry/exit levels.",
    toolset: "signals",
    path: "/resistance-support",
    method: "GET",
    params: { token_id: tokenId, symbol },
    pagination: "limit-page",
    defaultLimit: 5,
    requireOneOf: ["token_id", "symbol"],
    cacheTtlSeconds: 3600,
    priceUsd: 0.034,
    example: { token_id: 3375 },
  },
];
