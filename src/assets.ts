import type { Address } from "viem";

/** The x402 v1 networks this server can pay on. base-sepolia is the default (testnet). */
export const NETWORKS = ["base-sepolia", "base"] as const;
export type Network = (typeof NETWORKS)[number];

/**
 * x402 v2 names networks by CAIP-2 id, v1 by name; both map to the same network here, and any
 * other id is a network this server does not pay on.
 */
export const CHAIN_ID_OF: Readonly<Record<Network, number>> = { "base-sepolia": 84532, base: 8453 };
export const CAIP2_OF: Readonly<Record<Network, string>> = { "base-sepolia": `eip155:${CHAIN_ID_OF["base-sepolia"]}`, base: `eip155:${CHAIN_ID_OF.base}` };
export const networkNamed = (id: string): Network | undefined =>
  (NETWORKS as readonly string[]).includes(id) ? (id as Network) : NETWORKS.find((network) => CAIP2_OF[network] === id);

export const DEFAULT_RPC_URL: Readonly<Record<Network, string>> = {
  "base-sepolia": "https://sepolia.base.org",
  base: "https://mainnet.base.org",
};

/** Assets Token Metrics accepts; the value of the `x-payment-token` header is the lowercase symbol. */
export const ASSET_SYMBOLS = ["USDC", "TMAI"] as const;
export type AssetSymbol = (typeof ASSET_SYMBOLS)[number];

export interface Asset {
  symbol: AssetSymbol;
  network: Network;
  address: Address;
  decimals: number;
  /** The token's EIP-712 domain; an offer naming another one is refused (it could never settle). */
  eip712?: { name: string; version: string };
  /** Why this asset cannot be paid at all (its contract does not match what we expect), if so. */
  unusable?: string;
  /** False when the contract has no EIP-3009 (probed): only Permit2 offers can move it. */
  eip3009?: boolean;
}

/**
 * Contract addresses we will pay with, per network. Canonical USDC is public knowledge; TMAI's
 * address was not found in public sources, so it is only known when configured
 * (TOKEN_METRICS_TMAI_ADDRESS). A challenge for any other contract is refused.
 */
const USDC_ADDRESS: Readonly<Record<Network, Address>> = {
  "base-sepolia": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
  base: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
};

/** USDC's EIP-712 domain per network, as x402 and Circle publish it. */
const USDC_EIP712: Readonly<Record<Network, { name: string; version: string }>> = {
  "base-sepolia": { name: "USDC", version: "2" },
  base: { name: "USD Coin", version: "2" },
};

export const ASSET_DECIMALS: Readonly<Record<AssetSymbol, number>> = { USDC: 6, TMAI: 18 };

export function knownAssets(network: Network, tmaiAddress?: Address): Asset[] {
  const assets: Asset[] = [{ symbol: "USDC", network, address: USDC_ADDRESS[network], decimals: ASSET_DECIMALS.USDC, eip712: USDC_EIP712[network] }];
  // TMAI's domain is not published: it is read from the configured contract (see WalletReader.tokenFacts).
  if (tmaiAddress) assets.push({ symbol: "TMAI", network, address: tmaiAddress, decimals: ASSET_DECIMALS.TMAI });
  return assets;
}
