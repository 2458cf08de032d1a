import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Request, Response } from "express";
import type { HttpConfig } from "./config.js";
import { log } from "./log.js";
import { createServer, SERVER_NAME, SERVER_VERSION, type Services } from "./server.js";

export interface HttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:3402/mcp (with the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, statelessly: each POST gets its own McpServer and
 * transport, all built on the one `services`, so every client shares one payer, one ledger and
 * one set of budgets. `GET /health` answers for load balancers and scripts.
 */
export async function startHttpServer(services: Services, http: HttpConfig): Promise<HttpServer> {
  // The SDK's app checks every Host header against allowedHosts before anything else runs (403
  // otherwise): a web page that rebinds its own domain to 127.0.0.1 cannot reach the wallet.
  const app = createMcpExpressApp({ host: http.host, allowedHosts: [...http.allowedHosts] });
  app.get("/health", (_req, res) => {
    res.json({ status: "ok", name: SERVER_NAME, version: SERVER_VERSION });
  });
  app.post("/mcp", (req, res) => handleMcpPost(services, req, res));
  // Stateless: there is no session to stream to (GET) or to end (DELETE).
  app.all("/mcp", (_req, res) => {
    res.status(405).set("Allow", "POST").json(rpcError(-32000, "Method not allowed: this server is stateless, use POST."));
  });

  const listener = createHttpServer(app);
  listener.listen(http.port, http.host);
  await once(listener, "listening");
  const { port } = listener.address() as AddressInfo;
  const host = http.host.includes(":") ? `[${http.host}]` : http.host;
  return {
    url: `http://${host}:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve, reject) => {
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
    log.error(`HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) res.status(500).json(rpcError(-32603, "Internal server error"));
  }
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });
