import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PaymentBook } from "../../src/payer/book.js";
import { budgetRefusal, type BudgetLimits } from "../../src/payer/budget.js";
import type { LedgerEntry } from "../../src/payer/entry.js";
import { ASSETS, buildEntry, TMAI } from "./builders.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const HOUR = 3_600_000;
/** A payment of `amount` base units signed `hoursAgo` before NOW, then taken through `events`. */
function paid(amount: bigint, fields: Partial<LedgerEntry> & { hoursAgo?: number; then?: LedgerEntry["event"] } = {}): LedgerEntry[] {
  const { hoursAgo = 1, then, ...overrides } = fields;
  const signed = buildEntry({ amount: amount.toString(), ts: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString(), ...overrides });
  return then ? [signed, { ...signed, event: then }] : [signed];
}
const tmai = { asset: "TMAI", assetAddress: TMAI };

type Case = [
  name: string,
  entries: LedgerEntry[],
  limits: Partial<BudgetLimits>,
  pay: { amount: bigint; asset?: "USDC" | "TMAI"; client?: string },
  refusal?: RegExp,
];

const cases: Case[] = [
  ["no limits: anything fits", paid(10n ** 9n), {}, { amount: 10n ** 9n }],
  ["session: exactly at the limit passes", paid(17_000n), { session: { USDC: 34_000n } }, { amount: 17_000n }],
  [
    "session: one base unit over refuses",
    paid(17_000n),
    { session: { USDC: 33_999n } },
    { amount: 17_000n },
    /session budget would be exceeded: 0.017 USDC of 0.033999 USDC.*costs 0.017 USDC \(TOKEN_METRICS_SESSION_BUDGET\)/,
  ],
  ["session: another process's payments are not this session's", paid(17_000n, { session: "session-b" }), { session: { USDC: 17_000n } }, { amount: 17_000n }],
  [
    "daily: another process's payments count (same ledger)",
    paid(17_000n, { session: "session-b" }),
    { daily: { USDC: 33_999n } },
    { amount: 17_000n },
    /daily budget \(last 24 h\) would be exceeded.*TOKEN_METRICS_DAILY_BUDGET/,
  ],
  ["daily: exactly at the limit passes", paid(17_000n, { hoursAgo: 23 }), { daily: { USDC: 34_000n } }, { amount: 17_000n }],
  [
    "daily: a payment 23 h old is inside the rolling window",
    paid(17_000n, { hoursAgo: 23 }),
    { daily: { USDC: 33_999n } },
    { amount: 17_000n },
    /daily budget/,
  ],
  ["daily: a payment 25 h old has left the rolling window", paid(17_000n, { hoursAgo: 25 }), { daily: { USDC: 17_000n } }, { amount: 17_000n }],
  [
    "per client: exactly at the client's limit passes",
    paid(17_000n, { client: "alice" }),
    { perClient: { alice: { USDC: 34_000n } } },
    { amount: 17_000n, client: "alice" },
  ],
  [
    "per client: one base unit over refuses",
    paid(17_000n, { client: "alice" }),
    { perClient: { alice: { USDC: 33_999n } } },
    { amount: 17_000n, client: "alice" },
    /daily budget of client "alice".*TOKEN_METRICS_CLIENT_BUDGETS/,
  ],
  [
    "per client: another client's payments do not count",
    paid(17_000n, { client: "bob" }),
    { perClient: { alice: { USDC: 17_000n } } },
    { amount: 17_000n, client: "alice" },
  ],
  [
    "per client: another client's limit does not apply",
    paid(17_000n, { client: "alice" }),
    { perClient: { alice: { USDC: 1n } } },
    { amount: 17_000n, client: "bob" },
  ],
  ["per client: no client, no client limit", paid(17_000n, { client: "alice" }), { perClient: { alice: { USDC: 1n } } }, { amount: 17_000n }],
  ["assets: TMAI spent does not count against USDC", paid(10n ** 18n, tmai), { session: { USDC: 17_000n }, daily: { USDC: 17_000n } }, { amount: 17_000n }],
  ["assets: USDC spent does not count against TMAI", paid(17_000n), { daily: { TMAI: 10n ** 18n } }, { amount: 10n ** 18n, asset: "TMAI" }],
  [
    "assets: TMAI over its own limit refuses, in TMAI",
    paid(10n ** 18n, tmai),
    { daily: { TMAI: 2n * 10n ** 18n - 1n } },
    { amount: 10n ** 18n, asset: "TMAI" },
    /daily budget.*: 1 TMAI of 1.999999999999999999 TMAI/,
  ],
  ["assets: a USDC limit alone leaves TMAI unlimited", paid(10n ** 18n, tmai), { daily: { USDC: 1n } }, { amount: 10n ** 18n, asset: "TMAI" }],
  ["pending (signed, outcome unknown) counts as spent", paid(17_000n), { daily: { USDC: 33_999n } }, { amount: 17_000n }, /daily budget/],
  ["failed stays pending and counts as spent", paid(17_000n, { then: "failed" }), { daily: { USDC: 33_999n } }, { amount: 17_000n }, /daily budget/],
  ["settled counts as spent", paid(17_000n, { then: "settled" }), { session: { USDC: 33_999n } }, { amount: 17_000n }, /session budget/],
  ["released does not count", paid(17_000n, { then: "released" }), { session: { USDC: 17_000n }, daily: { USDC: 17_000n } }, { amount: 17_000n }],
  [
    "the first budget broken is named: session before daily",
    paid(17_000n),
    { session: { USDC: 1n }, daily: { USDC: 1n } },
    { amount: 17_000n },
    /^the session budget/,
  ],
];

describe("budgetRefusal", () => {
  for (const [name, entries, limits, { amount, asset = "USDC", client }, refusal] of cases) {
    test(name, () => {
      const book = new PaymentBook();
      for (const entry of entries) book.apply(entry);
      const found = budgetRefusal(book, ASSETS[asset], amount, { session: {}, daily: {}, perClient: {}, ...limits }, "session-a", client, NOW);
      if (refusal) assert.match(found ?? "(fits)", refusal);
      else assert.equal(found, undefined);
    });
  }
});
