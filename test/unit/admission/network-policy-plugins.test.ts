// The Service, networking and volume plugins of the workload policy (issue 14): fixed ClusterIPs
// and node ports judged as sent, tenant-wide node-port and load-balancer caps, load-balancer
// status, ExternalNames, endpoint addresses, Ingress host claims, volume types, PVC volumeName.
import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import type { HostFacts, TenantService } from '../../../src/admission/host-facts.js';
import {
  endpointAddresses,
  hostsOverlap,
  ingressHostClaims,
  tenantNetworkPolicies,
} from '../../../src/admission/network-claims.js';
import {
  clusterExternalName,
  loadBalancerStatus,
  serviceAddresses,
  serviceExternalName,
} from '../../../src/admission/service-policy.js';
import { claimVolumeName, podVolumes } from '../../../src/admission/volume-policy.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../../src/limits/tenant-policy.js';

const user = { username: 'alice', groups: [] };
function attrs(
  group: string,
  resource: string,
  object: unknown,
  extra: Partial<AdmissionAttributes> = {},
): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: { group, version: 'v1', resource },
    subresource: '',
    kind: { group, version: 'v1', kind: 'X' },
    namespace: 'app',
    name: 'x',
    object: object as never,
    oldObject: null,
    user,
    dryRun: false,
    ...extra,
  };
}
const policy =
  (p: Partial<TenantPolicy> = {}) =>
  () => ({ ...DEFAULT_POLICY, ...p });
const outcome = async (f: () => Promise<unknown> | unknown): Promise<string> => {
  try {
    await f();
  } catch (e) {
    const s = (e as { status: { code: number; message: string } }).status;
    return `${s.code} ${s.message}`;
  }
  return 'allowed';
};
function facts(f: Partial<HostFacts> = {}): HostFacts {
  return {
    podIPs: async () => new Set(),
    services: async () => [],
    foreignIngressHosts: async () => [],
    volumeVisible: async () => false,
    podCIDRs: async () => [],
    nodeAddresses: async () => [],
    ...f,
  };
}
const svc = (spec: Record<string, unknown>) => ({ spec: { ports: [{ port: 80 }], ...spec } });

describe('fixed ClusterIPs and node ports (judged as sent)', () => {
  it('refuses a fixed clusterIP outside the allow-list, and allows it inside; kept addresses pass', async () => {
    const p = serviceAddresses(policy());
    expect(
      await outcome(() => p.validateSubmitted!(attrs('', 'services', svc({ clusterIP: '10.96.0.10' })))),
    ).toBe(
      '403 services "x" is forbidden: spec.clusterIP: a fixed cluster IP (10.96.0.10) is not in the tenant\'s allowed cluster IPs; leave it empty and the host allocates one',
    );
    expect(
      await outcome(() => p.validateSubmitted!(attrs('', 'services', svc({ clusterIPs: ['10.96.0.1'] })))),
    ).toContain('(10.96.0.1)');
    // Not an address: the host's validation answers 422, as on any apiserver.
    for (const ip of ['', 'None', '1.2.3'])
      expect(await outcome(() => p.validateSubmitted!(attrs('', 'services', svc({ clusterIP: ip }))))).toBe(
        'allowed',
      );
    const kept = attrs('', 'services', svc({ clusterIP: '10.96.5.5' }), {
      operation: 'UPDATE',
      oldObject: svc({ clusterIP: '10.96.5.5' }) as never,
    });
    expect(await outcome(() => p.validateSubmitted!(kept))).toBe('allowed');
    const q = serviceAddresses(policy({ clusterIPs: ['10.96.200.0/24'] }));
    expect(
      await outcome(() => q.validateSubmitted!(attrs('', 'services', svc({ clusterIP: '10.96.200.7' })))),
    ).toBe('allowed');
    expect(
      await outcome(() => q.validateSubmitted!(attrs('', 'services', svc({ clusterIP: '10.96.0.10' })))),
    ).toContain('is not in the tenant');
  });
  it('refuses NodePort and LoadBalancer types at a zero cap, and every fixed node port', async () => {
    const p = serviceAddresses(policy());
    expect(await outcome(() => p.validateSubmitted!(attrs('', 'services', svc({ type: 'NodePort' }))))).toBe(
      '403 services "x" is forbidden: spec.type: NodePort services are not permitted for this tenant (node ports are shared by every tenant of the host)',
    );
    expect(
      await outcome(() => p.validateSubmitted!(attrs('', 'services', svc({ type: 'LoadBalancer' })))),
    ).toContain('spec.type: LoadBalancer services are not permitted');
    const q = serviceAddresses(policy({ nodePorts: 10 }));
    const fixed = svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    expect(await outcome(() => q.validateSubmitted!(attrs('', 'services', fixed)))).toBe(
      '403 services "x" is forbidden: spec.ports[0].nodePort: a fixed node port is not permitted for tenant services; leave it empty and the host picks one',
    );
    const upd = attrs('', 'services', fixed, { operation: 'UPDATE', oldObject: fixed as never });
    expect(await outcome(() => q.validateSubmitted!(upd))).toBe('allowed');
    expect(
      await outcome(() =>
        q.validateSubmitted!(attrs('', 'services', svc({ type: 'NodePort', healthCheckNodePort: 31000 }))),
      ),
    ).toContain('spec.healthCheckNodePort');
  });
});

describe('tenant-wide caps (judged on the dry run)', () => {
  const np = (n: number) =>
    svc({ type: 'NodePort', ports: Array.from({ length: n }, (_, i) => ({ port: i + 1 })) });
  it('counts the node ports of all the tenant Services, with the quota error', async () => {
    const held: TenantService[] = [{ key: 'other/a', nodePorts: 3, loadBalancer: false }];
    const p = serviceAddresses(policy({ nodePorts: 4 }));
    const env = { host: facts({ services: async () => held }) };
    expect(await outcome(() => p.validate!(attrs('', 'services', np(2)), env))).toBe(
      '403 services "x" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: services.nodeports=2, used: services.nodeports=3, limited: services.nodeports=4',
    );
    expect(await outcome(() => p.validate!(attrs('', 'services', np(1)), env))).toBe('allowed');
    // Admitted but not yet on the host: the next one counts it (concurrent creates).
    expect(await outcome(() => p.validate!(attrs('', 'services', np(1), { name: 'y' }), env))).toContain(
      'used: services.nodeports=4',
    );
  });
  it('a reservation ends once the host shows the Service, so a deleted one frees its ports', async () => {
    let held: TenantService[] = [];
    const p = serviceAddresses(policy({ nodePorts: 1 }));
    const env = { host: facts({ services: async () => held }) };
    expect(await outcome(() => p.validate!(attrs('', 'services', np(1), { name: 'a' }), env))).toBe(
      'allowed',
    );
    held = [{ key: 'app/a', nodePorts: 1, loadBalancer: false }]; // landed
    expect(await outcome(() => p.validate!(attrs('', 'services', np(1), { name: 'b' }), env))).toContain(
      'exceeded quota',
    );
    held = []; // deleted
    expect(await outcome(() => p.validate!(attrs('', 'services', np(1), { name: 'b' }), env))).toBe(
      'allowed',
    );
  });
  it('an update that keeps its ports is not counted again', async () => {
    const p = serviceAddresses(policy({ nodePorts: 1 }));
    const env = {
      host: facts({ services: async () => [{ key: 'app/x', nodePorts: 1, loadBalancer: false }] }),
    };
    const a = attrs('', 'services', np(1), { operation: 'UPDATE', oldObject: np(1) as never });
    expect(await outcome(() => p.validate!(a, env))).toBe('allowed');
  });
  it('caps LoadBalancer Services', async () => {
    const p = serviceAddresses(policy({ loadBalancers: 1, nodePorts: 100 }));
    const env = {
      host: facts({ services: async () => [{ key: 'b/lb', nodePorts: 1, loadBalancer: true }] }),
    };
    expect(await outcome(() => p.validate!(attrs('', 'services', svc({ type: 'LoadBalancer' })), env))).toBe(
      '403 services "x" is forbidden: exceeded quota: tenant-quota.kplex.io, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1',
    );
  });
});

describe('load balancer status', () => {
  const st = (ip?: string) => ({ status: { loadBalancer: ip ? { ingress: [{ ip }] } : {} } });
  it('refuses tenant writes of status.loadBalancer of Services and Ingresses unless allowed', async () => {
    const p = loadBalancerStatus(policy());
    const a = attrs('', 'services', st('1.2.3.4'), {
      operation: 'UPDATE',
      subresource: 'status',
      oldObject: st() as never,
    });
    expect(p.handles(a)).toBe(true);
    expect(await outcome(() => p.validate!(a, {}))).toBe(
      '403 services "x" is forbidden: status.loadBalancer: only the host\'s controllers set the load balancer status of services',
    );
    const i = attrs('networking.k8s.io', 'ingresses', st('1.2.3.4'), {
      operation: 'UPDATE',
      subresource: 'status',
      oldObject: st() as never,
    });
    expect(await outcome(() => p.validate!(i, {}))).toContain('ingresses.networking.k8s.io "x" is forbidden');
    const same = attrs('', 'services', st(), {
      operation: 'UPDATE',
      subresource: 'status',
      oldObject: st() as never,
    });
    expect(await outcome(() => p.validate!(same, {}))).toBe('allowed');
    expect(
      await outcome(() => loadBalancerStatus(policy({ loadBalancerStatus: true })).validate!(a, {})),
    ).toBe('allowed');
  });
});

describe('ExternalName', () => {
  it('refuses cluster names and names a search path completes', () => {
    for (const n of [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      'kube-dns.kube-system.svc.cluster.local.',
      'KUBERNETES.Default.SVC.Cluster.Local',
      '10-0-0-1.kube-system.pod',
    ])
      expect(clusterExternalName(n), n).toBeDefined();
    for (const n of ['db.example.com', 'example.com.', 'a.b.c.example.org'])
      expect(clusterExternalName(n), n).toBeUndefined();
  });
  it('refuses in the Status style and keeps what a Service had', async () => {
    const p = serviceExternalName();
    const ext = (n: string) => ({ spec: { type: 'ExternalName', externalName: n } });
    expect(await outcome(() => p.validate!(attrs('', 'services', ext('kubernetes.default')), {}))).toContain(
      '403 services "x" is forbidden: spec.externalName: "kubernetes.default" is not permitted for tenant services',
    );
    const kept = attrs('', 'services', ext('kubernetes'), {
      operation: 'UPDATE',
      oldObject: ext('kubernetes') as never,
    });
    expect(await outcome(() => p.validate!(kept, {}))).toBe('allowed');
  });
});

describe('endpoint addresses', () => {
  const p = endpointAddresses(policy());
  const env = { host: facts({ podIPs: async (ns) => new Set(ns === 'app' ? ['10.244.0.5'] : []) }) };
  const ep = (...ips: string[]) => ({
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 80 }] }],
  });
  const slice = (...ips: string[]) => ({ addressType: 'IPv4', endpoints: [{ addresses: ips }] });
  it("allows the tenant's own pods, refuses anything else", async () => {
    expect(await outcome(() => p.validate!(attrs('', 'endpoints', ep('10.244.0.5')), env))).toBe('allowed');
    for (const ip of ['10.244.9.9', '169.254.169.254', '10.96.0.1'])
      expect(await outcome(() => p.validate!(attrs('', 'endpoints', ep('10.244.0.5', ip)), env))).toBe(
        `403 endpoints "x" is forbidden: subsets[0].addresses[1].ip: ${ip} is not the address of a pod of this namespace: tenant endpoints may only name the tenant's own pods`,
      );
    expect(
      await outcome(() =>
        p.validate!(attrs('discovery.k8s.io', 'endpointslices', slice('169.254.169.254')), env),
      ),
    ).toContain('endpointslices.discovery.k8s.io "x" is forbidden: endpoints[0].addresses[0]');
    const notReady = { subsets: [{ notReadyAddresses: [{ ip: '192.168.0.1' }] }] };
    expect(await outcome(() => p.validate!(attrs('', 'endpoints', notReady), env))).toContain(
      'subsets[0].notReadyAddresses[0].ip',
    );
  });
  it("allows the Tenant's endpointAddresses beside its pods, nothing outside them", async () => {
    const loose = endpointAddresses(policy({ endpointAddresses: ['10.0.0.0/24', '2001:db8::1'] }));
    expect(
      await outcome(() => loose.validate!(attrs('', 'endpoints', ep('10.0.0.24', '10.244.0.5')), env)),
    ).toBe('allowed');
    expect(
      await outcome(() =>
        loose.validate!(attrs('discovery.k8s.io', 'endpointslices', slice('2001:db8::1')), env),
      ),
    ).toBe('allowed');
    expect(await outcome(() => loose.validate!(attrs('', 'endpoints', ep('10.0.1.24')), env))).toContain(
      '403 endpoints "x" is forbidden: subsets[0].addresses[0].ip: 10.0.1.24 is not the address of a pod',
    );
  });
  it('keeps addresses the object already had', async () => {
    const a = attrs('', 'endpoints', ep('203.0.113.1'), {
      operation: 'UPDATE',
      oldObject: ep('203.0.113.1') as never,
    });
    expect(await outcome(() => p.validate!(a, env))).toBe('allowed');
  });
});

describe('Ingress host claims', () => {
  it('matches names and one-label wildcards', () => {
    expect(hostsOverlap('a.example.com', 'A.example.com')).toBe(true);
    expect(hostsOverlap('*.example.com', 'a.example.com')).toBe(true);
    expect(hostsOverlap('a.example.com', '*.example.com')).toBe(true);
    expect(hostsOverlap('*.example.com', 'a.b.example.com')).toBe(false);
    expect(hostsOverlap('*.example.com', 'example.com')).toBe(false);
  });
  it('refuses a host another holds, without naming the holder', async () => {
    const p = ingressHostClaims('uid-a');
    const env = { host: facts({ foreignIngressHosts: async () => ['shop.example.com'] }) };
    const ing = (...hosts: string[]) => ({ spec: { rules: hosts.map((host) => ({ host })) } });
    expect(
      await outcome(() => p.validate!(attrs('networking.k8s.io', 'ingresses', ing('mine.example.com')), env)),
    ).toBe('allowed');
    expect(
      await outcome(() => p.validate!(attrs('networking.k8s.io', 'ingresses', ing('shop.example.com')), env)),
    ).toBe(
      '403 ingresses.networking.k8s.io "x" is forbidden: spec.rules[0].host: host "shop.example.com" is already claimed by an Ingress outside this tenant (a host name belongs to the first to claim it)',
    );
    const catchAll = { spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } } };
    expect(await outcome(() => p.validate!(attrs('networking.k8s.io', 'ingresses', catchAll), env))).toBe(
      'allowed',
    );
    const taken = { host: facts({ foreignIngressHosts: async () => [''] }) };
    expect(
      await outcome(() => p.validate!(attrs('networking.k8s.io', 'ingresses', catchAll), taken)),
    ).toContain(
      'spec.defaultBackend: the requests of no other host (an Ingress without a host) are already claimed',
    );
    expect(
      await outcome(() =>
        p.validate!(attrs('networking.k8s.io', 'ingresses', { spec: { rules: [{ http: {} }] } }), taken),
      ),
    ).toContain('spec.rules[0].host: the requests of no other host');
    const tls = { spec: { tls: [{ hosts: ['*.example.com'] }] } };
    expect(await outcome(() => p.validate!(attrs('networking.k8s.io', 'ingresses', tls), env))).toContain(
      'spec.tls[0].hosts[0]',
    );
  });
});

describe('Ingress host claims in flight', () => {
  it("another tenant's claim admitted in this process counts before the host lists it", async () => {
    const env = { host: facts() };
    const ing = { spec: { rules: [{ host: 'race.example.com' }] } };
    const a = attrs('networking.k8s.io', 'ingresses', ing);
    expect(await outcome(() => ingressHostClaims('uid-1').validate!(a, env))).toBe('allowed');
    expect(await outcome(() => ingressHostClaims('uid-1').validate!(a, env))).toBe('allowed');
    expect(await outcome(() => ingressHostClaims('uid-2').validate!(a, env))).toContain('is already claimed');
  });
});

describe('volumes', () => {
  it('refuses node-reaching volume types in pods and templates unless the policy allows them', async () => {
    const p = podVolumes(policy());
    const nfs = { name: 'v', nfs: { server: '10.0.0.1', path: '/' } };
    expect(await outcome(() => p.validate!(attrs('', 'pods', { spec: { volumes: [nfs] } }), {}))).toContain(
      '403 pods "x" is forbidden: spec.volumes[0].nfs: volume type nfs is not permitted for this tenant\'s pods',
    );
    const dep = { spec: { template: { spec: { volumes: [{ name: 'g', gitRepo: { repository: 'x' } }] } } } };
    expect(await outcome(() => p.validate!(attrs('apps', 'deployments', dep), {}))).toContain(
      'spec.template.spec.volumes[0].gitRepo',
    );
    const safe = {
      spec: {
        volumes: [
          { name: 'a', emptyDir: {} },
          { name: 'b', configMap: { name: 'c' } },
          { name: 'h', hostPath: { path: '/x' } },
        ],
      },
    };
    expect(await outcome(() => p.validate!(attrs('', 'pods', safe), {}))).toBe('allowed');
    expect(
      await outcome(() =>
        podVolumes(policy({ allowedVolumeTypes: ['nfs'] })).validate!(
          attrs('', 'pods', { spec: { volumes: [nfs] } }),
          {},
        ),
      ),
    ).toBe('allowed');
  });
  it('refuses a PVC volumeName the tenant does not see', async () => {
    const p = claimVolumeName();
    const pvc = { spec: { volumeName: 'pv-1' } };
    expect(
      await outcome(() => p.validate!(attrs('', 'persistentvolumeclaims', pvc), { host: facts() })),
    ).toBe(
      '403 persistentvolumeclaims "x" is forbidden: spec.volumeName: PersistentVolume "pv-1" is not one this tenant may claim (only volumes bound to the tenant\'s own claims)',
    );
    const env = { host: facts({ volumeVisible: async (n) => n === 'pv-1' }) };
    expect(await outcome(() => p.validate!(attrs('', 'persistentvolumeclaims', pvc), env))).toBe('allowed');
  });
});

describe("the tenant's own NetworkPolicies", () => {
  const p = tenantNetworkPolicies();
  const np = (ingress: unknown[]) => ({ spec: { podSelector: {}, ingress } });
  const env = { host: facts({ podCIDRs: async () => ['10.244.0.0/24', '10.244.1.0/24'] }) };
  const a = (o: unknown, old: unknown = null) =>
    attrs(
      'networking.k8s.io',
      'networkpolicies',
      o,
      old ? { operation: 'UPDATE', oldObject: old as never } : {},
    );
  it('refuses a rule without peers, and ipBlocks over the pod addresses', async () => {
    expect(await outcome(() => p.validate!(a(np([{}])), env))).toBe(
      '403 networkpolicies.networking.k8s.io "x" is forbidden: spec.ingress[0].from: a rule without peers admits every pod of the cluster, other tenants\' included; name the peers (podSelector, namespaceSelector, ipBlock)',
    );
    expect(await outcome(() => p.validate!(a(np([{ ports: [{ port: 80 }] }])), env))).toContain(
      'spec.ingress[0].from',
    );
    expect(
      await outcome(() => p.validate!(a(np([{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }])), env)),
    ).toContain(
      "spec.ingress[0].from[0].ipBlock: 0.0.0.0/0 covers the cluster's pod addresses (10.244.0.0/24)",
    );
    expect(
      await outcome(() => p.validate!(a(np([{ from: [{ ipBlock: { cidr: '10.244.1.7/32' } }] }])), env)),
    ).toContain('(10.244.1.0/24)');
  });
  it('refuses egress without peers (but for DNS) and egress ipBlocks over the nodes or link-local addresses', async () => {
    const eg = (egress: unknown[]) => ({ spec: { podSelector: {}, egress } });
    const nodes = { host: facts({ nodeAddresses: async () => ['10.0.0.5', 'fd00::5'] }) };
    expect(await outcome(() => p.validate!(a(eg([{}])), nodes))).toBe(
      '403 networkpolicies.networking.k8s.io "x" is forbidden: spec.egress[0].to: a rule without peers reaches every address, the host nodes\' and the link-local metadata service\'s included; name the peers (podSelector, namespaceSelector, or an ipBlock excepting them)',
    );
    expect(await outcome(() => p.validate!(a(eg([{ ports: [{ port: 443 }] }])), nodes))).toContain(
      'spec.egress[0].to',
    );
    const dns = [
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ];
    expect(await outcome(() => p.validate!(a(eg(dns)), nodes))).toBe('allowed');
    const block = (cidr: string, except?: string[]) =>
      eg([{ to: [{ ipBlock: { cidr, ...(except ? { except } : {}) } }] }]);
    expect(await outcome(() => p.validate!(a(block('0.0.0.0/0')), nodes))).toContain(
      'spec.egress[0].to[0].ipBlock: 0.0.0.0/0 reaches the link-local range (the metadata service) (169.254.0.0/16); except it',
    );
    expect(await outcome(() => p.validate!(a(block('0.0.0.0/0', ['169.254.0.0/16'])), nodes))).toContain(
      "reaches a host node's address (10.0.0.5/32)",
    );
    expect(await outcome(() => p.validate!(a(block('::/0', ['fe80::/10'])), nodes))).toContain(
      '(fd00::5/128)',
    );
    expect(await outcome(() => p.validate!(a(block('169.254.169.254/32')), nodes))).toContain('link-local');
    expect(
      await outcome(() => p.validate!(a(block('0.0.0.0/0', ['169.254.0.0/16', '10.0.0.0/8'])), nodes)),
    ).toBe('allowed');
    expect(await outcome(() => p.validate!(a(block('203.0.113.0/24')), nodes))).toBe('allowed');
    expect(await outcome(() => p.validate!(a(eg([{ to: [{ namespaceSelector: {} }] }])), nodes))).toBe(
      'allowed',
    );
    expect(await outcome(() => p.validate!(a(eg([{}]), eg([{}])), nodes))).toBe('allowed');
  });
  it('allows selectors, outside ipBlocks, excepted pod ranges and rules it already had', async () => {
    expect(
      await outcome(() =>
        p.validate!(a(np([{ from: [{ podSelector: {} }, { namespaceSelector: {} }] }])), env),
      ),
    ).toBe('allowed');
    expect(
      await outcome(() => p.validate!(a(np([{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }])), env)),
    ).toBe('allowed');
    const excepted = np([{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } }] }]);
    expect(await outcome(() => p.validate!(a(excepted), env))).toBe('allowed');
    expect(await outcome(() => p.validate!(a(np([{}]), np([{}])), env))).toBe('allowed');
    expect(await outcome(() => p.validate!(a(np([{ from: [{ ipBlock: { cidr: '::/0' } }] }])), env))).toBe(
      'allowed',
    );
  });
});
