import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/object.js';
import type { StatusError } from '../../../src/api/status.js';
import type { StoreLimits } from '../../../src/limits/store-usage.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';
import { cm, openStore, tempDir } from '../store/helpers.js';
import { join } from 'node:path';

const ns = (name: string) => ({ group: '', resource: 'namespaces', namespace: '', name });
const obj = (name: string, data = ''): KubeObject =>
  ({ metadata: { name }, data: { d: data } }) as KubeObject;
const refusal = (fn: () => unknown): StatusError['status'] => {
  try {
    fn();
  } catch (e) {
    return (e as StatusError).status;
  }
  throw new Error('not refused');
};

describe('store limits', () => {
  const limits: StoreLimits = { objects: 4, storeBytes: 10_000, namespaces: 2 };

  it('refuses the namespace past the limit with the quota error, and takes one after a delete', () => {
    const s = openStore({ limits: () => limits });
    s.create(ns('a'), obj('a'));
    s.create(ns('b'), obj('b'));
    const st = refusal(() => s.create(ns('c'), obj('c')));
    expect([st.code, st.reason]).toEqual([403, 'Forbidden']);
    expect(st.message).toBe(
      'namespaces "c" is forbidden: exceeded quota: kplex-tenant-limits, requested: count/namespaces=1, used: count/namespaces=2, limited: count/namespaces=2',
    );
    expect(s.get(ns('c'))).toBeUndefined();
    s.delete(ns('a'));
    s.create(ns('c'), obj('c'));
  });

  it('refuses objects past the count limit', () => {
    const s = openStore({ limits: () => limits });
    for (let i = 0; i < 4; i++) s.create(cm('x', `c${i}`), obj(`c${i}`));
    const st = refusal(() => s.create(cm('x', 'c4'), obj('c4')));
    expect(st.message).toBe(
      'configmaps "c4" is forbidden: exceeded quota: kplex-tenant-limits, requested: count/objects=1, used: count/objects=4, limited: count/objects=4',
    );
  });

  it('refuses writes that grow the store past its bytes; shrinking writes pass', () => {
    const s = openStore({ limits: () => limits });
    s.create(cm('x', 'a'), obj('a', 'x'.repeat(6000)));
    const st = refusal(() => s.create(cm('x', 'b'), obj('b', 'x'.repeat(6000))));
    expect(st.message).toMatch(
      /^configmaps "b" is forbidden: exceeded quota: kplex-tenant-limits, requested: kplex\.io\/store-bytes=\d+, used: kplex\.io\/store-bytes=\d+, limited: kplex\.io\/store-bytes=10000$/,
    );
    expect(refusal(() => s.update(cm('x', 'a'), obj('a', 'x'.repeat(12000)))).code).toBe(403);
    s.update(cm('x', 'a'), obj('a', 'small'));
    s.create(cm('x', 'b'), obj('b', 'x'.repeat(6000)));
  });

  it('keeps its count right across a rolled-back transaction', () => {
    const s = openStore({ limits: () => limits });
    s.create(ns('a'), obj('a'));
    expect(() =>
      s.transaction(() => {
        s.create(ns('b'), obj('b'));
        throw new Error('abort');
      }),
    ).toThrow('abort');
    s.create(ns('b'), obj('b'));
    expect(refusal(() => s.create(ns('c'), obj('c'))).code).toBe(403);
  });

  it('counts what a store file already holds when first written after reopening', () => {
    const path = join(tempDir(), 't.db');
    const first = new SqliteTenantStore('t', path);
    first.create(ns('a'), obj('a'));
    first.create(ns('b'), obj('b'));
    first.close();
    const s = openStore({ limits: () => limits }, path);
    expect(refusal(() => s.create(ns('c'), obj('c'))).message).toContain('used: count/namespaces=2');
  });

  it('reads the limits at each write (a Tenant edit applies at once)', () => {
    let l = { ...limits, namespaces: 0 };
    const s = openStore({ limits: () => l });
    expect(refusal(() => s.create(ns('a'), obj('a'))).code).toBe(403);
    l = { ...limits };
    s.create(ns('a'), obj('a'));
  });

  it("never refuses kplex's own bookkeeping rows nor writes of an object being deleted", () => {
    const s = openStore({ limits: () => ({ objects: 1, storeBytes: 200, namespaces: 5 }) });
    s.create(ns('a'), obj('a'));
    s.create(
      { group: 'kplex.io', resource: 'internal.hostnamespaces', namespace: '', name: 'a' },
      obj('a', 'x'.repeat(500)),
    );
    expect(refusal(() => s.create(ns('b'), obj('b'))).message).toContain('used: count/objects=1');
    const big = { ...obj('a', 'x'.repeat(300)) };
    expect(refusal(() => s.update(ns('a'), big)).code).toBe(403);
    s.update(ns('a'), { ...big, metadata: { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z' } });
  });
});
