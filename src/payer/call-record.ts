import { randomUUID } from "node:crypto";
import { formatUnits } from "viem";
import { ToolFailure, errorText } from "../errors.js";
import { log } from "../log.js";
import type { Asset } from "../assets.js";
import type { Offer } from "./challenge.js";
import type { NewLedgerEntry } from "./entry.js";
import { formatAmount } from "./policy.js";
import type { Signature } from "./signer.js";
import type { LedgerStore } from "./store.js";
import { moneySpent, type PaymentReceipt } from "./types.js";

/** What one payment moves, as the ledger and the messages name it. */
export interface Money {
  asset: Asset;
  amount: bigint;
  payTo: string;
  /** e.g. "0.017 USDC" */
  display: string;
}

export function moneyOf(asset: Asset, amount: bigint, offer: Offer): Money {
  return { asset, amount, payTo: offer.payTo, display: formatAmount(amount, asset) };
}

/** Why a payment was refused, in one word (the ledger's `code`, by which metrics count refusals). */
export type RefusalCode = "paused" | "breaker" | "policy" | "permit2" | "approval" | "cancelled" | "budget";

export type SignedEntry = NewLedgerEntry & { event: "signed"; nonce: string; validBefore: string };

/**
 * One paid tool call's ledger events and what the user is told about its money, in one place:
 * each step of a payment writes its line here and gets back the words for its outcome ("nothing
 * was signed", "never sent", "may have settled", "settled"), so the wording cannot drift from the
 * ledger's account of the same call.
 */
export class PaidCallRecord {
  readonly call = randomUUID();

  constructor(
    private readonly ledger: LedgerStore,
    private readonly who: { endpoint: string; network: string; payer: string; client?: string },
  ) {}

  get endpoint(): string {
    return this.who.endpoint;
  }

  private get base() {
    return { call: this.call, ...this.who };
  }

  /** Nothing was signed: a refusal line, a warning, and the failure the tool returns. */
  async refused(code: RefusalCode, reason: string, message = `Payment refused, nothing was signed: ${reason}.`): Promise<ToolFailure> {
    await this.ledger.append({ ...this.base, event: "refused", code, reason });
    log.warn(`refused to pay for ${this.who.endpoint}: ${reason}`);
    return new ToolFailure(message);
  }

  /** The policy accepted an offer; what follows is asking, signing and reserving. */
  async offered(money: Money, knownPrice: boolean): Promise<void> {
    await this.ledger.note({
      ...this.base,
      ...ledgerMoney(money),
      event: "offered",
      ...(knownPrice ? { reason: "known price, paid without asking first" } : {}),
    });
  }

  /** The reservation line of a signature: written by `LedgerStore.reserve` before it may leave. */
  signed(money: Money, signature: Signature): SignedEntry {
    return {
      ...this.base,
      ...ledgerMoney(money),
      ...(signature.method === "permit2" ? { method: "permit2" as const } : {}),
      event: "signed",
      nonce: signature.nonce,
      validBefore: signature.validBefore,
    };
  }

  /** Signed and reserved, then cancelled or timed out before sending: certainly unpaid. */
  async neverSent(signed: SignedEntry, money: Money): Promise<ToolFailure> {
    await this.ledger.append({ ...signed, event: "released", reason: "never sent: the call was cancelled or timed out first", proof: "never sent" });
    return new ToolFailure(
      `The call was cancelled or ran out of time (TOKEN_METRICS_TIMEOUT_MS) before the payment of ${money.display} was sent. Nothing was paid.`,
    );
  }

  /** Sent, and no complete answer came back: it may have settled and counts as spent. */
  async unanswered(signed: SignedEntry, money: Money, reason: string): Promise<ToolFailure> {
    await this.appendAfterSending({ ...signed, event: "failed", reason });
    return new ToolFailure(`${reason} ${moneySpent(this.receipt(money, "may have settled"))} It is not retried automatically.`);
  }

  /** Sent, and the API answered with an error and no settlement: the signature may still settle. */
  async notConfirmed(signed: SignedEntry, money: Money, reason: string): Promise<void> {
    // The signature is out: until the chain shows it unused after validBefore it counts as spent.
    await this.appendAfterSending({ ...signed, event: "failed", reason });
    log.warn(`payment of ${money.display} for ${this.who.endpoint} not accepted: ${reason}`);
  }

  /** After `notConfirmed` for a 402: the API asks for another payment, and none is made. */
  notAccepted(signed: SignedEntry, money: Money, reason: string, priceChanged: boolean): ToolFailure {
    const expiresIn = `expires within ${Math.max(0, Number(signed.validBefore) - Math.floor(Date.now() / 1000))} s and counts against the budget until the chain shows it unused`;
    if (priceChanged) {
      return new ToolFailure(
        `The price of ${this.who.endpoint} changed: the API refused the payment of ${money.display} made at the last known price and asks for another. No second payment is made in one call; the price is forgotten, so calling again pays the new price (after the usual checks). The payment sent ${expiresIn}.`,
      );
    }
    return new ToolFailure(
      `The API did not accept the payment of ${money.display}: ${reason}. No second payment is attempted. Check the wallet's balance with get_wallet_status and the network (${this.who.network}). The signed authorization ${expiresIn}.`,
    );
  }

  /** The server reported the transfer. */
  async settled(signed: SignedEntry, transaction: string): Promise<void> {
    await this.appendAfterSending({ ...signed, event: "settled", transaction });
  }

  /**
   * Once the signature has left, a store that fails (a database down) must not hide what happened
   * to the money from the caller: the failure is logged and the payment stays in flight in the
   * store, counted against every budget, until reconcile_payments reads its fate from the chain.
   */
  private async appendAfterSending(entry: SignedEntry | (NewLedgerEntry & { nonce: string })): Promise<void> {
    try {
      await this.ledger.append(entry);
    } catch (error) {
      log.error(
        `the payment ledger could not record "${entry.event}" for the payment of ${entry.display} (nonce ${entry.nonce}): ${errorText(error)}; it counts as in flight until reconcile_payments settles it from the chain`,
      );
    }
  }

  receipt(money: Money, status: PaymentReceipt["status"], transaction = "unknown"): PaymentReceipt {
    return {
      status,
      asset: money.asset.symbol,
      amount: formatUnits(money.amount, money.asset.decimals),
      network: this.who.network,
      payTo: money.payTo,
      transaction,
    };
  }
}

function ledgerMoney(money: Money) {
  return { asset: money.asset.symbol, assetAddress: money.asset.address, amount: money.amount.toString(), display: money.display, payTo: money.payTo };
}
