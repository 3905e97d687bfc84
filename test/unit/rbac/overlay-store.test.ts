// The merged view of the shared bootstrap policy and a tenant's own RBAC objects, on a real
// SQLite store: nothing is written until the tenant changes a bootstrap object; changes are its
// delta; watchers see ADDED/MODIFIED/DELETED as if the bootstrap objects had always been stored.
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../src/store/types.js';
import { bootstrapPolicy, BOOTSTRAP_RV } from '../../../src/rbac/bootstrap-policy.js';
import { OverlayStore } from '../../../src/rbac/overlay-store.js';
import { openStore } from '../store/helpers.js';

const G = 'rbac.authorization.k8s.io';
const key = (name: string) => ({ group: G, resource: 'clusterroles', namespace: '', name });

function setup() {
  const inner = openStore();
  inner.create(
    { group: '', resource: 'namespaces', namespace: '', name: 'default' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  );
  const store = new OverlayStore(() => inner, bootstrapPolicy);
  return { inner, store };
}

describe('OverlayStore over the bootstrap policy', () => {
  it('serves every bootstrap object without writing any', () => {
    const { inner, store } = setup();
    const list = store.list({ group: G, resource: 'clusterroles' });
    expect(list.items.length).toBe(64);
    expect(list.items.map((s) => s.key.name)).toContain('cluster-admin');
    expect(inner.list({ group: G, resource: 'clusterroles' }).items).toHaveLength(0);
    expect(store.get(key('view'))?.object.metadata?.resourceVersion).toBe(String(BOOTSTRAP_RV));
    expect(
      store.list({ group: G, resource: 'roles', namespace: 'kube-system' }).items.length,
    ).toBeGreaterThan(0);
    expect(store.list({ group: G, resource: 'roles', namespace: 'default' }).items).toHaveLength(0);
  });

  it('gives the same uid to a bootstrap object in every tenant and never lets one tenant change it for another', () => {
    const a = setup().store;
    const b = setup().store;
    expect(a.get(key('edit'))!.object.metadata?.uid).toBe(b.get(key('edit'))!.object.metadata?.uid);
    const obj = a.get(key('edit'))!.object;
    obj.metadata!.labels = { mine: 'yes' };
    expect(b.get(key('edit'))!.object.metadata?.labels?.['mine']).toBeUndefined();
  });

  it('stores an update as the tenant delta, with conflicts on a stale resourceVersion', () => {
    const { inner, store } = setup();
    expect(() => store.update(key('view'), { metadata: { name: 'view' } }, 999)).toThrow(/has been modified/);
    const updated = store.update(
      key('view'),
      {
        apiVersion: `${G}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'view', labels: { x: 'y' } },
        rules: [],
      },
      BOOTSTRAP_RV,
    );
    expect(updated.rv).toBeGreaterThan(BOOTSTRAP_RV);
    expect(store.get(key('view'))?.object.metadata?.labels).toEqual({ x: 'y' });
    expect(inner.list({ group: G, resource: 'clusterroles' }).items).toHaveLength(1);
    expect(JSON.stringify(store.get(key('view'))!.object)).not.toContain('__kplex');
  });

  it('deletes with a tombstone, refuses a second delete, and re-creates', () => {
    const { store } = setup();
    expect(() => store.create(key('admin'), { metadata: { name: 'admin' } })).toThrow(/already exists/);
    store.delete(key('admin'));
    expect(store.get(key('admin'))).toBeUndefined();
    expect(store.list({ group: G, resource: 'clusterroles' }).items.map((s) => s.key.name)).not.toContain(
      'admin',
    );
    expect(() => store.delete(key('admin'))).toThrow(/not found/);
    expect(() => store.update(key('admin'), { metadata: { name: 'admin' } })).toThrow(/not found/);
    store.create(key('admin'), { metadata: { name: 'admin' }, rules: [] });
    expect(store.get(key('admin'))?.object.rules).toEqual([]);
  });

  it('pages the merged list in key order', () => {
    const { store } = setup();
    store.create(key('aaa-first'), { metadata: { name: 'aaa-first' } });
    const all = store.list({ group: G, resource: 'clusterroles' }).items.map((s) => s.key.name);
    const page1 = store.list({ group: G, resource: 'clusterroles', limit: 10 });
    expect(page1.items.map((s) => s.key.name)).toEqual(all.slice(0, 10));
    expect(page1.remaining).toBe(all.length - 10);
    const page2 = store.list({ group: G, resource: 'clusterroles', limit: 10, after: page1.last });
    expect(page2.items.map((s) => s.key.name)).toEqual(all.slice(10, 20));
  });

  it('pages through own rows, tombstones and layer objects with the same items and counts as one list', () => {
    const { store } = setup();
    for (let i = 0; i < 250; i++)
      store.create(key(`own-${String(i).padStart(3, '0')}`), { metadata: { name: `own-${i}` } });
    store.delete(key('admin'));
    store.delete(key('view'));
    store.update(key('edit'), { metadata: { name: 'edit', labels: { mine: 'yes' } } });
    const all = store.list({ group: G, resource: 'clusterroles' }).items.map((s) => s.key.name);
    expect(all).not.toContain('admin');
    expect(all).toContain('edit');
    for (const size of [1, 7, 64, 500]) {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = store.list({ group: G, resource: 'clusterroles', limit: size, after });
        seen.push(...page.items.map((s) => s.key.name));
        if (!page.last) break;
        expect(page.remaining).toBe(all.length - seen.length);
        after = page.last;
      }
      expect(seen).toEqual(all);
    }
  });

  it('tells watchers MODIFIED, DELETED and ADDED for bootstrap keys', () => {
    const { store } = setup();
    const events: ChangeEvent[] = [];
    const w = store.watch({ group: G, resource: 'clusterroles', fromRV: store.currentRV() }, (e) =>
      events.push(e),
    );
    store.update(key('view'), { metadata: { name: 'view', labels: { a: 'b' } } });
    store.update(key('view'), { metadata: { name: 'view', labels: { a: 'c' } } });
    store.delete(key('view'));
    store.create(key('view'), { metadata: { name: 'view' } });
    store.delete(key('edit'));
    store.create(key('mine'), { metadata: { name: 'mine' } });
    w.stop();
    expect(events.map((e) => `${e.type} ${e.key.name}`)).toEqual([
      'MODIFIED view',
      'MODIFIED view',
      'DELETED view',
      'ADDED view',
      'DELETED edit',
      'ADDED mine',
    ]);
    expect(events.every((e) => !JSON.stringify(e.object).includes('__kplex'))).toBe(true);
  });
});
