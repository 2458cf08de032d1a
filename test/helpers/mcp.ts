import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { CATALOG } from "../../src/catalog/index.js";
import { loadConfig } from "../../src/config.js";
import { createServer, createServices } from "../../src/server.js";

/** The free tools every server lists besides one tool per catalog entry. */
export const SPENDING_TOOLS = ["get_wallet_status", "get_spending", "reconcile_payments"];
/** How many tools a server with every toolset lists, so adding an endpoint needs no count changed. */
export const ALL_TOOLS_COUNT = CATALOG.length + SPENDING_TOOLS.length;

export const BUILT_SERVER = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

/**
 * Tests talk to the built server: one run alone (`node --test test/x.test.ts`) after an edit would
 * test the previous build without a word. Refuse instead, naming the fix.
 */
function assertBuildIsFresh(): void {
  const built = statSync(BUILT_SERVER, { throwIfNoEntry: false })?.mtimeMs;
  const sources = fileURLToPath(new URL("../../src", import.meta.url));
  const newest = readdirSync(sources, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
  if (built === undefined || newest > built)
    throw new Error("dist/ is missing or older than src/: run `npm run build` (npm test does) before running a test file alone");
}
assertBuildIsFresh();

/** An SDK client talking to the built server over stdio, as Claude Desktop does. */
export async function connectStdio(env: Record<string, string>, args: string[] = [], options?: ConstructorParameters<typeof Client>[1]) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BUILT_SERVER, ...args],
    // Only what a user would set: no inherited TOKEN_METRICS_* from the developer's shell.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stderr: "pipe",
  });
  const stderr: string[] = [];
  transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: "test-client", version: "1.0.0" }, options);
  await client.connect(transport);
  return { client, stderr, close: () => client.close() };
}

/** The same server in memory, for checks that don't need a process. */
export async function connectInMemory(env: Record<string, string>) {
  const server = createServer(createServices(loadConfig(env)));
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(clientSide);
  return { client, close: async () => (await client.close(), await server.close()) };
}

/** What the in-memory server configured with `env` answers to tools/list. */
export async function listToolsInMemory(env: Record<string, string>): Promise<Tool[]> {
  const { client, close } = await connectInMemory(env);
  try {
    return (await client.listTools()).tools;
  } finally {
    await close();
  }
}

export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

/** Runs the built server, feeds it JSON-RPC lines and returns every line it wrote to stdout. */
export async function rawStdioSession(env: Record<string, string>, messages: object[], expectedReplies: number) {
  const child = spawn(process.execPath, [BUILT_SERVER], { env: { PATH: process.env.PATH ?? "", HOME: "/tmp", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const replies = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout; stdout so far: ${stdout}\nstderr: ${stderr}`)), 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.split("\n").filter((line) => line.includes('"id"')).length >= expectedReplies) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const message of messages) child.stdin.write(`${JSON.stringify(message)}\n`);
  await replies;
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return { lines: stdout.split("\n").filter((line) => line.length > 0), stderr };
}

/** The MCP handshake, as JSON-RPC messages for a raw stdio session. */
export const HANDSHAKE = [
  { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } },
  { jsonrpc: "2.0", method: "notifications/initialized" },
];

/**
 * A crash mid-payment: runs the built server, makes one tool call and kills the server with
 * SIGKILL as soon as `paymentSent()` says its payment went out (or after 10 s).
 */
export async function killDuringPayment(env: Record<string, string>, call: { name: string; arguments: Record<string, unknown> }, paymentSent: () => boolean) {
  const child = spawn(process.execPath, [BUILT_SERVER], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  for (const message of [...HANDSHAKE, { jsonrpc: "2.0", id: 2, method: "tools/call", params: call }]) child.stdin.write(`${JSON.stringify(message)}\n`);
  for (let i = 0; i < 400 && !paymentSent(); i++) await sleep(25);
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
}
