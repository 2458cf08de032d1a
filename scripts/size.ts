/**
 * `npm run size`: what a user downloads — the npm package as installed from its tarball, and the
 * MCPB bundle — next to the targets. A report, like the bench: CI's pack test installs the same way.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INSTALL_TARGETS, packAndInstall, ROOT, run } from "./size/packed-install.js";

const BUNDLE_TARGET_MB = 40;
const verdict = (met: boolean) => (met ? "met" : "NOT met");

const dir = await mkdtemp(join(tmpdir(), "tm-size-"));
try {
  const installed = await packAndInstall(dir);
  process.stdout.write(
    `npm install of the packed package: ${installed.megabytes.toFixed(1)} MB (target <= ${INSTALL_TARGETS.megabytes} MB: ${verdict(installed.megabytes <= INSTALL_TARGETS.megabytes)}), ` +
      `${installed.packages} packages (target <= ${INSTALL_TARGETS.packages}: ${verdict(installed.packages <= INSTALL_TARGETS.packages)})\n`,
  );
  await run("npm", ["run", "-s", "bundle"], { cwd: ROOT, maxBuffer: 20 * 1024 * 1024 });
  const bundle = (await readdir(join(ROOT, "dist-bundle"))).find((name) => name.endsWith(".mcpb"));
  if (!bundle) throw new Error("npm run bundle made no .mcpb file");
  const megabytes = (await stat(join(ROOT, "dist-bundle", bundle))).size / 1024 / 1024;
  process.stdout.write(`MCPB bundle ${bundle}: ${megabytes.toFixed(1)} MB (target <= ${BUNDLE_TARGET_MB} MB: ${verdict(megabytes <= BUNDLE_TARGET_MB)})\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
