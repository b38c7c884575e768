// Token buckets kept in this process's memory: a key (a client address, an order number)
// may spend `capacity` requests at once and earns them back evenly over `perMs`. Several
// API processes each keep their own buckets, so the limit a client meets is per process.

export interface BucketRule {
  capacity: number;
  perMs: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

/** Buckets beyond this many are swept (full ones first, then the oldest) so memory stays bounded. */
const MAX_KEYS = 50_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rule: BucketRule) {}

  /** Spends one token of `key`'s bucket, or says how long until one is earned. */
  take(key: string, now = Date.now()): Take {
    const { capacity, perMs } = this.rule;
    const rate = capacity / perMs;
    const held = this.buckets.get(key);
    const tokens = held ? Math.min(capacity, held.tokens + (now - held.at) * rate) : capacity;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
    }
    // Re-inserted so the map's order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_KEYS) this.sweep(now);
    return { ok: true };
  }

  private sweep(now: number): void {
    const rate = this.rule.capacity / this.rule.perMs;
    for (const [key, b] of this.buckets) if (b.tokens + (now - b.at) * rate >= this.rule.capacity) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= MAX_KEYS) break;
      this.buckets.delete(key);
    }
  }
}
