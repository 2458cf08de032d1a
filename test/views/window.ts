import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** What the test host page (host.ts) offers the test driving it through puppeteer. */
declare global {
  interface Window {
    hostCallTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
    showView(html: string, input: Record<string, unknown>, result: CallToolResult): Promise<void>;
    setTheme(theme: "light" | "dark"): void;
  }
}
