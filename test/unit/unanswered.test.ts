import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UnansweredPayments } from "../../src/payer/unanswered.js";
import { buildSentPayment, buildSignature, manualClock } from "./builders.js";

const KEY = "GET https://api.example/trading-signals?symbol=BTC";

/** A lost payment with `lifeLeft` seconds of validity at the clock's time, with a payment id unless given null. */
function lost(clock: ReturnType<typeof manualClock>, lifeLeft: number, paymentId: string | null = "pay_0123456789abcdef") {
  return buildSentPayment(buildSignature({ validBefore: String(clock.seconds() + lifeLeft), ...(paymentId ? { paymentId } : {}) }));
}

describe("unanswered payments (injected clock)", () => {
  const cases: Array<[name: string, lifeLeft: number, paymentId: string | null, handedOut: boolean]> = [
    ["a minute of validity left, with an id: handed out", 60, "pay_0123456789abcdef", true],
    ["just over 5 s left: handed out", 6, "pay_0123456789abcdef", true],
    ["exactly 5 s left: kept back (it might not settle in time)", 5, "pay_0123456789abcdef", false],
    ["under 5 s left: kept back", 4, "pay_0123456789abcdef", false],
    ["already expired: kept back", -30, "pay_0123456789abcdef", false],
    ["no payment id (the server did not declare the extension): never remembered", 60, null, false],
  ];
  for (const [name, lifeLeft, paymentId, handedOut] of cases) {
    test(name, () => {
      const clock = manualClock();
      const unanswered = new UnansweredPayments(clock.seconds);
      const payment = lost(clock, lifeLeft, paymentId);
      unanswered.remember(KEY, payment);
      assert.equal(unanswered.take(KEY), handedOut ? payment : undefined);
    });
  }

  test("handed out once: the second identical call pays afresh", () => {
    const clock = manualClock();
    const unanswered = new UnansweredPayments(clock.seconds);
    const payment = lost(clock, 60);
    unanswered.remember(KEY, payment);
    assert.equal(unanswered.take(KEY), payment);
    assert.equal(unanswered.take(KEY), undefined);
  });

  test("validity runs out while it waits: not handed out, and gone", () => {
    const clock = manualClock();
    const unanswered = new UnansweredPayments(clock.seconds);
    unanswered.remember(KEY, lost(clock, 60));
    clock.advance(55_000);
    assert.equal(unanswered.take(KEY), undefined);
    clock.advance(-55_000);
    assert.equal(unanswered.take(KEY), undefined);
  });

  test("by request: another request does not get it, a later loss replaces it", () => {
    const clock = manualClock();
    const unanswered = new UnansweredPayments(clock.seconds);
    const first = lost(clock, 60);
    const second = lost(clock, 60, "pay_fedcba9876543210");
    unanswered.remember(KEY, first);
    unanswered.remember(KEY, second);
    assert.equal(unanswered.take(`${KEY}&other`), undefined);
    assert.equal(unanswered.take(KEY), second);
  });
});
