import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readChallenge } from "../../src/payer/challenge.js";
import { PAY_TO, USDC } from "./builders.js";

const v1Body = (accepts: unknown, extra: object = {}) => new Response(JSON.stringify({ x402Version: 1, error: "pay", accepts, ...extra }), { status: 402 });
const v2Header = (challenge: object) =>
  new Response("{}", { status: 402, headers: { "PAYMENT-REQUIRED": Buffer.from(JSON.stringify(challenge)).toString("base64") } });
const requirement = { scheme: "exact", asset: USDC, payTo: PAY_TO, maxTimeoutSeconds: 60, extra: { name: "USDC", version: "2" } };

describe("reading a 402 challenge", () => {
  test("v2: the PAYMENT-REQUIRED header, with its resource and extensions kept for the echo", async () => {
    const challenge = await readChallenge(
      v2Header({
        x402Version: 2,
        error: "pay",
        resource: { url: "https://x" },
        accepts: [{ ...requirement, network: "eip155:84532", amount: "17000" }],
        extensions: { bazaar: {} },
      }),
    );
    assert.equal(challenge.x402Version, 2);
    assert.deepEqual(challenge.resource, { url: "https://x" });
    assert.deepEqual(challenge.extensions, { bazaar: {} });
    assert.deepEqual(
      challenge.offers.map(({ x402Version, network, amount, method }) => ({ x402Version, network, amount, method })),
      [{ x402Version: 2, network: "eip155:84532", amount: "17000", method: "eip3009" }],
    );
  });

  test("v2 is read first, even with a v1 body beside it", async () => {
    const response = new Response(JSON.stringify({ x402Version: 1, accepts: [] }), {
      status: 402,
      headers: {
        "PAYMENT-REQUIRED": Buffer.from(JSON.stringify({ x402Version: 2, accepts: [{ ...requirement, network: "eip155:84532", amount: "1" }] })).toString(
          "base64",
        ),
      },
    });
    assert.equal((await readChallenge(response)).x402Version, 2);
  });

  test("v1: the JSON body, maxAmountRequired as the amount", async () => {
    const challenge = await readChallenge(v1Body([{ ...requirement, network: "base-sepolia", maxAmountRequired: "17000" }]));
    assert.deepEqual(
      challenge.offers.map(({ x402Version, network, amount }) => ({ x402Version, network, amount })),
      [{ x402Version: 1, network: "base-sepolia", amount: "17000" }],
    );
  });

  test("a Permit2 offer is recognised by extra.assetTransferMethod", async () => {
    const challenge = await readChallenge(
      v2Header({ x402Version: 2, accepts: [{ ...requirement, network: "eip155:84532", amount: "1", extra: { assetTransferMethod: "permit2" } }] }),
    );
    assert.equal(challenge.offers[0]?.method, "permit2");
  });

  test("offers missing what we sign over are dropped, the others kept", async () => {
    const challenge = await readChallenge(
      v1Body([
        { ...requirement, network: "base-sepolia" },
        { ...requirement, network: "base-sepolia", maxAmountRequired: "5" },
      ]),
    );
    assert.deepEqual(
      challenge.offers.map((offer) => offer.amount),
      ["5"],
    );
  });

  const failures: Array<[string, () => Response, RegExp]> = [
    ["a body that is not JSON", () => new Response("<html>", { status: 402 }), /not a JSON x402 challenge/],
    ["a v1 body without accepts", () => new Response(JSON.stringify({ x402Version: 1 }), { status: 402 }), /lists no payment options/],
    ["a version 3 body", () => new Response(JSON.stringify({ x402Version: 3, accepts: [] }), { status: 402 }), /version 3/],
    [
      "a v2 version in the body",
      () => new Response(JSON.stringify({ x402Version: 2, accepts: [] }), { status: 402 }),
      /version 2 uses the PAYMENT-REQUIRED header/,
    ],
    ["a header that is not base64", () => new Response("{}", { status: 402, headers: { "PAYMENT-REQUIRED": "%%%" } }), /not a base64 JSON x402 challenge/],
    [
      "a header that is base64 but not JSON",
      () => new Response("{}", { status: 402, headers: { "PAYMENT-REQUIRED": Buffer.from("nope").toString("base64") } }),
      /not a base64 JSON/,
    ],
    ["a v1 challenge in the header", () => v2Header({ x402Version: 1, accepts: [] }), /only version 2 is sent that way/],
    ["a header without accepts", () => v2Header({ x402Version: 2 }), /lists no payment options/],
    ["a huge body", () => new Response("x".repeat(70_000), { status: 402 }), /too large to be a payment challenge/],
  ];
  for (const [name, response, expected] of failures) {
    test(`${name}: a clear failure saying nothing was signed`, async () => {
      await assert.rejects(readChallenge(response()), (error: Error) => expected.test(error.message) && /Nothing was signed/.test(error.message));
    });
  }
});
