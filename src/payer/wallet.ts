import type { Address, Hash, Hex, PublicClient } from "viem";
import type { Asset } from "./assets.js";

const tokenFactsAbi = [
  { type: "function", name: "decimals", stateMutability: "view", inputs: [], outputs: [{ type: "uint8" }] },
  { type: "function", name: "name", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
  { type: "function", name: "version", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
] as const;

/** What a token contract says of itself: its decimals and the EIP-712 domain it signs with. */
export interface TokenFacts {
  decimals: number;
  name: string;
  /** Absent when the contract has no `version()` (then it has no EIP-3009 domain we can check). */
  version?: string;
}

/** The newest block: its number and its own timestamp (seconds), the chain's clock. */
export interface ChainHead {
  number: bigint;
  timestamp: bigint;
}

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

  /**
   * True when the EIP-3009 authorization with this nonce has been used (it settled), as of
   * `blockNumber` when given: a verdict about expiry must read the same block as its timestamp.
   */
  async authorizationUsed(asset: Address, authorizer: Address, nonce: Hex, blockNumber?: bigint): Promise<boolean> {
    return (await this.rpc()).readContract({ address: asset, abi: eip3009Abi, functionName: "authorizationState", args: [authorizer, nonce], blockNumber });
  }

  /** The latest block's number and timestamp. */
  async head(): Promise<ChainHead> {
    const block = await (await this.rpc()).getBlock({ blockTag: "latest" });
    return { number: block.number, timestamp: block.timestamp };
  }

  /** Reads decimals, name and (when present) version from a token contract. */
  async tokenFacts(asset: Address): Promise<TokenFacts> {
    const rpc = await this.rpc();
    const read = <F extends "decimals" | "name" | "version">(functionName: F) => rpc.readContract({ address: asset, abi: tokenFactsAbi, functionName });
    const [decimals, name, version] = await Promise.all([read("decimals"), read("name"), read("version").catch(() => undefined)]);
    return { decimals: Number(decimals), name: name as string, version: version as string | undefined };
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
