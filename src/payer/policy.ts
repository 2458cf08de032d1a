import { formatUnits, getAddress, type Address } from "viem";
import type { PaymentRequirements } from "x402/types";
import type { Asset, AssetSymbol, Network } from "./assets.js";

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Longest validity we ever sign for, whatever the server asks: a leaked authorization dies fast. */
export const MAX_AUTHORIZATION_SECONDS = 120;

export interface PolicyContext {
  network: Network;
  /** Assets we can recognise on this network (address → symbol). */
  knownAssets: readonly Asset[];
  /** Allowed assets, most preferred first. */
  allowedAssets: readonly AssetSymbol[];
  /** Per-call maximum in base units; an asset without one is never paid. */
  maxPerCall: Partial<Record<AssetSymbol, bigint>>;
  payees?: readonly Address[];
}

export type Decision =
  | { pay: true; offer: PaymentRequirements; asset: Asset; amount: bigint }
  | { pay: false; reason: string };

/**
 * Whether and what to pay for a challenge: a pure function of the offers and the user's policy.
 * It picks the most preferred allowed asset among acceptable offers and bounds the validity
 * window; otherwise it explains why nothing may be paid and which setting would change that.
 */
export function decide(offers: readonly PaymentRequirements[], ctx: PolicyContext): Decision {
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
    const maxTimeoutSeconds = Math.min(best.offer.maxTimeoutSeconds, MAX_AUTHORIZATION_SECONDS);
    return { ...best, offer: { ...best.offer, maxTimeoutSeconds } };
  }
  return { pay: false, reason: [...new Set(reasons)].join("; ") };
}

function judge(offer: PaymentRequirements, ctx: PolicyContext): Extract<Decision, { pay: true }> | string {
  if (offer.scheme !== "exact") return `scheme "${offer.scheme}" is not supported (only "exact")`;
  if (!EVM_ADDRESS.test(offer.payTo) || !EVM_ADDRESS.test(offer.asset)) return "the offer's payee or asset is not an EVM address";
  if (offer.network !== ctx.network) {
    return `the offer is on network "${offer.network}" but this server pays only on "${ctx.network}" (TOKEN_METRICS_NETWORK)`;
  }
  const asset = ctx.knownAssets.find((known) => sameAddress(known.address, offer.asset));
  if (!asset) return `asset ${offer.asset} is not a known USDC or TMAI contract on ${ctx.network}`;
  if (!ctx.allowedAssets.includes(asset.symbol)) {
    return `${asset.symbol} is not an allowed asset (TOKEN_METRICS_ASSETS is ${ctx.allowedAssets.join(",")})`;
  }
  if (ctx.payees && !ctx.payees.some((payee) => sameAddress(payee, offer.payTo))) {
    return `payee ${offer.payTo} is not in TOKEN_METRICS_PAYEES`;
  }
  if (offer.maxTimeoutSeconds <= 0) return "the offer's validity window is not positive";
  const amount = BigInt(offer.maxAmountRequired);
  const max = ctx.maxPerCall[asset.symbol];
  if (max === undefined) return `${asset.symbol} has no per-call maximum in TOKEN_METRICS_MAX_PER_CALL, so it is never paid`;
  if (amount > max) {
    return `the price ${formatAmount(amount, asset)} is above the per-call maximum ${formatAmount(max, asset)} (TOKEN_METRICS_MAX_PER_CALL)`;
  }
  return { pay: true, offer, asset, amount };
}

const sameAddress = (a: string, b: string) => {
  try {
    return getAddress(a) === getAddress(b);
  } catch {
    return false;
  }
};

export function formatAmount(amount: bigint, asset: Pick<Asset, "decimals" | "symbol">): string {
  return `${formatUnits(amount, asset.decimals)} ${asset.symbol}`;
}
