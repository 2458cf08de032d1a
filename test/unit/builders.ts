import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { knownAssets, type Asset, type AssetSymbol } from "../../src/assets.js";
import type { SentPayment } from "../../src/payer/attempt.js";
import { moneyOf, type Money, type SignedEntry } from "../../src/payer/call-record.js";
import type { Offer } from "../../src/payer/challenge.js";
import type { LedgerEntry, NewLedgerEntry } from "../../src/payer/entry.js";
import type { PolicyContext } from "../../src/payer/policy.js";
import type { Signature } from "../../src/payer/signer.js";

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
  const price = offer.x402Version === 1 ? { maxAmountRequired: offer.amount } : { amount: offer.amount };
  const { scheme, network, asset, payTo, maxTimeoutSeconds, extra } = offer;
  return { ...offer, requirement: { ...offer.requirement, scheme, network, ...price, asset, payTo, maxTimeoutSeconds, extra } };
}

/** The base-sepolia assets by symbol, TMAI at the address above. */
export const ASSETS = Object.fromEntries(knownAssets("base-sepolia", TMAI).map((asset) => [asset.symbol, asset])) as Record<AssetSymbol, Asset>;

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
/** A "signed" entry (a reservation) as a writer hands it to a store, which stamps its time and process; a fresh nonce unless given. */
export function buildSignedEntry(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry & { event: "signed" } {
  const nonce = `0x${(++nonces).toString(16).padStart(64, "0")}`;
  return {
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
    event: "signed",
  };
}

/** A ledger line, by default "signed" (a reservation) for the book, with a fresh nonce unless given. */
export function buildEntry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return { ts: new Date().toISOString(), session: "session-a", ...buildSignedEntry(), ...overrides };
}

/** What paying an offer moves, in USDC unless the asset is given. */
export function buildMoney(offer: Offer = buildOffer(), asset: Asset = ASSETS.USDC): Money {
  return moneyOf(asset, BigInt(offer.amount), offer);
}

/** A signature as the signer returns it (headers not real), valid for `lifeSeconds` from now. */
export function buildSignature(overrides: Partial<Signature> & { lifeSeconds?: number } = {}): Signature {
  const { lifeSeconds = 60, ...fields } = overrides;
  const nonce = `0x${(++nonces).toString(16).padStart(64, "0")}`;
  const offer = fields.offer ?? buildOffer();
  return {
    offer,
    headers: { "PAYMENT-SIGNATURE": "test" },
    method: offer.method,
    nonce,
    validBefore: String(Math.floor(Date.now() / 1000) + lifeSeconds),
    ...fields,
  };
}

/** A payment sent whose answer was lost, with the signed line its reservation wrote. */
export function buildSentPayment(signature: Signature = buildSignature()): SentPayment {
  const money = buildMoney(signature.offer);
  const { nonce, validBefore } = signature;
  const signed: SignedEntry = { call: "call-1", endpoint: "/trading-signals", network: "base-sepolia", payer: PAYER, event: "signed", nonce, validBefore };
  return { money, offer: signature.offer, signature, signed };
}

/** A fresh ledger path in a temporary directory removed after the test file. */
export function tempLedgerPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "tm-x402-unit-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "payments.jsonl");
}

/** The ledger file's lines as written (an absent file has none). */
export function readLedgerFile(path: string): LedgerEntry[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEntry);
}

/** A clock that moves only when told (milliseconds since the epoch). */
export function manualClock(start = Date.parse("2026-06-01T12:00:00Z")) {
  let now = start;
  return { now: () => now, seconds: () => now / 1000, advance: (ms: number) => void (now += ms) };
}
