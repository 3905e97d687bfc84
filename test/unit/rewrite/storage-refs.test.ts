// Host names of a tenant's own cluster-scoped storage objects and the fields naming them.
import { describe, expect, it } from 'vitest';
import {
  classToHost,
  classToVirtual,
  clusterHostGenerateName,
  clusterHostName,
  clusterStem,
  clusterVirtualName,
} from '../../../src/rewrite/cluster-names.js';
import { NamespaceMap } from '../../../src/rewrite/namespace-translator.js';
import { bodyToVirtual, objectToHost } from '../../../src/rewrite/object-rewrite.js';
import type { StorageRefs } from '../../../src/rewrite/storage-refs.js';

const a = { tenant: 'team', tenantUid: 'uid-a' };
const b = { tenant: 'team', tenantUid: 'uid-b' }; // a re-created tenant of the same name

describe('cluster names', () => {
  it('are readable, per tenant UID, and read back', () => {
    const h = clusterHostName(a, 'data');
    expect(h).toMatch(/^team-[0-9a-f]{8}-data$/);
    expect(clusterHostName(b, 'data')).not.toBe(h);
    expect(clusterVirtualName(a, h)).toBe('data');
    expect(clusterVirtualName(b, h)).toBeUndefined();
    expect(clusterVirtualName(a, 'data')).toBeUndefined();
  });

  it('fit in 253 characters: long names hashed to exactly 253, never a readable one', () => {
    const long = 'x'.repeat(253);
    const h = clusterHostName(a, long);
    expect(h.length).toBe(253);
    expect(clusterHostName(a, `${long.slice(0, 252)}y`)).not.toBe(h);
    expect(clusterVirtualName(a, h)).toBe(long);
    const fits = 'y'.repeat(252 - clusterStem(a).length - 1);
    expect(clusterHostName(a, fits).length).toBe(252);
    expect(clusterVirtualName(a, clusterHostName(a, fits))).toBe(fits);
    expect(clusterHostGenerateName(a, 'g'.repeat(300)).length).toBe(248);
  });

  it('give the tenant a "no class" of its own', () => {
    expect(classToHost(a, '')).toBe(clusterStem(a));
    expect(classToVirtual(a, clusterStem(a))).toBe('');
    expect(classToVirtual(a, 'standard')).toBeUndefined();
  });
});

describe('storage references in objects', () => {
  const map = new NamespaceMap('team', new Map([['default', 'team-default']]), 0, 'uid-a');
  const refs: StorageRefs = {
    forVolume: false,
    claimClass: (v) => (v === 'host-class' ? v : classToHost(map, v)),
    claimVolume: (v) => (v === 'data' ? clusterHostName(map, v) : v),
  };

  it('translate a claim both ways, whatever the class and volume', () => {
    const claim = {
      metadata: { name: 'c', namespace: 'default' },
      spec: { storageClassName: 'fast', volumeName: 'data' },
    };
    const req = structuredClone(claim);
    const m = Object.create(map) as NamespaceMap;
    m.storageRefs = refs;
    objectToHost(req, m, 'team-default');
    expect(req.spec).toEqual({
      storageClassName: clusterHostName(map, 'fast'),
      volumeName: clusterHostName(map, 'data'),
    });
    bodyToVirtual(req, map);
    expect(req.spec).toEqual(claim.spec);
    const hostOwn = { spec: { storageClassName: 'host-class', volumeName: 'pvc-123' } };
    objectToHost(hostOwn, m, 'team-default');
    expect(hostOwn.spec).toEqual({ storageClassName: 'host-class', volumeName: 'pvc-123' });
    const none = { spec: { storageClassName: '' } };
    objectToHost(none, m, 'team-default');
    expect(none.spec.storageClassName).toBe(clusterStem(map));
  });

  it('keep a patched value the tenant left as it read it', () => {
    const current = { spec: { volumeName: 'pvc-host', storageClassName: clusterHostName(map, 'fast') } };
    const patched = { spec: { volumeName: 'pvc-host', storageClassName: 'fast' } };
    const m = Object.create(map) as NamespaceMap;
    m.storageRefs = { ...refs, claimVolume: (v) => clusterHostName(map, v) };
    objectToHost(patched, m, 'team-default', current);
    expect(patched.spec).toEqual(current.spec);
  });

  it('put a volume under the tenant: its name, owner labels and class ("" too)', () => {
    const m = Object.create(map) as NamespaceMap;
    m.storageRefs = {
      ...refs,
      forVolume: true,
      volumeName: (n) => clusterHostName(map, n),
      ownerLabels: { 'kplex.io/tenant-uid': 'uid-a' },
    };
    const pv = {
      metadata: { name: 'data', labels: { 'kplex.io/tenant-uid': 'forged', app: 'x' } },
      spec: { capacity: {} },
    };
    objectToHost(pv, m, undefined);
    expect(pv.metadata).toEqual({
      name: clusterHostName(map, 'data'),
      labels: { app: 'x', 'kplex.io/tenant-uid': 'uid-a' },
    });
    expect((pv.spec as { storageClassName?: string }).storageClassName).toBe(clusterStem(map));
  });

  it('read back in Table cells of the Volume and StorageClass columns only', () => {
    const table = {
      kind: 'Table',
      columnDefinitions: [{ name: 'Name' }, { name: 'Volume' }, { name: 'StorageClass' }],
      rows: [
        { cells: [clusterHostName(map, 'n'), clusterHostName(map, 'data'), clusterHostName(map, 'fast')] },
      ],
    };
    bodyToVirtual(table, map);
    expect(table.rows[0]!.cells).toEqual([clusterHostName(map, 'n'), 'data', 'fast']);
  });
});
