import { describe, expect, it } from 'vitest';
import {
  acquiredLease,
  leaseShard,
  mayAcquire,
  releasedLease,
  type HolderInfo,
  type Lease,
} from '../../../src/sharding/lease-record.js';
import { leaseTiming } from '../../../src/sharding/lease-timing.js';

const me: HolderInfo = { identity: 'r0', address: 'https://127.0.0.1:9443', servingCA: 'PEM', shards: 3 };
const held = (holder: string, seconds = 15): Lease => ({
  metadata: { name: 'kplex-shard-0', resourceVersion: '5' },
  spec: { holderIdentity: holder, leaseDurationSeconds: seconds, leaseTransitions: 2, acquireTime: 'then' },
});

describe('shard lease records (client-go leaderelection rules)', () => {
  it('may take a missing, unheld or own Lease at once', () => {
    expect(mayAcquire(undefined, 'r0', 0, 0)).toBe(true);
    expect(mayAcquire(held(''), 'r0', 0, 0)).toBe(true);
    expect(mayAcquire(held('r0'), 'r0', 0, 0)).toBe(true);
  });

  it("takes another holder's Lease only when unchanged for its duration since observed", () => {
    expect(mayAcquire(held('r1', 15), 'r0', 1000, 15_999)).toBe(false);
    expect(mayAcquire(held('r1', 15), 'r0', 1000, 16_000)).toBe(true);
  });

  it('counts a change of holder in leaseTransitions and keeps acquireTime on renewal', () => {
    const renewed = acquiredLease(0, held('r0'), me, 15, Date.UTC(2026, 0, 1));
    expect(renewed.spec).toMatchObject({ holderIdentity: 'r0', leaseTransitions: 2, acquireTime: 'then' });
    expect(renewed.spec?.renewTime).toBe('2026-01-01T00:00:00.000000Z');
    expect(renewed.metadata?.resourceVersion).toBe('5');
    const taken = acquiredLease(0, held('r1'), me, 15, Date.UTC(2026, 0, 1));
    expect(taken.spec).toMatchObject({ holderIdentity: 'r0', leaseTransitions: 3 });
    expect(taken.spec?.acquireTime).toBe('2026-01-01T00:00:00.000000Z');
    expect(taken.metadata?.annotations).toMatchObject({
      'kplex.io/peer-address': me.address,
      'kplex.io/serving-ca': 'PEM',
      'kplex.io/shards': '3',
    });
    expect(leaseShard(taken)).toBe(0);
    const created = acquiredLease(2, undefined, me, 15, 0);
    expect(created.spec?.leaseTransitions).toBe(0);
    expect(created.metadata?.name).toBe('kplex-shard-2');
    expect(created.metadata?.namespace).toBe('kplex-system');
  });

  it('gives a Lease up as client-go does: no holder, a 1 s duration', () => {
    const r = releasedLease(held('r0'), 0);
    expect(r.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
  });

  it("reads only kplex's shard label as a shard number", () => {
    expect(leaseShard({ metadata: { labels: { 'kplex.io/shard-lease': '7' } } })).toBe(7);
    expect(leaseShard({ metadata: { labels: { 'kplex.io/shard-lease': '-1' } } })).toBeUndefined();
    expect(leaseShard({ metadata: {} })).toBeUndefined();
  });

  it("keeps client-go's proportions: the holder fences a third of the lease before others may take it", () => {
    expect(leaseTiming(15)).toEqual({ durationSeconds: 15, renewDeadlineMs: 10_000, retryMs: 2000 });
    expect(leaseTiming(0).durationSeconds).toBe(1);
  });
});
