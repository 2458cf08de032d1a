import type { AmountPerAsset } from "../config.js";
import { log } from "../log.js";
import { ASSET_DECIMALS, type AssetSymbol } from "../assets.js";
import type { LedgerEntry } from "./entry.js";

/** One asset's balance in its own units, as WalletReader.balances gives it ("999.983"). */
export interface BalanceReading {
  asset: string;
  balance: string;
}

/**
 * At most one balance read per this interval: a busy server (or several replicas sharing a wallet)
 * would otherwise ask the RPC once per payment. A crossing is noticed at most this late.
 */
export const LOW_BALANCE_READ_INTERVAL_MS = 30_000;

/**
 * TOKEN_METRICS_LOW_BALANCE: warns once each time an asset's balance falls below its threshold,
 * and again only after it went back above (a deposit) and down again.
 *
 * When the balance is read: after a settled payment, in a timer of its own, at most once per
 * LOW_BALANCE_READ_INTERVAL_MS (a payment inside the interval schedules one read at its end, so
 * the last payment's effect is always seen). Only payments lower the balance, so nothing is missed
 * by not reading otherwise, and the paid call never waits for the RPC: its result is already on
 * its way. Readings made anyway (get_wallet_status, a /metrics scrape) are taken into account too.
 *
 * How the warning travels: a background read has no call to answer, and over stateless HTTP a
 * notification outside a call reaches nobody, so a crossing is held until the next paid tool
 * result, which carries it as a note, and logged then, inside that call: stderr, and an MCP log
 * message on that call's own stream (stdio and HTTP alike).
 */
export class LowBalanceMonitor {
  /** Assets below their threshold at the last reading. */
  private readonly below = new Set<string>();
  /** Crossings not told to anyone yet, by asset. */
  private readonly pending = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private lastRead = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly thresholds: AmountPerAsset,
    private readonly read: () => Promise<BalanceReading[]>,
  ) {}

  /** For LedgerStore.observe: a settled payment lowered the balance, so read it soon. */
  readonly observe = (entry: LedgerEntry): void => {
    if (entry.event !== "settled" || this.timer) return;
    const wait = Math.max(0, this.lastRead + LOW_BALANCE_READ_INTERVAL_MS - Date.now());
    // unref: a pending read never keeps a stopping server alive.
    this.timer = setTimeout(() => void this.readNow(), wait).unref();
  };

  /**
   * Takes a reading into account and says which assets are below their threshold now (undefined
   * when none is): what get_wallet_status shows every time, not only at the crossing.
   */
  async check(readings: readonly BalanceReading[]): Promise<string | undefined> {
    const { parseUnits } = await import("viem");
    const low: string[] = [];
    for (const { asset, balance } of readings) {
      const threshold = this.thresholds[asset as AssetSymbol];
      if (threshold === undefined) continue;
      const decimals = ASSET_DECIMALS[asset as AssetSymbol];
      if (parseUnits(balance, decimals) >= parseUnits(threshold, decimals)) {
        this.below.delete(asset);
        this.pending.delete(asset); // back above before anyone was told: nothing to tell
        continue;
      }
      const sentence = `the wallet holds ${balance} ${asset}, below TOKEN_METRICS_LOW_BALANCE (${threshold} ${asset})`;
      low.push(sentence);
      if (!this.below.has(asset)) this.pending.set(asset, sentence);
      this.below.add(asset);
    }
    return low.length > 0 ? warningAbout(low) : undefined;
  }

  /**
   * The warning for crossings nobody was told of yet, logged now (inside the tool call that
   * carries it) and returned for its result; undefined when there is none. Each crossing once.
   */
  takeWarning(): string | undefined {
    if (this.pending.size === 0) return undefined;
    const warning = warningAbout([...this.pending.values()]);
    this.pending.clear();
    log.warn(warning);
    return warning;
  }

  private async readNow(): Promise<void> {
    this.timer = undefined;
    this.lastRead = Date.now();
    try {
      await this.check(await this.read());
    } catch {
      // The next payment reads again; what fails is reported by get_wallet_status and /metrics.
      log.debug("low-balance check: the wallet's balance could not be read");
    }
  }
}

const warningAbout = (sentences: readonly string[]) =>
  `Low balance: ${sentences.join("; ")}. Top it up before paid calls start failing (get_wallet_status shows its address).`;
