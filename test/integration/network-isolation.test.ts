// kplex's isolation NetworkPolicy (issue 14) on the real local host, seen with the real kubectl:
// every tenant host namespace carries it (an existing one and a new one), it names the tenant by
// UID, the tenant does not see it and its own NetworkPolicies sit beside it, the host's deletion
// of it is undone, and it follows the Tenant's policy. The local host runs no CNI (kwok fakes the
// nodes), so nothing here is enforced: this proves the objects, docs/security.md says what
// enforcement needs.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'iso-tenant';
const ISO = 'kplex-tenant-isolation';

describe('network isolation', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let uid = '';

  const hostNs = (ns: string): string =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${T},kplex.io/namespace=${ns}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
  const hostPolicy = (ns: string): Record<string, unknown> | undefined => {
    const r = kubectl(host.kubeconfig, ['get', 'networkpolicy', ISO, '-n', hostNs(ns), '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  };
  const policyUid = (ns: string) => (hostPolicy(ns)?.['metadata'] as { uid?: string } | undefined)?.uid;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
    uid = kubectlOk(host.kubeconfig, ['get', 'tenant', T, '-o', 'jsonpath={.metadata.uid}']);
    kubectlOk(kc, ['create', 'namespace', 'web']);
    kubectlOk(kc, ['create', 'configmap', 'c', '-n', 'web']); // the host namespace exists from here
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('every host namespace of the tenant carries the policy, naming the tenant by UID', async () => {
    await expect.poll(() => policyUid('web'), { timeout: 15_000 }).toBeTruthy();
    const p = hostPolicy('web')!;
    expect((p['metadata'] as { labels: Record<string, string> }).labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'kplex',
      'kplex.io/hidden': 'true',
    });
    const spec = p['spec'] as { policyTypes: string[]; ingress: unknown[]; egress: unknown[] };
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(JSON.stringify(spec.ingress)).toBe(
      JSON.stringify([{ from: [{ namespaceSelector: { matchLabels: { 'kplex.io/tenant-uid': uid } } }] }]),
    );
    expect(JSON.stringify(spec.egress)).toContain('169.254.0.0/16');
    // The host namespace carries the label the policy selects on.
    expect(
      kubectlOk(host.kubeconfig, [
        'get',
        'ns',
        hostNs('web'),
        '-o',
        'jsonpath={.metadata.labels.kplex\\.io/tenant-uid}',
      ]),
    ).toBe(uid);
  });

  it("the tenant sees only its own NetworkPolicies, which sit beside kplex's", async () => {
    kubectlOk(
      kc,
      ['apply', '-n', 'web', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-web' },
        spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: {} }] }] },
      }),
    );
    const names = kubectlOk(kc, [
      'get',
      'networkpolicies',
      '-n',
      'web',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(names).toBe('allow-web');
    const get = kubectl(kc, ['get', 'networkpolicy', ISO, '-n', 'web']);
    expect(get.stderr).toContain(
      `Error from server (NotFound): networkpolicies.networking.k8s.io "${ISO}" not found`,
    );
    const del = kubectl(kc, ['delete', 'networkpolicy', ISO, '-n', 'web']);
    expect(del.stderr).toContain('is forbidden');
    expect(hostPolicy('web')).toBeDefined();
    const both = kubectlOk(host.kubeconfig, [
      'get',
      'networkpolicies',
      '-n',
      hostNs('web'),
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(both.split(' ').sort()).toEqual(['allow-web', ISO]);
  });

  it('a new namespace gets it; the host deleting it sees it made again', async () => {
    kubectlOk(kc, ['create', 'namespace', 'late']);
    kubectlOk(kc, ['create', 'configmap', 'c', '-n', 'late']);
    await expect.poll(() => policyUid('late'), { timeout: 15_000 }).toBeTruthy();
    const before = policyUid('late');
    kubectlOk(host.kubeconfig, ['delete', 'networkpolicy', ISO, '-n', hostNs('late')]);
    await expect.poll(() => policyUid('late') ?? before, { timeout: 15_000 }).not.toBe(before);
  });

  it("follows the Tenant's policy: host namespaces let in, isolation off and on", async () => {
    const patch = (policy: unknown) =>
      kubectlOk(host.kubeconfig, [
        'patch',
        'tenant',
        T,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { policy } }),
      ]);
    patch({ allowIngressFromHostNamespaces: ['ingress-nginx'] });
    await expect
      .poll(() => JSON.stringify(hostPolicy('web')?.['spec'] ?? {}), { timeout: 15_000 })
      .toContain('"kubernetes.io/metadata.name":"ingress-nginx"');
    patch({ networkIsolation: false });
    await expect.poll(() => hostPolicy('web'), { timeout: 15_000 }).toBeUndefined();
    patch(null);
    await expect.poll(() => policyUid('web'), { timeout: 15_000 }).toBeTruthy();
  });

  it('the namespace ResourceQuota: kubectl describe quota shows it, the tenant cannot change it, the host enforces it', async () => {
    await expect
      .poll(() => kubectl(kc, ['get', 'resourcequota', 'quota.kplex.io', '-n', 'web']).code, {
        timeout: 15_000,
      })
      .toBe(0);
    const described = kubectlOk(kc, ['describe', 'quota', 'quota.kplex.io', '-n', 'web']);
    expect(described).toMatch(/pods\s+\d+\s+100/);
    expect(kubectl(kc, ['delete', 'quota', 'quota.kplex.io', '-n', 'web']).stderr).toContain(
      'resourcequotas "quota.kplex.io" is forbidden',
    );
    const patch = (policy: unknown) =>
      kubectlOk(host.kubeconfig, [
        'patch',
        'tenant',
        T,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { policy } }),
      ]);
    patch({ namespaceQuota: { pods: 1 }, limitRange: [{ type: 'Container', max: { cpu: '1' } }] });
    await expect
      .poll(
        () =>
          kubectl(kc, [
            'get',
            'resourcequota',
            'quota.kplex.io',
            '-n',
            'web',
            '-o',
            'jsonpath={.spec.hard.pods}',
          ]).stdout,
        {
          timeout: 15_000,
        },
      )
      .toBe('1');
    await expect
      .poll(() => kubectl(kc, ['get', 'limitrange', 'limits.kplex.io', '-n', 'web']).code, {
        timeout: 15_000,
      })
      .toBe(0);
    const pod = (name: string, cpu?: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { containers: [{ name: 'c', image: 'x', ...(cpu ? { resources: { limits: { cpu } } } : {}) }] },
      });
    const big = kubectl(kc, ['create', '-n', 'web', '-f', '-'], pod('big', '2'));
    expect(big.stderr).toContain(
      'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
    expect(kubectl(kc, ['create', '-n', 'web', '-f', '-'], pod('one')).code).toBe(0);
    // The host's quota admission, in the tenant's names (the quota controller may lag a moment).
    await expect
      .poll(() => kubectl(kc, ['create', '-n', 'web', '-f', '-'], pod(`two-${Date.now()}`)).stderr, {
        timeout: 15_000,
      })
      .toContain('exceeded quota: quota.kplex.io, requested: pods=1, used: pods=1, limited: pods=1');
    // The tenant's own quota adds limits; it cannot raise kplex's.
    kubectlOk(kc, ['create', 'quota', 'mine', '-n', 'web', '--hard=pods=50']);
    expect(kubectl(kc, ['create', '-n', 'web', '-f', '-'], pod('three')).stderr).toContain(
      'exceeded quota: quota.kplex.io',
    );
    patch(null);
    await expect
      .poll(() => kubectl(kc, ['get', 'limitrange', 'limits.kplex.io', '-n', 'web']).code, {
        timeout: 15_000,
      })
      .not.toBe(0);
  });
});
