// [bodies] [namespaces] [leaks] [malformed] The pod syncer's DNS wiring: a tenant crafts pods
// (directly, through a Deployment template, by patches and PUTs of existing pods, and as raw
// AdmissionReviews the host would post) to get another tenant's search list, keep the host's
// resolver, forge kplex's DNS record, or read the wiring back. The safe outcome: the host pod's
// resolver is kplex's with the pod's OWN virtual namespace first, or the pod's own `dnsPolicy:
// None` as written; the tenant reads exactly what it wrote; immutability is the apiserver's 422.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { attack, expectStatus, hostNamespaceOf, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-sync-a';
const B = 'sec-sync-b';
/** What `--pod-dns-address` gives pods: never shown to a tenant. */
const DNS_IP = '10.96.0.53';
const SEARCHES = (ns: string) => [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];

type Any = Record<string, any>;

const pod = (name: string, spec: Any = {}, meta: Any = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});

describe('security: the pod syncer (DNS wiring)', () => {
  let s: SecurityEnv;
  const hostNs: Record<string, string> = {};

  const hostNamespace = (tenant: string, ns: string): Promise<string> =>
    hostNamespaceOf(s.hostApi, tenant, ns);
  const hostPod = async (name: string, t = A): Promise<Any> =>
    (await s.hostApi.must<Any>('GET', `/api/v1/namespaces/${hostNs[t]}/pods/${name}`)).body;
  const create = async (body: unknown): Promise<Any> => {
    const r = await s.api[A]!.request<Any>('POST', '/api/v1/namespaces/app/pods', body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  /** The tenant's own read of a pod never carries the wiring. */
  const expectClean = (seen: unknown): void => {
    const text = JSON.stringify(seen);
    expect(text).not.toContain(DNS_IP);
    expect(text).not.toContain('kplex.io/dns');
    expect(text).not.toContain(hostNs[A]!);
  };

  beforeAll(async () => {
    s = await securityEnv([A, B], {
      kplexArgs: ['--dns-listen', '127.0.0.1:0', '--pod-dns-address', DNS_IP],
    });
    for (const t of [A, B]) {
      kubectlOk(s.kc[t]!, ['create', 'namespace', 'app']);
      hostNs[t] = await hostNamespace(t, 'app');
    }
  });
  afterAll(async () => s?.close());

  attack(
    'bodies',
    "a pod forging kplex's DNS record gets kplex's resolver and reads what it wrote",
    async () => {
      const forged = {
        annotations: {
          'kplex.io/dns': JSON.stringify({ dnsPolicy: 'ClusterFirst' }),
          'kplex.io/namespace': 'kube-system',
        },
      };
      const written = pod('forged-record', {}, forged);
      const made = await create(written);
      expectClean(made);
      const h = await hostPod('forged-record');
      expect(h.spec.dnsPolicy).toBe('None');
      expect(h.spec.dnsConfig.nameservers).toEqual([DNS_IP]);
      expect(h.spec.dnsConfig.searches).toEqual(SEARCHES('app'));
      expect(JSON.parse(h.metadata.annotations['kplex.io/dns'])).toEqual({ dnsPolicy: 'ClusterFirst' });
      expect(h.metadata.annotations['kplex.io/namespace']).toBe('app');
    },
  );

  attack(
    'bodies',
    'a pod with its own dnsPolicy None and a forged record stays as written (no record kplex trusts)',
    async () => {
      const own = { dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: ['x.example'] } };
      await create(pod('own-none', own, { annotations: { 'kplex.io/dns': '{"dnsPolicy":"ClusterFirst"}' } }));
      const h = await hostPod('own-none');
      expect({ dnsPolicy: h.spec.dnsPolicy, dnsConfig: h.spec.dnsConfig }).toEqual(own);
      expect(h.metadata.annotations['kplex.io/dns']).toBeUndefined();
      const seen = (await s.api[A]!.must<Any>('GET', '/api/v1/namespaces/app/pods/own-none')).body;
      expect({ dnsPolicy: seen.spec.dnsPolicy, dnsConfig: seen.spec.dnsConfig }).toEqual(own);
    },
  );

  attack(
    'namespaces',
    "a Deployment template forging kplex's namespace and DNS keys: its pods search the tenant's own namespace",
    async () => {
      const labels = { app: 'forger' };
      const r = await s.api[A]!.request('POST', '/apis/apps/v1/namespaces/app/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'forger' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels,
              annotations: {
                'kplex.io/namespace': 'app',
                'kplex.io/dns': JSON.stringify({ dnsPolicy: 'ClusterFirst' }),
              },
            },
            spec: {
              // B's virtual namespace and host namespace first in the pod's own searches.
              dnsConfig: { searches: [`app.svc.cluster.local`, `${hostNs[B]}.svc.cluster.local`] },
              containers: [{ name: 'c', image: 'x' }],
            },
          },
        },
      });
      expect(r.status).toBe(201);
      let h: Any | undefined;
      for (let i = 0; i < 200 && !h; i++) {
        const list = await s.hostApi.must<{ items: Any[] }>(
          'GET',
          `/api/v1/namespaces/${hostNs[A]}/pods?labelSelector=app%3Dforger`,
        );
        h = list.body.items[0];
        if (!h) await new Promise((res) => setTimeout(res, 150));
      }
      expect(h).toBeDefined();
      expect(h!.spec.dnsConfig.nameservers[0]).toBe(DNS_IP);
      expect(h!.spec.dnsConfig.searches.slice(0, 3)).toEqual(SEARCHES('app'));
      expect(h!.metadata.annotations['kplex.io/namespace']).toBe('app');
      // The forged record never reached the host: kplex's own says what the template asked.
      expect(JSON.parse(h!.metadata.annotations['kplex.io/dns']).dnsConfig.searches).toEqual([
        'app.svc.cluster.local',
        `${hostNs[B]}.svc.cluster.local`,
      ]);
      const tmpl = await s.hostApi.must<Any>(
        'GET',
        `/apis/apps/v1/namespaces/${hostNs[A]}/deployments/forger`,
      );
      expect(tmpl.body.spec.template.metadata.annotations ?? {}).toEqual({});
    },
  );

  attack('leaks', "get, list, Table and watch of a tenant's pods never show kplex's resolver", async () => {
    await create(pod('leak-probe'));
    const base = '/api/v1/namespaces/app/pods';
    expectClean((await s.api[A]!.must('GET', `${base}/leak-probe`)).body);
    expectClean((await s.api[A]!.must('GET', base)).body);
    expectClean((await s.api[A]!.must('GET', '/api/v1/pods')).body);
    const table = kubectlOk(s.kc[A]!, ['get', 'pods', '-n', 'app', '-o', 'wide']);
    expect(table).not.toContain(DNS_IP);
    const watched = kubectl(s.kc[A]!, [
      'get',
      'pods',
      '-n',
      'app',
      '-w',
      '--request-timeout=2s',
      '-o',
      'json',
    ]).stdout;
    expect(watched).toContain('leak-probe');
    expectClean(watched);
    const yaml = kubectlOk(s.kc[A]!, ['get', 'pod', 'leak-probe', '-n', 'app', '-o', 'yaml']);
    expect(yaml).toContain('dnsPolicy: ClusterFirst');
    expect(yaml).not.toContain('dnsConfig');
  });

  attack(
    'bodies',
    "patches and PUTs that change an existing pod's DNS get the apiserver's 422, and change nothing",
    async () => {
      await create(pod('immutable'));
      const before = await hostPod('immutable');
      const url = '/api/v1/namespaces/app/pods/immutable';
      const tries: [string, unknown, string][] = [
        [
          'application/merge-patch+json',
          { spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'] } } },
          'merge',
        ],
        [
          'application/json-patch+json',
          [{ op: 'add', path: '/spec/dnsConfig', value: { searches: [`${hostNs[B]}.svc.cluster.local`] } }],
          'json',
        ],
        ['application/strategic-merge-patch+json', { spec: { dnsPolicy: 'Default' } }, 'strategic'],
      ];
      for (const [type, body, what] of tries) {
        const r = await s.api[A]!.request<Any>('PATCH', url, body, type);
        expectStatus(r, 422, 'Invalid');
        expect(r.body.message, what).toContain('pod updates may not change fields');
        expect(JSON.stringify(r.body), what).not.toContain(hostNs[A]!);
      }
      const view = (await s.api[A]!.must<Any>('GET', url)).body;
      view.spec.dnsConfig = { searches: ['other.example'] };
      expectStatus(await s.api[A]!.request('PUT', url, view), 422, 'Invalid');
      const after = await hostPod('immutable');
      // The scheduler may bind the pod meanwhile: nodeName is the host's to set, not the tenant's.
      const unbound = (spec: Any) => ({ ...spec, nodeName: undefined });
      expect(unbound(after.spec)).toEqual(unbound(before.spec));
      expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    },
  );

  attack(
    'bodies',
    "a patch adding kplex's DNS record to an existing pod is dropped: the host keeps kplex's",
    async () => {
      await create(pod('late-forge'));
      const before = await hostPod('late-forge');
      const r = await s.api[A]!.request<Any>(
        'PATCH',
        '/api/v1/namespaces/app/pods/late-forge',
        { metadata: { annotations: { 'kplex.io/dns': '{"dnsPolicy":"ClusterFirstWithHostNet"}', x: 'y' } } },
        'application/merge-patch+json',
      );
      expect(r.status).toBe(200);
      expectClean(r.body);
      const after = await hostPod('late-forge');
      expect(after.metadata.annotations['kplex.io/dns']).toBe(before.metadata.annotations['kplex.io/dns']);
      expect(after.metadata.annotations['x']).toBe('y');
      expect(after.spec.dnsConfig).toEqual(before.spec.dnsConfig);
    },
  );

  attack(
    'namespaces',
    "ownership across the boundary: deleting tenant B's host object never collects tenant A's objects naming its uid",
    async () => {
      const made = await s.api[B]!.must<Any>('POST', '/api/v1/namespaces/app/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'b-owner' },
      });
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'b-owner', uid: made.body.metadata.uid };
      const role = await s.api[A]!.request(
        'POST',
        '/apis/rbac.authorization.k8s.io/v1/namespaces/app/roles',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'claims-b', ownerReferences: [ref] },
          rules: [],
        },
      );
      expect(role.status).toBe(201);
      const del = await s.api[B]!.request('DELETE', '/api/v1/namespaces/app/configmaps/b-owner');
      expect(del.status).toBe(200);
      const still = await s.api[A]!.request<Any>(
        'GET',
        '/apis/rbac.authorization.k8s.io/v1/namespaces/app/roles/claims-b',
      );
      expect(still.status).toBe(200);
      expect(still.body.metadata.ownerReferences).toEqual([ref]);
    },
  );

  attack(
    'bodies',
    'a dry-run delete of a host owner (query or DeleteOptions body) collects none of its virtual dependents',
    async () => {
      const made = await s.api[A]!.must<Any>('POST', '/api/v1/namespaces/app/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dry-owner' },
      });
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'dry-owner', uid: made.body.metadata.uid };
      const roles = '/apis/rbac.authorization.k8s.io/v1/namespaces/app/roles';
      await s.api[A]!.must('POST', roles, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'dry-dep', ownerReferences: [ref] },
        rules: [],
      });
      const url = '/api/v1/namespaces/app/configmaps/dry-owner';
      expect((await s.api[A]!.request('DELETE', `${url}?dryRun=All`)).status).toBe(200);
      const body = { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'], propagationPolicy: 'Orphan' };
      expect((await s.api[A]!.request('DELETE', url, body)).status).toBe(200);
      const dep = await s.api[A]!.request<Any>('GET', `${roles}/dry-dep`);
      expect(dep.status).toBe(200);
      expect(dep.body.metadata.ownerReferences).toEqual([ref]);
      // The real delete collects it.
      expect((await s.api[A]!.request('DELETE', url)).status).toBe(200);
      expect((await s.api[A]!.request('GET', `${roles}/dry-dep`)).status).toBe(404);
    },
  );

  attack(
    'malformed',
    'a pod whose own dnsConfig overflows validation is admitted with kplex’s resolver first, not a 422 about fields it did not write',
    async () => {
      const own = {
        nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
        searches: Array.from({ length: 32 }, (_, i) => `s${i}.${'x'.repeat(50)}.example`),
        options: [{ name: 'ndots', value: '1' }],
      };
      await create(pod('overflow', { dnsConfig: own }));
      const h = await hostPod('overflow');
      expect(h.spec.dnsConfig.nameservers).toEqual([DNS_IP, '192.0.2.1', '192.0.2.2']);
      expect(h.spec.dnsConfig.searches.slice(0, 3)).toEqual(SEARCHES('app'));
      expect(h.spec.dnsConfig.searches.join(' ').length).toBeLessThanOrEqual(2048);
      const seen = (await s.api[A]!.must<Any>('GET', '/api/v1/namespaces/app/pods/overflow')).body;
      expect(seen.spec.dnsConfig).toEqual(own);
    },
  );

  attack(
    'malformed',
    'webhook: a review whose dnsConfig has wrong types is patched with the namespace’s own search list, never a 500',
    async () => {
      const pki = (f: string) => readFileSync(path.join(s.host.dir, 'pki', f), 'utf8');
      const caller = { cert: pki('webhook-client.crt'), key: pki('webhook-client.key') };
      const object = {
        metadata: { name: 'p' },
        spec: {
          dnsPolicy: 'ClusterFirst',
          dnsConfig: {
            nameservers: [1, null, {}],
            searches: 'not-a-list',
            options: [{ name: 7 }, 'x', null],
          },
          containers: [{ name: 'c', image: 'x' }],
        },
      };
      const body = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          operation: 'CREATE',
          namespace: hostNs[A],
          dryRun: true,
          resource: { group: '', version: 'v1', resource: 'pods' },
          object,
        },
      });
      const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${s.env.kplex.port}/kplex/webhooks/v1/pods`,
          {
            method: 'POST',
            rejectUnauthorized: false,
            headers: { 'content-type': 'application/json' },
            ...caller,
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(r.status).toBe(200);
      const resp = (JSON.parse(r.body) as Any).response;
      expect(resp.allowed).toBe(true);
      const ops = JSON.parse(Buffer.from(resp.patch, 'base64').toString()) as Any[];
      const spec = ops.find((o) => o.path === '/spec')!.value;
      expect(spec.dnsConfig).toEqual({
        nameservers: [DNS_IP],
        searches: SEARCHES('app'),
        options: [{ name: 'ndots', value: '5' }],
      });
    },
  );
});

describe("security: the tenant's view of nodes", () => {
  const NODE = 'kwok-sec-nodes';
  let s: SecurityEnv;
  const B_SECRETS = /of-b|secret-image|volume-b|ops-note/;
  const onNode = (name: string, image: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': NODE },
      containers: [{ name: 'c', image, resources: { requests: { cpu: '300m' } } }],
    },
  });

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    const created = await s.hostApi.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'ops-note': 'ops-note' },
        labels: { 'kubernetes.io/hostname': NODE, type: 'kwok' },
      },
      spec: {},
      status: { allocatable: { cpu: '4', pods: '110' }, capacity: { cpu: '4', pods: '110' } },
    });
    expect(created.status).toBe(201);
    for (const t of [A, B]) kubectlOk(s.kc[t]!, ['create', 'namespace', 'app']);
    kubectlOk(s.kc[A]!, ['create', '-n', 'app', '-f', '-'], JSON.stringify(onNode('mine', 'image-a')));
    kubectlOk(
      s.kc[B]!,
      ['create', '-n', 'app', '-f', '-'],
      JSON.stringify(onNode('theirs', 'secret-image-of-b')),
    );
    for (let i = 0; i < 300; i++) {
      const r = await s.hostApi.must<{ items: Any[] }>(
        'GET',
        `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${NODE}`)}`,
      );
      if (r.body.items.length === 2) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const st = await s.hostApi.request(
      'PATCH',
      `/api/v1/nodes/${NODE}/status`,
      {
        status: {
          images: [{ names: ['secret-image-of-b@sha256:0b'], sizeBytes: 1 }],
          volumesInUse: ['kubernetes.io/csi/d^volume-b'],
          volumesAttached: [{ name: 'kubernetes.io/csi/d^volume-b', devicePath: '' }],
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(st.status).toBe(200);
  });
  afterAll(async () => {
    await s?.hostApi.request('DELETE', `/api/v1/nodes/${NODE}`);
    await s?.close();
  });

  attack(
    'leaks',
    "a node's images, volumes and annotations (other tenants' workloads) never reach a tenant",
    async () => {
      const hostNode = JSON.stringify((await s.hostApi.must('GET', `/api/v1/nodes/${NODE}`)).body);
      expect(hostNode).toMatch(B_SECRETS);
      const reads = [
        (await s.api[A]!.must('GET', `/api/v1/nodes/${NODE}`)).body,
        (await s.api[A]!.must('GET', `/api/v1/nodes/${NODE}/status`)).body,
        (await s.api[A]!.must('GET', '/api/v1/nodes')).body,
        (await s.api[A]!.must('GET', `/api/v1/nodes?fieldSelector=metadata.name%3D${NODE}`)).body,
        kubectlOk(s.kc[A]!, ['get', 'nodes', '-o', 'wide']),
        kubectlOk(s.kc[A]!, ['get', 'node', NODE, '-o', 'yaml']),
        kubectl(s.kc[A]!, ['get', 'node', NODE, '-w', '--request-timeout=2s', '-o', 'json']).stdout,
        kubectl(s.kc[A]!, [
          'get',
          '--raw',
          `/api/v1/watch/nodes?fieldSelector=metadata.name%3D${NODE}&timeoutSeconds=1`,
        ]).stdout,
      ];
      for (const r of reads) {
        const text = typeof r === 'string' ? r : JSON.stringify(r);
        expect(text).toContain(NODE);
        expect(text).not.toMatch(B_SECRETS);
      }
    },
  );

  attack(
    'selectors',
    'pods by spec.nodeName across all namespaces (any selector mix) are the tenant’s own',
    async () => {
      const hostNsB = (
        await s.hostApi.must<{ items: Any[] }>(
          'GET',
          `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${B},kplex.io/namespace=app`)}`,
        )
      ).body.items[0]!.metadata.name as string;
      for (const sel of [
        `spec.nodeName=${NODE}`,
        `spec.nodeName=${NODE},metadata.namespace=app`,
        `spec.nodeName=${NODE},metadata.namespace=${hostNsB}`,
        `spec.nodeName=${NODE},metadata.name=theirs`,
        `spec.nodeName!=nothing`,
        `status.phase!=Failed,spec.nodeName=${NODE}`,
      ]) {
        const r = await s.api[A]!.request<Any>(
          'GET',
          `/api/v1/pods?fieldSelector=${encodeURIComponent(sel)}`,
        );
        expect(r.status, sel).toBe(200);
        const names = (r.body.items as Any[]).map((p) => p.metadata.name);
        expect(names, sel).not.toContain('theirs');
        // (A wrote B's host namespace name into its own forger pod's searches above: not a leak.)
        expect(JSON.stringify(r.body), sel).not.toMatch(/secret-image-of-b|"theirs"/);
      }
    },
  );

  attack('leaks', "kubectl describe node counts the tenant's pods and requests only", async () => {
    const out = kubectlOk(s.kc[A]!, ['describe', 'node', NODE]);
    expect(out).toMatch(/Non-terminated Pods:\s+\(1 in total\)/);
    expect(out).toContain('mine');
    expect(out).not.toContain('theirs');
    expect(out).toMatch(/cpu\s+300m \(7%\)/);
    expect(out).not.toMatch(B_SECRETS);
  });

  attack(
    'rbac',
    'a node view is read-only: every write verb and the proxy are refused with a Status',
    async () => {
      const url = `/api/v1/nodes/${NODE}`;
      const writes: [string, string, unknown, string?][] = [
        ['POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'mine-now' } }],
        ['PUT', url, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } }],
        ['PATCH', url, { metadata: { labels: { owned: 'yes' } } }, 'application/merge-patch+json'],
        ['PATCH', `${url}/status`, { status: { capacity: { cpu: '1000' } } }, 'application/merge-patch+json'],
        ['DELETE', url, undefined],
        ['DELETE', '/api/v1/nodes', undefined],
      ];
      for (const [method, path, body, type] of writes) {
        const r = await s.api[A]!.request<Any>(method as 'POST', path, body, type);
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.body, `${method} ${path}`).toMatchObject({ kind: 'Status', status: 'Failure' });
      }
      const proxy = await s.api[A]!.request<Any>('GET', `${url}/proxy/metrics`);
      expect(proxy.status).toBeGreaterThanOrEqual(400);
      expect(proxy.body).toMatchObject({ kind: 'Status' });
      const node = (await s.hostApi.must<Any>('GET', url)).body;
      expect(node.metadata.labels.owned).toBeUndefined();
      expect(node.status.capacity.cpu).toBe('4');
    },
  );
});
