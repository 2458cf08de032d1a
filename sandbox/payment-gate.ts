import type { RequestHandler } from "express";
import type { Address } from "viem";
import { paymentMiddleware, type RoutesConfig } from "x402-express";
import type { SandboxToken } from "./chain.js";
import { gateByPaymentToken, OFFER_TIMEOUT_SECONDS, paidRoutes, tmaiPrice } from "./offers.js";

export interface PaymentGateOptions {
  payTo: Address;
  facilitatorUrl: string;
  tmai: SandboxToken;
}

/**
 * The x402 v1 side of the look-alike: real x402-express middleware, one per asset, picked by the
 * client's `x-payment-token` header as Token Metrics does (usdc by default; tmai 10% cheaper).
 * Free endpoints have no route, so the middleware lets them through.
 */
export function createPaymentGate(options: PaymentGateOptions): RequestHandler {
  const routes = (priceOf: (usd: number) => RoutesConfig[string]): RoutesConfig =>
    Object.fromEntries(paidRoutes().map(({ route, usd }) => [route, priceOf(usd)]));
  const facilitator = { url: options.facilitatorUrl as `${string}://${string}` };
  return gateByPaymentToken({
    usdc: paymentMiddleware(
      options.payTo,
      routes((usd) => ({ price: `$${usd}`, network: "base-sepolia", config: { maxTimeoutSeconds: OFFER_TIMEOUT_SECONDS } })),
      facilitator,
    ),
    tmai: paymentMiddleware(
      options.payTo,
      routes((usd) => ({
        price: {
          amount: tmaiPrice(usd, options.tmai.decimals).toString(),
          asset: { address: options.tmai.address, decimals: options.tmai.decimals, eip712: options.tmai.eip712 },
        },
        network: "base-sepolia",
        config: { maxTimeoutSeconds: OFFER_TIMEOUT_SECONDS },
      })),
      facilitator,
    ),
  });
}
