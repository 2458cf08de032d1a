import type { Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Config } from "../config.js";
import { log } from "../log.js";
import { readToEnd } from "../net/http.js";
import { payAttempt, resendUnanswered, type AttemptResult, type PayerParts } from "./attempt.js";
import { CircuitBreaker } from "./breaker.js";
import type { BudgetLimits } from "./budget.js";
import { PaidCallRecord } from "./call-record.js";
import { readChallenge, type Offer } from "./challenge.js";
import { Exchange, type Answer } from "./exchange.js";
import { KnownPrices } from "./known-prices.js";
import { decide, type PolicyContext } from "./policy.js";
import { contractsUnread, limitsFor, policyFor, toBaseUnits, withContractFacts } from "./rules.js";
import { Signer, type ChallengeContext } from "./signer.js";
import type { LedgerStore } from "./store.js";
import type { PaidFetch } from "./types.js";
import { UnansweredPayments } from "./unanswered.js";
import type { WalletReader } from "./wallet.js";

export interface PayerCore {
  readonly account: PrivateKeyAccount;
  readonly policy: PolicyContext;
  readonly limits: BudgetLimits;
  readonly fetch: PaidFetch;
}

/**
 * Everything x402 (loaded on first use, see index.ts). A call at a known price is one paid
 * attempt; any other call first asks (unpaid), reads the 402 challenge (v2 or v1) and then makes
 * one paid attempt (attempt.ts). Nothing else signs.
 */
export function createPayerCore(config: Config, ledger: LedgerStore, wallet: WalletReader, fetchImpl: typeof fetch = fetch): PayerCore {
  if (!config.privateKey) throw new Error("createPayer needs TOKEN_METRICS_PRIVATE_KEY");
  const account = privateKeyToAccount(config.privateKey.reveal() as Hex);
  const policy = policyFor(config);
  const preferred = policy.allowedAssets[0];
  ledger.ownedBy({ payer: account.address, network: config.network });

  let checked: Promise<PolicyContext> | undefined;
  const parts: PayerParts = {
    payer: account.address,
    ledger,
    wallet,
    signer: new Signer(account, config.network),
    breaker: new CircuitBreaker(config.breaker.failures, config.breaker.cooldownMs),
    limits: limitsFor(config),
    confirmAbove: toBaseUnits(config.confirmAbove),
    approvalTimeoutMs: config.approvalTimeoutMs,
    /**
     * The policy once every allowed asset's contract was read: once, when the reads succeed. A read
     * that failed (the RPC was down) refuses that asset for this call and is tried again next call.
     */
    policy: async () => {
      checked ??= withContractFacts(policy, wallet);
      try {
        return await checked;
      } catch {
        checked = undefined;
        return contractsUnread(policy);
      }
    },
  };
  const knownPrices = new KnownPrices();
  const unanswered = new UnansweredPayments();

  const paidFetch: PaidFetch = async (request, signal, context = {}) => {
    // Before a payment is sent, the call stops when it is cancelled; after, only the deadline cuts it.
    const unpaidSignal = context.cancel ? AbortSignal.any([signal, context.cancel]) : signal;
    const exchange = new Exchange(request, fetchImpl, unpaidSignal, signal, preferred);
    const record = new PaidCallRecord(ledger, {
      endpoint: request.path,
      network: config.network,
      payer: account.address,
      ...(context.client === undefined ? {} : { client: context.client }),
    });
    const call = { record, exchange, context, stopped: () => unpaidSignal.aborted };
    const priceKey = `${request.method} ${request.path}`;
    const requestKey = `${request.method} ${request.url} ${request.body ?? ""}`;

    // Which of the three ways: send a lost payment again, pay a known price, or ask and pay.
    let result: AttemptResult;
    let asked = 0;
    /** The challenge paid (echoed in the payment), to remember with the price; none for a lost payment sent again. */
    let paidChallenge: ChallengeContext | undefined;
    const lost = unanswered.take(requestKey);
    const known = lost ? undefined : knownPrices.get(priceKey);
    if (lost) result = await resendUnanswered(parts, call, lost);
    else if (known) {
      await context.progress?.("price known, paying without asking first");
      paidChallenge = known.context;
      result = await payAttempt(parts, call, [known.offer], known.context, true);
    } else {
      const terms = await askPrice(exchange);
      if ("answer" in terms) return readToEnd(terms.answer);
      asked = terms.asked;
      await context.progress?.("payment challenge received");
      paidChallenge = terms.context;
      result = await payAttempt(parts, call, terms.offers, terms.context, false);
    }

    if (result.kind === "unanswered") unanswered.remember(requestKey, result.payment);
    if (result.kind === "not accepted" || (result.kind === "answered" && !result.answer.response.ok)) knownPrices.forget(priceKey);
    if (result.kind !== "answered") throw result.failure;
    const { response, payment } = result.answer;
    if (response.ok && paidChallenge) {
      // Accepted: the price is known for the next 10 minutes, and its next authorization is signed ahead.
      knownPrices.remember(priceKey, { offer: result.offer, context: paidChallenge });
      parts.signer.presign(result.offer, paidChallenge);
    }
    if (response.ok) {
      log.info(`paid ${payment.amount} ${payment.asset} for ${request.path}${known ? " (known price)" : ""}, transaction ${payment.transaction}`);
    } else if (payment.status === "settled") {
      log.warn(`paid ${payment.amount} ${payment.asset} for ${request.path}, transaction ${payment.transaction}, but the API answered HTTP ${response.status}`);
    }
    return { ...result.answer, attempts: result.answer.attempts + asked };
  };

  /** Asks without paying: the final answer when it is not a 402, else the offers to choose from. */
  async function askPrice(exchange: Exchange): Promise<{ answer: Answer } | { offers: Offer[]; context: ChallengeContext; asked: number }> {
    let answer = await exchange.ask();
    let asked = answer.attempts;
    if (answer.response.status !== 402) return { answer };
    let challenge = await readChallenge(answer.response);
    // Asked for the preferred asset and offered nothing payable (a v1 server offers only the token
    // asked for, and TMAI cannot move by EIP-3009): ask once more for USDC when the user allows it.
    if (preferred !== "USDC" && policy.allowedAssets.includes("USDC") && !decide(challenge.offers, await parts.policy()).pay) {
      answer = await exchange.ask({ "x-payment-token": "usdc" });
      asked += answer.attempts;
      if (answer.response.status !== 402) return { answer: { ...answer, attempts: asked } };
      challenge = await readChallenge(answer.response);
    }
    return { offers: challenge.offers, context: { resource: challenge.resource, extensions: challenge.extensions }, asked };
  }

  return { account, policy, limits: parts.limits, fetch: paidFetch };
}
