import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { parseUnits, type Address, type Hash } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { CATALOG, exampleArgs } from "../src/catalog/index.js";
import { readLedger } from "./helpers/ledger.js";
import { json, offer, startHostileServer } from "./helpers/hostile-server.js";
import { approvePermit2 } from "./helpers/chain.js";
import { connectStdio, textOf } from "./helpers/mcp.js";
import { useSandbox } from "./helpers/sandbox.js";

const usdc = (usd: number) => parseUnits(usd.toFixed(6), 6);
const tmai = (usd: number) => parseUnits((usd * 0.9).toFixed(6), 18);

// The same assertions against a server of each protocol version.
for (const x402 of ["v2", "v1"] as const)
  describe(`x402 payments on the local chain (${x402} server)`, () => {
    const world = useSandbox("payments", { x402 });

    /** A stdio server paying from the sandbox wallet, with its own ledger file. */
    async function payingServer(env: Record<string, string> = {}) {
      const ledgerPath = world.newLedger();
      const session = await connectStdio(world.env(ledgerPath, env));
      const ledger = () => readLedger(ledgerPath);
      return { ...session, ledgerPath, ledger };
    }

    const balances = async (owner: Address) => ({
      usdc: await world.sandbox.chain.balanceOf(world.sandbox.chain.usdc, owner),
      tmai: await world.sandbox.chain.balanceOf(world.sandbox.chain.tmai, owner),
    });
    const paymentHeadersSeen = () => world.sandbox.api.requests.filter((request) => request.hasPaymentHeader).length;

    test("a paid call moves exactly the price from payer to payee, on-chain", async () => {
      const server = await payingServer();
      try {
        const payer0 = await balances(world.sandbox.info.payerAddress as Address);
        const payee0 = await balances(world.sandbox.chain.payTo);
        const result = await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.ok(!result.isError, textOf(result));
        const payment = (result.structuredContent as { payment: { asset: string; amount: string; transaction: Hash } }).payment;
        assert.equal(payment.asset, "USDC");
        assert.equal(payment.amount, "0.017");
        const receipt = await world.sandbox.chain.publicClient.getTransactionReceipt({ hash: payment.transaction });
        assert.equal(receipt.status, "success");
        assert.equal((await balances(world.sandbox.info.payerAddress as Address)).usdc, payer0.usdc - 17_000n);
        assert.equal((await balances(world.sandbox.chain.payTo)).usdc, payee0.usdc + 17_000n);

        const events = (await server.ledger()).map((entry) => entry.event);
        assert.deepEqual(events, ["offered", "signed", "settled"]);
        const settled = (await server.ledger()).at(-1)!;
        assert.equal(settled.transaction, payment.transaction);
        assert.equal(settled.amount, "17000");
        const text = await readFile(server.ledgerPath, "utf8");
        assert.ok(!text.toLowerCase().includes(world.sandbox.info.payerPrivateKey.slice(2).toLowerCase()), "no key in the ledger");
      } finally {
        await server.close();
      }
    });

    test("every tool works with only a private key; the ledger's settled sum equals the on-chain change", async () => {
      const server = await payingServer({ TOKEN_METRICS_CACHE_TTL: "0" }); // every call pays, even a repeated one
      try {
        const payer0 = await balances(world.sandbox.info.payerAddress as Address);
        const headers0 = paymentHeadersSeen();
        const indices = await server.client.callTool({ name: "get_indices", arguments: {} });
        const indexId = (indices.structuredContent as { data: Array<{ ID: number }> }).data[0]!.ID;
        let expected = usdc(CATALOG.find((endpoint) => endpoint.name === "get_indices")!.priceUsd);
        let paidCalls = 1;
        for (const [name, args] of Object.entries(exampleArgs({ indexId }))) {
          const result = await server.client.callTool({ name, arguments: args });
          assert.ok(!result.isError, `${name}: ${textOf(result)}`);
          const price = CATALOG.find((endpoint) => endpoint.name === name)!.priceUsd;
          const payment = (result.structuredContent as { payment?: { amount: string } }).payment;
          if (price === 0) assert.equal(payment, undefined, `${name} is free`);
          else {
            assert.equal(payment?.amount, String(price), `${name} cost`);
            expected += usdc(price);
            paidCalls++;
          }
        }
        const spent = payer0.usdc - (await balances(world.sandbox.info.payerAddress as Address)).usdc;
        assert.equal(spent, expected);
        assert.equal(paymentHeadersSeen() - headers0, paidCalls, "one payment header per paid call");
        const settled = (await server.ledger()).filter((entry) => entry.event === "settled");
        assert.equal(settled.length, paidCalls);
        assert.equal(
          settled.reduce((sum, entry) => sum + BigInt(entry.amount!), 0n),
          spent,
        );

        const status = await server.client.callTool({ name: "get_wallet_status", arguments: {} });
        const wallet = status.structuredContent as {
          address: string;
          balances: Array<{ asset: string; balance: string }>;
          spentThisSession: Record<string, string>;
        };
        assert.equal(wallet.address, world.sandbox.info.payerAddress);
        assert.equal(
          parseUnits(wallet.balances.find((b) => b.asset === "USDC")!.balance, 6),
          (await balances(world.sandbox.info.payerAddress as Address)).usdc,
        );
        assert.equal(parseUnits(wallet.spentThisSession.USDC!, 6), spent);
      } finally {
        await server.close();
      }
    });

    /**
     * One get_tm_grade call by a server allowed TMAI first: its result, the payer's balances before
     * and after, and the API requests it made.
     */
    async function tmaiFirstCall() {
      const server = await payingServer({
        TOKEN_METRICS_ASSETS: "tmai,usdc",
        TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC, 0.05 TMAI",
        TOKEN_METRICS_DAILY_BUDGET: "2 USDC, 1 TMAI",
      });
      try {
        const payer = world.sandbox.info.payerAddress as Address;
        const payer0 = await balances(payer);
        const count = world.sandbox.api.requests.length;
        const result = await server.client.callTool({ name: "get_tm_grade", arguments: { token_id: 3375 } });
        assert.ok(!result.isError, textOf(result));
        return { result, payer0, after: await balances(payer), asked: world.sandbox.api.requests.slice(count) };
      } finally {
        await server.close();
      }
    }

    if (x402 === "v2") {
      test("TMAI, once Permit2 is approved, is asked for and paid (10% cheaper)", async () => {
        await approvePermit2(world.sandbox);
        const { result, payer0, after, asked } = await tmaiFirstCall();
        assert.deepEqual((result.structuredContent as { payment: { asset: string; amount: string } }).payment.asset, "TMAI");
        assert.equal(payer0.tmai - after.tmai, tmai(0.017));
        assert.equal(after.usdc, payer0.usdc);
        assert.ok(asked.every((request) => request.paymentToken === "tmai" && request.hasX402Header && !request.hasApiKey));
      });
    } else {
      test("a v1 TMAI offer for a token without EIP-3009 is never signed; USDC is asked for and paid instead", async () => {
        const { result, payer0, after, asked } = await tmaiFirstCall();
        assert.equal((result.structuredContent as { payment: { asset: string } }).payment.asset, "USDC");
        assert.equal(after.tmai, payer0.tmai, "TMAI untouched");
        assert.equal(payer0.usdc - after.usdc, usdc(0.017));
        assert.deepEqual(
          asked.map((request) => [request.paymentToken, request.hasPaymentHeader]),
          [
            ["tmai", false],
            ["usdc", false],
            ["usdc", true],
          ],
          "TMAI asked, refused unsigned; USDC asked and paid",
        );
      });
    }

    test("payments are logged to the client through MCP logging, at the level it set", async () => {
      const server = await payingServer({ TOKEN_METRICS_MAX_PER_CALL: "0.05 USDC" });
      try {
        const messages: Array<{ level: string; data: unknown }> = [];
        server.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
          messages.push(notification.params);
        });
        await server.client.setLoggingLevel("info");
        await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3306 } });
        await server.client.callTool({ name: "get_ai_reports", arguments: { token_id: 3306 } }); // 0.068: refused
        await server.client.setLoggingLevel("error");
        await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        await server.client.listTools(); // a round trip, so every notification has arrived
        assert.deepEqual(
          messages.map((message) => message.level),
          ["info", "warning"],
        );
        assert.match(String(messages[0]!.data), /^paid 0\.017 USDC for \/trading-signals, transaction 0x[0-9a-f]{64}$/);
        assert.match(String(messages[1]!.data), /refused to pay for \/ai-reports: the price 0\.068 USDC is above the per-call maximum/);
      } finally {
        await server.close();
      }
    });

    /** Runs one call that policy must refuse and proves nothing was signed or moved. */
    async function assertRefused(env: Record<string, string>, expected: RegExp) {
      const server = await payingServer(env);
      try {
        const payer0 = await balances(world.sandbox.info.payerAddress as Address);
        const headers0 = paymentHeadersSeen();
        const result = await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.equal(result.isError, true);
        assert.match(textOf(result), expected);
        assert.match(textOf(result), /nothing was signed/);
        assert.equal(paymentHeadersSeen(), headers0, "no payment header reached the server");
        assert.deepEqual(await balances(world.sandbox.info.payerAddress as Address), payer0);
        assert.deepEqual(
          (await server.ledger()).map((entry) => entry.event),
          ["refused"],
        );
      } finally {
        await server.close();
      }
    }

    test("a price above the per-call maximum is refused", () =>
      assertRefused({ TOKEN_METRICS_MAX_PER_CALL: "0.01 USDC" }, /above the per-call maximum 0\.01 USDC \(TOKEN_METRICS_MAX_PER_CALL\)/));
    test("an offer on another network is refused", () =>
      assertRefused({ TOKEN_METRICS_NETWORK: "base" }, /network "(base-sepolia|eip155:84532)".*TOKEN_METRICS_NETWORK/));
    test("a payee outside the allow-list is refused", () =>
      assertRefused({ TOKEN_METRICS_PAYEES: "0x0000000000000000000000000000000000000001" }, /payee .* is not in TOKEN_METRICS_PAYEES/));
    test("an asset we do not know is refused", () =>
      assertRefused(
        {
          TOKEN_METRICS_ASSETS: "tmai",
          TOKEN_METRICS_MAX_PER_CALL: "1 TMAI",
          TOKEN_METRICS_DAILY_BUDGET: "10 TMAI",
          TOKEN_METRICS_TMAI_ADDRESS: "0x0000000000000000000000000000000000000002",
        },
        /asset 0x[0-9a-fA-F]{40} is not a known USDC or TMAI contract/,
      ));

    test("an unknown scheme is refused before signing (hostile server)", async () => {
      const hostile = await startHostileServer();
      hostile.on("/trading-signals", (_req, res) =>
        json(res, 402, { x402Version: 1, error: "pay", accepts: [offer({ scheme: "upto" }), offer({ scheme: "stream" })] }),
      );
      const server = await payingServer({ TOKEN_METRICS_API_BASE_URL: hostile.baseUrl });
      try {
        const result = await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.equal(result.isError, true);
        assert.match(textOf(result), /no valid payment offer|scheme/);
        assert.equal(hostile.paymentHeaders.length, 0);
      } finally {
        await server.close();
        await hostile.stop();
      }
    });

    test("a wallet without funds gets a clear error and nothing is recorded as settled", async () => {
      const server = await payingServer({ TOKEN_METRICS_PRIVATE_KEY: generatePrivateKey() });
      try {
        const payee0 = await balances(world.sandbox.chain.payTo);
        const result = await server.client.callTool({ name: "get_trading_signals", arguments: { token_id: 3375 } });
        assert.equal(result.isError, true);
        assert.match(
          textOf(result),
          /did not accept the payment of 0\.017 USDC: (insufficient_funds|invalid_exact_evm_insufficient_balance).*get_wallet_status/,
        );
        assert.deepEqual(await balances(world.sandbox.chain.payTo), payee0);
        const events = (await server.ledger()).map((entry) => entry.event);
        assert.deepEqual(events, ["offered", "signed", "failed"]);
      } finally {
        await server.close();
      }
    });
  });
