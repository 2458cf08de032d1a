import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel } from "@modelcontextprotocol/sdk/types.js";
import { addLogSink, logCallTo, type LogLevel } from "../log.js";
import type { Extra } from "./call-context.js";

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

export interface ConnectionLog {
  /** Runs a tool call so that what it logs reaches its client as notifications tied to the call. */
  during<T>(extra: Extra, work: () => Promise<T>): Promise<T>;
}

/**
 * Server logs reach this connection's client as `notifications/message`, at the level it set with
 * logging/setLevel. The level is kept here rather than by the SDK because a call's messages are
 * sent with the call's request id (`extra.sendNotification`): over Streamable HTTP only those
 * reach the client, on the call's own response stream; the SDK's sendLoggingMessage sends
 * unrelated notifications, which a stateless HTTP server has no stream for.
 */
export function forwardLogs(server: McpServer, logger: string): ConnectionLog {
  let threshold: LoggingLevel | undefined; // one McpServer per connection: stdio's, or one HTTP request's
  server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    threshold = request.params.level;
    return {};
  });
  const wanted = (level: LogLevel) => threshold === undefined || SEVERITY.indexOf(level) >= SEVERITY.indexOf(threshold);
  const message = (level: LogLevel, data: string) => ({ method: "notifications/message" as const, params: { level, logger, data } });

  const remove = addLogSink((level, data) => {
    if (server.isConnected() && wanted(level)) server.server.notification(message(level, data)).catch(() => undefined);
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    remove();
    previous?.();
  };
  return {
    during: (extra, work) =>
      logCallTo((level, data) => {
        if (wanted(level)) extra.sendNotification(message(level, data)).catch(() => undefined);
      }, work),
  };
}
