import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader } from "@x402/core/http";
import { decodePayment } from "x402/schemes";
import { settleResponseHeader } from "x402/types";

const PRICE = "17000";
const USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
const SETTLEMENT = `0x${"ab".repeat(32)}`;

type Authorization = { from: string; to: string; value: string };
/** Answers after the delay: the data on 200, else `body` (a v1 challenge) or a bare failure. */
type Reply = (status: number, headers?: Record<string, string>, body?: unknown) => void;

/**
 * A stand-in for the network in the benchmark: an x402 API (v1 or v2) whose settlement is instant
 * (it checks that the payment matches its price and payee, no chain), with a fixed delay added to
 * every response. What remains to measure is the clients' own work and their round trips.
 */
export async function startInstantServer(options: { delayMs: number; payTo: `0x${string}`; x402: "v1" | "v2" }) {
  let requests = 0;
  const pay = options.x402 === "v1" ? payV1 : payV2;
  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? "/", "http://localhost");
    const data = { success: true, message: "Data fetched successfully", length: 1, data: [{ TOKEN_ID: 3375, TOKEN_SYMBOL: "BTC", TRADING_SIGNAL: 1 }] };
    const reply: Reply = (status, headers = {}, body = status === 200 ? data : { success: false }) =>
      setTimeout(() => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body)), options.delayMs);
    if (url.pathname === "/v2/price") return reply(200);
    if (url.pathname !== "/v2/trading-signals") return reply(404);
    pay(req, `http://${req.headers.host}${url.pathname}`, options.payTo, reply);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    requests: () => requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const matches = (authorization: Authorization, payTo: string) => authorization.value === PRICE && authorization.to.toLowerCase() === payTo.toLowerCase();

/** v1: the offer in the 402 body, the payment in X-PAYMENT, the settlement in X-PAYMENT-RESPONSE. */
function payV1(req: IncomingMessage, resource: string, payTo: `0x${string}`, reply: Reply) {
  const requirements = {
    scheme: "exact",
    network: "base-sepolia",
    maxAmountRequired: PRICE,
    resource,
    description: "",
    mimeType: "application/json",
    payTo,
    maxTimeoutSeconds: 60,
    asset: USDC,
    extra: { name: "USDC", version: "2" },
  };
  const header = req.headers["x-payment"];
  const challenge = (error: string) => reply(402, {}, { x402Version: 1, error, accepts: [requirements] });
  if (typeof header !== "string") return challenge("X-PAYMENT header is required");
  try {
    const { authorization } = decodePayment(header).payload as { authorization: Authorization };
    if (!matches(authorization, payTo)) return challenge("payment does not match");
    reply(200, { "X-PAYMENT-RESPONSE": settleResponseHeader({ success: true, transaction: SETTLEMENT, network: "base-sepolia", payer: authorization.from }) });
  } catch {
    challenge("invalid payment");
  }
}

/** v2: the offer in PAYMENT-REQUIRED, the payment in PAYMENT-SIGNATURE, the settlement in PAYMENT-RESPONSE. */
function payV2(req: IncomingMessage, resource: string, payTo: `0x${string}`, reply: Reply) {
  const network = "eip155:84532" as const;
  const accepts = [{ scheme: "exact", network, amount: PRICE, asset: USDC, payTo, maxTimeoutSeconds: 60, extra: { name: "USDC", version: "2" } }];
  const header = req.headers["payment-signature"];
  const challenge = (error: string) =>
    reply(402, {
      "PAYMENT-REQUIRED": encodePaymentRequiredHeader({
        x402Version: 2,
        error,
        resource: { url: resource, description: "", mimeType: "application/json" },
        accepts,
      }),
    });
  if (typeof header !== "string") return challenge("PAYMENT-SIGNATURE header is required");
  try {
    const { authorization } = decodePaymentSignatureHeader(header).payload as { authorization: Authorization };
    if (!matches(authorization, payTo)) return challenge("payment does not match");
    reply(200, { "PAYMENT-RESPONSE": encodePaymentResponseHeader({ success: true, transaction: SETTLEMENT, network, payer: authorization.from }) });
  } catch {
    challenge("invalid payment");
  }
}
