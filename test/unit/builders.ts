import { knownAssets } from "../../src/assets.js";
import type { Offer } from "../../src/payer/challenge.js";
import type { LedgerEntry } from "../../src/payer/entry.js";
import type { PolicyContext } from "../../src/payer/policy.js";

export const USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
export const TMAI = "0x8464135c8F25Da09e49BC8782676a84730C318bC";
export const PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
export const PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** A well-formed offer as the challenge parser builds it, v1 or v2, to be bent by each case. */
export function buildOffer(overrides: Partial<Offer> = {}): Offer {
  const x402Version = overrides.x402Version ?? 2;
  const base: Offer = {
    x402Version,
    scheme: "exact",
    network: x402Version === 1 ? "base-sepolia" : "eip155:84532",
    amount: "17000",
    asset: USDC,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: "USDC", version: "2" },
    method: "eip3009",
    requirement: {},
  };
  const offer = { ...base, ...overrides };
  return { ...offer, requirement: { ...offer.requirement, scheme: offer.scheme, network: offer.network, asset: offer.asset, payTo: offer.payTo, maxTimeoutSeconds: offer.maxTimeoutSeconds } };
}

/** The default policy of a base-sepolia wallet allowing USDC (0.1 per call) and TMAI when asked. */
export function buildPolicy(overrides: Partial<PolicyContext> = {}): PolicyContext {
  return {
    network: "base-sepolia",
    knownAssets: knownAssets("base-sepolia", TMAI),
    allowedAssets: ["USDC"],
    maxPerCall: { USDC: 100_000n, TMAI: 10n ** 18n },
    ...overrides,
  };
}

let nonces = 0;
/** A "signed" ledger line (a reservation) for the book, with a fresh nonce unless given. */
export function buildSigned(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  const nonce = `0x${(++nonces).toString(16).padStart(64, "0")}`;
  return {
    ts: new Date().toISOString(),
    event: "signed",
    session: "session-a",
    call: `call-${nonce}`,
    endpoint: "/trading-signals",
    network: "base-sepolia",
    payer: PAYER,
    asset: "USDC",
    assetAddress: USDC,
    amount: "17000",
    nonce,
    validBefore: String(Math.floor(Date.now() / 1000) + 60),
    ...overrides,
  };
}
