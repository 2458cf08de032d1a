import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { loadConfig } from "../src/config.js";
import { startHttpServer, type HttpServer } from "../src/http.js";
import { createServices } from "../src/server.js";
import { readLedger } from "./helpers/ledger.js";
import { BUILT_SERVER, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";
const ISSUER = "https://id.example.test/";
const AUDIENCE = "token-metrics-mcp";

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const PAID_CALL = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_trading_signals", arguments: { token_id: 3375 } } };

describe("HTTP authentication and errors", { timeout: 120_000 }, () => {
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  let jwks: Server;
  let jwksUrl: string;
  const open: Array<{ close(): Promise<unknown> }> = [];
  // Registered before the sandbox's, so the servers close before the sandbox stops.
  after(async () => {
    for (const item of open.reverse()) await item.close();
    jwks.close();
  });
  const world = useSandbox("http-auth");

  before(async () => {
    // The identity provider's key, published as a JWKS on 127.0.0.1; the stranger's is not.
    const pair = await generateKeyPair("ES256");
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair("ES256")).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "test-key", alg: "ES256", use: "sig" };
    jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
    jwks.listen(0, "127.0.0.1");
    await once(jwks, "listening");
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });

  async function serve(env: Record<string, string> = {}): Promise<{ server: HttpServer; ledger: string }> {
    const ledger = world.newLedger();
    const config = loadConfig(world.env(ledger, env), ["--http", "--port", "0"]);
    const server = await startHttpServer(createServices(config), config.http!);
    open.push(server);
    return { server, ledger };
  }

  const withTokens = () => serve({ TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE},bob:${BOB}` });
  const withOAuth = () => serve({ TOKEN_METRICS_HTTP_JWKS_URL: jwksUrl, TOKEN_METRICS_HTTP_ISSUER: ISSUER, TOKEN_METRICS_HTTP_AUDIENCE: AUDIENCE });

  async function connect(url: string, token: string) {
    const client = new Client({ name: "auth-test-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    open.push(client);
    return client;
  }

  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body });

  const jwt = (claims: Record<string, unknown> = {}, options: { key?: CryptoKey; audience?: string; expires?: string } = {}) =>
    new SignJWT({ sub: "carol", scope: "mcp", ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "test-key" })
      .setIssuer(ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? "5m")
      .sign(options.key ?? signingKey);

  /** A JSON error body that shows nothing of the server's insides. */
  async function assertCleanJson(response: Response, status: number): Promise<Record<string, any>> {
    assert.equal(response.status, status);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const text = await response.text();
    for (const leak of ["node_modules", "at ", "<html", "<!DOCTYPE", "/work/", ALICE, BOB]) assert.ok(!text.includes(leak), `"${leak}" in ${text}`);
    return JSON.parse(text) as Record<string, any>;
  }

  test("without a token, with a wrong one or a non-Bearer scheme: 401 before the body is read, and nothing reaches the API", async () => {
    const { server, ledger } = await withTokens();
    const apiRequests = world.sandbox.api.requests.length;
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Bearer ${ALICE}x` },
      { authorization: `Bearer ${ALICE.slice(0, -1)}` },
      { authorization: `Basic ${ALICE}` },
    ]) {
      for (const body of [JSON.stringify(INITIALIZE), JSON.stringify(PAID_CALL), "{ not json"]) {
        const response = await post(server.url, body, headers);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer /);
        assert.equal((await assertCleanJson(response, 401)).error, "invalid_token");
      }
    }
    assert.equal(world.sandbox.api.requests.length, apiRequests, "no request reached the API");
    assert.deepEqual(await readLedger(ledger), [], "nothing was paid or refused");
  });

  test("a listed token gets in, and the tool handler knows which client called", async () => {
    const { server } = await withTokens();
    for (const [token, name] of [
      [ALICE, "alice"],
      [BOB, "bob"],
    ] as const) {
      const status = await (await connect(server.url, token)).callTool({ name: "get_wallet_status", arguments: {} });
      assert.ok(!status.isError, textOf(status));
      assert.equal((status.structuredContent as { client: string }).client, name);
    }
  });

  test("OAuth: a JWT from the identity provider gets in with its subject as the client name; RFC 9728 metadata is served", async () => {
    const { server } = await withOAuth();
    const status = await (await connect(server.url, await jwt())).callTool({ name: "get_wallet_status", arguments: {} });
    assert.ok(!status.isError, textOf(status));
    assert.equal((status.structuredContent as { client: string }).client, "carol");

    const origin = new URL(server.url).origin;
    const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
    const refused = await post(server.url, JSON.stringify(INITIALIZE));
    assert.match(refused.headers.get("www-authenticate") ?? "", new RegExp(`^Bearer .*resource_metadata="${metadataUrl}"`));
    await assertCleanJson(refused, 401);
    for (const url of [metadataUrl, `${origin}/.well-known/oauth-protected-resource`]) {
      const metadata = await (await fetch(url)).json();
      assert.deepEqual(metadata, {
        resource: server.url,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ["header"],
        resource_name: "token-metrics-x402-mcp",
      });
    }

    // Behind a TLS proxy the configured public URL is what clients are told.
    const proxied = await serve({
      TOKEN_METRICS_HTTP_JWKS_URL: jwksUrl,
      TOKEN_METRICS_HTTP_ISSUER: ISSUER,
      TOKEN_METRICS_HTTP_AUDIENCE: AUDIENCE,
      TOKEN_METRICS_HTTP_PUBLIC_URL: "https://mcp.example.com/mcp",
    });
    const challenge = (await post(proxied.server.url, JSON.stringify(INITIALIZE))).headers.get("www-authenticate") ?? "";
    assert.match(challenge, /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
    const proxiedMetadata = (await (await fetch(`${new URL(proxied.server.url).origin}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      resource: string;
    };
    assert.equal(proxiedMetadata.resource, "https://mcp.example.com/mcp");
  });

  test("OAuth: a JWT that is expired, for another audience, signed by another key or without a subject gets 401", async () => {
    const { server } = await withOAuth();
    const apiRequests = world.sandbox.api.requests.length;
    const bad = [
      await jwt({}, { expires: "-1m" }),
      await jwt({}, { audience: "someone-else" }),
      await jwt({}, { key: strangerKey }),
      await jwt({ sub: undefined }),
      ALICE,
    ];
    for (const token of bad) {
      const response = await post(server.url, JSON.stringify(PAID_CALL), { authorization: `Bearer ${token}` });
      // One well-formed challenge: quoted values hold no quotes of their own.
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token", error_description="[^"]*", resource_metadata="[^"]*"$/);
      await assertCleanJson(response, 401);
    }
    assert.equal(world.sandbox.api.requests.length, apiRequests);
  });

  test("bad JSON is a 400 parse error, a 10 MB body a 413, unknown paths and methods JSON 404/405: never a page or a stack", async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "development"; // Express shows stacks in development; ours must not
    try {
      const { server } = await serve();
      const badJson = await assertCleanJson(await post(server.url, '{"jsonrpc": "2.0", "id": 1, "method": '), 400);
      assert.equal(badJson.error.code, -32700);
      assert.equal(badJson.jsonrpc, "2.0");

      const huge = JSON.stringify({ ...PAID_CALL, params: { ...PAID_CALL.params, arguments: { question: "x".repeat(10 * 1024 * 1024) } } });
      const tooLarge = await assertCleanJson(await post(server.url, huge), 413);
      assert.equal(tooLarge.error.code, -32600);

      const origin = new URL(server.url).origin;
      assert.equal((await assertCleanJson(await fetch(`${origin}/nope`), 404)).jsonrpc, "2.0");
      await assertCleanJson(await fetch(`${origin}/health`, { method: "PUT" }), 404);
      await assertCleanJson(await fetch(server.url, { method: "DELETE" }), 405);

      // Authentication comes first: the same huge body without a token is refused unread.
      const guarded = await withTokens();
      await assertCleanJson(await post(guarded.server.url, huge), 401);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  test("the built server refuses to listen off loopback without authentication or with a malformed token list; on loopback it says once that it is open", async () => {
    for (const [env, expected] of [
      [{}, /TOKEN_METRICS_HTTP_HOST=0\.0\.0\.0 .*TOKEN_METRICS_HTTP_TOKENS/],
      [{ TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE},alice:${BOB}` }, /TOKEN_METRICS_HTTP_TOKENS: entry 2: the name alice is listed twice/],
      [{ TOKEN_METRICS_HTTP_TOKENS_FILE: join(world.dir, "no-such-file") }, /TOKEN_METRICS_HTTP_TOKENS_FILE: cannot read/],
    ] as const) {
      const { code, stderr } = await runBuilt(["--http", "--host", "0.0.0.0", "--port", "0"], env);
      assert.notEqual(code, 0, stderr);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /listening on/);
      assert.ok(!stderr.includes(ALICE) && !stderr.includes(BOB), "a token in the log");
    }
    const open = await runBuilt(["--http", "--port", "0"], {});
    assert.match(open.stderr, /listening on .*no authentication/);
    assert.equal(open.stderr.match(/without authentication/g)?.length, 1, "said once, at start");
    const guarded = await runBuilt(["--http", "--port", "0"], { TOKEN_METRICS_HTTP_TOKENS: `alice:${ALICE}` });
    assert.match(guarded.stderr, /listening on .*tokens for alice/);
    assert.ok(!guarded.stderr.includes(ALICE));
  });
});

/** Runs the built server until it exits, or is stopped once it listens (or after 10 s); its exit code and stderr. */
async function runBuilt(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BUILT_SERVER, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    if (stderr.includes("listening on")) child.kill();
  });
  const timer = setTimeout(() => child.kill(), 10_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}
