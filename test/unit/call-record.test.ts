import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ToolFailure } from "../../src/errors.js";
import { PaidCallRecord, type Money, type SignedEntry } from "../../src/payer/call-record.js";
import type { Asset } from "../../src/assets.js";
import type { Offer } from "../../src/payer/challenge.js";
import type { LedgerEntry } from "../../src/payer/entry.js";
import { FileLedger } from "../../src/payer/ledger.js";
import { moneySpent } from "../../src/payer/types.js";
import { ASSETS, buildMoney, buildOffer, buildSignature, PAY_TO, PAYER, readLedgerFile, tempLedgerPath, TMAI } from "./builders.js";

const WHO = { endpoint: "/trading-signals", network: "base-sepolia", payer: PAYER, client: "alice" };

interface Step {
  record: PaidCallRecord;
  money: Money;
  /** Signs (test signature) and reserves: the "signed" line, as a real attempt writes it first. */
  reserve: () => Promise<SignedEntry>;
}
type Row = [
  name: string,
  run: (step: Step) => Promise<ToolFailure | string | void>,
  events: LedgerEntry["event"][],
  last: Partial<LedgerEntry>,
  wording: RegExp[],
  counted: bigint,
];

const expiresWithinAMinute = /expires within (59|60) s and counts against the budget until the chain shows it unused/;
const rows: Row[] = [
  [
    "refused: nothing was signed",
    ({ record }) => record.refused("budget", "the daily budget would be exceeded"),
    ["refused"],
    { code: "budget", reason: "the daily budget would be exceeded", amount: undefined, nonce: undefined },
    [/^Payment refused, nothing was signed: the daily budget would be exceeded\.$/],
    0n,
  ],
  [
    "refused with the caller's own message",
    ({ record }) => record.refused("approval", "declined", "The user declined the payment. Nothing was signed."),
    ["refused"],
    { code: "approval", reason: "declined" },
    [/^The user declined the payment\. Nothing was signed\.$/],
    0n,
  ],
  [
    "offered at a price asked for",
    ({ record, money }) => record.offered(money, false),
    ["offered"],
    { amount: "17000", display: "0.017 USDC", asset: "USDC", payTo: PAY_TO, reason: undefined },
    [],
    0n,
  ],
  [
    "offered at a known price",
    ({ record, money }) => record.offered(money, true),
    ["offered"],
    { amount: "17000", reason: "known price, paid without asking first" },
    [],
    0n,
  ],
  [
    "signed (EIP-3009): no method on the line",
    ({ reserve }) => reserve().then(() => undefined),
    ["signed"],
    { method: undefined, amount: "17000", assetAddress: buildOffer().asset },
    [],
    17_000n,
  ],
  [
    "never sent: released, nothing was paid",
    async ({ record, money, reserve }) => record.neverSent(await reserve(), money),
    ["signed", "released"],
    { proof: "never sent", reason: "never sent: the call was cancelled or timed out first" },
    [/before the payment of 0\.017 USDC was sent\. Nothing was paid\.$/],
    0n,
  ],
  [
    "unanswered: may have settled, calling again pays again",
    async ({ record, money, reserve }) => record.unanswered(await reserve(), money, "The API did not answer within 30 s."),
    ["signed", "failed"],
    { reason: "The API did not answer within 30 s." },
    [
      /^The API did not answer within 30 s\. The payment of 0\.017 USDC for this call was sent and may have settled/,
      /Calling again pays again\. It is not retried automatically\.$/,
    ],
    17_000n,
  ],
  [
    "not confirmed, then not accepted at the same price",
    async ({ record, money, reserve }) => {
      const signed = await reserve();
      await record.notConfirmed(signed, money, "insufficient_funds");
      return record.notAccepted(signed, money, "insufficient_funds", false);
    },
    ["signed", "failed"],
    { reason: "insufficient_funds" },
    [
      /^The API did not accept the payment of 0\.017 USDC: insufficient_funds\. No second payment is attempted\./,
      /network \(base-sepolia\)/,
      expiresWithinAMinute,
    ],
    17_000n,
  ],
  [
    "not confirmed, then not accepted because the price changed",
    async ({ record, money, reserve }) => {
      const signed = await reserve();
      await record.notConfirmed(signed, money, "amount mismatch");
      return record.notAccepted(signed, money, "amount mismatch", true);
    },
    ["signed", "failed"],
    { reason: "amount mismatch" },
    [
      /^The price of \/trading-signals changed: the API refused the payment of 0\.017 USDC made at the last known price/,
      /calling again pays the new price/,
      expiresWithinAMinute,
    ],
    17_000n,
  ],
  [
    "settled: the receipt says calling again pays again",
    async ({ record, money, reserve }) => {
      await record.settled(await reserve(), "0xabc");
      return moneySpent(record.receipt(money, "settled", "0xabc"));
    },
    ["signed", "settled"],
    { transaction: "0xabc" },
    [/^The payment of 0\.017 USDC for this call settled \(transaction 0xabc\); calling again pays again\.$/],
    17_000n,
  ],
];

describe("a paid call's ledger lines and money wording (real FileLedger)", () => {
  for (const [name, run, events, last, wording, counted] of rows) {
    test(name, async () => {
      const path = tempLedgerPath();
      const ledger = new FileLedger(path);
      const record = new PaidCallRecord(ledger, WHO);
      const money = buildMoney();
      const signature = buildSignature();
      const reserve = async () => {
        const signed = record.signed(money, signature);
        assert.equal(await ledger.reserve(signed, () => undefined), undefined);
        return signed;
      };
      const outcome = await run({ record, money, reserve });
      await ledger.close();

      const lines = readLedgerFile(path);
      assert.deepEqual(
        lines.map((line) => line.event),
        events,
      );
      for (const line of lines) assert.deepEqual({ ...line, ts: undefined }, { ...line, ts: undefined, call: record.call, session: ledger.session, ...WHO });
      if (events.includes("signed")) for (const line of lines) assert.deepEqual([line.nonce, line.validBefore], [signature.nonce, signature.validBefore]);
      for (const [key, value] of Object.entries(last)) assert.equal(lines.at(-1)?.[key as keyof LedgerEntry], value, key);
      assert.equal(ledger.book.committed("USDC", { session: ledger.session }), counted);

      const words = outcome instanceof ToolFailure ? outcome.message : (outcome ?? "");
      if (wording.length > 0) assert.ok(typeof outcome === "string" || outcome instanceof ToolFailure, "a failure or receipt sentence");
      for (const expected of wording) assert.match(words, expected);
      // Money that may have moved is never called unpaid.
      if (counted > 0n) assert.doesNotMatch(words, /nothing was (signed|paid)/i);
    });
  }
});

describe("the signed (reservation) line", () => {
  const shapes: Array<[name: string, offer: Offer, asset: Asset, method: "permit2" | undefined]> = [
    ["EIP-3009 in USDC: no method", buildOffer(), ASSETS.USDC, undefined],
    ["Permit2 in USDC: method permit2", buildOffer({ method: "permit2", extra: { assetTransferMethod: "permit2" } }), ASSETS.USDC, "permit2"],
    [
      "Permit2 in TMAI",
      buildOffer({ asset: TMAI, amount: "15300000000000000", method: "permit2", extra: { assetTransferMethod: "permit2" } }),
      ASSETS.TMAI,
      "permit2",
    ],
  ];
  for (const [name, offer, asset, method] of shapes) {
    test(name, () => {
      const record = new PaidCallRecord(new FileLedger(tempLedgerPath()), WHO);
      const money = buildMoney(offer, asset);
      const signature = buildSignature({ offer });
      assert.deepEqual(record.signed(money, signature), {
        call: record.call,
        ...WHO,
        asset: money.asset.symbol,
        assetAddress: money.asset.address,
        amount: offer.amount,
        display: money.display,
        payTo: PAY_TO,
        ...(method ? { method } : {}),
        event: "signed",
        nonce: signature.nonce,
        validBefore: signature.validBefore,
      });
    });
  }
});
