/**
 * The payer against an x402 v2 server (the sandbox in v2 mode: @x402/express 2.x, PAYMENT-REQUIRED,
 * CAIP-2 networks): USDC by EIP-3009, TMAI (a plain ERC-20) through Permit2 after the one-time
 * approval made with the `approve-permit2` subcommand; every payment checked on chain.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import type { Address, Hash } from "viem";
import { decodePaymentSignatureHeader } from "@x402/core/http";
import { extractPaymentIdentifier } from "@x402/extensions/payment-identifier";
import { json, offer, startHostileServer, toV2, v2Challenge } from "./helpers/hostile-server.js";
import { readLedger } from "./helpers/ledger.js";
import { BUILT_SERVER, connectStdio, killDuringPayment, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const USDC_PRICE = 17_000n; // get_trading_signals: $0.017
const TMAI_PRICE = 153n * 10n ** 14n; // 0.0153 TMAI: 10% less

describe("x402 v2 payments on the local chain", { timeout: 180_000 }, () => {
  const world = useSandbox("payments-v2", { x402: "v2" });
  const { newLedger } = world;
  const balance = (asset: Address, owner: Address) => world.sandbox.chain.balanceOf(asset, owner);
  const payer = () => world.sandbox.info.payerAddress as Address;
  const paymentHeadersSeen = () => world.sandbox.api.requests.filter((request) => request.hasPaymentHeader).length;
  const withTmai = { TOKEN_METRICS_ASSETS: "tmai,usdc", TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 0.05 TMAI", TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 1 TMAI" };

  test("a USDC call on a v2 server: one PAYMENT-SIGNATURE, exactly the price on chain, the receipt in the result", async () => {
    const ledger = newLedger();
    const { client, close } = await connectStdio(world.env(ledger));
    try {
      const before = await balance(world.sandbox.chain.usdc, payer());
      const seen = paymentHeadersSeen();
      const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
      assert.ok(!result.isError, textOf(result));
      const payment = (result.structuredContent as { payment: { asset: string; amount: string; transaction: Hash; status: string } }).payment;
      assert.deepEqual([payment.asset, payment.amount, payment.status], ["USDC", "0.017", "settled"]);
      assert.equal((await world.sandbox.chain.publicClient.getTransactionReceipt({ hash: payment.transaction })).status, "success");
      assert.equal(before - (await balance(world.sandbox.chain.usdc, payer())), USDC_PRICE);
      assert.equal(paymentHeadersSeen() - seen, 1);
      // The next call pays at the known price with its first request: one request, one payment.
      const requests = world.sandbox.api.requests.length;
      assert.ok(!(await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375, page: 2 } })).isError);
      assert.equal(world.sandbox.api.requests.length - requests, 1, "one round trip at a known price");
      assert.deepEqual(
        (await readLedger(ledger)).map((entry) => entry.event),
        ["offered", "signed", "settled", "offered", "signed", "settled"],
      );
    } finally {
      await close();
    }
  });

  test("a payment whose answer was lost is sent again, unchanged, by the next identical call (payment-identifier): paid once, data the second time", async () => {
    const ledger = newLedger();
    const { client, close } = await connectStdio(world.env(ledger));
    const call = () => client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375, page: 7 } });
    try {
      assert.ok(!(await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } })).isError, "learns the price");
      const before = await balance(world.sandbox.chain.usdc, payer());
      const sent = world.sandbox.api.requests.length;
      world.sandbox.api.injectFaults([{ loseAnswer: true }]);
      const lost = await call();
      assert.equal(lost.isError, true);
      assert.match(textOf(lost), /was sent and may have settled/);
      const again = await call();
      assert.ok(!again.isError, textOf(again));
      const payment = (again.structuredContent as { payment: { status: string; transaction: Hash } }).payment;
      assert.equal(payment.status, "settled");
      assert.equal((await world.sandbox.chain.publicClient.getTransactionReceipt({ hash: payment.transaction })).status, "success");
      assert.equal(before - (await balance(world.sandbox.chain.usdc, payer())), USDC_PRICE, "paid once for both calls");

      const payments = world.sandbox.api.requests.slice(sent).map((request) => request.payment);
      assert.equal(payments.length, 2, "one request per call, both paid");
      const ids = payments.map((header) => extractPaymentIdentifier(decodePaymentSignatureHeader(header!)));
      assert.ok(ids[0] && ids[0] === ids[1], `the same valid payment id both times: ${ids.join(", ")}`);
      assert.equal(payments[0], payments[1], "the same signed payment, not a second one");
      const events = (await readLedger(ledger)).map((entry) => entry.event);
      assert.deepEqual(events.slice(3), ["offered", "signed", "failed", "settled"]);
    } finally {
      await close();
    }
  });

  test("TMAI through Permit2: refused with how to approve, then approve-permit2 sends one approve and the call pays 10% less", async () => {
    const ledger = newLedger();
    const env = world.env(ledger, withTmai);
    const { client, close } = await connectStdio(env);
    try {
      const usdcBefore = await balance(world.sandbox.chain.usdc, payer());
      const tmaiBefore = await balance(world.sandbox.chain.tmai, payer());
      const seen = paymentHeadersSeen();
      const refused = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
      assert.equal(refused.isError, true);
      assert.match(
        textOf(refused),
        /TMAI is paid through Permit2 and this wallet has not approved Permit2 for it.*token-metrics-x402-mcp approve-permit2 --asset tmai/,
      );
      assert.equal(paymentHeadersSeen(), seen, "nothing was signed");
      assert.deepEqual(
        (await readLedger(ledger)).map((entry) => entry.event),
        ["refused"],
      );

      const approved = await promisify(execFile)(process.execPath, [BUILT_SERVER, "approve-permit2", "--asset", "tmai", "--amount", "1", "--yes"], {
        env: { PATH: process.env.PATH ?? "", ...env },
      });
      assert.match(approved.stdout, /approve\(Permit2 0x000000000022D473030F116dDEE9F6B43aC78BA3, 1 TMAI\)/);
      assert.match(approved.stdout, /Sent: transaction 0x[0-9a-f]{64}/);

      const paid = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
      assert.ok(!paid.isError, textOf(paid));
      assert.equal((paid.structuredContent as { payment: { asset: string; amount: string } }).payment.asset, "TMAI");
      assert.equal(tmaiBefore - (await balance(world.sandbox.chain.tmai, payer())), TMAI_PRICE, "TMAI moved: 10% less than USDC");
      assert.equal(await balance(world.sandbox.chain.usdc, payer()), usdcBefore, "USDC untouched");
      const signed = (await readLedger(ledger)).find((entry) => entry.event === "signed");
      assert.equal(signed?.method, "permit2");
      const report = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as { checked: number; matching: number };
      assert.deepEqual({ checked: report.checked, matching: report.matching }, { checked: 1, matching: 1 }, "reconciled through Permit2's nonce bitmap");
    } finally {
      await close();
    }
  });

  describe("hostile v2 challenges: a clear refusal and no signature", () => {
    let hostile: Awaited<ReturnType<typeof startHostileServer>>;
    before(async () => {
      hostile = await startHostileServer();
    });
    after(() => hostile.stop());

    const v2 = v2Challenge;
    const v2Offer = (overrides: Record<string, unknown> = {}) => toV2(offer(overrides));
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["a malformed header", { "PAYMENT-REQUIRED": "%%% not base64 %%%" }, /PAYMENT-REQUIRED header is not a base64 JSON x402 challenge/],
      // Node's HTTP client itself refuses headers over 16 KB, before the payer sees them.
      ["an oversized header", { "PAYMENT-REQUIRED": "A".repeat(70_000) }, /Could not reach 127\.0\.0\.1:\d+: the connection failed/],
      ["an unknown CAIP-2 network", v2([v2Offer({ network: "eip155:1" })]), /network "eip155:1" but this server pays only on "base-sepolia"/],
      [
        "a Permit2 offer with a foreign spender",
        v2([v2Offer({ extra: { assetTransferMethod: "permit2", spender: "0x1111111111111111111111111111111111111111" } })]),
        /names spender .* not x402's exact Permit2 proxy/,
      ],
    ];
    for (const [name, headers, expected] of cases) {
      test(name, async () => {
        hostile.on("/trading-signals", (_req, res) => json(res, 402, {}, headers));
        const seen = hostile.paymentHeaders.length;
        const { client, close } = await connectStdio(world.env(newLedger(), { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl }));
        try {
          const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
          assert.equal(result.isError, true);
          assert.match(textOf(result), expected);
          assert.equal(hostile.paymentHeaders.length - seen, 0);
        } finally {
          await close();
        }
      });
    }

    test("kill -9 while a v2 payment is in flight: the ledger stays valid and the restart counts it", async () => {
      // Takes the payment and never answers.
      hostile.on("/trading-signals", (_req, res, paid) => {
        if (!paid) json(res, 402, {}, v2([v2Offer()]));
      });
      const ledger = newLedger();
      const settings = world.env(ledger, { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, TOKEN_METRICS_DAILY_BUDGET: "0.017 USDC" });
      const seen = hostile.paymentHeaders.length;
      const call = { name: "get_trading_signals", arguments: { token_id: 3375 } };
      await killDuringPayment({ HOME: world.dir, ...settings }, call, () => hostile.paymentHeaders.length > seen);
      assert.equal(hostile.paymentHeaders.length - seen, 1, "the PAYMENT-SIGNATURE was sent");
      assert.deepEqual(
        (await readLedger(ledger)).map((entry) => entry.event),
        ["offered", "signed"],
      );

      const { client, close } = await connectStdio(settings);
      try {
        const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { totals: { inFlight: { USDC: string } } };
        assert.equal(spending.totals.inFlight.USDC, "0.017");
        const refused = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375, page: 2 } });
        assert.match(textOf(refused), /daily budget .*would be exceeded/);
        assert.equal(hostile.paymentHeaders.length - seen, 1, "nothing paid twice");
      } finally {
        await close();
      }
    });

    test("a deadline beyond the cap is signed with at most 120 s", async () => {
      hostile.on("/trading-signals", (_req, res, paid) =>
        paid ? json(res, 200, { success: true, message: "ok", length: 0, data: [] }) : json(res, 402, {}, v2([v2Offer({ maxTimeoutSeconds: 86_400 })])),
      );
      const { client, close } = await connectStdio(world.env(newLedger(), { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl }));
      try {
        const result = await client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.ok(!result.isError, textOf(result));
        const sent = JSON.parse(Buffer.from(hostile.paymentHeaders.at(-1)!, "base64").toString()) as {
          x402Version: number;
          accepted: { maxTimeoutSeconds: number };
          payload: { authorization: { validBefore: string } };
        };
        assert.equal(sent.x402Version, 2);
        assert.equal(sent.accepted.maxTimeoutSeconds, 120);
        assert.ok(Number(sent.payload.authorization.validBefore) <= Math.ceil(Date.now() / 1000) + 120);
      } finally {
        await close();
      }
    });
  });
});
