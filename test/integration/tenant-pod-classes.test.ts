// A tenant's PriorityClasses and RuntimeClasses reach its pods: each becomes a host class of a
// tenant-owned name (value capped by the Tenant policy), pods and pod templates name it in host
// form on the host and as written in the tenant. The reference is the host in the same run: the
// priority, preemption policy, overhead and tolerations the host's admission fills for a pod naming
// the same classes on the host are what the tenant reads back for its pod; refusals of missing
// classes carry the host's messages. Pods are made directly, by a Deployment and by a Job.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { kplexCli, startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

type Any = Record<string, any>;

const T = 'pod-classes';
const ID = `${process.pid}`;
const HOST_NS = `it-pcls-${ID}`;
const json = (o: unknown): string => JSON.stringify(o);
const TOLERATION = { key: 'example.com/rc-test', operator: 'Exists', effect: 'NoSchedule' };
const OVERHEAD = { podFixed: { cpu: '250m', memory: '120Mi' } };

const priorityClass = (name: string, value: number, extra: Any = {}) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});
const runtimeClass = (name: string, handler: string, extra: Any = {}) => ({
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name },
  handler,
  ...extra,
});
const podSpec = (pc?: string, rc?: string): Any => ({
  ...(pc ? { priorityClassName: pc } : {}),
  ...(rc ? { runtimeClassName: rc } : {}),
  containers: [{ name: 'c', image: 'busybox' }],
});
const pod = (name: string, pc?: string, rc?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: podSpec(pc, rc),
});
const deployment = (name: string, pc: string, rc: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: podSpec(pc, rc) },
  },
});
const job = (name: string, pc: string, rc: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: { spec: { ...podSpec(pc, rc), restartPolicy: 'Never' } } },
});

/** What the host's Priority and RuntimeClass admission fill in, and what the tenant wrote. */
const filled = (p: Any) => ({
  priority: p.spec.priority,
  preemptionPolicy: p.spec.preemptionPolicy,
  overhead: p.spec.overhead,
  tolerations: (p.spec.tolerations as Any[]).filter((t) => t.key === TOLERATION.key),
});

describe('tenant PriorityClasses and RuntimeClasses reach its pods', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  const hostKc = () => host.kubeconfig;

  const setPolicy = (policy: Any | null): string =>
    kubectlOk(hostKc(), ['patch', 'tenant', T, '--type', 'merge', '-p', json({ spec: { policy } })]);
  const hostNs = (ns: string): string =>
    kubectlOk(hostKc(), [
      'get',
      'ns',
      '-l',
      `kplex.io/tenant=${T},kplex.io/namespace=${ns}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
  const tenantUid = (): string => kubectlOk(hostKc(), ['get', 'tenant', T, '-o', 'jsonpath={.metadata.uid}']);
  const getJSON = (cfg: string, args: string[]): Any =>
    JSON.parse(kubectlOk(cfg, ['get', ...args, '-o', 'json']));
  const hostClassesOf = (uid: string, resource: string): Any[] =>
    getJSON(hostKc(), [resource, '-l', `kplex.io/tenant-uid=${uid}`]).items;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant(T);
    // The tenant's pods may tolerate the RuntimeClass's taint; its classes give at most 1000.
    setPolicy({ maxPriority: 1000, allowedTolerations: [{ key: TOLERATION.key }] });
    kubectlOk(kc, ['create', 'namespace', 'apps']);
    // The host's reference: the same classes and a pod naming them, straight on the host.
    kubectlOk(hostKc(), ['create', 'namespace', HOST_NS]);
    kubectlOk(hostKc(), ['create', '-f', '-'], json(priorityClass(`it-high-${ID}`, 500)));
    kubectlOk(
      hostKc(),
      ['create', '-f', '-'],
      json(
        runtimeClass(`it-fast-${ID}`, 'fast', {
          overhead: OVERHEAD,
          scheduling: { tolerations: [TOLERATION] },
        }),
      ),
    );
    kubectlOk(
      hostKc(),
      ['create', '-n', HOST_NS, '-f', '-'],
      json(pod('ref', `it-high-${ID}`, `it-fast-${ID}`)),
    );
    // The tenant's classes, of names the host does not have.
    kubectlOk(kc, ['create', '-f', '-'], json(priorityClass('high', 500)));
    kubectlOk(
      kc,
      ['create', '-f', '-'],
      json(runtimeClass('fast', 'fast', { overhead: OVERHEAD, scheduling: { tolerations: [TOLERATION] } })),
    );
  });
  afterAll(async () => {
    kubectl(hostKc(), ['delete', 'namespace', HOST_NS, '--wait=false']);
    kubectl(hostKc(), ['delete', 'priorityclass', `it-high-${ID}`]);
    kubectl(hostKc(), ['delete', 'runtimeclass', `it-fast-${ID}`]);
    if (env) kubectl(hostKc(), ['patch', 'tenant', T, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('a pod made through kplex gets what the host fills for its classes, and reads back as written', async () => {
    // The Tenant watch brings the policy (the RuntimeClass toleration) to kplex.
    await expect
      .poll(() => kubectl(kc, ['apply', '-n', 'apps', '-f', '-'], json(pod('direct', 'high', 'fast'))).code, {
        timeout: 60_000,
      })
      .toBe(0);
    const ref = getJSON(hostKc(), ['pod', 'ref', '-n', HOST_NS]);
    const mine = getJSON(kc, ['pod', 'direct', '-n', 'apps']);
    expect(filled(mine)).toEqual(filled(ref));
    expect(filled(mine)).toMatchObject({ priority: 500, overhead: OVERHEAD.podFixed });
    expect(mine.spec.priorityClassName).toBe('high');
    expect(mine.spec.runtimeClassName).toBe('fast');
    // On the host: the tenant's own host classes, never a host class of the tenant's names.
    const onHost = getJSON(hostKc(), ['pod', 'direct', '-n', hostNs('apps')]);
    expect(onHost.spec.priorityClassName).toMatch(/^kplex-[0-9a-f]{12}-high$/);
    expect(onHost.spec.runtimeClassName).toMatch(/^kplex-[0-9a-f]{12}-fast$/);
    const pcs = hostClassesOf(tenantUid(), 'priorityclasses');
    expect(pcs.map((c) => [c.metadata.name, c.value, c.globalDefault ?? false])).toEqual([
      [onHost.spec.priorityClassName, 500, false],
    ]);
    const rcs = hostClassesOf(tenantUid(), 'runtimeclasses');
    expect(rcs.map((c) => [c.metadata.name, c.handler, c.overhead])).toEqual([
      [onHost.spec.runtimeClassName, 'fast', OVERHEAD],
    ]);
    // Applying the same manifest again changes nothing.
    const again = kubectlOk(kc, ['apply', '-n', 'apps', '-f', '-'], json(pod('direct', 'high', 'fast')));
    expect(again).toContain('pod/direct unchanged');
  });

  it('pods a Deployment and a Job make on the host get the classes; apply twice is unchanged, no rollout', async () => {
    kubectlOk(kc, ['apply', '-n', 'apps', '-f', '-'], json(deployment('web', 'high', 'fast')));
    kubectlOk(kc, ['apply', '-n', 'apps', '-f', '-'], json(job('once', 'high', 'fast')));
    const ref = filled(getJSON(hostKc(), ['pod', 'ref', '-n', HOST_NS]));
    for (const app of ['app=web', 'job-name=once']) {
      await expect
        .poll(() => getJSON(kc, ['pods', '-n', 'apps', '-l', app]).items.length, { timeout: 30_000 })
        .toBe(1);
      const p = getJSON(kc, ['pods', '-n', 'apps', '-l', app]).items[0];
      expect(filled(p)).toEqual(ref);
      expect([p.spec.priorityClassName, p.spec.runtimeClassName]).toEqual(['high', 'fast']);
    }
    const d = getJSON(kc, ['deployment', 'web', '-n', 'apps']);
    expect(d.spec.template.spec.priorityClassName).toBe('high');
    expect(d.spec.template.spec.runtimeClassName).toBe('fast');
    expect(
      kubectlOk(kc, ['apply', '-n', 'apps', '-f', '-'], json(deployment('web', 'high', 'fast'))),
    ).toContain('deployment.apps/web unchanged');
    // The first server-side apply takes the fields over from client-side apply (on the host too a
    // new generation); the second changes nothing and no new ReplicaSet is ever made.
    const ssa = (...flags: string[]) =>
      kubectlOk(
        kc,
        ['apply', '-n', 'apps', '--server-side', ...flags, '-f', '-'],
        json(deployment('web', 'high', 'fast')),
      );
    ssa('--force-conflicts');
    const generation = getJSON(kc, ['deployment', 'web', '-n', 'apps']).metadata.generation;
    expect(ssa()).toContain('serverside-applied');
    expect(getJSON(kc, ['deployment', 'web', '-n', 'apps']).metadata.generation).toBe(generation);
    expect(
      kubectl(kc, ['diff', '-n', 'apps', '--server-side', '-f', '-'], json(deployment('web', 'high', 'fast')))
        .code,
    ).toBe(0);
    expect(getJSON(kc, ['replicasets', '-n', 'apps', '-l', 'app=web']).items).toHaveLength(1);
    // The apiserver records server-side applies in the last-applied annotation: in the tenant's names.
    const lastApplied = getJSON(kc, ['deployment', 'web', '-n', 'apps']).metadata.annotations[
      'kubectl.kubernetes.io/last-applied-configuration'
    ];
    expect(JSON.parse(lastApplied).spec.template.spec).toMatchObject({
      priorityClassName: 'high',
      runtimeClassName: 'fast',
    });
    const hostDep = getJSON(hostKc(), ['deployment', 'web', '-n', hostNs('apps')]);
    expect(hostDep.spec.template.spec.priorityClassName).toMatch(/^kplex-[0-9a-f]{12}-high$/);
  });

  it('a class above the Tenant cap reaches the host at the cap; the tenant reads its class as written', async () => {
    kubectlOk(kc, ['create', '-f', '-'], json(priorityClass('top', 5000, { preemptionPolicy: 'Never' })));
    kubectlOk(kc, ['create', '-n', 'apps', '-f', '-'], json(pod('capped', 'top')));
    expect(getJSON(kc, ['priorityclass', 'top']).value).toBe(5000);
    const onHost = getJSON(hostKc(), ['pod', 'capped', '-n', hostNs('apps')]);
    expect([onHost.spec.priority, onHost.spec.preemptionPolicy]).toEqual([1000, 'Never']);
    const p = getJSON(kc, ['pod', 'capped', '-n', 'apps']);
    expect([p.spec.priorityClassName, p.spec.priority]).toEqual(['top', 1000]);
  });

  it('a pod naming a missing or deleted class is refused as the host refuses it', () => {
    kubectlOk(kc, ['create', '-f', '-'], json(runtimeClass('gone', 'fast')));
    kubectlOk(kc, ['create', '-n', 'apps', '-f', '-'], json(pod('before', undefined, 'gone')));
    kubectlOk(kc, ['delete', 'runtimeclass', 'gone']);
    const cases: [string, string | undefined, string | undefined][] = [
      ['no-rc', undefined, 'gone'],
      ['no-pc', 'missing', undefined],
    ];
    for (const [name, pc, rc] of cases) {
      const mine = kubectl(kc, ['create', '-n', 'apps', '-f', '-'], json(pod(name, pc, rc)));
      const theirs = kubectl(
        hostKc(),
        ['create', '-n', HOST_NS, '-f', '-'],
        json(pod(name, pc && `${pc}-${ID}`, rc && `${rc}-${ID}`)),
      );
      expect(mine.code).not.toBe(0);
      expect(mine.stderr).toBe(theirs.stderr.replaceAll(`-${ID}`, ''));
      expect(mine.stderr).toContain('is forbidden');
    }
  });

  it('deleting a class deletes its host class; pods may use only RuntimeClasses of allowed handlers', async () => {
    const uid = tenantUid();
    await expect
      .poll(() => hostClassesOf(uid, 'runtimeclasses').map((c) => c.metadata.annotations['kplex.io/class']), {
        timeout: 15_000,
      })
      .toEqual(['fast']);
    // Unset, the policy allows the handlers of the host's own RuntimeClasses only ('fast' here).
    kubectlOk(kc, ['create', '-f', '-'], json(runtimeClass('kata', 'kata')));
    const refused = kubectl(
      kc,
      ['create', '-n', 'apps', '-f', '-'],
      json(pod('sandboxed', undefined, 'kata')),
    );
    expect(refused.stderr).toContain(
      'pods "sandboxed" is forbidden: spec.runtimeClassName: RuntimeClass "kata" has handler "kata", which is not one of the runtime handlers this tenant\'s pods may use: ',
    );
    const template = kubectl(
      kc,
      ['create', '-n', 'apps', '-f', '-'],
      json(deployment('sandboxed', 'high', 'kata')),
    );
    expect(template.stderr).toContain(
      'deployments.apps "sandboxed" is forbidden: spec.template.spec.runtimeClassName',
    );
    // Allowed by the Tenant, the same pod runs; the class no one allowed never reached the host.
    setPolicy({
      maxPriority: 1000,
      allowedTolerations: [{ key: TOLERATION.key }],
      allowedRuntimeClasses: ['kata'],
    });
    await expect
      .poll(
        () =>
          kubectl(kc, ['create', '-n', 'apps', '-f', '-'], json(pod('sandboxed', undefined, 'kata'))).code,
        {
          timeout: 60_000,
        },
      )
      .toBe(0);
    expect(getJSON(hostKc(), ['pod', 'sandboxed', '-n', hostNs('apps')]).spec.runtimeClassName).toMatch(
      /^kplex-[0-9a-f]{12}-kata$/,
    );
    const refusedFast = kubectl(
      kc,
      ['create', '-n', 'apps', '-f', '-'],
      json(pod('fast-now', undefined, 'fast')),
    );
    expect(refusedFast.stderr).toContain(
      'which is not one of the runtime handlers this tenant\'s pods may use: "kata"',
    );
    setPolicy({ maxPriority: 1000, allowedTolerations: [{ key: TOLERATION.key }] });
  });

  it('a deleted Tenant takes its host classes along', async () => {
    const other = 'pod-classes-gone';
    const okc = await env.tenant(other);
    kubectlOk(okc, ['create', '-f', '-'], json(priorityClass('p', 1)));
    kubectlOk(okc, ['create', '-f', '-'], json(runtimeClass('r', 'fast')));
    const uid = kubectlOk(hostKc(), ['get', 'tenant', other, '-o', 'jsonpath={.metadata.uid}']);
    await expect.poll(() => hostClassesOf(uid, 'priorityclasses').length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => hostClassesOf(uid, 'runtimeclasses').length, { timeout: 15_000 }).toBe(1);
    kplexCli(['tenant', 'delete', other, '--host-kubeconfig', hostKc()]);
    await expect
      .poll(
        () => hostClassesOf(uid, 'priorityclasses').length + hostClassesOf(uid, 'runtimeclasses').length,
        {
          timeout: 30_000,
        },
      )
      .toBe(0);
    // The first tenant's classes stay.
    expect(hostClassesOf(tenantUid(), 'priorityclasses').length).toBeGreaterThan(0);
  });
});
