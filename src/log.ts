import { AsyncLocalStorage } from "node:async_hooks";
import { redact } from "./secret.js";

/** MCP's log levels that this server uses. */
export type LogLevel = "debug" | "info" | "warning" | "error";

type LogSink = (level: LogLevel, message: string) => void;
const sinks = new Set<LogSink>();
/** The sink of the tool call whose work is running, if any (it follows awaits and callbacks). */
const callSink = new AsyncLocalStorage<LogSink>();

/**
 * Logging for humans: always stderr (stdout carries the MCP protocol), and MCP clients as
 * `notifications/message`, filtered by the level each set: what a tool call causes (a payment, a
 * refusal) goes to that call's client alone, everything else to every connection. Messages
 * must not contain secrets; config values holding them are Secret objects that print as [redacted].
 */
export const log = {
  debug: (message: string) => write("debug", message),
  info: (message: string) => write("info", message),
  warn: (message: string) => write("warning", message),
  error: (message: string) => write("error", message),
};

/** Adds a destination for log messages (an MCP connection); returns its removal. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/**
 * Runs a tool call's work so that the messages it logs go to `sink` (its own client, on its own
 * response stream over HTTP) instead of every connection: other clients do not see its payments.
 */
export function logCallTo<T>(sink: LogSink, work: () => T): T {
  return callSink.run(sink, work);
}

function write(level: LogLevel, raw: string) {
  const message = redact(raw);
  if (level !== "debug") toStderr(`[token-metrics-x402-mcp] ${level}: ${message}\n`);
  const own = callSink.getStore();
  if (own) own(level, message);
  else for (const sink of sinks) sink(level, message);
}

/**
 * Lines for stderr, written together once the current work yields (a pipe write is synchronous
 * and would otherwise sit inside a paid call), and at exit for anything still waiting.
 */
let pending = "";
function toStderr(line: string): void {
  if (pending === "") setImmediate(flushStderr);
  pending += line;
}
function flushStderr(): void {
  if (pending === "") return;
  const lines = pending;
  pending = "";
  process.stderr.write(lines);
}
process.on("exit", flushStderr);
