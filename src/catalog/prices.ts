/**
 * Per-call x402 prices in USD, by API path. Not official: taken from a third-party wrapper of the
 * Token Metrics x402 API (see shared/token-metrics-api.md §1.2) until real 402 challenges are
 * observed. The sandbox charges these; tool descriptions quote them. TMAI costs 10% less.
 * One table so a price is corrected in one place.
 */
export const USD_PRICE_BY_PATH: Readonly<Record<string, number>> = {
  "/tokens": 0,
  "/price": 0,
  "/top-market-cap-tokens": 0,
  "/investor-grades": 0.017,
  "/sentiments": 0.017,
  "/trader-grades": 0.017,
  "/trading-signals": 0.017,
  "/hourly-ohlcv": 0.017,
  "/daily-ohlcv": 0.017,
  "/tm-grade": 0.017,
  "/fundamental-grade": 0.017,
  "/technology-grade": 0.017,
  "/hourly-trading-signals": 0.034,
  "/resistance-support": 0.034,
  "/market-metrics": 0.034,
  "/indices": 0.034,
  "/indices-holdings": 0.034,
  "/indices-performance": 0.034,
  "/tm-grade-history": 0.034,
  "/fundamental-grade-history": 0.034,
  "/technology-grade-history": 0.034,
  "/correlation": 0.068,
  "/scenario-analysis": 0.068,
  "/price-prediction": 0.068,
  "/ai-reports": 0.068,
  "/quantmetrics": 0.068,
  "/crypto-investors": 0.068,
  "/moonshot-tokens": 0.068,
  "/tmai": 0.068,
};

/** TMAI is 10% cheaper than USDC for the same call (Token Metrics' documented discount). */
export const TMAI_DISCOUNT = 0.1;
