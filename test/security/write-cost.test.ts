// Exhaustion through a tenant's own size (issue 19): writes whose cost grew with the number of
// objects the tenant already had (RBAC policy rebuilds, the garbage collector's scans), and watches
// whose memory grew with the collection size times the watchers. One tenant floods; the victim
// tenant's GET is timed meanwhile (p99 <= 100 ms), and kplex's RSS stays bounded.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/host/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { attack, rssMiB, securityEnv, victimLatency, type SecurityEnv } from './harness.js';

const A = 'sec-cost-a';
const V = 'sec-cost-victim';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const VICTIM_PATH = '/api/v1/namespaces/default/configmaps/victim';
/** Objects per flood: enough that a per-write scan shows, few enough to stay well under a minute. */
const FLOOD = 2_000;
const CONCURRENCY = 32;

/** Runs `op(i)` for i in [0, n) with `concurrency` requests in flight; returns the statuses seen. */
async function flood(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<number>,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const s = await op(next++);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

/** Creates succeed, or (once a quota another part of kplex enforces applies) are refused with 403/429. */
function expectCreatedOrRefused(statuses: Map<number, number>): void {
  for (const s of statuses.keys())
    expect([201, 403, 409, 429], `statuses ${JSON.stringify([...statuses])}`).toContain(s);
  expect(statuses.get(201) ?? 0).toBeGreaterThan(0);
}

const crb = (name: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${name}` }],
});

const rb = (name: string) => ({
  ...crb(name),
  kind: 'RoleBinding',
  metadata: { name, namespace: 'default' },
});

const WIDGETS = '/apis/cost.example.com/v1/namespaces/default/widgets';
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.cost.example.com' },
  spec: {
    group: 'cost.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};
const widget = (name: string, owner?: { name: string; uid: string }) => ({
  apiVersion: 'cost.example.com/v1',
  kind: 'Widget',
  metadata: {
    name,
    ...(owner ? { ownerReferences: [{ apiVersion: 'cost.example.com/v1', kind: 'Widget', ...owner }] } : {}),
  },
  spec: { n: 1 },
});

/** Opens a watch through the unbounded stream pool; resolves with the response status once headers arrive. */
async function openWatch(
  c: HostClient,
  path: string,
  signal: AbortSignal,
): Promise<{ status: number; bytes: () => number }> {
  let bytes = 0;
  const res = await c.streams.request({
    origin: c.origin,
    path: c.basePath + path,
    method: 'GET',
    headers: c.headers({ accept: 'application/json' }),
    signal,
    headersTimeout: 30_000,
    bodyTimeout: 0,
  });
  res.body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  res.body.on('error', () => {});
  return { status: res.statusCode, bytes: () => bytes };
}

describe('security: per-write cost and watch memory independent of the tenant size', () => {
  let s: SecurityEnv;
  let a: HostClient;
  let v: HostClient;

  beforeAll(async () => {
    s = await securityEnv([A, V]);
    a = s.api[A]!;
    v = s.api[V]!;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'victim' }, data: { k: 'v' } };
    expect((await v.request('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    // Warm-up (kplex runs from source: modules compile on first use), not measured.
    for (let i = 0; i < 20; i++) {
      await a.request('POST', `${RBAC}/clusterrolebindings`, crb(`warm-${i}`));
      await a.request('DELETE', `${RBAC}/clusterrolebindings/warm-${i}`);
      await v.request('GET', VICTIM_PATH);
    }
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  attack(
    'exhaustion',
    `ClusterRoleBinding flood: ${FLOOD} creates, ${CONCURRENCY} at a time`,
    async () => {
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          FLOOD,
          CONCURRENCY,
          async (i) => (await a.request('POST', `${RBAC}/clusterrolebindings`, crb(`flood-${i}`))).status,
        );
      });
      expectCreatedOrRefused(statuses);
      expect(lat.errors).toBe(0);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );

  attack(
    'exhaustion',
    'an RBAC check with thousands of ClusterRoleBindings stays a lookup',
    async () => {
      // A user bound by none of the flood's bindings: the authorizer must not walk all of them.
      const nobody = await apiClient(await s.env.tenant(A, { user: 'nobody', groups: [] }));
      let statuses = new Map<number, number>();
      try {
        const lat = await victimLatency(v, VICTIM_PATH, async () => {
          statuses = await flood(
            1_000,
            CONCURRENCY,
            async () => (await nobody.request('GET', `${RBAC}/clusterrolebindings/flood-1`)).status,
          );
        });
        expect([...statuses.keys()]).toEqual([403]);
        expect(lat.p99).toBeLessThanOrEqual(100);
      } finally {
        await nobody.close();
      }
    },
    60_000,
  );

  attack(
    'exhaustion',
    '500 watches on a collection of thousands of ClusterRoleBindings',
    async () => {
      const ac = new AbortController();
      const before = rssMiB(s.kplexPid);
      const watches: { status: number; bytes: () => number }[] = [];
      try {
        const now = await a.request<{ metadata: { resourceVersion: string } }>(
          'GET',
          `${RBAC}/clusterrolebindings?limit=1`,
        );
        const rv = now.body.metadata.resourceVersion;
        const lat = await victimLatency(v, VICTIM_PATH, async () => {
          // Half with the initial state (a full copy per watcher before), half from the current
          // resourceVersion (no initial events: nothing of the collection may be copied).
          for (let i = 0; i < 500; i += 25) {
            watches.push(
              ...(await Promise.all(
                Array.from({ length: 25 }, (_, j) =>
                  openWatch(
                    a,
                    `${RBAC}/clusterrolebindings?watch=1&resourceVersion=${(i + j) % 2 ? rv : '0'}`,
                    ac.signal,
                  ).catch(() => ({ status: 0, bytes: () => 0 })),
                ),
              )),
            );
          }
          // A write reaches every watcher: its cost must not be the collection size times the watchers.
          const t0 = performance.now();
          expect((await a.request('POST', `${RBAC}/clusterrolebindings`, crb('after-watches'))).status).toBe(
            201,
          );
          expect(performance.now() - t0).toBeLessThan(5_000);
          await new Promise((r) => setTimeout(r, 2_000));
        });
        const opened = watches.filter((w) => w.status === 200).length;
        const rss = rssMiB(s.kplexPid);
        process.stderr.write(
          `[security] ${opened} watches open: kplex RSS ${before.toFixed(0)} -> ${rss.toFixed(0)} MiB\n`,
        );
        for (const w of watches) expect([200, 429]).toContain(w.status);
        expect(rss).toBeLessThanOrEqual(1024);
        expect(lat.p99).toBeLessThanOrEqual(100);
      } finally {
        ac.abort();
      }
    },
    120_000,
  );

  attack(
    'exhaustion',
    `deleting ${FLOOD / 2} ClusterRoleBindings, ${CONCURRENCY} at a time`,
    async () => {
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          FLOOD / 2,
          CONCURRENCY,
          async (i) => (await a.request('DELETE', `${RBAC}/clusterrolebindings/flood-${i}`)).status,
        );
      });
      for (const st of statuses.keys()) expect([200, 404]).toContain(st);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );

  attack(
    'exhaustion',
    `RoleBinding flood: ${FLOOD} creates in one namespace`,
    async () => {
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          FLOOD,
          CONCURRENCY,
          async (i) =>
            (await a.request('POST', `${RBAC}/namespaces/default/rolebindings`, rb(`flood-${i}`))).status,
        );
      });
      expectCreatedOrRefused(statuses);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );

  attack(
    'exhaustion',
    `CRD and custom resource flood: ${FLOOD} widgets`,
    async () => {
      expect(
        (await a.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status,
      ).toBe(201);
      const end = Date.now() + 30_000;
      while ((await a.request('GET', WIDGETS)).status !== 200) {
        expect(Date.now()).toBeLessThan(end);
        await new Promise((r) => setTimeout(r, 200));
      }
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          FLOOD,
          CONCURRENCY,
          async (i) => (await a.request('POST', WIDGETS, widget(`w-${i}`))).status,
        );
      });
      expectCreatedOrRefused(statuses);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );

  attack(
    'exhaustion',
    'deletes among thousands of custom resources: owners found by index, dependents collected',
    async () => {
      const owner = await a.request<{ metadata: { uid: string } }>('POST', WIDGETS, widget('owner'));
      expect(owner.status).toBe(201);
      const ref = { name: 'owner', uid: owner.body.metadata.uid };
      await flood(50, 8, async (i) => (await a.request('POST', WIDGETS, widget(`dep-${i}`, ref))).status);
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          FLOOD / 2,
          CONCURRENCY,
          async (i) => (await a.request('DELETE', `${WIDGETS}/w-${i}`)).status,
        );
        expect((await a.request('DELETE', `${WIDGETS}/owner`)).status).toBe(200);
      });
      for (const st of statuses.keys()) expect([200, 404]).toContain(st);
      expect((await a.request('GET', `${WIDGETS}/dep-0`)).status).toBe(404);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );

  attack(
    'exhaustion',
    'namespace flood: 1,000 namespaces, 32 at a time',
    async () => {
      let statuses = new Map<number, number>();
      const lat = await victimLatency(v, VICTIM_PATH, async () => {
        statuses = await flood(
          1_000,
          CONCURRENCY,
          async (i) =>
            (
              await a.request('POST', '/api/v1/namespaces', {
                apiVersion: 'v1',
                kind: 'Namespace',
                metadata: { name: `flood-${i}` },
              })
            ).status,
        );
      });
      expectCreatedOrRefused(statuses);
      expect(lat.p99).toBeLessThanOrEqual(100);
    },
    90_000,
  );
});
