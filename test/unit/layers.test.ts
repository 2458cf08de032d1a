import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * The import structure of src/, read from the files themselves: every import points down these
 * layers (or stays inside its own), and nothing imports itself back through any path, type-only
 * imports and dynamic import() included. docs/architecture.md draws the same map.
 */
const LAYERS: ReadonlyArray<{ name: string; modules: RegExp }> = [
  // The CLI: parses the command line, runs a subcommand or starts a transport.
  { name: "entry", modules: /^(index|help)\.ts$|^commands\// },
  // Transports around the MCP server, and who may call them (auth/tokens.ts is a leaf: config parses tokens).
  { name: "http", modules: /^(http|dashboard|metrics)\.ts$|^auth\/(middleware|jwt)\.ts$/ },
  { name: "server", modules: /^server\.ts$/ },
  { name: "tools", modules: /^tools\/|^prompts\.ts$/ },
  { name: "services", modules: /^services\.ts$/ },
  { name: "api", modules: /^api\// },
  { name: "payer", modules: /^payer\// },
  { name: "net", modules: /^net\// },
  // Shared leaves: anyone may import them; they import only each other.
  { name: "shared", modules: /^(config|errors|assets|log|secret|package-info)\.ts$|^catalog\/|^auth\/tokens\.ts$/ },
];

type Graph = ReadonlyMap<string, readonly string[]>;

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Static imports and re-exports (one line or several), and dynamic import("…"). */
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'";]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path).split("\\").join("/")] : [];
  });
}

/** Module → the src modules it imports, paths relative to src/ ("tools/register.ts"). */
function importGraph(): { graph: Graph; unresolved: string[] } {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const unresolved: string[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(SRC, file), "utf8");
    const specifiers = [...text.matchAll(STATIC_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((match) => match[1] ?? match[2]!);
    const targets = new Set<string>();
    for (const specifier of specifiers.filter((spec) => spec.startsWith("."))) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, ".ts");
      if (target.startsWith("../")) continue; // outside src/ (package.json)
      if (known.has(target)) targets.add(target);
      else unresolved.push(`${file} imports "${specifier}", which is no module of src/`);
    }
    graph.set(file, [...targets].sort());
  }
  return { graph, unresolved };
}

const layerIndex = (module: string) => LAYERS.findIndex((layer) => layer.modules.test(module));

/** Every import from a module to one in a layer above it, named "from → to (layer may not import layer)". */
function upwardEdges(graph: Graph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [layerIndex(from), layerIndex(to)];
      if (a >= 0 && b >= 0 && b < a) found.push(`${from} → ${to} (${LAYERS[a]!.name} may not import ${LAYERS[b]!.name})`);
    }
  }
  return found;
}

/** One circle per strongly connected group of modules (Tarjan), named "a → b → a". */
function circles(graph: Graph): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || (graph.get(node) ?? []).includes(node)) groups.push(group);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return groups.map((group) => shortestCircle(graph, new Set(group)).join(" → "));
}

/** A shortest path from the group's first module (in name order) back to itself, staying in the group. */
function shortestCircle(graph: Graph, group: ReadonlySet<string>): string[] {
  const start = [...group].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!group.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  throw new Error(`no circle through ${start}`);
}

describe("one-way layers in src/", () => {
  const { graph, unresolved } = importGraph();

  test("every relative import names a module of src/", () => {
    assert.deepEqual(unresolved, []);
  });

  test("every module belongs to a layer", () => {
    const homeless = [...graph.keys()].filter((module) => layerIndex(module) < 0);
    assert.deepEqual(homeless, [], "add these to LAYERS in test/unit/layers.test.ts (and to the module map in docs/architecture.md)");
  });

  test(`imports point down: ${LAYERS.map((layer) => layer.name).join(" → ")}`, () => {
    assert.deepEqual(upwardEdges(graph), []);
  });

  test("no import circles, type-only and dynamic imports included", () => {
    assert.deepEqual(circles(graph), []);
  });

  test("the checks name the edge and the circle they find", () => {
    const bad: Graph = new Map([
      ["tools/a.ts", ["server.ts"]],
      ["server.ts", ["tools/a.ts"]],
      ["payer/x.ts", ["payer/y.ts"]],
      ["payer/y.ts", ["payer/z.ts"]],
      ["payer/z.ts", ["payer/x.ts"]],
      ["log.ts", ["log.ts"]],
    ]);
    assert.deepEqual(upwardEdges(bad), ["tools/a.ts → server.ts (tools may not import server)"]);
    assert.deepEqual(circles(bad).sort(), ["log.ts → log.ts", "payer/x.ts → payer/y.ts → payer/z.ts → payer/x.ts", "server.ts → tools/a.ts → server.ts"]);
  });
});
