/**
 * The sandbox in x402 v2 mode, paid by the unmodified v2 client libraries (@x402/fetch +
 * @x402/evm): USDC through EIP-3009, TMAI (a plain ERC-20) through Permit2 and the x402 exact
 * Permit2 proxy. Every payment is checked on chain to the base unit. Also: v1 mode still speaks v1.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from "@x402/core/http";
import type { PaymentRequired } from "@x402/core/types";
import { PERMIT2_ADDRESS, createPermit2ApprovalTx, getPermit2AllowanceReadParams } from "@x402/evm";
import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { createWalletClient, getAddress, http, parseAbi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import { compileSandboxContract } from "../sandbox/token-contract.js";

const NETWORK = "eip155:84532";
const BASE_SEPOLIA_USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
const PAID_PATH = "/trading-signals?symbol=btc"; // $0.017 in the price table
const USDC_PRICE = 17_000n; // $0.017 in USDC base units (6 decimals)
const TMAI_PRICE = 153n * 10n ** 14n; // 0.0153 TMAI (18 decimals): 10% less
const X402_HEADERS = { "x-coinbase-402": "true" };

const approveAbi = parseAbi(["function approve(address spender, uint256 amount) returns (bool)"]);

describe("sandbox in x402 v2 mode", () => {
  let sandbox: Sandbox;
  let usdc: Address;
  let tmai: Address;
  let payer: Address;
  let payTo: Address;
  /** fetch that pays 402s like any @x402/fetch user would, with the sandbox's payer key. */
  let payingFetch: typeof fetch;
  /** Every PAYMENT-SIGNATURE header @x402/fetch sent, in order, so a test can replay one. */
  const sentPayments: string[] = [];

  const url = (path: string) => `${sandbox.info.apiBaseUrl}${path}`;
  const balances = async (asset: Address) => ({
    payer: await sandbox.chain.balanceOf(asset, payer),
    payTo: await sandbox.chain.balanceOf(asset, payTo),
  });
  const payerWallet = () =>
    createWalletClient({
      account: privateKeyToAccount(sandbox.info.payerPrivateKey as Hex),
      chain: sandbox.chain.chain,
      transport: http(sandbox.chain.rpcUrl),
    });
  const unpaid = async (headers: Record<string, string> = {}) => {
    const response = await fetch(url(PAID_PATH), { headers: { ...X402_HEADERS, ...headers } });
    const header = response.headers.get("payment-required");
    return { response, challenge: header ? decodePaymentRequiredHeader(header) : undefined };
  };

  before(async () => {
    sandbox = await startSandbox({ x402: "v2" });
    ({ usdc, tmai } = sandbox.chain);
    payer = sandbox.chain.payerAddress;
    payTo = sandbox.chain.payTo;
    const account = privateKeyToAccount(sandbox.info.payerPrivateKey as Hex);
    const client = new x402Client();
    registerExactEvmScheme(client, { signer: account, networks: [NETWORK] });
    // The client's default spend controls allow only its built-in assets (USDC); TMAI is opted in.
    client.setSpendControls({ allowedAssets: [{ network: NETWORK, asset: tmai, maxAmountPerPayment: TMAI_PRICE.toString() }] });
    const recordingFetch: typeof fetch = async (input, init) => {
      const payment = input instanceof Request ? input.headers.get("payment-signature") : null;
      if (payment) sentPayments.push(payment);
      return fetch(input, init);
    };
    payingFetch = wrapFetchWithPayment(recordingFetch, client);
  });

  after(async () => {
    await sandbox?.stop();
  });

  test("describes itself as x402 v2 on eip155:84532, TMAI a plain ERC-20 paid through Permit2", () => {
    assert.equal(sandbox.info.x402Version, 2);
    assert.equal(sandbox.info.network, NETWORK);
    assert.equal(sandbox.info.facilitatorUrl, undefined);
    assert.equal(getAddress(sandbox.info.assets.usdc), BASE_SEPOLIA_USDC);
    assert.equal(sandbox.chain.tokens.tmai.transferMethod, "permit2");
  });

  test("TMAI's contract is a plain ERC-20: no EIP-3009, no EIP-2612 permit", async () => {
    const { abi } = await compileSandboxContract("SandboxErc20");
    const functions = new Set(abi.flatMap((item) => (item.type === "function" ? [item.name] : [])));
    for (const name of ["transfer", "transferFrom", "approve", "allowance", "balanceOf", "decimals"]) assert.ok(functions.has(name), name);
    for (const name of ["transferWithAuthorization", "receiveWithAuthorization", "permit", "nonces", "DOMAIN_SEPARATOR"]) {
      assert.ok(!functions.has(name), name);
    }
    const decimals = await sandbox.chain.publicClient.readContract({
      address: tmai,
      abi: parseAbi(["function decimals() view returns (uint8)"]),
      functionName: "decimals",
    });
    assert.equal(decimals, 18);
  });

  test("an unpaid call gets 402 with a PAYMENT-REQUIRED header: v2, CAIP-2, both assets, the asked-for one first", async () => {
    const { response, challenge } = await unpaid();
    assert.equal(response.status, 402);
    assert.ok(challenge, "PAYMENT-REQUIRED header");
    assert.equal(challenge.x402Version, 2);
    assert.equal(challenge.resource?.url, url(PAID_PATH));
    const [first, second] = challenge.accepts;
    assert.equal(challenge.accepts.length, 2);
    assert.deepEqual(
      { scheme: first?.scheme, network: first?.network, asset: getAddress(first?.asset ?? "0x"), amount: first?.amount, payTo: first?.payTo },
      { scheme: "exact", network: NETWORK, asset: BASE_SEPOLIA_USDC, amount: USDC_PRICE.toString(), payTo },
    );
    assert.deepEqual(first?.extra, { name: "USDC", version: "2" });
    assert.deepEqual(
      challenge.accepts.map((offer) => offer.maxTimeoutSeconds),
      [60, 60],
    ); // as in v1
    assert.deepEqual(
      { network: second?.network, asset: second?.asset, amount: second?.amount, method: second?.extra?.assetTransferMethod },
      { network: NETWORK, asset: tmai, amount: TMAI_PRICE.toString(), method: "permit2" },
    );

    const asTmai = await unpaid({ "x-payment-token": "tmai" });
    assert.deepEqual(
      asTmai.challenge?.accepts.map((offer) => offer.asset),
      [tmai, first?.asset],
    );

    const unknown = await unpaid({ "x-payment-token": "eth" });
    assert.equal(unknown.response.status, 400);
    assert.equal(unknown.challenge, undefined);
  });

  test("USDC is paid through EIP-3009: 200, PAYMENT-RESPONSE, payer -price and payee +price on chain", async () => {
    const before = await balances(usdc);
    const settledBefore = sandbox.settledCount();
    const response = await payingFetch(url(PAID_PATH), { headers: X402_HEADERS });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as { success: boolean }).success, true);
    const header = response.headers.get("payment-response");
    assert.ok(header, "PAYMENT-RESPONSE header");
    const settlement = decodePaymentResponseHeader(header);
    assert.equal(settlement.success, true);
    assert.equal(settlement.network, NETWORK);
    assert.equal(getAddress(settlement.payer ?? "0x"), payer);
    assert.match(settlement.transaction, /^0x[0-9a-f]{64}$/);
    const receipt = await sandbox.chain.publicClient.getTransactionReceipt({ hash: settlement.transaction as Hex });
    assert.equal(receipt.status, "success");

    const now = await balances(usdc);
    assert.equal(now.payer, before.payer - USDC_PRICE);
    assert.equal(now.payTo, before.payTo + USDC_PRICE);
    assert.equal(sandbox.settledCount(), settledBefore + 1);
    assert.equal(sandbox.api.requests.at(-1)?.hasPaymentHeader, true);
  });

  test("concurrent USDC payments all settle, each for exactly the price", async () => {
    const before = await balances(usdc);
    const responses = await Promise.all(Array.from({ length: 8 }, () => payingFetch(url(PAID_PATH), { headers: X402_HEADERS })));
    assert.deepEqual(
      responses.map((response) => response.status),
      Array(8).fill(200),
    );
    const now = await balances(usdc);
    assert.equal(now.payer, before.payer - 8n * USDC_PRICE);
    assert.equal(now.payTo, before.payTo + 8n * USDC_PRICE);
  });

  test("TMAI through Permit2: refused while Permit2 has no allowance (nothing moves), settled once approved", async () => {
    const tmaiCall = () => payingFetch(url(PAID_PATH), { headers: { ...X402_HEADERS, "x-payment-token": "tmai" } });
    const allowance = () => sandbox.chain.publicClient.readContract(getPermit2AllowanceReadParams({ tokenAddress: tmai, ownerAddress: payer }));
    const start = await balances(tmai);
    assert.equal(await allowance(), 0n);

    // 412 Precondition Failed, as the x402 spec maps permit2_allowance_required; @x402/fetch hands it back as is.
    const refused = await tmaiCall();
    assert.equal(refused.status, 412);
    const challenge: PaymentRequired = decodePaymentRequiredHeader(refused.headers.get("payment-required") ?? "");
    // The facilitator names the cause (it reads the allowance through Multicall3), so a payer can act on it.
    assert.equal(challenge.error, "permit2_allowance_required");
    assert.deepEqual(await balances(tmai), start);

    // The one-time approval a wallet sends before paying a plain ERC-20 through x402 (gas in ETH).
    // @x402/evm's createPermit2ApprovalTx(token) builds approve(Permit2, MAX_UINT256); an exact
    // allowance shows the payment takes no more than the price.
    const wallet = payerWallet();
    const approval = await wallet.writeContract({ address: tmai, abi: approveAbi, functionName: "approve", args: [PERMIT2_ADDRESS, TMAI_PRICE] });
    assert.equal((await sandbox.chain.publicClient.waitForTransactionReceipt({ hash: approval })).status, "success");
    assert.equal(await allowance(), TMAI_PRICE);

    const paid = await tmaiCall();
    assert.equal(paid.status, 200, await paid.clone().text());
    const settlement = decodePaymentResponseHeader(paid.headers.get("payment-response") ?? "");
    assert.equal(settlement.success, true);
    assert.equal(settlement.network, NETWORK);

    const now = await balances(tmai);
    assert.equal(now.payer, start.payer - TMAI_PRICE);
    assert.equal(now.payTo, start.payTo + TMAI_PRICE);
    assert.equal(await allowance(), 0n);
    // 10% below the USDC price in USD terms (both tokens count as $1 in the sandbox).
    assert.equal(TMAI_PRICE * 10n * 10n ** 6n, USDC_PRICE * 9n * 10n ** 18n);
  });

  test("a Permit2 payment refused for lack of allowance stays valid: it settles once an allowance exists", async () => {
    // Unlike a failed EIP-3009 transfer, nothing on chain voids it: a payer must count it as possibly
    // spent until its deadline (or until Permit2's nonce bitmap shows its nonce used).
    const refusedBeforeApproval = sentPayments.at(-2);
    assert.ok(refusedBeforeApproval);
    const wallet = payerWallet();
    const approval = await wallet.writeContract({ address: tmai, abi: approveAbi, functionName: "approve", args: [PERMIT2_ADDRESS, TMAI_PRICE] });
    await sandbox.chain.publicClient.waitForTransactionReceipt({ hash: approval });
    const start = await balances(tmai);
    const response = await fetch(url(PAID_PATH), { headers: { ...X402_HEADERS, "payment-signature": refusedBeforeApproval } });
    assert.equal(response.status, 200);
    const now = await balances(tmai);
    assert.equal(now.payer, start.payer - TMAI_PRICE);
    assert.equal(now.payTo, start.payTo + TMAI_PRICE);
  });

  test("a replayed PAYMENT-SIGNATURE (EIP-3009 or Permit2) is refused and moves nothing", async () => {
    // An unlimited Permit2 allowance, as wallets usually give it, so only the used nonce can stop a replay.
    const approval = await payerWallet().sendTransaction(createPermit2ApprovalTx(tmai));
    await sandbox.chain.publicClient.waitForTransactionReceipt({ hash: approval });
    const settled = [sentPayments[0], sentPayments.at(-2), sentPayments.at(-1)]; // first USDC, both TMAI
    const start = { usdc: await balances(usdc), tmai: await balances(tmai) };
    const errors: (string | undefined)[] = [];
    for (const payment of settled) {
      assert.ok(payment);
      const response = await fetch(url(PAID_PATH), { headers: { ...X402_HEADERS, "payment-signature": payment } });
      assert.equal(response.status, 402);
      errors.push(decodePaymentRequiredHeader(response.headers.get("payment-required") ?? "").error);
    }
    // @x402/evm names a used EIP-3009 nonce, but a used Permit2 nonce only as a failed simulation.
    assert.deepEqual(errors, ["invalid_exact_evm_nonce_already_used", "permit2_simulation_failed", "permit2_simulation_failed"]);
    assert.deepEqual({ usdc: await balances(usdc), tmai: await balances(tmai) }, start);
  });
});

describe("sandbox in x402 v1 mode", () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({ x402: "v1" });
  });

  after(async () => {
    await sandbox?.stop();
  });

  test("answers an unpaid call with a v1 JSON body and no PAYMENT-REQUIRED header", async () => {
    assert.equal(sandbox.info.x402Version, 1);
    assert.equal(sandbox.info.network, "base-sepolia");
    assert.equal(sandbox.chain.tokens.tmai.transferMethod, "permit2", "TMAI is the same plain ERC-20 as in v2");
    const response = await fetch(`${sandbox.info.apiBaseUrl}${PAID_PATH}`, { headers: X402_HEADERS });
    assert.equal(response.status, 402);
    assert.equal(response.headers.get("payment-required"), null);
    type V1Offer = { network: string; maxAmountRequired: string; asset: string; maxTimeoutSeconds: number };
    const body = (await response.json()) as { x402Version: number; accepts: V1Offer[] };
    assert.equal(body.x402Version, 1);
    assert.deepEqual(
      body.accepts.map(({ network, maxAmountRequired, asset, maxTimeoutSeconds }) => ({
        network,
        maxAmountRequired,
        asset: getAddress(asset),
        maxTimeoutSeconds,
      })),
      [{ network: "base-sepolia", maxAmountRequired: USDC_PRICE.toString(), asset: BASE_SEPOLIA_USDC, maxTimeoutSeconds: 60 }],
    );
  });
});
