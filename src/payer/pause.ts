import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";

/**
 * The kill switch: a small file next to the ledger that every process sharing that ledger reads
 * before each payment. Only the `pause` and `resume` subcommands write it (a person at a shell),
 * never a tool, so an agent cannot lift it.
 */
export type PauseState = { paused: false } | { paused: true; reason: string; since: string };

export const pauseFileOf = (ledgerPath: string) => `${ledgerPath}.pause`;

/**
 * Reads the switch. A file that exists but cannot be read or parsed counts as paused (with a
 * reason naming the file): when in doubt, nothing is paid.
 */
export function readPause(ledgerPath: string): PauseState {
  const file = pauseFileOf(ledgerPath);
  // Asked before every payment and usually absent: ENOENT answered without an exception (they cost).
  try {
    if (!statSync(file, { throwIfNoEntry: false })) return { paused: false };
  } catch {
    // Cannot even be looked at: the read below says why, and counts it as paused.
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { paused: false };
    return { paused: true, reason: `the pause file ${file} cannot be read (${(error as NodeJS.ErrnoException).code}); fix or remove it`, since: "unknown" };
  }
  try {
    const state = JSON.parse(text) as { reason?: unknown; since?: unknown };
    return {
      paused: true,
      reason: typeof state.reason === "string" ? state.reason : "no reason given",
      since: typeof state.since === "string" ? state.since : "unknown",
    };
  } catch {
    return { paused: true, reason: `the pause file ${file} is not valid JSON; run "token-metrics-x402-mcp resume" or fix it`, since: "unknown" };
  }
}

/** Why payments are stopped, as a refusal reason. */
export function pausedReason(state: Extract<PauseState, { paused: true }>): string {
  return `payments are paused (since ${state.since}): ${state.reason}. A person can resume them with "token-metrics-x402-mcp resume"; no tool can`;
}

/** Writes the switch atomically (rename), so a reader never sees half a file. */
export function pause(ledgerPath: string, reason: string): Extract<PauseState, { paused: true }> {
  const file = pauseFileOf(ledgerPath);
  const state = { paused: true as const, reason, since: new Date().toISOString() };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return state;
}

export function resume(ledgerPath: string): void {
  rmSync(pauseFileOf(ledgerPath), { force: true });
}
