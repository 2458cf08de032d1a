import { createPublicClient, erc20Abi, formatUnits, http, type Address, type PublicClient } from "viem";
import type { Asset } from "./assets.js";

/**
 * Reads balances over RPC. Created on first use so start-up never waits for the network.
 */
export class WalletReader {
  private client?: PublicClient;

  constructor(private readonly rpcUrl: string) {}

  async balances(owner: Address, assets: readonly Asset[]): Promise<Array<{ asset: string; address: Address; balance: string }>> {
    this.client ??= createPublicClient({ transport: http(this.rpcUrl, { timeout: 10_000, retryCount: 1 }) });
    const client = this.client;
    return Promise.all(
      assets.map(async (asset) => {
        const raw = await client.readContract({ address: asset.address, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
        return { asset: asset.symbol, address: asset.address, balance: formatUnits(raw, asset.decimals) };
      }),
    );
  }
}
