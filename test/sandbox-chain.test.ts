/**
 * The sandbox's blockchain half, end to end: anvil + EIP-3009 token + local facilitator, with the
 * unmodified x402 libraries on both sides (x402-express in front of an API, x402-fetch paying).
 * Every payment is checked on chain to the base unit.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import express from "express";
import { domainSeparator, erc20Abi, numberToHex, parseAbi, parseSignature, toHex, type AbiFunction, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { paymentMiddleware } from "x402-express";
import { createSigner, decodeXPaymentResponse, wrapFetchWithPayment } from "x402-fetch";
import { settlementClient, startChain, type LocalChain } from "../sandbox/chain.js";
import { startFacilitator, type Facilitator } from "../sandbox/facilitator.js";
import { compileTokenContract, tokenAbi } from "../sandbox/token-contract.js";

const BASE_SEPOLIA_USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
const USDC_PRICE = 10_000n; // "$0.01" in USDC base units (6 decimals)
const TMAI_PRICE = 9n * 10n ** 15n; // 0.009 TMAI (18 decimals)
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const eip3009Abi = parseAbi([
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function mint(address to, uint256 amount)",
  "function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, bytes signature)",
  "function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)",
]);

interface PaymentHeader {
  payload: { authorization: { from: Address; nonce: Hex } };
}

describe("sandbox chain + facilitator + x402 libraries", () => {
  let chain: LocalChain;
  let facilitator: Facilitator;
  let api: Server;
  let apiUrl: string;
  let payUsdc: typeof fetch;
  let payTmai: typeof fetch;
  /** Every X-PAYMENT header x402-fetch sent, in order, so a test can replay one. */
  const sentPayments: string[] = [];

  before(async () => {
    chain = await startChain();
    facilitator = await startFacilitator({ rpcUrl: chain.rpcUrl, privateKey: chain.facilitatorPrivateKey });

    const app = express();
    app.use(
      paymentMiddleware(
        chain.payTo,
        {
          "GET /paid": { price: "$0.01", network: "base-sepolia" },
          "GET /paid-tmai": {
            price: {
              amount: TMAI_PRICE.toString(),
              asset: { address: chain.tmai, decimals: 18, eip712: { name: "Token Metrics AI", version: "2" } },
            },
            network: "base-sepolia",
          },
        },
        { url: facilitator.url },
      ),
    );
    app.get("/paid", (_req, res) => {
      res.json({ data: "usdc" });
    });
    app.get("/paid-tmai", (_req, res) => {
      res.json({ data: "tmai" });
    });
    api = app.listen(0, "127.0.0.1");
    await once(api, "listening");
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const recordingFetch: typeof fetch = (input, init) => {
      const payment = (init?.headers as Record<string, string> | undefined)?.["X-PAYMENT"];
      if (payment) sentPayments.push(payment);
      return fetch(input, init);
    };
    const signer = await createSigner("base-sepolia", chain.payerPrivateKey);
    // x402-fetch declares its fetch parameter with the DOM's types; ours is Node's.
    const baseFetch = recordingFetch as Parameters<typeof wrapFetchWithPayment>[0];
    payUsdc = wrapFetchWithPayment(baseFetch, signer, USDC_PRICE) as typeof fetch;
    // x402-fetch compares maxValue with the amount in raw base units, whatever the token's decimals.
    payTmai = wrapFetchWithPayment(baseFetch, signer, TMAI_PRICE) as typeof fetch;
  });

  after(async () => {
    api?.closeAllConnections();
    await Promise.all([api && new Promise((resolve) => api.close(resolve)), facilitator?.stop(), chain?.stop()]);
  });

  /** Payer and payTo balances of `asset`. */
  const balances = async (asset: Address) => ({
    payer: await chain.balanceOf(asset, chain.payerAddress),
    payTo: await chain.balanceOf(asset, chain.payTo),
  });
  const decodePayment = (header: string): PaymentHeader => JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PaymentHeader;

  test("the chain presents as Base Sepolia with USDC at its canonical address and a funded payer", async () => {
    assert.equal(chain.chainId, 84532);
    assert.equal(await chain.publicClient.getChainId(), 84532);
    assert.equal(chain.usdc, BASE_SEPOLIA_USDC);
    // CREATE address of the owner's (anvil account 3) second deployment: the same on every run.
    assert.equal(chain.tmai, "0x261D8c5e9742e6f7f1076Fa1F560894524e19cad");
    assert.equal(await chain.balanceOf(chain.usdc, chain.payerAddress), 1000n * 10n ** 6n);
    assert.equal(await chain.balanceOf(chain.tmai, chain.payerAddress), 10_000n * 10n ** 18n);
  });

  test("the typed ABI used from TypeScript matches the compiled contract", async () => {
    const { abi } = await compileTokenContract();
    for (const fragment of tokenAbi) {
      const compiled = abi.find((entry): entry is AbiFunction => entry.type === "function" && entry.name === fragment.name);
      assert.ok(compiled, `${fragment.name} missing from the compiled ABI`);
      assert.deepEqual(
        compiled.inputs.map((input) => input.type),
        fragment.inputs.map((input) => input.type),
      );
    }
  });

  test("the token enforces EIP-3009's rules at its copied address", async () => {
    const payer = privateKeyToAccount(chain.payerPrivateKey);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const usdcDomain = { name: "USDC", version: "2", chainId: 84532, verifyingContract: chain.usdc } as const;
    assert.equal(
      await chain.publicClient.readContract({ address: chain.usdc, abi: eip3009Abi, functionName: "DOMAIN_SEPARATOR" }),
      domainSeparator({ domain: usdcDomain }),
    );

    const sign = async (overrides: { validAfter?: bigint; validBefore?: bigint; signer?: typeof payer } = {}) => {
      const message = {
        from: payer.address,
        to: chain.payTo,
        value: 1n,
        validAfter: overrides.validAfter ?? now - 60n,
        validBefore: overrides.validBefore ?? now + 60n,
        nonce: toHex(randomBytes(32)),
      };
      const signature = await (overrides.signer ?? payer).signTypedData({
        domain: usdcDomain,
        types: {
          TransferWithAuthorization: [
            { name: "from", type: "address" },
            { name: "to", type: "address" },
            { name: "value", type: "uint256" },
            { name: "validAfter", type: "uint256" },
            { name: "validBefore", type: "uint256" },
            { name: "nonce", type: "bytes32" },
          ],
        },
        primaryType: "TransferWithAuthorization",
        message,
      });
      return { message, signature };
    };
    /** Dry-runs transferWithAuthorization (eth_call), with the packed or the (v, r, s) signature. */
    const attempt = ({ message: m, signature }: Awaited<ReturnType<typeof sign>>, form: "bytes" | "vrs" = "bytes") => {
      const fields = [m.from, m.to, m.value, m.validAfter, m.validBefore, m.nonce] as const;
      const vrs = () => {
        const { r, s, v } = parseSignature(signature);
        return [Number(v), r, s] as const;
      };
      return chain.publicClient.simulateContract({
        account: chain.payTo,
        address: chain.usdc,
        abi: eip3009Abi,
        functionName: "transferWithAuthorization",
        args: form === "bytes" ? [...fields, signature] : [...fields, ...vrs()],
      });
    };

    const valid = await sign();
    await attempt(valid, "bytes");
    await attempt(valid, "vrs");

    // The same signature with s mirrored to the upper half (and v flipped) also recovers the payer.
    const { r, s, v } = parseSignature(valid.signature);
    const highS = numberToHex(SECP256K1_N - BigInt(s), { size: 32 });
    const malleable = `${r}${highS.slice(2)}${v === 27n ? "1c" : "1b"}` as Hex;
    await assert.rejects(attempt({ ...valid, signature: malleable }), /invalid signature 's' value/);
    await assert.rejects(attempt({ ...valid, signature: `${valid.signature.slice(0, -2)}1d` as Hex }), /'v' value/);
    await assert.rejects(attempt(await sign({ validBefore: now - 1n })), /authorization is expired/);
    await assert.rejects(attempt(await sign({ validAfter: now + 600n })), /authorization is not yet valid/);
    const stranger = privateKeyToAccount(generatePrivateKey());
    await assert.rejects(attempt(await sign({ signer: stranger })), /invalid signature/);
    await assert.rejects(
      chain.publicClient.simulateContract({
        account: chain.payerAddress,
        address: chain.usdc,
        abi: eip3009Abi,
        functionName: "mint",
        args: [chain.payerAddress, 1n],
      }),
      /only owner/,
    );
  });

  test("an unpaid call gets a 402 challenge for USDC on base-sepolia", async () => {
    const response = await fetch(`${apiUrl}/paid`);
    assert.equal(response.status, 402);
    const body = (await response.json()) as { accepts: { asset: string; maxAmountRequired: string; payTo: string }[] };
    assert.equal(body.accepts[0]?.asset, BASE_SEPOLIA_USDC);
    assert.equal(body.accepts[0]?.maxAmountRequired, USDC_PRICE.toString());
    assert.equal(body.accepts[0]?.payTo, chain.payTo);
  });

  test("a USDC-paid call settles on chain for exactly the price", async () => {
    const before = await balances(chain.usdc);
    const settledBefore = facilitator.settledCount();

    const response = await payUsdc(`${apiUrl}/paid`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: "usdc" });
    const settlement = decodeXPaymentResponse(response.headers.get("X-PAYMENT-RESPONSE") ?? "");
    assert.equal(settlement.success, true);
    assert.match(settlement.transaction, /^0x[0-9a-f]{64}$/);
    assert.equal(settlement.network, "base-sepolia");
    assert.equal(settlement.payer, chain.payerAddress);

    const receipt = await chain.publicClient.getTransactionReceipt({ hash: settlement.transaction as Hex });
    assert.equal(receipt.status, "success");
    assert.deepEqual(await balances(chain.usdc), { payer: before.payer - USDC_PRICE, payTo: before.payTo + USDC_PRICE });
    assert.equal(facilitator.settledCount(), settledBefore + 1);

    const { authorization } = decodePayment(sentPayments.at(-1) ?? "").payload;
    assert.equal(await chain.authorizationState(chain.usdc, authorization.from, authorization.nonce), true);
  });

  test("a TMAI-paid call settles on chain for exactly the price", async () => {
    const before = await balances(chain.tmai);
    const usdcBefore = await balances(chain.usdc);

    const response = await payTmai(`${apiUrl}/paid-tmai`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { data: "tmai" });
    const settlement = decodeXPaymentResponse(response.headers.get("X-PAYMENT-RESPONSE") ?? "");
    assert.equal(settlement.success, true);
    assert.match(settlement.transaction, /^0x[0-9a-f]{64}$/);

    assert.deepEqual(await balances(chain.tmai), { payer: before.payer - TMAI_PRICE, payTo: before.payTo + TMAI_PRICE });
    assert.deepEqual(await balances(chain.usdc), usdcBefore);
  });

  test("replaying a used X-PAYMENT header is refused and moves nothing", async () => {
    const used = sentPayments[0];
    assert.ok(used, "an earlier test made a payment");
    const before = await balances(chain.usdc);
    const settledBefore = facilitator.settledCount();

    const replay = await fetch(`${apiUrl}/paid`, { headers: { "X-PAYMENT": used } });
    assert.equal(replay.status, 402);
    assert.equal(replay.headers.get("X-PAYMENT-RESPONSE"), null);
    const body = (await replay.json()) as { error: string; accepts: unknown[] };
    assert.equal(body.error, "invalid_payment");

    // Straight to /settle as well, past the API's verify step.
    const settle = await fetch(`${facilitator.url}/settle`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ x402Version: 1, paymentPayload: decodePayment(used), paymentRequirements: body.accepts[0] }),
    });
    assert.deepEqual(await settle.json(), {
      success: false,
      errorReason: "duplicate_settlement",
      transaction: "",
      network: "base-sepolia",
    });

    assert.deepEqual(await balances(chain.usdc), before);
    assert.equal(facilitator.settledCount(), settledBefore);
  });

  test("20 concurrent paid calls all settle", async () => {
    const before = await balances(chain.usdc);
    const settledBefore = facilitator.settledCount();

    const responses = await Promise.all(Array.from({ length: 20 }, () => payUsdc(`${apiUrl}/paid`)));
    assert.deepEqual(
      responses.map((response) => response.status),
      responses.map(() => 200),
    );
    const transactions = new Set(responses.map((response) => decodeXPaymentResponse(response.headers.get("X-PAYMENT-RESPONSE") ?? "").transaction));
    assert.equal(transactions.size, 20);

    assert.deepEqual(await balances(chain.usdc), {
      payer: before.payer - 20n * USDC_PRICE,
      payTo: before.payTo + 20n * USDC_PRICE,
    });
    assert.equal(facilitator.settledCount(), settledBefore + 20);
  });

  // A failed send must not leave a gap: every transaction after it would wait for that nonce forever.
  const sends: Array<[name: string, count: number, failing?: { index: number; takesNonce: boolean }]> = [
    ["40 sent at once take consecutive nonces and all mine", 40],
    ["10 sent at once, the 4th would revert (refused before it takes a nonce): the other 9 mine", 10, { index: 3, takesNonce: false }],
    ["10 sent at once, the 4th refused by the node after taking its nonce (gas too low): the other 9 mine", 10, { index: 3, takesNonce: true }],
  ];
  for (const [name, count, failing] of sends) {
    test(`a settling account's transactions: ${name}`, async () => {
      // The payer account holds ETH and sends no transactions elsewhere in this file.
      const sender = settlementClient(chain.rpcUrl, chain.payerPrivateKey);
      const first = await chain.publicClient.getTransactionCount({ address: sender.account.address, blockTag: "pending" });
      const send = (index: number) => {
        if (index !== failing?.index) return sender.sendTransaction({ to: chain.payTo, value: 1n });
        if (failing.takesNonce) return sender.sendTransaction({ to: chain.payTo, value: 1n, gas: 1_000n });
        return sender.writeContract({ address: chain.usdc, abi: erc20Abi, functionName: "transfer", args: [chain.payTo, 10n ** 30n] }); // more than it holds
      };
      const outcomes = await Promise.allSettled(Array.from({ length: count }, (_, index) => send(index)));
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        outcomes.map((_, index) => (index === failing?.index ? "rejected" : "fulfilled")),
      );
      const hashes = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
      const receipts = await Promise.all(hashes.map((hash) => chain.publicClient.waitForTransactionReceipt({ hash, timeout: 20_000 })));
      assert.deepEqual(
        receipts.map((receipt) => receipt.status),
        receipts.map(() => "success"),
      );
      const nonces = await Promise.all(hashes.map(async (hash) => (await chain.publicClient.getTransaction({ hash })).nonce));
      const taken = count - (failing && !failing.takesNonce ? 1 : 0);
      const expected = Array.from({ length: taken }, (_, offset) => first + offset);
      // The failed one's nonce went to an empty transaction to itself.
      const filler = failing?.takesNonce ? expected.filter((nonce) => !nonces.includes(nonce)) : [];
      assert.deepEqual(
        [...nonces, ...filler].sort((a, b) => a - b),
        expected,
        "none skipped or taken twice",
      );
      assert.equal(filler.length, failing?.takesNonce ? 1 : 0);
      assert.equal(await chain.publicClient.getTransactionCount({ address: sender.account.address }), first + taken, "all mined");
    });
  }

  test("the facilitator answers malformed requests in the protocol's shape and keeps running", async () => {
    const garbage = await fetch(`${facilitator.url}/verify`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    assert.equal(garbage.status, 400);
    assert.deepEqual(await garbage.json(), { isValid: false, invalidReason: "invalid_payload" });

    const empty = await fetch(`${facilitator.url}/settle`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as { success: boolean }).success, false);

    const supported = await fetch(`${facilitator.url}/supported`);
    assert.deepEqual(await supported.json(), { kinds: [{ x402Version: 1, scheme: "exact", network: "base-sepolia" }] });
  });
});
