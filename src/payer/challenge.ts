import { PaymentRequirementsSchema, type PaymentRequirements } from "x402/types";
import { ToolFailure } from "../api/errors.js";

/** A 402 body bigger than this is not a payment challenge we will read. */
const MAX_CHALLENGE_BYTES = 64 * 1024;

export interface Challenge {
  x402Version: number;
  /** Offers that parse as x402 v1 payment requirements; others are never paid. */
  offers: PaymentRequirements[];
  error?: string;
}

/**
 * Reads a 402 answer as an x402 v1 challenge, tolerant of extra fields but strict on what we
 * sign over. Anything else (v2 header format, no JSON, huge body) becomes a clear failure.
 */
export async function readChallenge(response: Response): Promise<Challenge> {
  if (response.headers.has("payment-required")) {
    await response.body?.cancel();
    throw new ToolFailure(
      "The API answered with an x402 v2 payment challenge (PAYMENT-REQUIRED header), which this version does not pay. Nothing was signed. Please report it so v2 support can be added.",
    );
  }
  const text = await readBounded(response, MAX_CHALLENGE_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ToolFailure("The API's 402 answer is not a JSON x402 challenge. Nothing was signed.");
  }
  const { x402Version, accepts, error } = (body ?? {}) as { x402Version?: unknown; accepts?: unknown; error?: unknown };
  if (x402Version !== 1) {
    throw new ToolFailure(`The API asked for payment with x402 version ${JSON.stringify(x402Version)}; only version 1 is supported. Nothing was signed.`);
  }
  if (!Array.isArray(accepts)) throw new ToolFailure("The API's 402 answer lists no payment options. Nothing was signed.");
  const parsed = accepts.map((offer) => PaymentRequirementsSchema.safeParse(offer));
  const offers = parsed.flatMap((result) => (result.success ? [result.data] : []));
  return { x402Version, offers, error: typeof error === "string" ? error.slice(0, 200) : undefined };
}

/** Reads at most `limit` bytes; a longer body is refused without buffering it whole. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > limit || !response.body) {
    await response.body?.cancel();
    if (declared > limit) throw new ToolFailure(`The API's 402 answer is ${declared} bytes, too large to be a payment challenge. Nothing was signed.`);
    return "";
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ToolFailure(`The API's 402 answer is over ${limit} bytes, too large to be a payment challenge. Nothing was signed.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
