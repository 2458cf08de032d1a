import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = (req: IncomingMessage, res: ServerResponse, paid: boolean) => void;

/**
 * A deliberately hostile x402 server: each path answers however the test says, and every
 * X-PAYMENT header it receives is counted, so a test can prove nothing was signed.
 */
export async function startHostileServer() {
  const behaviours = new Map<string, Behaviour>();
  const paymentHeaders: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // v1 sends X-PAYMENT, v2 PAYMENT-SIGNATURE: either is a signed payment.
    const payment = req.headers["x-payment"] ?? req.headers["payment-signature"];
    if (typeof payment === "string") paymentHeaders.push(payment);
    const behaviour = behaviours.get(url.pathname);
    if (!behaviour) {
      res.writeHead(404).end();
      return;
    }
    behaviour(req, res, typeof payment === "string");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    paymentHeaders,
    on(path: string, behaviour: Behaviour) {
      behaviours.set(`/v2${path}`, behaviour);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** A well-formed v1 offer, to be bent by each hostile case. */
export function offer(overrides: Record<string, unknown> = {}) {
  return {
    scheme: "exact",
    network: "base-sepolia",
    maxAmountRequired: "17000",
    resource: "http://127.0.0.1/v2/trading-signals",
    description: "",
    mimeType: "application/json",
    payTo: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    maxTimeoutSeconds: 60,
    asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
    extra: { name: "USDC", version: "2" },
    ...overrides,
  };
}
