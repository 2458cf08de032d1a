import type { FacilitatorClient, RouteConfig, RoutesConfig } from "@x402/core/server";
import type { Network } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { decodePaymentResponseHeader, decodePaymentSignatureHeader } from "@x402/core/http";
import { PAYMENT_IDENTIFIER, declarePaymentIdentifierExtension, extractPaymentIdentifier } from "@x402/extensions/payment-identifier";
import type { RequestHandler } from "express";
import type { Address } from "viem";
import type { SandboxToken } from "./chain.js";
import { gateByPaymentToken, OFFER_TIMEOUT_SECONDS, paidRoutes, tmaiPrice, usdToBaseUnits, type PaymentToken } from "./offers.js";

export interface PaymentGateV2Options {
  payTo: Address;
  /** Verifies and settles; in the sandbox the in-process facilitator of facilitator-v2.ts. */
  facilitator: FacilitatorClient;
  /** CAIP-2 id of the chain the offers are on, e.g. "eip155:84532". */
  network: Network;
  usdc: SandboxToken;
  tmai: SandboxToken;
}

type PaymentOption = Extract<RouteConfig["accepts"], readonly unknown[]>[number];

/**
 * The x402 v2 side of the look-alike: real @x402/express middleware with the same prices as v1
 * (TMAI 10% cheaper). Each 402 lists both assets; the one the client asked for with
 * `x-payment-token` (usdc by default) comes first, so a client taking the first offer pays as it
 * would in v1. Free endpoints have no route, so the middleware lets them through.
 */
export function createPaymentGateV2(options: PaymentGateV2Options): RequestHandler {
  const server = new x402ResourceServer(options.facilitator).register(options.network, new ExactEvmScheme());
  const offer = (token: SandboxToken, amount: bigint): PaymentOption => ({
    scheme: "exact",
    network: options.network,
    payTo: options.payTo,
    maxTimeoutSeconds: OFFER_TIMEOUT_SECONDS,
    price: { amount: amount.toString(), asset: token.address, extra: transferExtra(token) },
  });
  const routesPreferring = (first: PaymentToken): RoutesConfig =>
    Object.fromEntries(
      paidRoutes().map(({ route, usd }) => {
        const offers = {
          usdc: offer(options.usdc, usdToBaseUnits(usd, options.usdc.decimals)),
          tmai: offer(options.tmai, tmaiPrice(usd, options.tmai.decimals)),
        };
        const accepts = first === "usdc" ? [offers.usdc, offers.tmai] : [offers.tmai, offers.usdc];
        return [route, { accepts, mimeType: "application/json", extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension() } }];
      }),
    );
  return answerEachPaymentIdOnce(
    gateByPaymentToken({
      usdc: paymentMiddleware(routesPreferring("usdc"), server),
      tmai: paymentMiddleware(routesPreferring("tmai"), server),
    }),
  );
}

/**
 * The payment-identifier extension's purpose, as a server may implement it: a payment sent again
 * with an id whose payment already settled is answered with the data and the original settlement,
 * without settling (or charging) again. The id is read with the extension's own validator.
 */
function answerEachPaymentIdOnce(gate: RequestHandler): RequestHandler {
  const settlements = new Map<string, string>();
  return (req, res, next) => {
    const header = req.header("payment-signature");
    const id = header ? extractPaymentIdentifier(decodePaymentSignatureHeader(header)) : null;
    if (!id) return gate(req, res, next);
    const settled = settlements.get(id);
    if (settled) {
      res.setHeader("PAYMENT-RESPONSE", settled);
      return next();
    }
    // Remembered when the middleware reports a settlement, before the answer goes out (it may be lost).
    const setHeader = res.setHeader.bind(res);
    res.setHeader = ((name: string, value: Parameters<typeof setHeader>[1]) => {
      if (name.toLowerCase() === "payment-response" && typeof value === "string" && decodePaymentResponseHeader(value).success) settlements.set(id, value);
      return setHeader(name, value);
    }) as typeof res.setHeader;
    return gate(req, res, next);
  };
}

/**
 * `extra` of an `exact` EVM offer: an EIP-3009 token names its EIP-712 domain (the facilitator
 * rejects the offer without it); a plain ERC-20 asks for Permit2 instead.
 */
function transferExtra(token: SandboxToken): Record<string, unknown> {
  return token.transferMethod === "permit2" ? { assetTransferMethod: "permit2" } : { name: token.eip712.name, version: token.eip712.version };
}
