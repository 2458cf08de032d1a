import assert from "node:assert/strict";
import { setImmediate } from "node:timers/promises";
import { describe, mock, test } from "node:test";
import { LOW_BALANCE_READ_INTERVAL_MS, LowBalanceMonitor, type BalanceReading } from "../../src/payer/low-balance.js";
import type { LedgerEntry } from "../../src/payer/entry.js";

/** Lets a background read start and finish: a few turns of the event loop. */
const settle = async () => {
  for (let turn = 0; turn < 20; turn++) await setImmediate();
};

/**
 * The monitor's warning once its background check is done: the check imports viem, which under
 * tsx's loader takes real time even when loaded, so wait (by the unmocked clock) up to 5 s.
 */
async function warningOf(monitor: LowBalanceMonitor): Promise<string | undefined> {
  const deadline = performance.now() + 5_000;
  for (;;) {
    const warning = monitor.takeWarning();
    if (warning || performance.now() > deadline) return warning;
    await setImmediate();
  }
}
const usdc = (balance: string): BalanceReading[] => [{ asset: "USDC", balance }];
const entry = (event: LedgerEntry["event"]): LedgerEntry => ({
  ts: new Date().toISOString(),
  event,
  session: "s",
  call: "c",
  endpoint: "/tm-grade",
  network: "base-sepolia",
});

describe("the low-balance monitor", () => {
  test("warns once per crossing below the threshold, again only after going back above and down", async () => {
    const monitor = new LowBalanceMonitor({ USDC: "5" }, async () => []);
    assert.equal(await monitor.check(usdc("5")), undefined, "at the threshold is not below it");
    assert.equal(monitor.takeWarning(), undefined);

    const status = await monitor.check(usdc("4.99"));
    assert.match(status ?? "", /the wallet holds 4\.99 USDC, below TOKEN_METRICS_LOW_BALANCE \(5 USDC\)/);
    assert.equal(monitor.takeWarning(), status, "the crossing is told once");
    assert.equal(monitor.takeWarning(), undefined);
    assert.match((await monitor.check(usdc("3"))) ?? "", /3 USDC/, "the status says so while it lasts");
    assert.equal(monitor.takeWarning(), undefined, "still below: no second warning");

    await monitor.check(usdc("10"));
    await monitor.check(usdc("2"));
    assert.match(monitor.takeWarning() ?? "", /holds 2 USDC/, "down again after a top-up: warned again");

    await monitor.check(usdc("10"));
    await monitor.check(usdc("1"));
    await monitor.check(usdc("10"));
    assert.equal(monitor.takeWarning(), undefined, "back above before anyone was told: nothing to tell");
  });

  test("only assets with a threshold count; 18-decimal amounts compare exactly", async () => {
    const monitor = new LowBalanceMonitor({ TMAI: "100" }, async () => []);
    assert.equal(
      await monitor.check([
        { asset: "USDC", balance: "0" },
        { asset: "TMAI", balance: "100" },
      ]),
      undefined,
    );
    assert.match((await monitor.check([{ asset: "TMAI", balance: "99.999999999999999999" }])) ?? "", /99\.999999999999999999 TMAI/);
  });

  test("reads after a settled payment, in the background, at most once per interval, the last payment always seen", async () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"] });
    try {
      let reads = 0;
      let balance = "10";
      const monitor = new LowBalanceMonitor({ USDC: "5" }, async () => (reads++, usdc(balance)));
      for (const event of ["offered", "signed", "refused", "failed"] as const) monitor.observe(entry(event));
      mock.timers.tick(LOW_BALANCE_READ_INTERVAL_MS);
      await settle();
      assert.equal(reads, 0, "only a settled payment lowers the balance");

      monitor.observe(entry("settled"));
      assert.equal(reads, 0, "never during the payment's own call");
      mock.timers.tick(0);
      await settle();
      assert.equal(reads, 1);

      balance = "4";
      monitor.observe(entry("settled"));
      monitor.observe(entry("settled"));
      mock.timers.tick(LOW_BALANCE_READ_INTERVAL_MS - 1);
      await settle();
      assert.equal(reads, 1, "not again within the interval");
      mock.timers.tick(1);
      await settle();
      assert.equal(reads, 2, "one read at its end, for the payments inside it");
      assert.match((await warningOf(monitor)) ?? "", /holds 4 USDC/);
    } finally {
      mock.timers.reset();
    }
  });

  test("a failed read warns nobody and breaks nothing", async () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"] });
    try {
      let reads = 0;
      const monitor = new LowBalanceMonitor({ USDC: "5" }, () => (reads++, Promise.reject(new Error("RPC down"))));
      monitor.observe(entry("settled"));
      mock.timers.tick(0);
      await settle();
      assert.equal(reads, 1);
      assert.equal(monitor.takeWarning(), undefined);
    } finally {
      mock.timers.reset();
    }
  });
});
