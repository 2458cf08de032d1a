import { z } from "zod";
import { dateRange, numeric } from "./params.js";
import type { Endpoint } from "./types.js";

const indexId = numeric(z.number().int().positive().max(1e9)).describe("Index ID, from get_indices.");

export const indicesEndpoints: Endpoint[] = [
  {
    name: "get_indices",
    title: "Token Metrics indices",
    description:
      "Active and passive Token Metrics crypto indices: ID, name, ticker, price, number of coins, 24h/7d/1m and all-time returns, index grade, market cap. Use indicesType to pick active or passive; use the ID with the holdings and performance tools.",
    toolset: "indices",
    path: "/indices",
    method: "GET",
    params: { indicesType: z.enum(["active", "passive"]).describe("active (rebalanced by AI) or passive.") },
    pagination: "limit-page",
    defaultLimit: 20,
    cacheTtlSeconds: 3600,
    priceUsd: 0.034,
    example: {},
  },
  {
    name: "get_indices_holdings",
    title: "Index holdings",
    description: "Current holdings of a Token Metrics index: each token's weight (%), price, market cap, ROI and trader grade. Requires id (from get_indices).",
    toolset: "indices",
    path: "/indices-holdings",
    method: "GET",
    params: { id: indexId },
    pagination: "none",
    requireOneOf: ["id"],
    cacheTtlSeconds: 3600,
    priceUsd: 0.034,
    example: ({ indexId }) => ({ id: indexId }),
  },
  {
    name: "get_indices_performance",
    title: "Index performance",
    description:
      "Historical cumulative ROI of a Token Metrics index per day, with market cap, volume and FDV. Requires id (from get_indices); optional date range.",
    toolset: "indices",
    path: "/indices-performance",
    method: "GET",
    params: { id: indexId, ...dateRange },
    pagination: "limit-page",
    defaultLimit: 30,
    requireOneOf: ["id"],
    cacheTtlSeconds: 3600,
    priceUsd: 0.034,
    example: ({ indexId }) => ({ id: indexId, limit: 5 }),
  },
];
