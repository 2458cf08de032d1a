import { once } from "node:events";
import { errorText } from "./errors.js";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostHeaderValidation } from "@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { authenticate, MCP_PATH, serveResourceMetadata } from "./auth/middleware.js";
import type { HttpConfig } from "./config.js";
import { DASHBOARD_PATH, serveDashboard } from "./dashboard.js";
import { log } from "./log.js";
import { createMetrics, METRICS_PATH } from "./metrics.js";
import { createServer, SERVER_NAME, SERVER_VERSION } from "./server.js";
import type { Services } from "./services.js";

/** Largest JSON-RPC body accepted: a tool call's arguments are a few hundred bytes. */
const BODY_LIMIT = "1mb";

export interface HttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:3402/mcp (with the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, statelessly: each POST gets its own McpServer and
 * transport, all built on the one `services`, so every client shares one payer, one ledger and
 * one set of budgets. `GET /health` answers for load balancers and scripts, `GET /dashboard` shows
 * the spending view to an operator, `GET /metrics` feeds Prometheus. Every other answer is JSON, errors included: no HTML page,
 * stack trace or file path, whatever NODE_ENV says.
 */
export async function startHttpServer(services: Services, http: HttpConfig): Promise<HttpServer> {
  const app = express();
  app.disable("x-powered-by");
  // Every Host header is checked before anything else runs (403 otherwise): a web page that
  // rebinds its own domain to 127.0.0.1 cannot reach the wallet.
  app.use(hostHeaderValidation([...http.allowedHosts]));
  app.get("/health", (_req, res) => {
    res.json({ status: "ok", name: SERVER_NAME, version: SERVER_VERSION });
  });
  serveResourceMetadata(app, http);
  const auth = authenticate(http);
  // Order matters: the token is checked before the body is read, the body before any call.
  app.post(MCP_PATH, auth, express.json({ limit: BODY_LIMIT }), (req, res) => handleMcpPost(services, req, res));
  // The spending view with the caller's figures in it (HTML, the one answer that is not JSON).
  app.get(DASHBOARD_PATH, auth, serveDashboard(services));
  // Spending, budgets and balances: for whoever may call /mcp, no one else.
  const metrics = createMetrics(services);
  app.get(METRICS_PATH, auth, metrics.serve);
  // Stateless: there is no connection to stream to (GET) or to end (DELETE).
  app.all(MCP_PATH, (_req, res) => {
    res.status(405).set("Allow", "POST").json(rpcError(-32000, "Method not allowed: this server is stateless, use POST."));
  });
  app.use((_req, res) => {
    res.status(404).json(rpcError(-32000, `Not found. The MCP endpoint is POST ${MCP_PATH}.`));
  });
  app.use(jsonErrors);

  const listener = createHttpServer(app);
  listener.listen(http.port, http.host);
  await once(listener, "listening");
  const { port } = listener.address() as AddressInfo;
  const host = http.host.includes(":") ? `[${http.host}]` : http.host;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        metrics.close();
        listener.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; without this close() would wait for them.
        listener.closeAllConnections();
      }),
  };
}

async function handleMcpPost(services: Services, req: Request, res: Response): Promise<void> {
  const server = createServer(services);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (error) {
    log.error(`HTTP request failed: ${errorText(error)}`);
    if (!res.headersSent) res.status(500).json(rpcError(-32603, "Internal server error"));
  }
}

/**
 * Express's own error page is HTML with a stack trace and file paths outside production. Body
 * errors become JSON-RPC errors with fixed messages (the parser's own quote the body).
 */
function jsonErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const type = (error as { type?: unknown }).type;
  const status = (error as { status?: unknown }).status;
  if (type === "entity.parse.failed") {
    res.status(400).json(rpcError(-32700, "Parse error: the body is not valid JSON."));
  } else if (type === "entity.too.large") {
    res.status(413).json(rpcError(-32600, `Request too large: the limit is ${BODY_LIMIT}.`));
  } else if (typeof status === "number" && status >= 400 && status < 500) {
    res.status(status).json(rpcError(-32600, "Invalid request body."));
  } else {
    log.error(`HTTP request failed: ${errorText(error)}`);
    res.status(500).json(rpcError(-32603, "Internal server error"));
  }
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });
