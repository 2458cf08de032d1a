import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dailyWindowStart, PaymentBook } from "../../src/payer/book.js";
import { buildEntry, PAYER } from "./builders.js";

describe("the payment book: states and running totals", () => {
  const transitions: Array<[string, Array<"settled" | "released" | "failed">, "pending" | "settled" | "released", bigint]> = [
    ["signed: pending, counted", [], "pending", 17_000n],
    ["settled: counted", ["settled"], "settled", 17_000n],
    ["failed: still pending (it may settle), counted", ["failed"], "pending", 17_000n],
    ["released: not counted", ["released"], "released", 0n],
    ["released, then found settled: counted again", ["released", "settled"], "settled", 17_000n],
    ["settled, then a late release: stays settled and counted", ["settled", "released"], "settled", 17_000n],
    ["the same line twice changes nothing (folding is idempotent)", ["released", "released"], "released", 0n],
  ];
  for (const [name, events, status, counted] of transitions) {
    test(name, () => {
      const book = new PaymentBook();
      const signed = buildEntry();
      book.apply(signed);
      for (const event of events) book.apply({ ...signed, event });
      book.apply(signed); // a signed line read again is ignored
      assert.equal(book.payments.get(signed.nonce!)?.status, status);
      assert.equal(book.committed("USDC", { session: signed.session }), counted);
      assert.equal(book.committed("USDC", { since: dailyWindowStart() }), counted);
    });
  }

  test("another wallet's or network's lines are not this budget's", () => {
    const book = new PaymentBook({ payer: PAYER, network: "base-sepolia" });
    book.apply(buildEntry({ payer: "0x0000000000000000000000000000000000000001" }));
    book.apply(buildEntry({ network: "base" }));
    book.apply(buildEntry());
    assert.equal(book.committed("USDC", { since: dailyWindowStart() }), 17_000n);
  });

  test("per-client totals count only that client's payments", () => {
    const book = new PaymentBook();
    book.apply(buildEntry({ client: "alice" }));
    book.apply(buildEntry({ client: "alice" }));
    book.apply(buildEntry({ client: "bob" }));
    const since = dailyWindowStart();
    assert.deepEqual(
      [book.committed("USDC", { since, client: "alice" }), book.committed("USDC", { since, client: "bob" }), book.committed("USDC", { since })],
      [34_000n, 17_000n, 51_000n],
    );
  });

  test("a check costs the same however much history there is", () => {
    const book = new PaymentBook();
    const now = Date.now();
    for (let day = 0; day < 365; day++) book.apply(buildEntry({ ts: new Date(now - day * 86_400_000 - 3_600_000).toISOString() }));
    assert.equal(book.committed("USDC", { since: dailyWindowStart(new Date(now)) }), 17_000n);
  });
});
