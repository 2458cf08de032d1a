/** Tool groups; `--toolsets` / TOKEN_METRICS_TOOLSETS picks which are registered. */
export const TOOLSETS = {
  tokens: "Token list, current prices, top tokens by market cap, hourly and daily OHLCV.",
  grades: "TM, trader, investor, fundamental and technology grades, latest and history.",
  signals: "Daily and hourly AI trading signals, resistance and support levels.",
  market: "Whole-market metrics, sentiment, quant metrics, correlations.",
  research: "AI reports, price predictions, scenario analysis, moonshots, crypto investors, the TMAI chatbot.",
  indices: "Token Metrics indices, their holdings and performance.",
} as const;

export type Toolset = keyof typeof TOOLSETS;
export const TOOLSET_NAMES = Object.keys(TOOLSETS) as Toolset[];
