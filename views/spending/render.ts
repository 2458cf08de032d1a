import { ColorType, createChart, HistogramSeries, type UTCTimestamp } from "lightweight-charts";
import { el, isDark, isRecord } from "../shared/app.js";

type Amounts = Record<string, string>;
type Budget = Record<string, { limit: string; used: string; left: string }>;
type Budgets = { session: Budget; daily: Budget; client?: { name: string } & Record<string, unknown> };
type PauseState = { paused: boolean; reason?: string; since?: string };

/** The parts of get_spending's and get_wallet_status's structuredContent the dashboard shows. */
export interface Dashboard {
  spending?: {
    totals: { settled: Amounts; inFlight: Amounts };
    byEndpoint: Record<string, { calls: number } & Record<string, number | string>>;
    budgets: Budgets;
    paused: PauseState;
    recent: Array<{ at: string; endpoint: string; amount: string; status: string; transaction?: string; note?: string }>;
    ledgerWarning?: string;
  };
  wallet?: {
    address: string;
    network: string;
    client?: string;
    balances: Array<{ asset: string; balance: string }> | string;
    budgets: Budgets;
    paused: PauseState;
    limits?: { maxPerCall?: unknown };
  };
}

function section(title: string, ...children: Node[]): HTMLElement {
  const box = el("section", null, { "aria-label": title });
  box.append(el("h2", title), ...children);
  return box;
}

function cardGrid(cards: Node[], attributes: Record<string, string> = {}): HTMLElement {
  const grid = el("div", null, { class: "cards", ...attributes });
  grid.append(...cards);
  return grid;
}

function table(headings: string[], rows: Array<Array<string | Node>>, numeric: number[] = []): HTMLTableElement {
  const t = el("table");
  const head = t.createTHead().insertRow();
  head.append(...headings.map((h, i) => el("th", h, numeric.includes(i) ? { class: "num" } : {})));
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    tr.append(
      ...row.map((cell, i) => {
        const td = el("td", null, numeric.includes(i) ? { class: "num" } : {});
        td.append(cell);
        return td;
      }),
    );
    body.append(tr);
  }
  t.append(body);
  return t;
}

function card(title: string, figure: string, sub: string, fraction?: number, attributes: Record<string, string> = {}): HTMLElement {
  const box = el("div", null, { class: "card", ...attributes });
  box.append(el("div", title, { class: "sub" }), el("div", figure, { class: "figure" }), el("div", sub, { class: "sub" }));
  if (fraction !== undefined) {
    const bar = el("div", null, {
      class: fraction < 0.1 ? "bar low" : "bar",
      role: "meter",
      "aria-valuenow": String(Math.round(fraction * 100)),
      "aria-valuemin": "0",
      "aria-valuemax": "100",
    });
    bar.append(el("span", null, { style: `width:${Math.max(0, Math.min(1, fraction)) * 100}%` }));
    box.append(bar);
  }
  return box;
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex);

/** One card per budget and asset: what is left of the limit, with a bar. */
function budgetCards(budgets: Budgets): HTMLElement[] {
  const cards: HTMLElement[] = [];
  const add = (kind: string, label: string, budget: Record<string, unknown>) => {
    for (const [asset, figures] of Object.entries(budget)) {
      if (!isRecord(figures) || typeof figures.left !== "string" || typeof figures.limit !== "string") continue;
      const fraction = Number(figures.limit) > 0 ? Number(figures.left) / Number(figures.limit) : 0;
      cards.push(
        card(label, `${figures.left} ${asset} left`, `used ${figures.used} of ${figures.limit} ${asset}`, fraction, {
          "data-budget": kind,
          "data-asset": asset,
        }),
      );
    }
  };
  add("session", "Session budget", budgets.session);
  add("daily", "Daily budget (24 h)", budgets.daily);
  if (budgets.client) {
    const { name, ...perAsset } = budgets.client;
    add("client", `Client ${name}, daily`, perAsset);
  }
  return cards;
}

/** Recent payments per hour, first asset only (amounts of different assets do not add up). */
function overTime(recent: NonNullable<Dashboard["spending"]>["recent"]): HTMLElement | undefined {
  const parsed = recent
    .filter((p) => p.status !== "released")
    .map((p) => ({ hour: Math.floor(Date.parse(p.at) / 3_600_000) * 3600, amount: Number(p.amount.split(" ")[0]), asset: p.amount.split(" ")[1] ?? "" }));
  const asset = parsed[0]?.asset;
  const perHour = new Map<number, number>();
  for (const p of parsed) if (p.asset === asset && Number.isFinite(p.hour)) perHour.set(p.hour, (perHour.get(p.hour) ?? 0) + p.amount);
  if (perHour.size === 0) return undefined;
  const box = el("div", null, { class: "chart", id: "over-time", style: "height:160px" });
  queueMicrotask(() => {
    const dark = isDark();
    const chart = createChart(box, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: dark ? "#d1d4dc" : "#333", attributionLogo: false },
      grid: { vertLines: { visible: false }, horzLines: { color: dark ? "#2a2e39" : "#eee" } },
      // At most 20 bars (get_spending lists 20 payments): a fixed width keeps one payment from filling the whole chart.
      timeScale: { timeVisible: true, secondsVisible: false, barSpacing: 24, rightOffset: 1 },
    });
    const series = chart.addSeries(HistogramSeries, { color: "#2f81f7", priceFormat: { type: "price", precision: 4, minMove: 0.0001 } });
    series.setData([...perHour].sort(([a], [b]) => a - b).map(([time, value]) => ({ time: time as UTCTimestamp, value })));
  });
  const wrap = el("div");
  wrap.append(el("div", `${asset} paid per hour, last ${recent.length} payments`, { class: "sub muted" }), box);
  return wrap;
}

export function render(root: HTMLElement, { spending, wallet }: Dashboard): void {
  const paused = spending?.paused ?? wallet?.paused;
  const header = el("header");
  header.append(el("h1", "Token Metrics spending"));
  if (paused)
    header.append(
      el("span", paused.paused ? `Payments paused: ${paused.reason ?? ""}` : "Payments allowed", {
        class: `badge ${paused.paused ? "paused" : "running"}`,
        id: "pause",
      }),
    );
  if (wallet)
    header.append(
      el("span", `${wallet.network} · ${short(wallet.address)}${wallet.client ? ` · client ${wallet.client}` : ""}`, { class: "muted", title: wallet.address }),
    );
  const parts: Node[] = [header];
  if (paused?.paused && paused.since)
    parts.push(el("p", `Paused since ${paused.since}. Run token-metrics-x402-mcp resume to allow payments again.`, { class: "down" }));
  if (spending?.ledgerWarning) parts.push(el("p", spending.ledgerWarning, { class: "pending" }));

  if (wallet) {
    const balances = Array.isArray(wallet.balances)
      ? wallet.balances.map((b) => card(`${b.asset} balance`, `${b.balance} ${b.asset}`, "read from the chain", undefined, { "data-balance": b.asset }))
      : [el("p", `Balances ${wallet.balances}`, { class: "pending" })];
    parts.push(section("Balances", cardGrid(balances)));
  }
  const budgets = spending?.budgets ?? wallet?.budgets;
  if (budgets) parts.push(section("Budgets left", cardGrid(budgetCards(budgets), { id: "budgets" })));

  if (spending) {
    const assets = [...new Set([...Object.keys(spending.totals.settled), ...Object.keys(spending.totals.inFlight)])];
    parts.push(
      section(
        "Per asset",
        assets.length === 0
          ? el("p", "Nothing paid yet.", { class: "muted" })
          : table(
              ["Asset", "Settled", "In flight"],
              assets.map((a) => [a, spending.totals.settled[a] ?? "0", spending.totals.inFlight[a] ?? "0"]),
              [1, 2],
            ),
      ),
    );
    const endpoints = Object.entries(spending.byEndpoint).sort(([, a], [, b]) => b.calls - a.calls);
    if (endpoints.length > 0) {
      parts.push(
        section(
          "Per endpoint",
          table(
            ["Endpoint", "Calls", "Amount"],
            endpoints.map(([endpoint, { calls, ...amounts }]) => [
              endpoint,
              String(calls),
              Object.entries(amounts)
                .map(([asset, amount]) => `${amount} ${asset}`)
                .join(", "),
            ]),
            [1, 2],
          ),
        ),
      );
    }
    const chart = overTime(spending.recent);
    if (chart) parts.push(section("Over time", chart));
    const inFlight = spending.recent.filter((p) => p.status === "pending");
    parts.push(
      section(
        "In flight",
        inFlight.length === 0
          ? el("p", "No payment in flight.", { class: "muted", id: "in-flight" })
          : table(
              ["Signed", "Endpoint", "Amount", "Note"],
              inFlight.map((p) => [p.at.replace("T", " ").slice(0, 19), p.endpoint, p.amount, p.note ?? ""]),
              [2],
            ),
      ),
    );
    parts.push(
      section(
        "Recent payments",
        spending.recent.length === 0
          ? el("p", "No payments yet.", { class: "muted" })
          : table(
              ["Signed", "Endpoint", "Amount", "Status", "Transaction"],
              spending.recent.map((p) => [
                p.at.replace("T", " ").slice(0, 19),
                p.endpoint,
                p.amount,
                el("span", p.status, { class: p.status === "pending" ? "pending" : p.status === "settled" ? "up" : "muted" }),
                p.transaction ? el("code", short(p.transaction), { title: p.transaction, "data-tx": p.transaction }) : "—",
              ]),
              [2],
            ),
      ),
    );
  }
  root.replaceChildren(...parts);
}
