/**
 * A local x402 v1 facilitator: the HTTP face (`POST /verify`, `POST /settle`, `GET /supported`) that
 * x402-express's `useFacilitator` talks to, around x402's own `verify`/`settle` run against a local
 * chain. Settlement transactions are sent, and their gas paid, by the given account.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Address, Hex } from "viem";
import { settle, verify } from "x402/facilitator";
import {
  ChainIdToNetwork,
  PaymentPayloadSchema,
  PaymentRequirementsSchema,
  type PaymentPayload,
  type PaymentRequirements,
  type SettleResponse,
  type VerifyResponse,
} from "x402/types";
import { LOCAL_CHAIN_ID, settlementClient } from "./chain.js";
import { tokenAbi } from "./token-contract.js";

export interface StartFacilitatorOptions {
  rpcUrl: string;
  /** Key of the account that submits settlements (needs ETH for gas, no tokens). */
  privateKey: Hex;
  /** Chain id the node reports; its x402 network name is the only one accepted. Default 84532 (base-sepolia). */
  chainId?: number;
}

export interface Facilitator {
  /** Base URL for x402-express: `paymentMiddleware(payTo, routes, { url })`. */
  url: `http://${string}`;
  stop(): Promise<void>;
  /** Settlements that succeeded on chain since start. */
  settledCount(): number;
}

type ErrorReason = NonNullable<VerifyResponse["invalidReason"]>;
type PaymentRequest = { payload: PaymentPayload; requirements: PaymentRequirements };
type CheckedRequest = PaymentRequest | { reject: ErrorReason };

export async function startFacilitator(options: StartFacilitatorOptions): Promise<Facilitator> {
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  const network = ChainIdToNetwork[chainId];
  if (!network) throw new Error(`Chain id ${chainId} has no x402 network name`);

  // One client does both reads and writes: x402's settle() calls verify() with it first.
  const wallet = settlementClient(options.rpcUrl, options.privateKey, chainId);

  let settled = 0;

  /** Shape and network checks x402's verify/settle assume were done by their caller. */
  function check(body: unknown): CheckedRequest {
    const fields = (body ?? {}) as { paymentPayload?: unknown; paymentRequirements?: unknown };
    const payload = PaymentPayloadSchema.safeParse(fields.paymentPayload);
    if (!payload.success) return { reject: "invalid_payload" };
    const requirements = PaymentRequirementsSchema.safeParse(fields.paymentRequirements);
    if (!requirements.success) return { reject: "invalid_payment_requirements" };
    if (payload.data.network !== network || requirements.data.network !== network) return { reject: "invalid_network" };
    return { payload: payload.data, requirements: requirements.data };
  }

  /**
   * x402's verify() does not look at the authorization's nonce, so a replay would pass verify and
   * only revert on chain. Checking it here rejects replays before the API does any work, and keeps
   * bound-to-revert transactions (and the nonce-manager reset a failed send causes) out of settle.
   */
  async function alreadyUsed({ payload, requirements }: PaymentRequest): Promise<boolean> {
    if (!("authorization" in payload.payload)) return false;
    const { from, nonce } = payload.payload.authorization;
    return wallet.readContract({
      address: requirements.asset as Address,
      abi: tokenAbi,
      functionName: "authorizationState",
      args: [from as Address, nonce as Hex],
    });
  }

  const app = express();
  app.use(express.json({ limit: "64kb" }));

  app.get("/supported", (_req, res) => {
    res.json({ kinds: [{ x402Version: 1, scheme: "exact", network }] });
  });

  app.post("/verify", async (req, res) => {
    const request = check(req.body);
    if ("reject" in request) {
      res.status(400).json({ isValid: false, invalidReason: request.reject } satisfies VerifyResponse);
      return;
    }
    try {
      const result = await verify(wallet, request.payload, request.requirements);
      if (result.isValid && (await alreadyUsed(request))) {
        res.json({ isValid: false, invalidReason: "invalid_payment", payer: result.payer } satisfies VerifyResponse);
        return;
      }
      res.json(result);
    } catch {
      res.status(500).json({ isValid: false, invalidReason: "unexpected_verify_error" } satisfies VerifyResponse);
    }
  });

  app.post("/settle", async (req, res) => {
    const request = check(req.body);
    if ("reject" in request) {
      res.status(400).json(settleFailure(request.reject, network));
      return;
    }
    try {
      if (await alreadyUsed(request)) {
        res.json(settleFailure("duplicate_settlement", request.payload.network));
        return;
      }
      const result = await settle(wallet, request.payload, request.requirements);
      if (result.success) settled += 1;
      res.json(result);
    } catch {
      res.status(500).json(settleFailure("unexpected_settle_error", request.payload.network));
    }
  });

  // Malformed JSON and other express errors: answer in the protocol's shape, never with a stack trace.
  app.use((_error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (req.path === "/settle") res.status(400).json(settleFailure("invalid_payload", network));
    else res.status(400).json({ isValid: false, invalidReason: "invalid_payload" } satisfies VerifyResponse);
  });

  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    settledCount: () => settled,
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections from the payment middleware would otherwise hold close() open.
        server.closeAllConnections();
      })),
  };
}

function settleFailure(errorReason: ErrorReason, network: SettleResponse["network"]): SettleResponse {
  return { success: false, errorReason, transaction: "", network };
}
