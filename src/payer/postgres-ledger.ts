import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import { log } from "../log.js";
import { redact } from "../secret.js";
import { PaymentBook, type Owner } from "./book.js";
import { publicDatabaseUrl } from "./database-url.js";
import type { LedgerEntry, NewLedgerEntry } from "./entry.js";
import { pausedReason, type PauseState } from "./pause.js";
import { LedgerObservers, type LedgerObserver, type LedgerStore } from "./store.js";

/** How long to wait for a connection before a call fails (ms): a dead database must not hang payments. */
const CONNECT_TIMEOUT_MS = 5_000;
/** The longest any statement may run, a wait for another replica's lock included (ms). */
const STATEMENT_TIMEOUT_MS = 10_000;
/**
 * The client's own limit on a query's answer (ms), beyond the server's: a database that stops
 * answering without closing the connection cannot hold a call (and every write queued behind it).
 */
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
/** Rows per read when exporting, so a large ledger is never held whole in memory. */
const EXPORT_PAGE = 1_000;

/**
 * The schema, one step per version, applied in order and recorded in `schema_migrations`. A step
 * is never edited once released: a change is a new step.
 */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE ledger_events (
        id bigserial PRIMARY KEY,
        ts timestamptz NOT NULL,
        payer text,
        network text NOT NULL,
        event text NOT NULL,
        session text NOT NULL,
        call text NOT NULL,
        nonce text,
        fingerprint text NOT NULL,
        entry jsonb NOT NULL
      );
      CREATE INDEX ledger_events_owner ON ledger_events (network, payer, id);
      CREATE INDEX ledger_events_fingerprint ON ledger_events (fingerprint);
      CREATE TABLE ledger_pause (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        reason text NOT NULL,
        since text NOT NULL
      );`,
  },
];

/**
 * The payment ledger in PostgreSQL, for replicas on several hosts sharing one wallet and one
 * budget. Same events as the file (one row each, the entry kept whole as jsonb), folded into the
 * same PaymentBook: the money rules never run in SQL.
 *
 * Every write of a wallet's events (payer + network) runs in a transaction that first takes
 * `pg_advisory_xact_lock` on a key derived from them. Why this lock:
 * - Row ids come from a sequence, handed out in INSERT order but visible in COMMIT order; a
 *   reader asking for `id > last seen` would skip a row that got a smaller id but committed later.
 *   Under the lock, a writer takes its id and commits before the next writer of that wallet takes
 *   one, so that wallet's rows become visible in id order and `refresh()` reads only new rows.
 * - `reserve` must read, check and insert atomically across replicas; the same lock makes it so
 *   (SERIALIZABLE would abort and retry instead, and a row lock needs a row to lock).
 * - It is released by COMMIT, ROLLBACK or a dropped connection (a replica killed with -9 holds
 *   nothing), and wallets that do not share money do not wait for each other.
 *
 * The pause switch is one row in `ledger_pause`, so a pause reaches every replica on the database.
 */
export class PostgresLedger implements LedgerStore {
  readonly session = randomUUID();
  readonly location: string;
  /** The database refuses malformed JSON on insert, so every row is readable. */
  readonly unreadableLines = 0;
  private paymentBook = new PaymentBook();
  private owner?: Owner;
  /** Rows of the owner up to this id are in the book. */
  private lastId = 0n;
  /** node-postgres is loaded only by servers that use a database: file users never wait for it. */
  private readonly pool: Promise<pg.Pool>;
  private readonly observers = new LedgerObservers();
  private migrated?: Promise<void>;
  /**
   * This process's writes, one after another. The advisory lock lets one writer per wallet at a
   * time anyway; queued here, the others wait without holding a pooled connection, so a burst of
   * calls cannot take every connection to wait on the lock (and time out waiting for one).
   */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(url: string) {
    this.location = publicDatabaseUrl(url);
    this.pool = import("pg").then(({ default: { Pool } }) => {
      // Commits do not wait for the disk by default; only a reservation does (see `reserve`).
      const pool = new Pool({
        connectionString: url,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
        query_timeout: QUERY_TIMEOUT_MS,
        max: 10,
        options: "-c synchronous_commit=off",
      });
      // An idle connection dropped by a database restart is reported here; without a listener it
      // would end the process. The pool opens a new connection on the next call.
      pool.on("error", (error) =>
        log.warn(`the PostgreSQL payment ledger ${this.location} lost an idle connection (${redact(error.message)}); the next call reconnects`),
      );
      return pool;
    });
    // Migrate at start so a wrong URL shows in the log at once; a failure is tried again by the next call.
    this.schema().catch((error: unknown) => log.error(this.failure("create or migrate its tables", error).message));
  }

  get book(): PaymentBook {
    return this.paymentBook;
  }

  ownedBy(owner: Owner): void {
    this.owner = owner;
    this.lastId = 0n;
    this.paymentBook = new PaymentBook(owner);
  }

  async refresh(): Promise<PaymentBook> {
    return this.use("read the ledger", (client) => this.readNewRows(client));
  }

  /**
   * One statement, so one round trip: its own transaction, the lock taken before the row gets its
   * id. Its commit does not wait for the disk, as the file's appends are not flushed: losing an
   * event after it (a database crash) keeps a payment pending, counted until reconcile settles it
   * from the chain, never less spent than was paid.
   */
  async append(entry: NewLedgerEntry): Promise<void> {
    const stamped = this.stamp(entry);
    await this.serially(() => this.use("record a payment event", (client) => insert(client, [stamped], lockKey(stamped))));
    this.paymentBook.apply(stamped);
    this.observers.notify(stamped);
  }

  /** Written at once: the row and the next event's share no statement (`serially` keeps them in order). */
  async note(entry: NewLedgerEntry): Promise<void> {
    await this.append(entry);
  }

  observe(observer: LedgerObserver): () => void {
    return this.observers.add(observer);
  }

  async reserve(entry: NewLedgerEntry & { event: "signed" }, check: (book: PaymentBook) => string | undefined): Promise<string | undefined> {
    const stamped = this.stamp(entry);
    const outcome = await this.serially(() =>
      this.use("reserve the budget", async (client) => {
        // The reservation is the one event that must survive a database crash once the signature is out.
        await client.query(`BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_advisory_xact_lock(${lockKey(stamped)})`);
        // Read after the lock is held: this statement's snapshot includes every earlier writer's rows.
        const book = await this.readNewRows(client);
        const pause = await pauseIn(client);
        const refused = pause.paused ? pausedReason(pause) : check(book);
        const outcome = refused === undefined ? { id: await insert(client, [stamped]) } : { refused };
        await client.query("COMMIT");
        return outcome;
      }),
    );
    if ("refused" in outcome) return outcome.refused;
    // Counted once committed: a COMMIT that failed leaves the book as the database may be.
    this.paymentBook.apply(stamped);
    // Every row of this wallet before ours was read under the lock.
    if (outcome.id > this.lastId) this.lastId = outcome.id;
    this.observers.notify(stamped);
    return undefined;
  }

  async pauseState(): Promise<PauseState> {
    return this.use("read the pause switch", pauseIn);
  }

  async pause(reason: string): Promise<Extract<PauseState, { paused: true }>> {
    const state = { paused: true as const, reason, since: new Date().toISOString() };
    await this.use("set the pause switch", (client) =>
      client.query("INSERT INTO ledger_pause (reason, since) VALUES ($1, $2) ON CONFLICT (singleton) DO UPDATE SET reason = $1, since = $2", [
        reason,
        state.since,
      ]),
    );
    return state;
  }

  async resume(): Promise<void> {
    await this.use("lift the pause switch", (client) => client.query("DELETE FROM ledger_pause"));
  }

  async *events(): AsyncIterable<LedgerEntry> {
    for (let after = 0n; ;) {
      const rows = await this.use(
        "read the ledger",
        async (client) =>
          (
            await client.query<{ id: string; entry: LedgerEntry }>("SELECT id, entry FROM ledger_events WHERE id > $1 ORDER BY id LIMIT $2", [
              after.toString(),
              EXPORT_PAGE,
            ])
          ).rows,
      );
      for (const row of rows) yield row.entry;
      if (rows.length < EXPORT_PAGE) return;
      after = BigInt(rows.at(-1)!.id);
    }
  }

  /**
   * Adds events from another ledger (a file), keeping their time and writer. Events already in
   * the database (same content) are skipped, so an import can be run again. Takes the lock of
   * every wallet in `entries`, then locks the table against all writers, so the imported rows are
   * read in id order like any others and no reservation is checked halfway through the import.
   */
  async import(entries: readonly LedgerEntry[]): Promise<{ added: number; skipped: number }> {
    const unique = [...new Map(entries.map((entry) => [fingerprint(entry), entry])).values()];
    const keys = [...new Set(unique.filter((entry) => entry.payer).map(lockKey))].sort();
    const added = await this.serially(() =>
      this.use("import events", async (client) => {
        await client.query("BEGIN");
        for (const key of keys) await client.query("SELECT pg_advisory_xact_lock($1)", [key]);
        await client.query("LOCK TABLE ledger_events IN SHARE ROW EXCLUSIVE MODE");
        const rows = await insert(client, unique, undefined, true);
        await client.query("COMMIT");
        return rows;
      }),
    );
    return { added, skipped: entries.length - added };
  }

  async close(): Promise<void> {
    await (await this.pool).end();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private stamp(entry: NewLedgerEntry): LedgerEntry {
    return { ts: new Date().toISOString(), session: this.session, ...entry };
  }

  /** Folds the owner's rows written since the last read, by any replica, into the book. */
  private async readNewRows(client: pg.PoolClient): Promise<PaymentBook> {
    const book = this.paymentBook;
    const { rows } = this.owner
      ? await client.query<{ id: string; entry: LedgerEntry }>(
          // Rows without a payer (imported from older ledgers) count for every wallet, as in the file.
          "SELECT id, entry FROM ledger_events WHERE id > $1 AND network = $2 AND (payer = $3 OR payer IS NULL) ORDER BY id",
          [this.lastId.toString(), this.owner.network, this.owner.payer.toLowerCase()],
        )
      : await client.query<{ id: string; entry: LedgerEntry }>("SELECT id, entry FROM ledger_events WHERE id > $1 ORDER BY id", [this.lastId.toString()]);
    // The owner may have changed while the query ran: then these rows belong to no book of ours.
    if (book !== this.paymentBook) return this.paymentBook;
    for (const row of rows) book.apply(row.entry);
    const last = rows.length > 0 ? BigInt(rows.at(-1)!.id) : 0n;
    if (last > this.lastId) this.lastId = last;
    return book;
  }

  /**
   * A pooled connection for `work`, the schema migrated first. Any failure becomes one Error
   * naming the store, the database (without password) and the cause; a connection that failed is
   * dropped rather than handed to the next call, and the pool opens fresh ones when the database
   * is back, without a restart.
   */
  private async use<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    try {
      await this.schema();
      client = await checkOut(await this.pool);
      const result = await work(client);
      checkIn(client);
      return result;
    } catch (error) {
      // An open transaction is rolled back by closing its connection (checkIn drops a failed one).
      if (client) checkIn(client, error);
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): Error {
    const cause = error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code || error.name : String(error);
    return new Error(redact(`the PostgreSQL payment ledger ${this.location} could not ${what}: ${cause}`), { cause: error });
  }

  /** The schema, migrated once per process; a failed attempt (database down) is retried by the next call. */
  private schema(): Promise<void> {
    this.migrated ??= this.pool.then(migrate).catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }
}

/**
 * Applies the missing migrations under a session-level advisory lock, so replicas starting at
 * once take turns: the first migrates, the others then find nothing to do.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await checkOut(pool);
  let failed: unknown;
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((row) => row.version));
    for (const { version, sql } of MIGRATIONS) {
      if (applied.has(version)) continue;
      await client.query("BEGIN");
      await client.query(sql);
      await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
      await client.query("COMMIT");
    }
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  } catch (error) {
    failed = error;
    throw error;
  } finally {
    // A connection that failed is dropped, which rolls back its transaction and releases the lock.
    checkIn(client, failed);
  }
}

/**
 * A pooled connection. While it is checked out the pool no longer listens to its errors, and a
 * database going away (even between two statements) would end the process with an unhandled
 * 'error' event: the listener keeps it alive, and the statement that follows fails and is reported.
 */
async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on("error", reportedByTheNextStatement);
  return client;
}

/** Back to the pool, or closed when it failed: a broken connection is never handed to the next call. */
function checkIn(client: pg.PoolClient, failure?: unknown): void {
  client.off("error", reportedByTheNextStatement);
  client.release(failure === undefined ? undefined : failure instanceof Error ? failure : true);
}

const reportedByTheNextStatement = () => undefined;

/**
 * Inserts events in order, returning the last new id, or with `skipKnown` how many were added
 * (events already stored are left out). With `lock`, the statement takes that advisory lock itself
 * before any row gets its id (the rows come out of a join with the lock's CTE).
 */
async function insert(client: pg.PoolClient, entries: readonly LedgerEntry[], lock?: string): Promise<bigint>;
async function insert(client: pg.PoolClient, entries: readonly LedgerEntry[], lock: undefined, skipKnown: true): Promise<number>;
async function insert(client: pg.PoolClient, entries: readonly LedgerEntry[], lock?: string, skipKnown = false): Promise<bigint | number> {
  const { rows } = await client.query<{ id: string }>(
    `WITH locked AS (SELECT ${lock === undefined ? "" : `pg_advisory_xact_lock(${lock})`})
     INSERT INTO ledger_events (ts, payer, network, event, session, call, nonce, fingerprint, entry)
     SELECT (e->>'ts')::timestamptz, lower(e->>'payer'), e->>'network', e->>'event', e->>'session', e->>'call', e->>'nonce', f, e
     FROM locked, unnest($1::jsonb[], $2::text[]) WITH ORDINALITY AS t(e, f, n)
     ${skipKnown ? "WHERE NOT EXISTS (SELECT 1 FROM ledger_events known WHERE known.fingerprint = t.f)" : ""}
     ORDER BY n
     RETURNING id`,
    [entries.map((entry) => JSON.stringify(entry)), entries.map(fingerprint)],
  );
  return skipKnown ? rows.length : BigInt(rows.at(-1)!.id);
}

async function pauseIn(client: pg.PoolClient): Promise<PauseState> {
  const { rows } = await client.query<{ reason: string; since: string }>("SELECT reason, since FROM ledger_pause");
  return rows[0] ? { paused: true, reason: rows[0].reason, since: rows[0].since } : { paused: false };
}

/** The same event gives the same fingerprint whatever its key order (jsonb reorders keys). */
function fingerprint(entry: LedgerEntry): string {
  const sorted = Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

/** The advisory lock key of a wallet on a network: 64 bits of a hash, as PostgreSQL's bigint. */
function lockKey(entry: Pick<LedgerEntry, "payer" | "network">): string {
  return keyOf(`ledger:${(entry.payer ?? "").toLowerCase()}:${entry.network}`);
}

const keyOf = (name: string) => createHash("sha256").update(`token-metrics-x402-mcp:${name}`).digest().readBigInt64BE(0).toString();
const MIGRATION_LOCK_KEY = keyOf("migrate");
