import { createRequire } from "node:module";

/** The package's own name and version, read from package.json (in the npm package, the bundle and a clone alike). */
const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;
