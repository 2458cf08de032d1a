import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodePaymentSignatureHeader } from "@x402/core/http";
import { declarePaymentIdentifierExtension, extractPaymentIdentifier, PAYMENT_IDENTIFIER } from "@x402/extensions/payment-identifier";
import { privateKeyToAccount } from "viem/accounts";
import type { Offer } from "../../src/payer/challenge.js";
import { Signer, type ChallengeContext, type Signature } from "../../src/payer/signer.js";
import { buildOffer, TMAI } from "./builders.js";

/** Anvil's first well-known key: a test key, never a real wallet. */
const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const resource = { url: "https://api.example/v2/trading-signals", mimeType: "application/json" };
const SPONSORED = { eip2612GasSponsoring: { info: {}, schema: {} }, erc20ApprovalGasSponsoring: { info: {}, schema: {} } };
const permit2 = buildOffer({
  asset: TMAI,
  amount: "15300000000000000",
  method: "permit2",
  extra: { assetTransferMethod: "permit2", name: "Token Metrics AI", version: "1" },
});

const decoded = (signature: Signature) => {
  assert.deepEqual(Object.keys(signature.headers), ["PAYMENT-SIGNATURE"]);
  return decodePaymentSignatureHeader(signature.headers["PAYMENT-SIGNATURE"]!);
};

describe("Signer.sign (v2): the echo of the challenge's extensions", () => {
  const cases: Array<[name: string, offer: Offer, extensions: Record<string, unknown> | undefined, echoed: string[], withId: boolean]> = [
    [
      "payment-identifier declared (optional): an id the library accepts",
      buildOffer(),
      { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) },
      [PAYMENT_IDENTIFIER],
      true,
    ],
    [
      "payment-identifier declared (required): an id",
      buildOffer(),
      { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) },
      [PAYMENT_IDENTIFIER],
      true,
    ],
    ["no extensions: no id", buildOffer(), undefined, [], false],
    ["other extensions only: echoed, no id", buildOffer(), { bazaar: { info: { note: "kept" } } }, ["bazaar"], false],
    [
      "sponsored approvals are never echoed; the rest is",
      buildOffer(),
      { ...SPONSORED, bazaar: {}, [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) },
      ["bazaar", PAYMENT_IDENTIFIER],
      true,
    ],
    [
      "Permit2 with sponsored approvals: signed without them, with an id",
      permit2,
      { ...SPONSORED, [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) },
      [PAYMENT_IDENTIFIER],
      true,
    ],
  ];
  for (const [name, offer, extensions, echoed, withId] of cases) {
    test(name, async () => {
      const signature = await new Signer(account, "base-sepolia").sign(offer, { resource, extensions });
      const payload = decoded(signature);
      assert.deepEqual(Object.keys(payload.extensions ?? {}).sort(), echoed.sort());
      assert.deepEqual(payload.resource, resource);
      assert.equal(payload.accepted.amount, offer.amount);
      const id = extractPaymentIdentifier(payload); // validates the id's form as the server will
      assert.equal(id, signature.paymentId ?? null);
      assert.equal(id !== null, withId);
      assert.equal(signature.method, offer.method);
      assert.ok(Number(signature.validBefore) > Date.now() / 1000);
    });
  }

  test("each signature carries its own id", async () => {
    const signer = new Signer(account, "base-sepolia");
    const context = { resource, extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) } };
    const [a, b] = await Promise.all([signer.sign(buildOffer(), context), signer.sign(buildOffer(), context)]);
    assert.notEqual(a.paymentId, b.paymentId);
    assert.notEqual(a.nonce, b.nonce);
  });
});

describe("Signer.presign then sign", () => {
  /** Resolves once the background signing of `presign` is ready (a test's look inside, no sleeping). */
  async function signedAhead(signer: Signer, offer: Offer, context: ChallengeContext): Promise<Signature> {
    const ready = (signer as unknown as { signedAhead: Map<string, Signature> }).signedAhead;
    signer.presign(offer, context);
    while (ready.size === 0) await new Promise((resolve) => setImmediate(resolve));
    return [...ready.values()][0]!;
  }

  test("the same terms: the pre-signed authorization, once", async () => {
    const signer = new Signer(account, "base-sepolia");
    const context = { resource, extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) } };
    const ahead = await signedAhead(signer, buildOffer(), context);
    const first = await signer.sign(buildOffer(), context);
    const second = await signer.sign(buildOffer(), context);
    assert.equal(first, ahead);
    assert.equal(decoded(first).payload.authorization !== undefined, true);
    assert.notEqual(second.nonce, first.nonce);
    assert.notEqual(second.paymentId, first.paymentId);
  });

  const otherTerms: Array<[name: string, offer: Offer]> = [
    ["another amount", buildOffer({ amount: "17001" })],
    ["another payee", buildOffer({ payTo: "0x2222222222222222222222222222222222222222" })],
    ["another window", buildOffer({ maxTimeoutSeconds: 120 })],
  ];
  for (const [name, offer] of otherTerms) {
    test(`${name}: signed afresh, never the pre-signed one`, async () => {
      const signer = new Signer(account, "base-sepolia");
      const ahead = await signedAhead(signer, buildOffer(), { resource });
      assert.notEqual((await signer.sign(offer, { resource })).nonce, ahead.nonce);
    });
  }

  test("many calls succeeding at once at one price sign one authorization ahead, not one each", async () => {
    const signer = new Signer(account, "base-sepolia");
    const signedNow = (signer as unknown as { signNow: Signer["sign"] }).signNow.bind(signer);
    let signings = 0;
    (signer as unknown as { signNow: Signer["sign"] }).signNow = (offer, context) => (signings++, signedNow(offer, context));
    const ahead = await signedAhead(signer, buildOffer(), { resource });
    for (let call = 0; call < 20; call++) signer.presign(buildOffer(), { resource });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(signings, 1, "one ready for these terms: no other is signed");
    assert.equal(await signer.sign(buildOffer(), { resource }), ahead);
  });

  test("terms signed ahead under another challenge context (no payment-identifier then) are not reused for one declaring it", async () => {
    const signer = new Signer(account, "base-sepolia");
    await signedAhead(signer, buildOffer(), { resource });
    const signature = await signer.sign(buildOffer(), {
      resource: { url: "https://api.example/v2/other" },
      extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) },
    });
    assert.ok(signature.paymentId, "a fresh id for a server that declares the extension");
    assert.deepEqual(decoded(signature).resource, { url: "https://api.example/v2/other" });
  });
});
