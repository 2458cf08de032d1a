/**
 * `npm run bundle`: builds the Claude Desktop bundle (MCPB): stages dist-bundle/<name>/ with the
 * manifest, the built server and its run-time dependencies, validates the manifest with mcpb's
 * own schema, and packs dist-bundle/<name>-<version>.mcpb. Works offline.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packExtension, validateManifest } from "@anthropic-ai/mcpb";
import { stageBundle } from "./bundle/stage.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { name, version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { name: string; version: string };
const stage = join(root, "dist-bundle", name);
const output = join(root, "dist-bundle", `${name}-${version}.mcpb`);

await stageBundle(root, stage);
if (!validateManifest(stage)) throw new Error(`mcpb rejected ${join(stage, "manifest.json")}`);
if (!(await packExtension({ extensionPath: stage, outputPath: output, silent: true }))) throw new Error("mcpb could not pack the bundle");
process.stdout.write(`Bundle: ${output}\nOpen it with Claude Desktop (or drag it onto Settings → Extensions).\n`);
