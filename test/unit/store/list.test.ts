import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import type { ListResult } from '../../../src/store/types.js';
import { cm, configMap, crd, openStore, thrown } from './helpers.js';

const names = (r: ListResult) => r.items.map((i) => `${i.key.namespace}/${i.key.name}`);
const configmaps = { group: '', resource: 'configmaps' };

describe('SqliteTenantStore list', () => {
  it('lists one resource in (namespace, name) order, optionally one namespace', () => {
    const s = openStore();
    for (const [ns, n] of [
      ['b', 'z'],
      ['a', 'y'],
      ['b', 'a'],
      ['a', 'b'],
    ] as const)
      s.create(cm(ns, n), configMap(cm(ns, n)));
    s.create(crd('other'), {});
    const all = s.list(configmaps);
    expect(names(all)).toEqual(['a/b', 'a/y', 'b/a', 'b/z']);
    expect(all.rv).toBe(5);
    expect(all.last).toBeUndefined();
    expect(all.remaining).toBeUndefined();
    expect(names(s.list({ ...configmaps, namespace: 'b' }))).toEqual(['b/a', 'b/z']);
    expect(names(s.list({ group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' }))).toEqual([
      '/other',
    ]);
    expect(s.list({ ...configmaps, namespace: 'none' }).items).toEqual([]);
  });

  it('pages with limit and after, reporting last and the remaining count', () => {
    const s = openStore();
    for (let i = 0; i < 25; i++) {
      const k = cm(`ns${i % 3}`, `obj-${String(i).padStart(2, '0')}`);
      s.create(k, configMap(k));
    }
    const seen: string[] = [];
    let after: string | undefined;
    const remainings: number[] = [];
    for (;;) {
      const page = s.list({ ...configmaps, limit: 10, after });
      seen.push(...names(page));
      if (!page.last) break;
      expect(page.last).toBe(names(page).at(-1));
      remainings.push(page.remaining!);
      after = page.last;
    }
    expect(remainings).toEqual([15, 5]);
    expect(seen).toEqual(names(s.list(configmaps)));
    expect(seen).toHaveLength(25);
  });

  it('does not report a continuation when the limit is exactly the remaining count', () => {
    const s = openStore();
    s.create(cm('a', '1'), {});
    s.create(cm('a', '2'), {});
    const page = s.list({ ...configmaps, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.last).toBeUndefined();
  });

  it('serves a continued list as of atMostRV, rebuilding objects changed since from the change log', () => {
    const s = openStore();
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.create(cm('ns', n), configMap(cm('ns', n), { v: '0' }));
    const first = s.list({ ...configmaps, limit: 2 });
    expect(names(first)).toEqual(['ns/a', 'ns/b']);
    const snapshot = first.rv;
    // Changes after the first page must not show in the next ones.
    s.update(cm('ns', 'c'), configMap(cm('ns', 'c'), { v: '1' }));
    s.delete(cm('ns', 'd'));
    s.create(cm('ns', 'cc'), configMap(cm('ns', 'cc')));
    s.update(cm('ns', 'e'), configMap(cm('ns', 'e'), { v: '1' }));
    s.update(cm('ns', 'e'), configMap(cm('ns', 'e'), { v: '2' }));

    const second = s.list({ ...configmaps, limit: 2, after: first.last, atMostRV: snapshot });
    expect(second.rv).toBe(snapshot);
    expect(names(second)).toEqual(['ns/c', 'ns/d']);
    expect(second.items.map((i) => [i.rv, i.object.data, i.object.metadata?.resourceVersion])).toEqual([
      [3, { v: '0' }, '3'],
      [4, { v: '0' }, '4'],
    ]);
    expect(second.remaining).toBe(1);
    const third = s.list({ ...configmaps, limit: 2, after: second.last, atMostRV: snapshot });
    expect(names(third)).toEqual(['ns/e']);
    expect(third.items[0]!.object.data).toEqual({ v: '0' });
    expect(third.last).toBeUndefined();

    // The same list without a snapshot sees the present.
    expect(names(s.list({ ...configmaps, after: 'ns/b' }))).toEqual(['ns/c', 'ns/cc', 'ns/e']);
  });

  it('bounds a page by the bytes of its stored objects, merging past states in key order', () => {
    const s = openStore();
    const big = (n: string, kb: number) => configMap(cm('ns', n), { v: 'x'.repeat(kb * 1024) });
    for (const [n, kb] of [
      ['a', 1],
      ['b', 1],
      ['c', 30],
      ['d', 30],
      ['e', 1],
      ['f', 1],
    ] as const)
      s.create(cm('ns', n), big(n, kb));
    const snapshot = s.currentRV();
    // Changed after the snapshot: served from the change log, in key order with the table rows.
    s.update(cm('ns', 'b'), big('b', 1));
    s.update(cm('ns', 'e'), big('e', 1));
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = s.list({ ...configmaps, after, atMostRV: snapshot, maxBytes: 40 * 1024 });
      pages.push(names(page));
      if (!page.last) break;
      expect(page.last).toBe(names(page).at(-1));
      after = page.last;
    }
    expect(pages).toEqual([
      ['ns/a', 'ns/b', 'ns/c'],
      ['ns/d', 'ns/e', 'ns/f'],
    ]);
    // A single object over the bound is still a page of one; the user's limit still holds.
    expect(names(s.list({ ...configmaps, after: 'ns/b', maxBytes: 1 }))).toEqual(['ns/c']);
    expect(s.list({ ...configmaps, after: 'ns/b', maxBytes: 1 }).remaining).toBe(3);
    expect(names(s.list({ ...configmaps, limit: 2, maxBytes: 1 << 20 }))).toEqual(['ns/a', 'ns/b']);
  });

  it('answers 410 Expired when the change log no longer covers the snapshot', () => {
    const s = openStore({ changeLogRetention: 3 });
    for (const n of ['a', 'b', 'c']) s.create(cm('ns', n), {});
    const snapshot = s.currentRV();
    for (let i = 0; i < 5; i++) s.update(cm('ns', 'c'), { i });
    expect(s.oldestWatchableRV()).toBeGreaterThan(snapshot);
    const err = thrown(() => s.list({ ...configmaps, after: 'ns/a', atMostRV: snapshot })) as StatusError;
    expect(err.status).toMatchObject({ code: 410, reason: 'Expired' });
    expect(err.status.message).toMatch(/^The provided continue parameter is too old/);
  });

  it('answers 410 when an object changed since the snapshot has its older state compacted away', () => {
    const s = openStore({ changeLogRetention: 4 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) s.create(cm('ns', n), {});
    const snapshot = s.currentRV();
    s.update(cm('ns', 'a'), { changed: true });
    expect(s.oldestWatchableRV()).toBeLessThanOrEqual(snapshot);
    // 'b'..'e' are unchanged: a list after 'a' is still served.
    expect(names(s.list({ ...configmaps, after: 'ns/a', atMostRV: snapshot }))).toEqual([
      'ns/b',
      'ns/c',
      'ns/d',
      'ns/e',
    ]);
    const err = thrown(() => s.list({ ...configmaps, atMostRV: snapshot })) as StatusError;
    expect(err.status).toMatchObject({ code: 410, reason: 'Expired' });
  });
});
