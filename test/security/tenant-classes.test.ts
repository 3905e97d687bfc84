// Classes, storage descriptions and nodes: a tenant admin writes classes of its own (virtual) and
// sees the host's nodes read-only. Nothing it writes reaches a host object or another tenant:
// a class named as a host class shadows it for the tenant only, a class of the tenant's own gives
// its pods at most the Tenant's cap (pod-classes.test.ts), and a node label or patch never
// touches the host node.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectl } from '../helpers/kubectl.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';

const T = 'sec-classes';
const OTHER = 'sec-classes-other';
const HOST_SC = `host-sc-${process.pid}`;
const HOST_PC = `host-pc-${process.pid}`;

type Any = Record<string, any>;
const SC = '/apis/storage.k8s.io/v1/storageclasses';
const PC = '/apis/scheduling.k8s.io/v1/priorityclasses';

const storageClass = (name: string, provisioner: string) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name },
  provisioner,
});
const priorityClass = (name: string, value: number, globalDefault = false) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  globalDefault,
});

describe('security: classes and nodes stay the tenant’s own', () => {
  let s: SecurityEnv;
  let node: Any;

  beforeAll(async () => {
    s = await securityEnv([T, OTHER]);
    expect((await s.hostApi.request('POST', SC, storageClass(HOST_SC, 'host.example.com/disk'))).status).toBe(
      201,
    );
    expect((await s.hostApi.request('POST', PC, priorityClass(HOST_PC, 100))).status).toBe(201);
    const nodes = (await s.hostApi.request('GET', '/api/v1/nodes')).body as Any;
    node = nodes.items[0];
  });
  afterAll(async () => {
    await s?.hostApi.request('DELETE', `${SC}/${HOST_SC}`);
    await s?.hostApi.request('DELETE', `${PC}/${HOST_PC}`);
    await s?.close();
  });

  const hostObject = async (path: string): Promise<Any> => (await s.hostApi.request('GET', path)).body as Any;

  attack('rbac', 'a StorageClass named as a host class shadows it for the tenant only', async () => {
    const before = await hostObject(`${SC}/${HOST_SC}`);
    expect(
      (await s.api[T]!.request('POST', SC, storageClass(HOST_SC, 'evil.example.com/steal'))).status,
    ).toBe(201);
    const after = await hostObject(`${SC}/${HOST_SC}`);
    expect(after.provisioner).toBe('host.example.com/disk');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expectStatus(await s.api[OTHER]!.request('GET', `${SC}/${HOST_SC}`), 404, 'NotFound');
    expect((await s.api[T]!.request('DELETE', `${SC}/${HOST_SC}`)).status).toBe(200);
    expect((await hostObject(`${SC}/${HOST_SC}`)).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });

  attack(
    'rbac',
    'deleting a host class through the tenant is NotFound and the host class stays',
    async () => {
      expectStatus(await s.api[T]!.request('DELETE', `${PC}/${HOST_PC}`), 404, 'NotFound');
      expect((await s.api[T]!.request('DELETE', `${SC}?labelSelector=`)).status).toBe(200);
      expect((await s.hostApi.request('GET', `${PC}/${HOST_PC}`)).status).toBe(200);
      expect((await s.hostApi.request('GET', `${SC}/${HOST_SC}`)).status).toBe(200);
    },
  );

  attack(
    'rbac',
    'a tenant default PriorityClass is no host default and another tenant never sees it',
    async () => {
      expect(
        (await s.api[T]!.request('POST', PC, priorityClass('tenant-default', 1000000000, true))).status,
      ).toBe(201);
      const host = ((await s.hostApi.request('GET', PC)).body as Any).items as Any[];
      expect(host.filter((p) => p.globalDefault).map((p) => p.metadata.name)).toEqual([]);
      expect(host.map((p) => p.metadata.name)).not.toContain('tenant-default');
      const other = ((await s.api[OTHER]!.request('GET', PC)).body as Any).items as Any[];
      expect(other.map((p) => p.metadata.name)).toEqual(['system-cluster-critical', 'system-node-critical']);
      expect(other.filter((p) => p.globalDefault)).toEqual([]);
    },
  );

  attack(
    'rbac',
    'a pod naming the tenant’s own PriorityClass gets at most the Tenant’s cap on the host',
    async () => {
      expect((await s.api[T]!.request('POST', PC, priorityClass('tenant-top', 999999999))).status).toBe(201);
      expect(
        (await s.api[T]!.request('POST', '/api/v1/namespaces', { metadata: { name: 'prio' } })).status,
      ).toBe(201);
      const r = await s.api[T]!.request('POST', '/api/v1/namespaces/prio/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'tenant-top-climber' },
        spec: { priorityClassName: 'tenant-top', containers: [{ name: 'c', image: 'busybox' }] },
      });
      // The tenant's class reaches the host as a class of its own name, capped (default maxPriority 0).
      expect(r.status).toBe(201);
      const hostPods = ((await s.hostApi.request('GET', '/api/v1/pods?labelSelector=')).body as Any)
        .items as Any[];
      const climber = hostPods.filter((p) => p.metadata.name === 'tenant-top-climber');
      expect(climber.map((p) => [p.spec.priority, p.spec.priorityClassName === 'tenant-top'])).toEqual([
        [0, false],
      ]);
    },
  );

  attack(
    'rbac',
    'a VolumeAttachment or CSINode of the tenant names a host node and reaches nothing',
    async () => {
      const va = {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'VolumeAttachment',
        metadata: { name: 'grab' },
        spec: {
          attacher: 'example.com',
          nodeName: node.metadata.name,
          source: { persistentVolumeName: 'pv-of-b' },
        },
      };
      expect((await s.api[T]!.request('POST', '/apis/storage.k8s.io/v1/volumeattachments', va)).status).toBe(
        201,
      );
      const csinode = {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSINode',
        metadata: { name: node.metadata.name },
        spec: { drivers: [{ name: 'example.com', nodeID: 'x' }] },
      };
      expect((await s.api[T]!.request('POST', '/apis/storage.k8s.io/v1/csinodes', csinode)).status).toBe(201);
      expect((await s.hostApi.request('GET', '/apis/storage.k8s.io/v1/volumeattachments/grab')).status).toBe(
        404,
      );
      expect(
        (await s.hostApi.request('GET', `/apis/storage.k8s.io/v1/csinodes/${node.metadata.name}`)).status,
      ).toBe(404);
    },
  );

  attack('rbac', 'a tenant default StorageClass never defaults a host PVC', async () => {
    const sc = {
      ...storageClass('tenant-default-sc', 'evil.example.com/steal'),
      metadata: {
        name: 'tenant-default-sc',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
    };
    expect((await s.api[T]!.request('POST', SC, sc)).status).toBe(201);
    expect(
      (await s.api[T]!.request('POST', '/api/v1/namespaces', { metadata: { name: 'vols' } })).status,
    ).toBe(201);
    const pvc = await s.api[T]!.request('POST', '/api/v1/namespaces/vols/persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(pvc.status).toBe(201);
    expect((pvc.body as Any).spec.storageClassName).not.toBe('tenant-default-sc');
    const hostClasses = ((await s.hostApi.request('GET', SC)).body as Any).items as Any[];
    expect(hostClasses.map((c) => c.metadata.name)).not.toContain('tenant-default-sc');
  });

  attack(
    'namespaces',
    'the same class name in two tenants is two objects; one tenant’s delete leaves the other’s',
    async () => {
      for (const t of [T, OTHER])
        expect(
          (await s.api[t]!.request('POST', PC, priorityClass('shared-name', t === T ? 1 : 2))).status,
        ).toBe(201);
      const a = (await s.api[T]!.request('GET', `${PC}/shared-name`)).body as Any;
      const b = (await s.api[OTHER]!.request('GET', `${PC}/shared-name`)).body as Any;
      expect([a.value, b.value]).toEqual([1, 2]);
      expect(a.metadata.uid).not.toBe(b.metadata.uid);
      expect((await s.api[T]!.request('DELETE', `${PC}/shared-name`)).status).toBe(200);
      expect(((await s.api[OTHER]!.request('GET', `${PC}/shared-name`)).body as Any).value).toBe(2);
      expect((await s.hostApi.request('GET', `${PC}/shared-name`)).status).toBe(404);
    },
  );

  attack(
    'rbac',
    'a tenant RuntimeClass named as a host class does not change the handler its pods get',
    async () => {
      const RC = '/apis/node.k8s.io/v1/runtimeclasses';
      const name = `host-rc-${process.pid}`;
      expect(
        (
          await s.hostApi.request('POST', RC, {
            apiVersion: 'node.k8s.io/v1',
            kind: 'RuntimeClass',
            metadata: { name },
            handler: 'runc',
          })
        ).status,
      ).toBe(201);
      try {
        const mine = {
          apiVersion: 'node.k8s.io/v1',
          kind: 'RuntimeClass',
          metadata: { name },
          handler: 'privileged',
        };
        expect((await s.api[T]!.request('POST', RC, mine)).status).toBe(201);
        expect(((await s.hostApi.request('GET', `${RC}/${name}`)).body as Any).handler).toBe('runc');
        expect(
          ((await s.api[OTHER]!.request('GET', RC)).body as Any).items.map((i: Any) => i.metadata.name),
        ).not.toContain(name);
      } finally {
        await s.hostApi.request('DELETE', `${RC}/${name}`);
      }
    },
  );

  attack(
    'rbac',
    'the system PriorityClasses cannot be deleted or revalued, in the tenant or on the host',
    async () => {
      const path = `${PC}/system-cluster-critical`;
      const before = await hostObject(path);
      expectStatus(await s.api[T]!.request('DELETE', path), 403, 'Forbidden');
      const mine = (await s.api[T]!.request('GET', path)).body as Any;
      const r = await s.api[T]!.request('PUT', path, { ...mine, value: 5 });
      expectStatus(r, 422, 'Invalid');
      const after = await hostObject(path);
      expect([after.value, after.metadata.resourceVersion]).toEqual([
        before.value,
        before.metadata.resourceVersion,
      ]);
    },
  );

  attack('namespaces', 'another tenant’s watch of classes never carries this tenant’s', async () => {
    const other = s.api[OTHER]!;
    const list = (await other.request('GET', SC)).body as Any;
    const watch = other.dispatcher.request({
      origin: other.origin,
      path: `${other.basePath}${SC}?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=3`,
      method: 'GET',
      headers: other.headers({ accept: 'application/json' }),
    });
    expect((await s.api[T]!.request('POST', SC, storageClass('watched-sc', 'example.com/x'))).status).toBe(
      201,
    );
    const text = await (await watch).body.text();
    expect(text).not.toContain('watched-sc');
  });

  attack('rbac', 'a tenant admin cannot label, patch, create or delete a host node', async () => {
    const path = `/api/v1/nodes/${node.metadata.name}`;
    const before = await hostObject(path);
    const patch = { metadata: { labels: { 'evil/label': 'x' } }, spec: { unschedulable: true } };
    expectStatus(
      await s.api[T]!.request('PATCH', path, patch, 'application/merge-patch+json'),
      403,
      'Forbidden',
    );
    expectStatus(
      await s.api[T]!.request('PUT', path, { ...before, spec: { unschedulable: true } }),
      403,
      'Forbidden',
    );
    expectStatus(await s.api[T]!.request('DELETE', path), 403, 'Forbidden');
    expectStatus(
      await s.api[T]!.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'fake-x' },
      }),
      403,
      'Forbidden',
    );
    expect(kubectl(s.kc[T]!, ['label', 'node', node.metadata.name, 'evil/label=y']).code).not.toBe(0);
    const after = await hostObject(path);
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.spec.unschedulable).toBe(before.spec.unschedulable);
    expect((await s.hostApi.request('GET', '/api/v1/nodes/fake-x')).status).toBe(404);
  });
});
