import type { Address, Hash, Hex, PublicClient } from "viem";
import type { Asset } from "../assets.js";

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
  /** Whether it answers EIP-3009's `authorizationState`. */
  eip3009: boolean;
}

/** The newest block: its number and its own timestamp (seconds), the chain's clock. */
export interface ChainHead {
  number: bigint;
  timestamp: bigint;
}

/** Permit2's canonical address (the same on every chain) and the one read we need of it. */
export const PERMIT2_ADDRESS: Address = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
const permit2Abi = [
  {
    type: "function",
    name: "nonceBitmap",
    stateMutability: "view",
    inputs: [
      { name: "owner", type: "address" },
      { name: "wordPosition", type: "uint256" },
    ],
    outputs: [{ type: "uint256" }],
  },
] as const;

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

  /**
   * True when a Permit2 nonce has been used (the transfer happened): Permit2's nonces are bits of
   * a bitmap, word `nonce >> 8`, bit `nonce & 255`.
   */
  async permit2NonceUsed(owner: Address, nonce: string, blockNumber?: bigint): Promise<boolean> {
    const value = BigInt(nonce);
    const word = await (
      await this.rpc()
    ).readContract({ address: PERMIT2_ADDRESS, abi: permit2Abi, functionName: "nonceBitmap", args: [owner, value >> 8n], blockNumber });
    return ((word >> (value & 255n)) & 1n) === 1n;
  }

  /** How much of `asset` the owner lets Permit2 move (the one-time approval). */
  async permit2Allowance(asset: Address, owner: Address): Promise<bigint> {
    const [rpc, { erc20Abi }] = await Promise.all([this.rpc(), import("viem")]);
    return rpc.readContract({ address: asset, abi: erc20Abi, functionName: "allowance", args: [owner, PERMIT2_ADDRESS] });
  }

  /** Whether the contract answers EIP-3009's `authorizationState`: without it, EIP-3009 offers can never settle. */
  async hasEip3009(asset: Address): Promise<boolean> {
    return this.authorizationUsed(asset, PERMIT2_ADDRESS, `0x${"00".repeat(32)}`).then(
      () => true,
      () => false,
    );
  }

  /** The chain id the RPC reports. */
  async chainId(): Promise<number> {
    return (await this.rpc()).getChainId();
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
    const [decimals, name, version, eip3009] = await Promise.all([
      read("decimals"),
      read("name"),
      read("version").catch(() => undefined),
      this.hasEip3009(asset),
    ]);
    return { decimals: Number(decimals), name: name as string, version: version as string | undefined, eip3009 };
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
