// Tenant-wide quota attacks (issue 14): a tenant admin tries to lower, raise, delete or rewrite the
// quota kplex shows in its namespaces and an operator's quota and LimitRange, to race concurrent
// creates past the quota (pods by name and generateName, Services, namespaces, a Deployment's
// ReplicaSet on the host), to forge the webhook's reservation, and to learn or use another
// tenant's usage. Each attack checks the apiserver's refusal AND what the host holds.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, expectStatus, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sq-a';
const B = 'sq-b';
const Q = 'tenant-quota.kplex.io';
const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const TENANTS = '/apis/kplex.io/v1alpha1/tenants';

type Obj = Record<string, unknown>;
interface List {
  items: { metadata: { name: string; namespace: string } }[];
}

const pod = (name: string, meta: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: name ? { name, ...meta } : { generateName: 'g-', ...meta },
  spec: { containers: [{ name: 'c', image: 'x' }] },
});
const service = (name: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { ports: [{ port: 80 }] },
});
const ns = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

describe('security: tenant-wide quota', () => {
  let s: SecurityEnv;
  let api: HostClient;
  const hostNs: Record<string, string> = {};
  const quotaPath = (n: string) => `/api/v1/namespaces/${n}/resourcequotas/${Q}`;
  const setPolicy = async (tenant: string, policy: Obj | null): Promise<void> => {
    const r = await s.hostApi.request('PATCH', `${TENANTS}/${tenant}`, { spec: { policy } }, MERGE);
    expect(r.status).toBe(200);
  };
  /** kplex and the host have the policy's pod limit (kplex's view, and the host's per-namespace copy). */
  const untilPods = async (tenant: string, n: string, namespaces: string[]): Promise<void> => {
    const hardPods = async (client: HostClient, path: string) =>
      (await client.request<{ spec?: { hard?: Obj } }>('GET', path)).body.spec?.hard?.['pods'];
    const checks = [
      () => hardPods(s.api[tenant]!, quotaPath(namespaces[0]!)),
      ...namespaces.map((v) => () => hardPods(s.hostApi, quotaPath(hostNs[`${tenant}/${v}`]!))),
    ];
    // A loop, not expect.poll: beforeAll calls it too.
    for (const check of checks)
      for (let i = 0; (await check()) !== n; i++) {
        if (i >= 150) throw new Error(`the quota's pods never became ${n}`);
        await new Promise((r) => setTimeout(r, 200));
      }
  };
  /** The tenant's pods on the host, in all its host namespaces. */
  const hostPods = async (tenant: string): Promise<number> => {
    const r = await s.hostApi.request<List>('GET', '/api/v1/pods');
    const mine = new Set(
      Object.entries(hostNs)
        .filter(([k]) => k.startsWith(`${tenant}/`))
        .map(([, v]) => v),
    );
    return r.body.items.filter((p) => mine.has(p.metadata.namespace)).length;
  };
  const quotaMessage = (r: { body: unknown }) => (r.body as { message?: string }).message ?? '';

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    api = s.api[A]!;
    await setPolicy(A, { quota: { pods: '4', services: '2', namespaces: '8' } });
    for (const t of [A, B])
      for (const n of ['x', 'y']) {
        expect((await s.api[t]!.request('POST', '/api/v1/namespaces', ns(n))).status).toBe(201);
        hostNs[`${t}/${n}`] = await hostNamespaceOf(s.hostApi, t, n);
      }
    await untilPods(A, '4', ['x', 'y']);
  });
  afterAll(async () => {
    for (const t of [A, B])
      await s?.hostApi.request('PATCH', `${TENANTS}/${t}`, { spec: { policy: null } }, MERGE);
    await s?.close();
  });

  attack('rbac', 'raise the tenant quota with a merge patch', async () => {
    const r = await api.request('PATCH', quotaPath('x'), { spec: { hard: { pods: '1000' } } }, MERGE);
    expectStatus(r, 403, 'Forbidden');
    const h = await s.hostApi.request<{ spec: { hard: Obj } }>('GET', quotaPath(hostNs[`${A}/x`]!));
    expect(h.body.spec.hard['pods']).toBe('4');
  });

  attack('rbac', 'lower the tenant quota with a server-side apply (force)', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: Q },
      spec: { hard: { pods: '0' } },
    };
    const r = await api.request('PATCH', `${quotaPath('y')}?fieldManager=t&force=true`, body, APPLY);
    expectStatus(r, 403, 'Forbidden');
  });

  attack('rbac', 'delete the tenant quota', async () => {
    expectStatus(await api.request('DELETE', quotaPath('x')), 403, 'Forbidden');
    expect((await s.hostApi.request('GET', quotaPath(hostNs[`${A}/x`]!))).status).toBe(200);
  });

  attack('rbac', 'rewrite the tenant quota status (used: 0)', async () => {
    const cur = await api.request<Obj>('GET', quotaPath('x'));
    const body = { ...cur.body, status: { hard: { pods: '4' }, used: { pods: '0' } } };
    expectStatus(await api.request('PUT', `${quotaPath('x')}/status`, body), 403, 'Forbidden');
  });

  attack('rbac', "an operator's ResourceQuota and LimitRange are read-only", async () => {
    const h = hostNs[`${A}/y`]!;
    const labels = { 'kplex.io/operator-owned': 'true' };
    const rq = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'op', labels },
      spec: { hard: { pods: '50' } },
    };
    const lr = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'op', labels },
      spec: { limits: [{ type: 'Container', max: { cpu: '2' } }] },
    };
    expect((await s.hostApi.request('POST', `/api/v1/namespaces/${h}/resourcequotas`, rq)).status).toBe(201);
    expect((await s.hostApi.request('POST', `/api/v1/namespaces/${h}/limitranges`, lr)).status).toBe(201);
    for (const kind of ['resourcequotas', 'limitranges']) {
      const path = `/api/v1/namespaces/y/${kind}/op`;
      // The tenant reads it, without the operator's label.
      const got = await api.request<{ metadata: { labels?: Obj } }>('GET', path);
      expect(got.status).toBe(200);
      expect(got.body.metadata.labels ?? {}).toEqual({});
      expectStatus(await api.request('DELETE', path), 403, 'Forbidden');
      expectStatus(
        await api.request('PATCH', path, { metadata: { labels: { a: 'b' } } }, MERGE),
        403,
        'Forbidden',
      );
      expect((await s.hostApi.request('GET', `/api/v1/namespaces/${h}/${kind}/op`)).status).toBe(200);
    }
    // The tenant's own quota stays its own to change.
    const own = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'mine' },
      spec: { hard: { pods: '9' } },
    };
    expect((await api.request('POST', '/api/v1/namespaces/y/resourcequotas', own)).status).toBe(201);
    expect((await api.request('DELETE', '/api/v1/namespaces/y/resourcequotas/mine')).status).toBe(200);
  });

  attack('rbac', "deletecollection (delete quota --all) refuses while kplex's quotas are in it", async () => {
    const own = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name, labels: { mine: 'yes' } },
      spec: { hard: { pods: '9' } },
    });
    expect((await api.request('POST', '/api/v1/namespaces/x/resourcequotas', own('mine-x'))).status).toBe(
      201,
    );
    const all = await api.request('DELETE', '/api/v1/namespaces/x/resourcequotas');
    expectStatus(all, 403, 'Forbidden');
    expect(quotaMessage(all)).toMatch(/^resourcequotas "(tenant-quota|quota)\.kplex\.io" is forbidden: /);
    // Nothing was deleted: kplex's quota nor the tenant's own.
    const h = hostNs[`${A}/x`]!;
    expect((await s.hostApi.request('GET', quotaPath(h))).status).toBe(200);
    expect((await s.hostApi.request('GET', `/api/v1/namespaces/${h}/resourcequotas/mine-x`)).status).toBe(
      200,
    );
    // A selector that leaves kplex's quotas out deletes the tenant's own, and only those.
    const some = await api.request<List>(
      'DELETE',
      '/api/v1/namespaces/x/resourcequotas?labelSelector=mine%3Dyes',
    );
    expect(some.status).toBe(200);
    expect(some.body.items.map((i) => i.metadata.name)).toEqual(['mine-x']);
    expect((await s.hostApi.request('GET', quotaPath(h))).status).toBe(200);
  });

  attack(
    'rbac',
    "deletecollection of an operator's LimitRange and quota (by a selector matching them) is refused",
    async () => {
      const h = hostNs[`${A}/y`]!;
      for (const kind of ['limitranges', 'resourcequotas']) {
        // The operator's label is kplex's: the tenant's selector on it is dropped, so it cannot aim around the guard.
        for (const q of [
          '',
          '?labelSelector=kplex.io%2Foperator-owned%21%3Dtrue',
          '?fieldSelector=metadata.name%3Dop',
        ]) {
          const r = await api.request('DELETE', `/api/v1/namespaces/y/${kind}${q}`);
          expectStatus(r, 403, 'Forbidden');
          expect(quotaMessage(r)).toMatch(new RegExp(`^${kind} "[^"]+" is forbidden: `));
        }
        expect((await s.hostApi.request('GET', `/api/v1/namespaces/${h}/${kind}/op`)).status).toBe(200);
      }
    },
  );

  attack('rbac', "deletecollection of NetworkPolicies leaves kplex's hidden isolation policy", async () => {
    const h = hostNs[`${A}/x`]!;
    const iso = `/apis/networking.k8s.io/v1/namespaces/${h}/networkpolicies/kplex-tenant-isolation`;
    expect((await s.hostApi.request('GET', iso)).status).toBe(200);
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'mine' },
      spec: { podSelector: {} },
    };
    const path = '/apis/networking.k8s.io/v1/namespaces/x/networkpolicies';
    expect((await api.request('POST', path, np)).status).toBe(201);
    const r = await api.request<List>('DELETE', path);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => i.metadata.name)).toEqual(['mine']);
    const left = await s.hostApi.request<{ metadata: { deletionTimestamp?: string } }>('GET', iso);
    expect(left.status).toBe(200);
    expect(left.body.metadata.deletionTimestamp).toBeUndefined();
  });

  attack('bodies', 'forge the pod webhook reservation annotation', async () => {
    const r = await api.request(
      'POST',
      '/api/v1/namespaces/x/pods',
      pod('forged', { annotations: { 'kplex.io/quota-reservation': 'forged' } }),
    );
    expect(r.status).toBe(201);
    const h = await s.hostApi.request<{ metadata: { annotations: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${hostNs[`${A}/x`]}/pods/forged`,
    );
    expect(h.body.metadata.annotations['kplex.io/quota-reservation']).toMatch(/^[0-9a-f-]{36}$/);
    // The tenant never reads it.
    const v = await api.request<{ metadata: { annotations?: Obj } }>(
      'GET',
      '/api/v1/namespaces/x/pods/forged',
    );
    expect(Object.keys(v.body.metadata.annotations ?? {}).filter((k) => k.includes('kplex'))).toEqual([]);
    expect(
      (await api.request('DELETE', '/api/v1/namespaces/x/pods/forged?gracePeriodSeconds=0')).status,
    ).toBe(200);
    await expect.poll(() => hostPods(A), { timeout: 30_000 }).toBe(0);
  });

  attack('exhaustion', 'race 16 named pod creates across two namespaces past the quota', async () => {
    const rs = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        api.request('POST', `/api/v1/namespaces/${i % 2 ? 'x' : 'y'}/pods`, pod(`r${i}`)),
      ),
    );
    const before = await hostPods(A);
    expect(rs.filter((r) => r.status === 201)).toHaveLength(4);
    for (const r of rs.filter((x) => x.status !== 201)) {
      expectStatus(r, 403, 'Forbidden');
      expect(quotaMessage(r)).toMatch(
        /^pods "r\d+" is forbidden: exceeded quota: tenant-quota\.kplex\.io, requested: pods=1, used: pods=\d, limited: pods=4$/,
      );
    }
    expect(before).toBe(4);
  });

  attack('exhaustion', 'race 12 generateName pod creates (no name to count by)', async () => {
    await setPolicy(A, { quota: { pods: '7', services: '2', namespaces: '8' } });
    await untilPods(A, '7', ['x', 'y']);
    const rs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.request('POST', `/api/v1/namespaces/${i % 2 ? 'x' : 'y'}/pods`, pod('')),
      ),
    );
    expect(rs.filter((r) => r.status === 201)).toHaveLength(3);
    for (const r of rs.filter((x) => x.status !== 201))
      expect(quotaMessage(r)).toContain(
        'is forbidden: exceeded quota: tenant-quota.kplex.io, requested: pods=1',
      );
    expect(await hostPods(A)).toBe(7);
  });

  attack('exhaustion', 'a Deployment scaled past the quota never gets more pods than the quota', async () => {
    await setPolicy(A, { quota: { pods: '10', services: '2', namespaces: '8' } });
    await untilPods(A, '10', ['x', 'y']);
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'flood' },
      spec: {
        replicas: 12,
        selector: { matchLabels: { app: 'flood' } },
        template: {
          metadata: { labels: { app: 'flood' } },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        },
      },
    };
    expect((await api.request('POST', '/apis/apps/v1/namespaces/x/deployments', dep)).status).toBe(201);
    await expect.poll(() => hostPods(A), { timeout: 60_000 }).toBe(10);
    // Bounded: watch a few seconds for an overshoot.
    for (let i = 0; i < 10; i++) {
      expect(await hostPods(A)).toBeLessThanOrEqual(10);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await api.request('DELETE', '/apis/apps/v1/namespaces/x/deployments/flood')).status).toBe(200);
  });

  attack('exhaustion', 'race 8 Service creates past the quota', async () => {
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request('POST', `/api/v1/namespaces/${i % 2 ? 'x' : 'y'}/services`, service(`s${i}`)),
      ),
    );
    expect(rs.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of rs.filter((x) => x.status !== 201)) {
      expectStatus(r, 403, 'Forbidden');
      expect(quotaMessage(r)).toMatch(
        /^services "s\d" is forbidden: exceeded quota: tenant-quota\.kplex\.io, requested: services=1, used: services=2, limited: services=2$/,
      );
    }
  });

  attack('exhaustion', 'race 8 namespace creates past the namespaces quota', async () => {
    // 4 of every cluster + x + y: room for 2.
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.request('POST', '/api/v1/namespaces', ns(`n${i}`))),
    );
    expect(rs.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of rs.filter((x) => x.status !== 201))
      expect(quotaMessage(r)).toMatch(
        /^namespaces "n\d" is forbidden: exceeded quota: tenant-quota\.kplex\.io, requested: namespaces=1, used: namespaces=8, limited: namespaces=8$/,
      );
  });

  attack('leaks', "another tenant's objects are neither counted nor shown", async () => {
    // B fills its own namespaces; A's usage and refusals do not move, and name nothing of B.
    for (let i = 0; i < 3; i++)
      expect((await s.api[B]!.request('POST', '/api/v1/namespaces/x/pods', pod(`b${i}`))).status).toBe(201);
    const q = await api.request<{ status: { used: Record<string, string> } }>('GET', quotaPath('y'));
    expect(q.body.status.used['pods']).toBe(String(await hostPods(A)));
    const qb = await s.api[B]!.request<{ status: { used: Record<string, string> } }>('GET', quotaPath('x'));
    expect(qb.body.status.used['pods']).toBe('3');
    const r = await s.api[B]!.request('GET', `/api/v1/namespaces/x/resourcequotas`);
    expect(JSON.stringify(r.body)).not.toContain(hostNs[`${A}/x`]!);
    expect(JSON.stringify(r.body)).not.toContain(hostNs[`${B}/x`]!);
  });

  attack('leaks', 'the quota list and Table show the tenant-wide figures, no host namespace', async () => {
    const table = await fetchTable(api, '/api/v1/namespaces/x/resourcequotas');
    const row = table.rows.find((r) => r.cells[0] === Q);
    expect(String(row?.cells[2])).toContain(`pods: ${await hostPods(A)}/10`);
    expect(JSON.stringify(table)).not.toContain(hostNs[`${A}/x`]!);
    const list = await api.request<{ items: { metadata: { name: string }; status: { used: Obj } }[] }>(
      'GET',
      '/api/v1/namespaces/y/resourcequotas',
    );
    expect(list.body.items.find((i) => i.metadata.name === Q)?.status.used['pods']).toBe(
      String(await hostPods(A)),
    );
  });
});

/** A list as a Table, as `kubectl get` asks for it. */
async function fetchTable(api: HostClient, path: string): Promise<{ rows: { cells: unknown[] }[] }> {
  const res = await api.dispatcher.request({
    origin: api.origin,
    path: api.basePath + path,
    method: 'GET',
    headers: api.headers({ accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }),
  });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as { rows: { cells: unknown[] }[] };
}
