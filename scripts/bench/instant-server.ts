import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { paymentMiddleware } from "x402-express";

/**
 * A stand-in for the network in the benchmark: real x402-express middleware in front of a tiny
 * API, a facilitator that accepts and "settles" at once (no chain), and a fixed delay added to
 * every API response. Client-side costs then dominate what is measured.
 */
export async function startInstantServer(options: { delayMs: number; payTo: `0x${string}` }) {
  const facilitator = express().use(express.json());
  facilitator.post("/verify", (req, res) => res.json({ isValid: true, payer: req.body?.paymentPayload?.payload?.authorization?.from }));
  facilitator.post("/settle", (req, res) =>
    res.json({ success: true, transaction: `0x${"ab".repeat(32)}`, network: "base-sepolia", payer: req.body?.paymentPayload?.payload?.authorization?.from }),
  );
  const facilitatorServer = await listen(facilitator);

  let requests = 0;
  const api = express();
  api.use((_req, _res, next) => {
    requests++;
    setTimeout(next, options.delayMs);
  });
  api.use(paymentMiddleware(options.payTo, { "GET /v2/trading-signals": { price: "$0.017", network: "base-sepolia" } }, { url: `${facilitatorServer.url}` as `${string}://${string}` }));
  const rows = { success: true, message: "Data fetched successfully", length: 1, data: [{ TOKEN_ID: 3375, TOKEN_SYMBOL: "BTC", TRADING_SIGNAL: 1 }] };
  api.get("/v2/trading-signals", (_req, res) => res.json(rows));
  api.get("/v2/price", (_req, res) => res.json(rows));
  const apiServer = await listen(api);

  return {
    baseUrl: `${apiServer.url}/v2`,
    requests: () => requests,
    stop: async () => {
      await apiServer.close();
      await facilitatorServer.close();
    },
  };
}

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
