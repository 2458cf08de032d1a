import { redact } from "./secret.js";

/** MCP's log levels that this server uses. */
export type LogLevel = "debug" | "info" | "warning" | "error";

type LogSink = (level: LogLevel, message: string) => void;
const sinks = new Set<LogSink>();

/**
 * Logging for humans: always stderr (stdout carries the MCP protocol), and each connected MCP
 * session as `notifications/message`, filtered by the level its client set. Messages must not
 * contain secrets; config values holding them are Secret objects that print as [redacted].
 */
export const log = {
  debug: (message: string) => write("debug", message),
  info: (message: string) => write("info", message),
  warn: (message: string) => write("warning", message),
  error: (message: string) => write("error", message),
};

/** Adds a destination for log messages (an MCP session); returns its removal. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

function write(level: LogLevel, raw: string) {
  const message = redact(raw);
  if (level !== "debug") process.stderr.write(`[token-metrics-x402-mcp] ${level}: ${message}\n`);
  for (const sink of sinks) sink(level, message);
}
