/**
 * Recent API answers, bounded by bytes and evicted least-recently-used first. Identical calls
 * within an endpoint's TTL are answered from here without a request or a payment.
 */
export interface CachedAnswer {
  body: unknown;
  fetchedAt: Date;
}

interface Entry extends CachedAnswer {
  bytes: number;
  expires: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Lookups answered from here and not (absent or expired), since start: read by /metrics. */
  readonly lookups = { hits: 0, misses: 0 };

  constructor(private readonly maxBytes: number) {}

  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return this.miss();
    this.entries.delete(key);
    if (entry.expires <= Date.now()) {
      this.bytes -= entry.bytes;
      return this.miss();
    }
    this.entries.set(key, entry); // most recently used goes last
    this.lookups.hits++;
    return entry;
  }

  private miss(): undefined {
    this.lookups.misses++;
    return undefined;
  }

  set(key: string, body: unknown, bytes: number, ttlMs: number): void {
    if (ttlMs <= 0 || bytes > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.bytes;
    }
    this.entries.set(key, { body, bytes, fetchedAt: new Date(), expires: Date.now() + ttlMs });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}
