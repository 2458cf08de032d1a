import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * x402 declares the wallet stack of its browser paywall (x402/paywall) as dependencies; the server
 * only loads x402/client, /shared and /types, which never import these. With them the bundle
 * would carry ~750 MB of node_modules instead of under 100 MB.
 */
const BROWSER_ONLY = new Set(["wagmi", "@wallet-standard/app", "@wallet-standard/base", "@wallet-standard/features", "@solana/wallet-standard-features"]);
/** Production dependencies only the sandbox (not the server) uses. */
const SANDBOX_ONLY = new Set(["x402-express"]);

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * The installed package folders (e.g. "node_modules/x402/node_modules/zod") the built server
 * needs at run time, from package-lock.json: the production dependencies and what they require,
 * resolved as Node does (nearest node_modules first), without the browser-only and sandbox-only
 * packages above. The bundle test runs the server from a bundle made of exactly these.
 */
export function runtimePackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const packages = lock.packages;
  const found = new Set<string>();
  const visit = (from: string, name: string) => {
    if (BROWSER_ONLY.has(name) || SANDBOX_ONLY.has(name)) return;
    const location = locate(packages, from, name);
    if (!location || found.has(location) || !existsSync(join(root, location))) return;
    found.add(location);
    for (const dependency of requiredBy(packages[location]!)) visit(location, dependency);
  };
  for (const name of Object.keys(packages[""]?.dependencies ?? {})) visit("", name);
  return [...found].sort();
}

function requiredBy(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional);
  return [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers];
}

/** Where `name` required from the package at `from` is installed: the nearest node_modules up the tree. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let base = from; ;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const parent = base.lastIndexOf("/node_modules/");
    base = parent < 0 ? "" : base.slice(0, parent);
  }
}
