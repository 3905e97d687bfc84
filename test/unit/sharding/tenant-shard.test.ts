import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { leastLoadedShard, shardLabelPatch, shardOf } from '../../../src/sharding/tenant-shard.js';

const on = (shard?: string): KubeObject => ({
  metadata: { labels: shard === undefined ? {} : ({ 'kplex.io/shard': shard } as Record<string, string>) },
});

describe('tenant shards', () => {
  it('reads the shard label, refusing numbers outside the shards and non-numbers', () => {
    expect(shardOf(on('2'), 3)).toBe(2);
    expect(shardOf(on('3'), 3)).toBeUndefined();
    expect(shardOf(on('01x'), 3)).toBeUndefined();
    expect(shardOf(on(), 3)).toBeUndefined();
    expect(shardOf(undefined, 3)).toBeUndefined();
  });

  it('places on the least-loaded shard, the lowest among equals; unplaced tenants do not count', () => {
    expect(leastLoadedShard([], 3)).toBe(0);
    expect(leastLoadedShard([on('0'), on('1'), on()], 3)).toBe(2);
    expect(leastLoadedShard([on('0'), on('0'), on('1'), on('2')], 3)).toBe(1);
    expect(leastLoadedShard([on('9')], 3)).toBe(0);
  });

  it('labels conditionally on the version read', () => {
    expect(shardLabelPatch({ metadata: { resourceVersion: '42' } }, 1)).toEqual({
      metadata: { resourceVersion: '42', labels: { 'kplex.io/shard': '1' } },
    });
  });
});
