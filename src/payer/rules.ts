import { parseUnits } from "viem";
import type { AmountPerAsset, Config } from "../config.js";
import { ASSET_DECIMALS, knownAssets, type Asset, type AssetSymbol } from "../assets.js";
import type { BudgetLimits } from "./budget.js";
import type { PolicyContext } from "./policy.js";
import type { WalletReader } from "./wallet.js";

/** The user's spending rules, from configuration, in each asset's base units. */
export function policyFor(config: Config): PolicyContext {
  const assets = knownAssets(config.network, config.tmaiAddress);
  return {
    network: config.network,
    knownAssets: assets,
    // An allowed asset whose contract we do not know (TMAI without its address) cannot be paid.
    allowedAssets: config.assets.filter((symbol) => assets.some((asset) => asset.symbol === symbol)),
    maxPerCall: toBaseUnits(config.maxPerCall),
    payees: config.payees,
  };
}

export function limitsFor(config: Config): BudgetLimits {
  return {
    session: toBaseUnits(config.sessionBudget),
    daily: toBaseUnits(config.dailyBudget),
    perClient: Object.fromEntries(Object.entries(config.clientBudgets).map(([client, amounts]) => [client, toBaseUnits(amounts)])),
  };
}

export function toBaseUnits(amounts: AmountPerAsset): Partial<Record<AssetSymbol, bigint>> {
  return Object.fromEntries(Object.entries(amounts).map(([symbol, amount]) => [symbol, parseUnits(amount, ASSET_DECIMALS[symbol as AssetSymbol])]));
}

/** Allowed assets whose facts are not published (TMAI) and must be read from their contract. */
const needsContractFacts = (policy: PolicyContext, asset: Asset) => !asset.eip712 && policy.allowedAssets.includes(asset.symbol);

/**
 * Fills in what is not published about an allowed asset (TMAI's EIP-712 domain) from its own
 * contract, and marks it unusable when the contract contradicts what budgets assume (decimals).
 * Rejects when a contract cannot be read.
 */
export async function withContractFacts(policy: PolicyContext, wallet: WalletReader): Promise<PolicyContext> {
  const knownAssets = await Promise.all(
    policy.knownAssets.map(async (asset): Promise<Asset> => {
      if (!needsContractFacts(policy, asset)) return asset;
      const facts = await wallet.tokenFacts(asset.address);
      if (facts.decimals !== asset.decimals) {
        return {
          ...asset,
          unusable: `its contract ${asset.address} reports ${facts.decimals} decimals, not the ${asset.decimals} that amounts and budgets are read in`,
        };
      }
      const known = { ...asset, eip3009: facts.eip3009 };
      return facts.version === undefined ? known : { ...known, eip712: { name: facts.name, version: facts.version } };
    }),
  );
  return { ...policy, knownAssets };
}

/** The policy when those contracts could not be read: their assets are refused, saying why. */
export function contractsUnread(policy: PolicyContext): PolicyContext {
  return {
    ...policy,
    knownAssets: policy.knownAssets.map((asset) =>
      needsContractFacts(policy, asset)
        ? { ...asset, unusable: `its contract ${asset.address} could not be read at TOKEN_METRICS_RPC_URL (is TOKEN_METRICS_TMAI_ADDRESS right?)` }
        : asset,
    ),
  };
}
