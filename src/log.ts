/**
 * Logging for humans: always stderr, because stdout carries the MCP protocol. Messages must not
 * contain secrets; config values holding them are Secret objects that print as [redacted].
 */
export const log = {
  info: (message: string) => write("info", message),
  warn: (message: string) => write("warn", message),
  error: (message: string) => write("error", message),
};

function write(level: string, message: string) {
  process.stderr.write(`[token-metrics-x402-mcp] ${level}: ${message}\n`);
}
