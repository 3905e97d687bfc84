// Side-by-side sampling: each iteration runs the kplex operation and the host operation back to
// back, alternating which goes first (ABBA...), so machine noise and warm-up hit both sides.
import { performance } from 'node:perf_hooks';
import { summarize, type Summary } from './stats.js';

export type Op = (i: number) => Promise<unknown>;

export interface Paired {
  kplex: number[];
  host: number[];
}

/** Milliseconds `op` took. */
export async function timed(op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
}

/**
 * Runs `n` measured iterations after `warmup` unmeasured ones. An op may return a number: its own
 * measured milliseconds (e.g. write-to-watch-event), used instead of the call's duration.
 */
export async function interleave(n: number, kplex: Op, host: Op, warmup = 5): Promise<Paired> {
  const out: Paired = { kplex: [], host: [] };
  for (let i = 0; i < n + warmup; i++) {
    const sides: ['kplex' | 'host', Op][] = [
      ['kplex', kplex],
      ['host', host],
    ];
    if (i % 2 === 1) sides.reverse();
    for (const [side, op] of sides) {
      const t0 = performance.now();
      const own = await op(i);
      const ms = typeof own === 'number' ? own : performance.now() - t0;
      if (i >= warmup) out[side].push(ms);
    }
  }
  return out;
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Measures one operation on both sides (kplex `k`, host `h`) interleaved, logs the two p50s and
 * returns both summaries.
 */
export function sideBySide<S>(k: S, h: S, log: (line: string) => void) {
  return async (
    label: string,
    count: number,
    op: (s: S, i: number) => Promise<unknown>,
  ): Promise<{ kplex: Summary; host: Summary }> => {
    const r = await interleave(
      count,
      (i) => op(k, i),
      (i) => op(h, i),
    );
    const kplex = summarize(r.kplex);
    const host = summarize(r.host);
    log(`  ${label}: kplex p50 ${kplex.p50.toFixed(2)} ms, host p50 ${host.p50.toFixed(2)} ms`);
    return { kplex, host };
  };
}
