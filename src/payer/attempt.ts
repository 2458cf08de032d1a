import type { Address } from "viem";
import { ToolFailure, errorText } from "../errors.js";
import { log } from "../log.js";
import type { Asset, AssetSymbol } from "../assets.js";
import type { CircuitBreaker } from "./breaker.js";
import { budgetRefusal, type BudgetLimits } from "./budget.js";
import { moneyOf, type Money, type PaidCallRecord, type RefusalCode, type SignedEntry } from "./call-record.js";
import { readChallenge, type Offer } from "./challenge.js";
import type { Exchange } from "./exchange.js";
import { pausedReason } from "./pause.js";
import { decide, formatAmount, type PolicyContext } from "./policy.js";
import { releaseExpired } from "./reconcile.js";
import { settlementOf, type ChallengeContext, type Signature, type Signer } from "./signer.js";
import type { LedgerStore } from "./store.js";
import type { CallContext, FinalAnswer, PaymentReceipt } from "./types.js";
import type { WalletReader } from "./wallet.js";

/** What a paid attempt needs that outlives the call. */
export interface PayerParts {
  payer: Address;
  ledger: LedgerStore;
  wallet: WalletReader;
  signer: Signer;
  breaker: CircuitBreaker;
  limits: BudgetLimits;
  /** Prices above these are asked of the user first (TOKEN_METRICS_CONFIRM_ABOVE). */
  confirmAbove: Partial<Record<AssetSymbol, bigint>>;
  approvalTimeoutMs: number;
  /** The policy with the allowed assets' contract facts read (once, retried after a failed read). */
  policy: () => Promise<PolicyContext>;
}

/** One call's side of an attempt. */
export interface AttemptCall {
  record: PaidCallRecord;
  exchange: Exchange;
  context: CallContext;
  /** True once the call was cancelled or ran out of time: nothing more may be sent. */
  stopped: () => boolean;
}

/** How a paid attempt ended. Only "answered" carries data; every other outcome is the tool's error. */
export type AttemptResult =
  /** Nothing was signed (policy, budget, pause, approval, allowance, cancellation). */
  | { kind: "refused"; failure: ToolFailure }
  /** Signed and reserved, never sent (cancelled meanwhile): released at once. */
  | { kind: "never sent"; failure: ToolFailure }
  /** Sent, no complete answer: may have settled. */
  | { kind: "unanswered"; failure: ToolFailure; payment: SentPayment }
  /** Sent, and the API asked for a payment again (402): no second payment in one call. */
  | { kind: "not accepted"; failure: ToolFailure }
  /** The API answered: with data and a settlement, or with an error after the payment. */
  | { kind: "answered"; answer: FinalAnswer & { payment: PaymentReceipt }; offer: Offer };

/**
 * One paid attempt, in the order docs/architecture.md lists it: policy → approval → sign (or take
 * an authorization signed ahead) → reserve (atomically for every process sharing the store) → send →
 * settle and record. At most
 * one signature leaves per call.
 */
export async function payAttempt(
  parts: PayerParts,
  call: AttemptCall,
  offers: readonly Offer[],
  challenge: ChallengeContext,
  knownPrice: boolean,
): Promise<AttemptResult> {
  const ready = await beforeSending(() => prepare(parts, call, offers, challenge, knownPrice));
  return "kind" in ready ? ready : sendAndRecord(parts, call, ready, knownPrice);
}

/** Steps 1 to 4: the payment signed and reserved, ready to send, or why not. */
async function prepare(
  parts: PayerParts,
  call: AttemptCall,
  offers: readonly Offer[],
  challenge: ChallengeContext,
  knownPrice: boolean,
): Promise<AttemptResult | SentPayment> {
  const { record } = call;
  const refused = async (code: RefusalCode, reason: string, message?: string): Promise<AttemptResult> => ({
    kind: "refused",
    failure: await record.refused(code, reason, message),
  });

  const pause = await parts.ledger.pauseState();
  if (pause.paused) return refused("paused", pausedReason(pause));
  const broken = parts.breaker.refusal();
  if (broken) return refused("breaker", broken);
  const decision = decide(offers, await parts.policy());
  if (!decision.pay) return refused("policy", decision.reason);
  const { offer, asset, amount } = decision;
  const money = moneyOf(asset, amount, offer);
  if (offer.method === "permit2") {
    const missing = await permit2Shortfall(parts.wallet, asset, parts.payer, amount);
    if (missing) return refused("permit2", missing);
  }
  const approval = await approve(parts, call, money);
  if (approval) return refused("approval", ...approval);
  if (call.stopped()) return refused("cancelled", "the call was cancelled or ran out of time (TOKEN_METRICS_TIMEOUT_MS) before paying");

  await record.offered(money, knownPrice);
  const reserved = await signAndReserve(parts, call, money, offer, challenge);
  // Refused by the reservation itself: by a budget, or by a pause set meanwhile by another process.
  if ("refusal" in reserved) return refused((await parts.ledger.pauseState()).paused ? "paused" : "budget", reserved.refusal);
  const { signature, signed } = reserved;
  if (call.stopped()) return { kind: "never sent", failure: await record.neverSent(signed, money) };
  await call.context.progress?.(`signed ${money.display} to ${offer.payTo}`);
  return { money, offer, signature, signed };
}

/**
 * The ledger store failing before the signature left (a database down, a disk full): the call
 * fails saying so, and nothing was paid. A reservation it may have written counts until reconciled.
 */
async function beforeSending<T>(work: () => Promise<T>): Promise<T | AttemptResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ToolFailure) throw error;
    log.error(`payment not made: ${errorText(error)}`);
    return { kind: "refused", failure: new ToolFailure(`Payment not made: ${errorText(error)}. Nothing was sent, so nothing was paid.`) };
  }
}

/**
 * Sends again, unchanged, a payment whose answer was lost (see unanswered.ts): nothing is signed
 * or reserved, since the payment already counts as spent. Stopped like a payment by the kill switch.
 */
export async function resendUnanswered(parts: PayerParts, call: AttemptCall, payment: SentPayment): Promise<AttemptResult> {
  const paused = await beforeSending(async () => {
    const pause = await parts.ledger.pauseState();
    return pause.paused ? ({ kind: "refused", failure: await call.record.refused("paused", pausedReason(pause)) } as const) : undefined;
  });
  if (paused) return paused;
  await call.context.progress?.(`sending again the payment of ${payment.money.display} whose answer was lost (payment id ${payment.signature.paymentId})`);
  return sendAndRecord(parts, call, payment, false);
}

/** Asks the user above the approval threshold; the refusal (reason, message) when they do not approve. */
async function approve(parts: PayerParts, { context, record }: AttemptCall, money: Money): Promise<[string, string?] | undefined> {
  const { asset, amount } = money;
  const threshold = parts.confirmAbove[asset.symbol];
  if (threshold === undefined || amount <= threshold) return undefined;
  const question = { endpoint: record.endpoint, price: money.display, threshold: formatAmount(threshold, asset) };
  if (!context.confirm) {
    return [
      `${money.display} is above TOKEN_METRICS_CONFIRM_ABOVE (${question.threshold}) and this client cannot ask you to approve it (no MCP elicitation)`,
      `Payment refused, nothing was signed: ${money.display} is above the approval threshold ${question.threshold} and this MCP client cannot ask you to approve payments. Raise TOKEN_METRICS_CONFIRM_ABOVE (e.g. "${formatAmount(amount, asset)}") to allow such calls.`,
    ];
  }
  // A person's time to answer is not the API's: the call's time limit waits while they think.
  const resumeDeadline = context.pauseDeadline?.();
  const answer = await context.confirm(question).finally(() => resumeDeadline?.());
  if (answer === "declined") return [`declined by the user (${money.display})`];
  if (answer !== "approved")
    return [`the user gave no answer within TOKEN_METRICS_APPROVAL_TIMEOUT_MS (${Math.round(parts.approvalTimeoutMs / 1000)} s) to paying ${money.display}`];
  return undefined;
}

/**
 * Signs, then checks every budget and records the reservation atomically for every process
 * sharing the ledger. Signing comes first (it commits nothing: a signature never sent cannot
 * settle) to keep the reservation short under concurrency.
 */
async function signAndReserve(
  parts: PayerParts,
  call: AttemptCall,
  money: Money,
  offer: Offer,
  challenge: ChallengeContext,
): Promise<{ refusal: string } | { signature: Signature; signed: SignedEntry }> {
  const signature = await parts.signer.sign(offer, challenge);
  const signed = call.record.signed(money, signature);
  const { ledger, limits } = parts;
  const reserve = () => ledger.reserve(signed, (book) => budgetRefusal(book, money.asset, money.amount, limits, ledger.session, call.context.client));
  let refusal = await reserve();
  // Authorizations that expired unsettled (a crash, a lost answer) still hold budget: check
  // them on-chain once (releaseExpired asks the chain only if some are pending) and try again.
  if (refusal !== undefined && (await releaseExpired(ledger, parts.wallet, parts.payer).catch(() => 0)) > 0) refusal = await reserve();
  if (refusal !== undefined) return { refusal };
  return { signature, signed };
}

/** A signed payment and its reservation, as sent. */
export interface SentPayment {
  money: Money;
  offer: Offer;
  signature: Signature;
  signed: SignedEntry;
}

/** Sends the signed payment, then records what the answer proves: settled, not accepted, or unknown. */
async function sendAndRecord(parts: PayerParts, call: AttemptCall, payment: SentPayment, knownPrice: boolean): Promise<AttemptResult> {
  const { record } = call;
  const { money, offer, signed } = payment;
  let answer: Awaited<ReturnType<Exchange["pay"]>>;
  try {
    // The token header names the asset actually paid: a server pricing per token checks against it.
    answer = await call.exchange.pay({ ...payment.signature.headers, "x-payment-token": money.asset.symbol.toLowerCase() });
  } catch (error) {
    parts.breaker.paidWithoutData();
    const reason = error instanceof ToolFailure ? error.message : `no complete answer after the payment was sent: ${errorText(error)}`;
    return { kind: "unanswered", failure: await record.unanswered(signed, money, reason), payment };
  }
  const { response } = answer;
  const settlement = settlementOf(response);
  if (response.ok) parts.breaker.paidWithData();
  else parts.breaker.paidWithoutData();
  if (!response.ok && !settlement) {
    const again =
      response.status === 402
        ? await readChallenge(new Response(answer.text, { status: response.status, headers: response.headers })).catch(() => undefined)
        : undefined;
    const reason = again?.error ?? `HTTP ${response.status} after the payment was sent`;
    await record.notConfirmed(signed, money, reason);
    if (response.status !== 402) return { kind: "answered", answer: { ...answer, payment: record.receipt(money, "may have settled") }, offer };
    const priceChanged = knownPrice && again !== undefined && !again.offers.some((fresh) => sameTerms(fresh, offer));
    return { kind: "not accepted", failure: record.notAccepted(signed, money, reason, priceChanged) };
  }
  const transaction = settlement?.transaction ?? "unknown";
  await record.settled(signed, transaction);
  await call.context.progress?.(`settled, transaction ${transaction}`);
  return { kind: "answered", answer: { ...answer, payment: record.receipt(money, "settled", transaction) }, offer };
}

/** Same payee, asset, network, scheme and amount: a rejection of these terms is not about price. */
function sameTerms(a: Offer, b: Offer): boolean {
  return (
    a.scheme === b.scheme &&
    a.network === b.network &&
    a.asset.toLowerCase() === b.asset.toLowerCase() &&
    a.payTo.toLowerCase() === b.payTo.toLowerCase() &&
    a.amount === b.amount
  );
}

/**
 * Why a Permit2 payment cannot settle now: the wallet has not approved Permit2 for the token (a
 * one-time transaction the user makes, never this server behind their back).
 */
async function permit2Shortfall(wallet: WalletReader, asset: Asset, owner: Address, amount: bigint): Promise<string | undefined> {
  const allowance = await wallet.permit2Allowance(asset.address, owner).catch(() => undefined);
  if (allowance === undefined) return `the ${asset.symbol} Permit2 allowance could not be read at TOKEN_METRICS_RPC_URL`;
  if (allowance >= amount) return undefined;
  return `${asset.symbol} is paid through Permit2 and this wallet has not approved Permit2 for it (allowance ${formatAmount(allowance, asset)}, this call needs ${formatAmount(amount, asset)}). Approve it once with "token-metrics-x402-mcp approve-permit2 --asset ${asset.symbol.toLowerCase()} --amount <${asset.symbol} to allow>" (a transaction paying gas in ETH), then call again`;
}
