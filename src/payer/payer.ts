import { randomUUID } from "node:crypto";
import { parseUnits, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { preparePaymentHeader, signPaymentHeader } from "x402/client";
import { decodeXPaymentResponse } from "x402-fetch";
import { ToolFailure } from "../api/errors.js";
import { sendWithRetries } from "../api/retry.js";
import type { Config } from "../config.js";
import { ASSET_DECIMALS, knownAssets, type AssetSymbol } from "./assets.js";
import { readChallenge } from "./challenge.js";
import type { Ledger } from "./ledger.js";
import { decide, formatAmount, type PolicyContext } from "./policy.js";
import type { PaidFetch, PaymentReceipt } from "./types.js";

export interface Payer {
  readonly account: PrivateKeyAccount;
  readonly policy: PolicyContext;
  readonly fetch: PaidFetch;
}

/**
 * Everything x402: ask with x-coinbase-402, read the 402 challenge, let the policy decide, sign
 * once with the x402 library, retry with X-PAYMENT, record each step in the ledger before
 * moving on. Nothing else in the program signs.
 */
export function createPayer(config: Config, ledger: Ledger, fetchImpl: typeof fetch = fetch): Payer {
  if (!config.privateKey) throw new Error("createPayer needs TOKEN_METRICS_PRIVATE_KEY");
  const account = privateKeyToAccount(config.privateKey.reveal() as Hex);
  const policy = policyFor(config);
  const preferred = policy.allowedAssets[0];

  const paidFetch: PaidFetch = async (request, signal) => {
    const headers: Record<string, string> = { accept: "application/json", "x-coinbase-402": "true" };
    if (preferred) headers["x-payment-token"] = preferred.toLowerCase();
    if (request.body !== undefined) headers["content-type"] = "application/json";
    const send = (extra: Record<string, string> = {}) => () =>
      fetchImpl(request.url, { method: request.method, headers: { ...headers, ...extra }, body: request.body, signal, redirect: "manual" }).then(refuseRedirect);

    const first = await sendWithRetries(send(), signal);
    if (first.response.status !== 402) return first;

    const call = randomUUID();
    const base = { call, endpoint: request.path, network: config.network };
    const challenge = await readChallenge(first.response);
    const decision = decide(challenge.offers, policy);
    if (!decision.pay) {
      await ledger.append({ ...base, event: "refused", reason: decision.reason });
      throw new ToolFailure(`Payment refused, nothing was signed: ${decision.reason}.`);
    }

    const { offer, asset, amount } = decision;
    const money = { asset: asset.symbol, assetAddress: asset.address, amount: amount.toString(), display: formatAmount(amount, asset), payTo: offer.payTo };
    await ledger.append({ ...base, ...money, event: "offered" });
    const unsigned = preparePaymentHeader(account.address, challenge.x402Version, offer);
    const { nonce, validBefore } = (unsigned.payload as { authorization: { nonce: string; validBefore: string } }).authorization;
    const paymentHeader = await signPaymentHeader(account, offer, unsigned);
    const signed = { ...base, ...money, nonce, validBefore };
    await ledger.append({ ...signed, event: "signed" });

    // Retries re-send the same authorization: it can settle at most once, so we never pay twice.
    let paid: Awaited<ReturnType<typeof sendWithRetries>>;
    try {
      paid = await sendWithRetries(send({ "X-PAYMENT": paymentHeader }), signal);
    } catch (error) {
      await ledger.append({ ...signed, event: "failed", reason: `outcome unknown: ${error instanceof Error ? error.message : String(error)}` });
      throw error;
    }
    const attempts = first.attempts + paid.attempts;
    if (paid.response.status === 402) {
      const again = await readChallenge(paid.response).catch(() => undefined);
      const reason = again?.error ?? "the API asked for payment again";
      await ledger.append({ ...signed, event: "failed", reason });
      throw new ToolFailure(
        `The API did not accept the payment of ${money.display}: ${reason}. No second payment is attempted. Check the wallet's balance with get_wallet_status and the network (${config.network}).`,
      );
    }
    if (!paid.response.ok) {
      // x402 servers settle only after a successful answer: an error answer means nothing was charged.
      await ledger.append({ ...signed, event: "failed", reason: `HTTP ${paid.response.status}` });
      return { response: paid.response, attempts };
    }
    const transaction = settlementTransaction(paid.response);
    await ledger.append({ ...signed, event: "settled", transaction });
    const payment: PaymentReceipt = { asset: asset.symbol, amount: money.display.split(" ")[0]!, network: config.network, payTo: offer.payTo, transaction };
    return { response: paid.response, attempts, payment };
  };

  return { account, policy, fetch: paidFetch };
}

export function policyFor(config: Config): PolicyContext {
  const assets = knownAssets(config.network, config.tmaiAddress);
  const maxPerCall: Partial<Record<AssetSymbol, bigint>> = {};
  for (const [symbol, amount] of Object.entries(config.maxPerCall) as Array<[AssetSymbol, string]>) {
    maxPerCall[symbol] = parseUnits(amount, ASSET_DECIMALS[symbol]);
  }
  return {
    network: config.network,
    knownAssets: assets,
    // An allowed asset whose contract we do not know (TMAI without its address) cannot be paid.
    allowedAssets: config.assets.filter((symbol) => assets.some((asset) => asset.symbol === symbol)),
    maxPerCall,
    payees: config.payees,
  };
}

/** A redirect could move a paid request to another host: refuse rather than follow. */
function refuseRedirect(response: Response): Response {
  if (response.status >= 300 && response.status < 400) {
    throw new ToolFailure(`The API answered with a redirect (HTTP ${response.status}) to ${response.headers.get("location") ?? "elsewhere"}; it is not followed for payments. Nothing was paid.`);
  }
  return response;
}

function settlementTransaction(response: Response): string {
  const header = response.headers.get("x-payment-response");
  if (!header) return "unknown";
  try {
    return decodeXPaymentResponse(header).transaction || "unknown";
  } catch {
    return "unknown";
  }
}
