import { TokenMetricsClient } from "./api/client.js";
import { modeOf, type Config, type Mode } from "./config.js";
import { createPayer, type Payer } from "./payer/index.js";
import { openLedger } from "./payer/open-ledger.js";
import type { LedgerStore } from "./payer/store.js";
import { WalletReader } from "./payer/wallet.js";

/**
 * What outlives one MCP connection: the ledger, the payer (and so the budgets) and the API client.
 * Over HTTP every connection's server shares one of these, so limits hold across connections.
 */
export interface Services {
  config: Config;
  /** Decided once here; every part that behaves by mode reads this. */
  mode: Mode;
  client: TokenMetricsClient;
  ledger: LedgerStore;
  wallet: WalletReader;
  /** Present exactly in x402 mode. */
  payer?: Payer;
  /** An invalid configuration, reported by every tool call so the handshake still works. */
  configProblem?: string;
}

export function createServices(config: Config, options: { fetch?: typeof fetch; configProblem?: string } = {}): Services {
  const mode = modeOf(config);
  const ledger = openLedger(config.ledgerPath);
  const wallet = new WalletReader(config.rpcUrl.reveal());
  const payer = mode === "x402" ? createPayer(config, ledger, wallet, options.fetch) : undefined;
  const client = new TokenMetricsClient(config, mode, payer?.fetch, options.fetch);
  return { config, mode, client, ledger, wallet, payer, configProblem: options.configProblem };
}
