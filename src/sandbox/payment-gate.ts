import type { RequestHandler } from "express";
import { parseUnits, type Address } from "viem";
import { paymentMiddleware, type RoutesConfig } from "x402-express";
import { TMAI_DISCOUNT, USD_PRICE_BY_PATH } from "../catalog/prices.js";
import type { SandboxToken } from "./chain.js";

export interface PaymentGateOptions {
  payTo: Address;
  facilitatorUrl: string;
  tmai: SandboxToken;
  /** Overrides the price table (USD per call), e.g. to test a price change. */
  prices?: Readonly<Record<string, number>>;
}

/**
 * The x402 side of the look-alike: real x402-express middleware, one per asset, picked by the
 * client's `x-payment-token` header as Token Metrics does (usdc by default; tmai 10% cheaper).
 * Free endpoints have no route, so the middleware lets them through.
 */
export function createPaymentGate(options: PaymentGateOptions): RequestHandler {
  const prices = options.prices ?? USD_PRICE_BY_PATH;
  const routes = (priceOf: (usd: number) => RoutesConfig[string]): RoutesConfig =>
    Object.fromEntries(
      Object.entries(prices)
        .filter(([, usd]) => usd > 0)
        .map(([path, usd]) => [`${path === "/tmai" ? "POST" : "GET"} /v2${path}`, priceOf(usd)]),
    );
  const facilitator = { url: options.facilitatorUrl as `${string}://${string}` };
  const byToken: Record<string, RequestHandler> = {
    usdc: paymentMiddleware(options.payTo, routes((usd) => ({ price: `$${usd}`, network: "base-sepolia" })), facilitator),
    tmai: paymentMiddleware(
      options.payTo,
      routes((usd) => ({
        price: {
          amount: parseUnits((usd * (1 - TMAI_DISCOUNT)).toFixed(6), options.tmai.decimals).toString(),
          asset: { address: options.tmai.address, decimals: options.tmai.decimals, eip712: options.tmai.eip712 },
        },
        network: "base-sepolia",
      })),
      facilitator,
    ),
  };
  return (req, res, next) => {
    const token = (req.header("x-payment-token") ?? "usdc").toLowerCase();
    const gate = byToken[token];
    if (!gate) {
      res.status(400).json({ success: false, message: `x-payment-token must be usdc or tmai, not "${token}"` });
      return;
    }
    return gate(req, res, next);
  };
}
