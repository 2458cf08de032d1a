import type { Config } from "../config.js";
import type { LedgerStore } from "./store.js";
import type { PayerCore } from "./payer.js";
import type { PaidFetch } from "./types.js";
import type { WalletReader } from "./wallet.js";

/**
 * The payer as the rest of the server sees it. The x402 and signing libraries take most of a
 * second to load, so they are imported on the first paid call (or wallet query), never at
 * start-up: tools/list must be answered at once.
 */
export interface Payer {
  readonly fetch: PaidFetch;
  /** The wallet address, policy and budgets, once the payment libraries are loaded. */
  core(): Promise<PayerCore>;
}

export function createPayer(config: Config, ledger: LedgerStore, wallet: WalletReader, fetchImpl?: typeof fetch): Payer {
  let loading: Promise<PayerCore> | undefined;
  const core = () => (loading ??= import("./payer.js").then((module) => module.createPayerCore(config, ledger, wallet, fetchImpl)));
  return {
    core,
    fetch: async (request, signal, context) => (await core()).fetch(request, signal, context),
  };
}

export type { PayerCore };
