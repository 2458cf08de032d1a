import type { Offer } from "./challenge.js";
import type { ChallengeContext } from "./signer.js";

/** How long an accepted price is trusted for paying without asking first; the server still has the last word. */
export const KNOWN_PRICE_TTL_MS = 10 * 60_000;

export interface KnownPrice {
  offer: Offer;
  context: ChallengeContext;
}

/**
 * The prices the API accepted, by request (method and path): a call at a known price is signed
 * before it is sent and takes one round trip. A price the API refuses is forgotten, so the next
 * call asks again.
 */
export class KnownPrices {
  private readonly prices = new Map<string, KnownPrice & { expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): KnownPrice | undefined {
    const known = this.prices.get(key);
    if (known && known.expires > this.now()) return known;
    this.prices.delete(key);
    return undefined;
  }

  remember(key: string, price: KnownPrice): void {
    this.prices.set(key, { ...price, expires: this.now() + KNOWN_PRICE_TTL_MS });
  }

  forget(key: string): void {
    this.prices.delete(key);
  }
}
