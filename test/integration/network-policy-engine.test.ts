// Network isolation (issue 14) proven by an independent policy engine: the local host runs no CNI
// (kwok fakes the nodes), so the HOST's real NetworkPolicies, Pods and Namespaces that kplex made
// are read back and evaluated with cyclonus's matcher (deploy/local-host/netpol-engine, built once
// into the cache). The probes run between real pod IPs kwok assigned, to the addresses the pod
// webhook wired the pods to (kplex's API and DNS) and to the nodes' and the metadata address.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/dns-fixture.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const ENGINE_SRC = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../deploy/local-host/netpol-engine',
);
const ENGINE_VERSION = /github\.com\/mattfenwick\/cyclonus (v[\d.]+)/.exec(
  readFileSync(path.join(ENGINE_SRC, 'go.mod'), 'utf8'),
)![1]!;
const ENGINE = path.join(
  process.env['KPLEX_CACHE'] ??
    path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'kplex'),
  `netpol-engine-${ENGINE_VERSION}`,
  'netpol-engine',
);

/** Builds the engine once per cyclonus version (the Go module proxy only; ~4 min cold on 2 cores). */
function buildEngine(): void {
  if (existsSync(ENGINE)) return;
  const r = spawnSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', ENGINE, '.'], {
    cwd: ENGINE_SRC,
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building netpol-engine failed: ${r.stderr}`);
}

type Any = Record<string, any>;
interface Probe {
  from: string;
  to: string;
  port: number;
  protocol?: 'TCP' | 'UDP';
}

const A = 'npe-a';
const B = 'npe-b';
const NAMESPACES = ['one', 'two'];

describe('network isolation, evaluated by a policy engine', () => {
  const host = inject('host');
  let env: TenantEnv;
  const kc: Record<string, string> = {};
  /** `<tenant>/<virtual ns>` -> `<host ns>/<pod>` of its pod `p`. */
  const pod: Record<string, string> = {};

  const hostJson = (args: string[]): Any =>
    JSON.parse(kubectlOk(host.kubeconfig, ['get', ...args, '-o', 'json'])) as Any;
  const hostNs = (t: string, ns: string): string =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${t},kplex.io/namespace=${ns}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);

  /** The host's objects as they are now, judged by the engine: allowed or not, per probe. */
  const evaluate = (probes: Probe[]): boolean[] => {
    const input = {
      namespaces: hostJson(['namespaces']),
      pods: hostJson(['pods', '-A', '-l', 'npe=probe']),
      policies: hostJson(['networkpolicies', '-A']),
      probes,
    };
    const r = spawnSync(ENGINE, [], { input: JSON.stringify(input), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`netpol-engine: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { allowed: boolean }[]).map((x) => x.allowed);
  };
  const allowed = (from: string, to: string, port = 8080, protocol: 'TCP' | 'UDP' = 'TCP'): boolean =>
    evaluate([{ from, to, port, protocol }])[0]!;

  /** Every pair between the two tenants' pods, both ways (4 x 4 = 8 pairs each way). */
  const crossTenant = (): Probe[] =>
    NAMESPACES.flatMap((n) =>
      NAMESPACES.flatMap((m) => [
        { from: pod[`${A}/${n}`]!, to: pod[`${B}/${m}`]!, port: 8080 },
        { from: pod[`${B}/${n}`]!, to: pod[`${A}/${m}`]!, port: 8080 },
      ]),
    );
  /** Every pair inside tenant A (both ways, and each pod to itself). */
  const insideA = (): Probe[] =>
    NAMESPACES.flatMap((n) =>
      NAMESPACES.map((m) => ({ from: pod[`${A}/${n}`]!, to: pod[`${A}/${m}`]!, port: 8080 })),
    );

  /** The host nodes' InternalIPs (kwok's). */
  const nodeIPs = (): string[] =>
    (hostJson(['nodes']).items as Any[]).flatMap((n) =>
      (n.status.addresses as { type: string; address: string }[])
        .filter((a) => a.type === 'InternalIP')
        .map((a) => a.address),
    );
  /** Egress no tenant pod may have: every node's kubelet port, the metadata service. */
  const blocked = (from: string): Probe[] => [
    ...nodeIPs().map((to) => ({ from, to, port: 10250 })),
    { from, to: '169.254.169.254', port: 80 },
  ];

  beforeAll(async () => {
    buildEngine();
    env = await startTenantEnv(host, ['--dns-listen', '127.0.0.1:0']);
    for (const t of [A, B]) {
      kc[t] = await env.tenant(t);
      for (const ns of NAMESPACES) {
        kubectlOk(kc[t], ['create', 'namespace', ns]);
        kubectlOk(
          kc[t],
          ['create', '-n', ns, '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p', labels: { npe: 'probe', app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'x' }] },
          }),
        );
        pod[`${t}/${ns}`] = `${hostNs(t, ns)}/p`;
      }
    }
    // kwok runs the pods and gives them IPs; kplex's policy is in every host namespace.
    await waitFor('probe pods with IPs and the isolation policies', () => {
      const pods = hostJson(['pods', '-A', '-l', 'npe=probe']).items as Any[];
      const policies = hostJson(['networkpolicies', '-A', '-l', 'app.kubernetes.io/managed-by=kplex'])
        .items as Any[];
      return Promise.resolve(pods.filter((p) => p.status?.podIP).length === 4 && policies.length >= 4);
    });
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('by default: a tenant reaches its own pods in all its namespaces, neither tenant reaches the other', () => {
    expect(evaluate(insideA())).toEqual(insideA().map(() => true));
    expect(evaluate(crossTenant())).toEqual(crossTenant().map(() => false));
  });

  it("by default: no egress to the host nodes' addresses nor the metadata service; other addresses reachable", () => {
    expect(nodeIPs().length).toBeGreaterThanOrEqual(2);
    for (const ns of NAMESPACES) {
      const from = pod[`${A}/${ns}`]!;
      expect(evaluate(blocked(from))).toEqual(blocked(from).map(() => false));
      expect(allowed(from, '203.0.113.10', 443)).toBe(true);
    }
  });

  it("tenant A's allow-all NetworkPolicies open A neither to B nor to the nodes or the metadata service: peerless rules and ipBlocks over pods, nodes or link-local refused, the rest judged by the engine", async () => {
    const policy = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ...spec },
      });
    const apply = (ns: string, body: string) => kubectl(kc[A]!, ['apply', '-n', ns, '-f', '-'], body);
    // Refused (NetworkPolicies are a union: these would open A's pods to every pod of the host).
    expect(apply('one', policy('allow-all', { ingress: [{}], egress: [{}] })).stderr).toContain(
      'spec.ingress[0].from: a rule without peers admits every pod of the cluster',
    );
    expect(
      apply('one', policy('allow-ipblock', { ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }))
        .stderr,
    ).toContain("spec.ingress[0].from[0].ipBlock: 0.0.0.0/0 covers the cluster's pod addresses");
    // Refused too: egress to every address, the nodes' and the metadata service's included.
    expect(apply('one', policy('allow-egress', { egress: [{}] })).stderr).toContain(
      'spec.egress[0].to: a rule without peers reaches every address',
    );
    expect(
      apply('one', policy('allow-egress', { egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })).stderr,
    ).toContain('spec.egress[0].to[0].ipBlock: 0.0.0.0/0 reaches the link-local range');
    // Accepted: DNS anywhere, every namespace (kplex fences namespaceSelector {} to the tenant), and
    // every address but the link-local range and the nodes'.
    const nodes = nodeIPs().map((ip) => `${ip}/32`);
    const everyone = [{ namespaceSelector: {} }, { podSelector: {}, namespaceSelector: {} }];
    const dns = { ports: [53, 53].map((port, i) => ({ port, protocol: i ? 'TCP' : 'UDP' })) };
    expect(apply('one', policy('allow-egress', { egress: [dns] })).code).toBe(0);
    const outside = { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', ...nodes] } };
    expect(
      apply(
        'two',
        policy('allow-everyone', { ingress: [{ from: everyone }], egress: [{ to: [outside, ...everyone] }] }),
      ).code,
    ).toBe(0);
    const policies = () =>
      kubectlOk(host.kubeconfig, ['get', 'networkpolicies', '-A', '-o', 'jsonpath={.items[*].metadata.name}'])
        .split(' ')
        .filter((n) => n.startsWith('allow-'));
    expect(policies().sort()).toEqual(['allow-egress', 'allow-everyone']);
    expect(evaluate(crossTenant())).toEqual(crossTenant().map(() => false));
    expect(evaluate(insideA())).toEqual(insideA().map(() => true));
    expect(allowed(pod[`${B}/one`]!, pod[`${A}/two`]!, 443)).toBe(false);
    for (const ns of NAMESPACES)
      expect(evaluate(blocked(pod[`${A}/${ns}`]!))).toEqual(blocked('').map(() => false));
    // The refusal is what holds: the same peerless rule written on the host opens A to B.
    const [hns] = pod[`${A}/one`]!.split('/') as [string];
    kubectlOk(host.kubeconfig, ['apply', '-n', hns, '-f', '-'], policy('allow-all', { ingress: [{}] }));
    expect(allowed(pod[`${B}/one`]!, pod[`${A}/one`]!)).toBe(true);
    kubectlOk(host.kubeconfig, ['delete', 'networkpolicy', 'allow-all', '-n', hns]);
    expect(allowed(pod[`${B}/one`]!, pod[`${A}/one`]!)).toBe(false);
  });

  it("tenant pods still reach kplex's API and DNS, wired by the pod webhook", () => {
    for (const ns of NAMESPACES) {
      const [hns, name] = pod[`${A}/${ns}`]!.split('/') as [string, string];
      const p = hostJson(['pod', name, '-n', hns]);
      const ann = p.metadata.annotations as Record<string, string>;
      const nameserver = p.spec.dnsConfig.nameservers[0] as string;
      expect(allowed(pod[`${A}/${ns}`]!, nameserver, 53, 'UDP')).toBe(true);
      expect(allowed(pod[`${A}/${ns}`]!, nameserver, 53, 'TCP')).toBe(true);
      expect(allowed(pod[`${A}/${ns}`]!, ann['kplex.io/api-host']!, Number(ann['kplex.io/api-port']))).toBe(
        true,
      );
    }
  });

  it("the engine judges kplex's policy: with B's isolation off A reaches B, on again it does not", async () => {
    // Tenant B has no NetworkPolicies of its own: kplex's is all that keeps A out.
    const setPolicy = (policy: unknown) =>
      kubectlOk(host.kubeconfig, [
        'patch',
        'tenant',
        B,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { policy } }),
      ]);
    setPolicy({ networkIsolation: false });
    await expect.poll(() => allowed(pod[`${A}/one`]!, pod[`${B}/one`]!), { timeout: 15_000 }).toBe(true);
    setPolicy(null);
    await expect.poll(() => allowed(pod[`${A}/one`]!, pod[`${B}/one`]!), { timeout: 15_000 }).toBe(false);
  });
});
