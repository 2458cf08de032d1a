import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import draft7MetaSchema from "ajv/dist/refs/json-schema-draft-07.json" with { type: "json" };
import { exampleArgs } from "../src/catalog/index.js";
import { TOKENS } from "../sandbox/fixtures/index.js";
import { CATEGORIES, EXCHANGES } from "../sandbox/fixtures/tokens.js";
import { listToolsInMemory } from "./helpers/mcp.js";

/** Every `pattern` in a JSON Schema, with the property it constrains. */
function patternsIn(schema: unknown, name = ""): Array<{ name: string; pattern: string }> {
  if (typeof schema !== "object" || schema === null) return [];
  const found: Array<{ name: string; pattern: string }> = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === "pattern" && typeof value === "string") found.push({ name, pattern: value });
    else found.push(...patternsIn(value, key === "properties" || key === "items" || /^\d+$/.test(key) || key === "anyOf" ? name : key));
  }
  return found;
}

/** Portable schemas: what a Python, Go or plain-JavaScript client compiles must accept real values. */
describe("input schemas are portable", () => {
  let tools: Tool[];

  before(async () => {
    tools = await listToolsInMemory({});
  });

  /**
   * A strict 2020-12 validator. The SDK labels its schemas draft-07 (`$schema`), a subset of what
   * they use, so that meta-schema is made known rather than the label removed.
   */
  const validator = (options: { unicodeRegExp?: boolean } = {}) => new Ajv2020({ strict: true, allErrors: true, ...options }).addMetaSchema(draft7MetaSchema);

  test("every input schema compiles with a strict JSON Schema 2020-12 validator", () => {
    const ajv = validator();
    for (const tool of tools) assert.doesNotThrow(() => ajv.compile(tool.inputSchema), tool.name);
  });

  test("no pattern needs a flag or a Unicode property escape", () => {
    const patterns = tools.flatMap((tool) => patternsIn(tool.inputSchema));
    assert.ok(patterns.length > 50, "the catalog's patterns were found");
    for (const { pattern } of patterns) {
      assert.doesNotMatch(pattern, /\\[pPu]\{/, pattern);
      assert.doesNotThrow(() => new RegExp(pattern), pattern);
    }
  });

  test("each tool's own example arguments pass its schema with patterns compiled without flags", () => {
    // unicodeRegExp: false makes ajv compile every pattern as new RegExp(pattern), no `u`.
    const ajv = validator({ unicodeRegExp: false });
    const examples = exampleArgs({ indexId: 1 });
    for (const tool of tools) {
      const args = examples[tool.name] ?? {};
      const validate = ajv.compile(tool.inputSchema);
      assert.ok(validate(args), `${tool.name} ${JSON.stringify(args)}: ${ajv.errorsText(validate.errors)}`);
    }
  });

  test("the name, symbol and slug patterns accept every real value in the fixtures, also as plain RegExps", () => {
    const schema = tools.find((tool) => tool.name === "get_tokens")!.inputSchema;
    const pattern = (property: string) => new RegExp(patternsIn(schema).find((found) => found.name === property)!.pattern);
    const accepts = (property: string, values: string[]) => {
      const regex = pattern(property);
      for (const value of values) assert.match(value, regex, `${property} rejects ${value}`);
      assert.match(values.join(","), regex, `${property} rejects a list`);
    };
    accepts("token_name", [...TOKENS.map((token) => token.name), "Shiba Inu", "Pepe 2.0", "Fetch.ai", "Kelp DAO's rsETH", "币安人生"]);
    accepts("symbol", [...TOKENS.map((token) => token.symbol), "$WIF", "1000SATS"]);
    accepts("category", Object.keys(CATEGORIES));
    accepts("exchange", Object.keys(EXCHANGES));
    assert.doesNotMatch("Bitcoin\nEthereum", pattern("token_name"), "control characters stay out");
  });
});
