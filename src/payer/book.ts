import type { LedgerEntry } from "./entry.js";

/**
 * Where one signed payment stands. "pending": signed, outcome not known yet (in flight, timed
 * out, crashed, or refused by a server that might still settle it): it counts as spent until the
 * chain says otherwise. "released": certainly never settled.
 */
export type PaymentStatus = "pending" | "settled" | "released";

export interface PaymentRecord {
  call: string;
  session: string;
  payer?: string;
  client?: string;
  endpoint: string;
  network: string;
  asset: string;
  assetAddress: string;
  amount: bigint;
  nonce: string;
  /** Seconds since the epoch; after it the authorization can never settle. */
  validBefore: number;
  signedAt: Date;
  payTo?: string;
  display?: string;
  method?: "permit2";
  status: PaymentStatus;
  transaction?: string;
  reason?: string;
  /** For a released payment: how we know it can never settle. */
  proof?: string;
}

/**
 * The state of every payment, folded from ledger lines in order. The ledger is the only truth;
 * this is a cache of it that any process can rebuild (a restart replays the file).
 */
/** Whose payments a book counts. */
export interface Owner {
  payer: string;
  network: string;
}

export class PaymentBook {
  constructor(private readonly owner?: Owner) {}

  /** By authorization nonce. */
  readonly payments = new Map<string, PaymentRecord>();
  /** Running totals of settled plus pending amounts, so budget checks stay O(1) as the ledger grows. */
  private readonly bySession = new Map<string, Map<string, bigint>>();
  /** The same by time slot of the signature (WINDOW_SLOT_MS), for the rolling daily window. */
  private readonly bySlot = new Map<number, Map<string, bigint>>();
  /** The same again per authenticated client, for per-client daily budgets. */
  private readonly byClientSlot = new Map<string, Map<number, Map<string, bigint>>>();
  private lastSlot = 0;

  apply(entry: LedgerEntry): void {
    if (entry.event === "signed" && entry.asset && entry.amount && entry.nonce && entry.validBefore) {
      if (this.payments.has(entry.nonce) || !this.owns(entry)) return;
      const payment: PaymentRecord = {
        call: entry.call,
        session: entry.session,
        payer: entry.payer,
        client: entry.client,
        endpoint: entry.endpoint,
        network: entry.network,
        asset: entry.asset,
        assetAddress: entry.assetAddress ?? "",
        amount: BigInt(entry.amount),
        nonce: entry.nonce,
        validBefore: Number(entry.validBefore),
        signedAt: new Date(entry.ts),
        payTo: entry.payTo,
        display: entry.display,
        method: entry.method,
        status: "pending",
      };
      this.payments.set(entry.nonce, payment);
      this.count(payment, payment.amount);
      return;
    }
    // Keyed by nonce: one tool call can sign twice (the price changed under a payment at a known price).
    const payment = entry.nonce ? this.payments.get(entry.nonce) : undefined;
    if (!payment) return;
    if (entry.event === "settled") {
      // Settled after all (found on-chain after a release): it counts again.
      if (payment.status === "released") this.count(payment, payment.amount);
      payment.status = "settled";
      payment.transaction = entry.transaction;
    } else if (entry.event === "released" && payment.status === "pending") {
      payment.status = "released";
      payment.reason = entry.reason;
      payment.proof = entry.proof;
      this.count(payment, -payment.amount);
    } else if (entry.event === "failed") {
      payment.reason = entry.reason; // stays pending: a server that failed may still settle it
    }
  }

  /**
   * Settled plus pending amounts of an asset for one session, or signed since a moment. The
   * moment is rounded down to its time slot, so a window counts a little more, never less: at
   * most one slot (15 min) of extra history, looked up in a bounded number of steps.
   */
  committed(asset: string, filter: { session: string } | { since: Date; client?: string }): bigint {
    if ("session" in filter) return this.bySession.get(filter.session)?.get(asset) ?? 0n;
    const slots = filter.client === undefined ? this.bySlot : this.byClientSlot.get(filter.client);
    if (!slots) return 0n;
    const first = slotOf(filter.since);
    let total = 0n;
    // Whichever is shorter: the slots of the window, or every slot seen (a clock far ahead).
    if (this.lastSlot - first <= slots.size) {
      for (let slot = first; slot <= this.lastSlot; slot++) total += slots.get(slot)?.get(asset) ?? 0n;
    } else {
      for (const [slot, totals] of slots) if (slot >= first) total += totals.get(asset) ?? 0n;
    }
    return total;
  }

  /** Lines without a payer (older ledgers) are counted: when in doubt, money counts as spent. */
  private owns(entry: LedgerEntry): boolean {
    if (!this.owner) return true;
    return entry.network === this.owner.network && (!entry.payer || entry.payer.toLowerCase() === this.owner.payer.toLowerCase());
  }

  private count(payment: PaymentRecord, delta: bigint): void {
    addTo(this.bySession, payment.session, payment.asset, delta);
    const slot = slotOf(payment.signedAt);
    addTo(this.bySlot, slot, payment.asset, delta);
    if (payment.client !== undefined) {
      const slots = this.byClientSlot.get(payment.client) ?? new Map<number, Map<string, bigint>>();
      addTo(slots, slot, payment.asset, delta);
      this.byClientSlot.set(payment.client, slots);
    }
    this.lastSlot = Math.max(this.lastSlot, slot);
  }

  select(filter: { session?: string; since?: Date; status?: PaymentStatus } = {}): PaymentRecord[] {
    return [...this.payments.values()].filter(
      (payment) =>
        (!filter.session || payment.session === filter.session) &&
        (!filter.since || payment.signedAt >= filter.since) &&
        (!filter.status || payment.status === filter.status),
    );
  }
}

function addTo<K>(index: Map<K, Map<string, bigint>>, key: K, asset: string, delta: bigint): void {
  const totals = index.get(key) ?? new Map<string, bigint>();
  totals.set(asset, (totals.get(asset) ?? 0n) + delta);
  index.set(key, totals);
}

/**
 * The ledger fields that name a payment, as its "signed" line had them: what a later line about
 * it (settled, released) repeats, and what a replaced ledger is given back.
 */
export function paymentFields(payment: PaymentRecord) {
  return {
    call: payment.call,
    payer: payment.payer,
    client: payment.client,
    endpoint: payment.endpoint,
    network: payment.network,
    asset: payment.asset,
    assetAddress: payment.assetAddress,
    amount: payment.amount.toString(),
    display: payment.display,
    payTo: payment.payTo,
    method: payment.method,
    nonce: payment.nonce,
    validBefore: String(payment.validBefore),
  };
}

/** Granularity of the rolling daily window. */
const WINDOW_SLOT_MS = 15 * 60_000;
const slotOf = (at: Date) => Math.floor(at.getTime() / WINDOW_SLOT_MS);

/** The daily budget is a rolling 24 hours, so it cannot be spent twice across midnight. */
export const DAILY_WINDOW_MS = 24 * 60 * 60_000;
export const dailyWindowStart = (now = new Date()) => new Date(now.getTime() - DAILY_WINDOW_MS);
