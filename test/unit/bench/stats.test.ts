import { describe, expect, it } from 'vitest';
import { interleave } from '../../../bench/lib/interleave.js';
import { latencyEntry, markdown, machine } from '../../../bench/lib/report.js';
import { percentile, summarize } from '../../../bench/lib/stats.js';

describe('percentiles', () => {
  it('uses the nearest rank: p50 of 1..100 is 50, p99 is 99, whatever the input order', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
  });
  it('p99 of fewer than 100 samples is the largest', () => {
    expect(summarize([3, 1, 2])).toEqual({ n: 3, p50: 2, p99: 3 });
  });
  it('no samples give NaN, never a fake zero', () => {
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('entries', () => {
  it('computes ratio and met from the figures', () => {
    const fast = latencyEntry('GET', { n: 10, p50: 2, p99: 4 }, { n: 10, p50: 1.6, p99: 2 }, 1.3);
    expect(fast.ratio).toEqual({ p50: 1.25, p99: 2 });
    expect(fast.met).toBe(true);
    const slow = latencyEntry('GET', { n: 10, p50: 3, p99: 4 }, { n: 10, p50: 2, p99: 2 }, 1.3);
    expect(slow.met).toBe(false);
    expect(Object.keys(slow)).toEqual(['name', 'unit', 'kplex', 'host', 'ratio', 'goal', 'met']);
  });
  it('has no goal and no verdict where the issue sets none', () => {
    const e = latencyEntry('UPDATE', { n: 1, p50: 3, p99: 3 }, { n: 1, p50: 2, p99: 2 });
    expect(e.goal).toBeNull();
    expect(e.met).toBeNull();
  });
  it('renders a table row per entry with the verdict', () => {
    const md = markdown(
      [latencyEntry('GET', { n: 1, p50: 3, p99: 3 }, { n: 1, p50: 2, p99: 2 }, 1.3)],
      machine('v1.32.5', 'abc'),
      new Date(0),
      1,
      'quick',
      [],
    );
    expect(md).toContain('| GET | ms | 3 / 3 | 2 / 2 | 1.5 / 1.5 | p50 ratio ≤ 1.3 | **no** |');
  });
});

describe('interleave', () => {
  it('alternates which side goes first and drops warm-up iterations', async () => {
    const order: string[] = [];
    const r = await interleave(
      4,
      async (i) => void order.push(`k${i}`),
      async (i) => void order.push(`h${i}`),
      1,
    );
    expect(order).toEqual(['k0', 'h0', 'h1', 'k1', 'k2', 'h2', 'h3', 'k3', 'k4', 'h4']);
    expect(r.kplex).toHaveLength(4);
    expect(r.host).toHaveLength(4);
  });
  it('uses an op’s own measurement when it returns a number', async () => {
    const r = await interleave(
      2,
      async () => 7,
      async () => 3,
      0,
    );
    expect(r.kplex).toEqual([7, 7]);
    expect(r.host).toEqual([3, 3]);
  });
});
