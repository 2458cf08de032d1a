import { readFile } from "node:fs/promises";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

/**
 * MCP Apps views: one self-contained HTML file each (built by scripts/build-views.ts into
 * dist/views/), served as `ui://` resources. Tools point at them with `_meta.ui.resourceUri`;
 * clients without MCP Apps ignore that field and keep the same text and structuredContent.
 */
export const VIEWS = {
  price: { uri: "ui://token-metrics/price.html", title: "Price chart", description: "Candlestick chart with volume of an OHLCV tool result." },
  spending: {
    uri: "ui://token-metrics/spending.html",
    title: "Spending dashboard",
    description: "Balances, budgets left, spending per endpoint and asset, payments in flight and recent payments.",
  },
} as const;

export type ViewName = keyof typeof VIEWS;

/**
 * The MIME type by which MCP Apps hosts know a view (ext-apps' `RESOURCE_MIME_TYPE`, checked equal
 * by a unit test): written here so the server does not load ext-apps, which the views bundle, at start.
 */
export const VIEW_MIME_TYPE = "text/html;profile=mcp-app";

/** Which tools open which view; every other tool has none. */
const VIEW_OF_TOOL: Readonly<Record<string, ViewName>> = {
  get_daily_ohlcv: "price",
  get_hourly_ohlcv: "price",
  get_spending: "spending",
  get_wallet_status: "spending",
};

/** The `_meta` a tool is registered with: only `ui.resourceUri`, so tools/list grows by one short field. */
export function viewMeta(tool: string): { ui: { resourceUri: string } } | undefined {
  const view = VIEW_OF_TOOL[tool];
  return view && { ui: { resourceUri: VIEWS[view].uri } };
}

/** Same path from src/tools (tsx) and dist/tools (built): the HTML only exists once built. */
const BUILT_VIEWS = new URL("../../dist/views/", import.meta.url);

export async function viewHtml(view: ViewName): Promise<string> {
  try {
    return await readFile(new URL(`${view}.html`, BUILT_VIEWS), "utf8");
  } catch (error) {
    throw new Error(`The ${view} view is not built (${(error as Error).message}); run npm run build.`);
  }
}

export function registerViewResources(server: McpServer): void {
  for (const [name, view] of Object.entries(VIEWS) as [ViewName, (typeof VIEWS)[ViewName]][]) {
    server.registerResource(`${name}-view`, view.uri, { title: view.title, description: view.description, mimeType: VIEW_MIME_TYPE }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: VIEW_MIME_TYPE, text: await viewHtml(name) }],
    }));
  }
}
