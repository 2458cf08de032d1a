import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_LEDGER_PATH } from "../config.js";
import { pause, pauseFileOf, resume } from "../payer/pause.js";

/**
 * `token-metrics-x402-mcp pause [--reason …] [--ledger …]` and `… resume [--ledger …]`: the kill
 * switch for every server process sharing that ledger. A person at a shell flips it; no tool can.
 * Returns the exit code.
 */
export function runPauseCommand(command: "pause" | "resume", argv: readonly string[], env: NodeJS.ProcessEnv): number {
  let values: { reason?: string; ledger?: string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { ledger: { type: "string" }, reason: { type: "string" } }, strict: true, allowPositionals: false }));
    if (command === "resume" && values.reason !== undefined) throw new Error("resume takes no --reason");
  } catch (error) {
    process.stderr.write(`${command}: ${(error as Error).message}. Usage: token-metrics-x402-mcp ${command === "pause" ? "pause [--reason TEXT]" : "resume"} [--ledger PATH]\n`);
    return 2;
  }
  // The same path the servers resolve, so the switch sits next to the ledger they share.
  const ledger = resolve(values.ledger ?? (env.TOKEN_METRICS_LEDGER?.trim() || DEFAULT_LEDGER_PATH));
  if (command === "pause") {
    const state = pause(ledger, values.reason?.trim() || "paused by its owner");
    process.stdout.write(
      `Payments paused for every server using ${ledger} (${state.reason}); each stops before its next payment. Switch: ${pauseFileOf(ledger)}. Resume with: token-metrics-x402-mcp resume\n`,
    );
  } else {
    resume(ledger);
    process.stdout.write(`Payments resumed for every server using ${ledger}.\n`);
  }
  return 0;
}
