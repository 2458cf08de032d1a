import { parseArgs } from "node:util";
import { DEFAULT_LEDGER_PATH } from "../config.js";
import { openLedger } from "../payer/open-ledger.js";

/**
 * `token-metrics-x402-mcp pause [--reason …] [--ledger …]` and `… resume [--ledger …]`: the kill
 * switch for every server process sharing that ledger (a file next to it, or a row in its
 * database). A person at a shell flips it; no tool can. Returns the exit code.
 */
export async function runPauseCommand(command: "pause" | "resume", argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { reason?: string; ledger?: string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { ledger: { type: "string" }, reason: { type: "string" } }, strict: true, allowPositionals: false }));
    if (command === "resume" && values.reason !== undefined) throw new Error("resume takes no --reason");
  } catch (error) {
    process.stderr.write(
      `${command}: ${(error as Error).message}. Usage: token-metrics-x402-mcp ${command === "pause" ? "pause [--reason TEXT]" : "resume"} [--ledger PATH|URL]\n`,
    );
    return 2;
  }
  // The same ledger the servers open, so the switch is the one they read.
  const ledger = openLedger(values.ledger ?? (env.TOKEN_METRICS_LEDGER?.trim() || DEFAULT_LEDGER_PATH));
  try {
    if (command === "pause") {
      const state = await ledger.pause(values.reason?.trim() || "paused by its owner");
      process.stdout.write(
        `Payments paused for every server using ${ledger.location} (${state.reason}); each stops before its next payment. Resume with: token-metrics-x402-mcp resume\n`,
      );
    } else {
      await ledger.resume();
      process.stdout.write(`Payments resumed for every server using ${ledger.location}.\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${command}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await ledger.close();
  }
}
