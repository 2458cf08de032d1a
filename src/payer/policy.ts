import { formatUnits, type Address } from "viem";
import { networkNamed, type Asset, type AssetSymbol, type Network } from "../assets.js";
import type { Offer } from "./challenge.js";

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Longest validity we ever sign for, whatever the server asks: a leaked authorization dies fast. */
export const MAX_AUTHORIZATION_SECONDS = 120;
/**
 * Shortest validity worth signing: x402 facilitators refuse an authorization with less than 6 s
 * left, and the request still has to travel. Anything shorter would hold budget and never settle.
 */
export const MIN_AUTHORIZATION_SECONDS = 10;

/** A canonical non-negative integer in base units: no sign, exponent, decimals or leading zeros. */
const BASE_UNITS = /^(0|[1-9][0-9]*)$/;
const ZERO_ADDRESS = /^0x0{40}$/;

export interface PolicyContext {
  network: Network;
  /** Assets we can recognise on this network (address → symbol), with their EIP-712 domain when known. */
  knownAssets: readonly Asset[];
  /** Allowed assets, most preferred first. */
  allowedAssets: readonly AssetSymbol[];
  /** Per-call maximum in base units; an asset without one is never paid. */
  maxPerCall: Partial<Record<AssetSymbol, bigint>>;
  payees?: readonly Address[];
}

export type Decision = { pay: true; offer: Offer; asset: Asset; amount: bigint } | { pay: false; reason: string };

/**
 * Whether and what to pay for a challenge: a pure function of the offers and the user's policy.
 * It picks the most preferred allowed asset among acceptable offers and bounds the validity
 * window; otherwise it explains why nothing may be paid and which setting would change that.
 */
export function decide(offers: readonly Offer[], ctx: PolicyContext): Decision {
  if (offers.length === 0) return { pay: false, reason: "the 402 challenge contains no valid payment offer" };
  const reasons: string[] = [];
  const acceptable: Array<Extract<Decision, { pay: true }>> = [];
  for (const offer of offers) {
    const verdict = judge(offer, ctx);
    if (typeof verdict === "string") reasons.push(verdict);
    else acceptable.push(verdict);
  }
  const rank = (symbol: AssetSymbol) => ctx.allowedAssets.indexOf(symbol);
  // Preferred asset first; for the same asset, the cheapest offer.
  acceptable.sort((a, b) => rank(a.asset.symbol) - rank(b.asset.symbol) || (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0));
  const best = acceptable[0];
  if (best) {
    // The window (EIP-3009 validBefore, Permit2 deadline) is what the library signs from it.
    const maxTimeoutSeconds = Math.min(best.offer.maxTimeoutSeconds, MAX_AUTHORIZATION_SECONDS);
    return { ...best, offer: { ...best.offer, maxTimeoutSeconds, requirement: { ...best.offer.requirement, maxTimeoutSeconds } } };
  }
  return { pay: false, reason: [...new Set(reasons)].join("; ") };
}

function judge(offer: Offer, ctx: PolicyContext): Extract<Decision, { pay: true }> | string {
  if (offer.scheme !== "exact") return `scheme "${offer.scheme}" is not supported (only "exact")`;
  if (!EVM_ADDRESS.test(offer.payTo) || !EVM_ADDRESS.test(offer.asset)) return "the offer's payee or asset is not an EVM address";
  if (ZERO_ADDRESS.test(offer.payTo)) return "the offer pays the zero address";
  if (networkNamed(offer.network) !== ctx.network) {
    return `the offer is on network "${offer.network}" but this server pays only on "${ctx.network}" (TOKEN_METRICS_NETWORK)`;
  }
  const asset = ctx.knownAssets.find((known) => sameAddress(known.address, offer.asset));
  if (!asset) return `asset ${offer.asset} is not a known USDC or TMAI contract on ${ctx.network}`;
  if (!ctx.allowedAssets.includes(asset.symbol)) {
    return `${asset.symbol} is not an allowed asset (TOKEN_METRICS_ASSETS is ${ctx.allowedAssets.join(",")})`;
  }
  if (asset.unusable) return `${asset.symbol} cannot be paid: ${asset.unusable}`;
  if (ctx.payees && !ctx.payees.some((payee) => sameAddress(payee, offer.payTo))) {
    return `payee ${offer.payTo} is not in TOKEN_METRICS_PAYEES`;
  }
  const methodProblem =
    offer.method === "permit2"
      ? permit2Problem(offer)
      : asset.eip3009 === false
        ? `${asset.symbol}'s contract has no EIP-3009 (transferWithAuthorization), so an EIP-3009 offer for it could never settle`
        : domainMismatch(offer, asset);
  if (methodProblem) return methodProblem;
  if (!(offer.maxTimeoutSeconds >= MIN_AUTHORIZATION_SECONDS)) {
    return `the offer's validity window (${offer.maxTimeoutSeconds} s) is shorter than the ${MIN_AUTHORIZATION_SECONDS} s a payment needs to settle`;
  }
  // BigInt() would throw on "1e4" or "17000.0" and read "" as 0: only canonical integers pass.
  if (!BASE_UNITS.test(offer.amount)) return `the offer's amount ${JSON.stringify(offer.amount.slice(0, 40))} is not an integer in base units`;
  const amount = BigInt(offer.amount);
  if (amount === 0n) return "the offer's amount is zero, which no honest price is";
  const max = ctx.maxPerCall[asset.symbol];
  if (max === undefined) return `${asset.symbol} has no per-call maximum in TOKEN_METRICS_MAX_PER_CALL, so it is never paid`;
  if (amount > max) {
    return `the price ${formatAmount(amount, asset)} is above the per-call maximum ${formatAmount(max, asset)} (TOKEN_METRICS_MAX_PER_CALL)`;
  }
  return { pay: true, offer, asset, amount };
}

/**
 * The signature is made over the offer's EIP-712 domain (`extra.name`, `extra.version`): one that
 * differs from the token's own can never verify on-chain, yet would hold budget until it expires.
 */
function domainMismatch(offer: Offer, asset: Asset): string | undefined {
  if (!asset.eip712) return undefined;
  const extra = (offer.extra ?? {}) as { name?: unknown; version?: unknown };
  if (extra.name !== asset.eip712.name || extra.version !== asset.eip712.version) {
    return `the offer's EIP-712 domain (${JSON.stringify(extra.name)}, version ${JSON.stringify(extra.version)}) is not ${asset.symbol}'s own ("${asset.eip712.name}", version "${asset.eip712.version}"), so its signature could never settle`;
  }
  return undefined;
}

/**
 * A Permit2 payment is signed for x402's canonical exact-Permit2 proxy as spender (the library's
 * constant); an offer that names any other spender or proxy asks for something else: refused.
 */
function permit2Problem(offer: Offer): string | undefined {
  for (const field of ["spender", "proxy", "permit2Proxy"]) {
    const named = offer.extra[field];
    if (named !== undefined && !(typeof named === "string" && sameAddress(named, X402_EXACT_PERMIT2_PROXY))) {
      return `the Permit2 offer names ${field} ${JSON.stringify(named)}, not x402's exact Permit2 proxy ${X402_EXACT_PERMIT2_PROXY}`;
    }
  }
  return undefined;
}

/** x402's canonical exact-Permit2 proxy (the spender @x402/evm signs for); kept here so the policy stays free of library loads. */
export const X402_EXACT_PERMIT2_PROXY = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";

/** Two well-formed EVM addresses naming the same account, whatever their letter case (a checksum is only a spelling). */
const sameAddress = (a: string, b: string) => EVM_ADDRESS.test(a) && EVM_ADDRESS.test(b) && a.toLowerCase() === b.toLowerCase();

export function formatAmount(amount: bigint, asset: Pick<Asset, "decimals" | "symbol">): string {
  return `${formatUnits(amount, asset.decimals)} ${asset.symbol}`;
}
