import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KNOWN_PRICE_TTL_MS, KnownPrices } from "../../src/payer/known-prices.js";
import { buildOffer, manualClock } from "./builders.js";

const price = (amount = "17000") => ({ offer: buildOffer({ amount }), context: { resource: { url: "https://api.example/trading-signals" } } });
const KEY = "GET /trading-signals";

describe("known prices (injected clock)", () => {
  const lifetimes: Array<[name: string, elapsedMs: number, known: boolean]> = [
    ["just remembered: known", 0, true],
    ["one millisecond before the TTL: known", KNOWN_PRICE_TTL_MS - 1, true],
    ["at the TTL: expired", KNOWN_PRICE_TTL_MS, false],
    ["long after: expired", 24 * 3_600_000, false],
  ];
  for (const [name, elapsedMs, known] of lifetimes) {
    test(name, () => {
      const clock = manualClock();
      const prices = new KnownPrices(clock.now);
      prices.remember(KEY, price());
      clock.advance(elapsedMs);
      assert.equal(prices.get(KEY)?.offer.amount, known ? "17000" : undefined);
    });
  }

  test("an expired price stays gone once the clock is read past it", () => {
    const clock = manualClock();
    const prices = new KnownPrices(clock.now);
    prices.remember(KEY, price());
    clock.advance(KNOWN_PRICE_TTL_MS);
    assert.equal(prices.get(KEY), undefined);
    clock.advance(-1); // a clock stepping back does not revive it
    assert.equal(prices.get(KEY), undefined);
  });

  test("remembering again renews the TTL and replaces the price", () => {
    const clock = manualClock();
    const prices = new KnownPrices(clock.now);
    prices.remember(KEY, price("17000"));
    clock.advance(KNOWN_PRICE_TTL_MS - 1);
    prices.remember(KEY, price("20000"));
    clock.advance(KNOWN_PRICE_TTL_MS - 1);
    assert.equal(prices.get(KEY)?.offer.amount, "20000");
  });

  test("forget drops one request's price only, and forgetting an unknown one is harmless", () => {
    const prices = new KnownPrices(manualClock().now);
    prices.remember(KEY, price());
    prices.remember("GET /tokens", price("1000"));
    prices.forget(KEY);
    prices.forget("GET /never-seen");
    assert.equal(prices.get(KEY), undefined);
    assert.equal(prices.get("GET /tokens")?.offer.amount, "1000");
  });

  test("the challenge context is kept with the price, for the echo", () => {
    const prices = new KnownPrices(manualClock().now);
    prices.remember(KEY, price());
    assert.deepEqual(prices.get(KEY)?.context, { resource: { url: "https://api.example/trading-signals" } });
  });
});
