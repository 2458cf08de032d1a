import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ToolFailure } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";
import type { Services } from "../../src/services.js";
import { reply } from "../../src/tools/reply.js";

/** reply() reads nothing of the services but the configuration problem. */
const services = (configProblem?: string) => ({ configProblem }) as Services;
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const key = new Secret("0xthis-is-a-secret-value-of-some-length").reveal();

describe("the tools' one error policy", () => {
  test("an answer passes through", async () => {
    const answer: CallToolResult = { content: [{ type: "text", text: "ok" }] };
    assert.equal(await reply(services(), "t", async () => answer), answer);
  });

  test("a ToolFailure is the error result, scrubbed of secret values", async () => {
    const result = await reply(services(), "t", async () => {
      throw new ToolFailure(`the RPC at https://rpc/${key} refused`, "chain");
    });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "the RPC at https://rpc/[redacted] refused");
  });

  test("anything else is unexpected: its text stays in the server log", async () => {
    const result = await reply(services(), "get_spending", async () => {
      throw new TypeError(`fetch failed for ${key}`);
    });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "get_spending failed unexpectedly. Details are in the server log.");
  });

  test("an invalid configuration is every call's answer, and the work does not run", async () => {
    let ran = false;
    const result = await reply(services(`TOKEN_METRICS_API_KEY=${key} is odd`), "t", async () => {
      ran = true;
      return { content: [] };
    });
    assert.equal(ran, false);
    assert.equal(result.isError, true);
    assert.equal(textOf(result), "TOKEN_METRICS_API_KEY=[redacted] is odd");
  });
});
