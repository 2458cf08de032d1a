import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Offer } from "../../src/payer/challenge.js";
import { decide, X402_EXACT_PERMIT2_PROXY, type PolicyContext } from "../../src/payer/policy.js";
import { buildOffer, buildPolicy, TMAI, USDC } from "./builders.js";

type Case = [name: string, offers: Offer[], policy: PolicyContext, expected: RegExp | { amount: bigint; asset: string }];

const cases: Case[] = [
  ["a v2 USDC offer within the limit is paid", [buildOffer()], buildPolicy(), { amount: 17_000n, asset: "USDC" }],
  ["a v1 offer (network by name) is paid the same", [buildOffer({ x402Version: 1 })], buildPolicy(), { amount: 17_000n, asset: "USDC" }],
  [
    "mainnet by CAIP-2 on a testnet wallet",
    [buildOffer({ network: "eip155:8453" })],
    buildPolicy(),
    /network "eip155:8453" but this server pays only on "base-sepolia"/,
  ],
  ["an unknown CAIP-2 network", [buildOffer({ network: "eip155:1" })], buildPolicy(), /network "eip155:1"/],
  ["a price above the per-call maximum", [buildOffer({ amount: "100001" })], buildPolicy(), /above the per-call maximum 0.1 USDC/],
  ["an unknown asset", [buildOffer({ asset: "0x1111111111111111111111111111111111111111" })], buildPolicy(), /not a known USDC or TMAI contract/],
  [
    "an asset not allowed",
    [buildOffer({ asset: TMAI, extra: { assetTransferMethod: "permit2" }, method: "permit2", amount: "15300000000000000" })],
    buildPolicy(),
    /TMAI is not an allowed asset/,
  ],
  ["a scheme other than exact", [buildOffer({ scheme: "upto" })], buildPolicy(), /scheme "upto" is not supported/],
  ["an exponent amount", [buildOffer({ amount: "1e4" })], buildPolicy(), /amount "1e4" is not an integer in base units/],
  ["a decimal amount", [buildOffer({ amount: "17000.0" })], buildPolicy(), /not an integer in base units/],
  ["an empty amount", [buildOffer({ amount: "" })], buildPolicy(), /amount "" is not an integer/],
  ["a zero amount", [buildOffer({ amount: "0" })], buildPolicy(), /amount is zero/],
  ["a leading zero", [buildOffer({ amount: "017000" })], buildPolicy(), /not an integer in base units/],
  ["the zero address as payee", [buildOffer({ payTo: "0x0000000000000000000000000000000000000000" })], buildPolicy(), /pays the zero address/],
  ["a payee outside the allow-list", [buildOffer()], buildPolicy({ payees: ["0x2222222222222222222222222222222222222222"] }), /not in TOKEN_METRICS_PAYEES/],
  ["another EIP-712 domain", [buildOffer({ extra: { name: "USD Coin", version: "2" } })], buildPolicy(), /EIP-712 domain .* is not USDC's own/],
  ["a window too short to settle", [buildOffer({ maxTimeoutSeconds: 9 })], buildPolicy(), /validity window \(9 s\) is shorter than the 10 s/],
  [
    "a Permit2 offer naming a foreign spender",
    [
      buildOffer({
        asset: TMAI,
        method: "permit2",
        amount: "1",
        extra: { assetTransferMethod: "permit2", spender: "0x1111111111111111111111111111111111111111" },
      }),
    ],
    buildPolicy({ allowedAssets: ["TMAI"] }),
    /names spender .* not x402's exact Permit2 proxy/,
  ],
  [
    "an EIP-3009 offer for a token without EIP-3009",
    [buildOffer({ asset: TMAI, amount: "1", extra: { name: "Token Metrics AI", version: "2" } })],
    buildPolicy({
      allowedAssets: ["TMAI"],
      knownAssets: buildPolicy().knownAssets.map((asset) => (asset.symbol === "TMAI" ? { ...asset, eip3009: false } : asset)),
    }),
    /TMAI's contract has no EIP-3009/,
  ],
  [
    "a TMAI contract marked unusable",
    [buildOffer({ asset: TMAI, method: "permit2", amount: "1", extra: { assetTransferMethod: "permit2" } })],
    buildPolicy({
      allowedAssets: ["TMAI"],
      knownAssets: buildPolicy().knownAssets.map((asset) => (asset.symbol === "TMAI" ? { ...asset, unusable: "it reports 6 decimals" } : asset)),
    }),
    /TMAI cannot be paid: it reports 6 decimals/,
  ],
  ["no offers at all", [], buildPolicy(), /no valid payment offer/],
  [
    "the cheapest of two acceptable offers, not the server's first",
    [buildOffer({ amount: "20000" }), buildOffer({ amount: "17000" })],
    buildPolicy(),
    { amount: 17_000n, asset: "USDC" },
  ],
  [
    "the preferred asset before a cheaper other one",
    [buildOffer({ amount: "17000" }), buildOffer({ asset: TMAI, method: "permit2", amount: "15300000000000000", extra: { assetTransferMethod: "permit2" } })],
    buildPolicy({ allowedAssets: ["TMAI", "USDC"] }),
    { amount: 15_300_000_000_000_000n, asset: "TMAI" },
  ],
  [
    "a malformed offer beside a valid one: the valid one is paid",
    [buildOffer({ amount: "1e4" }), buildOffer()],
    buildPolicy(),
    { amount: 17_000n, asset: "USDC" },
  ],
];

describe("the payment policy, v1 and v2 offers", () => {
  for (const [name, offers, policy, expected] of cases) {
    test(name, () => {
      const decision = decide(offers, policy);
      if (expected instanceof RegExp) {
        assert.equal(decision.pay, false);
        assert.match((decision as { reason: string }).reason, expected);
      } else {
        assert.ok(decision.pay, (decision as { reason?: string }).reason);
        assert.deepEqual({ amount: decision.amount, asset: decision.asset.symbol }, expected);
      }
    });
  }

  test("the window signed is capped at 120 s, in the offer and in the requirement the library signs", () => {
    const decision = decide([buildOffer({ maxTimeoutSeconds: 86_400 })], buildPolicy());
    assert.ok(decision.pay);
    assert.equal(decision.offer.maxTimeoutSeconds, 120);
    assert.equal(decision.offer.requirement.maxTimeoutSeconds, 120);
  });

  test("addresses compare whatever their case", () => {
    assert.ok(decide([buildOffer({ asset: USDC.toLowerCase() })], buildPolicy()).pay);
  });
});

describe("addresses kept as constants (so the policy and wallet load no x402 library) match the library's", () => {
  test("x402's exact Permit2 proxy and Permit2 itself", async () => {
    const { x402ExactPermit2ProxyAddress, PERMIT2_ADDRESS: libraryPermit2 } = await import("@x402/evm");
    const { PERMIT2_ADDRESS } = await import("../../src/payer/wallet.js");
    assert.equal(X402_EXACT_PERMIT2_PROXY.toLowerCase(), x402ExactPermit2ProxyAddress.toLowerCase());
    assert.equal(PERMIT2_ADDRESS.toLowerCase(), libraryPermit2.toLowerCase());
  });
});
