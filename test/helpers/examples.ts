/**
 * One valid argument object per catalog tool, for calls against the sandbox's fixture data.
 * `indexId` comes from a get_indices call, since index ids are data.
 */
export function exampleArgs(indexId: number): Record<string, Record<string, unknown>> {
  return {
    get_tokens: { symbol: "BTC" },
    get_price: { token_id: "3375,3306" },
    get_top_market_cap_tokens: { top_k: 5 },
    get_hourly_ohlcv: { token_id: 3375, limit: 5 },
    get_daily_ohlcv: { symbol: "ETH", startDate: "2026-11-01", endDate: "2026-11-07" },
    get_tm_grade: { token_id: 3375 },
    get_tm_grade_history: { token_id: 3375, startDate: "2026-11-01", endDate: "2026-11-10" },
    get_fundamental_grade: { token_id: 3306 },
    get_fundamental_grade_history: { token_id: 3306, limit: 5 },
    get_technology_grade: { symbol: "SOL" },
    get_technology_grade_history: { symbol: "SOL", limit: 5 },
    get_trader_grades: { limit: 5 },
    get_investor_grades: { token_id: 3375, limit: 5 },
    get_trading_signals: { token_id: 3375 },
    get_hourly_trading_signals: { token_id: 3375 },
    get_resistance_support: { token_id: 3375 },
    get_market_metrics: {},
    get_sentiments: {},
    get_quantmetrics: { token_id: 3375 },
    get_correlation: { token_id: 3375 },
    get_ai_reports: { token_id: 3375 },
    get_price_prediction: { token_id: 3375 },
    get_scenario_analysis: { token_id: 3375 },
    get_moonshot_tokens: { type: "active" },
    get_crypto_investors: {},
    ask_tmai: { question: "Is Bitcoin in an uptrend?" },
    get_indices: {},
    get_indices_holdings: { id: indexId },
    get_indices_performance: { id: indexId, limit: 5 },
  };
}
