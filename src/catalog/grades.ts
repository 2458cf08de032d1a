import { dateRange, grade, screenerFilters, symbol, tokenId, tokenName } from "./params.js";
import type { Endpoint } from "./types.js";

const byToken = { token_id: tokenId, token_name: tokenName, symbol };

const gradeEndpoint = (options: {
  kind: "tm" | "fundamental" | "technology";
  title: string;
  what: string;
  /** The latest TM and Fundamental grades are not paged by the API. */
  latestPaged: boolean;
  example: Record<string, unknown>;
  historyExample: Record<string, unknown>;
}): Endpoint[] => {
  const base = options.kind === "tm" ? "tm-grade" : `${options.kind}-grade`;
  const tool = options.kind === "tm" ? "tm_grade" : `${options.kind}_grade`;
  return [
    {
      name: `get_${tool}`,
      title: `Latest ${options.title}`,
      description: `Latest ${options.title} per token: ${options.what} Give token_id (preferred), token_name or symbol.`,
      toolset: "grades",
      path: `/${base}`,
      method: "GET",
      params: byToken,
      ...(options.latestPaged ? { pagination: "limit-page", defaultLimit: 20 } : { pagination: "none" }),
      requireOneOf: ["token_id", "token_name", "symbol"],
      cacheTtlSeconds: 3600,
      priceUsd: 0.017,
      example: options.example,
    },
    {
      name: `get_${tool}_history`,
      title: `${options.title} history`,
      description: `Daily history of the ${options.title} (same fields plus DATE) between startDate and endDate (YYYY-MM-DD). Use to see how a grade moved over time.`,
      toolset: "grades",
      path: `/${base}-history`,
      method: "GET",
      params: { ...byToken, ...dateRange },
      pagination: "limit-page",
      defaultLimit: 30,
      requireOneOf: ["token_id", "token_name", "symbol"],
      cacheTtlSeconds: 3600,
      priceUsd: 0.034,
      example: options.historyExample,
    },
  ];
};

export const gradesEndpoints: Endpoint[] = [
  ...gradeEndpoint({
    kind: "tm",
    title: "TM Grade",
    what: "TM_GRADE (0-100), its 24h change, TM_GRADE_SIGNAL (Strong Buy … Strong Sell), MOMENTUM, FUNDAMENTAL_GRADE and its class. The quickest overall rating of a token.",
    latestPaged: false,
    example: { token_id: 3375 },
    historyExample: { token_id: 3375, startDate: "2026-11-01", endDate: "2026-11-10" },
  }),
  ...gradeEndpoint({
    kind: "fundamental",
    title: "Fundamental Grade",
    what: "FUNDAMENTAL_GRADE (0-100), FUNDAMENTAL_GRADE_CLASS and the community, exchange, VC, tokenomics and DeFi-scanner scores behind it.",
    latestPaged: false,
    example: { token_id: 3306 },
    historyExample: { token_id: 3306, limit: 5 },
  }),
  ...gradeEndpoint({
    kind: "technology",
    title: "Technology Grade",
    what: "TECHNOLOGY_GRADE (0-100) with activity, security, repository, collaboration and DeFi-scanner scores.",
    latestPaged: true,
    example: { symbol: "SOL" },
    historyExample: { symbol: "SOL", limit: 5 },
  }),
  {
    name: "get_trader_grades",
    title: "Trader Grades (legacy)",
    description:
      "Short-term TM Trader Grade per token and day (TA_GRADE, QUANT_GRADE, TM_TRADER_GRADE, 24h % change). Legacy endpoint superseded by get_tm_grade, still served. Screen with category, exchange, marketcap, volume, fdv, traderGrade (minimum) and a date range.",
    toolset: "grades",
    path: "/trader-grades",
    method: "GET",
    params: { ...screenerFilters, ...dateRange, traderGrade: grade("TM Trader Grade"), traderGradePercentChange: grade("24h % change of the Trader Grade") },
    pagination: "limit-page",
    defaultLimit: 20,
    cacheTtlSeconds: 3600,
    priceUsd: 0.017,
    example: { limit: 5 },
    legacy: "superseded by get_tm_grade",
  },
  {
    name: "get_investor_grades",
    title: "Investor Grades",
    description:
      "Long-term TM Investor Grade per token and day, with fundamental, technology and valuation grades and their sub-scores. Screen with category, exchange, marketcap, volume, fdv, investorGrade (minimum) and a date range.",
    toolset: "grades",
    path: "/investor-grades",
    method: "GET",
    params: { ...screenerFilters, ...dateRange, investorGrade: grade("TM Investor Grade") },
    pagination: "limit-page",
    defaultLimit: 20,
    cacheTtlSeconds: 3600,
    priceUsd: 0.017,
    example: { token_id: 3375, limit: 5 },
  },
];
