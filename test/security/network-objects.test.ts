// Service and networking attacks (issue 14): a tenant admin tries to squat the host's addresses
// (fixed ClusterIPs, node ports), to learn who holds a node port, to exhaust node ports, to spoof
// load-balancer status, to point Endpoints at other tenants' pods and the host, to follow an
// ExternalName into the host's services, to take another tenant's Ingress host name, to mount
// node-reaching volumes, and to claim a PersistentVolume it cannot see. Each attack checks the
// apiserver-style refusal AND that nothing of it reached the host.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { attack, expectStatus, securityEnv, type SecurityEnv } from './harness.js';
import { hostNamespaceOf, sleep } from './raw-scan.js';
import { kubectlOk } from '../helpers/kubectl.js';

const A = 'sn-a';
const B = 'sn-b';
const NS = 'net';
const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const TENANTS = '/apis/kplex.io/v1alpha1/tenants';

type Obj = Record<string, unknown>;

const service = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { ports: [{ port: 80 }], ...spec },
});
const ports = (n: number): Obj[] => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: 1000 + i }));
const pod = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name } },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});
const endpoints = (name: string, ip: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name },
  subsets: [{ addresses: [{ ip }], ports: [{ port: 80 }] }],
});
const slice = (name: string, ip: string): Obj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, labels: { 'kubernetes.io/service-name': 'x' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip] }],
  ports: [{ port: 80 }],
});
const ingress = (name: string, host: string, tls = false): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec: {
    rules: [
      {
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      },
    ],
    ...(tls ? { tls: [{ hosts: [host] }] } : {}),
  },
});

describe('security: services and networking objects', () => {
  let s: SecurityEnv;
  let api: HostClient;
  let hostNs = '';
  let hostNsB = '';
  /** IPs on the host: a pod of tenant B, a node, the host's kubernetes Service. */
  let podIpB = '';
  let nodeIp = '';
  let kubernetesIP = '';
  const base = `/api/v1/namespaces/${NS}`;
  const onHost = (path: string) =>
    s.hostApi.request<Obj>('GET', path.replace(`/namespaces/${NS}/`, `/namespaces/${hostNs}/`));
  const gone = async (path: string) => expect((await onHost(path)).status).toBe(404);
  const refused = async (
    res: Promise<{ status: number; body: unknown }>,
    text: string,
    code = 403,
  ): Promise<string> => {
    const r = await res;
    expectStatus(r, code, code === 403 ? 'Forbidden' : 'Invalid');
    const msg = (r.body as { message: string }).message;
    expect(msg).toContain(text);
    expect(msg).not.toContain(hostNs);
    return msg;
  };
  const setPolicy = async (policy: Obj | null): Promise<void> => {
    const r = await s.hostApi.request('PATCH', `${TENANTS}/${A}`, { spec: { policy } }, MERGE);
    expect(r.status).toBe(200);
  };
  /** The policy reaches kplex by its Tenant watch: wait until a probe write shows it. */
  const untilAllowed = (probe: () => Promise<{ status: number }>) =>
    expect.poll(async () => (await probe()).status, { timeout: 15_000 }).toBeLessThan(300);
  /** A pod's IP once the host gave it one (a loop: beforeAll has no expect.poll). */
  const podIP = async (client: HostClient, ns: string, name: string): Promise<string> => {
    for (let i = 0; i < 150; i++) {
      const r = await client.request<{ status?: { podIP?: string } }>(
        'GET',
        `/api/v1/namespaces/${ns}/pods/${name}`,
      );
      if (r.body.status?.podIP) return r.body.status.podIP;
      await sleep(200);
    }
    throw new Error(`pod ${ns}/${name} got no IP`);
  };

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    api = s.api[A]!;
    for (const t of [A, B]) {
      const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
      expect((await s.api[t]!.request('POST', '/api/v1/namespaces', ns)).status).toBe(201);
      expect((await s.api[t]!.request('POST', `${base}/pods`, pod('web'))).status).toBe(201);
    }
    hostNs = (await hostNamespaceOf(s.hostApi, A, NS))!;
    hostNsB = (await hostNamespaceOf(s.hostApi, B, NS))!;
    podIpB = await podIP(s.hostApi, hostNsB, 'web');
    const nodes = await s.hostApi.request<{ items: { status: { addresses?: { address: string }[] } }[] }>(
      'GET',
      '/api/v1/nodes',
    );
    nodeIp = nodes.body.items[0]?.status.addresses?.[0]?.address ?? '10.0.0.1';
    const k = await s.hostApi.request<{ spec: { clusterIP: string } }>(
      'GET',
      '/api/v1/namespaces/default/services/kubernetes',
    );
    kubernetesIP = k.body.spec.clusterIP;
  });
  afterAll(async () => {
    await s?.hostApi.request('PATCH', `${TENANTS}/${A}`, { spec: { policy: null } }, MERGE);
    await s?.close();
  });

  // Fixed ClusterIPs.
  /** The host's DNS address by convention: the service range's tenth address. */
  const dnsIP = () => kubernetesIP.replace(/\.\d+$/, '.10');
  attack('bodies', 'fixed clusterIP squatting the host DNS address (.10 of the service range)', async () => {
    await refused(
      api.request('POST', `${base}/services`, service('dns', { clusterIP: dnsIP() })),
      `services "dns" is forbidden: spec.clusterIP: a fixed cluster IP (${dnsIP()}) is not in the tenant's allowed cluster IPs`,
    );
    await gone(`${base}/services/dns`);
  });
  attack(
    'leaks',
    "fixed clusterIP of the host's kubernetes Service: refused as any other, not 'already allocated'",
    async () => {
      const msg = await refused(
        api.request('POST', `${base}/services`, service('kapi', { clusterIP: kubernetesIP })),
        'is not in the tenant',
      );
      expect(msg).not.toContain('allocated');
    },
  );
  attack('bodies', 'fixed clusterIPs list by server-side apply', async () => {
    await refused(
      api.request(
        'PATCH',
        `${base}/services/ssa-ip?fieldManager=x`,
        service('ssa-ip', { clusterIPs: [dnsIP()] }),
        APPLY,
      ),
      'spec.clusterIP: a fixed cluster IP',
    );
    await gone(`${base}/services/ssa-ip`);
  });

  // NodePorts and LoadBalancers.
  attack('bodies', 'NodePort Service refused by default', async () => {
    await refused(
      api.request('POST', `${base}/services`, service('np', { type: 'NodePort' })),
      'services "np" is forbidden: spec.type: NodePort services are not permitted for this tenant',
    );
    await gone(`${base}/services/np`);
  });
  attack('bodies', 'ClusterIP Service turned NodePort by merge patch', async () => {
    expect((await api.request('POST', `${base}/services`, service('later'))).status).toBe(201);
    await refused(
      api.request('PATCH', `${base}/services/later`, { spec: { type: 'NodePort' } }, MERGE),
      'spec.type: NodePort services are not permitted',
    );
    expect(((await onHost(`${base}/services/later`)).body['spec'] as Obj)['type']).toBe('ClusterIP');
  });
  attack('bodies', 'LoadBalancer Service refused by default', async () => {
    await refused(
      api.request('POST', `${base}/services`, service('lb', { type: 'LoadBalancer' })),
      'spec.type: LoadBalancer services are not permitted',
    );
    await gone(`${base}/services/lb`);
  });
  attack('leaks', 'a fixed nodePort request tells nothing of who holds the port', async () => {
    // The host holds one port; the tenant asks for it and for a free one: the same answer.
    const held = await s.hostApi.request<{ spec: { ports: { nodePort: number }[] } }>(
      'POST',
      '/api/v1/namespaces/default/services',
      service('held-np', { type: 'NodePort' }),
    );
    expect(held.status).toBe(201);
    const port = held.body.spec.ports[0]!.nodePort;
    const free = port === 32767 ? 32766 : port + 1;
    await setPolicy({ nodePorts: 5 });
    await untilAllowed(() =>
      api.request('POST', `${base}/services?dryRun=All`, service('probe', { type: 'NodePort' })),
    );
    const msgs: string[] = [];
    for (const [name, p] of [
      ['fixed-held', port],
      ['fixed-free', free],
    ] as const)
      msgs.push(
        (
          await refused(
            api.request(
              'POST',
              `${base}/services`,
              service(name, { type: 'NodePort', ports: [{ port: 80, nodePort: p }] }),
            ),
            'spec.ports[0].nodePort: a fixed node port is not permitted for tenant services',
          )
        ).replace(name, 'N'),
      );
    expect(msgs[0]).toBe(msgs[1]);
    expect(msgs[0]).not.toContain('allocated');
    await s.hostApi.request('DELETE', '/api/v1/namespaces/default/services/held-np');
    await setPolicy(null);
  });
  attack('exhaustion', 'node ports beyond the tenant cap, one Service and 6 concurrent ones', async () => {
    await setPolicy({ nodePorts: 3 });
    await untilAllowed(() =>
      api.request('POST', `${base}/services?dryRun=All`, service('probe', { type: 'NodePort' })),
    );
    await refused(
      api.request('POST', `${base}/services`, service('big', { type: 'NodePort', ports: ports(4) })),
      'exceeded quota: tenant-quota.kplex.io, requested: services.nodeports=4, used: services.nodeports=0, limited: services.nodeports=3',
    );
    expect(
      (await api.request('POST', `${base}/services`, service('two', { type: 'NodePort', ports: ports(2) })))
        .status,
    ).toBe(201);
    // One port is left: of 6 concurrent one-port Services at most one may pass.
    const rs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.request('POST', `${base}/services`, service(`race-${i}`, { type: 'NodePort' })),
      ),
    );
    expect(rs.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    for (const r of rs.filter((x) => x.status !== 201)) expectStatus(r, 403, 'Forbidden');
    const all = await s.hostApi.request<{ items: { spec: { type: string; ports: unknown[] } }[] }>(
      'GET',
      `/api/v1/namespaces/${hostNs}/services`,
    );
    const used = all.body.items
      .filter((x) => x.spec.type === 'NodePort')
      .reduce((n, x) => n + x.spec.ports.length, 0);
    expect(used).toBeLessThanOrEqual(3);
    for (const r of ['two', ...Array.from({ length: 6 }, (_, i) => `race-${i}`)])
      await api.request('DELETE', `${base}/services/${r}`);
    await setPolicy(null);
  });

  // Load-balancer status.
  attack('bodies', 'services/status loadBalancer.ingress spoofed on a ClusterIP Service (PUT)', async () => {
    expect((await api.request('POST', `${base}/services`, service('st'))).status).toBe(201);
    const cur = await api.request<Obj>('GET', `${base}/services/st`);
    cur.body['status'] = { loadBalancer: { ingress: [{ ip: '203.0.113.50' }] } };
    const r = await api.request<{ message: string }>('PUT', `${base}/services/st/status`, cur.body);
    // The host's own validation refuses it for a type that is no LoadBalancer (422); kplex's 403 otherwise.
    expect([403, 422]).toContain(r.status);
    expect(JSON.stringify((await onHost(`${base}/services/st`)).body['status'])).not.toContain(
      '203.0.113.50',
    );
  });
  attack(
    'bodies',
    'services/status loadBalancer.ingress of a LoadBalancer Service spoofed (PUT, merge patch)',
    async () => {
      await setPolicy({ loadBalancers: 1, nodePorts: 5 });
      await untilAllowed(() =>
        api.request('POST', `${base}/services`, service('lbst', { type: 'LoadBalancer' })),
      );
      const cur = await api.request<Obj>('GET', `${base}/services/lbst`);
      cur.body['status'] = { loadBalancer: { ingress: [{ ip: '203.0.113.50' }] } };
      await refused(
        api.request('PUT', `${base}/services/lbst/status`, cur.body),
        'services "lbst" is forbidden: status.loadBalancer: only the host\'s controllers set the load balancer status',
      );
      await refused(
        api.request(
          'PATCH',
          `${base}/services/lbst/status`,
          { status: { loadBalancer: { ingress: [{ ip: '203.0.113.51' }] } } },
          MERGE,
        ),
        'status.loadBalancer',
      );
      expect(JSON.stringify((await onHost(`${base}/services/lbst`)).body['status'])).not.toContain(
        '203.0.113.5',
      );
      expect((await api.request('DELETE', `${base}/services/lbst`)).status).toBe(200);
      await setPolicy(null);
    },
  );
  attack('bodies', 'ingresses/status loadBalancer spoofed', async () => {
    expect(
      (
        await api.request(
          'POST',
          `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`,
          ingress('st', 'st.a.example'),
        )
      ).status,
    ).toBe(201);
    await refused(
      api.request(
        'PATCH',
        `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/st/status`,
        { status: { loadBalancer: { ingress: [{ ip: '203.0.113.52' }] } } },
        MERGE,
      ),
      'ingresses.networking.k8s.io "st" is forbidden: status.loadBalancer',
    );
  });

  // Endpoints and EndpointSlices.
  attack('bodies', "Endpoints naming another tenant's pod IP", async () => {
    await refused(
      api.request('POST', `${base}/endpoints`, endpoints('steal', podIpB)),
      `endpoints "steal" is forbidden: subsets[0].addresses[0].ip: ${podIpB} is not the address of a pod of this namespace`,
    );
    await gone(`${base}/endpoints/steal`);
  });
  attack('bodies', 'Endpoints naming a node address', async () => {
    const r = await api.request<{ message: string }>('POST', `${base}/endpoints`, endpoints('node', nodeIp));
    expect([403, 422]).toContain(r.status);
    expect(r.body.message).not.toContain(hostNs);
    await gone(`${base}/endpoints/node`);
  });
  attack('bodies', 'Endpoints naming the link-local metadata address 169.254.169.254', async () => {
    const r = await api.request<{ message: string }>(
      'POST',
      `${base}/endpoints`,
      endpoints('meta', '169.254.169.254'),
    );
    expect([403, 422]).toContain(r.status);
    await gone(`${base}/endpoints/meta`);
  });
  attack('bodies', "Endpoints naming the host's kubernetes ClusterIP", async () => {
    const r = await api.request<{ message: string }>(
      'POST',
      `${base}/endpoints`,
      endpoints('kapi', kubernetesIP),
    );
    expect([403, 422]).toContain(r.status);
    await gone(`${base}/endpoints/kapi`);
  });
  attack('bodies', "Endpoints given another tenant's pod IP by merge patch", async () => {
    const own = await podIP(s.hostApi, hostNs, 'web');
    const created = await api.request('POST', `${base}/endpoints`, endpoints('mine', own));
    // The local host's pod IPs may be ones Endpoints validation refuses: then only the patch matters.
    if (created.status !== 201) return;
    await refused(
      api.request(
        'PATCH',
        `${base}/endpoints/mine`,
        { subsets: [{ addresses: [{ ip: podIpB }], ports: [{ port: 80 }] }] },
        MERGE,
      ),
      'is not the address of a pod of this namespace',
    );
  });
  attack('bodies', "EndpointSlice naming another tenant's pod IP", async () => {
    await refused(
      api.request(
        'POST',
        `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`,
        slice('steal', podIpB),
      ),
      'endpointslices.discovery.k8s.io "steal" is forbidden: endpoints[0].addresses[0]',
    );
    await gone(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/steal`);
  });
  attack('bodies', 'EndpointSlice naming a node address', async () => {
    const r = await api.request(
      'POST',
      `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`,
      slice('node', nodeIp),
    );
    expect([403, 422]).toContain(r.status);
  });

  // ExternalName.
  for (const name of [
    'kubernetes.default.svc.cluster.local',
    'kubernetes.default',
    'kubernetes',
    'kube-dns.kube-system.svc',
  ])
    attack('bodies', `ExternalName to ${name}`, async () => {
      const svcName = `ext-${name.split('.').length}`;
      await refused(
        api.request('POST', `${base}/services`, {
          ...service(svcName, { type: 'ExternalName', externalName: name }),
          spec: { type: 'ExternalName', externalName: name },
        }),
        `services "${svcName}" is forbidden: spec.externalName: "${name}" is not permitted for tenant services`,
      );
      await gone(`${base}/services/${svcName}`);
    });
  attack('bodies', 'ExternalName switched to the host kubernetes Service by merge patch', async () => {
    const ok = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'extok' },
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    };
    expect((await api.request('POST', `${base}/services`, ok)).status).toBe(201);
    await refused(
      api.request(
        'PATCH',
        `${base}/services/extok`,
        { spec: { externalName: 'kubernetes.default.svc.cluster.local.' } },
        MERGE,
      ),
      'spec.externalName',
    );
    expect(((await onHost(`${base}/services/extok`)).body['spec'] as Obj)['externalName']).toBe(
      'db.example.com',
    );
  });

  // Ingress host names: first claim wins.
  const ING = `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`;
  attack('bodies', "Ingress claiming another tenant's host name", async () => {
    expect((await s.api[B]!.request('POST', ING, ingress('shop', 'shop.b.example'))).status).toBe(201);
    const msg = await refused(
      api.request('POST', ING, ingress('shop', 'shop.b.example')),
      'ingresses.networking.k8s.io "shop" is forbidden: spec.rules[0].host: host "shop.b.example" is already claimed by an Ingress outside this tenant',
    );
    expect(msg).not.toContain(B);
    expect(msg).not.toContain(hostNsB);
    await gone(`${ING}/shop`);
  });
  attack('bodies', "Ingress wildcard over another tenant's host name", () =>
    refused(
      api.request('POST', ING, ingress('wild', '*.b.example')),
      'spec.rules[0].host: host "*.b.example" is already claimed',
    ).then(() => undefined),
  );
  attack('bodies', "Ingress TLS hosts naming another tenant's host", async () => {
    const ing = ingress('tls', 'mine.a.example');
    (ing['spec'] as Obj)['tls'] = [{ hosts: ['shop.b.example'] }];
    await refused(
      api.request('POST', ING, ing),
      'spec.tls[0].hosts[0]: host "shop.b.example" is already claimed',
    );
  });
  attack('bodies', 'Ingress host added to an existing Ingress by merge patch', async () => {
    expect((await api.request('POST', ING, ingress('grow', 'grow.a.example'))).status).toBe(201);
    const rules = [
      ((ingress('grow', 'grow.a.example')['spec'] as Obj)['rules'] as Obj[])[0],
      ((ingress('grow', 'shop.b.example')['spec'] as Obj)['rules'] as Obj[])[0],
    ];
    await refused(api.request('PATCH', `${ING}/grow`, { spec: { rules } }, MERGE), 'spec.rules[1].host');
  });
  attack('bodies', "Ingress without a host (a catch-all) after another tenant's catch-all", async () => {
    const catchAll = (name: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    });
    expect((await s.api[B]!.request('POST', ING, catchAll('all'))).status).toBe(201);
    const msg = await refused(
      api.request('POST', ING, catchAll('all')),
      'spec.defaultBackend: the requests of no other host (an Ingress without a host) are already claimed',
    );
    expect(msg).not.toContain(B);
    expect((await s.api[B]!.request('DELETE', `${ING}/all`)).status).toBe(200);
  });
  attack('bodies', "Ingress claiming a host name of the host's own Ingress", async () => {
    const r = await s.hostApi.request(
      'POST',
      '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
      ingress('ops', 'ops.host.example'),
    );
    expect(r.status).toBe(201);
    await refused(api.request('POST', ING, ingress('ops', 'ops.host.example')), 'is already claimed');
    await s.hostApi.request('DELETE', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/ops');
  });

  // Volumes.
  for (const [type, source] of [
    ['nfs', { server: '10.0.0.1', path: '/' }],
    ['iscsi', { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 }],
    ['gitRepo', { repository: 'https://example.com/x.git' }],
    ['rbd', { monitors: ['10.0.0.1:6789'], image: 'x' }],
    ['flexVolume', { driver: 'example.com/x' }],
  ] as const)
    attack('bodies', `${type} volume in a pod`, async () => {
      const name = `vol-${type.toLowerCase()}`;
      await refused(
        api.request('POST', `${base}/pods`, pod(name, { volumes: [{ name: 'v', [type]: source }] })),
        `pods "${name}" is forbidden: spec.volumes[0].${type}: volume type ${type} is not permitted for this tenant's pods`,
      );
      await gone(`${base}/pods/${name}`);
    });
  attack('bodies', 'NFS volume in a Deployment template', async () => {
    await refused(
      api.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'nfsdep' },
        spec: {
          selector: { matchLabels: { app: 'nfsdep' } },
          template: {
            metadata: { labels: { app: 'nfsdep' } },
            spec: {
              containers: [{ name: 'c', image: 'x' }],
              volumes: [{ name: 'v', nfs: { server: '10.0.0.1', path: '/' } }],
            },
          },
        },
      }),
      'spec.template.spec.volumes[0].nfs',
    );
  });
  attack('bodies', 'PVC volumeName of a PersistentVolume the tenant cannot see', async () => {
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'sn-foreign-pv' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/sn' } },
    };
    expect([201, 409]).toContain((await s.hostApi.request('POST', '/api/v1/persistentvolumes', pv)).status);
    const pvc = (name: string, volumeName: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeName,
        storageClassName: '',
      },
    });
    const a = await refused(
      api.request('POST', `${base}/persistentvolumeclaims`, pvc('grab', 'sn-foreign-pv')),
      'persistentvolumeclaims "grab" is forbidden: spec.volumeName: PersistentVolume "sn-foreign-pv" is not one this tenant may claim',
    );
    // A volume that does not exist gets the same answer (no oracle of host PV names).
    const b = await refused(
      api.request('POST', `${base}/persistentvolumeclaims`, pvc('grab', 'sn-no-such-pv')),
      'is not one this tenant may claim',
    );
    expect(a.replace('sn-foreign-pv', 'X')).toBe(b.replace('sn-no-such-pv', 'X'));
    await gone(`${base}/persistentvolumeclaims/grab`);
    await s.hostApi.request('DELETE', '/api/v1/persistentvolumes/sn-foreign-pv');
  });

  // kplex's isolation NetworkPolicy in each host namespace: invisible and unchangeable to the tenant.
  const NP = `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`;
  const ISO = 'kplex-tenant-isolation';
  const hostPolicy = () =>
    s.hostApi.request<{ metadata: { uid: string }; spec: Obj }>(
      'GET',
      `/apis/networking.k8s.io/v1/namespaces/${hostNs}/networkpolicies/${ISO}`,
    );
  /** The policy exists on the host (made asynchronously by kplex's namespace watch, or made again). */
  const policyThere = () =>
    expect.poll(async () => (await hostPolicy()).status, { timeout: 15_000 }).toBe(200);
  attack('leaks', "kplex's NetworkPolicy is not in the tenant's list, Table or read by name", async () => {
    await policyThere();
    const list = await api.request<{ items: { metadata: { name: string } }[] }>('GET', NP);
    expect(list.body.items.map((i) => i.metadata.name)).not.toContain(ISO);
    // kubectl's table (a server-side Table).
    expect(kubectlOk(s.kc[A]!, ['get', 'networkpolicies', '-n', NS])).not.toContain(ISO);
    expectStatus(await api.request('GET', `${NP}/${ISO}`), 404, 'NotFound');
  });
  attack('namespaces', "deletes kplex's NetworkPolicy by name", async () => {
    await policyThere();
    const uid = (await hostPolicy()).body.metadata.uid;
    await refused(
      api.request('DELETE', `${NP}/${ISO}`),
      `networkpolicies.networking.k8s.io "${ISO}" is forbidden`,
    );
    expect((await hostPolicy()).body.metadata.uid).toBe(uid);
  });
  attack('namespaces', "opens kplex's NetworkPolicy to everyone by merge patch and by PUT", async () => {
    await policyThere();
    const before = JSON.stringify((await hostPolicy()).body.spec);
    await refused(
      api.request('PATCH', `${NP}/${ISO}`, { spec: { ingress: [{}] } }, MERGE),
      "the name is kplex's own object",
    );
    await refused(
      api.request('PUT', `${NP}/${ISO}`, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: ISO },
        spec: { podSelector: {}, ingress: [{}] },
      }),
      "the name is kplex's own object",
    );
    expect(JSON.stringify((await hostPolicy()).body.spec)).toBe(before);
  });
  attack('namespaces', "creates a NetworkPolicy of kplex's name", async () => {
    await policyThere();
    const before = JSON.stringify((await hostPolicy()).body.spec);
    const r = await api.request<{ message: string }>('POST', NP, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: ISO },
      spec: { podSelector: {}, ingress: [{}] },
    });
    expectStatus(r, 409, 'AlreadyExists');
    expect(r.body.message).not.toContain(hostNs);
    expect(JSON.stringify((await hostPolicy()).body.spec)).toBe(before);
  });
  attack(
    'namespaces',
    "deletes every NetworkPolicy of the namespace (deletecollection): kplex's is left out",
    async () => {
      await policyThere();
      const uid = (await hostPolicy()).body.metadata.uid;
      expect((await api.request('DELETE', NP)).status).toBe(200);
      const r = await hostPolicy();
      expect([r.status, r.body.metadata.uid]).toEqual([200, uid]);
    },
  );

  // kplex's ResourceQuota in each host namespace: shown, read-only.
  const RQ = `${base}/resourcequotas`;
  const QUOTA = 'quota.kplex.io';
  const hostQuota = () =>
    s.hostApi.request<{ metadata: { uid: string }; spec: { hard: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${hostNs}/resourcequotas/${QUOTA}`,
    );
  const quotaThere = () => expect.poll(async () => (await hostQuota()).status, { timeout: 15_000 }).toBe(200);
  attack('exhaustion', "deletes kplex's ResourceQuota", async () => {
    await quotaThere();
    const uid = (await hostQuota()).body.metadata.uid;
    await refused(api.request('DELETE', `${RQ}/${QUOTA}`), `resourcequotas "${QUOTA}" is forbidden`);
    expect((await hostQuota()).body.metadata.uid).toBe(uid);
  });
  attack('exhaustion', "raises kplex's ResourceQuota by merge patch", async () => {
    await quotaThere();
    await refused(
      api.request('PATCH', `${RQ}/${QUOTA}`, { spec: { hard: { pods: '100000' } } }, MERGE),
      "the name is kplex's own object",
    );
    expect((await hostQuota()).body.spec.hard['pods']).toBe('100');
  });
  attack('exhaustion', "resets the usage of kplex's ResourceQuota (status)", async () => {
    await quotaThere();
    await refused(
      api.request('PATCH', `${RQ}/${QUOTA}/status`, { status: { used: { pods: '0' } } }, MERGE),
      "the name is kplex's own object",
    );
  });
  attack(
    'exhaustion',
    "deletes every ResourceQuota of the namespace: refused whole, kplex's kept",
    async () => {
      await quotaThere();
      const uid = (await hostQuota()).body.metadata.uid;
      await refused(api.request('DELETE', RQ), 'resourcequotas "');
      expect((await hostQuota()).body.metadata.uid).toBe(uid);
    },
  );

  // The tenant's own NetworkPolicies add to kplex's: none may admit every pod of the cluster.
  attack(
    'namespaces',
    'own NetworkPolicy admitting every source (an ingress rule without from)',
    async () => {
      await refused(
        api.request('POST', NP, {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'open' },
          spec: { podSelector: {}, ingress: [{}] },
        }),
        'networkpolicies.networking.k8s.io "open" is forbidden: spec.ingress[0].from: a rule without peers admits every pod of the cluster',
      );
      expect(
        (
          await s.hostApi.request(
            'GET',
            `/apis/networking.k8s.io/v1/namespaces/${hostNs}/networkpolicies/open`,
          )
        ).status,
      ).toBe(404);
    },
  );
  attack('namespaces', 'own NetworkPolicy opened to everyone by merge patch (ports only)', async () => {
    const mine = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web' },
      spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] },
    };
    expect((await api.request('POST', NP, mine)).status).toBe(201);
    await refused(
      api.request('PATCH', `${NP}/web`, { spec: { ingress: [{ ports: [{ port: 80 }] }] } }, MERGE),
      'spec.ingress[0].from',
    );
  });
  // Nor reach the host's nodes or the metadata service (kplex's policy excepts them; the tenant's must too).
  const egressPolicy = (name: string, egress: unknown[]) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress },
  });
  attack('namespaces', 'own NetworkPolicy sending anywhere (an egress rule without to)', async () => {
    await refused(
      api.request('POST', NP, egressPolicy('out', [{}])),
      'networkpolicies.networking.k8s.io "out" is forbidden: spec.egress[0].to: a rule without peers reaches every address',
    );
    expect(
      (await s.hostApi.request('GET', `/apis/networking.k8s.io/v1/namespaces/${hostNs}/networkpolicies/out`))
        .status,
    ).toBe(404);
  });
  attack('namespaces', 'own NetworkPolicy egress to the metadata address 169.254.169.254/32', async () => {
    await refused(
      api.request('POST', NP, egressPolicy('imds', [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] }])),
      'spec.egress[0].to[0].ipBlock: 169.254.169.254/32 reaches the link-local range (the metadata service)',
    );
  });
  attack(
    'namespaces',
    "own NetworkPolicy egress 0.0.0.0/0 excepting link-local only: the nodes' kubelets",
    async () => {
      const all = { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } };
      await refused(
        api.request('POST', NP, egressPolicy('nodes', [{ to: [all] }])),
        "spec.egress[0].to[0].ipBlock: 0.0.0.0/0 reaches a host node's address",
      );
    },
  );
  attack(
    'namespaces',
    'own NetworkPolicy egress opened to every address by merge patch (ports only)',
    async () => {
      const dns = { ports: [{ protocol: 'UDP', port: 53 }] };
      expect((await api.request('POST', NP, egressPolicy('dns', [dns]))).status).toBe(201);
      await refused(
        api.request('PATCH', `${NP}/dns`, { spec: { egress: [{ ports: [{ port: 10250 }] }] } }, MERGE),
        'spec.egress[0].to: a rule without peers reaches every address',
      );
    },
  );

  // Host classes, once the Tenant lists the ones it may use.
  attack('bodies', 'a RuntimeClass and a StorageClass outside the Tenant lists', async () => {
    await setPolicy({ allowedRuntimeClasses: ['runc'], allowedStorageClasses: ['standard'] });
    const pvc = (name: string, storageClassName: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName },
    });
    await untilAllowed(() =>
      api.request('POST', `${base}/persistentvolumeclaims?dryRun=All`, pvc('probe', 'standard')),
    );
    await refused(
      api.request('POST', `${base}/persistentvolumeclaims`, pvc('fast', 'fast-ssd')),
      'persistentvolumeclaims "fast" is forbidden: spec.storageClassName: "fast-ssd" is not one of the classes this tenant may use: "standard"',
    );
    // The tenant's own RuntimeClass of a handler the Tenant does not allow: no pod may name it.
    const rc = {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'kata' },
      handler: 'kata',
    };
    expect([201, 409]).toContain(
      (await api.request('POST', '/apis/node.k8s.io/v1/runtimeclasses', rc)).status,
    );
    await refused(
      api.request('POST', `${base}/pods`, pod('kata', { runtimeClassName: 'kata' })),
      'pods "kata" is forbidden: spec.runtimeClassName: RuntimeClass "kata" has handler "kata", which is not one of the runtime handlers this tenant\'s pods may use: "runc"',
    );
    await gone(`${base}/pods/kata`);
    await api.request('DELETE', '/apis/node.k8s.io/v1/runtimeclasses/kata');
    await setPolicy(null);
  });
});
