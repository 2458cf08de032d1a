/**
 * A local x402 v2 facilitator, in-process: @x402/core's `x402Facilitator` with @x402/evm's exact EVM
 * scheme (EIP-3009 for USDC, Permit2 through the x402 exact proxy for plain ERC-20s) verifying and
 * settling against the local chain. The payment middleware gets it as a `FacilitatorClient`, so no
 * HTTP hop and no network. Settlement transactions are sent, and their gas paid, by the given account.
 */
import { x402Facilitator } from "@x402/core/facilitator";
import type { FacilitatorClient } from "@x402/core/server";
import type { SupportedResponse } from "@x402/core/types";
import { toFacilitatorEvmSigner } from "@x402/evm";
import { registerExactEvmScheme } from "@x402/evm/exact/facilitator";
import type { Hex } from "viem";
import { LOCAL_CHAIN_ID, settlementClient } from "./chain.js";

export interface CreateFacilitatorV2Options {
  rpcUrl: string;
  /** Key of the account that submits settlements (needs ETH for gas, no tokens). */
  privateKey: Hex;
  /** Chain id the node reports; its CAIP-2 id (eip155:<id>) is the only v2 network served. Default 84532. */
  chainId?: number;
}

export interface FacilitatorV2 {
  /** What @x402/core's resource server (and so @x402/express) calls: verify, settle, getSupported. */
  client: FacilitatorClient;
  network: `eip155:${number}`;
  /** Settlements that succeeded on chain since start. */
  settledCount(): number;
}

type FacilitatorSignerSource = Parameters<typeof toFacilitatorEvmSigner>[0];

export function createFacilitatorV2(options: CreateFacilitatorV2Options): FacilitatorV2 {
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  const network = `eip155:${chainId}` as const;
  // One client for reads and writes.
  const wallet = settlementClient(options.rpcUrl, options.privateKey, chainId);

  const facilitator = new x402Facilitator();
  // viem's generic, overloaded action types are not assignable to the loose signatures @x402/evm
  // declares, though the runtime shapes match (its own examples pass a viem client like this).
  const signer = toFacilitatorEvmSigner({ ...wallet, address: wallet.account.address } as unknown as FacilitatorSignerSource);
  // Also registers the v1 scheme for every v1 EVM network name; the v2 middleware never sends those.
  registerExactEvmScheme(facilitator, { signer, networks: network });

  let settled = 0;
  facilitator.onAfterSettle(async ({ result }) => {
    if (result.success) settled += 1;
  });

  return {
    client: {
      verify: (payload, requirements) => facilitator.verify(payload, requirements),
      settle: (payload, requirements) => facilitator.settle(payload, requirements),
      // Its kinds' networks are typed string; they are the CAIP-2 ids registered above.
      getSupported: async () => facilitator.getSupported() as SupportedResponse,
    },
    network,
    settledCount: () => settled,
  };
}
