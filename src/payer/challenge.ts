import { z } from "zod";
import { ToolFailure } from "../errors.js";
import { BodyTooLarge, readBounded } from "../net/http.js";

/** A 402 body or PAYMENT-REQUIRED header bigger than this is not a payment challenge we will read. */
const MAX_CHALLENGE_BYTES = 64 * 1024;

/** How an `exact` EVM offer moves the token: a token's own EIP-3009, or Permit2 for any ERC-20. */
export type TransferMethod = "eip3009" | "permit2";

/**
 * One payment offer of a challenge, v1 or v2, in the terms the policy judges. `requirement` is
 * the offer exactly as the server sent it: what the x402 library signs (with its window capped).
 */
export interface Offer {
  x402Version: 1 | 2;
  scheme: string;
  /** As the server wrote it: a v1 name ("base-sepolia") or a CAIP-2 id ("eip155:84532"). */
  network: string;
  /** Base units, as the server wrote them (v1 `maxAmountRequired`, v2 `amount`); checked by the policy. */
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
  method: TransferMethod;
  requirement: Record<string, unknown>;
}

export interface Challenge {
  x402Version: 1 | 2;
  /** Offers that parse; others are never paid. */
  offers: Offer[];
  error?: string;
  /** v2: the resource and the extensions the server declared, echoed when paying. */
  resource?: unknown;
  extensions?: Record<string, unknown>;
}

const offerFields = {
  scheme: z.string(),
  network: z.string(),
  asset: z.string(),
  payTo: z.string(),
  maxTimeoutSeconds: z.number().int(),
  extra: z.record(z.string(), z.unknown()).optional(),
};
const v1Offer = z.looseObject({ ...offerFields, maxAmountRequired: z.string() });
const v2Offer = z.looseObject({ ...offerFields, amount: z.string() });

/**
 * Reads a 402 answer as an x402 challenge: v2 when it carries a PAYMENT-REQUIRED header, else a
 * v1 JSON body. Tolerant of extra fields, strict on what we sign over; anything else (no JSON, a
 * huge body or header, an unknown version) becomes a clear failure before anything is signed.
 */
export async function readChallenge(response: Response): Promise<Challenge> {
  const header = response.headers.get("payment-required");
  if (header !== null) {
    await response.body?.cancel();
    return readV2(header);
  }
  const text = await readBounded(response, MAX_CHALLENGE_BYTES).catch((error: unknown) => {
    if (error instanceof BodyTooLarge) throw new ToolFailure(`The API's 402 answer is ${error.size}, too large to be a payment challenge. Nothing was signed.`);
    throw error;
  });
  const body = parseJson(text, "The API's 402 answer is not a JSON x402 challenge. Nothing was signed.");
  const { x402Version, accepts, error } = (body ?? {}) as { x402Version?: unknown; accepts?: unknown; error?: unknown };
  if (x402Version !== 1) {
    throw new ToolFailure(
      `The API asked for payment with x402 version ${JSON.stringify(x402Version)} in its body; only version 1 is sent that way (version 2 uses the PAYMENT-REQUIRED header). Nothing was signed.`,
    );
  }
  if (!Array.isArray(accepts)) throw new ToolFailure("The API's 402 answer lists no payment options. Nothing was signed.");
  const offers = accepts.flatMap((raw): Offer[] => {
    const parsed = v1Offer.safeParse(raw);
    return parsed.success ? [toOffer(1, parsed.data, parsed.data.maxAmountRequired)] : [];
  });
  return { x402Version: 1, offers, error: typeof error === "string" ? error.slice(0, 200) : undefined };
}

function readV2(header: string): Challenge {
  if (header.length > MAX_CHALLENGE_BYTES)
    throw new ToolFailure(`The API's PAYMENT-REQUIRED header is over ${MAX_CHALLENGE_BYTES} bytes, too large to be a payment challenge. Nothing was signed.`);
  const bad = "The API's PAYMENT-REQUIRED header is not a base64 JSON x402 challenge. Nothing was signed.";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(header.trim())) throw new ToolFailure(bad);
  const body = parseJson(Buffer.from(header.trim(), "base64").toString("utf8"), bad);
  const { x402Version, accepts, error, resource, extensions } = (body ?? {}) as Record<string, unknown>;
  if (x402Version !== 2)
    throw new ToolFailure(
      `The API's PAYMENT-REQUIRED header asks for x402 version ${JSON.stringify(x402Version)}; only version 2 is sent that way. Nothing was signed.`,
    );
  if (!Array.isArray(accepts)) throw new ToolFailure("The API's 402 challenge lists no payment options. Nothing was signed.");
  const offers = accepts.flatMap((raw): Offer[] => {
    const parsed = v2Offer.safeParse(raw);
    return parsed.success ? [toOffer(2, parsed.data, parsed.data.amount)] : [];
  });
  const declared = extensions && typeof extensions === "object" && !Array.isArray(extensions) ? (extensions as Record<string, unknown>) : undefined;
  return { x402Version: 2, offers, error: typeof error === "string" ? error.slice(0, 200) : undefined, resource, extensions: declared };
}

function toOffer(x402Version: 1 | 2, requirement: z.infer<typeof v1Offer> | z.infer<typeof v2Offer>, amount: string): Offer {
  const extra = requirement.extra ?? {};
  return {
    x402Version,
    scheme: requirement.scheme,
    network: requirement.network,
    amount,
    asset: requirement.asset,
    payTo: requirement.payTo,
    maxTimeoutSeconds: requirement.maxTimeoutSeconds,
    extra,
    method: extra.assetTransferMethod === "permit2" ? "permit2" : "eip3009",
    requirement,
  };
}

function parseJson(text: string, failure: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ToolFailure(failure);
  }
}
