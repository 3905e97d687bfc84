// Classes and storage descriptions (RuntimeClass, PriorityClass, IngressClass, StorageClass,
// CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity) are a tenant's own virtual objects:
// each request is sent to the real host and to a tenant in the same run, and the answers compared
// (status code, reason, message, defaulted fields). The host's objects of these kinds are never
// touched by a tenant, and tenants never see each other's. The CSR field selector spec.signerName
// is compared the same way.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { objectToProtobuf, protobufMediaType, protobufToObject } from '../../src/protobuf/index.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

type Any = Record<string, any>;
type Answer = { status: number; body: unknown };

const SUFFIX = `it-cls-${process.pid}`;

/** One kind: its collection path, a valid object, a bad one, and an update its strategy refuses. */
interface Case {
  resource: string;
  path: string;
  valid: (name: string) => Any;
  invalid: (name: string) => Any;
  refusedUpdate: (o: Any) => Any;
  /** Fields compared after defaulting. */
  fields: string[];
}

const CASES: Case[] = [
  {
    resource: 'runtimeclasses',
    path: '/apis/node.k8s.io/v1/runtimeclasses',
    valid: (name) => ({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name },
      handler: 'runc',
    }),
    invalid: (name) => ({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name },
      handler: 'Bad_H',
    }),
    refusedUpdate: (o) => ({ ...o, handler: 'other' }),
    fields: ['handler'],
  },
  {
    resource: 'priorityclasses',
    path: '/apis/scheduling.k8s.io/v1/priorityclasses',
    valid: (name) => ({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value: 1000,
    }),
    invalid: (name) => ({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value: 2000000000,
      preemptionPolicy: 'Sometimes',
    }),
    refusedUpdate: (o) => ({ ...o, value: 5, preemptionPolicy: 'Never' }),
    fields: ['value', 'preemptionPolicy', 'globalDefault'],
  },
  {
    resource: 'ingressclasses',
    path: '/apis/networking.k8s.io/v1/ingressclasses',
    valid: (name) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name },
      spec: {
        controller: 'example.com/ctl',
        parameters: { apiGroup: 'k8s.example.com', kind: 'P', name: 'p' },
      },
    }),
    invalid: (name) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name },
      spec: { controller: 'no-domain', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } },
    }),
    refusedUpdate: (o) => ({ ...o, spec: { ...o.spec, controller: 'example.com/other' } }),
    fields: ['spec', 'metadata.generation'],
  },
  {
    resource: 'storageclasses',
    path: '/apis/storage.k8s.io/v1/storageclasses',
    valid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner: 'example.com/disk',
      parameters: { type: 'ssd' },
    }),
    invalid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name },
      provisioner: 'bad provisioner!',
      reclaimPolicy: 'Recycle',
      volumeBindingMode: 'Later',
    }),
    refusedUpdate: (o) => ({ ...o, provisioner: 'example.com/x', parameters: {}, reclaimPolicy: 'Retain' }),
    fields: ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'],
  },
  {
    resource: 'csidrivers',
    path: '/apis/storage.k8s.io/v1/csidrivers',
    valid: (name) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name }, spec: {} }),
    invalid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name },
      spec: { volumeLifecycleModes: ['Forever'], fsGroupPolicy: 'Sometimes' },
    }),
    refusedUpdate: (o) => ({ ...o, spec: { ...o.spec, attachRequired: false } }),
    fields: ['spec', 'metadata.generation'],
  },
  {
    resource: 'csinodes',
    path: '/apis/storage.k8s.io/v1/csinodes',
    valid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name },
      spec: { drivers: [{ name: 'example.com', nodeID: 'n1', topologyKeys: ['zone'] }] },
    }),
    invalid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name },
      spec: {
        drivers: [
          { name: 'example.com', nodeID: '' },
          { name: 'example.com', nodeID: 'x' },
        ],
      },
    }),
    refusedUpdate: (o) => ({
      ...o,
      spec: { drivers: [{ name: 'example.com', nodeID: 'n2', topologyKeys: ['zone'] }] },
    }),
    fields: ['spec'],
  },
  {
    resource: 'volumeattachments',
    path: '/apis/storage.k8s.io/v1/volumeattachments',
    valid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name },
      spec: { attacher: 'example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } },
      status: { attached: true },
    }),
    invalid: (name) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name },
      spec: { attacher: '', nodeName: 'node-1', source: {} },
    }),
    refusedUpdate: (o) => ({ ...o, spec: { ...o.spec, nodeName: 'node-2' } }),
    fields: ['spec', 'status'],
  },
];

const at = (o: Any, path: string): unknown => path.split('.').reduce<any>((v, k) => v?.[k], o);
// Go prints pointers in %#v values by address: compare them without.
const message = (a: Answer): unknown => String((a.body as Any)?.message).replace(/0x[0-9a-f]+/g, '0x');

describe('classes and storage descriptions are the tenant’s own', () => {
  const host = inject('host');
  let env: TenantEnv;
  let hostApi: HostClient;
  const kc: Record<string, string> = {};
  const api: Record<string, HostClient> = {};

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    env = await startTenantEnv(host);
    for (const t of ['classes-a', 'classes-b']) {
      kc[t] = await env.tenant(t);
      api[t] = await apiClient(kc[t]);
    }
  });
  afterAll(async () => {
    for (const c of CASES)
      for (const n of ['ok', 'bad']) await hostApi?.request('DELETE', `${c.path}/${n}-${SUFFIX}`);
    await env?.close();
  });

  for (const c of CASES)
    it(`${c.resource}: create, defaults, validation, immutable fields and delete as the host`, async () => {
      const a = api['classes-a']!;
      const name = `ok-${SUFFIX}`;
      const both = async (fn: (x: HostClient) => Promise<Answer>) =>
        [await fn(hostApi), await fn(a)] as const;

      const [hc, tc] = await both((x) => x.request('POST', c.path, c.valid(name)));
      expect([hc.status, tc.status]).toEqual([201, 201]);
      for (const f of c.fields) expect([f, at(tc.body as Any, f)]).toEqual([f, at(hc.body as Any, f)]);

      const [hb, tb] = await both((x) => x.request('POST', c.path, c.invalid(`bad-${SUFFIX}`)));
      expect(hb.status).toBe(422);
      expect([tb.status, message(tb)]).toEqual([hb.status, message(hb)]);

      const [hu, tu] = await both(async (x) => {
        const got = (await x.request('GET', `${c.path}/${name}`)).body as Any;
        return x.request('PUT', `${c.path}/${name}`, c.refusedUpdate(got));
      });
      expect(hu.status).toBe(422);
      expect([tu.status, message(tu)]).toEqual([hu.status, message(hu)]);

      const [hl, tl] = await both((x) =>
        x.request(
          'PATCH',
          `${c.path}/${name}`,
          { metadata: { labels: { l: 'v' } } },
          'application/merge-patch+json',
        ),
      );
      expect([hl.status, tl.status]).toEqual([200, 200]);
      const [hs, ts] = await both((x) => x.request('GET', `${c.path}?labelSelector=l%3Dv`));
      const names = (r: Answer) => ((r.body as Any).items as Any[]).map((i) => i.metadata.name);
      expect(names(ts)).toEqual([name]);
      expect(names(hs)).toEqual([name]);

      // kubectl's table: the same columns as the host's printer.
      const header = (k: string) =>
        kubectlOk(k, ['get', c.resource, name]).split('\n')[0]!.trim().split(/\s+/);
      expect(header(kc['classes-a']!)).toEqual(header(host.kubeconfig));

      // The other tenant sees nothing of it.
      expect((await api['classes-b']!.request('GET', `${c.path}/${name}`)).status).toBe(404);

      const [hd, td] = await both((x) => x.request('DELETE', `${c.path}/${name}`));
      expect([hd.status, td.status]).toEqual([200, 200]);
    });

  it('VolumeAttachment in protobuf, its status subresource and a watch from the list, as the host', async () => {
    const name = `pb-${SUFFIX}`;
    const path = '/apis/storage.k8s.io/v1/volumeattachments';
    const va = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name, labels: { pb: SUFFIX } },
      spec: { attacher: 'example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } },
    };
    const raw = async (x: HostClient, method: 'POST' | 'GET', p: string, body?: Buffer) => {
      const r = await x.dispatcher.request({
        origin: x.origin,
        path: x.basePath + p,
        method,
        headers: x.headers({
          accept: protobufMediaType,
          ...(body ? { 'content-type': protobufMediaType } : {}),
        }),
        body,
      });
      const buf = Buffer.from(await r.body.arrayBuffer());
      return { status: r.statusCode, obj: r.statusCode < 300 ? (protobufToObject(buf) as Any) : undefined };
    };
    const sides = [hostApi, api['classes-a']!];
    const results: Any[] = [];
    for (const x of sides) {
      const list = (await x.request('GET', `${path}?labelSelector=pb%3D${SUFFIX}`)).body as Any;
      const events: string[] = [];
      const watch = x.dispatcher.request({
        origin: x.origin,
        path: `${x.basePath}${path}?watch=true&labelSelector=pb%3D${SUFFIX}&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=5`,
        method: 'GET',
        headers: x.headers({ accept: 'application/json' }),
      });
      const created = await raw(x, 'POST', path, objectToProtobuf(va));
      expect(created.status).toBe(201);
      const patched = await x.request(
        'PATCH',
        `${path}/${name}/status`,
        { status: { attached: true, attachmentMetadata: { k: 'v' } }, spec: { nodeName: 'ignored' } },
        'application/merge-patch+json',
      );
      expect(patched.status).toBe(200);
      const got = await raw(x, 'GET', `${path}/${name}/status`);
      for (const line of (await (await watch).body.text()).split('\n').filter(Boolean))
        events.push((JSON.parse(line) as Any).type);
      results.push({ created: created.obj!.status, spec: got.obj!.spec, status: got.obj!.status, events });
      expect((await x.request('DELETE', `${path}/${name}`)).status).toBe(200);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]!.events).toEqual(['ADDED', 'MODIFIED']);
  });

  it('CSIStorageCapacity is served, namespaced, and validated as the host', async () => {
    kubectlOk(kc['classes-a']!, ['create', 'namespace', 'cap']);
    const ns = `cap-${process.pid}`;
    expect((await hostApi.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(
      201,
    );
    const cap = (name: string, storageClassName: string) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIStorageCapacity',
      metadata: { name },
      storageClassName,
      nodeTopology: { matchLabels: { zone: 'z1' } },
    });
    const out = kubectlOk(kc['classes-a']!, [
      'api-resources',
      '--api-group=storage.k8s.io',
      '--namespaced=true',
    ]);
    expect(out).toMatch(/csistoragecapacities\s+storage\.k8s\.io\/v1\s+true\s+CSIStorageCapacity/);
    const hp = `/apis/storage.k8s.io/v1/namespaces/${ns}/csistoragecapacities`;
    const tp = '/apis/storage.k8s.io/v1/namespaces/cap/csistoragecapacities';
    const a = api['classes-a']!;
    expect((await hostApi.request('POST', hp, cap('c1', 'standard'))).status).toBe(201);
    expect((await a.request('POST', tp, cap('c1', 'standard'))).status).toBe(201);
    const hb = await hostApi.request('POST', hp, cap('c2', 'Not_A_Class'));
    const tb = await a.request('POST', tp, cap('c2', 'Not_A_Class'));
    expect(hb.status).toBe(422);
    expect([tb.status, message(tb)]).toEqual([hb.status, message(hb)]);
    const upd = async (x: HostClient, p: string) => {
      const got = (await x.request('GET', `${p}/c1`)).body as Any;
      return x.request('PUT', `${p}/c1`, { ...got, storageClassName: 'other' });
    };
    const hu = await upd(hostApi, hp);
    const tu = await upd(a, tp);
    expect(hu.status).toBe(422);
    expect([tu.status, message(tu)]).toEqual([hu.status, message(hu)]);
    const all = (await a.request('GET', '/apis/storage.k8s.io/v1/csistoragecapacities')).body as Any;
    expect(all.items.map((i: Any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['cap/c1']);
    await hostApi.request('DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('the system PriorityClasses: the host’s values, and never deleted', async () => {
    const path = '/apis/scheduling.k8s.io/v1/priorityclasses';
    for (const name of ['system-node-critical', 'system-cluster-critical']) {
      const pick = (o: Any) => [o.value, o.globalDefault, o.description, o.preemptionPolicy];
      const h = (await hostApi.request('GET', `${path}/${name}`)).body as Any;
      const t = (await api['classes-a']!.request('GET', `${path}/${name}`)).body as Any;
      expect(pick(t)).toEqual(pick(h));
      const hd = await hostApi.request('DELETE', `${path}/${name}`);
      const td = await api['classes-a']!.request('DELETE', `${path}/${name}`);
      expect(hd.status).toBe(403);
      expect([td.status, message(td)]).toEqual([hd.status, message(hd)]);
    }
    const table = kubectlOk(kc['classes-a']!, ['get', 'pc', 'system-node-critical']);
    expect(table).toMatch(/system-node-critical\s+2000001000\s+false/);
  });

  it('one default PriorityClass at most, as the host’s Priority admission', async () => {
    const a = api['classes-a']!;
    const pc = (name: string) => ({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value: 1,
      globalDefault: true,
    });
    const path = '/apis/scheduling.k8s.io/v1/priorityclasses';
    const answers: Answer[][] = [];
    for (const x of [hostApi, a]) {
      const first = await x.request('POST', path, pc(`default-1-${SUFFIX}`));
      const second = await x.request('POST', path, pc(`default-2-${SUFFIX}`));
      for (const n of [1, 2]) await x.request('DELETE', `${path}/default-${n}-${SUFFIX}`);
      answers.push([first, second]);
    }
    const [host, tenant] = answers as [Answer[], Answer[]];
    expect(host[0]!.status).toBe(201);
    expect(host[1]!.status).toBe(403);
    expect([tenant[0]!.status, tenant[1]!.status, message(tenant[1]!)]).toEqual([
      201,
      403,
      message(host[1]!),
    ]);
  });

  it('a tenant’s classes reach the host only under tenant-owned names and capped values', async () => {
    const a = api['classes-a']!;
    const before = await hostApi.request('GET', '/apis/scheduling.k8s.io/v1/priorityclasses');
    const pc = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: `never-${SUFFIX}` },
      value: 7,
    };
    expect((await a.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', pc)).status).toBe(201);
    expect(
      (await hostApi.request('GET', `/apis/scheduling.k8s.io/v1/priorityclasses/never-${SUFFIX}`)).status,
    ).toBe(404);
    const after = await hostApi.request('GET', '/apis/scheduling.k8s.io/v1/priorityclasses');
    const names = (r: Answer) => ((r.body as Any).items as Any[]).map((i) => i.metadata.name).sort();
    // What reaches the host (for the tenant's pods) is a class of a tenant-owned name, its value
    // capped by the Tenant policy (default 0), never the tenant's name or value.
    const added = ((after.body as Any).items as Any[]).filter(
      (i) => !names(before).includes(i.metadata.name),
    );
    for (const c of added) {
      expect(c.metadata.name).toMatch(/^kplex-[0-9a-f]{12}-/);
      expect(c.value).toBe(0);
      expect(c.globalDefault ?? false).toBe(false);
    }
    // The tenant's list has its own classes only, never the host's.
    const mine = await a.request('GET', '/apis/scheduling.k8s.io/v1/priorityclasses');
    expect(names(mine)).toContain(`never-${SUFFIX}`);
    // Of the host's classes the tenant sees only the system ones every cluster has.
    expect(names(mine).filter((n) => names(before).includes(n))).toEqual([
      'system-cluster-critical',
      'system-node-critical',
    ]);
  });

  it('certificatesigningrequests: the field selector spec.signerName as the host', async () => {
    const q = (v: string) =>
      `/apis/certificates.k8s.io/v1/certificatesigningrequests?fieldSelector=${encodeURIComponent(v)}`;
    for (const sel of [
      'spec.signerName=example.com/none',
      'spec.signerName!=example.com/none',
      'spec.nope=x',
    ]) {
      const h = await hostApi.request('GET', q(sel));
      const t = await api['classes-a']!.request('GET', q(sel));
      expect([sel, t.status, message(t)]).toEqual([sel, h.status, message(h)]);
    }
    const r = kubectl(kc['classes-a']!, [
      'get',
      'csr',
      '--field-selector',
      'spec.signerName=kubernetes.io/kube-apiserver-client',
    ]);
    expect(r.code).toBe(0);
  });
});
