import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { Address } from "viem";
import { sandboxEnv, startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/index.js";

/** What a suite paying against the sandbox uses; `sandbox` and `dir` exist from its `before` to its `after`. */
export interface SandboxFixture {
  readonly sandbox: Sandbox;
  /** A temporary directory of the suite's own, removed after it. */
  readonly dir: string;
  /** A new ledger path in `dir`: each server gets its own, so one test's spending never counts in another's budget. */
  newLedger(): string;
  /** The settings of a server paying from the sandbox wallet with x402 into `ledger`, plus `extra`. */
  env(ledger: string, extra?: Record<string, string>): Record<string, string> & { TOKEN_METRICS_LEDGER: string };
  /** The payer's USDC on the local chain, in base units. */
  payerUsdc(): Promise<bigint>;
}

/**
 * Starts a sandbox (with `options`) and a temporary directory `tm-<name>-…` before the enclosing
 * describe's tests, and stops and removes both after them. Call it in the describe body; hooks the
 * suite registers later run after these (`before`) and, for `after`, also after these, so a suite
 * whose servers must close before the sandbox stops registers that `after` first.
 */
export function useSandbox(name: string, options: SandboxOptions = {}): SandboxFixture {
  let sandbox: Sandbox | undefined;
  let dir: string | undefined;
  let ledgers = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tm-${name}-`));
    sandbox = await startSandbox(options);
  });
  after(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`the ${name} sandbox is used outside its suite's tests`);
    return value;
  };
  const fixture: SandboxFixture = {
    get sandbox() {
      return started(sandbox);
    },
    get dir() {
      return started(dir);
    },
    newLedger: () => join(fixture.dir, `ledger-${++ledgers}.jsonl`),
    env: (ledger, extra = {}) => ({ ...sandboxEnv(fixture.sandbox.info, "x402"), TOKEN_METRICS_LEDGER: ledger, ...extra }),
    payerUsdc: () => fixture.sandbox.chain.balanceOf(fixture.sandbox.chain.usdc, fixture.sandbox.info.payerAddress as Address),
  };
  return fixture;
}
