import { randomUUID } from "node:crypto";
import { formatUnits, parseUnits, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ToolFailure } from "../errors.js";
import { log } from "../log.js";
import { jsonHeaders } from "../net/http.js";
import { sendWithRetries } from "../net/retry.js";
import type { AmountPerAsset, Config } from "../config.js";
import { ASSET_DECIMALS, knownAssets, type Asset, type AssetSymbol } from "../assets.js";
import { CircuitBreaker } from "./breaker.js";
import { budgetRefusal, type BudgetLimits } from "./budget.js";
import { pausedReason } from "./pause.js";
import { readChallenge, type Offer } from "./challenge.js";
import { settlementOf, Signer, type ChallengeContext } from "./signer.js";
import type { LedgerStore } from "./store.js";
import { decide, formatAmount, type PolicyContext } from "./policy.js";
import { releaseExpired } from "./reconcile.js";
import { moneySpent, type CallContext, type PaidFetch, type PaymentReceipt } from "./types.js";
import type { WalletReader } from "./wallet.js";

export interface PayerCore {
  readonly account: PrivateKeyAccount;
  readonly policy: PolicyContext;
  readonly limits: BudgetLimits;
  readonly fetch: PaidFetch;
}

type Send = () => Promise<Response>;

/**
 * Everything x402 (loaded on first use, see index.ts): ask with x-coinbase-402, read the 402
 * challenge (v2 or v1), let the policy decide, ask the user above the threshold, sign once and
 * reserve the budget (under the ledger lock), send PAYMENT-SIGNATURE or X-PAYMENT, record each step
 * before moving on. Nothing else signs.
 */
export function createPayerCore(config: Config, ledger: LedgerStore, wallet: WalletReader, fetchImpl: typeof fetch = fetch): PayerCore {
  if (!config.privateKey) throw new Error("createPayer needs TOKEN_METRICS_PRIVATE_KEY");
  const account = privateKeyToAccount(config.privateKey.reveal() as Hex);
  const policy = policyFor(config);
  const limits: BudgetLimits = {
    session: toBaseUnits(config.sessionBudget),
    daily: toBaseUnits(config.dailyBudget),
    perClient: Object.fromEntries(Object.entries(config.clientBudgets).map(([client, amounts]) => [client, toBaseUnits(amounts)])),
  };
  const breaker = new CircuitBreaker(config.breaker.failures, config.breaker.cooldownMs);
  const confirmAbove = toBaseUnits(config.confirmAbove);
  const preferred = policy.allowedAssets[0];
  const signer = new Signer(account, config.network);
  ledger.ownedBy({ payer: account.address, network: config.network });

  let checked: Promise<PolicyContext> | undefined;
  /**
   * The policy once every allowed asset's contract was read: once, when the reads succeed. A read
   * that failed (the RPC was down) refuses that asset for this call and is tried again next call.
   */
  const policyReady = async () => {
    checked ??= withContractFacts(policy, wallet);
    try {
      return await checked;
    } catch {
      checked = undefined;
      return contractsUnread(policy);
    }
  };

  /**
   * Signs, then checks the budget and records the reservation under the ledger lock, so no
   * process can overspend it. Signing happens before the lock (it commits nothing: a signature
   * that is never sent cannot be settled) to keep the lock short under concurrency.
   */
  async function reserveAndSign(call: string, endpoint: string, client: string | undefined, asset: Asset, amount: bigint, money: Money, offer: Offer, context: ChallengeContext) {
    const signature = await signer.sign(offer, context);
    const signed = {
      call,
      endpoint,
      network: config.network,
      payer: account.address,
      ...(client === undefined ? {} : { client }),
      ...money,
      ...(signature.method === "permit2" ? { method: "permit2" as const } : {}),
      nonce: signature.nonce,
      validBefore: signature.validBefore,
    };
    const attempt = async () => {
      const refusal = await ledger.reserve({ ...signed, event: "signed" }, (book) => budgetRefusal(book, asset, amount, limits, ledger.session, client));
      return refusal === undefined ? { headers: signature.headers, signed } : { refusal };
    };
    let result = await attempt();
    // Authorizations that expired unsettled (a crash, a lost answer) still hold budget: check
    // them on-chain once (releaseExpired asks the chain only if some are pending) and try again.
    if ("refusal" in result && (await releaseExpired(ledger, wallet, account.address).catch(() => 0)) > 0) result = await attempt();
    return result;
  }

  /** Accepted offers by endpoint: a call at a known price signs up front and needs one round trip. */
  const knownPrices = new Map<string, { offer: Offer; context: ChallengeContext; expires: number }>();

  const paidFetch: PaidFetch = async (request, signal, context: CallContext = {}) => {
    const headers = { ...jsonHeaders(request), "x-coinbase-402": "true", ...(preferred ? { "x-payment-token": preferred.toLowerCase() } : {}) };
    // Before a payment is sent, the call stops when it is cancelled; after, only the deadline cuts it.
    const unpaidSignal = context.cancel ? AbortSignal.any([signal, context.cancel]) : signal;
    const stopped = () => unpaidSignal.aborted;
    const send =
      (extra: Record<string, string>, stop: AbortSignal, paid: boolean): Send =>
      () =>
        fetchImpl(request.url, { method: request.method, headers: { ...headers, ...extra }, body: request.body, signal: stop, redirect: "manual" }).then((response) =>
          refuseRedirect(response, paid ? "A signed payment was sent with the request and may have settled; get_spending shows it. Calling again pays again." : "Nothing was paid."),
        );
    const priceKey = `${request.method} ${request.path}`;
    const call = randomUUID();
    const base = { call, endpoint: request.path, network: config.network, payer: account.address, ...(context.client === undefined ? {} : { client: context.client }) };
    const refuse = async (reason: string, message = `Payment refused, nothing was signed: ${reason}.`) => {
      await ledger.append({ ...base, event: "refused", reason });
      log.warn(`refused to pay for ${request.path}: ${reason}`);
      return new ToolFailure(message);
    };

    /** Policy, approval, budget, one signature, the paid request, the ledger: one payment per call, ever. */
    const payOnce = async (offers: readonly Offer[], challenge: ChallengeContext, upFront: boolean): Promise<Outcome> => {
      const pause = await ledger.pauseState();
      const stop = pause.paused ? pausedReason(pause) : breaker.refusal();
      if (stop) throw await refuse(stop);
      const decision = decide(offers, await policyReady());
      if (!decision.pay) throw await refuse(decision.reason);
      const { offer, asset, amount } = decision;
      const money = moneyOf(asset, amount, offer);
      if (offer.method === "permit2") {
        const missing = await permit2Shortfall(wallet, asset, account.address, amount);
        if (missing) throw await refuse(missing);
      }
      const threshold = confirmAbove[asset.symbol];
      if (threshold !== undefined && amount > threshold) {
        const question = { endpoint: request.path, price: money.display, threshold: formatAmount(threshold, asset) };
        if (!context.confirm) {
          throw await refuse(
            `${money.display} is above TOKEN_METRICS_CONFIRM_ABOVE (${question.threshold}) and this client cannot ask you to approve it (no MCP elicitation)`,
            `Payment refused, nothing was signed: ${money.display} is above the approval threshold ${question.threshold} and this MCP client cannot ask you to approve payments. Raise TOKEN_METRICS_CONFIRM_ABOVE (e.g. "${formatAmount(amount, asset)}") to allow such calls.`,
          );
        }
        // A person's time to answer is not the API's: the call's time limit waits while they think.
        const resumeDeadline = context.pauseDeadline?.();
        const answer = await context.confirm(question).finally(() => resumeDeadline?.());
        if (answer === "declined") throw await refuse(`declined by the user (${money.display})`);
        if (answer !== "approved") throw await refuse(`the user gave no answer within TOKEN_METRICS_APPROVAL_TIMEOUT_MS (${Math.round(config.approvalTimeoutMs / 1000)} s) to paying ${money.display}`);
      }

      if (stopped()) throw await refuse("the call was cancelled or ran out of time (TOKEN_METRICS_TIMEOUT_MS) before paying");
      await ledger.append({ ...base, ...money, event: "offered", ...(upFront ? { reason: "known price, paid up front" } : {}) });
      const reserved = await reserveAndSign(call, request.path, context.client, asset, amount, money, offer, challenge);
      if ("refusal" in reserved) throw await refuse(reserved.refusal!);
      const { headers: paymentHeaders, signed } = reserved;
      if (stopped()) {
        // Cancelled or timed out (a slow approval) before the signature left: certainly unpaid.
        await ledger.append({ ...signed, event: "released", reason: "never sent: the call was cancelled or timed out first", proof: "never sent" });
        throw new ToolFailure(`The call was cancelled or ran out of time (TOKEN_METRICS_TIMEOUT_MS) before the payment of ${money.display} was sent. Nothing was paid.`);
      }
      await context.progress?.(`signed ${money.display} to ${offer.payTo}`);
      const receipt = (status: PaymentReceipt["status"], transaction = "unknown"): PaymentReceipt => ({
        status,
        asset: asset.symbol,
        amount: formatUnits(amount, asset.decimals),
        network: config.network,
        payTo: offer.payTo,
        transaction,
      });

      // Retries re-send the same authorization, which can settle at most once; none once it has.
      // The token header names the asset actually paid: a server pricing per token checks against it.
      let paid: Awaited<ReturnType<typeof sendWithRetries>>;
      let body: ArrayBuffer;
      try {
        paid = await sendWithRetries(send({ ...paymentHeaders, "x-payment-token": asset.symbol.toLowerCase() }, signal, true), signal, (response) => !settlementOf(response));
        // Read the whole answer before calling the payment settled: a receipt must come with its data.
        body = await paid.response.arrayBuffer();
      } catch (error) {
        const reason = error instanceof ToolFailure ? error.message : `no complete answer after the payment was sent: ${error instanceof Error ? error.message : String(error)}`;
        await ledger.append({ ...signed, event: "failed", reason });
        breaker.paidWithoutData();
        throw new ToolFailure(`${reason} ${moneySpent(receipt("may have settled"))} It is not retried automatically.`);
      }
      const response = new Response(body, { status: paid.response.status, statusText: paid.response.statusText, headers: paid.response.headers });
      const settlement = settlementOf(response);
      if (!response.ok) {
        knownPrices.delete(priceKey);
        breaker.paidWithoutData();
      } else breaker.paidWithData();
      if (!response.ok && !settlement) {
        const again = response.status === 402 ? await readChallenge(response).catch(() => undefined) : undefined;
        const reason = again?.error ?? `HTTP ${response.status} after the payment was sent`;
        // The signature is out: until the chain shows it unused after validBefore it counts as spent.
        await ledger.append({ ...signed, event: "failed", reason });
        log.warn(`payment of ${money.display} for ${request.path} not accepted: ${reason}`);
        if (response.status !== 402) return { response, attempts: paid.attempts, payment: receipt("may have settled") };
        const expiresIn = `expires within ${Number(signed.validBefore) - Math.floor(Date.now() / 1000)} s and counts against the budget until the chain shows it unused`;
        if (upFront && again && !again.offers.some((fresh) => sameTerms(fresh, offer))) {
          throw new ToolFailure(
            `The price of ${request.path} changed: the API refused the payment of ${money.display} made up front at the last known price and asks for another. No second payment is made in one call; the price is forgotten, so calling again pays the new price (after the usual checks). The payment sent ${expiresIn}.`,
          );
        }
        throw new ToolFailure(
          `The API did not accept the payment of ${money.display}: ${reason}. No second payment is attempted. Check the wallet's balance with get_wallet_status and the network (${config.network}). The signed authorization ${expiresIn}.`,
        );
      }
      const transaction = settlement?.transaction ?? "unknown";
      await ledger.append({ ...signed, event: "settled", transaction });
      await context.progress?.(`settled, transaction ${transaction}`);
      if (!response.ok) {
        log.warn(`paid ${money.display} for ${request.path}, transaction ${transaction}, but the API answered HTTP ${response.status}`);
        return { response, attempts: paid.attempts, payment: receipt("settled", transaction) };
      }
      knownPrices.set(priceKey, { offer, context: challenge, expires: Date.now() + KNOWN_PRICE_TTL_MS });
      signer.presign(offer, challenge);
      log.info(`paid ${money.display} for ${request.path}${upFront ? " (up front)" : ""}, transaction ${transaction}`);
      return { response, attempts: paid.attempts, payment: receipt("settled", transaction) };
    };

    const known = knownPrices.get(priceKey);
    if (known && known.expires > Date.now()) {
      await context.progress?.("price known, paying up front");
      return payOnce([known.offer], known.context, true);
    }

    let asked = await sendWithRetries(send({}, unpaidSignal, false), unpaidSignal);
    let attempts = asked.attempts;
    if (asked.response.status !== 402) return asked;
    let challenge = await readChallenge(asked.response);
    // Asked for the preferred asset and offered nothing payable (a v1 server offers only the token
    // asked for, and TMAI cannot move by EIP-3009): ask once more for USDC when the user allows it.
    if (preferred !== "USDC" && policy.allowedAssets.includes("USDC") && !decide(challenge.offers, await policyReady()).pay) {
      asked = await sendWithRetries(send({ "x-payment-token": "usdc" }, unpaidSignal, false), unpaidSignal);
      attempts += asked.attempts;
      if (asked.response.status !== 402) return { ...asked, attempts };
      challenge = await readChallenge(asked.response);
    }
    await context.progress?.("payment challenge received");
    const result = await payOnce(challenge.offers, challenge, false);
    return { ...result, attempts: result.attempts + attempts };
  };

  return { account, policy, limits, fetch: paidFetch };
}

/** How long an accepted price is trusted for paying up front; the server still has the last word. */
const KNOWN_PRICE_TTL_MS = 10 * 60_000;

type Outcome = Awaited<ReturnType<PaidFetch>>;

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

type Money = ReturnType<typeof moneyOf>;

function moneyOf(asset: Asset, amount: bigint, offer: Offer) {
  return { asset: asset.symbol, assetAddress: asset.address, amount: amount.toString(), display: formatAmount(amount, asset), payTo: offer.payTo };
}

function toBaseUnits(amounts: AmountPerAsset): Partial<Record<AssetSymbol, bigint>> {
  return Object.fromEntries(
    Object.entries(amounts).map(([symbol, amount]) => [symbol, parseUnits(amount, ASSET_DECIMALS[symbol as AssetSymbol])]),
  );
}

export function policyFor(config: Config): PolicyContext {
  const assets = knownAssets(config.network, config.tmaiAddress);
  return {
    network: config.network,
    knownAssets: assets,
    // An allowed asset whose contract we do not know (TMAI without its address) cannot be paid.
    allowedAssets: config.assets.filter((symbol) => assets.some((asset) => asset.symbol === symbol)),
    maxPerCall: toBaseUnits(config.maxPerCall),
    payees: config.payees,
  };
}

/** Allowed assets whose facts are not published (TMAI) and must be read from their contract. */
const needsContractFacts = (policy: PolicyContext, asset: Asset) => !asset.eip712 && policy.allowedAssets.includes(asset.symbol);

/**
 * Fills in what is not published about an allowed asset (TMAI's EIP-712 domain) from its own
 * contract, and marks it unusable when the contract contradicts what budgets assume (decimals).
 * Rejects when a contract cannot be read.
 */
export async function withContractFacts(policy: PolicyContext, wallet: WalletReader): Promise<PolicyContext> {
  const knownAssets = await Promise.all(
    policy.knownAssets.map(async (asset): Promise<Asset> => {
      if (!needsContractFacts(policy, asset)) return asset;
      const facts = await wallet.tokenFacts(asset.address);
      if (facts.decimals !== asset.decimals) {
        return { ...asset, unusable: `its contract ${asset.address} reports ${facts.decimals} decimals, not the ${asset.decimals} that amounts and budgets are read in` };
      }
      const known = { ...asset, eip3009: facts.eip3009 };
      return facts.version === undefined ? known : { ...known, eip712: { name: facts.name, version: facts.version } };
    }),
  );
  return { ...policy, knownAssets };
}

/** The policy when those contracts could not be read: their assets are refused, saying why. */
export function contractsUnread(policy: PolicyContext): PolicyContext {
  return {
    ...policy,
    knownAssets: policy.knownAssets.map((asset) =>
      needsContractFacts(policy, asset) ? { ...asset, unusable: `its contract ${asset.address} could not be read at TOKEN_METRICS_RPC_URL (is TOKEN_METRICS_TMAI_ADDRESS right?)` } : asset,
    ),
  };
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

/** A redirect could move a paid request to another host: refuse rather than follow. */
function refuseRedirect(response: Response, consequence: string): Response {
  if (response.status >= 300 && response.status < 400) {
    void response.body?.cancel();
    throw new ToolFailure(`The API answered with a redirect (HTTP ${response.status}) to ${response.headers.get("location") ?? "elsewhere"}; it is not followed for payments. ${consequence}`);
  }
  return response;
}
