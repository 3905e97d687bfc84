// Attacks on the tenant's node view (Tenant spec.policy.nodes, default: the nodes that run its pods,
// read-only) and the node Leases it reads in its kube-node-lease namespace: another tenant's node,
// its Lease, its images and pods never show, whatever the read (get, list, Table, selectors,
// watch, watch-list, by name), and no write reaches the host.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectlOk } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/dns-fixture.js';
import { collectWatch } from '../helpers/watch-collect.js';
import { type SecurityEnv, attack, expectStatus, securityEnv } from './harness.js';

type Any = Record<string, any>;

const A = 'nsec-a';
const B = 'nsec-b';
/** Runs a pod of A and a pod of B (with B's image in its status). */
const SHARED = 'kwok-nsec-shared';
/** Runs B's pods only. */
const ONLY_B = 'kwok-nsec-only-b';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const B_SECRETS = /secret-image-of-b|ops-note|kwok-nsec-only-b/;

const onNode = (name: string, node: string, image: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'c', image }] },
});

describe("security: a tenant's nodes and node Leases", () => {
  let s: SecurityEnv;
  const hostNode = async (n: string) => (await s.hostApi.must<Any>('GET', `/api/v1/nodes/${n}`)).body;

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    for (const n of [SHARED, ONLY_B]) {
      const created = await s.hostApi.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'ops-note': 'ops-note' },
          labels: { 'kubernetes.io/hostname': n, type: 'kwok', sec: 'nodes' },
        },
        spec: {},
        status: { allocatable: { cpu: '4', pods: '110' }, capacity: { cpu: '4', pods: '110' } },
      });
      expect(created.status).toBe(201);
    }
    for (const t of [A, B]) kubectlOk(s.kc[t]!, ['create', 'namespace', 'app']);
    const pods: [string, string, string, string][] = [
      [A, 'mine', SHARED, 'image-a'],
      [B, 'theirs', SHARED, 'secret-image-of-b'],
      [B, 'theirs-alone', ONLY_B, 'secret-image-of-b'],
    ];
    for (const [t, name, n, image] of pods)
      kubectlOk(s.kc[t]!, ['create', '-n', 'app', '-f', '-'], JSON.stringify(onNode(name, n, image)));
    for (const [t, name, n] of pods)
      await waitFor(`${name} on ${n}`, async () => {
        const r = await s.api[t]!.request<Any>('GET', `/api/v1/namespaces/app/pods/${name}`);
        return r.body?.spec?.nodeName === n;
      });
    await s.hostApi.request(
      'PATCH',
      `/api/v1/nodes/${SHARED}/status`,
      { status: { images: [{ names: ['secret-image-of-b@sha256:0b'], sizeBytes: 1 }] } },
      'application/strategic-merge-patch+json',
    );
    for (const n of [SHARED, ONLY_B])
      await waitFor(
        `the Lease of ${n}`,
        async () => (await s.hostApi.request('GET', `${LEASES}/${n}`)).status === 200,
      );
  }, 180_000);

  afterAll(async () => {
    for (const n of [SHARED, ONLY_B]) await s?.hostApi.request('DELETE', `/api/v1/nodes/${n}`);
    await s?.close();
  });

  attack(
    'leaks',
    "a node running only another tenant's pods is NotFound to get, get /status and watch by name",
    async () => {
      for (const path of [`/api/v1/nodes/${ONLY_B}`, `/api/v1/nodes/${ONLY_B}/status`]) {
        const r = await s.api[A]!.request<Any>('GET', path);
        expectStatus(r, 404, 'NotFound');
        expect(r.body.message).toBe(`nodes "${ONLY_B}" not found`);
      }
      expect((await s.api[B]!.request('GET', `/api/v1/nodes/${ONLY_B}`)).status).toBe(200);
      const w = collectWatch(s.api[A]!, `/api/v1/watch/nodes/${ONLY_B}?timeoutSeconds=1`);
      await w.done;
      expect(w.events).toEqual([]);
    },
  );

  attack('leaks', "lists (JSON, Table, YAML, from the cache) show the tenant's nodes only", async () => {
    const json = (await s.api[A]!.must<Any>('GET', '/api/v1/nodes')).body;
    expect(json.items.map((n: Any) => n.metadata.name)).toEqual([SHARED]);
    const texts = [
      JSON.stringify(json),
      kubectlOk(s.kc[A]!, ['get', 'nodes', '-o', 'wide']),
      kubectlOk(s.kc[A]!, ['get', 'nodes', '-o', 'yaml']),
      kubectlOk(s.kc[A]!, ['get', 'nodes', '--show-labels']),
      kubectlOk(s.kc[A]!, ['get', '--raw', '/api/v1/nodes?resourceVersion=0']),
    ];
    for (const t of texts) {
      expect(t).toContain(SHARED);
      expect(t).not.toMatch(B_SECRETS);
    }
    expect(kubectlOk(s.kc[A]!, ['get', 'nodes', '-o', 'name'])).toBe(`node/${SHARED}\n`);
  });

  attack(
    'selectors',
    "selectors cannot widen the view: negations, names and labels select among the tenant's nodes",
    async () => {
      for (const q of [
        `fieldSelector=${encodeURIComponent(`metadata.name=${ONLY_B}`)}`,
        `fieldSelector=${encodeURIComponent('metadata.name!=x')}`,
        `fieldSelector=${encodeURIComponent('spec.unschedulable!=true')}`,
        `labelSelector=${encodeURIComponent('!nonexistent')}`,
        `labelSelector=${encodeURIComponent('sec=nodes')}`,
        `labelSelector=${encodeURIComponent(`kubernetes.io/hostname in (${ONLY_B},${SHARED})`)}`,
      ]) {
        const r = await s.api[A]!.must<Any>('GET', `/api/v1/nodes?${q}`);
        expect(
          r.body.items.map((n: Any) => n.metadata.name).filter((n: string) => n === ONLY_B),
          q,
        ).toEqual([]);
      }
      const bad = await s.api[A]!.request<Any>(
        'GET',
        `/api/v1/nodes?fieldSelector=${encodeURIComponent('metadata.namespace=app')}`,
      );
      expectStatus(bad, 400, 'BadRequest');
      expect(bad.body.message).toBe('field label not supported: metadata.namespace');
    },
  );

  attack(
    'leaks',
    "a watch and a watch-list never carry another tenant's node, even as its pods come and go",
    async () => {
      const rv = (await s.api[A]!.must<Any>('GET', '/api/v1/nodes')).body.metadata.resourceVersion as string;
      const w = collectWatch(
        s.api[A]!,
        `/api/v1/nodes?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
      );
      const wl = collectWatch(
        s.api[A]!,
        `/api/v1/nodes?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=3`,
      );
      kubectlOk(
        s.kc[B]!,
        ['create', '-n', 'app', '-f', '-'],
        JSON.stringify(onNode('more', ONLY_B, 'secret-image-of-b')),
      );
      await waitFor('more bound', async () => {
        const r = await s.api[B]!.request<Any>('GET', '/api/v1/namespaces/app/pods/more');
        return r.body?.spec?.nodeName === ONLY_B;
      });
      await s.api[B]!.request('DELETE', '/api/v1/namespaces/app/pods/more?gracePeriodSeconds=0');
      await s.hostApi.request(
        'PATCH',
        `/api/v1/nodes/${ONLY_B}`,
        { metadata: { labels: { touched: 'yes' } } },
        'application/merge-patch+json',
      );
      await wl.done;
      await new Promise((r) => setTimeout(r, 500));
      w.stop();
      expect(w.text()).not.toMatch(B_SECRETS);
      expect(wl.text()).not.toMatch(B_SECRETS);
      expect(wl.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name)).toEqual([
        SHARED,
      ]);
    },
  );

  attack(
    'leaks',
    "node Leases: the tenant's nodes' only; another tenant's node and the host's nodes stay hidden",
    async () => {
      const list = (await s.api[A]!.must<Any>('GET', LEASES)).body;
      expect(list.items.map((l: Any) => l.metadata.name)).toEqual([SHARED]);
      expect(JSON.stringify(list)).not.toContain('managedFields');
      const hidden = await s.api[A]!.request<Any>('GET', `${LEASES}/${ONLY_B}`);
      expectStatus(hidden, 404, 'NotFound');
      expect(hidden.body.message).toBe(`leases.coordination.k8s.io "${ONLY_B}" not found`);
      expect(kubectlOk(s.kc[A]!, ['get', 'leases', '-n', 'kube-node-lease'])).not.toMatch(
        /kwok-node-|kwok-nsec-only-b/,
      );
      const w = collectWatch(s.api[A]!, `${LEASES}?watch=1&timeoutSeconds=2`);
      await w.done;
      // the Lease's renewals may come as MODIFIED events: its name only, never another node's
      expect([...new Set(w.events.map((e) => e.object.metadata?.name))]).toEqual([SHARED]);
      expect(w.text()).not.toContain(ONLY_B);
    },
  );

  attack(
    'rbac',
    "node and node Lease writes are refused by default with the apiserver's RBAC Status; the host is unchanged",
    async () => {
      const url = `/api/v1/nodes/${SHARED}`;
      const writes: [string, string, unknown, string?][] = [
        ['POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'nsec-new' } }],
        ['PUT', url, { apiVersion: 'v1', kind: 'Node', metadata: { name: SHARED } }],
        ['PATCH', url, { metadata: { labels: { owned: 'yes' } } }, 'application/merge-patch+json'],
        ['PATCH', `${url}/status`, { status: { capacity: { cpu: '1000' } } }, 'application/merge-patch+json'],
        ['DELETE', url, undefined],
        ['DELETE', '/api/v1/nodes', undefined],
        [
          'POST',
          LEASES,
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'nsec-new' } },
        ],
        ['PATCH', `${LEASES}/${SHARED}`, { spec: { holderIdentity: 'me' } }, 'application/merge-patch+json'],
        ['DELETE', `${LEASES}/${SHARED}`, undefined],
        ['DELETE', LEASES, undefined],
      ];
      for (const [method, path, body, type] of writes) {
        const r = await s.api[A]!.request<Any>(method as 'POST', path, body, type);
        expectStatus(r, 403, 'Forbidden');
        expect(r.body.message, `${method} ${path}`).toMatch(
          /User "admin" cannot \w+ resource "(nodes|nodes\/status|leases)"/,
        );
        expect(r.body.message).not.toMatch(/system:serviceaccount|kplex/);
      }
      const node = await hostNode(SHARED);
      expect(node.metadata.labels.owned).toBeUndefined();
      expect(node.status.capacity.cpu).toBe('4');
      expect((await s.hostApi.request('GET', '/api/v1/nodes/nsec-new')).status).toBe(404);
      const lease = (await s.hostApi.must<Any>('GET', `${LEASES}/${SHARED}`)).body;
      expect(lease.spec.holderIdentity).not.toBe('me');
    },
  );
});
