// The tenant-wide quota (issue 14) through the real kubectl against the real host: one quota for
// all the tenant's namespaces, for pods made through kplex and by a Deployment's ReplicaSet on the
// host (FailedCreate), Services, and the namespaces count; the apiserver's quota errors; the
// ResourceQuota tenant-quota.kplex.io every namespace shows with the tenant's usage, read-only;
// concurrent creates never pass it; usage recomputed from the host after a restart.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const T = 'quota-tenant';
const Q = 'tenant-quota.kplex.io';

const pod = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });

const service = (name: string, type = 'ClusterIP') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type, selector: { app: name }, ports: [{ port: 80 }] },
  });

const deployment = (name: string, replicas: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
    },
  });

/** kubectl without waiting: many at once. */
const kubectlAsync = (kubeconfig: string, args: string[], input: string): Promise<number> =>
  new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err) =>
      resolve(err ? 1 : 0),
    );
    child.stdin?.end(input);
  });

describe('tenant-wide quota', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  const setPolicy = (policy: Record<string, unknown> | null): string =>
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      T,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { policy } }),
    ]);
  const create = (ns: string, manifest: string) => kubectl(kc, ['create', '-n', ns, '-f', '-'], manifest);
  /** The tenant's pods on the host, in all its namespaces. */
  const hostPods = (): string[] =>
    kubectlOk(host.kubeconfig, [
      'get',
      'pods',
      '-A',
      '-o',
      'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
    ])
      .split('\n')
      .filter((l) => l.startsWith(`${T}-`));
  const hostNs = (ns: string): string =>
    kubectlOk(host.kubeconfig, [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${T},kplex.io/namespace=${ns}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
  const hard = (ns: string): Record<string, string> =>
    (
      JSON.parse(kubectlOk(kc, ['get', 'resourcequota', Q, '-n', ns, '-o', 'json'])) as {
        status: { hard: Record<string, string> };
      }
    ).status.hard;
  const used = (ns: string): Record<string, string> =>
    (
      JSON.parse(kubectlOk(kc, ['get', 'resourcequota', Q, '-n', ns, '-o', 'json'])) as {
        status: { used: Record<string, string> };
      }
    ).status.used;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
    setPolicy({ quota: { pods: '3', services: '3', namespaces: '6' }, nodePorts: 1 });
    kubectlOk(kc, ['create', 'ns', 'q1']);
    kubectlOk(kc, ['create', 'ns', 'q2']);
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('documents the quota in the Tenant CRD (kubectl explain)', () => {
    const doc = kubectlOk(host.kubeconfig, ['explain', 'tenants.spec.policy.quota']).replace(/\s+/g, ' ');
    expect(doc).toContain('Hard limits of the whole tenant');
    expect(doc).toContain('"pods":"500"');
  });

  it('counts pods across namespaces: the fourth gets the apiserver quota error', async () => {
    // The quota's object reaches every namespace before pods are judged by the host's copy of it.
    await expect
      .poll(() => kubectl(kc, ['get', 'resourcequota', Q, '-n', 'q2']).code, { timeout: 30_000 })
      .toBe(0);
    expect(create('q1', pod('p1')).code).toBe(0);
    expect(create('q2', pod('p2')).code).toBe(0);
    expect(create('q1', pod('p3')).code).toBe(0);
    const r = create('q2', pod('p4'));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(
      `Error from server (Forbidden): error when creating "STDIN": pods "p4" is forbidden: exceeded quota: ${Q}, requested: pods=1, used: pods=3, limited: pods=3`,
    );
    expect(hostPods()).toHaveLength(3);
  });

  it('a Deployment past the quota gets a FailedCreate event the tenant sees', async () => {
    expect(create('q2', deployment('web', 2)).code).toBe(0);
    await expect
      .poll(
        () =>
          kubectl(kc, [
            'get',
            'events',
            '-n',
            'q2',
            '--field-selector',
            'reason=FailedCreate',
            '-o',
            'jsonpath={.items[*].message}',
          ]).stdout,
        { timeout: 30_000 },
      )
      .toContain(`is forbidden: exceeded quota: ${Q}, requested: pods=1, used: pods=3, limited: pods=3`);
    expect(kubectlOk(kc, ['get', 'pods', '-n', 'q2', '-l', 'app=web', '-o', 'name'])).toBe('');
    // Freed room: the ReplicaSet's next try gets a pod (one: the quota is full again).
    kubectlOk(kc, ['delete', 'pod', 'p3', '-n', 'q1', '--wait=true']);
    const web = () =>
      kubectlOk(kc, ['get', 'pods', '-n', 'q2', '-l', 'app=web', '-o', 'name']).split('\n').filter(Boolean);
    await expect.poll(() => web().length, { timeout: 60_000 }).toBe(1);
    expect(hostPods()).toHaveLength(3);
    // One replica from here on: the later tests count pods of their own.
    kubectlOk(kc, ['scale', 'deployment', 'web', '-n', 'q2', '--replicas=1']);
  });

  it('every namespace shows the tenant-wide quota and usage (describe, get), read-only', () => {
    for (const ns of ['q1', 'q2', 'default']) {
      const d = kubectlOk(kc, ['describe', 'quota', Q, '-n', ns]);
      expect(d).toMatch(/pods\s+3\s+3/);
      expect(d).toMatch(/namespaces\s+6\s+6/);
    }
    const row = kubectlOk(kc, ['get', 'resourcequota', Q, '-n', 'q1', '--no-headers']);
    expect(row).toContain('pods: 3/3');
    expect(used('q2')['pods']).toBe('3');
    for (const args of [
      ['delete', 'resourcequota', Q, '-n', 'q1'],
      ['patch', 'resourcequota', Q, '-n', 'q1', '--type', 'merge', '-p', '{"spec":{"hard":{"pods":"100"}}}'],
    ]) {
      const r = kubectl(kc, args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`resourcequotas "${Q}" is forbidden`);
    }
    const again = create(
      'q1',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: Q },
        spec: { hard: { pods: '1000' } },
      }),
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('AlreadyExists');
  });

  it('counts Services across namespaces; node ports stay capped', () => {
    expect(create('q1', service('s1')).code).toBe(0);
    // A create the host refuses costs nothing.
    expect(create('q1', service('s1')).stderr).toContain('AlreadyExists');
    expect(create('q2', service('s2', 'NodePort')).code).toBe(0);
    const np = create('q1', service('s3', 'NodePort'));
    expect(np.stderr).toContain(
      'requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1',
    );
    const s3 = create('q2', service('s3'));
    expect(s3.code, s3.stderr).toBe(0);
    const r = create('q1', service('s4'));
    expect(r.stderr.trim()).toBe(
      `Error from server (Forbidden): error when creating "STDIN": services "s4" is forbidden: exceeded quota: ${Q}, requested: services=1, used: services=3, limited: services=3`,
    );
    expect(kubectlOk(kc, ['describe', 'quota', Q, '-n', 'q1'])).toMatch(/services\.nodeports\s+1\s+1/);
  });

  it('counts namespaces: one beyond the quota gets the quota error', () => {
    const r = kubectl(kc, ['create', 'ns', 'q3']);
    expect(r.stderr.trim()).toBe(
      `Error from server (Forbidden): namespaces "q3" is forbidden: exceeded quota: ${Q}, requested: namespaces=1, used: namespaces=6, limited: namespaces=6`,
    );
  });

  it('concurrent creates never pass the quota', async () => {
    setPolicy({ quota: { pods: '8', services: '3', namespaces: '6' }, nodePorts: 1 });
    // kplex has the new policy, and the host its per-namespace copy of the limits.
    await expect.poll(() => hard('q1')['pods'], { timeout: 30_000 }).toBe('8');
    for (const ns of ['q1', 'q2'])
      await expect
        .poll(
          () =>
            kubectlOk(host.kubeconfig, [
              'get',
              'resourcequota',
              Q,
              '-n',
              hostNs(ns),
              '-o',
              'jsonpath={.spec.hard.pods}',
            ]),
          { timeout: 30_000 },
        )
        .toBe('8');
    const codes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        kubectlAsync(kc, ['create', '-n', i % 2 ? 'q1' : 'q2', '-f', '-'], pod(`c${i}`)),
      ),
    );
    expect(codes.filter((c) => c === 0)).toHaveLength(5);
    expect(hostPods()).toHaveLength(8);
  });

  it('recounts usage from the host after a restart', async () => {
    await env.restart();
    expect(used('q1')['pods']).toBe('8');
    const r = create('q1', pod('late'));
    expect(r.stderr).toContain(`exceeded quota: ${Q}, requested: pods=1, used: pods=8, limited: pods=8`);
  });
});
