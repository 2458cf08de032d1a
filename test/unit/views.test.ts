import assert from "node:assert/strict";
import { test } from "node:test";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { VIEW_MIME_TYPE } from "../../src/tools/views.js";

test("the views' MIME type is the one MCP Apps hosts look for (ext-apps' own constant)", () => {
  assert.equal(VIEW_MIME_TYPE, RESOURCE_MIME_TYPE);
});
