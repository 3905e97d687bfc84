// Tenant DNS against the real local host: two tenants' pods (made through kplex, directly and by a
// StatefulSet) on a kwok node with a loopback podCIDR ask kplex's one DNS server over real UDP
// and TCP, from their own pod IPs, with the search list and ndots the pod webhook gave them (read
// from the host pod), while the tenant reads its pods' DNS settings as it wrote them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient } from '../helpers/api-client.js';
import { addresses, query } from '../helpers/dns-client.js';
import {
  allowDnsTaint,
  dnsTarget,
  loopbackNode,
  onNode,
  readyPodIP,
  resolveLikePod,
  waitFor,
} from '../helpers/dns-fixture.js';
import type { DnsTarget } from '../helpers/dns-client.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { tenantPodDNSConfig, type PodDNSSettings } from '../../src/syncer/pod-dns.js';

type Any = Record<string, any>;

const NODE = 'kwok-dns-it';
const KUBERNETES_IP = '10.96.0.1';

const manifests = (node: string, svcName: string) => {
  const place = onNode(node);
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svcName },
      spec: { selector: { app: svcName }, ports: [{ port: 6379 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { ...place, containers: [{ name: 'db', image: 'postgres' }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client' },
      spec: { ...place, containers: [{ name: 'c', image: 'busybox' }] },
    },
  ];
};

describe('tenant DNS', () => {
  const host = inject('host');
  let env: TenantEnv;
  let hostApi: HostClient;
  let dns: DnsTarget;
  let removeNode: () => Promise<void>;
  const kc: Record<string, string> = {};
  const ip: Record<string, string> = {};
  const hostNs: Record<string, string> = {};
  /** What the webhook wrote into tenant A's client pod (read from the host in beforeAll). */
  let podDns: PodDNSSettings;
  const hostPod = async (t: string, name: string): Promise<Any> =>
    (await hostApi.must<Any>('GET', `/api/v1/namespaces/${hostNs[t]}/pods/${name}`)).body;

  beforeAll(async () => {
    hostApi = await apiClient(host.kubeconfig);
    removeNode = await loopbackNode(hostApi, NODE, '127.1.10.0/24');
    env = await startTenantEnv(host, [
      '--dns-listen',
      '127.0.0.1:0',
      '--dns-kubernetes-address',
      KUBERNETES_IP,
    ]);
    dns = await dnsTarget(env.kplex);
    for (const [t, svc] of [
      ['dnsa', 'redis'],
      ['dnsb', 'secret'],
    ] as const) {
      kc[t] = await env.tenant(t);
      await allowDnsTaint(host.kubeconfig, t, kc[t]);
      kubectlOk(kc[t], ['create', 'namespace', 'web']);
      kubectlOk(
        kc[t],
        ['apply', '--validate=false', '-n', 'web', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests(NODE, svc) }),
      );
    }
    for (const t of ['dnsa', 'dnsb']) {
      ip[`${t}/client`] = await readyPodIP(kc[t]!, 'web', 'client');
      for (const p of ['db-0', 'db-1']) ip[`${t}/${p}`] = await readyPodIP(kc[t]!, 'web', p);
      const list = await hostApi.must<{ items: { metadata: { name: string } }[] }>(
        'GET',
        `/api/v1/namespaces?labelSelector=kplex.io/tenant%3D${t}`,
      );
      hostNs[t] = list.body.items.map((n) => n.metadata.name).find((n) => n.endsWith('-web'))!;
    }
    const client = await hostPod('dnsa', 'client');
    podDns = { dnsPolicy: client.spec.dnsPolicy, dnsConfig: client.spec.dnsConfig };
    // A host-only namespace with a Service and a pod on the loopback node.
    await hostApi.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'dns-hostonly' },
    });
    await hostApi.request('POST', '/api/v1/namespaces/dns-hostonly/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hidden' },
      spec: { ports: [{ port: 80 }] },
    });
    await hostApi.request('POST', '/api/v1/namespaces/dns-hostonly/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hostpod' },
      spec: { ...onNode(NODE), containers: [{ name: 'c', image: 'x' }] },
    });
    ip['host/hostpod'] = await readyPodIP(host.kubeconfig, 'dns-hostonly', 'hostpod');
    // The informers see the pods once they are Ready with an IP.
    await waitFor(
      'dns to know tenant A',
      async () =>
        (await query(dns, 'redis.web.svc.cluster.local', 'A', { source: ip['dnsa/client'] })).rcode ===
        'NOERROR',
    );
    await waitFor(
      'dns to know the StatefulSet pods',
      async () =>
        addresses(await query(dns, 'db.web.svc.cluster.local', 'A', { source: ip['dnsa/client'] })).length ===
        2,
    );
  }, 180_000);

  afterAll(async () => {
    await env?.close();
    await hostApi?.request('DELETE', '/api/v1/namespaces/dns-hostonly');
    await removeNode?.();
    await hostApi?.close();
  });

  const clusterIP = (t: string, svc: string): string =>
    kubectlOk(kc[t]!, ['get', 'svc', svc, '-n', 'web', '-o', 'jsonpath={.spec.clusterIP}']).trim();

  it("the webhook points tenant pods (direct and by a StatefulSet) at kplex's DNS with the virtual search list", async () => {
    // --dns-listen 127.0.0.1:0: pods are given 127.0.0.1 (their resolver asks port 53).
    for (const [t, name] of [
      ['dnsa', 'client'],
      ['dnsa', 'db-0'],
      ['dnsb', 'client'],
      ['dnsb', 'db-1'],
    ] as const) {
      const p = await hostPod(t, name);
      expect({ dnsPolicy: p.spec.dnsPolicy, dnsConfig: p.spec.dnsConfig }, `${t}/${name}`).toEqual(
        tenantPodDNSConfig('web', '127.0.0.1'),
      );
    }
  });

  it('the tenant reads its pods’ DNS settings as it wrote them; apply again changes nothing', () => {
    for (const name of ['client', 'db-0']) {
      const pod = JSON.parse(kubectlOk(kc['dnsa']!, ['get', 'pod', name, '-n', 'web', '-o', 'json'])) as Any;
      expect(pod.spec.dnsPolicy, name).toBe('ClusterFirst');
      expect(pod.spec.dnsConfig, name).toBeUndefined();
      expect(
        Object.keys(pod.metadata.annotations ?? {}).filter((k) => k.includes('kplex')),
        name,
      ).toEqual([]);
      expect(JSON.stringify(pod.spec), name).not.toMatch(/nameservers|kplex\.io\/(dns|namespace)'/);
    }
    // A Pod (no tolerations: the host adds its default ones, which any apply of a list would replace).
    const m = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'applied' },
      spec: { dnsConfig: { searches: ['corp.example'] }, containers: [{ name: 'c', image: 'x' }] },
    });
    const apply = (...extra: string[]) =>
      kubectlOk(kc['dnsa']!, ['apply', '-n', 'web', ...extra, '-f', '-'], m);
    const rv = () =>
      kubectlOk(kc['dnsa']!, [
        'get',
        'pod',
        'applied',
        '-n',
        'web',
        '-o',
        'jsonpath={.metadata.resourceVersion}',
      ]);
    apply();
    const before = rv();
    expect(apply()).toContain('unchanged');
    expect(kubectl(kc['dnsa']!, ['diff', '-n', 'web', '-f', '-'], m).code).toBe(0);
    expect(rv()).toBe(before);
    apply('--server-side', '--force-conflicts');
    const owned = rv();
    apply('--server-side');
    expect(rv()).toBe(owned);
    expect(kubectl(kc['dnsa']!, ['diff', '--server-side', '-n', 'web', '-f', '-'], m).code).toBe(0);
    kubectlOk(kc['dnsa']!, ['delete', 'pod', 'applied', '-n', 'web', '--wait=false']);
  });

  it('a pod with its own dnsPolicy None keeps it; a ClusterFirst pod’s dnsConfig is merged and shown as written', async () => {
    const own = {
      none: { dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['corp.example'] } },
      merged: {
        dnsPolicy: 'ClusterFirst',
        dnsConfig: { searches: ['corp.example'], options: [{ name: 'edns0' }] },
      },
    };
    for (const [name, dnsSpec] of Object.entries(own))
      kubectlOk(
        kc['dnsa']!,
        ['create', '-n', 'web', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `own-${name}` },
          spec: { ...onNode(NODE), ...dnsSpec, containers: [{ name: 'c', image: 'x' }] },
        }),
      );
    const none = await hostPod('dnsa', 'own-none');
    expect({ dnsPolicy: none.spec.dnsPolicy, dnsConfig: none.spec.dnsConfig }).toEqual(own.none);
    const merged = await hostPod('dnsa', 'own-merged');
    expect({ dnsPolicy: merged.spec.dnsPolicy, dnsConfig: merged.spec.dnsConfig }).toEqual({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['127.0.0.1'],
        searches: ['web.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
        options: [{ name: 'ndots', value: '5' }, { name: 'edns0' }],
      },
    });
    for (const [name, dnsSpec] of Object.entries(own)) {
      const seen = JSON.parse(
        kubectlOk(kc['dnsa']!, ['get', 'pod', `own-${name}`, '-n', 'web', '-o', 'json']),
      ) as Any;
      expect({ dnsPolicy: seen.spec.dnsPolicy, dnsConfig: seen.spec.dnsConfig }, name).toEqual(dnsSpec);
    }
    // A label update through kplex is translated back to the same (immutable) DNS settings.
    kubectlOk(kc['dnsa']!, ['label', 'pod', 'own-merged', '-n', 'web', 'touched=yes']);
    expect((await hostPod('dnsa', 'own-merged')).spec.dnsConfig).toEqual(merged.spec.dnsConfig);
    kubectlOk(kc['dnsa']!, ['delete', 'pod', 'own-none', 'own-merged', '-n', 'web', '--wait=false']);
  });

  it('an ephemeral container (kubectl debug) on a DNS-wired pod keeps its DNS settings', async () => {
    const before = await hostPod('dnsa', 'client');
    const r = kubectl(kc['dnsa']!, [
      'debug',
      'client',
      '-n',
      'web',
      '--image=busybox',
      '-c',
      'dbg',
      '--',
      'true',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const after = await hostPod('dnsa', 'client');
    expect(after.spec.ephemeralContainers.map((c: Any) => c.name)).toContain('dbg');
    expect(after.spec.dnsConfig).toEqual(before.spec.dnsConfig);
    const seen = JSON.parse(
      kubectlOk(kc['dnsa']!, ['get', 'pod', 'client', '-n', 'web', '-o', 'json']),
    ) as Any;
    expect(seen.spec.dnsPolicy).toBe('ClusterFirst');
    expect(seen.spec.dnsConfig).toBeUndefined();
  });

  it("through the host pod's own resolver settings: redis.web is the tenant's Service, host names do not resolve", async () => {
    const a = ip['dnsa/client']!;
    const r = await resolveLikePod(dns, 'redis.web', podDns, a);
    expect(r.name).toBe('redis.web.svc.cluster.local');
    expect(addresses(r.reply)).toEqual([clusterIP('dnsa', 'redis')]);
    for (const name of ['hidden.dns-hostonly', `redis.${hostNs['dnsa']}`, 'secret.web'])
      expect((await resolveLikePod(dns, name, podDns, a)).reply.answers ?? [], name).toEqual([]);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`resolves svc, svc.ns, svc.ns.svc and svc.ns.svc.cluster.local as a pod does, over ${transport}`, async () => {
      const want = clusterIP('dnsa', 'redis');
      for (const name of ['redis', 'redis.web', 'redis.web.svc', 'redis.web.svc.cluster.local']) {
        const r = await resolveLikePod(dns, name, podDns, ip['dnsa/client']!, transport);
        expect(r.name, name).toBe('redis.web.svc.cluster.local');
        expect(addresses(r.reply), name).toEqual([want]);
        expect(r.reply.flag_aa).toBe(true);
      }
    });

    it(`resolves a headless Service to its pods and StatefulSet pod names, over ${transport}`, async () => {
      const a = { source: ip['dnsa/client']!, transport };
      expect(addresses(await query(dns, 'db.web.svc.cluster.local', 'A', a))).toEqual(
        [ip['dnsa/db-0'], ip['dnsa/db-1']].sort(),
      );
      for (const p of ['db-0', 'db-1']) {
        const r = await resolveLikePod(dns, `${p}.db`, podDns, a.source, transport);
        expect(r.name).toBe(`${p}.db.web.svc.cluster.local`);
        expect(addresses(r.reply)).toEqual([ip[`dnsa/${p}`]]);
      }
    });

    it(`answers SRV for a Service and for each StatefulSet pod by name, over ${transport}`, async () => {
      const a = { source: ip['dnsa/client']!, transport };
      const pods = await query(dns, 'db.web.svc.cluster.local', 'SRV', a);
      expect(pods.answers?.map((x) => (x as { data: unknown }).data)).toEqual(
        ['db-0', 'db-1'].map((p) => ({
          priority: 0,
          weight: 100,
          port: 5432,
          target: `${p}.db.web.svc.cluster.local`,
        })),
      );
      expect(addresses({ ...pods, answers: pods.additionals })).toEqual(
        [ip['dnsa/db-0'], ip['dnsa/db-1']].sort(),
      );
      const svc = await query(dns, 'redis.web.svc.cluster.local', 'SRV', a);
      expect(svc.answers).toMatchObject([
        { type: 'SRV', data: { port: 6379, target: 'redis.web.svc.cluster.local' } },
      ]);
    });

    it(`resolves kubernetes.default.svc(.cluster.local) to kplex's Service address, over ${transport}`, async () => {
      for (const name of [
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'kubernetes.default',
      ]) {
        for (const t of ['dnsa', 'dnsb']) {
          const r = await resolveLikePod(dns, name, podDns, ip[`${t}/client`]!, transport);
          expect(addresses(r.reply), `${t} ${name}`).toEqual([KUBERNETES_IP]);
        }
      }
    });

    it(`answers NXDOMAIN for another tenant's names and for host names, over ${transport}`, async () => {
      const a = ip['dnsa/client']!;
      const names = [
        'secret.web.svc.cluster.local', // B's service, in a namespace A also has
        `secret.${hostNs['dnsb']}.svc.cluster.local`, // B's host namespace
        `redis.${hostNs['dnsa']}.svc.cluster.local`, // A's own host namespace name
        `db-0.db.${hostNs['dnsb']}.svc.cluster.local`,
        'hidden.dns-hostonly.svc.cluster.local', // host-only
        `${hostNs['dnsa']}.svc.cluster.local`,
      ];
      for (const name of names) {
        const r = await query(dns, name, 'A', { source: a, transport });
        expect(r.rcode, name).toBe('NXDOMAIN');
        expect(JSON.stringify([r.answers, r.authorities]), name).not.toMatch(/dnsa-|dnsb-|hostonly/);
      }
      // Through the search list too: nothing of B's is reachable from A, nor A's from B.
      expect((await resolveLikePod(dns, 'secret', podDns, a, transport)).reply.answers).toEqual([]);
      expect(
        (await resolveLikePod(dns, 'redis.web', podDns, ip['dnsb/client']!, transport)).reply.answers,
      ).toEqual([]);
      expect(
        addresses((await resolveLikePod(dns, 'secret.web', podDns, ip['dnsb/client']!, transport)).reply),
      ).toEqual([clusterIP('dnsb', 'secret')]);
      // B's StatefulSet pods are B's: A's db names give A's pods only.
      expect(
        addresses(
          await query(dns, 'db.web.svc.cluster.local', 'A', { source: ip['dnsb/client']!, transport }),
        ),
      ).toEqual([ip['dnsb/db-0'], ip['dnsb/db-1']].sort());
    });

    it(`REFUSES unknown sources and host pods, over ${transport}`, async () => {
      for (const source of ['127.0.0.1', ip['host/hostpod']!, '127.1.10.250']) {
        expect(
          (await query(dns, 'redis.web.svc.cluster.local', 'A', { source, transport })).rcode,
          source,
        ).toBe('REFUSED');
      }
      // Names outside the cluster zone: no recursion, nothing upstream.
      expect((await query(dns, 'example.org', 'A', { source: ip['dnsa/client']!, transport })).rcode).toBe(
        'REFUSED',
      );
    });
  }

  it('follows Service create and delete', async () => {
    const a = { source: ip['dnsa/client']! };
    kubectlOk(kc['dnsa']!, ['create', 'service', 'clusterip', 'late', '-n', 'web', '--tcp=80:80']);
    const want = clusterIP('dnsa', 'late');
    await waitFor(
      'late to resolve',
      async () => addresses(await query(dns, 'late.web.svc.cluster.local', 'A', a))[0] === want,
    );
    expect(addresses((await resolveLikePod(dns, 'late', podDns, a.source, 'tcp')).reply)).toEqual([want]);
    kubectlOk(kc['dnsa']!, ['delete', 'service', 'late', '-n', 'web']);
    await waitFor(
      'late to be gone',
      async () => (await query(dns, 'late.web.svc.cluster.local', 'A', a)).rcode === 'NXDOMAIN',
    );
    expect((await query(dns, 'late.web.svc.cluster.local', 'A', { ...a, transport: 'tcp' })).rcode).toBe(
      'NXDOMAIN',
    );
  });

  it("follows a StatefulSet's scale: pod names come and go", async () => {
    const a = { source: ip['dnsa/client']! };
    kubectlOk(kc['dnsa']!, ['scale', 'statefulset', 'db', '-n', 'web', '--replicas=3']);
    await waitFor(
      'db-2 to resolve',
      async () => addresses(await query(dns, 'db-2.db.web.svc.cluster.local', 'A', a)).length === 1,
    );
    expect(addresses(await query(dns, 'db.web.svc.cluster.local', 'A', a))).toHaveLength(3);
    kubectlOk(kc['dnsa']!, ['scale', 'statefulset', 'db', '-n', 'web', '--replicas=2']);
    await waitFor(
      'db-2 to be gone',
      async () => (await query(dns, 'db-2.db.web.svc.cluster.local', 'A', a)).rcode === 'NXDOMAIN',
    );
  });
});
