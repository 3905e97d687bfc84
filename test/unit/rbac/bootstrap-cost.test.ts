// What the shared bootstrap policy saves a new tenant: its store with and without the 123
// bootstrap objects written into it (the counterfactual kplex avoids), on real SQLite files.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrapPolicy } from '../../../src/rbac/bootstrap-policy.js';
import { OverlayStore } from '../../../src/rbac/overlay-store.js';
import { openStore, tempDir } from '../store/helpers.js';

const G = 'rbac.authorization.k8s.io';
const RESOURCES = ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'];
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function newTenant(materialize: boolean): { ms: number; bytes: number; rows: number } {
  const dir = tempDir();
  const file = join(dir, 't.db');
  const t0 = performance.now();
  const store = openStore({}, file);
  store.transaction(() => {
    for (const name of DEFAULT_NAMESPACES)
      store.create(
        { group: '', resource: 'namespaces', namespace: '', name },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      );
    if (materialize) {
      for (const r of RESOURCES)
        for (const s of bootstrapPolicy.list(G, r)) store.create(s.key, structuredClone(s.object));
    }
  });
  const ms = performance.now() - t0;
  const rows = RESOURCES.reduce(
    (n, r) => n + new OverlayStore(() => store, bootstrapPolicy).list({ group: G, resource: r }).items.length,
    0,
  );
  const bytes = ['', '-wal']
    .map((s) => {
      try {
        return statSync(file + s).size;
      } catch {
        return 0;
      }
    })
    .reduce((a, b) => a + b, 0);
  return { ms, bytes, rows };
}

describe('bootstrap policy cost per tenant', () => {
  it('is zero bytes and zero writes: a tenant sees all 123 objects with none stored', () => {
    newTenant(false); // warm-up (module loading, SQLite)
    const shared = newTenant(false);
    const materialized = newTenant(true);
    console.log(
      `[measure] new tenant store: shared bootstrap ${shared.bytes} B in ${shared.ms.toFixed(1)} ms; bootstrap written per tenant ${materialized.bytes} B in ${materialized.ms.toFixed(1)} ms`,
    );
    expect(shared.rows).toBe(123);
    expect(materialized.bytes).toBeGreaterThan(shared.bytes);
  });
});
