// The package's own prebundled build: its zod and SDK schemas come bundled once, ~150 KB less per
// view than bundling app.js with our copies of them.
import { App, applyDocumentTheme, applyHostStyleVariables, type McpUiHostContext } from "@modelcontextprotocol/ext-apps/app-with-deps";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export type Json = Record<string, unknown>;

/** What a view does with a tool's result and arguments. */
export interface ViewHandlers {
  input?(args: Json): void;
  result(result: CallToolResult): void;
  /** The host switched between light and dark: canvases do not follow CSS, so redraw their colours. */
  theme?(): void;
}

/**
 * Connects a view to its host (the MCP Apps postMessage protocol, through ext-apps' App) and
 * follows the host's theme. Data arrives only from the host: the frame makes no request itself.
 */
export function connectView(name: string, handlers: ViewHandlers): App {
  const app = new App({ name, version: "1.0.0" }, {}, { autoResize: true });
  app.ontoolinput = (params) => handlers.input?.(params.arguments ?? {});
  app.ontoolresult = (result) => handlers.result(result);
  app.ontoolcancelled = (params) => showMessage(`The tool call was cancelled${params.reason ? `: ${params.reason}` : "."}`);
  app.onhostcontextchanged = (context) => {
    followTheme(context);
    if (context.theme) handlers.theme?.();
  };
  app.onerror = (error) => console.error(error);
  app
    .connect()
    .then(() => followTheme(app.getHostContext() ?? {}))
    .catch((error: unknown) => showMessage(`Could not connect to the host: ${error instanceof Error ? error.message : String(error)}`));
  return app;
}

function followTheme(context: McpUiHostContext): void {
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
}

/** A readable sentence in place of the view's content: waiting, an error, or nothing to show. */
export function showMessage(text: string): void {
  const message = document.getElementById("message")!;
  message.textContent = text;
  message.hidden = false;
  document.getElementById("content")!.hidden = true;
}

export function showContent(): void {
  document.getElementById("message")!.hidden = true;
  document.getElementById("content")!.hidden = false;
}

/** The result's structured data, or a sentence saying why there is none. */
export function structuredOf(result: CallToolResult): Json | string {
  const text = result.content
    ?.map((item) => (item.type === "text" ? item.text : ""))
    .join(" ")
    .trim();
  if (result.isError) return text || "The tool call failed.";
  const data = result.structuredContent;
  if (!data || typeof data !== "object" || Array.isArray(data)) return "The tool result has no structured data to show.";
  return data;
}

export const isRecord = (value: unknown): value is Json => !!value && typeof value === "object" && !Array.isArray(value);

/** `document.createElement` with text and attributes, to build the page without innerHTML (tool data is not trusted markup). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | null, attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text != null) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export const isDark = () =>
  document.documentElement.dataset.theme === "dark" || (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
