/**
 * What the sandbox charges, shared by the x402 v1 and v2 payment gates: which routes are paid and at
 * what USD price (the catalog entries' `priceUsd`), what TMAI costs in base units, and which asset a
 * request asks to pay with (`x-payment-token`, as Token Metrics documents it).
 */
import type { RequestHandler } from "express";
import { parseUnits } from "viem";
import { CATALOG, TMAI_DISCOUNT } from "../src/catalog/index.js";

export type PaymentToken = "usdc" | "tmai";

/**
 * How long a signed payment may wait for settlement (`maxTimeoutSeconds`): x402-express 1.x's
 * default, set explicitly so v2 (whose default is 300) offers the same window as v1.
 */
export const OFFER_TIMEOUT_SECONDS = 60;

/** A paid route as the x402 middlewares key it ("GET /v2/trading-signals"), with its USD price. */
export interface PaidRoute {
  route: string;
  usd: number;
}

/** The catalog's paid routes; free endpoints get no route, so they pass. */
export function paidRoutes(): PaidRoute[] {
  return CATALOG.filter((endpoint) => endpoint.priceUsd > 0).map((endpoint) => ({ route: `${endpoint.method} /v2${endpoint.path}`, usd: endpoint.priceUsd }));
}

/** A USD price in a token's base units, to the micro-dollar (USDC's precision). */
export function usdToBaseUnits(usd: number, decimals: number): bigint {
  return parseUnits(usd.toFixed(6), decimals);
}

/** What a call priced `usd` costs in TMAI base units: 10% less, as Token Metrics charges. */
export function tmaiPrice(usd: number, decimals: number): bigint {
  return usdToBaseUnits(usd * (1 - TMAI_DISCOUNT), decimals);
}

/**
 * Runs the gate for the asset the client asked for with `x-payment-token` (usdc by default);
 * any other value is a 400, as the client cannot have meant to pay with it.
 */
export function gateByPaymentToken(gates: Readonly<Record<PaymentToken, RequestHandler>>): RequestHandler {
  return (req, res, next) => {
    const token = (req.header("x-payment-token") ?? "usdc").toLowerCase();
    if (token !== "usdc" && token !== "tmai") {
      res.status(400).json({ success: false, message: `x-payment-token must be usdc or tmai, not "${token}"` });
      return;
    }
    return gates[token](req, res, next);
  };
}
