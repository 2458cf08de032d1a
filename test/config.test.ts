import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, test } from "node:test";
import { ConfigError, configWarnings, DEFAULT_API_BASE_URL, fallbackConfig, loadConfig } from "../src/config.js";
import { TOOLSET_NAMES } from "../src/catalog/toolsets.js";

const KEY = "0x" + "ab".repeat(32);

describe("configuration", () => {
  test("defaults: testnet, the real API, all toolsets, 0.1 USDC per call", () => {
    const config = loadConfig({});
    assert.equal(config.network, "base-sepolia");
    assert.equal(config.apiBaseUrl, DEFAULT_API_BASE_URL);
    assert.deepEqual(config.toolsets, TOOLSET_NAMES);
    assert.deepEqual(config.assets, ["USDC"]);
    assert.deepEqual(config.maxPerCall, { USDC: "0.1" });
    assert.equal(config.timeoutMs, 30_000);
    assert.equal(config.apiKey, undefined);
    assert.match(config.ledgerPath, /ledger\.jsonl$/);
  });

  test("empty variables count as unset (Claude Desktop placeholders)", () => {
    const config = loadConfig({ TOKEN_METRICS_API_KEY: "", TOKEN_METRICS_PRIVATE_KEY: "  ", TOKEN_METRICS_NETWORK: "" });
    assert.equal(config.apiKey, undefined);
    assert.equal(config.privateKey, undefined);
    assert.equal(config.network, "base-sepolia");
  });

  for (const [name, value, expected] of [
    ["TOKEN_METRICS_NETWORK", "mainnet", /TOKEN_METRICS_NETWORK/],
    ["TOKEN_METRICS_PRIVATE_KEY", "0x1234", /TOKEN_METRICS_PRIVATE_KEY: must be a 32-byte hex private key/],
    ["TOKEN_METRICS_API_BASE_URL", "not a url", /TOKEN_METRICS_API_BASE_URL/],
    ["TOKEN_METRICS_TOOLSETS", "grades,nonsense", /TOKEN_METRICS_TOOLSETS: unknown toolset "nonsense"/],
    ["TOKEN_METRICS_MAX_PER_CALL", "5 dollars", /TOKEN_METRICS_MAX_PER_CALL: "5 dollars" is not/],
    ["TOKEN_METRICS_MAX_PER_CALL", "0.0000001 USDC", /more decimals than USDC/],
    ["TOKEN_METRICS_ASSETS", "usdc,doge", /TOKEN_METRICS_ASSETS: unknown asset "DOGE"/],
    ["TOKEN_METRICS_PAYEES", "0x12", /TOKEN_METRICS_PAYEES/],
    ["TOKEN_METRICS_CACHE_TTL", "-4", /TOKEN_METRICS_CACHE_TTL/],
    ["TOKEN_METRICS_API_KEY", "tm-key\u0000with-a-nul", /TOKEN_METRICS_API_KEY: must be printable/],
    ["TOKEN_METRICS_PRIVATE_KEY", "0x" + "0".repeat(64), /not a valid secp256k1 private key/],
    ["TOKEN_METRICS_PRIVATE_KEY", "0x" + "f".repeat(64), /not a valid secp256k1 private key/],
    ["TOKEN_METRICS_API_BASE_URL", "http://api.tokenmetrics.com/v2", /must be https/],
  ] as const) {
    test(`a wrong ${name} is an error naming it`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && expected.test(error.message));
    });
  }

  test("the allowed assets need a per-call maximum", () => {
    assert.throws(() => loadConfig({ TOKEN_METRICS_ASSETS: "tmai", TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC" }), /TOKEN_METRICS_MAX_PER_CALL sets no limit/);
  });

  test("a TMAI address without TMAI allowed is said, not silently ignored", () => {
    const address = "0x0000000000000000000000000000000000000002";
    assert.match(configWarnings(loadConfig({ TOKEN_METRICS_TMAI_ADDRESS: address })).join(""), /TOKEN_METRICS_ASSETS=tmai,usdc/);
    assert.deepEqual(configWarnings(loadConfig({ TOKEN_METRICS_TMAI_ADDRESS: address, TOKEN_METRICS_ASSETS: "tmai,usdc", TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC, 1 TMAI" })), []);
    assert.deepEqual(configWarnings(loadConfig({})), []);
  });

  test("amount lists, toolsets and flags", () => {
    const config = loadConfig(
      { TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 1.5 tmai", TOKEN_METRICS_ASSETS: "tmai,usdc", TOKEN_METRICS_TOOLSETS: "grades" },
      ["--toolsets", "signals,indices", "--network", "base"],
    );
    assert.deepEqual(config.maxPerCall, { USDC: "0.05", TMAI: "1.5" });
    assert.deepEqual(config.assets, ["TMAI", "USDC"]);
    assert.deepEqual(config.toolsets, ["signals", "indices"]);
    assert.equal(config.network, "base");
    assert.equal(config.rpcUrl.reveal(), "https://mainnet.base.org");
  });

  test("enum-like settings ignore case and spaces, every one of them", () => {
    const config = loadConfig({
      TOKEN_METRICS_NETWORK: " Base ",
      TOKEN_METRICS_ASSETS: "Tmai,usdc",
      TOKEN_METRICS_MAX_PER_CALL: "0.1 usdc, 1 Tmai",
      TOKEN_METRICS_TOOLSETS: "Grades,SIGNALS",
      TOKEN_METRICS_HTTP: "TRUE",
    });
    assert.equal(config.network, "base");
    assert.deepEqual(config.assets, ["TMAI", "USDC"]);
    assert.deepEqual(config.maxPerCall, { USDC: "0.1", TMAI: "1" });
    assert.deepEqual(config.toolsets, ["grades", "signals"]);
    assert.ok(config.http);
    assert.equal(loadConfig({ TOKEN_METRICS_NETWORK: "BASE-SEPOLIA" }, ["--network", "Base"]).network, "base");
  });

  test("an unknown flag is a clear error", () => {
    assert.throws(() => loadConfig({}, ["--toolset", "grades"]), /Invalid command line.*--toolsets/);
  });

  test("after a bad setting the fallback keeps the requested transport, and nothing else", () => {
    const env = { TOKEN_METRICS_NETWORK: "mainnet", TOKEN_METRICS_HTTP: "1", TOKEN_METRICS_HTTP_PORT: "4000", TOKEN_METRICS_PRIVATE_KEY: KEY };
    assert.throws(() => loadConfig(env));
    const fallback = fallbackConfig(env, ["--host", "0.0.0.0"]);
    assert.deepEqual([fallback.http?.port, fallback.http?.host], [4000, "0.0.0.0"]);
    assert.equal(fallback.privateKey, undefined, "no wallet from an invalid configuration");
    assert.equal(fallbackConfig({ TOKEN_METRICS_HTTP_PORT: "nope" }, []).http, undefined);
  });

  test("secrets never print", () => {
    const config = loadConfig({ TOKEN_METRICS_PRIVATE_KEY: KEY, TOKEN_METRICS_API_KEY: "tm-secret-key" });
    const shown = [JSON.stringify(config), inspect(config, { depth: 5 }), `${config.privateKey}`, String(config.apiKey)].join("\n");
    assert.ok(!shown.includes("abab"), "private key leaked");
    assert.ok(!shown.includes("tm-secret-key"), "api key leaked");
    assert.equal(config.privateKey?.reveal(), KEY);
  });
});
