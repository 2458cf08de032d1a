import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, test } from "node:test";
import { ConfigError, configWarnings, DEFAULT_API_BASE_URL, fallbackConfig, loadConfig } from "../src/config.js";
import { TOOLSET_NAMES } from "../src/catalog/toolsets.js";

const KEY = "0x" + "ab".repeat(32);
const TOKEN = "s3cret-token-0123456789";

describe("configuration", () => {
  test("defaults: testnet, the real API, all toolsets, 0.1 USDC per call", () => {
    const config = loadConfig({});
    assert.equal(config.network, "base-sepolia");
    assert.equal(config.apiBaseUrl, DEFAULT_API_BASE_URL);
    assert.deepEqual(config.toolsets, TOOLSET_NAMES);
    assert.deepEqual(config.assets, ["USDC"]);
    assert.deepEqual(config.maxPerCall, { USDC: "0.1" });
    assert.deepEqual(config.lowBalance, {}, "no low-balance warning unless asked");
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
    ["TOKEN_METRICS_LOW_BALANCE", "5", /TOKEN_METRICS_LOW_BALANCE: "5" is not/],
    ["TOKEN_METRICS_ASSETS", "usdc,doge", /TOKEN_METRICS_ASSETS: unknown asset "DOGE"/],
    ["TOKEN_METRICS_PAYEES", "0x12", /TOKEN_METRICS_PAYEES/],
    ["TOKEN_METRICS_CACHE_TTL", "-4", /TOKEN_METRICS_CACHE_TTL/],
    ["TOKEN_METRICS_API_KEY", "tm-key\u0000with-a-nul", /TOKEN_METRICS_API_KEY: must be printable/],
    ["TOKEN_METRICS_PRIVATE_KEY", "0x" + "0".repeat(64), /not a valid secp256k1 private key/],
    ["TOKEN_METRICS_PRIVATE_KEY", "0x" + "f".repeat(64), /not a valid secp256k1 private key/],
    ["TOKEN_METRICS_API_BASE_URL", "http://api.tokenmetrics.com/v2", /must be https/],
  ] as const) {
    test(`a wrong ${name} is an error naming it`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && expected.test(error.message),
      );
    });
  }

  test("the allowed assets need a per-call maximum", () => {
    assert.throws(() => loadConfig({ TOKEN_METRICS_ASSETS: "tmai", TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC" }), /TOKEN_METRICS_MAX_PER_CALL sets no limit/);
  });

  test("safe defaults: a daily budget, and every asset that can be paid has one", () => {
    assert.deepEqual(loadConfig({}).dailyBudget, { USDC: "2" });
    assert.throws(
      () => loadConfig({ TOKEN_METRICS_ASSETS: "tmai,usdc", TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC, 1 TMAI" }),
      (error: unknown) => error instanceof ConfigError && /TOKEN_METRICS_DAILY_BUDGET sets no budget for TMAI/.test(error.message),
    );
    assert.deepEqual(
      loadConfig({ TOKEN_METRICS_ASSETS: "tmai,usdc", TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC, 1 TMAI", TOKEN_METRICS_DAILY_BUDGET: "1 USDC, 50 TMAI" })
        .dailyBudget,
      {
        USDC: "1",
        TMAI: "50",
      },
    );
  });

  test("a TMAI address without TMAI allowed is said, not silently ignored", () => {
    const address = "0x0000000000000000000000000000000000000002";
    assert.match(configWarnings(loadConfig({ TOKEN_METRICS_TMAI_ADDRESS: address })).join(""), /TOKEN_METRICS_ASSETS=tmai,usdc/);
    const withTmai = {
      TOKEN_METRICS_TMAI_ADDRESS: address,
      TOKEN_METRICS_ASSETS: "tmai,usdc",
      TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC, 1 TMAI",
      TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 20 TMAI",
    };
    assert.deepEqual(configWarnings(loadConfig(withTmai)), []);
    assert.deepEqual(configWarnings(loadConfig({})), []);
  });

  test("amount lists, toolsets and flags", () => {
    const config = loadConfig(
      {
        TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 1.5 tmai",
        TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 30 TMAI",
        TOKEN_METRICS_ASSETS: "tmai,usdc",
        TOKEN_METRICS_TOOLSETS: "grades",
        TOKEN_METRICS_LOW_BALANCE: "5 usdc, 200 TMAI",
      },
      ["--toolsets", "signals,indices", "--network", "base"],
    );
    assert.deepEqual(config.maxPerCall, { USDC: "0.05", TMAI: "1.5" });
    assert.deepEqual(config.lowBalance, { USDC: "5", TMAI: "200" });
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
      TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 20 tmai",
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

  test("after a bad setting the fallback keeps the requested transport and its access settings, and nothing else", () => {
    const env = {
      TOKEN_METRICS_NETWORK: "mainnet",
      TOKEN_METRICS_HTTP: "1",
      TOKEN_METRICS_HTTP_PORT: "4000",
      TOKEN_METRICS_PRIVATE_KEY: KEY,
      TOKEN_METRICS_HTTP_TOKENS: `alice:${TOKEN}`,
    };
    assert.throws(() => loadConfig(env));
    const fallback = fallbackConfig(env, ["--host", "0.0.0.0"]);
    assert.deepEqual([fallback.http?.port, fallback.http?.host], [4000, "0.0.0.0"]);
    assert.deepEqual(
      fallback.http?.auth.tokens.map((client) => client.name),
      ["alice"],
    );
    assert.equal(fallback.privateKey, undefined, "no wallet from an invalid configuration");
    assert.equal(fallbackConfig({ TOKEN_METRICS_HTTP_PORT: "nope" }, []).http, undefined);
  });

  test("HTTP whose own settings are wrong does not fall back to anything: start-up fails", () => {
    assert.throws(() => fallbackConfig({ TOKEN_METRICS_HTTP_TOKENS: "alice" }, ["--http"]), /TOKEN_METRICS_HTTP_TOKENS/);
    assert.throws(() => fallbackConfig({ TOKEN_METRICS_HTTP: "1", TOKEN_METRICS_HTTP_HOST: "0.0.0.0" }, []), /TOKEN_METRICS_HTTP_HOST=0\.0\.0\.0/);
  });

  describe("HTTP authentication settings", () => {
    const http = (env: Record<string, string>) => loadConfig({ TOKEN_METRICS_HTTP: "1", ...env }).http!;

    test("tokens are name:token pairs, comma or newline separated, held only as hashes", () => {
      const { auth } = http({ TOKEN_METRICS_HTTP_TOKENS: `alice:${TOKEN},\n bob : ${TOKEN}-b\n` });
      assert.deepEqual(
        auth.tokens.map((client) => client.name),
        ["alice", "bob"],
      );
      assert.equal(auth.oauth, undefined);
      const shown = [JSON.stringify(auth), inspect(auth, { depth: 5 })].join("\n");
      assert.ok(!shown.includes(TOKEN) && !shown.includes(Buffer.from(TOKEN).toString("hex")), "a token is kept as given");
    });

    for (const [label, value] of [
      ["a missing name", `:${TOKEN}`],
      ["a missing token", "alice:"],
      ["no colon", TOKEN],
      ["an empty token", "alice:  ,bob:x"],
      ["a short token", "alice:short"],
      ["a duplicate name", `alice:${TOKEN},alice:${TOKEN}-2`],
      ["a shared token", `alice:${TOKEN},bob:${TOKEN}`],
      ["nothing", " , "],
    ] as const) {
      test(`a token list with ${label} is an error naming the variable, without the token`, () => {
        assert.throws(
          () => http({ TOKEN_METRICS_HTTP_TOKENS: value }),
          (error: unknown) =>
            error instanceof ConfigError && /TOKEN_METRICS_HTTP_TOKENS: .*entry|lists no client/.test(error.message) && !error.message.includes(TOKEN),
        );
      });
    }

    test("a tokens file is read once, with comments; an unreadable one is an error naming it", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tm-config-"));
      try {
        const file = join(dir, "tokens");
        await writeFile(file, `# team\nalice:${TOKEN}\n\nci-bot:${TOKEN}-ci\n`);
        assert.deepEqual(
          http({ TOKEN_METRICS_HTTP_TOKENS_FILE: file }).auth.tokens.map((client) => client.name),
          ["alice", "ci-bot"],
        );
        assert.throws(() => http({ TOKEN_METRICS_HTTP_TOKENS_FILE: join(dir, "missing") }), /TOKEN_METRICS_HTTP_TOKENS_FILE: cannot read .*missing \(ENOENT\)/);
        await writeFile(file, "alice\n");
        assert.throws(() => http({ TOKEN_METRICS_HTTP_TOKENS_FILE: file }), /TOKEN_METRICS_HTTP_TOKENS_FILE: entry 1 is not name:token \(in .*tokens\)/);
        assert.throws(
          () => http({ TOKEN_METRICS_HTTP_TOKENS_FILE: file, TOKEN_METRICS_HTTP_TOKENS: `a:${TOKEN}` }),
          /TOKENS or TOKEN_METRICS_HTTP_TOKENS_FILE|not name:token/,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("off loopback, HTTP needs tokens or OAuth; on loopback it may run open", () => {
      assert.throws(
        () => http({ TOKEN_METRICS_HTTP_HOST: "0.0.0.0" }),
        /TOKEN_METRICS_HTTP_HOST=0\.0\.0\.0 .*TOKEN_METRICS_HTTP_TOKENS .*TOKEN_METRICS_HTTP_JWKS_URL/,
      );
      assert.throws(() => http({ TOKEN_METRICS_HTTP_HOST: "192.168.1.5" }), ConfigError);
      for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) assert.deepEqual(http({ TOKEN_METRICS_HTTP_HOST: host }).auth.tokens, []);
      assert.equal(http({ TOKEN_METRICS_HTTP_HOST: "0.0.0.0", TOKEN_METRICS_HTTP_TOKENS: `alice:${TOKEN}` }).host, "0.0.0.0");
      assert.equal(loadConfig({ TOKEN_METRICS_HTTP_HOST: "0.0.0.0" }).http, undefined, "stdio listens nowhere");
    });

    test("OAuth needs the JWKS URL, the issuer and the audience together", () => {
      const oauth = {
        TOKEN_METRICS_HTTP_JWKS_URL: "https://id.example/jwks",
        TOKEN_METRICS_HTTP_ISSUER: "https://id.example/",
        TOKEN_METRICS_HTTP_AUDIENCE: "https://mcp.example/mcp",
      };
      assert.deepEqual(http({ ...oauth, TOKEN_METRICS_HTTP_HOST: "0.0.0.0" }).auth.oauth, {
        jwksUrl: oauth.TOKEN_METRICS_HTTP_JWKS_URL,
        issuer: oauth.TOKEN_METRICS_HTTP_ISSUER,
        audience: oauth.TOKEN_METRICS_HTTP_AUDIENCE,
        clientClaim: "sub",
      });
      assert.equal(http({ ...oauth, TOKEN_METRICS_HTTP_CLIENT_CLAIM: "email" }).auth.oauth?.clientClaim, "email");
      assert.throws(
        () => http({ TOKEN_METRICS_HTTP_JWKS_URL: oauth.TOKEN_METRICS_HTTP_JWKS_URL }),
        /needs all of TOKEN_METRICS_HTTP_JWKS_URL, TOKEN_METRICS_HTTP_ISSUER and TOKEN_METRICS_HTTP_AUDIENCE/,
      );
      assert.throws(() => http({ ...oauth, TOKEN_METRICS_HTTP_JWKS_URL: "http://id.example/jwks" }), /TOKEN_METRICS_HTTP_JWKS_URL: must be https/);
    });
  });

  test("secrets never print", () => {
    const config = loadConfig({ TOKEN_METRICS_PRIVATE_KEY: KEY, TOKEN_METRICS_API_KEY: "tm-secret-key" });
    const shown = [JSON.stringify(config), inspect(config, { depth: 5 }), `${config.privateKey}`, String(config.apiKey)].join("\n");
    assert.ok(!shown.includes("abab"), "private key leaked");
    assert.ok(!shown.includes("tm-secret-key"), "api key leaked");
    assert.equal(config.privateKey?.reveal(), KEY);
  });
});
