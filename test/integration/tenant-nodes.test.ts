// The tenant's view of nodes on the real local host: a kwok node running a pod of tenant A and a
// pod of tenant B. A sees the node with the host's labels, taints and capacity, but nothing the
// kubelet reports about B's workloads (images, volumes), and `kubectl describe node` (its pods
// by field selector spec.nodeName across every namespace, its allocated resources) counts A's
// pods only.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { waitFor } from '../helpers/dns-fixture.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const NODE = 'kwok-nodes-it';
const A = 'nodes-a';
const B = 'nodes-b';

type Any = Record<string, any>;

const pod = (name: string, image: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    nodeSelector: { 'kubernetes.io/hostname': NODE },
    containers: [{ name: 'c', image, resources: { requests: { cpu, memory: '64Mi' } } }],
  },
});

describe("the tenant's view of nodes", () => {
  const host = inject('host');
  let env: TenantEnv;
  let hostApi: HostClient;
  const kc: Record<string, string> = {};

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    const created = await hostApi.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0', 'ops/note': 'x' },
        labels: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux', type: 'kwok', zone: 'z1' },
      },
      // No taint: a tenant may not tolerate taints its Tenant does not allow; pods select it by name.
      spec: {},
      status: {
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      },
    });
    expect(created.status).toBe(201);
    env = await startTenantEnv(host);
    for (const t of [A, B]) {
      kc[t] = await env.tenant(t);
      kubectlOk(kc[t], ['create', 'namespace', 'app']);
    }
    kubectlOk(kc[A]!, ['create', '-n', 'app', '-f', '-'], JSON.stringify(pod('a1', 'image-of-a', '100m')));
    kubectlOk(
      kc[B]!,
      ['create', '-n', 'app', '-f', '-'],
      JSON.stringify(pod('b1', 'secret-image-of-b', '700m')),
    );
    for (const t of [A, B])
      await waitFor(`${t}'s pod on ${NODE}`, async () => {
        const r = kubectl(kc[t]!, ['get', 'pods', '-n', 'app', '-o', 'jsonpath={.items[*].spec.nodeName}']);
        return r.stdout.trim() === NODE;
      });
    // What the kubelet reports about the pods it runs (kwok reports no images: set them as a kubelet would).
    const status = await hostApi.request(
      'PATCH',
      `/api/v1/nodes/${NODE}/status`,
      {
        status: {
          images: [{ names: ['secret-image-of-b@sha256:0b'], sizeBytes: 1 }],
          volumesInUse: ['kubernetes.io/csi/driver^volume-of-b'],
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(status.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await env?.close();
    await hostApi?.request('DELETE', `/api/v1/nodes/${NODE}`);
    await hostApi?.close();
  });

  it("get: the host's labels, taints and capacity; no annotations, images or volumes", async () => {
    const hostNode = (await hostApi.must<Any>('GET', `/api/v1/nodes/${NODE}`)).body;
    expect(JSON.stringify(hostNode)).toContain('secret-image-of-b');
    const seen = JSON.parse(kubectlOk(kc[A]!, ['get', 'node', NODE, '-o', 'json'])) as Any;
    expect(seen.metadata.labels).toEqual(hostNode.metadata.labels);
    expect(seen.spec).toEqual(hostNode.spec);
    expect(seen.status.capacity).toEqual(hostNode.status.capacity);
    expect(seen.metadata.annotations).toBeUndefined();
    expect(seen.status.images).toBeUndefined();
    expect(seen.status.volumesInUse).toBeUndefined();
    expect(JSON.stringify(seen)).not.toMatch(/of-b/);
  });

  it('list, Table and watch: the same view', () => {
    const list = kubectlOk(kc[A]!, ['get', 'nodes', '-o', 'json']);
    expect(list).toContain(NODE);
    expect(list).not.toMatch(/of-b/);
    expect(kubectlOk(kc[A]!, ['get', 'nodes'])).toMatch(new RegExp(`${NODE}\\s+Ready`));
    const watched = kubectl(kc[A]!, ['get', 'node', NODE, '-w', '--request-timeout=2s', '-o', 'json']).stdout;
    expect(watched).toContain(NODE);
    expect(watched).not.toMatch(/of-b/);
  });

  it("pods by spec.nodeName across all namespaces are the tenant's own", () => {
    for (const [t, mine, theirs] of [
      [A, 'a1', 'b1'],
      [B, 'b1', 'a1'],
    ] as const) {
      const out = kubectlOk(kc[t]!, [
        'get',
        'pods',
        '-A',
        '--field-selector',
        `spec.nodeName=${NODE}`,
        '-o',
        'name',
      ]);
      expect(out.trim()).toBe(`pod/${mine}`);
      expect(out).not.toContain(theirs);
    }
  });

  it("kubectl describe node counts the tenant's pods only (non-terminated pods, allocated resources)", () => {
    const out = kubectlOk(kc[A]!, ['describe', 'node', NODE]);
    expect(out).toMatch(/Non-terminated Pods:\s+\(1 in total\)/);
    expect(out).toMatch(/app\s+a1\s+100m/);
    expect(out).toMatch(/cpu\s+100m \(2%\)/);
    expect(out).not.toMatch(/b1|of-b|700m|800m/);
    expect(out).toMatch(/Taints:\s+<none>/);
    expect(out).toContain('zone=z1');
  });
});
