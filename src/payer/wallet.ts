import { createPublicClient, erc20Abi, formatUnits, http, parseAbi, type Address, type Hash, type Hex, type PublicClient } from "viem";
import type { Asset } from "./assets.js";

const eip3009Abi = parseAbi(["function authorizationState(address authorizer, bytes32 nonce) view returns (bool)"]);

/**
 * Reads the chain: balances, whether an authorization was used, transaction receipts. The RPC
 * client is created on first use so start-up never waits for the network.
 */
export class WalletReader {
  private client?: PublicClient;

  constructor(private readonly rpcUrl: string) {}

  private get rpc(): PublicClient {
    this.client ??= createPublicClient({ transport: http(this.rpcUrl, { timeout: 10_000, retryCount: 1 }) });
    return this.client;
  }

  async balances(owner: Address, assets: readonly Asset[]): Promise<Array<{ asset: string; address: Address; balance: string }>> {
    return Promise.all(
      assets.map(async (asset) => {
        const raw = await this.rpc.readContract({ address: asset.address, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
        return { asset: asset.symbol, address: asset.address, balance: formatUnits(raw, asset.decimals) };
      }),
    );
  }

  /** True when the EIP-3009 authorization with this nonce has been used (it settled). */
  authorizationUsed(asset: Address, authorizer: Address, nonce: Hex): Promise<boolean> {
    return this.rpc.readContract({ address: asset, abi: eip3009Abi, functionName: "authorizationState", args: [authorizer, nonce] });
  }

  /** "success", "reverted", or "missing" when the chain does not know the transaction. */
  async receiptStatus(hash: Hash): Promise<"success" | "reverted" | "missing"> {
    try {
      return (await this.rpc.getTransactionReceipt({ hash })).status;
    } catch {
      return "missing";
    }
  }
}
