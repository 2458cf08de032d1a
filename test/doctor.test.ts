/**
 * `token-metrics-x402-mcp doctor`: the dry run a user trusts before spending, against the sandbox
 * (v1 and v2) and a hostile server. It reads a challenge and never signs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { sandboxEnv, startSandbox, type Sandbox } from "../sandbox/index.js";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { BUILT_SERVER } from "./helpers/mcp.js";

async function doctor(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BUILT_SERVER, "doctor"], { env: { PATH: process.env.PATH ?? "", HOME: "/tmp", ...env } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe("doctor", { timeout: 120_000 }, () => {
  const sandboxes: Partial<Record<"v1" | "v2", Sandbox>> = {};
  let hostile: Awaited<ReturnType<typeof startHostileServer>>;

  before(async () => {
    [sandboxes.v1, sandboxes.v2, hostile] = await Promise.all([startSandbox({ x402: "v1" }), startSandbox({ x402: "v2" }), startHostileServer()]);
  });
  after(async () => {
    await Promise.all([sandboxes.v1?.stop(), sandboxes.v2?.stop(), hostile.stop()]);
  });

  for (const version of ["v2", "v1"] as const) {
    test(`a healthy set-up on a ${version} server: every check passes, the offer is described, nothing is paid`, async () => {
      const sandbox = sandboxes[version]!;
      const paymentHeaders = sandbox.api.requests.filter((request) => request.hasPaymentHeader).length;
      const { code, stdout } = await doctor(sandboxEnv(sandbox.info, "x402"));
      assert.equal(code, 0, stdout);
      assert.match(stdout, /ok {3}RPC: chain id 84532 \(base-sepolia is 84532\)/);
      assert.match(stdout, /ok {3}balances: 1000 USDC/);
      assert.match(stdout, new RegExp(`ok {3}API challenge: x402 ${version}`));
      assert.match(stdout, /offer: 0\.017 USDC to 0x[0-9a-fA-F]{40} on (base-sepolia|eip155:84532).*valid 60 s/);
      assert.match(stdout, /the policy would pay it/);
      assert.match(stdout, /All checks passed; nothing was signed or paid/);
      assert.equal(sandbox.api.requests.filter((request) => request.hasPaymentHeader).length, paymentHeaders, "no payment header sent");
    });
  }

  test("TMAI allowed without the Permit2 approval: said, with the command that fixes it", async () => {
    const sandbox = sandboxes.v2!;
    const { code, stdout } = await doctor({
      ...sandboxEnv(sandbox.info, "x402"),
      TOKEN_METRICS_ASSETS: "tmai,usdc",
      TOKEN_METRICS_MAX_PER_CALL: "0.1 USDC, 1 TMAI",
      TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 5 TMAI",
    });
    assert.equal(code, 1);
    assert.match(stdout, /FAIL TMAI Permit2 allowance: 0 TMAI \(run "token-metrics-x402-mcp approve-permit2 --asset tmai/);
  });

  test("a hostile server's offer is described and refused with the reason; no payment header, exit 1", async () => {
    hostile.on("/trading-signals", (_req, res) => json(res, 402, { x402Version: 1, error: "pay", accepts: [offer({ maxAmountRequired: "5000000" })] }));
    const { code, stdout } = await doctor({ ...sandboxEnv(sandboxes.v1!.info, "x402"), TOKEN_METRICS_API_BASE_URL: hostile.baseUrl });
    assert.equal(code, 1);
    assert.match(stdout, /offer: 5 USDC to 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC on base-sepolia/);
    assert.match(stdout, /the policy would refuse it: the price 5 USDC is above the per-call maximum 0\.1 USDC/);
    assert.equal(hostile.paymentHeaders.length, 0);
  });

  test("a broken configuration or an RPC on another chain: exit 1, naming the problem", async () => {
    const broken = await doctor({ TOKEN_METRICS_NETWORK: "mainnet", TOKEN_METRICS_PRIVATE_KEY: sandboxes.v2!.info.payerPrivateKey });
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /FAIL configuration: Invalid configuration: TOKEN_METRICS_NETWORK/);
    const wrongChain = await doctor({ ...sandboxEnv(sandboxes.v2!.info, "x402"), TOKEN_METRICS_NETWORK: "base" });
    assert.equal(wrongChain.code, 1);
    assert.match(wrongChain.stdout, /FAIL RPC: chain id 84532 \(base is 8453\)/);
  });
});
