import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Address, Hash } from "viem";
import { CATALOG } from "../src/catalog/index.js";
import { loadConfig } from "../src/config.js";
import { startHttpServer, type HttpServer } from "../src/http.js";
import { sandboxEnv } from "../sandbox/index.js";
import { createServices, SERVER_NAME, SERVER_VERSION } from "../src/server.js";
import { readLedger } from "./helpers/ledger.js";
import { BUILT_SERVER, connectInMemory, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const INSPECTOR_CLI = createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector/cli/build/cli.js");

describe("Streamable HTTP", { timeout: 120_000 }, () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  // Registered before the sandbox's, so the servers close before the sandbox stops.
  after(async () => {
    for (const item of open.reverse()) await item.close();
  });
  const world = useSandbox("http");

  /** The x402 environment for the sandbox, with a fresh ledger file. */
  const paying = (env: Record<string, string> = {}) => world.env(world.newLedger(), env);

  /** An in-process HTTP server configured as `--http --port 0` would be. */
  async function serve(env: Record<string, string>): Promise<HttpServer> {
    const config = loadConfig(env, ["--http", "--port", "0"]);
    const server = await startHttpServer(createServices(config), config.http!);
    open.push(server);
    return server;
  }

  async function connectHttp(url: string) {
    const client = new Client({ name: "http-test-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    open.push(client);
    return client;
  }

  test("initialize and tools/list give the same tools as in memory, every catalog tool among them", async () => {
    const env = paying();
    const client = await connectHttp((await serve(env)).url);
    assert.deepEqual(client.getServerVersion(), { name: SERVER_NAME, version: SERVER_VERSION });
    const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
    const memory = await connectInMemory(env);
    try {
      assert.deepEqual(names, (await memory.client.listTools()).tools.map((tool) => tool.name).sort());
    } finally {
      await memory.close();
    }
    for (const endpoint of CATALOG) assert.ok(names.includes(endpoint.name), endpoint.name);
    assert.ok(names.includes("get_wallet_status"));
  });

  test("a paid call settles on the sandbox chain", async () => {
    const client = await connectHttp((await serve(paying())).url);
    const payer = world.sandbox.info.payerAddress as Address;
    const before = await world.sandbox.chain.balanceOf(world.sandbox.chain.usdc, payer);
    const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
    assert.ok(!result.isError, textOf(result));
    const payment = (result.structuredContent as { payment: { amount: string; transaction: Hash } }).payment;
    assert.equal(payment.amount, "0.017");
    assert.equal((await world.sandbox.chain.publicClient.getTransactionReceipt({ hash: payment.transaction })).status, "success");
    assert.equal(await world.sandbox.chain.balanceOf(world.sandbox.chain.usdc, payer), before - 17_000n);
  });

  test("the log messages a call causes reach that call's client on its response stream, and only it", async () => {
    const { url } = await serve(paying({ TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC" }));
    const [caller, bystander] = [await connectHttp(url), await connectHttp(url)];
    const received = new Map<Client, Array<{ level: string; data: unknown }>>([
      [caller, []],
      [bystander, []],
    ]);
    for (const [client, messages] of received) {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void messages.push(notification.params));
      await client.setLoggingLevel("debug");
    }
    const paid = await caller.callTool({ name: "get_trading_signals", arguments: { token_id: 3306 } });
    assert.ok(!paid.isError, textOf(paid));
    const refused = await caller.callTool({ name: "get_ai_reports", arguments: { token_id: 3306 } }); // 0.068 USDC: above the maximum
    assert.equal(refused.isError, true);
    const messages = received.get(caller)!;
    assert.deepEqual(
      messages.map((message) => message.level),
      ["info", "warning"],
    );
    assert.match(String(messages[0]!.data), /^paid 0\.017 USDC for \/trading-signals, transaction 0x[0-9a-f]{64}$/);
    assert.match(String(messages[1]!.data), /refused to pay for \/ai-reports/);
    assert.deepEqual(received.get(bystander), [], "another client's payments are not its business");
  });

  test("two client connections share one ledger and one session budget", async () => {
    // Room for one 0.017 USDC call, not two: a per-connection budget would let the second through.
    const env = paying({ TOKEN_METRICS_SESSION_BUDGET: "0.03 USDC" });
    const { url } = await serve(env);
    const [first, second] = [await connectHttp(url), await connectHttp(url)];
    const paid = await first.callTool({ name: "get_trading_signals", arguments: { token_id: 3306 } });
    assert.ok(!paid.isError, textOf(paid));
    const refused = await second.callTool({ name: "get_tm_grade", arguments: { token_id: 3306 } });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /session budget would be exceeded: 0\.017 USDC of 0\.03 USDC/);

    const entries = await readLedger(env.TOKEN_METRICS_LEDGER);
    assert.deepEqual(
      entries.filter((entry) => ["settled", "refused"].includes(entry.event)).map((entry) => [entry.endpoint, entry.event]),
      [
        ["/trading-signals", "settled"],
        ["/tm-grade", "refused"],
      ],
    );
    assert.equal(new Set(entries.map((entry) => entry.session)).size, 1, "one server session wrote both calls");
  });

  test("/health answers; other methods on /mcp are refused", async () => {
    const { url } = await serve(paying());
    const health = await fetch(new URL("/health", url));
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok", name: SERVER_NAME, version: SERVER_VERSION });
    assert.equal((await fetch(url)).status, 405);
  });

  test("a Host header outside TOKEN_METRICS_ALLOWED_HOSTS is refused (DNS rebinding)", async () => {
    const { url } = await serve(paying());
    const port = new URL(url).port;
    assert.equal((await rawGet(url, "/health", `evil.example:${port}`)).status, 403);
    assert.equal((await rawGet(url, "/mcp", "evil.example")).status, 403);
    assert.equal((await rawGet(url, "/health", `localhost:${port}`)).status, 200);

    const custom = await serve(paying({ TOKEN_METRICS_ALLOWED_HOSTS: "mcp.internal" }));
    assert.equal((await rawGet(custom.url, "/health", "mcp.internal")).status, 200);
    assert.equal((await rawGet(custom.url, "/health", `127.0.0.1:${new URL(custom.url).port}`)).status, 403);
  });

  test("it listens on 127.0.0.1 only by default", async () => {
    const { url } = await serve(paying());
    assert.equal(new URL(url).hostname, "127.0.0.1");
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === "IPv4" && !address.internal);
    if (!external) return; // no other interface on this machine to try
    const socket = connect({ host: external.address, port: Number(new URL(url).port), timeout: 5_000 });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("connect", () => resolve("connected"));
      socket.once("timeout", () => resolve("timeout"));
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    socket.destroy();
    assert.equal(outcome, "ECONNREFUSED", `reachable on ${external.address}`);
  });

  test("the built server with --http --port 0 logs its URL, serves, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [BUILT_SERVER, "--http", "--port", "0"], {
      env: { PATH: process.env.PATH ?? "", HOME: world.dir, ...sandboxEnv(world.sandbox.info, "api-key") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await loggedUrl(child);
      const client = new Client({ name: "http-test-client", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const result = await client.callTool({ name: "get_price", arguments: { token_id: 3375 } });
      assert.ok(!result.isError, textOf(result));
      await client.close();
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      assert.equal(code, 0);
    } finally {
      child.kill();
    }
  });

  test("the MCP Inspector CLI lists the tools over HTTP", async () => {
    const { url } = await serve(paying());
    const { stdout } = await promisify(execFile)(process.execPath, [INSPECTOR_CLI, "--cli", url, "--transport", "http", "--method", "tools/list"], {
      timeout: 60_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    const names = (JSON.parse(stdout) as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name);
    for (const endpoint of CATALOG) assert.ok(names.includes(endpoint.name), endpoint.name);
  });
});

/** A GET with a chosen Host header (fetch does not let us set one). */
function rawGet(url: string, path: string, host: string): Promise<{ status: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, headers: { host } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    })
      .on("error", reject)
      .end();
  });
}

/** Resolves with the URL once the server logs "listening on <url>"; keeps draining stderr after. */
function loggedUrl(child: ChildProcess): Promise<string> {
  let text = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk;
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once("exit", () => reject(new Error(`the server exited without logging its URL:\n${text}`)));
  });
}
