import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type MouseEventParams,
  type UTCTimestamp,
} from "lightweight-charts";
import { connectView, el, isDark, type Json, showContent, showMessage, structuredOf } from "../shared/app.js";
import "../shared/view.css";
import { type Candle, oldestFirstUnique, type TokenSeries, tokensFrom } from "./candles.js";

const UP = "#26a69a";
const DOWN = "#ef5350";

let args: Json = {};
let tool = "";
let tokens: TokenSeries[] = [];
let shown: TokenSeries | undefined;
let chart: { api: IChartApi; candles: ISeriesApi<"Candlestick">; volume: ISeriesApi<"Histogram"> } | undefined;

const app = connectView("Token Metrics price chart", {
  input: (input) => (args = input),
  result: (result) => show(result),
  theme: () => chart?.api.applyOptions(themeOptions()),
});

function show(result: CallToolResult): void {
  const structured = structuredOf(result);
  if (typeof structured === "string") return showMessage(structured);
  tokens = tokensFrom(structured);
  if (tokens.length === 0) {
    return showMessage(
      typeof structured.note === "string" ? `No candles to draw. ${structured.note}` : "No candles to draw: the result has no rows with a time and prices.",
    );
  }
  // The tool to ask for earlier rows: the one whose result this is (its endpoint path, e.g. /daily-ohlcv).
  tool = typeof structured.endpoint === "string" ? `get_${structured.endpoint.slice(1).replaceAll("-", "_")}` : "";
  const picker = document.getElementById("token") as HTMLSelectElement;
  picker.replaceChildren(...tokens.map((token) => el("option", `${token.name}${token.symbol ? ` (${token.symbol})` : ""}`, { value: token.id })));
  picker.hidden = tokens.length < 2;
  picker.onchange = () => draw(tokens.find((token) => token.id === picker.value)!);
  showContent();
  draw(tokens[0]!);
}

function draw(token: TokenSeries): void {
  shown = token;
  document.getElementById("title")!.textContent = `${token.name}${token.symbol ? ` · ${token.symbol}` : ""}`;
  chart ??= makeChart(document.getElementById("chart")!);
  chart.candles.setData(token.candles.map((c) => ({ time: c.time as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close })));
  chart.volume.setData(token.candles.map((c) => ({ time: c.time as UTCTimestamp, value: c.volume, color: c.close >= c.open ? `${UP}80` : `${DOWN}80` })));
  chart.api.timeScale().fitContent();
  legend(token.candles.at(-1));
  summarize();
}

function themeOptions() {
  const dark = isDark();
  return {
    layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: dark ? "#d1d4dc" : "#333", attributionLogo: false },
    grid: { vertLines: { color: dark ? "#2a2e39" : "#eee" }, horzLines: { color: dark ? "#2a2e39" : "#eee" } },
  };
}

function makeChart(container: HTMLElement) {
  const api = createChart(container, {
    autoSize: true,
    ...themeOptions(),
    timeScale: { timeVisible: tool === "get_hourly_ohlcv", secondsVisible: false },
  });
  const candles = api.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN });
  // Volume on its own scale in the bottom fifth, under the candles.
  const volume = api.addSeries(HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false });
  api.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
  api.subscribeCrosshairMove((param: MouseEventParams) =>
    legend(param.time === undefined ? shown?.candles.at(-1) : shown?.candles.find((c) => c.time === param.time)),
  );
  // What is on screen after a scroll or zoom, for the summary line.
  api.timeScale().subscribeVisibleTimeRangeChange(summarize);
  return { api, candles, volume };
}

const price = (value: number) => value.toLocaleString("en-US", { maximumSignificantDigits: 6 });
const when = (time: number) =>
  new Date(time * 1000)
    .toISOString()
    .slice(0, tool === "get_hourly_ohlcv" ? 16 : 10)
    .replace("T", " ");

/** The crosshair's candle, or the latest one when the pointer is away. */
function legend(candle: Candle | undefined): void {
  const box = document.getElementById("legend")!;
  if (!candle) return void box.replaceChildren();
  const change = ((candle.close - candle.open) / candle.open) * 100;
  box.replaceChildren(
    el("span", when(candle.time)),
    ...(["open", "high", "low", "close"] as const).map((key) => el("span", `${key[0]!.toUpperCase()} ${price(candle[key])}`)),
    el("span", `${change >= 0 ? "+" : ""}${change.toFixed(2)}%`, { class: change >= 0 ? "up" : "down" }),
    el("span", `Vol ${candle.volume.toLocaleString("en-US", { notation: "compact", maximumFractionDigits: 2 })}`),
  );
}

/** "30 daily candles, 2026-10-31 to 2026-11-29", with the drawn count and visible range as data attributes. */
function summarize(): void {
  if (!chart || !shown) return;
  const drawn = chart.candles.data();
  const range = chart.api.timeScale().getVisibleRange();
  const summary = document.getElementById("summary")!;
  const first = drawn[0]?.time as number | undefined;
  const last = drawn.at(-1)?.time as number | undefined;
  summary.textContent =
    first === undefined || last === undefined
      ? ""
      : `${drawn.length} ${tool === "get_hourly_ohlcv" ? "hourly" : "daily"} candles, ${when(first)} to ${when(last)}`;
  summary.dataset.candles = String(drawn.length);
  if (range) Object.assign(summary.dataset, { visibleFrom: String(range.from), visibleTo: String(range.to) });
}

/**
 * Earlier rows come only through the host (tools/call), never from the frame: each paid call
 * still passes the server's payer, with its budgets, approval and ledger.
 */
document.getElementById("more")!.addEventListener("click", async (event) => {
  const button = event.currentTarget as HTMLButtonElement;
  if (!shown || !tool) return;
  button.disabled = true;
  const status = document.getElementById("status")!;
  status.textContent = "Asking the host for earlier candles (a paid call)…";
  try {
    const page = (typeof args.page === "number" ? args.page : 1) + 1;
    const result = await app.callServerTool({ name: tool, arguments: { ...args, page } });
    const structured = structuredOf(result);
    if (typeof structured === "string") throw new Error(structured);
    const earlier = tokensFrom(structured).find((token) => token.id === shown!.id);
    if (!earlier?.candles.length) throw new Error("no earlier candles");
    args = { ...args, page };
    shown.candles = oldestFirstUnique([...earlier.candles, ...shown.candles]);
    draw(shown);
    status.textContent = "";
  } catch (error) {
    status.textContent = `No earlier candles: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    button.disabled = false;
  }
});
