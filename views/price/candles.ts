import { isRecord, type Json } from "../shared/app.js";

export interface Candle {
  /** Seconds since the epoch, UTC: lightweight-charts' time unit. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface TokenSeries {
  id: string;
  name: string;
  symbol: string;
  candles: Candle[];
}

const num = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN);

/** The API names the time TIMESTAMP (hourly, and daily in practice) or DATE (daily, as documented). */
function timeOf(row: Json): number {
  const raw = row.TIMESTAMP ?? row.DATE;
  if (typeof raw !== "string") return Number.NaN;
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw) / 1000;
}

/**
 * Candles per token from an OHLCV tool result's rows (newest first, several tokens mixed when
 * several were asked for), oldest first as the chart wants them. Rows without a time or a price
 * are dropped; if none is left the result is not something to chart.
 */
export function tokensFrom(structured: Json): TokenSeries[] {
  const rows = Array.isArray(structured.data) ? structured.data.filter(isRecord) : [];
  const byToken = new Map<string, TokenSeries>();
  for (const row of rows) {
    const candle = { time: timeOf(row), open: num(row.OPEN), high: num(row.HIGH), low: num(row.LOW), close: num(row.CLOSE), volume: num(row.VOLUME) };
    if (![candle.time, candle.open, candle.high, candle.low, candle.close].every(Number.isFinite)) continue;
    if (!Number.isFinite(candle.volume)) candle.volume = 0;
    const id = String(row.TOKEN_ID ?? row.TOKEN_SYMBOL ?? "?");
    const series = byToken.get(id) ?? {
      id,
      name: String(row.TOKEN_NAME ?? row.TOKEN_SYMBOL ?? `Token ${id}`),
      symbol: String(row.TOKEN_SYMBOL ?? ""),
      candles: [],
    };
    series.candles.push(candle);
    byToken.set(id, series);
  }
  for (const series of byToken.values()) series.candles = oldestFirstUnique(series.candles);
  return [...byToken.values()];
}

/** Sorted by time with one candle per time (the chart rejects duplicates); a later page never doubles a day. */
export function oldestFirstUnique(candles: Candle[]): Candle[] {
  const byTime = new Map(candles.map((candle) => [candle.time, candle]));
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}
