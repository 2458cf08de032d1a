/**
 * `npm run bench [-- --short]`: measures this server's payment path against the plain x402 client
 * of each protocol version (x402-fetch for v1, @x402/fetch for v2), side by side in one run, and
 * prints ratios (medians). A report, not a test: machines are noisy,
 * so only ratios measured together mean anything. `--short` runs few iterations (CI checks it runs).
 */
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { x402Client } from "@x402/core/client";
import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment as wrapV2 } from "@x402/fetch";
import { wrapFetchWithPayment as wrapV1 } from "x402-fetch";
import { buildRequest } from "../src/api/request.js";
import { CATALOG } from "../src/catalog/index.js";
import { TOOLSET_NAMES } from "../src/catalog/toolsets.js";
import { loadConfig } from "../src/config.js";
import { sandboxEnv, startSandbox } from "../sandbox/index.js";
import { createServer, createServices, type Services } from "../src/server.js";
import { exampleArgs } from "../src/catalog/index.js";
import { startInstantServer } from "./bench/instant-server.js";
import { benchPostgresLedger } from "./bench/postgres.js";
import { startSandboxProcess } from "./bench/sandbox-process.js";
import { timingFetch } from "./bench/timing-fetch.js";

const SHORT = process.argv.includes("--short");
const N = SHORT ? 5 : 60;
const CONCURRENT = SHORT ? 10 : 100;
/**
 * Bursts per client, in alternating order (ours first, then the plain client first, ...): the
 * sandbox answers faster once its own code is warm, which would favour whichever client went second.
 */
const BURST_ROUNDS = SHORT ? 1 : 3;
const NETWORK_DELAY_MS = 25;
/** The cache figure's stand-in server is never paid. */
const PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const say = (line = "") => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const ratio = (a: number, b: number) => (a / b).toFixed(3);
const mark = (ok: boolean) => (ok ? "met" : "NOT met");
const signals = (services: Services, page: number) =>
  buildRequest(
    services.config.apiBaseUrl,
    CATALOG.find((e) => e.name === "get_trading_signals")!,
    { token_id: 3375, page },
  );
const price = (services: Services) =>
  buildRequest(
    services.config.apiBaseUrl,
    CATALOG.find((e) => e.name === "get_price")!,
    { token_id: 3375 },
  );

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const dir = await mkdtemp(join(tmpdir(), "tm-bench-"));
let ledgers = 0;
/** Our client and payer, as the MCP tools use them, with a fetch that counts its own time. */
function ours(env: Record<string, string>) {
  const timing = timingFetch();
  // A ledger per measured server (after the sandbox's settings, which name the sandbox's own), so each counts only its payments.
  const services = createServices(loadConfig({ TOKEN_METRICS_CACHE_TTL: "0", ...env, TOKEN_METRICS_LEDGER: join(dir, `ledger-${++ledgers}.jsonl`) }), {
    fetch: timing.fetch,
  });
  return { services, fetchTime: timing.spent };
}

/**
 * The plain client of each protocol version, as Token Metrics' own examples use it: x402-fetch for
 * v1, its successor @x402/fetch for v2. Both ask first, then pay.
 */
function plain(privateKey: Hex, version: Version, fetchImpl: typeof fetch) {
  const account = privateKeyToAccount(privateKey);
  const pay =
    version === "v1" ? wrapV1(fetchImpl, account as never, 10n ** 18n) : wrapV2(fetchImpl, registerExactEvmScheme(new x402Client(), { signer: account }));
  return (url: string) =>
    pay(url, { headers: { accept: "application/json", "x-coinbase-402": "true" } }).then(async (response) => {
      if (!response.ok) throw new Error(`plain ${version} client got ${response.status}`);
      return response.json();
    });
}

type Version = "v1" | "v2";
const VERSIONS: readonly Version[] = ["v1", "v2"];

/** Every figure that depends on the protocol version, measured for one version. */
async function paymentFigures(version: Version) {
  const sandbox = await startSandboxProcess(version);
  const key = sandbox.info.payerPrivateKey as Hex;
  try {
    // 1–2: a local x402 server that settles instantly, 25 ms added to every response.
    const instant = await startInstantServer({ delayMs: NETWORK_DELAY_MS, payTo: sandbox.info.payTo as Address, x402: version });
    const a = ours({ TOKEN_METRICS_API_BASE_URL: instant.baseUrl, TOKEN_METRICS_PRIVATE_KEY: key });
    // Timed like ours (see `ours`), so both clients' fetches carry the same wrapper in every figure.
    const plainTiming = timingFetch();
    const plainClient = plain(key, version, plainTiming.fetch);
    await a.services.client.call(signals(a.services, 1)); // learn the price
    const oursPaid: number[] = [];
    const plainPaid: number[] = [];
    const unpaid: number[] = [];
    let oursRequests = 0;
    let plainRequests = 0;
    for (let i = 0; i < N; i++) {
      let before = instant.requests();
      oursPaid.push(await timed(() => a.services.client.call(signals(a.services, i + 2))));
      oursRequests += instant.requests() - before;
      before = instant.requests();
      plainPaid.push(await timed(() => plainClient(signals(a.services, i + 2).url)));
      plainRequests += instant.requests() - before;
      unpaid.push(await timed(() => a.services.client.call(price(a.services))));
    }
    await instant.stop();

    // 3: real settlement on the sandbox chain.
    const b = ours({ ...sandboxEnv(sandbox.info, "x402") });
    await b.services.client.call(signals(b.services, 1));
    const oursChain: number[] = [];
    const plainChain: number[] = [];
    const clientOwn: number[] = [];
    const plainOwn: number[] = [];
    const floor = durableAppend();
    for (let i = 0; i < N; i++) {
      const fetchBefore = b.fetchTime();
      const total = await timed(() => b.services.client.call(signals(b.services, 1000 + i)));
      oursChain.push(total);
      clientOwn.push(total - (b.fetchTime() - fetchBefore));
      const plainBefore = plainTiming.spent();
      const plainTotal = await timed(() => plainClient(signals(b.services, 2000 + i).url));
      plainChain.push(plainTotal);
      plainOwn.push(plainTotal - (plainTiming.spent() - plainBefore));
      floor.measure();
    }
    floor.close();

    // 5: many concurrent paid calls on the sandbox, each client's bursts alternating with the other's.
    const payer = sandbox.info.payerAddress as Address;
    const balance = () => sandbox.usdcBalance(payer);
    // Budget for every round's burst (the default daily 2 USDC would stop the second).
    const d = ours({ ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_DAILY_BUDGET: `${0.017 * (CONCURRENT * BURST_ROUNDS + 1)} USDC` });
    await d.services.client.call(signals(d.services, 1));
    let page = 3000;
    /** One burst of distinct pages: its wall time, and the payments it moved on chain. */
    const burst = async (call: (page: number) => Promise<unknown>) => {
      const start = await balance();
      const first = page;
      page += CONCURRENT;
      const time = await timed(() => Promise.all(Array.from({ length: CONCURRENT }, (_, i) => call(first + i))));
      return { time, settled: (start - (await balance())) / 17_000n };
    };
    const oursBursts: Array<Awaited<ReturnType<typeof burst>>> = [];
    const plainBursts: Array<Awaited<ReturnType<typeof burst>>> = [];
    const oursOnce = async () => oursBursts.push(await burst((n) => d.services.client.call(signals(d.services, n))));
    const plainOnce = async () => plainBursts.push(await burst((n) => plainClient(signals(d.services, n).url)));
    for (let round = 0; round < BURST_ROUNDS; round++) {
      for (const once of round % 2 === 0 ? [oursOnce, plainOnce] : [plainOnce, oursOnce]) await once();
    }
    const settledLines = (await d.services.ledger.refresh()).select({ status: "settled" }).length - 1;
    const oursBurst = median(oursBursts.map((b) => b.time));
    const plainBurst = median(plainBursts.map((b) => b.time));
    const oursSettled = oursBursts.reduce((sum, b) => sum + b.settled, 0n);
    const plainSettled = plainBursts.reduce((sum, b) => sum + b.settled, 0n);
    return {
      requestsPerPaidCall: oursRequests / N,
      plainRequestsPerPaidCall: plainRequests / N,
      knownPricePaid: median(oursPaid),
      unpaid: median(unpaid),
      plainPaid: median(plainPaid),
      chainPaid: median(oursChain),
      plainChainPaid: median(plainChain),
      clientOwn: median(clientOwn),
      flushFloor: median(floor.times),
      plainOwn: median(plainOwn),
      burst: { ours: oursBurst, plain: plainBurst, oursSettled, plainSettled, settledLines },
    };
  } finally {
    await sandbox.stop();
  }
}

try {
  say(
    `token-metrics-x402-mcp benchmark${SHORT ? " (short mode)" : ""}: medians of ${N} calls, ours and the plain x402 client alternated in one run, x402 v1 and v2 side by side`,
  );
  const figures: Record<Version, Awaited<ReturnType<typeof paymentFigures>>> = { v1: await paymentFigures("v1"), v2: await paymentFigures("v2") };
  /** One line per figure: each version's value, and whether both meet the target. */
  const row = (label: string, value: (f: (typeof figures)["v1"]) => string, met: (f: (typeof figures)["v1"]) => boolean, target: string) =>
    say(`${label}: ${VERSIONS.map((v) => `${v} ${value(figures[v])}`).join(", ")} (target ${target}: ${mark(VERSIONS.every((v) => met(figures[v])))})`);
  say();
  row(
    "1. HTTP requests per paid call at a known price",
    (f) => `${f.requestsPerPaidCall.toFixed(2)} (plain client ${f.plainRequestsPerPaidCall.toFixed(2)})`,
    (f) => f.requestsPerPaidCall <= 1,
    "1.0",
  );
  say(
    `2. instant-settling server, +${NETWORK_DELAY_MS} ms per response: ${VERSIONS.map((v) => `${v} known-price paid ${ms(figures[v].knownPricePaid)}, unpaid ${ms(figures[v].unpaid)}, plain client paid ${ms(figures[v].plainPaid)}`).join("; ")}`,
  );
  row(
    "   known-price paid / unpaid",
    (f) => ratio(f.knownPricePaid, f.unpaid),
    (f) => f.knownPricePaid / f.unpaid <= 1.1,
    "<= 1.10",
  );
  row(
    "   known-price paid / plain client paid",
    (f) => ratio(f.knownPricePaid, f.plainPaid),
    (f) => f.knownPricePaid / f.plainPaid <= 0.6,
    "<= 0.6",
  );
  say(
    `3. sandbox (real settlement on the local chain): ${VERSIONS.map((v) => `${v} paid ${ms(figures[v].chainPaid)}, plain client paid ${ms(figures[v].plainChainPaid)}`).join("; ")}`,
  );
  row(
    "   paid / plain client paid",
    (f) => ratio(f.chainPaid, f.plainChainPaid),
    (f) => f.chainPaid <= f.plainChainPaid,
    "<= 1.0",
  );
  row(
    "   client's own time per paid call (policy, budget lock, signing, ledger)",
    (f) => ms(f.clientOwn),
    (f) => f.clientOwn <= 1.5,
    "<= 1.5 ms",
  );
  say(
    `      of which the floor of a durable reservation, one append (a ledger-sized line, then fdatasync) on this disk, timed between the calls: ${VERSIONS.map((v) => `${v} ${ms(figures[v].flushFloor)}`).join(", ")}`,
  );
  say(
    `      the plain client's own time (no ledger, signs in the call) by the same measure (both of its requests taken out): ${VERSIONS.map((v) => `${v} ${ms(figures[v].plainOwn)}`).join(", ")}`,
  );

  // 4: cache hit against an unpaid call over the network stand-in.
  const cacheServer = await startInstantServer({ delayMs: NETWORK_DELAY_MS, payTo: PAY_TO, x402: "v2" });
  const c = ours({ TOKEN_METRICS_API_BASE_URL: cacheServer.baseUrl, TOKEN_METRICS_API_KEY: "bench", TOKEN_METRICS_CACHE_TTL: "600" });
  const hits: number[] = [];
  const misses: number[] = [];
  const cached = price(c.services);
  await c.services.client.call(cached);
  for (let i = 0; i < N; i++) {
    hits.push(await timed(() => c.services.client.call(cached)));
    misses.push(await timed(() => c.services.client.call({ ...cached, url: `${cached.url}&n=${i}` })));
  }
  say(
    `4. cache hit ${ms(median(hits))} / unpaid call ${ms(median(misses))} = ${ratio(median(hits), median(misses))} (target <= 0.05: ${mark(median(hits) / median(misses) <= 0.05)})`,
  );
  await cacheServer.stop();

  // 5 (measured with 1–3, per version).
  const throughput = (calls: number, ms: number) => (calls / ms) * 1000;
  say(
    `5. ${CONCURRENT} concurrent paid calls on the sandbox, median of ${BURST_ROUNDS} burst(s) each in alternating order: ${VERSIONS.map((v) => {
      const b = figures[v].burst;
      return `${v} ours ${ms(b.ours)}, plain client ${ms(b.plain)} (settled on-chain in all bursts: ours ${b.oursSettled}, ${b.settledLines} in our ledger; plain ${b.plainSettled})`;
    }).join("; ")}`,
  );
  row(
    "   throughput ours / plain client",
    (f) =>
      `${throughput(CONCURRENT, f.burst.ours).toFixed(0)}/s vs ${throughput(CONCURRENT, f.burst.plain).toFixed(0)}/s = ${ratio(f.burst.plain, f.burst.ours)}`,
    (f) => f.burst.plain / f.burst.ours >= 1.1 && f.burst.oursSettled === BigInt(CONCURRENT * BURST_ROUNDS),
    ">= 1.1",
  );

  // 8 (printed here, before the slow cold starts): the PostgreSQL store next to the file store.
  say("8. the ledger store, paid calls at a known price on the sandbox:");
  await benchPostgresLedger({ calls: N, concurrent: CONCURRENT, say: (line) => say(`   ${line}`) });

  // 6: cold start to tools/list, against a bare SDK server.
  const builtServer = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const bareServer = fileURLToPath(new URL("./bench/bare-server.mjs", import.meta.url));
  const oursStart: number[] = [];
  const bareStart: number[] = [];
  for (let i = 0; i < (SHORT ? 3 : 15); i++) {
    oursStart.push(await coldStart(builtServer));
    bareStart.push(await coldStart(bareServer));
  }
  say(
    `6. cold start to tools/list answered: ours ${ms(median(oursStart))}, bare SDK server ${ms(median(bareStart))} = ${ratio(median(oursStart), median(bareStart))} (target <= 1.3: ${mark(median(oursStart) / median(bareStart) <= 1.3)})`,
  );

  // 7: sizes of what the model reads, from the look-alike's fixtures.
  const sandbox = await startSandbox();
  const e = createServices(loadConfig({ ...sandboxEnv(sandbox.info, "api-key"), TOKEN_METRICS_LEDGER: join(dir, "sizes.jsonl") }));
  const server = createServer(e);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(clientSide);
  const indexId = ((await client.callTool({ name: "get_indices", arguments: {} })).structuredContent as { data: Array<{ ID: number }> }).data[0]!.ID;
  const sizes: Array<[string, number]> = [];
  for (const [name, args] of Object.entries(exampleArgs({ indexId }))) {
    const result = await client.callTool({ name, arguments: args });
    sizes.push([name, JSON.stringify(result.content).length]);
  }
  sizes.sort((x, y) => y[1] - x[1]);
  const largest = sizes[0]!;
  say(`7. default result size per tool (chars): largest ${largest[0]} ${largest[1]} (target <= 20000: ${mark(largest[1] <= 20_000)})`);
  say(`   ${sizes.map(([name, size]) => `${name} ${size}`).join(", ")}`);
  const listSizes = [];
  for (const toolset of TOOLSET_NAMES) {
    const only = createServer(createServices(loadConfig({ TOKEN_METRICS_TOOLSETS: toolset })));
    const [s, c2] = InMemoryTransport.createLinkedPair();
    await only.connect(s);
    const lister = new Client({ name: "bench", version: "1" });
    await lister.connect(c2);
    listSizes.push(`${toolset} ${JSON.stringify((await lister.listTools()).tools).length}`);
    await lister.close();
  }
  say(
    `   tools/list size per toolset (chars, incl. the 3 spending tools): ${listSizes.join(", ")}; all ${JSON.stringify((await client.listTools()).tools).length}`,
  );
  await client.close();
  await sandbox.stop();
} finally {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The floor of a durable reservation on this machine: a line of a ledger's size appended to a file
 * and flushed (fdatasync), timed on its own at the same pace as the paid calls it is compared with.
 */
function durableAppend() {
  const fd = openSync(join(dir, "floor.jsonl"), "a");
  const line = Buffer.from(`${JSON.stringify({ line: "x".repeat(420) })}\n`);
  const times: number[] = [];
  return {
    times,
    measure: () => {
      const start = performance.now();
      writeSync(fd, line);
      fdatasyncSync(fd);
      times.push(performance.now() - start);
    },
    close: () => closeSync(fd),
  };
}

/** Time from spawning a server to its answer to tools/list, over stdio. */
function coldStart(entry: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [entry], { stdio: ["pipe", "pipe", "ignore"], env: { PATH: process.env.PATH ?? "", HOME: dir } });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      if (out.includes('"id":2')) {
        resolve(performance.now() - started);
        child.kill();
      }
    });
    child.once("error", reject);
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  });
}
