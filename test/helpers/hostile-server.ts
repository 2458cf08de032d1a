import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Address, Hash } from "viem";
import { settlementHeader } from "./chain.js";

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
export function offer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
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

/** The v2 form of an offer built by `offer()`: a CAIP-2 network, `amount`, no v1-only fields. */
export function toV2(built: Record<string, unknown>) {
  const { maxAmountRequired, resource: _resource, description: _description, mimeType: _mime, network, ...rest } = built;
  return { amount: maxAmountRequired, ...rest, network: network === "base-sepolia" ? "eip155:84532" : network };
}

/** A v2 402's headers: the challenge in PAYMENT-REQUIRED, as base64 JSON. */
export function v2Challenge(accepts: object[]): Record<string, string> {
  const challenge = { x402Version: 2, error: "PAYMENT-SIGNATURE header is required", resource: { url: "http://127.0.0.1/v2/trading-signals" }, accepts };
  return { "PAYMENT-REQUIRED": Buffer.from(JSON.stringify(challenge)).toString("base64") };
}

/**
 * How a hostile server speaks one x402 version, so a suite's cases run against both: its 402 (with
 * offers built by `offer()`), the payment header it reads, and the settlement header it answers with.
 */
export function speaking(version: "v1" | "v2") {
  return {
    ask: (res: ServerResponse, ...offers: Array<Record<string, unknown>>) =>
      version === "v1"
        ? json(res, 402, { x402Version: 1, error: "X-PAYMENT header is required", accepts: offers })
        : json(res, 402, {}, v2Challenge(offers.map(toV2))),
    payment: (req: IncomingMessage) => req.headers[version === "v1" ? "x-payment" : "payment-signature"] as string,
    settled: (transaction: Hash, payer: Address) => ({ [version === "v1" ? "X-PAYMENT-RESPONSE" : "PAYMENT-RESPONSE"]: settlementHeader(transaction, payer) }),
  };
}
