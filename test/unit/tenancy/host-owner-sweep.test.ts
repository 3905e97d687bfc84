// The host owner sweep over a real tenant store and a host that answers by path: absent owners,
// owners of another uid, orphaning and foreground owners, live and unknown ones.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../../../src/hostapi/host-client.js';
import { createLogger } from '../../../src/log/logger.js';
import type { ResourceInfo } from '../../../src/resources/types.js';
import { SqliteTenantStore } from '../../../src/store/sqlite-tenant-store.js';
import { HostOwnerSweep } from '../../../src/tenancy/host-owner-sweep.js';

const configmaps = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  placement: 'host',
} as ResourceInfo;
const ROLES = { group: 'rbac.authorization.k8s.io', resource: 'roles' };

function setup(host: Record<string, { status: number; body?: unknown }>) {
  const store = new SqliteTenantStore('t', join(mkdtempSync(join(tmpdir(), 'kplex-sweep-')), 't.db'), {});
  const settled: [string, string][] = [];
  const asked: string[] = [];
  const sweep = new HostOwnerSweep({
    tenant: 't',
    store: () => store,
    host: {
      request: async (_m: string, path: string) => {
        asked.push(path);
        return host[path] ?? { status: 404 };
      },
    } as unknown as HostClient,
    hostNamespaceOf: (ns) => `t-${ns}`,
    rowOf: (_v, kind) => (kind === 'ConfigMap' ? configmaps : undefined),
    hostOwnerDeleted: (uid, p) => settled.push([uid, p]),
    logger: createLogger('silent'),
  });
  const role = (name: string, owners: { kind: string; name: string; uid: string }[]) =>
    store.create(
      { ...ROLES, namespace: 'work', name },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: {
          name,
          namespace: 'work',
          uid: `role-${name}`,
          ownerReferences: owners.map((o) => ({ apiVersion: 'v1', ...o })),
        },
      },
    );
  return { store, sweep, settled, asked, role };
}
const cm = (uid: string, meta: Record<string, unknown> = {}) => ({
  status: 200,
  body: { metadata: { uid, ...meta } },
});
const P = '/api/v1/namespaces/t-work/configmaps/';

describe('host owner sweep', () => {
  it('settles absent owners and owners of another uid in the background, leaves live ones', async () => {
    const { sweep, settled, role } = setup({ [`${P}live`]: cm('u-live'), [`${P}renewed`]: cm('u-other') });
    role('a', [{ kind: 'ConfigMap', name: 'gone', uid: 'u-gone' }]);
    role('b', [{ kind: 'ConfigMap', name: 'live', uid: 'u-live' }]);
    role('c', [{ kind: 'ConfigMap', name: 'renewed', uid: 'u-renewed' }]);
    role('d', [{ kind: 'Role', name: 'a', uid: 'role-a' }]); // a virtual owner: not the host's
    expect(await sweep.sweep()).toBe(2);
    expect(settled.sort()).toEqual([
      ['u-gone', 'Background'],
      ['u-renewed', 'Background'],
    ]);
  });

  it('an owner being deleted orphans (orphan finalizer) or collects (foregroundDeletion); other finalizers hold', async () => {
    const del = { deletionTimestamp: '2026-12-01T00:00:00Z' };
    const { sweep, settled, role } = setup({
      [`${P}o`]: cm('u-o', { ...del, finalizers: ['orphan'] }),
      [`${P}f`]: cm('u-f', { ...del, finalizers: ['foregroundDeletion'] }),
      [`${P}h`]: cm('u-h', { ...del, finalizers: ['example.com/hold'] }),
    });
    for (const n of ['o', 'f', 'h']) role(n, [{ kind: 'ConfigMap', name: n, uid: `u-${n}` }]);
    await sweep.sweep();
    expect(settled.sort()).toEqual([
      ['u-f', 'Foreground'],
      ['u-o', 'Orphan'],
    ]);
  });

  it('costs no host call without host owners; an unknown host answer settles nothing', async () => {
    const { sweep, settled, asked, role } = setup({ [`${P}x`]: { status: 500 } });
    expect(await sweep.sweep()).toBe(0);
    expect(asked).toEqual([]);
    role('x', [{ kind: 'ConfigMap', name: 'x', uid: 'u-x' }]);
    expect(await sweep.sweep()).toBe(0);
    expect(asked).toEqual([`${P}x`]);
    expect(settled).toEqual([]);
  });
});
