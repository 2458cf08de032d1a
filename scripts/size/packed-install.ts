import { execFile } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run("npm", args, { cwd, timeout: 150_000, maxBuffer: 20 * 1024 * 1024 });

/** What `npm i token-metrics-x402-mcp` installs, held against the first-hour targets. */
export const INSTALL_TARGETS = { megabytes: 150, packages: 200 } as const;

/** Disk usage of a directory in MB, as `du` counts it (a JS walk over tens of thousands of files takes far longer). */
export async function megabytesOf(path: string): Promise<number> {
  const { stdout } = await run("du", ["-sk", path]);
  return Number(stdout.split(/\s/)[0]) / 1024;
}

export interface PackedInstall {
  /** The tarball's file listing (`tar -tzf`). */
  listing: string;
  /** The directory the tarball was installed into (its `node_modules/.bin` has the bin). */
  app: string;
  megabytes: number;
  packages: number;
  packSeconds: number;
  installSeconds: number;
}

/**
 * Packs this clone (prepack builds it) into `dir` and installs the tarball into an empty
 * directory there, as a user's `npm i` would: what ships, and what it costs on disk.
 */
export async function packAndInstall(dir: string): Promise<PackedInstall> {
  const seconds = (since: number) => Math.round((Date.now() - since) / 1000);
  const packing = Date.now();
  await npm(["pack", "--pack-destination", dir], ROOT);
  const packSeconds = seconds(packing);
  const tarballs = (await readdir(dir)).filter((name) => name.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${dir}`);
  const tarball = join(dir, tarballs[0]!);
  const { stdout: listing } = await run("tar", ["-tzf", tarball]);
  const app = join(dir, "app");
  await mkdir(app);
  const installing = Date.now();
  await npm(["i", "--no-audit", "--no-fund", "--prefer-offline", tarball], app);
  const installSeconds = seconds(installing);
  const lock = JSON.parse(await readFile(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
  const packages = Object.keys(lock.packages).filter((key) => key !== "").length;
  return { listing, app, megabytes: await megabytesOf(join(app, "node_modules")), packages, packSeconds, installSeconds };
}
