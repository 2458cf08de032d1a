/**
 * Never overspend: each way money once left beyond the user's limits, replayed end to end against
 * the built server, the sandbox chain and hostile x402 servers, with the money checked on chain.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { appendFile, copyFile, rename, rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createWalletClient, http, type Address, type Hash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { compileTokenContract } from "../sandbox/token-contract.js";
import { settleOnChain } from "./helpers/chain.js";
import { json, offer, speaking, startHostileServer } from "./helpers/hostile-server.js";
import { readLedger } from "./helpers/ledger.js";
import { connectStdio, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const PRICE = 17_000n; // get_trading_signals, 0.017 USDC
const signals = (page: number) => ({ name: "get_trading_signals", arguments: { token_id: 3375, limit: 1, page } });

// Every guarantee holds against a server of each protocol version: the sandbox and the hostile
// servers speak v2 (PAYMENT-REQUIRED, PAYMENT-SIGNATURE, PAYMENT-RESPONSE), then v1.
for (const x402 of ["v2", "v1"] as const)
  describe(`never overspend (${x402} server)`, () => {
    // The chain's clock is 30 s behind this machine's: the server runs with a clock 30 s fast.
    const world = useSandbox(`overspend-${x402}`, { clockOffsetSeconds: -30, x402 });
    const speak = speaking(x402);
    const { newLedger, payerUsdc } = world;
    let hostile: Awaited<ReturnType<typeof startHostileServer>>;
    /** Settings for a server paying from the sandbox wallet, through the hostile server unless told otherwise. */
    const env = (ledger: string, extra: Record<string, string> = {}) => world.env(ledger, { TOKEN_METRICS_API_BASE_URL: hostile.baseUrl, ...extra });
    const settle = (header: string) => settleOnChain(world.sandbox.chain.rpcUrl, world.sandbox.chain.usdc, header);
    const data = (res: ServerResponse, headers: Record<string, string> = {}) => json(res, 200, { success: true, message: "ok", length: 0, data: [] }, headers);

    before(async () => {
      hostile = await startHostileServer();
    });
    after(() => hostile.stop());

    test("1. a fast local clock never releases an authorization the chain can still settle", async () => {
      const held: string[] = [];
      // Keeps each payment it is sent and answers without saying whether it settled.
      hostile.on("/trading-signals", (req, res, paid) => {
        if (paid) held.push(speak.payment(req));
        if (paid) json(res, 400, { message: "try later" });
        else speak.ask(res, offer({ maxTimeoutSeconds: 10 }));
      });
      const ledger = newLedger();
      const { client, close } = await connectStdio(env(ledger, { TOKEN_METRICS_DAILY_BUDGET: "0.017 USDC" }));
      try {
        const before = await payerUsdc();
        const first = await client.callTool(signals(1));
        // By the server's clock the authorization is now past validBefore plus every margin; by the chain's it is not.
        await sleep(16_000);
        const second = await client.callTool(signals(2));
        assert.equal(second.isError, true);
        assert.match(textOf(second), /daily budget .*would be exceeded/);
        assert.equal(held.length, 1, "no second payment was sent");
        assert.match(textOf(first), /0\.017 USDC .*may have settled.*Calling again pays again/);

        // The held authorization settles after all: the budget was right to keep it.
        await settle(held[0]!);
        assert.equal(before - (await payerUsdc()), PRICE, "on-chain: one payment");
        const report = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as { differences: Array<{ problem: string }> };
        assert.match(report.differences[0]?.problem ?? "", /still pending in the ledger, but already used on-chain: now recorded as settled/);
        const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { totals: { settled: Record<string, string> } };
        assert.deepEqual(spending.totals.settled, { USDC: "0.017" });
      } finally {
        await close();
      }
    });

    test("1b. an authorization released without proof and found used on-chain is recorded and counted again", async () => {
      const held: string[] = [];
      hostile.on("/trading-signals", (req, res, paid) => {
        if (paid) held.push(speak.payment(req));
        if (paid) json(res, 400, { message: "try later" });
        else speak.ask(res, offer());
      });
      const ledger = newLedger();
      const { client, close } = await connectStdio(env(ledger, { TOKEN_METRICS_DAILY_BUDGET: "1 USDC" }));
      try {
        await client.callTool(signals(1));
        // As an older version wrote it: released by the local clock, no chain proof.
        const signed = (await readLedger(ledger)).find((entry) => entry.event === "signed")!;
        await appendFile(ledger, `${JSON.stringify({ ...signed, ts: new Date().toISOString(), event: "released", reason: "expired by the local clock" })}\n`);
        await settle(held[0]!);
        const dailyUsed = async () =>
          ((await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { budgets: { daily: { USDC: { used: string } } } }).budgets
            .daily.USDC.used;
        assert.equal(await dailyUsed(), "0", "released, so not counted");
        await client.callTool({ name: "reconcile_payments", arguments: {} });
        assert.equal((await readLedger(ledger)).at(-1)?.event, "settled", "recorded");
        assert.equal(await dailyUsed(), "0.017", "counted again");
      } finally {
        await close();
      }
    });

    test("2. at most one payment per call: a price change after paying at a known price fails the call", async () => {
      // Settles every authorization it is sent, and alternates its price after each sale.
      let price = 17_000;
      const headers: string[] = [];
      hostile.on("/trading-signals", async (req, res, paid) => {
        if (!paid) return speak.ask(res, offer({ maxAmountRequired: String(price) }));
        const header = speak.payment(req);
        headers.push(header);
        const transaction = await settle(header);
        const value = (JSON.parse(Buffer.from(header, "base64").toString()) as { payload: { authorization: { value: string } } }).payload.authorization.value;
        if (value !== String(price)) return speak.ask(res, offer({ maxAmountRequired: String(price) }));
        price = price === 17_000 ? 18_000 : 17_000;
        data(res, speak.settled(transaction, world.sandbox.info.payerAddress as Address));
      });
      const { client, close } = await connectStdio(env(newLedger(), { TOKEN_METRICS_MAX_PER_CALL: "0.02 USDC" }));
      try {
        const before = await payerUsdc();
        const texts: string[] = [];
        for (let page = 1; page <= 4; page++) {
          const seen = headers.length;
          texts.push(textOf(await client.callTool(signals(page))));
          assert.ok(headers.length - seen <= 1, `call ${page} sent ${headers.length - seen} payments`);
        }
        assert.equal(headers.length, 4, "one payment per call");
        assert.match(texts[1]!, /price of \/trading-signals changed.*No second payment is made in one call/);
        assert.match(texts[3]!, /price of \/trading-signals changed/);
        assert.equal(before - (await payerUsdc()), 17_000n + 17_000n + 18_000n + 18_000n, "on-chain: four payments, none above the per-call maximum");
      } finally {
        await close();
      }
    });

    test("3. a ledger deleted or replaced while running keeps every budget", async () => {
      const ledger = newLedger();
      const { client, close } = await connectStdio(
        env(ledger, {
          TOKEN_METRICS_API_BASE_URL: world.sandbox.info.apiBaseUrl,
          TOKEN_METRICS_SESSION_BUDGET: "0.034 USDC",
          TOKEN_METRICS_DAILY_BUDGET: "0.034 USDC",
        }),
      );
      try {
        const before = await payerUsdc();
        assert.ok(!(await client.callTool(signals(1))).isError);
        await copyFile(ledger, `${ledger}.old`);
        assert.ok(!(await client.callTool(signals(2))).isError);
        await rename(`${ledger}.old`, ledger); // an older copy put back in place
        const afterReplace = await client.callTool(signals(3));
        assert.match(textOf(afterReplace), /budget .*would be exceeded/);
        await rm(ledger);
        const afterDelete = await client.callTool(signals(4));
        assert.match(textOf(afterDelete), /budget .*would be exceeded/, "no ENOENT, no fresh budget");
        assert.equal(before - (await payerUsdc()), 2n * PRICE, "on-chain: exactly the budget");
        const restored = await readLedger(ledger);
        assert.equal(restored.filter((entry) => entry.event === "settled").length, 2, "the new file holds both payments");
      } finally {
        await close();
      }
    });

    test("4. a torn line never swallows the reservation after it, and is reported", async () => {
      const ledger = newLedger();
      const { client, close } = await connectStdio(
        env(ledger, { TOKEN_METRICS_API_BASE_URL: world.sandbox.info.apiBaseUrl, TOKEN_METRICS_DAILY_BUDGET: "0.034 USDC" }),
      );
      try {
        const before = await payerUsdc();
        assert.ok(!(await client.callTool(signals(1))).isError);
        // Another process dies mid-write, leaving a partial line where the server writes next (the
        // unit tier puts one right before a reservation: test/unit/ledger.test.ts).
        await appendFile(ledger, '{"ts":"2026-12-01T00:00:00.000Z","event":"sig');
        assert.ok(!(await client.callTool(signals(2))).isError);
        const third = await client.callTool(signals(3));
        assert.equal(before - (await payerUsdc()), 2n * PRICE, "on-chain: exactly the budget");
        assert.match(textOf(third), /daily budget .*would be exceeded/);
        const spending = (await client.callTool({ name: "get_spending", arguments: {} })).structuredContent as { ledgerWarning?: string };
        assert.match(spending.ledgerWarning ?? "", /1 line\(s\) .* unreadable/);
      } finally {
        await close();
      }
    });

    test("5. a call cancelled before the 402 arrives signs and pays nothing", async () => {
      hostile.on("/trading-signals", async (_req, res, paid) => {
        if (paid) return data(res);
        await sleep(1_500);
        speak.ask(res, offer());
      });
      const ledger = newLedger();
      const seen = hostile.paymentHeaders.length;
      const { client, close } = await connectStdio(env(ledger));
      try {
        const cancel = new AbortController();
        const call = client.callTool(signals(1), undefined, { signal: cancel.signal });
        await sleep(300);
        cancel.abort();
        await assert.rejects(call);
        await sleep(2_500); // the 402 has arrived and would have been paid by now
        assert.equal(hostile.paymentHeaders.length - seen, 0, "nothing was sent");
        assert.ok(!(await readLedger(ledger)).some((entry) => entry.event === "signed"), "nothing was signed");
      } finally {
        await close();
      }
    });

    describe("6. whenever money was or may have been spent, the result says so", () => {
      const cases: Array<[string, (res: ServerResponse, transaction: Hash) => void, RegExp, "settled" | "failed"]> = [
        [
          "settled, then a server error",
          (res, transaction) => json(res, 500, { message: "boom" }, speak.settled(transaction, world.sandbox.info.payerAddress as Address)),
          /server error \(500\).*payment of 0\.017 USDC for this call settled \(transaction 0x[0-9a-f]{64}\); calling again pays again/,
          "settled",
        ],
        [
          "settled, then a body that is not JSON",
          (res, transaction) =>
            res
              .writeHead(200, { "content-type": "text/html", ...speak.settled(transaction, world.sandbox.info.payerAddress as Address) })
              .end("<html>oops</html>"),
          /not JSON.*payment of 0\.017 USDC for this call settled \(transaction 0x[0-9a-f]{64}\); calling again pays again/,
          "settled",
        ],
        [
          "settled, then an error without a receipt",
          (res) => json(res, 400, { message: "bad" }),
          /0\.017 USDC for this call was sent and may have settled.*Calling again pays again/,
          "failed",
        ],
      ];
      for (const [name, answer, expected, event] of cases) {
        test(name, async () => {
          hostile.on("/trading-signals", async (req, res, paid) => {
            if (!paid) return speak.ask(res, offer());
            answer(res, await settle(speak.payment(req)));
          });
          const ledger = newLedger();
          const seen = hostile.paymentHeaders.length;
          const { client, close } = await connectStdio(env(ledger));
          try {
            const before = await payerUsdc();
            const result = await client.callTool(signals(1));
            assert.equal(result.isError, true);
            assert.match(textOf(result), expected);
            assert.equal(hostile.paymentHeaders.length - seen, 1, "sent once, never retried");
            assert.equal(before - (await payerUsdc()), PRICE);
            assert.equal((await readLedger(ledger)).at(-1)?.event, event);
          } finally {
            await close();
          }
        });
      }
    });

    describe("7 and more: offers that cannot or must not be paid are refused, others still considered", () => {
      const refusals: Array<[string, Array<Record<string, unknown>>, RegExp]> = [
        ["an empty amount", [offer({ maxAmountRequired: "" })], /amount "" is not an integer in base units/],
        ["a zero amount", [offer({ maxAmountRequired: "0" })], /amount is zero/],
        ["an exponent", [offer({ maxAmountRequired: "1e4" })], /amount "1e4" is not an integer/],
        ["the zero address as payee", [offer({ payTo: "0x0000000000000000000000000000000000000000" })], /pays the zero address/],
        ["another EIP-712 domain", [offer({ extra: { name: "USD Coin", version: "2" } })], /EIP-712 domain .* is not USDC's own/],
        ["a validity too short to settle", [offer({ maxTimeoutSeconds: 5 })], /validity window \(5 s\) is shorter than the 10 s/],
      ];
      for (const [name, offers, expected] of refusals) {
        test(`${name}: refused with a reason and a refused line, nothing signed`, async () => {
          hostile.on("/trading-signals", (_req, res) => speak.ask(res, ...offers));
          const ledger = newLedger();
          const seen = hostile.paymentHeaders.length;
          const { client, close } = await connectStdio(env(ledger));
          try {
            const result = await client.callTool(signals(1));
            assert.equal(result.isError, true);
            assert.match(textOf(result), expected);
            assert.equal(hostile.paymentHeaders.length - seen, 0);
            assert.deepEqual(
              (await readLedger(ledger)).map((entry) => entry.event),
              ["refused"],
            );
          } finally {
            await close();
          }
        });
      }

      test("malformed amounts beside a valid offer: the valid one is paid", async () => {
        hostile.on("/trading-signals", (_req, res, paid) =>
          paid ? data(res) : speak.ask(res, offer({ maxAmountRequired: "1e4" }), offer({ maxAmountRequired: "17000.0" }), offer()),
        );
        const seen = hostile.paymentHeaders.length;
        const { client, close } = await connectStdio(env(newLedger()));
        try {
          const result = await client.callTool(signals(1));
          assert.ok(!result.isError, textOf(result));
          assert.equal(hostile.paymentHeaders.length - seen, 1);
          const sent = JSON.parse(Buffer.from(hostile.paymentHeaders.at(-1)!, "base64").toString()) as { payload: { authorization: { value: string } } };
          assert.equal(sent.payload.authorization.value, "17000");
        } finally {
          await close();
        }
      });

      test("a TMAI contract whose decimals differ from what budgets assume is never paid", async () => {
        // A token with 6 decimals configured as TMAI: every TMAI amount would be read 10^12 times too small.
        const { abi, bytecode } = await compileTokenContract();
        const chain = world.sandbox.chain.chain;
        const deployer = createWalletClient({
          account: privateKeyToAccount("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
          chain,
          transport: http(world.sandbox.chain.rpcUrl),
        });
        const hash = await deployer.deployContract({ abi, bytecode, args: ["Token Metrics AI", "TMAI", 6] });
        const token = (await world.sandbox.chain.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
        hostile.on("/trading-signals", (_req, res) =>
          speak.ask(res, offer({ asset: token, maxAmountRequired: "15300", extra: { name: "Token Metrics AI", version: "2" } })),
        );
        const seen = hostile.paymentHeaders.length;
        const { client, close } = await connectStdio(
          env(newLedger(), {
            TOKEN_METRICS_TMAI_ADDRESS: token,
            TOKEN_METRICS_ASSETS: "tmai",
            TOKEN_METRICS_MAX_PER_CALL: "1 TMAI",
            TOKEN_METRICS_DAILY_BUDGET: "10 TMAI",
          }),
        );
        try {
          const result = await client.callTool(signals(1));
          assert.match(textOf(result), /TMAI cannot be paid: its contract 0x[0-9a-fA-F]{40} reports 6 decimals, not the 18/);
          assert.equal(hostile.paymentHeaders.length - seen, 0);
        } finally {
          await close();
        }
      });
    });

    test("reconcile reads only unresolved and recent payments, however long the ledger", async () => {
      const ledger = newLedger();
      const old = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
      const payer = world.sandbox.info.payerAddress;
      const lines: string[] = [];
      for (let i = 0; i < 50_000; i++) {
        const nonce = `0x${i.toString(16).padStart(64, "0")}`;
        const base = {
          ts: old,
          session: "old",
          call: `c${i}`,
          endpoint: "/trading-signals",
          network: "base-sepolia",
          payer,
          asset: "USDC",
          assetAddress: world.sandbox.chain.usdc,
          amount: "17000",
          nonce,
          validBefore: "1",
        };
        lines.push(JSON.stringify({ ...base, event: "signed" }), JSON.stringify({ ...base, event: "settled", transaction: "unknown" }));
      }
      await appendFile(ledger, `${lines.join("\n")}\n`);
      const { client, close } = await connectStdio(
        env(ledger, { TOKEN_METRICS_API_BASE_URL: world.sandbox.info.apiBaseUrl, TOKEN_METRICS_DAILY_BUDGET: "100000 USDC" }),
      );
      try {
        assert.ok(!(await client.callTool(signals(1))).isError);
        const report = (await client.callTool({ name: "reconcile_payments", arguments: {} })).structuredContent as { checked: number; matching: number };
        assert.deepEqual(
          { checked: report.checked, matching: report.matching },
          { checked: 1, matching: 1 },
          "100 000 old lines are not read from the chain again",
        );
      } finally {
        await close();
      }
    });
  });
