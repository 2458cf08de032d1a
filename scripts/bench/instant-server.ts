import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodePayment } from "x402/schemes";
import { settleResponseHeader, type PaymentRequirements } from "x402/types";

/**
 * A stand-in for the network in the benchmark: an x402 v1 API whose settlement is instant (it
 * checks that the payment matches its price and payee, no chain), with a fixed delay added to
 * every response. What remains to measure is the clients' own work and their round trips.
 */
export async function startInstantServer(options: { delayMs: number; payTo: `0x${string}` }) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? "/", "http://localhost");
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      setTimeout(() => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body)), options.delayMs);
    const data = { success: true, message: "Data fetched successfully", length: 1, data: [{ TOKEN_ID: 3375, TOKEN_SYMBOL: "BTC", TRADING_SIGNAL: 1 }] };
    if (url.pathname === "/v2/price") return reply(200, data);
    if (url.pathname !== "/v2/trading-signals") return reply(404, { success: false, message: "not found" });
    const requirements: PaymentRequirements = {
      scheme: "exact",
      network: "base-sepolia",
      maxAmountRequired: "17000",
      resource: `http://${req.headers.host}${url.pathname}`,
      description: "",
      mimeType: "application/json",
      payTo: options.payTo,
      maxTimeoutSeconds: 60,
      asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
      extra: { name: "USDC", version: "2" },
    };
    const header = req.headers["x-payment"];
    const challenge = (error: string) => reply(402, { x402Version: 1, error, accepts: [requirements] });
    if (typeof header !== "string") return challenge("X-PAYMENT header is required");
    try {
      const { authorization } = (decodePayment(header).payload as { authorization: { from: string; to: string; value: string } });
      if (authorization.value !== requirements.maxAmountRequired || authorization.to.toLowerCase() !== options.payTo.toLowerCase()) return challenge("payment does not match");
      const settlement = settleResponseHeader({ success: true, transaction: `0x${"ab".repeat(32)}`, network: "base-sepolia", payer: authorization.from });
      return reply(200, data, { "X-PAYMENT-RESPONSE": settlement });
    } catch {
      return challenge("invalid payment");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
