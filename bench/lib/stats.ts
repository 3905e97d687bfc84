// Latency statistics: nearest-rank percentiles (the value at rank ceil(p·n)), as most load tools
// report them, so p99 of 100 samples is the 99th smallest, never an interpolation.

export interface Summary {
  n: number;
  p50: number;
  p99: number;
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** kplex / host, NaN when either side is missing or the host took no time. */
export function ratio(kplex: number, host: number): number {
  return Number.isFinite(kplex) && Number.isFinite(host) && host > 0 ? kplex / host : NaN;
}

/** Rounds for reports: 3 significant digits below 100, integers above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  return Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(3));
}
