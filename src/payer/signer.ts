import { randomBytes } from "node:crypto";
import { x402Client, x402HTTPClient } from "@x402/core/client";
import { decodePaymentResponseHeader } from "@x402/core/http";
import type { PaymentPayload, PaymentRequired } from "@x402/core/types";
import { registerExactEvmScheme } from "@x402/evm/exact/client";
import type { PrivateKeyAccount } from "viem/accounts";
import { CAIP2_OF, type Network } from "../assets.js";
import type { Challenge, Offer, TransferMethod } from "./challenge.js";

/** A signed payment ready to send: its headers and what the ledger keeps of it. */
export interface Signature {
  offer: Offer;
  /** `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1), as the x402 library encodes it. */
  headers: Record<string, string>;
  method: TransferMethod;
  /** EIP-3009 authorization nonce (bytes32 hex) or Permit2 nonce (uint256, decimal). */
  nonce: string;
  /** Seconds since the epoch after which it can never settle (validBefore, or Permit2's deadline). */
  validBefore: string;
  /**
   * The payment-identifier sent with it, when the server declared that extension (v2): the key by
   * which the server answers this payment sent again without charging again.
   */
  paymentId?: string;
}

/** What of a challenge is echoed in the payment (v2): its resource and its extensions. */
export type ChallengeContext = Pick<Challenge, "resource" | "extensions">;

/** An authorization signed ahead is used only while at least this share of its validity is left. */
const PRESIGNED_MIN_LIFE_SHARE = 0.5;

/**
 * Signs offers with the maintained x402 client (`@x402/core` + `@x402/evm`): EIP-3009 or Permit2,
 * v1 or v2, the signature code is the library's. The policy has already chosen the offer, so the
 * library gets a challenge with that one offer, and its own spend controls are off (ours ran).
 * Keeps one authorization signed ahead per known price, so a call at a known price does not wait for signing;
 * it stays in memory until a call reserves budget for it, and one never sent cannot settle.
 */
export class Signer {
  private readonly client: x402Client;
  private readonly http: x402HTTPClient;
  private readonly signedAhead = new Map<string, Signature>();
  /** Terms being signed ahead now: many calls succeeding at once sign one authorization ahead, not one each. */
  private readonly signingAhead = new Set<string>();

  constructor(account: PrivateKeyAccount, network: Network) {
    this.client = new x402Client().setSpendControls(false);
    registerExactEvmScheme(this.client, { signer: account, networks: [CAIP2_OF[network] as `${string}:${string}`] });
    this.http = new x402HTTPClient(this.client);
  }

  /** A fresh signature, or the one signed ahead for exactly these terms while enough of it is left. */
  async sign(offer: Offer, context: ChallengeContext): Promise<Signature> {
    return this.take(offer, context) ?? this.signNow(offer, context);
  }

  /** Signs the same terms in the background, after the current call has returned, unless one is ready or on its way. */
  presign(offer: Offer, context: ChallengeContext): void {
    const key = termsOf(offer, context);
    if (this.signingAhead.has(key) || fresh(this.signedAhead.get(key))) return;
    this.signingAhead.add(key);
    setImmediate(() =>
      this.signNow(offer, context)
        .then(
          (signature) => this.signedAhead.set(key, signature),
          () => undefined, // signing again at call time will report any problem
        )
        .finally(() => this.signingAhead.delete(key)),
    );
  }

  private take(offer: Offer, context: ChallengeContext): Signature | undefined {
    const key = termsOf(offer, context);
    const ready = this.signedAhead.get(key);
    this.signedAhead.delete(key);
    return fresh(ready) ? ready : undefined;
  }

  private async signNow(offer: Offer, context: ChallengeContext): Promise<Signature> {
    const { extensions, paymentId } = withPaymentId(withoutSponsoredApprovals(context.extensions));
    const challenge = { x402Version: offer.x402Version, accepts: [offer.requirement], resource: context.resource, extensions } as unknown as PaymentRequired;
    const payload = await this.client.createPaymentPayload(challenge);
    return { offer, headers: this.http.encodePaymentSignatureHeader(payload), method: offer.method, ...windowOf(payload), ...(paymentId ? { paymentId } : {}) };
  }
}

/**
 * Extensions by which the library would sign a token approval (an EIP-2612 permit, or a raw
 * approve transaction a facilitator pays gas for) next to the payment. An approval is the user's
 * own step (`approve-permit2`), never one taken behind their back, so these are not echoed and the
 * library never sees them. Every other extension is echoed, as the spec asks.
 */
const SPONSORED_APPROVALS = ["eip2612GasSponsoring", "erc20ApprovalGasSponsoring"];
function withoutSponsoredApprovals(extensions: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!extensions) return undefined;
  return Object.fromEntries(Object.entries(extensions).filter(([key]) => !SPONSORED_APPROVALS.includes(key)));
}

/**
 * The `payment-identifier` extension (x402 v2): where the server declares it, the echo carries a
 * fresh id for this payment (16 to 128 of [A-Za-z0-9_-], as @x402/extensions validates it). Written
 * here rather than imported: that package would add about 15 MB of unrelated extensions (SIWE,
 * Bazaar) to what users install, for these few lines; the sandbox checks ours with its validator.
 */
export const PAYMENT_IDENTIFIER = "payment-identifier";
function withPaymentId(extensions: Record<string, unknown> | undefined): { extensions?: Record<string, unknown>; paymentId?: string } {
  const declared = extensions?.[PAYMENT_IDENTIFIER] as { info?: Record<string, unknown> } | undefined;
  if (!extensions || typeof declared !== "object" || declared === null) return { extensions };
  const paymentId = `pay_${randomBytes(16).toString("hex")}`;
  return { extensions: { ...extensions, [PAYMENT_IDENTIFIER]: { ...declared, info: { ...declared.info, id: paymentId } } }, paymentId };
}

/** Signed ahead with at least PRESIGNED_MIN_LIFE_SHARE of its validity left. */
function fresh(signature: Signature | undefined): signature is Signature {
  if (!signature) return false;
  return Number(signature.validBefore) - Date.now() / 1000 >= signature.offer.maxTimeoutSeconds * PRESIGNED_MIN_LIFE_SHARE;
}

/**
 * The whole offer (domain, window, version included) and what the payment echoes of its challenge
 * (resource, extensions): a signature is only reused for exactly what it signed.
 */
const termsOf = (offer: Offer, context: ChallengeContext) => JSON.stringify([offer.requirement, context.resource, context.extensions]);

function windowOf(payload: PaymentPayload): { nonce: string; validBefore: string } {
  const inner = payload.payload as {
    authorization?: { nonce: string; validBefore: string };
    permit2Authorization?: { nonce: string; deadline: string };
  };
  if (inner.authorization) return { nonce: inner.authorization.nonce, validBefore: inner.authorization.validBefore };
  if (inner.permit2Authorization) return { nonce: inner.permit2Authorization.nonce, validBefore: inner.permit2Authorization.deadline };
  throw new Error("the x402 library produced a payment without an authorization");
}

/** The server's settlement report (`PAYMENT-RESPONSE`, or v1's `X-PAYMENT-RESPONSE`), when it says the transfer succeeded. */
export function settlementOf(response: Response): { transaction: string } | undefined {
  const header = response.headers.get("payment-response") ?? response.headers.get("x-payment-response");
  if (!header) return undefined;
  try {
    const { success, transaction } = decodePaymentResponseHeader(header) as { success?: unknown; transaction?: unknown };
    return success === true ? { transaction: typeof transaction === "string" && transaction ? transaction : "unknown" } : undefined;
  } catch {
    return undefined;
  }
}
