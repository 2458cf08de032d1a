import assert from "node:assert/strict";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Ledger, type NewLedgerEntry } from "../src/payer/ledger.js";

const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const signed = (nonce: string, extra: Partial<NewLedgerEntry> = {}): NewLedgerEntry => ({
  event: "signed",
  call: nonce,
  endpoint: "/trading-signals",
  network: "base-sepolia",
  payer: ME,
  asset: "USDC",
  assetAddress: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
  amount: "17000",
  nonce,
  validBefore: String(Math.floor(Date.now() / 1000) + 60),
  ...extra,
});

describe("the payment ledger", () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  async function ledgerFile() {
    const dir = await mkdtemp(join(tmpdir(), "tm-ledger-"));
    dirs.push(dir);
    return join(dir, "ledger.jsonl");
  }

  test("budgets count only this wallet's payments on this network", async () => {
    const ledger = new Ledger(await ledgerFile());
    ledger.ownedBy({ payer: ME, network: "base-sepolia" });
    ledger.append(signed("0x01"));
    ledger.append(signed("0x02", { payer: "0x0000000000000000000000000000000000000001" }));
    ledger.append(signed("0x03", { network: "base" }));
    ledger.append(signed("0x04", { payer: undefined })); // an older line without payer: counted
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 34_000n);
  });

  test("a payment found settled after being released counts again", async () => {
    const ledger = new Ledger(await ledgerFile());
    ledger.append(signed("0x01"));
    ledger.append({ ...signed("0x01"), event: "released" });
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 0n);
    ledger.append({ ...signed("0x01"), event: "settled", transaction: "unknown" });
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 17_000n);
  });

  test("a deleted, replaced or truncated file is read again from the start, and new payments count", async () => {
    const path = await ledgerFile();
    const ledger = new Ledger(path);
    ledger.append(signed("0x01"));
    ledger.append(signed("0x02"));
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 34_000n);

    await rm(path);
    ledger.sync();
    ledger.append(signed("0x03"));
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 17_000n, "after deletion");

    await writeFile(path, "");
    ledger.append(signed("0x04"));
    ledger.append(signed("0x05"));
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 34_000n, "after being replaced by an empty file");

    await truncate(path, 0);
    ledger.sync();
    ledger.append(signed("0x06"));
    assert.equal(ledger.sync().committed("USDC", { session: ledger.session }), 17_000n, "after truncation");
  });

  test("two ledgers naming one file differently share its lock and its lines", async () => {
    const path = await ledgerFile();
    const a = new Ledger(path);
    const b = new Ledger(join(path, "..", ".", "ledger.jsonl"));
    a.append(signed("0x01"));
    let inside = 0;
    let most = 0;
    await Promise.all(
      [a, b, a, b].map((ledger) =>
        ledger.exclusive(async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1, "never two holders at once");
    assert.equal(b.sync().committed("USDC", { session: a.session }), 17_000n);
  });
});
