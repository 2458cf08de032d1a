/**
 * What happened to one payment, one line each, in order. "released" is written by
 * reconciliation when the chain proves a signed authorization can no longer settle.
 */
export type LedgerEventKind = "offered" | "refused" | "signed" | "settled" | "failed" | "released";

export interface LedgerEntry {
  ts: string;
  event: LedgerEventKind;
  /** The server process that wrote it: "this session" means this process. */
  session: string;
  /** The paying wallet's address. */
  payer?: string;
  /** The authenticated client that made the call, when there is one (HTTP with tokens or OAuth). */
  client?: string;
  /** One tool call; all its events share it. */
  call: string;
  endpoint: string;
  network: string;
  asset?: string;
  assetAddress?: string;
  /** Base units, as a decimal string (bigint-safe). */
  amount?: string;
  /** Human form, e.g. "0.017 USDC". */
  display?: string;
  payTo?: string;
  /** How the payment moves the token: absent for EIP-3009, "permit2" for Permit2 (nonce from its bitmap). */
  method?: "permit2";
  nonce?: string;
  /** Seconds since the epoch, as a decimal string. */
  validBefore?: string;
  transaction?: string;
  reason?: string;
  /** On "refused": a short fixed name for the reason (metrics count refusals by it), when the writer gives one. */
  code?: string;
  /** On "released": how we know it can never settle ("never sent", or the block that proved it). */
  proof?: string;
}

export type NewLedgerEntry = Omit<LedgerEntry, "ts" | "session">;
