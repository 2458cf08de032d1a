import type { Address, Hash, Hex, PublicClient } from "viem";
import type { Asset } from "./assets.js";

const eip3009Abi = [
  {
    type: "function",
    name: "authorizationState",
    stateMutability: "view",
    inputs: [
      { name: "authorizer", type: "address" },
      { name: "nonce", type: "bytes32" },
    ],
    outputs: [{ type: "bool" }],
  },
] as const;

/**
 * Reads the chain: balances, whether an authorization was used, transaction receipts. viem and
 * the RPC client are loaded on first use so start-up never waits for them.
 */
export class WalletReader {
  private client?: Promise<PublicClient>;

  constructor(private readonly rpcUrl: string) {}

  private rpc(): Promise<PublicClient> {
    this.client ??= import("viem").then(({ createPublicClient, http }) =>
      createPublicClient({ transport: http(this.rpcUrl, { timeout: 10_000, retryCount: 1 }) }),
    );
    return this.client;
  }

  async balances(owner: Address, assets: readonly Asset[]): Promise<Array<{ asset: string; address: Address; balance: string }>> {
    const [rpc, { erc20Abi, formatUnits }] = await Promise.all([this.rpc(), import("viem")]);
    return Promise.all(
      assets.map(async (asset) => {
        const raw = await rpc.readContract({ address: asset.address, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
        return { asset: asset.symbol, address: asset.address, balance: formatUnits(raw, asset.decimals) };
      }),
    );
  }

  /** True when the EIP-3009 authorization with this nonce has been used (it settled). */
  async authorizationUsed(asset: Address, authorizer: Address, nonce: Hex): Promise<boolean> {
    return (await this.rpc()).readContract({ address: asset, abi: eip3009Abi, functionName: "authorizationState", args: [authorizer, nonce] });
  }

  /** "success", "reverted", or "missing" when the chain does not know the transaction. */
  async receiptStatus(hash: Hash): Promise<"success" | "reverted" | "missing"> {
    try {
      return (await (await this.rpc()).getTransactionReceipt({ hash })).status;
    } catch {
      return "missing";
    }
  }
}
