// A token bucket per key (a source address, a tenant): each may send `rate` queries a second with bursts of twice
// that. The table is bounded: when it is full, the buckets that are full again (idle sources) go.
const MAX_SOURCES = 65_536;

export class SourceBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when `source` may send one more query now. */
  take(source: string): boolean {
    const t = this.now();
    const burst = this.rate * 2;
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= MAX_SOURCES) this.sweep(t, burst);
      b = { tokens: burst, at: t };
      this.buckets.set(source, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(t: number, burst: number): void {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((t - b.at) / 1000) * this.rate >= burst) this.buckets.delete(k);
    // Still full (a spoofed-address flood over UDP): start over rather than grow without bound.
    if (this.buckets.size >= MAX_SOURCES) this.buckets.clear();
  }
}
