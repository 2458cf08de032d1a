/**
 * The MCP Apps views in a real browser (Debian's chromium through puppeteer-core): a test host on
 * ext-apps' AppBridge loads each view from the built server's resource, hands it a real tool
 * result from the sandbox, and checks what is drawn. Screenshots go to a temp dir (printed), or
 * to VIEWS_SCREENSHOTS=<dir> (how docs/view-*.png were made).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Browser, Page } from "puppeteer-core";
import { loadConfig } from "../src/config.js";
import { startHttpServer } from "../src/http.js";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { createServices } from "../src/server.js";
import { hostScript, launchChromium, paintedPixels, recordRequests, viewFrame } from "./helpers/browser.js";
import { readLedger } from "./helpers/ledger.js";
import { connectStdio } from "./helpers/mcp.js";

const UP = "#26a69a";
const DOWN = "#ef5350";
const ALICE = "alice-token-0123456789abcdef";

type Row = Record<string, unknown>;

describe("MCP Apps views in chromium", { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let dir: string;
  let browser: Browser;
  let mcp: Client;
  let env: Record<string, string>;
  let host: string;
  const artifacts = { dir: "" };
  const open: Array<{ close(): Promise<unknown> }> = [];

  before(async () => {
    browser = await launchChromium();
    open.push(browser);
    sandbox = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), "tm-views-"));
    artifacts.dir = process.env.VIEWS_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), "tm-views-screenshots-")));
    await mkdir(artifacts.dir, { recursive: true });
    env = { ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_LEDGER: join(dir, "ledger.jsonl"), TOKEN_METRICS_SESSION_BUDGET: "1 USDC" };
    const session = await connectStdio(env);
    open.push(session);
    mcp = session.client;
    host = `<!doctype html><html><body style="margin:0;background:#fff"><script>${await hostScript()}</script></body></html>`;
  });
  after(async () => {
    for (const item of open.reverse()) await item.close();
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function viewHtmlFor(tool: string): Promise<string> {
    const { tools } = await mcp.listTools();
    const uri = (tools.find((t) => t.name === tool)?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
    assert.ok(uri !== undefined && uri.startsWith("ui://"), `${tool} points at a ui:// view`);
    const { contents } = await mcp.readResource({ uri });
    assert.equal(contents.length, 1);
    assert.equal(contents[0]!.mimeType, "text/html;profile=mcp-app");
    return (contents[0] as { text: string }).text;
  }

  /** A page running the test host with one view, its tool calls made on the real MCP client. */
  async function openView(tool: string, input: Row, result: CallToolResult) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push((error as Error).message));
    const outside = await recordRequests(page);
    const calls: string[] = [];
    await page.exposeFunction("hostCallTool", async (name: string, args: Row) => {
      calls.push(name);
      return mcp.callTool({ name, arguments: args });
    });
    await page.setContent(host);
    await page.evaluate((html, input, result) => window.showView(html, input, result), await viewHtmlFor(tool), input, result as never);
    return { page, frame: await viewFrame(page), errors, outside, calls };
  }

  async function screenshot(page: Page, name: string, t: { diagnostic(message: string): void }) {
    const path = join(artifacts.dir, `${name}.png`);
    await (await page.$("#view"))!.screenshot({ path });
    t.diagnostic(`screenshot: ${path}`);
  }

  test("price view: a paid get_daily_ohlcv result drawn as candles with volume, the token's name, crosshair values", async (t) => {
    const input = { token_id: 3375, limit: 30 };
    const result = (await mcp.callTool({ name: "get_daily_ohlcv", arguments: input })) as CallToolResult;
    assert.ok(!result.isError, JSON.stringify(result.content));
    const rows = (result.structuredContent as { data: Row[] }).data;
    assert.equal(rows.length, 30);
    const times = rows.map((row) => Date.parse(String(row.TIMESTAMP ?? row.DATE)) / 1000);

    const { page, frame, errors, outside, calls } = await openView("get_daily_ohlcv", input, result);
    const summary = await frame.waitForSelector("#summary[data-candles]");
    const drawn = await summary!.evaluate((el): Record<string, string | undefined> => ({ ...(el as HTMLElement).dataset, text: el.textContent ?? undefined }));
    assert.equal(Number(drawn.candles), rows.length, "one candle per row");
    assert.equal(Number(drawn.visibleFrom), Math.min(...times), "the time axis starts at the oldest row");
    assert.equal(Number(drawn.visibleTo), Math.max(...times), "and ends at the newest");
    assert.match(await frame.$eval("#title", (el) => el.textContent ?? ""), new RegExp(String(rows[0]!.TOKEN_NAME)));

    // Let the chart paint, then count its pixels: candles in both colours, not a blank canvas.
    await frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const pixels = await paintedPixels(frame, "#chart", [UP, DOWN]);
    assert.ok(pixels.canvases > 0 && pixels.opaque > 5_000, `the chart painted (${JSON.stringify(pixels)})`);
    assert.ok(pixels.colors[0]! > 50 && pixels.colors[1]! > 50, `rising and falling candles are drawn (${JSON.stringify(pixels)})`);

    // Crosshair: the legend shows the candle under the pointer, not the latest one.
    const latest = await frame.$eval("#legend", (el) => el.textContent ?? "");
    const chartBox = (await (await frame.$("#chart"))!.boundingBox())!;
    await page.mouse.move(chartBox.x + chartBox.width * 0.2, chartBox.y + chartBox.height * 0.5);
    await frame.waitForFunction((latest) => document.getElementById("legend")!.textContent !== latest, {}, latest);
    const hovered = await frame.$eval("#legend", (el) => el.textContent ?? "");
    assert.match(hovered, /^\d{4}-\d{2}-\d{2}O [\d,.]+H [\d,.]+L [\d,.]+C [\d,.]+/);
    await screenshot(page, "price", t);

    // More rows only through the host: the view's call is made by the MCP client, and paid.
    const paidBefore = (await readLedger(env.TOKEN_METRICS_LEDGER!)).filter((entry) => entry.event === "settled").length;
    await frame.click("#more");
    await frame.waitForFunction((n) => Number(document.getElementById("summary")!.dataset.candles) > n, { timeout: 30_000 }, rows.length);
    assert.deepEqual(calls, ["get_daily_ohlcv"]);
    assert.equal(Number(await frame.$eval("#summary", (el) => (el as HTMLElement).dataset.candles)), 2 * rows.length);
    const paidAfter = (await readLedger(env.TOKEN_METRICS_LEDGER!)).filter((entry) => entry.event === "settled").length;
    assert.equal(paidAfter, paidBefore + 1, "the earlier page was paid through the server's payer");

    // The host turns dark: the page and the chart's canvas follow (axis text in the light grey).
    await page.evaluate(() => window.setTheme("dark"));
    await frame.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    assert.ok((await paintedPixels(frame, "#chart", ["#d1d4dc"])).colors[0]! > 20, "the axis labels are redrawn for the dark theme");
    await screenshot(page, "price-dark", t);

    assert.deepEqual(outside, [], "the frame made no network request");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("price view: an empty, a failed or a malformed result reads as a sentence", async (t) => {
    const cases: Array<[string, CallToolResult, RegExp]> = [
      [
        "empty",
        { content: [{ type: "text", text: "{}" }], structuredContent: { endpoint: "/daily-ohlcv", success: true, data: [], note: "No data matched." } },
        /No candles to draw\. No data matched\./,
      ],
      ["error", { isError: true, content: [{ type: "text", text: "Payment refused: over the daily budget." }] }, /Payment refused: over the daily budget\./],
      [
        "malformed",
        { content: [{ type: "text", text: "?" }], structuredContent: { endpoint: "/daily-ohlcv", data: [{ TIMESTAMP: "soon", OPEN: "x" }, 7, null] } },
        /No candles to draw/,
      ],
    ];
    for (const [name, result, expected] of cases) {
      const { page, frame, errors, outside } = await openView("get_daily_ohlcv", {}, result);
      await frame.waitForFunction(() => document.getElementById("message")!.textContent !== "Waiting for the tool result…");
      const message = await frame.$eval("#message", (el) => ({ text: el.textContent ?? "", visible: !(el as HTMLElement).hidden }));
      assert.ok(message.visible, name);
      assert.match(message.text, expected, name);
      assert.ok(await frame.$eval("#content", (el) => (el as HTMLElement).hidden), `${name}: no half-drawn chart`);
      assert.deepEqual(errors, [], name);
      assert.deepEqual(outside, [], name);
      if (name === "empty") await screenshot(page, "price-empty", t);
      await page.close();
    }
  });

  test("spending view: get_spending's budgets, totals and transactions, with balances from get_wallet_status", async (t) => {
    const result = (await mcp.callTool({ name: "get_spending", arguments: {} })) as CallToolResult;
    const spending = result.structuredContent as {
      budgets: Record<string, Record<string, { limit: string; used: string; left: string }>>;
      recent: Array<{ transaction?: string; status: string }>;
      totals: { settled: Record<string, string> };
    };
    assert.ok(spending.recent.length >= 2, "the price test paid twice");
    const { page, frame, errors, outside, calls } = await openView("get_spending", {}, result);
    await frame.waitForSelector("[data-balance]", { timeout: 30_000 });
    assert.deepEqual(calls, ["get_wallet_status"], "the view asked the host for the balances");

    for (const kind of ["session", "daily"]) {
      const budget = spending.budgets[kind]!;
      assert.ok(Object.keys(budget).length > 0, `${kind} budget configured`);
      for (const [asset, { limit, used, left }] of Object.entries(budget)) {
        const card = await frame.$eval(`[data-budget="${kind}"][data-asset="${asset}"]`, (el) => el.textContent ?? "");
        assert.ok(card.includes(`${left} ${asset} left`) && card.includes(`used ${used} of ${limit} ${asset}`), `${kind} ${asset}: ${card}`);
      }
    }
    const shownTx = await frame.$$eval("[data-tx]", (els) => els.map((el) => (el as HTMLElement).dataset.tx));
    assert.deepEqual(shownTx, spending.recent.map((payment) => payment.transaction).filter(Boolean));
    const perAsset = await frame.$eval('section[aria-label="Per asset"]', (el) => el.textContent ?? "");
    for (const [asset, amount] of Object.entries(spending.totals.settled)) assert.ok(perAsset.includes(asset) && perAsset.includes(amount), perAsset);
    assert.match(await frame.$eval("#pause", (el) => el.textContent ?? ""), /Payments allowed/);
    await frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const pixels = await paintedPixels(frame, "#over-time", ["#2f81f7"]);
    assert.ok(pixels.colors[0]! > 20, `spending over time is drawn (${JSON.stringify(pixels)})`);
    await screenshot(page, "spending", t);
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
    await page.close();

    // A server in API-key mode pays nothing; a stranger result is not a dashboard.
    const keyed = await connectStdio(sandboxEnv(sandbox.info, "api-key"));
    const apiKeyResult = (await keyed.client.callTool({ name: "get_spending", arguments: {} })) as CallToolResult;
    await keyed.close();
    const odd: Array<[CallToolResult, RegExp]> = [
      [apiKeyResult, /API-key mode: .*no spending to show/],
      [{ content: [{ type: "text", text: "{}" }], structuredContent: { hello: "world" } }, /not a spending summary or a wallet status/],
    ];
    for (const [result, expected] of odd) {
      const shown = await openView("get_spending", {}, result);
      await shown.frame.waitForFunction(() => document.getElementById("message")!.textContent !== "Waiting for the tool result…");
      assert.match(await shown.frame.$eval("#message", (el) => el.textContent ?? ""), expected);
      assert.deepEqual(shown.errors, []);
      assert.deepEqual(shown.outside, []);
      await shown.page.close();
    }
  });

  test("GET /dashboard: the spending view behind the bearer check, with the caller's own budget", async (t) => {
    const config = loadConfig({ ...env, TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE}`, TOKEN_METRICS_CLIENT_BUDGETS: "alice:1 USDC" }, ["--http", "--port", "0"]);
    const server = await startHttpServer(createServices(config), config.http!);
    open.push(server);
    const url = server.url.replace(/\/mcp$/, "/dashboard");
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer/);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push((error as Error).message));
    const outside = await recordRequests(page, [url]);
    await page.setExtraHTTPHeaders({ Authorization: `Bearer ${ALICE}` });
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()["content-security-policy"] ?? "", /default-src 'none'/);
    await page.waitForSelector('[data-budget="client"][data-asset="USDC"]');
    assert.match(await page.$eval('[data-budget="client"]', (el) => el.textContent ?? ""), /alice/);
    assert.ok((await page.$$("[data-tx]")).length >= 2, "the payments made in the other tests are listed");
    assert.ok((await page.$$("[data-balance]")).length >= 1);
    const path = join(artifacts.dir, "dashboard.png");
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`screenshot: ${path}`);
    assert.deepEqual(outside, [], "only the page itself was requested");
    assert.deepEqual(errors, []);
    await page.close();
  });
});
