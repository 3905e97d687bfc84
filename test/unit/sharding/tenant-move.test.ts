import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import { movedPatch, movePatch, movingTo } from '../../../src/sharding/tenant-move.js';
import { isLongRunning } from '../../../src/sharding/serving-set.js';

describe('tenant moves', () => {
  it('reads the moving-to annotation within the shards only', () => {
    const t = (v?: string): KubeObject => ({
      metadata: {
        annotations: v === undefined ? {} : ({ 'kplex.io/moving-to': v } as Record<string, string>),
      },
    });
    expect(movingTo(t('1'), 2)).toBe(1);
    expect(movingTo(t('2'), 2)).toBeUndefined();
    expect(movingTo(t('x'), 2)).toBeUndefined();
    expect(movingTo(t(), 2)).toBeUndefined();
  });

  it('starts and ends a move with writes conditional on the version read', () => {
    const t = { metadata: { resourceVersion: '7' } };
    expect(movePatch(t, 1)).toEqual({
      metadata: { resourceVersion: '7', annotations: { 'kplex.io/moving-to': '1' } },
    });
    expect(movedPatch(t, 1)).toEqual({
      metadata: {
        resourceVersion: '7',
        labels: { 'kplex.io/shard': '1' },
        annotations: { 'kplex.io/moving-to': null },
      },
    });
  });

  it('ends watches, followed logs and upgrades at once; lets other requests finish', () => {
    const req = (url: string, upgrade = false) =>
      ({ url, ...(upgrade ? { upgradeHead: Buffer.alloc(0) } : {}) }) as unknown as IncomingMessage;
    expect(isLongRunning(req('/api/v1/pods?watch=true'))).toBe(true);
    expect(isLongRunning(req('/api/v1/namespaces/a/pods/p/log?follow=1'))).toBe(true);
    expect(isLongRunning(req('/api/v1/watch/pods'))).toBe(true);
    expect(isLongRunning(req('/api/v1/namespaces/a/pods/p/exec?command=ls', true))).toBe(true);
    expect(isLongRunning(req('/api/v1/pods?watch=false'))).toBe(false);
    expect(isLongRunning(req('/api/v1/pods?labelSelector=watch%3Dtrue'))).toBe(false);
    expect(isLongRunning(req('/apis/rbac.authorization.k8s.io/v1/clusterroles'))).toBe(false);
  });
});
