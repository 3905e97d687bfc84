// Tenant DNS on the local host: a tainted kwok node whose podCIDR is a loopback range, so the
// pods placed on it get addresses this machine can send from, and a test can ask kplex's DNS
// server exactly as such a pod would (same source address, same search list and ndots).
import type { HostClient } from '../../src/hostapi/host-client.js';
import type { PodDNSSettings } from '../../src/syncer/pod-dns.js';
import { query, type DnsReply, type DnsTarget } from './dns-client.js';
import { kubectl, kubectlOk } from './kubectl.js';
import type { KplexProcess } from './kplex-process.js';

export const DNS_TAINT = 'kplex.io/dns-test';

/** Creates a Ready fake node with `podCIDR` that only pods tolerating DNS_TAINT land on. */
export async function loopbackNode(
  hostApi: HostClient,
  name: string,
  podCIDR: string,
): Promise<() => Promise<void>> {
  const res = await hostApi.request('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    spec: { podCIDR, podCIDRs: [podCIDR], taints: [{ key: DNS_TAINT, value: 'true', effect: 'NoSchedule' }] },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  });
  if (res.status !== 201) throw new Error(`creating node ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  await waitFor(`node ${name} Ready`, async () => {
    const n = await hostApi.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      `/api/v1/nodes/${name}`,
    );
    return n.body.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  return async () => void (await hostApi.request('DELETE', `/api/v1/nodes/${name}`));
}

/**
 * Lets a tenant's pods tolerate DNS_TAINT (Tenant spec.policy.allowedTolerations: a tenant may
 * tolerate only the taints its Tenant allows) and waits until kplex admits such a pod.
 */
export async function allowDnsTaint(
  hostKubeconfig: string,
  tenant: string,
  kubeconfig: string,
): Promise<void> {
  const policy = { allowedTolerations: [{ key: DNS_TAINT }] };
  kubectlOk(hostKubeconfig, [
    'patch',
    'tenant',
    tenant,
    '--type',
    'merge',
    '-p',
    JSON.stringify({ spec: { policy } }),
  ]);
  const probe = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'toleration-probe', namespace: 'default' },
    spec: { ...onNode('none'), containers: [{ name: 'c', image: 'x' }] },
  });
  await waitFor(`tenant ${tenant} to tolerate ${DNS_TAINT}`, async () =>
    Promise.resolve(kubectl(kubeconfig, ['create', '--dry-run=server', '-f', '-'], probe).code === 0),
  );
}

/** Pod spec fields that put a pod on the loopback node. */
export const onNode = (node: string) => ({
  nodeSelector: { 'kubernetes.io/hostname': node },
  tolerations: [{ key: DNS_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
});

/** The address kplex's DNS server listens on, from its `dns serving` log line. */
export async function dnsTarget(kplex: KplexProcess): Promise<DnsTarget> {
  let found: DnsTarget | undefined;
  await waitFor('the dns serving log line', async () => {
    for (const line of kplex.logs) {
      try {
        const rec = JSON.parse(line) as { msg?: string; address?: string; port?: number };
        if (rec.msg === 'dns serving' && rec.port)
          found = { address: rec.address ?? '127.0.0.1', port: rec.port };
      } catch {
        // not JSON
      }
    }
    return found !== undefined;
  });
  return found!;
}

/** The IP of a Running, Ready pod (read through `kubeconfig`, a tenant's or the host's). */
export async function readyPodIP(kubeconfig: string, ns: string, name: string): Promise<string> {
  let ip = '';
  await waitFor(`pod ${ns}/${name} ready with an IP`, async () => {
    const r = kubectl(kubeconfig, [
      'get',
      'pod',
      name,
      '-n',
      ns,
      '-o',
      'jsonpath={.status.podIP} {.status.conditions[?(@.type=="Ready")].status}',
    ]);
    const [got, ready] = r.stdout.trim().split(' ');
    ip = got ?? '';
    return r.code === 0 && ip !== '' && ready === 'True';
  });
  return ip;
}

/**
 * Resolves `name` as a pod's stub resolver does (glibc, `options ndots:N`): a name with fewer
 * than ndots dots is tried with each search domain first, then as given; NXDOMAIN and empty
 * answers move on to the next candidate. Returns the candidate that answered, or the last reply.
 */
export async function resolveLikePod(
  target: DnsTarget,
  name: string,
  pod: PodDNSSettings,
  source: string,
  transport: 'udp' | 'tcp' = 'udp',
): Promise<{ name?: string; reply: DnsReply }> {
  const ndots = Number(pod.dnsConfig.options.find((o) => o.name === 'ndots')?.value ?? 1);
  const dots = name.split('.').length - 1;
  const absolute = name.endsWith('.');
  const candidates = absolute
    ? [name]
    : dots >= ndots
      ? [name, ...pod.dnsConfig.searches.map((s) => `${name}.${s}`)]
      : [...pod.dnsConfig.searches.map((s) => `${name}.${s}`), name];
  let reply: DnsReply | undefined;
  for (const c of candidates) {
    reply = await query(target, c, 'A', { source, transport });
    if (reply.rcode === 'NOERROR' && (reply.answers ?? []).length) return { name: c, reply };
    if (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN') return { reply }; // REFUSED etc. end the search
  }
  return { reply: reply! };
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
