// A tenant's PriorityClasses and RuntimeClasses reach the host as classes of tenant-owned names,
// capped by the Tenant policy (default maxPriority 0). Every way to get a priority above the cap,
// name a host system or operator class, use a handler the platform did not set up, or reach
// another tenant's classes, attempted with the default policy.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { attack, expectStatus, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-pcls-a';
const B = 'sec-pcls-b';
const HOST_PC = `host-op-pc-${process.pid}`;
const PC = '/apis/scheduling.k8s.io/v1/priorityclasses';
const RC = '/apis/node.k8s.io/v1/runtimeclasses';
const PODS = '/api/v1/namespaces/work/pods';
/** A handler the platform set up (a host RuntimeClass of its own; kplex reads them at most every 30 s). */
const HANDLER = `h-${process.pid}`;
const HOST_RC = `host-rc-${process.pid}`;

type Any = Record<string, any>;

const priorityClass = (name: string, value: number) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
});
const runtimeClass = (name: string, handler: string, extra: Any = {}) => ({
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name },
  handler,
  ...extra,
});
const pod = (name: string, spec: Any) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const deployment = (name: string, spec: Any) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
    },
  },
});

describe('security: tenant PriorityClasses and RuntimeClasses on the host', () => {
  let s: SecurityEnv;
  const hostClasses = async (resource: string): Promise<Any[]> =>
    ((await s.hostApi.request('GET', `/apis/${resource}`)).body as Any).items;

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    for (const t of [A, B])
      expect(
        (await s.api[t]!.request('POST', '/api/v1/namespaces', { metadata: { name: 'work' } })).status,
      ).toBe(201);
    expect((await s.hostApi.request('POST', PC, priorityClass(HOST_PC, 100))).status).toBe(201);
    expect((await s.hostApi.request('POST', RC, runtimeClass(HOST_RC, HANDLER))).status).toBe(201);
  });
  afterAll(async () => {
    await s?.hostApi.request('DELETE', `${PC}/${HOST_PC}`);
    await s?.hostApi.request('DELETE', `${RC}/${HOST_RC}`);
    await s?.close();
  });

  attack('rbac', 'a class at the highest user value gives the pod only the cap (0) on the host', async () => {
    expect((await s.api[A]!.request('POST', PC, priorityClass('top', 1000000000))).status).toBe(201);
    const r = await s.api[A]!.request('POST', PODS, pod('climber', { priorityClassName: 'top' }));
    expect(r.status).toBe(201);
    const hostNs = await hostNamespaceOf(s.hostApi, A, 'work');
    const onHost = (await s.hostApi.request('GET', `/api/v1/namespaces/${hostNs}/pods/climber`)).body as Any;
    expect(onHost.spec.priority).toBe(0);
    const cls = (await s.hostApi.request('GET', `${PC}/${onHost.spec.priorityClassName}`)).body as Any;
    expect([cls.value, cls.globalDefault ?? false]).toEqual([0, false]);
    // What the tenant reads is its class as written and the pod's real priority.
    expect(((await s.api[A]!.request('GET', `${PC}/top`)).body as Any).value).toBe(1000000000);
    expect(((await s.api[A]!.request('GET', `${PODS}/climber`)).body as Any).spec.priority).toBe(0);
  });

  attack('rbac', 'an explicit spec.priority above the cap is refused by the host’s own check', async () => {
    const r = await s.api[A]!.request(
      'POST',
      PODS,
      pod('explicit', { priorityClassName: 'top', priority: 1000000000 }),
    );
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as Any).message).toContain('must not be provided in pod spec');
    const bare = await s.api[A]!.request('POST', PODS, pod('explicit2', { priority: 2000001000 }));
    expect(bare.status).toBeGreaterThanOrEqual(400);
  });

  attack('rbac', 'the host’s system classes stay refused in pods and templates', async () => {
    for (const pc of ['system-node-critical', 'system-cluster-critical']) {
      expectStatus(
        await s.api[A]!.request('POST', PODS, pod(`sys-${pc}`, { priorityClassName: pc })),
        403,
        'Forbidden',
      );
      expectStatus(
        await s.api[A]!.request(
          'POST',
          '/apis/apps/v1/namespaces/work/deployments',
          deployment(`sys-${pc}`, { priorityClassName: pc }),
        ),
        403,
        'Forbidden',
      );
    }
    // A class of a system-like name cannot be made to stand in for them.
    expectStatus(await s.api[A]!.request('POST', PC, priorityClass('system-mine', 5)), 422, 'Invalid');
  });

  attack('namespaces', 'a host operator’s class name is not the host class for a tenant pod', async () => {
    const r = await s.api[A]!.request('POST', PODS, pod('operator-class', { priorityClassName: HOST_PC }));
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as Any).message).toBe(
      `pods "operator-class" is forbidden: no PriorityClass with name ${HOST_PC} was found`,
    );
  });

  attack(
    'namespaces',
    'another tenant’s host class name, written in a pod, is only a name of one’s own',
    async () => {
      expect((await s.api[B]!.request('POST', PC, priorityClass('b-only', 1))).status).toBe(201);
      expect(
        (await s.api[B]!.request('POST', PODS, pod('b-pod', { priorityClassName: 'b-only' }))).status,
      ).toBe(201);
      const bHostNs = await hostNamespaceOf(s.hostApi, B, 'work');
      const bName = ((await s.hostApi.request('GET', `/api/v1/namespaces/${bHostNs}/pods/b-pod`)).body as Any)
        .spec.priorityClassName as string;
      expect(bName).toMatch(/^kplex-[0-9a-f]{12}-b-only$/);
      const r = await s.api[A]!.request('POST', PODS, pod('borrow', { priorityClassName: bName }));
      expectStatus(r, 403, 'Forbidden');
      expect((r.body as Any).message).toContain(`no PriorityClass with name ${bName} was found`);
      // A Deployment naming it is accepted (as on the apiserver) but its pods name A's own tag.
      expect(
        (
          await s.api[A]!.request(
            'POST',
            '/apis/apps/v1/namespaces/work/deployments',
            deployment('borrow', { priorityClassName: bName }),
          )
        ).status,
      ).toBe(201);
      const aHostNs = await hostNamespaceOf(s.hostApi, A, 'work');
      const d = (await s.hostApi.request('GET', `/apis/apps/v1/namespaces/${aHostNs}/deployments/borrow`))
        .body as Any;
      expect(d.spec.template.spec.priorityClassName).not.toBe(bName);
      expect(d.spec.template.spec.priorityClassName.endsWith(`-${bName}`)).toBe(true);
    },
  );

  attack(
    'namespaces',
    'the same class name in two tenants: two host classes; one tenant’s delete keeps the other’s',
    async () => {
      for (const [t, v] of [
        [A, -5],
        [B, -7],
      ] as const) {
        expect((await s.api[t]!.request('POST', PC, priorityClass('same', v))).status).toBe(201);
        expect(
          (await s.api[t]!.request('POST', PODS, pod(`same-${v}`, { priorityClassName: 'same' }))).status,
        ).toBe(201);
      }
      const mine = (await hostClasses('scheduling.k8s.io/v1/priorityclasses')).filter(
        (c) => c.metadata.annotations?.['kplex.io/class'] === 'same',
      );
      expect(mine.map((c) => c.value).sort()).toEqual([-5, -7]);
      expect(new Set(mine.map((c) => c.metadata.name)).size).toBe(2);
      expect((await s.api[A]!.request('DELETE', `${PC}/same`)).status).toBe(200);
      await expect
        .poll(async () =>
          (await hostClasses('scheduling.k8s.io/v1/priorityclasses'))
            .filter((c) => c.metadata.annotations?.['kplex.io/class'] === 'same')
            .map((c) => c.value),
        )
        .toEqual([-7]);
      // A tenant lists its own classes only, never a host name.
      const listed = ((await s.api[B]!.request('GET', PC)).body as Any).items.map(
        (c: Any) => c.metadata.name,
      );
      expect(listed).not.toContain('top');
      expect(listed.filter((n: string) => n.startsWith('kplex-'))).toEqual([]);
    },
  );

  attack('rbac', 'a RuntimeClass of a handler the platform did not set up never runs a pod', async () => {
    expect((await s.api[A]!.request('POST', RC, runtimeClass('priv', 'privileged-runc'))).status).toBe(201);
    const r = await s.api[A]!.request('POST', PODS, pod('priv', { runtimeClassName: 'priv' }));
    expectStatus(r, 403, 'Forbidden');
    expect((r.body as Any).message).toContain(
      'has handler "privileged-runc", which is not one of the runtime handlers',
    );
    const dep = await s.api[A]!.request(
      'POST',
      '/apis/apps/v1/namespaces/work/deployments',
      deployment('priv', { runtimeClassName: 'priv' }),
    );
    expectStatus(dep, 403, 'Forbidden');
    const onHost = await hostClasses('node.k8s.io/v1/runtimeclasses');
    expect(onHost.filter((c) => c.handler === 'privileged-runc')).toEqual([]);
  });

  attack('rbac', 'a RuntimeClass tolerating every taint does not lend its pods that toleration', async () => {
    try {
      const everything = { scheduling: { tolerations: [{ operator: 'Exists' }] } };
      expect(
        (await s.api[A]!.request('POST', RC, runtimeClass('everywhere', HANDLER, everything))).status,
      ).toBe(201);
      const r = await s.api[A]!.request('POST', PODS, pod('everywhere', { runtimeClassName: 'everywhere' }));
      expectStatus(r, 403, 'Forbidden');
      expect((r.body as Any).message).toContain(
        'adds a toleration: a toleration of every taint is not permitted',
      );
      expect((await s.api[A]!.request('POST', RC, runtimeClass('plain', HANDLER))).status).toBe(201);
      expect(
        (await s.api[A]!.request('POST', PODS, pod('plain', { runtimeClassName: 'plain' }))).status,
      ).toBe(201);
    } finally {
      await s.api[A]!.request('DELETE', `${RC}/everywhere`);
    }
  });
});
