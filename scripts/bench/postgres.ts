/**
 * What the PostgreSQL ledger costs on the paid path, next to the file ledger, against the sandbox:
 * the client's own time per paid call at a known price (everything but the HTTP round trips: policy, budget
 * check under the store's lock, signing, ledger writes) and the time for a burst of concurrent
 * paid calls. Calls to the two stores alternate, so the machine's noise falls on both.
 *
 * `benchPostgresLedger(options)` is called by the benchmark; `tsx scripts/bench/postgres.ts [--short]`
 * runs it alone (its own sandbox and PostgreSQL).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { buildRequest } from "../../src/api/request.js";
import { CATALOG } from "../../src/catalog/index.js";
import { loadConfig } from "../../src/config.js";
import { createServices, type Services } from "../../src/server.js";
import { sandboxEnv, startSandbox, type Sandbox } from "../../sandbox/index.js";
import { startPostgres } from "../../test/helpers/postgres.js";
import { timingFetch } from "./timing-fetch.js";

export interface StoreMeasures {
  /** Median of the client's own time per paid call at a known price (ms). */
  clientMsPerPaidCall: number;
  /** Median wall time per paid call at a known price, round trips and settlement included (ms). */
  msPerPaidCall: number;
  /** Wall time of the burst of concurrent paid calls (ms), and what it makes per second. */
  burstMs: number;
  callsPerSecond: number;
  /** Payments of the burst that moved money on chain (must equal the burst's size). */
  settledOnChain: number;
}

export interface PostgresBenchResult {
  calls: number;
  concurrent: number;
  file: StoreMeasures;
  postgres: StoreMeasures;
  /** What the PostgreSQL store adds to the client's own time per paid call (ms; median minus median). */
  addedMsPerPaidCall: number;
}

export interface PostgresBenchOptions {
  /** The sandbox to pay on (either x402 version); default: one of its own, stopped at the end. */
  sandbox?: Sandbox;
  /** An empty database (or one this bench used before); default: an embedded PostgreSQL of its own. */
  databaseUrl?: string;
  /** Paid calls at a known price per store (default 60). */
  calls?: number;
  /** Concurrent paid calls in the burst (default 100). */
  concurrent?: number;
  /** Where the report lines go (default stdout; pass () => {} for none). */
  say?: (line: string) => void;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(2)} ms`;

export async function benchPostgresLedger(options: PostgresBenchOptions = {}): Promise<PostgresBenchResult> {
  const calls = options.calls ?? 60;
  const concurrent = options.concurrent ?? 100;
  const say = options.say ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const sandbox = options.sandbox ?? (await startSandbox());
    if (!options.sandbox) cleanup.unshift(() => sandbox.stop());
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const postgres = await startPostgres();
      cleanup.unshift(() => postgres.stop());
      databaseUrl = await postgres.newDatabase();
    }
    const dir = await mkdtemp(join(tmpdir(), "tm-bench-pg-"));
    cleanup.unshift(() => rm(dir, { recursive: true, force: true }));

    const stores = { file: measured(sandbox, join(dir, "ledger.jsonl")), postgres: measured(sandbox, databaseUrl) };
    for (const store of Object.values(stores)) cleanup.unshift(() => store.services.ledger.close());
    let page = 0;
    const call = (store: Measured) => store.services.client.call(signals(store.services, ++page));
    // The first paid call learns the price (cold: a 402 first); the measured ones pay at the known price.
    await call(stores.file);
    await call(stores.postgres);
    const timings = { file: { own: [] as number[], total: [] as number[] }, postgres: { own: [] as number[], total: [] as number[] } };
    for (let i = 0; i < calls; i++) {
      for (const name of ["file", "postgres"] as const) {
        const store = stores[name];
        const fetchBefore = store.fetchTime();
        const start = performance.now();
        await call(store);
        const total = performance.now() - start;
        timings[name].total.push(total);
        timings[name].own.push(total - (store.fetchTime() - fetchBefore));
      }
    }
    const payer = sandbox.info.payerAddress as Address;
    const burst = async (store: Measured) => {
      const before = await sandbox.chain.balanceOf(sandbox.chain.usdc, payer);
      const start = performance.now();
      await Promise.all(Array.from({ length: concurrent }, () => call(store)));
      const burstMs = performance.now() - start;
      const settledOnChain = Number((before - (await sandbox.chain.balanceOf(sandbox.chain.usdc, payer))) / SIGNALS_PRICE);
      return { burstMs, callsPerSecond: (concurrent / burstMs) * 1000, settledOnChain };
    };
    const fileBurst = await burst(stores.file);
    const postgresBurst = await burst(stores.postgres);
    const result: PostgresBenchResult = {
      calls,
      concurrent,
      file: { clientMsPerPaidCall: median(timings.file.own), msPerPaidCall: median(timings.file.total), ...fileBurst },
      postgres: { clientMsPerPaidCall: median(timings.postgres.own), msPerPaidCall: median(timings.postgres.total), ...postgresBurst },
      addedMsPerPaidCall: median(timings.postgres.own) - median(timings.file.own),
    };
    say(`PostgreSQL ledger vs file ledger on the sandbox (medians of ${calls} paid call at a known prices each, alternated):`);
    say(
      `   client's own time per paid call: PostgreSQL ${ms(result.postgres.clientMsPerPaidCall)}, file ${ms(result.file.clientMsPerPaidCall)}: +${ms(result.addedMsPerPaidCall)} with PostgreSQL`,
    );
    say(`   paid call, wall time: PostgreSQL ${ms(result.postgres.msPerPaidCall)}, file ${ms(result.file.msPerPaidCall)}`);
    say(
      `   ${concurrent} concurrent paid calls: PostgreSQL ${result.postgres.settledOnChain} settled in ${ms(result.postgres.burstMs)} (${result.postgres.callsPerSecond.toFixed(0)}/s), file ${result.file.settledOnChain} in ${ms(result.file.burstMs)} (${result.file.callsPerSecond.toFixed(0)}/s)`,
    );
    return result;
  } finally {
    for (const step of cleanup) await step();
  }
}

const SIGNALS_PRICE = 17_000n; // get_trading_signals in USDC base units (catalog/prices.ts)
const SIGNALS = CATALOG.find((endpoint) => endpoint.name === "get_trading_signals")!;
const signals = (services: Services, page: number) => buildRequest(services.config.apiBaseUrl, SIGNALS, { token_id: 3375, page });

type Measured = ReturnType<typeof measured>;

/** The server's client and payer on a ledger, with a fetch that adds up the time spent in HTTP. */
function measured(sandbox: Sandbox, ledger: string) {
  const timing = timingFetch();
  // A budget that the bench never reaches: what is measured is the path, not a refusal.
  const env = { ...sandboxEnv(sandbox.info, "x402"), TOKEN_METRICS_CACHE_TTL: "0", TOKEN_METRICS_DAILY_BUDGET: "1000 USDC", TOKEN_METRICS_LEDGER: ledger };
  return { services: createServices(loadConfig(env), { fetch: timing.fetch }), fetchTime: timing.spent };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const short = process.argv.includes("--short");
  await benchPostgresLedger(short ? { calls: 5, concurrent: 10 } : {});
}
