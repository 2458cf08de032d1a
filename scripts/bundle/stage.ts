import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildManifest } from "./manifest.js";
import { runtimePackages } from "./runtime-deps.js";

/** Files Node never loads at run time: source maps and type declarations. */
const NOT_RUNTIME = /\.(map|d\.[cm]?ts)$/;

/**
 * Lays out the bundle directory: manifest.json, a minimal package.json (ESM, version), the built
 * server without the sandbox, the README, and the run-time node_modules. `npm run build` first.
 */
export async function stageBundle(root: string, stage: string): Promise<void> {
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  const manifest = await buildManifest(root);
  await writeFile(join(stage, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as Record<string, unknown>;
  const { name, version, description, license, type } = pkg;
  await writeFile(join(stage, "package.json"), `${JSON.stringify({ name, version, description, license, type }, null, 2)}\n`);
  await cp(join(root, "README.md"), join(stage, "README.md"));
  await cp(join(root, "dist"), join(stage, "dist"), {
    recursive: true,
    filter: (source) => source !== join(root, "dist", "sandbox") && !NOT_RUNTIME.test(source),
  });
  for (const location of runtimePackages(root)) {
    const from = join(root, location);
    await cp(from, join(stage, location), {
      recursive: true,
      // Nested node_modules are listed (and copied) on their own when needed.
      filter: (source) => source !== join(from, "node_modules") && !NOT_RUNTIME.test(source),
    });
  }
}
